/** register / unregister: reads only, each configuration error naming its field, the URL to paste in the log. */
import { ConfigurationError } from '../../../src/core/errors'
import { describeError } from '../../../src/providers/freshchat/api'
import { API, CHANNELS, FreshchatFake, publicPem } from './fake'
import { makeAdapter, WEBHOOK_URL } from './harness'

const fake = new FreshchatFake()
beforeAll(() => fake.start())
afterAll(() => fake.stop())
beforeEach(() => fake.reset())
afterEach(() => expect(fake.violations()).toEqual([]))

describe('register', () => {
  it('reads only (GET /channels), writes nothing anywhere, and logs the exact URL and events to paste', async () => {
    const { adapter, store, logs } = makeAdapter(fake)
    await adapter.connect({ webhookUrl: WEBHOOK_URL })
    expect(fake.calls.map((c) => c.method)).toEqual(['GET'])
    expect(fake.callsTo('list-channels')).toHaveLength(1)
    expect(store.data).toEqual({})
    const line = logs.find((l) => l.includes(WEBHOOK_URL))
    expect(line).toBeDefined()
    expect(line).toContain('Admin › Webhooks')
    for (const event of ['message_create', 'conversation_assignment', 'conversation_resolution']) expect(line).toContain(event)
    expect(line).toContain(CHANNELS[0]!.id)
  })

  it('a wrong API key names freshchat.apiKey', async () => {
    const { adapter } = makeAdapter(fake, { config: { apiKey: 'wrong' } })
    const error = await adapter.connect({ webhookUrl: WEBHOOK_URL }).catch((e: Error) => e)
    expect(error).toBeInstanceOf(ConfigurationError)
    expect((error as Error).message).toContain('freshchat.apiKey')
    expect((error as Error).message).not.toContain('wrong')
  })

  it('an unknown topic names freshchat.channelId; a known one is used', async () => {
    const bad = await makeAdapter(fake, { config: { channelId: 'no-such-topic' } }).adapter.connect({ webhookUrl: WEBHOOK_URL }).catch((e: Error) => e)
    expect(bad).toBeInstanceOf(ConfigurationError)
    expect((bad as Error).message).toContain('freshchat.channelId')
    const { adapter, logs } = makeAdapter(fake, { config: { channelId: CHANNELS[1]!.id } })
    await adapter.connect({ webhookUrl: WEBHOOK_URL })
    expect(logs.join('\n')).toContain(CHANNELS[1]!.id)
  })

  it.each([
    ['not a key', 'not a key'],
    ['a truncated key', publicPem().slice(0, 100)],
  ])('a malformed public key (%s) names freshchat.webhookPublicKey before any request', async (_label, webhookPublicKey) => {
    const error = await makeAdapter(fake, { config: { webhookPublicKey } }).adapter.connect({ webhookUrl: WEBHOOK_URL }).catch((e: Error) => e)
    expect(error).toBeInstanceOf(ConfigurationError)
    expect((error as Error).message).toContain('freshchat.webhookPublicKey')
    expect(fake.requestCount()).toBe(0)
  })

  it('a public key pasted on one line (newlines lost by a form) registers', async () => {
    const { adapter } = makeAdapter(fake, { config: { webhookPublicKey: publicPem().replace(/\n/g, ' ') } })
    await expect(adapter.connect({ webhookUrl: WEBHOOK_URL })).resolves.toBeUndefined()
  })

  it('domain: a bare account name or an https:// address reaches the same API; apiBaseUrl replaces it', async () => {
    for (const domain of ['acme', 'https://acme.freshchat.com/']) {
      fake.reset()
      await makeAdapter(fake, { config: { domain } }).adapter.connect({ webhookUrl: WEBHOOK_URL })
      expect(fake.calls[0]!.path).toBe('/v2/channels')
    }
    fake.reset()
    const elsewhere = await makeAdapter(fake, { config: { apiBaseUrl: 'https://proxy.invalid/v2' } }).adapter.connect({ webhookUrl: WEBHOOK_URL }).catch((e: Error) => e)
    expect(elsewhere).toBeInstanceOf(Error)
    expect(fake.requestCount()).toBe(0)
    expect(API).toBe('https://acme.freshchat.com/v2')
  })

  it('unregister removes nothing (register created nothing) and says where to remove the webhook', async () => {
    const { adapter, logs } = makeAdapter(fake)
    await adapter.disconnect({ webhookUrl: WEBHOOK_URL })
    expect(fake.requestCount()).toBe(0)
    expect(logs.join('\n')).toContain('Admin › Webhooks')
  })
})

describe('errors', () => {
  it("Freshchat's error text is kept, the e-mail it names masked", () => {
    expect(describeError({ code: 400, status: 'BAD_REQUEST', message: 'user jane.doe@example.com exists' })).toBe('BAD_REQUEST: user j***@example.com exists')
    expect(describeError('plain text')).toBe('plain text')
    expect(describeError({ other: 1 })).toBeUndefined()
  })
})
