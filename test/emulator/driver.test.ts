/**
 * The driver plays Botpress towards a tiny SDK integration, in-process (integration.handler) and over HTTP
 * (integration.start): both must behave the same. The integration's own @botpress/client reaches the emulator
 * through BP_API_URL / BP_TOKEN.
 */
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import * as sdk from '@botpress/sdk'
import { IntegrationDriver, IntegrationError, startEmulator, type Emulator } from '../../dev/emulator'

type Seen = { kind: string; [k: string]: any }
/** Without a generated definition the SDK types each handler for `string` keys: keep the handler props loose. */
type Props = any
const seen: Seen[] = []

const integration = new sdk.Integration({
  register: async ({ webhookUrl, ctx }) => {
    seen.push({ kind: 'register', webhookUrl, configuration: ctx.configuration, webhookId: ctx.webhookId })
  },
  unregister: async ({ webhookUrl }) => {
    seen.push({ kind: 'unregister', webhookUrl })
  },
  actions: {
    createUser: async ({ input, client }: Props) => {
      const { user } = await client.getOrCreateUser({ name: input.name, tags: { externalId: input.externalId }, discriminateByTags: ['externalId'] })
      return { userId: user.id }
    },
    explode: async () => {
      throw new sdk.RuntimeError('the desk is down')
    },
  },
  channels: {
    hitl: {
      messages: {
        text: async ({ payload, conversation, user, message, ack }: Props) => {
          seen.push({ kind: 'message', payload, conversation, user, message })
          await ack({ tags: { externalId: 'remote-1' } })
        },
      },
    },
  },
  handler: async ({ req, client }) => {
    seen.push({ kind: 'webhook', req })
    if (req.path !== '/agent-message') return { status: 404, body: JSON.stringify({ error: 'unknown path' }) }
    const { conversationId } = JSON.parse(req.body ?? '{}')
    await client.createEvent({ type: 'hitlAssigned', conversationId, payload: { conversationId } })
    return { status: 202, headers: { 'x-desk': 'ok', 'Content-Type': 'application/json' }, body: JSON.stringify({ accepted: true }) }
  },
})

const configuration = { provider: 'http', http: { endpointBaseUrl: 'http://127.0.0.1:9' } }

describe.each(['in-process', 'http'] as const)('IntegrationDriver (%s)', (mode) => {
  let emulator: Emulator
  let driver: IntegrationDriver
  let server: Server | undefined
  let quietConsole: jest.SpyInstance[] = []

  beforeAll(async () => {
    // the SDK logs every request and error through console: keep test output readable
    quietConsole = (['info', 'error', 'warn', 'debug'] as const).map((m) => jest.spyOn(console, m).mockImplementation(() => {}))
    emulator = await startEmulator({ quiet: true })
    process.env.BP_API_URL = emulator.url
    process.env.BP_TOKEN = emulator.token
    if (mode === 'http') {
      server = await integration.start(0)
      const { port } = server.address() as AddressInfo
      driver = new IntegrationDriver({ emulator, integrationUrl: `http://127.0.0.1:${port}`, configuration, webhookId: `wh-${mode}` })
    } else {
      driver = new IntegrationDriver({ emulator, handler: integration.handler, configuration, webhookId: `wh-${mode}` })
    }
    emulator.attach(driver)
  })
  afterAll(async () => {
    server?.close()
    await emulator?.close()
    quietConsole.forEach((s) => s.mockRestore())
  })
  beforeEach(() => {
    seen.length = 0
    emulator.reset()
  })
  afterEach(() => expect(emulator.violations).toEqual([]))

  it('register / unregister send the webhook URL and the configuration', async () => {
    await expect(driver.register()).resolves.toBeUndefined()
    await driver.unregister()
    expect(seen).toEqual([
      { kind: 'register', webhookUrl: `${emulator.url}/webhook/wh-${mode}`, configuration, webhookId: `wh-${mode}` },
      { kind: 'unregister', webhookUrl: `${emulator.url}/webhook/wh-${mode}` },
    ])
    driver.setConfiguration({ provider: 'other' })
    await driver.register()
    expect(seen[2]!.configuration).toEqual({ provider: 'other' })
    driver.setConfiguration(configuration)
  })

  it('callAction round-trips through the integration and its API calls', async () => {
    const { userId } = await driver.callAction('createUser', { name: 'Jane', externalId: 'c-1' })
    expect(emulator.store.user(userId)).toMatchObject({ name: 'Jane', tags: { externalId: 'c-1' } })
    expect((await driver.callAction('createUser', { name: 'Jane', externalId: 'c-1' })).userId).toBe(userId)
    expect(emulator.requests.length).toBeGreaterThan(0)
    expect(emulator.requests.every((r) => r.integrationId === emulator.integrationId)).toBe(true)
  })

  it("a 429 with Retry-After is retried by the SDK's client; a 503 on a POST is not", async () => {
    emulator.failNext('getOrCreateUser', { status: 429, retryAfter: 0 })
    await driver.callAction('createUser', { name: 'Jane', externalId: 'c-2' })
    expect(emulator.requests.map((r) => r.status)).toEqual([429, 200])
    emulator.failNext('getOrCreateUser', { status: 503 })
    await expect(driver.callAction('createUser', { name: 'Jane', externalId: 'c-3' })).rejects.toThrow(/failure injected/)
    expect(emulator.store.users.filter((u) => u.tags.externalId === 'c-3')).toHaveLength(0)
  })

  it("callAction rejects with the integration's error message", async () => {
    const error = await driver.callAction('explode', {}).catch((e) => e)
    expect(error).toBeInstanceOf(IntegrationError)
    expect(error.message).toBe('the desk is down')
    expect(error.status).toBe(400)
    await expect(driver.callAction('nope', {})).rejects.toThrow(/unexpected error/)
  })

  it('sendMessage stores a bot message, the channel handler gets it and can ack', async () => {
    const conversation = (await emulator.store.getOrCreateConversation({ params: {}, query: {}, body: { channel: 'hitl', tags: { externalId: 's-1' } } })).conversation
    const message = await driver.sendMessage({ conversationId: conversation.id, type: 'text', payload: { text: 'Hello agent' } })
    const got = seen.find((s) => s.kind === 'message')!
    expect(got.payload).toEqual({ text: 'Hello agent' })
    expect(got.conversation).toEqual(conversation)
    expect(got.user).toMatchObject({ id: emulator.botUserId, tags: {} })
    expect(got.message).toMatchObject({ id: message.id, direction: 'outgoing', userId: emulator.botUserId })
    expect(message.tags).toEqual({ externalId: 'remote-1' }) // acked through updateMessage
    expect(emulator.counts()).toEqual({ updateMessage: 1 })
    await driver.sendMessage({ conversationId: conversation.id, type: 'text', payload: { text: 'again' } })
    expect(emulator.store.users.filter((u) => u.id === emulator.botUserId)).toHaveLength(1)
  })

  it("webhook ingress over the emulator's HTTP port returns the integration's answer", async () => {
    const conversation = (await emulator.store.createConversation({ params: {}, query: {}, body: { channel: 'hitl', tags: {} } })).conversation
    const raw = JSON.stringify({ conversationId: conversation.id })
    const res = await fetch(`${emulator.url}/webhook/wh-${mode}/agent-message?sig=abc`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-sig': 's1' }, body: raw })
    expect(res.status).toBe(202)
    expect(res.headers.get('x-desk')).toBe('ok')
    expect(await res.json()).toEqual({ accepted: true })
    const { req } = seen.find((s) => s.kind === 'webhook')!
    expect(req).toMatchObject({ method: 'POST', path: '/agent-message', query: 'sig=abc', body: raw })
    expect(req.headers['x-sig']).toBe('s1')
    expect(emulator.eventsOf('hitlAssigned')).toHaveLength(1)

    expect((await fetch(`${emulator.url}/webhook/wh-${mode}`, { method: 'POST', body: '{}' })).status).toBe(404) // the handler's 404 for path "/"
    expect((await fetch(`${emulator.url}/webhook/unknown/x`, { method: 'POST', body: '{}' })).status).toBe(404)
    expect(emulator.requests.map((r) => r.operationId)).toEqual(['createEvent']) // ingress is not a runtime API call
  })

  it('driver.webhook gives the same answer without HTTP ingress', async () => {
    const res = await driver.webhook({ path: '/elsewhere', body: '{}' })
    expect(res).toEqual({ status: 404, headers: {}, body: JSON.stringify({ error: 'unknown path' }) })
  })
})
