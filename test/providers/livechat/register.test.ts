/**
 * register / unregister: credentials check, automatic webhooks (reused, replaced, removed), and the manual fallback.
 * Webhook rules: platform.text.com/docs/management/configuration-api (v3.6) § Register Webhook / List Webhooks.
 */
import { ConfigurationError } from '../../../src/core/errors'
import { CLIENT_ID, FULL_SCOPES, LivechatFake, PAT_SECRET, WEBHOOK_SECRET } from './fake'
import { harness, memoryStore, WEBHOOK_URL } from './harness'

const fake = new LivechatFake()
beforeAll(() => fake.start())
afterAll(() => fake.stop())
beforeEach(() => fake.reset())
afterEach(() => expect(fake.violations()).toEqual([]))

const ACTIONS = ['incoming_chat', 'incoming_event', 'user_added_to_chat', 'chat_transferred', 'chat_deactivated']

describe('register', () => {
  it('verifies the credentials and registers the five webhooks with the secret, the URL, only_my_chats and the chat properties', async () => {
    const h = harness(fake)
    await h.adapter.connect({ webhookUrl: WEBHOOK_URL })
    expect(fake.callsTo('agent', 'list_chats')).toHaveLength(1)
    expect(fake.webhooks.map((w) => w.action).sort()).toEqual([...ACTIONS].sort())
    for (const w of fake.webhooks) {
      expect(w).toMatchObject({ url: WEBHOOK_URL, secret_key: WEBHOOK_SECRET, owner_client_id: CLIENT_ID, type: 'license' })
    }
    expect(fake.webhooks.find((w) => w.action === 'incoming_event')!.filters).toEqual({ author_type: 'agent', only_my_chats: true })
    for (const w of fake.webhooks.filter((w) => w.action !== 'incoming_event')) expect(w.filters).toEqual({ only_my_chats: true })
    for (const w of fake.webhooks) expect(w.additional_data).toEqual(['chat_properties'])
    const stored = h.store.data.webhooks as Array<{ id: string }>
    expect(stored.map((w) => w.id).sort()).toEqual(fake.webhooks.map((w) => w.id).sort())
    // The customer side (client id, organization, Redirect URI) was checked with one cookie grant.
    expect(fake.callsTo('accounts', 'token')).toHaveLength(1)
    expect(fake.callsTo('accounts', 'token')[0]!.body.redirect_uri).toBe(WEBHOOK_URL)
    expect(h.store.data.redirectUri).toBe(WEBHOOK_URL)
    expect(h.logs.join('\n')).not.toContain(WEBHOOK_SECRET)
  })

  it('is idempotent: saving again reuses the webhooks (no new registration, no new customer check)', async () => {
    const store = memoryStore()
    await harness(fake, {}, store).adapter.connect({ webhookUrl: WEBHOOK_URL })
    const ids = fake.webhooks.map((w) => w.id).sort()
    await harness(fake, {}, store).adapter.connect({ webhookUrl: WEBHOOK_URL })
    await harness(fake, {}, store).adapter.connect({ webhookUrl: WEBHOOK_URL })
    expect(fake.webhooks.map((w) => w.id).sort()).toEqual(ids)
    expect(fake.callsTo('configuration', 'register_webhook')).toHaveLength(5)
    expect(fake.callsTo('accounts', 'token')).toHaveLength(1)
  })

  it('saving with new values checks the customer side again as the same probe customer: no new customer in the license', async () => {
    const store = memoryStore()
    await harness(fake, {}, store).adapter.connect({ webhookUrl: WEBHOOK_URL })
    expect(fake.customers.size).toBe(1)
    await harness(fake, {}, store).adapter.connect({ webhookUrl: 'https://webhook.botpress.cloud/wh_moved' })
    await harness(fake, {}, store).adapter.connect({ webhookUrl: WEBHOOK_URL })
    expect(fake.callsTo('accounts', 'token')).toHaveLength(3)
    expect(fake.customers.size).toBe(1)
    const probe = store.data.probe as { cst?: string }
    expect(typeof probe.cst).toBe('string')
  })

  it('the probe identity is a run-time secret: never in logs', async () => {
    const h = harness(fake)
    await h.adapter.connect({ webhookUrl: WEBHOOK_URL })
    const cst = (h.store.data.probe as { cst: string }).cst
    expect(h.redact(`cookie ${cst}`)).not.toContain(cst)
  })

  it('replaces a webhook aimed at our URL that it did not register (List Webhooks hides secret_key: its secret is unknown); leaves other URLs alone', async () => {
    const manual = fake.seedWebhook({ action: 'incoming_event', url: WEBHOOK_URL, filters: { author_type: 'agent' }, secret_key: 'a-secret-typed-by-hand' })
    const other = fake.seedWebhook({ action: 'chat_deactivated', url: 'https://elsewhere.example.com/hook' })
    const h = harness(fake)
    await h.adapter.connect({ webhookUrl: WEBHOOK_URL })
    expect(fake.webhooks.map((w) => w.id)).not.toContain(manual.id)
    const incoming = fake.webhooks.filter((w) => w.action === 'incoming_event')
    expect(incoming).toHaveLength(1)
    expect(incoming[0]!.secret_key).toBe(WEBHOOK_SECRET)
    expect(fake.webhooks.filter((w) => w.action === 'chat_deactivated')).toHaveLength(2)
    expect(h.logs.some((l) => l.includes('replaced incoming_event (not registered by this integration)'))).toBe(true)

    await h.adapter.disconnect({ webhookUrl: WEBHOOK_URL })
    expect(fake.webhooks.map((w) => w.id)).toEqual([other.id])
    expect(h.store.data.webhooks).toEqual([])
    await h.adapter.disconnect({ webhookUrl: WEBHOOK_URL })
    expect(fake.callsTo('configuration', 'unregister_webhook')).toHaveLength(6)
  })

  it('replaces its own webhooks registered before the current definition (no only_my_chats filter)', async () => {
    const old = ACTIONS.filter((a) => a !== 'incoming_chat').map((action) =>
      fake.seedWebhook({ action, url: WEBHOOK_URL, ...(action === 'incoming_event' ? { filters: { author_type: 'agent' } } : {}) })
    )
    const store = memoryStore({ webhooks: old.map((w) => ({ id: w.id, action: w.action, url: w.url })) })
    await harness(fake, {}, store).adapter.connect({ webhookUrl: WEBHOOK_URL })
    expect(fake.webhooks).toHaveLength(5)
    expect(fake.webhooks.every((w) => !old.some((o) => o.id === w.id) && w.filters?.only_my_chats === true)).toBe(true)
  })

  it('replaces its own webhooks when the webhook secret or the URL changed (webhooks cannot be edited)', async () => {
    const store = memoryStore()
    await harness(fake, {}, store).adapter.connect({ webhookUrl: WEBHOOK_URL })
    const before = fake.webhooks.map((w) => w.id)
    await harness(fake, { webhookSecret: 'a-brand-new-secret-value' }, store).adapter.connect({ webhookUrl: WEBHOOK_URL })
    expect(fake.webhooks).toHaveLength(5)
    expect(fake.webhooks.every((w) => w.secret_key === 'a-brand-new-secret-value' && !before.includes(w.id))).toBe(true)

    const moved = 'https://webhook.botpress.cloud/wh_moved'
    await harness(fake, { webhookSecret: 'a-brand-new-secret-value' }, store).adapter.connect({ webhookUrl: moved })
    expect(fake.webhooks).toHaveLength(5)
    expect(fake.webhooks.every((w) => w.url === moved)).toBe(true)
  })

  it('enables the license webhooks when they were disabled', async () => {
    fake.options.licenseWebhooksEnabled = false
    const h = harness(fake)
    await h.adapter.connect({ webhookUrl: WEBHOOK_URL })
    expect(fake.callsTo('configuration', 'enable_license_webhooks')).toHaveLength(1)
    expect(fake.options.licenseWebhooksEnabled).toBe(true)
    await h.adapter.connect({ webhookUrl: WEBHOOK_URL })
    expect(fake.callsTo('configuration', 'enable_license_webhooks')).toHaveLength(1)
  })

  it('without the webhook scope (the guide\'s PAT): the save succeeds and the log lists the manual steps left', async () => {
    fake.options.scopes = ['chats--access:rw']
    const h = harness(fake)
    await expect(h.adapter.connect({ webhookUrl: WEBHOOK_URL })).resolves.toBeUndefined()
    expect(fake.webhooks).toHaveLength(0)
    expect(fake.callsTo('configuration', 'register_webhook')).toHaveLength(0)
    const warning = h.logs.find((l) => l.startsWith('warn:') && l.includes('webhooks.configuration:rw'))
    expect(warning).toBeDefined()
    for (const expected of [WEBHOOK_URL, 'incoming_chat', 'incoming_event', 'author_type = agent', 'chat_deactivated', 'chat_transferred', 'user_added_to_chat', 'Install App', 'livechat.webhookSecret']) {
      expect(warning).toContain(expected)
    }
    expect(warning).not.toContain(WEBHOOK_SECRET)
    await expect(h.adapter.disconnect({ webhookUrl: WEBHOOK_URL })).resolves.toBeUndefined()
  })

  it('with the webhook scope but not webhooks.state: registers, and says to install the app', async () => {
    fake.options.scopes = FULL_SCOPES.filter((s) => !s.startsWith('webhooks.state'))
    const h = harness(fake)
    await h.adapter.connect({ webhookUrl: WEBHOOK_URL })
    expect(fake.webhooks).toHaveLength(5)
    expect(h.logs.some((l) => l.startsWith('warn:') && l.includes('webhooks.state:rw') && l.includes('Install App'))).toBe(true)
  })

  it('refuses a wrong agent token with a clear message that never shows a token', async () => {
    const wrong = Buffer.from('d24fa41e-bc16-41b8-a15b-9ca45ff7e0cf:dal:not-the-right-pat-123').toString('base64')
    const h = harness(fake, { agentToken: wrong })
    const error = await h.adapter.connect({ webhookUrl: WEBHOOK_URL }).catch((e) => e)
    expect(error).toBeInstanceOf(ConfigurationError)
    expect(error.message).toMatch(/livechat\.agentToken/)
    expect(error.message).toMatch(/authentication/)
    expect(error.message).not.toContain(wrong)
    expect(error.message).not.toContain('not-the-right-pat-123')
    expect(fake.webhooks).toHaveLength(0)
  })

  it('says when the agent token is the raw PAT instead of its Base64 form', async () => {
    const h = harness(fake, { agentToken: `dal:${PAT_SECRET}` })
    const error = await h.adapter.connect({ webhookUrl: WEBHOOK_URL }).catch((e) => e)
    expect(error).toBeInstanceOf(ConfigurationError)
    expect(error.message).toMatch(/Base64/)
    expect(error.message).not.toContain(PAT_SECRET)
  })

  it('fails the save when the webhook URL is not a Redirect URI of the app, saying what to add', async () => {
    fake.options.redirectUris = ['https://webhook.botpress.cloud/some-other-bot']
    const h = harness(fake)
    const error = await h.adapter.connect({ webhookUrl: WEBHOOK_URL }).catch((e) => e)
    expect(error).toBeInstanceOf(ConfigurationError)
    expect(error.message).toContain('unauthorized_client')
    expect(error.message).toContain('Redirect URIs')
    expect(error.message).toContain('Server-side app')
    expect(error.message).toContain('App Authorization')
    expect(error.message).toContain(WEBHOOK_URL)
    expect(fake.customers.size).toBe(0)
  })

  it('says which way to go when the three-webhooks-per-action limit is reached', async () => {
    for (let i = 0; i < 3; i++) fake.seedWebhook({ action: 'chat_transferred', url: `https://old.example.com/${i}` })
    const h = harness(fake)
    const error = await h.adapter.connect({ webhookUrl: WEBHOOK_URL }).catch((e) => e)
    expect(error).toBeInstanceOf(ConfigurationError)
    expect(error.message).toMatch(/limit_reached.*three webhooks per action/)
    // What was registered before the failure is remembered, so that unregister can remove it.
    expect((h.store.data.webhooks as unknown[]).length).toBe(3)
  })
})
