/** register / unregister against the fake account: what exists on Chatwoot afterwards, and what the store keeps. */
import { ConfigurationError } from '../../../src/core/errors'
import { openSeal, sealKey, urlToken } from '../../../src/providers/chatwoot/webhook'
import { http } from 'msw'
import { BASE_URL, ChatwootFake } from './fake'
import { makeAdapter, memoryStore, WEBHOOK_URL } from './harness'

const fake = new ChatwootFake()
beforeAll(() => fake.start())
afterAll(() => fake.stop())
beforeEach(() => fake.wipe({ preRegistered: false }))
afterEach(() => expect(fake.violations()).toEqual([]))

const ours = () => [...fake.webhooks.values()]
const param = (url: string, name: string) => new URL(url).searchParams.get(name)
const apiInboxes = () => [...fake.inboxes.values()].filter((i) => i.channel_type === 'Channel::Api')

describe('register', () => {
  it('three saves → one "Botpress" API inbox and one account webhook with the events it needs, its URL stable', async () => {
    const store = memoryStore()
    const urls: string[] = []
    for (let i = 0; i < 3; i++) {
      await makeAdapter(fake, { store }).adapter.connect({ webhookUrl: WEBHOOK_URL })
      urls.push(ours()[0]!.url)
    }
    // The seal's IV is random: a save that changes nothing must reuse the URL, not re-seal (no PATCH at all).
    expect(new Set(urls).size).toBe(1)
    expect(fake.callsTo('update-a-webhook')).toHaveLength(1)
    expect(apiInboxes()).toHaveLength(1)
    expect(apiInboxes()[0]!.name).toBe('Botpress')
    expect(ours()).toHaveLength(1)
    const [hook] = ours()
    expect(hook!.subscriptions.sort()).toEqual(['conversation_status_changed', 'conversation_updated', 'message_created'])
    // A signing Chatwoot: the signing token, and the secret sealed so that any instance can check signatures statelessly.
    expect(param(hook!.url, 'bp_token')).toBe(urlToken(fake.section(), true))
    expect(openSeal(param(hook!.url, 'bp_seal')!, sealKey(fake.section()))).toBe(hook!.secret)
    expect(hook!.url).not.toContain(hook!.secret!)
    expect(hook!.url.startsWith(`${WEBHOOK_URL}?`)).toBe(true)
    expect(fake.callsTo('inboxCreation')).toHaveLength(1)
    expect(fake.callsTo('create-a-webhook')).toHaveLength(1)
    expect(store.data).toMatchObject({ inboxId: String(apiInboxes()[0]!.id), inboxCreated: true, webhookId: String(hook!.id), webhookSecret: hook!.secret })
  })

  it('keeps the signing secret Chatwoot returned and registers it (and the URL token) for redaction', async () => {
    const { adapter, added, logs } = makeAdapter(fake)
    await adapter.connect({ webhookUrl: WEBHOOK_URL })
    const [hook] = ours()
    expect(hook!.secret).toBeTruthy()
    expect(added).toEqual(expect.arrayContaining([hook!.secret, urlToken(fake.section()), urlToken(fake.section(), true)]))
    expect(logs.join('\n')).not.toContain(hook!.secret!)
    expect(logs.join('\n')).toMatch(/signed/)
  })

  it('a Chatwoot that returns no secret (older versions) is registered with the URL token alone', async () => {
    fake.options.signs = false
    try {
      const { adapter, store, logs } = makeAdapter(fake)
      await adapter.connect({ webhookUrl: WEBHOOK_URL })
      expect(store.data.webhookSecret).toBeUndefined()
      expect(param(ours()[0]!.url, 'bp_token')).toBe(urlToken(fake.section()))
      expect(param(ours()[0]!.url, 'bp_seal')).toBeNull()
      expect(fake.callsTo('update-a-webhook')).toHaveLength(0)
      expect(logs.join('\n')).toMatch(/does not sign/)
    } finally {
      fake.options.signs = true
    }
  })

  it('a changed access token updates the existing webhook URL (its token) instead of adding a webhook', async () => {
    const store = memoryStore()
    await makeAdapter(fake, { store }).adapter.connect({ webhookUrl: WEBHOOK_URL })
    const before = ours()[0]!
    // As after a token rotation: the URL Chatwoot has carries a token the configuration no longer derives.
    fake.webhooks.get(before.id)!.url = `${WEBHOOK_URL}?bp_token=stale`
    await makeAdapter(fake, { store }).adapter.connect({ webhookUrl: WEBHOOK_URL })
    expect(ours()).toHaveLength(1)
    expect(ours()[0]!.id).toBe(before.id)
    expect(param(ours()[0]!.url, 'bp_token')).toBe(urlToken(fake.section(), true))
    expect(openSeal(param(ours()[0]!.url, 'bp_seal')!, sealKey(fake.section()))).toBe(before.secret)
    // One update when the webhook was created (to give it its sealed URL), one for the stale token.
    expect(fake.callsTo('update-a-webhook')).toHaveLength(2)
  })

  it('a URL whose seal no longer opens to the webhook secret (changed by hand, or another token) is sealed again', async () => {
    const store = memoryStore()
    await makeAdapter(fake, { store }).adapter.connect({ webhookUrl: WEBHOOK_URL })
    const hook = fake.webhooks.get(ours()[0]!.id)!
    hook.secret = 'rotated-secret-0123456789'
    await makeAdapter(fake, { store }).adapter.connect({ webhookUrl: WEBHOOK_URL })
    expect(openSeal(param(hook.url, 'bp_seal')!, sealKey(fake.section()))).toBe('rotated-secret-0123456789')
    expect(store.data.webhookSecret).toBe('rotated-secret-0123456789')
  })

  it('a Chatwoot whose update rotated the secret: the new one is sealed in turn', async () => {
    const store = memoryStore()
    await makeAdapter(fake, { store }).adapter.connect({ webhookUrl: WEBHOOK_URL })
    const hook = fake.webhooks.get(ours()[0]!.id)!
    hook.url = `${WEBHOOK_URL}?bp_token=stale`
    const updates = fake.callsTo('update-a-webhook').length
    // As a version that rotated the secret on update would: the next PATCH changes it, then the fake answers as usual.
    fake.server.use(http.patch(`${BASE_URL}/*`, () => void (hook.secret = 'rotated-on-update-987654'), { once: true }))
    await makeAdapter(fake, { store }).adapter.connect({ webhookUrl: WEBHOOK_URL })
    expect(openSeal(param(hook.url, 'bp_seal')!, sealKey(fake.section()))).toBe('rotated-on-update-987654')
    expect(store.data.webhookSecret).toBe('rotated-on-update-987654')
    expect(fake.callsTo('update-a-webhook').length - updates).toBe(2)
  })

  it('duplicates left by hand for the same URL are removed, one webhook stays', async () => {
    fake.addWebhook(`${WEBHOOK_URL}`, ['message_created'])
    fake.addWebhook(`${WEBHOOK_URL}/`, ['conversation_updated'])
    fake.addWebhook('https://elsewhere.example.com/hook', ['message_created'])
    await makeAdapter(fake).adapter.connect({ webhookUrl: WEBHOOK_URL })
    const urls = ours().map((w) => w.url)
    expect(urls.filter((u) => u.startsWith(WEBHOOK_URL))).toHaveLength(1)
    expect(urls).toContain('https://elsewhere.example.com/hook')
  })

  it('reuses an existing "Botpress" API inbox, and a configured inbox as it is', async () => {
    fake.inboxes.set(31, { id: 31, name: 'Botpress', channel_type: 'Channel::Api' })
    const { adapter, store } = makeAdapter(fake)
    await adapter.connect({ webhookUrl: WEBHOOK_URL })
    expect(store.data).toMatchObject({ inboxId: '31', inboxCreated: false })
    fake.inboxes.set(40, { id: 40, name: 'Support API', channel_type: 'Channel::Api' })
    const configured = makeAdapter(fake, { config: { inboxId: '40' } })
    await configured.adapter.connect({ webhookUrl: WEBHOOK_URL })
    expect(configured.store.data.inboxId).toBe('40')
    expect(fake.callsTo('inboxCreation')).toHaveLength(0)
  })

  it.each([
    ['a configured inbox that is not an API inbox', { inboxId: '41' }, /chatwoot\.inboxId.*API inbox/],
    ['a configured inbox that does not exist', { inboxId: '999' }, /no inbox 999.*chatwoot\.inboxId/],
    ['a wrong token', { apiAccessToken: 'wrong' }, /refused the access token \(chatwoot\.apiAccessToken\)/],
    ['an account the token has no access to', { accountId: '4' }, /not a member of Chatwoot account 4 \(chatwoot\.accountId\)/],
  ])('refuses %s with a message naming the field', async (_what, config, message) => {
    fake.inboxes.set(41, { id: 41, name: 'Website', channel_type: 'Channel::WebWidget' })
    const { adapter } = makeAdapter(fake, { config })
    const failure = adapter.connect({ webhookUrl: WEBHOOK_URL })
    await expect(failure).rejects.toThrow(ConfigurationError)
    await expect(failure).rejects.toThrow(message)
    expect(ours()).toHaveLength(0)
  })

  it("refuses an agent's token: inboxes and webhooks need an administrator", async () => {
    fake.options.role = 'agent'
    try {
      await expect(makeAdapter(fake).adapter.connect({ webhookUrl: WEBHOOK_URL })).rejects.toThrow(/administrator's token/)
    } finally {
      fake.options.role = 'administrator'
    }
  })
})

describe('unregister', () => {
  it('removes the webhook register made, keeps the inbox (its conversations) for the next register', async () => {
    const store = memoryStore()
    await makeAdapter(fake, { store }).adapter.connect({ webhookUrl: WEBHOOK_URL })
    fake.addWebhook('https://elsewhere.example.com/hook', ['message_created'])
    await makeAdapter(fake, { store }).adapter.disconnect({ webhookUrl: WEBHOOK_URL })
    expect(ours().map((w) => w.url)).toEqual(['https://elsewhere.example.com/hook'])
    expect(apiInboxes()).toHaveLength(1)
    expect(store.data.webhookId).toBeUndefined()
    expect(store.data.webhookSecret).toBeUndefined()
    await makeAdapter(fake, { store }).adapter.connect({ webhookUrl: WEBHOOK_URL })
    expect(apiInboxes()).toHaveLength(1)
    expect(ours()).toHaveLength(2)
  })

  it('finds its webhook by URL even when the store was lost', async () => {
    await makeAdapter(fake).adapter.connect({ webhookUrl: WEBHOOK_URL })
    await makeAdapter(fake, { store: memoryStore() }).adapter.disconnect({ webhookUrl: WEBHOOK_URL })
    expect(ours()).toHaveLength(0)
  })

  it('finds its sealed webhook by token when the store was lost and the Botpress URL changed', async () => {
    await makeAdapter(fake).adapter.connect({ webhookUrl: WEBHOOK_URL })
    expect(param(ours()[0]!.url, 'bp_seal')).toBeTruthy()
    await makeAdapter(fake, { store: memoryStore() }).adapter.disconnect({ webhookUrl: 'https://webhook.botpress.cloud/another-id' })
    expect(ours()).toHaveLength(0)
  })
})
