/** register / unregister against the fake app: what exists in Sunshine Conversations afterwards, and what the store keeps. */
import { ConfigurationError } from '../../../src/core/errors'
import { describeError } from '../../../src/providers/zendesk/api'
import { integrationName, switchboardName } from '../../../src/providers/zendesk/setup'
import { ZendeskFake } from './fake'
import { makeAdapter, memoryStore, WEBHOOK_URL } from './harness'

const fake = new ZendeskFake()
beforeAll(() => fake.start())
afterAll(() => fake.stop())
beforeEach(() => fake.wipe({ preRegistered: false }))
afterEach(() => {
  expect(fake.violations()).toEqual([])
  expect(fake.foreign).toEqual([])
})

const ours = () => [...fake.integrations.values()].filter((i) => i.type === 'custom')
const writes = () => fake.calls.filter((c) => c.method !== 'GET')

describe('register', () => {
  it('three saves → one custom integration, one webhook with our triggers, one switchboard integration; the secret kept', async () => {
    const store = memoryStore()
    const before = { ...fake.switchboardIntegrations.get(fake.agentWorkspace().id)! }
    for (let i = 0; i < 3; i++) await makeAdapter(fake, { store }).adapter.connect({ webhookUrl: WEBHOOK_URL })
    expect(ours()).toHaveLength(1)
    const [integration] = ours()
    expect(integration!.displayName).toBe(integrationName(fake.section()))
    expect(integration!.webhooks).toHaveLength(1)
    const [hook] = integration!.webhooks
    expect(hook!.target).toBe(WEBHOOK_URL)
    expect(hook!.triggers.sort()).toEqual(['conversation:message', 'switchboard:passControl', 'switchboard:releaseControl'])
    const linked = [...fake.switchboardIntegrations.values()].filter((s) => s.integrationId === integration!.id)
    expect(linked).toHaveLength(1)
    expect(linked[0]).toMatchObject({ name: switchboardName(fake.section()), deliverStandbyEvents: false })
    expect(fake.callsTo('CreateIntegration')).toHaveLength(1)
    expect(fake.callsTo('CreateSwitchboardIntegration')).toHaveLength(1)
    expect(fake.callsTo('UpdateWebhook')).toHaveLength(0)
    // Nothing of the account changed: the Web Widget, the agent workspace, the AI agent, the switchboard default.
    expect([...fake.integrations.values()].filter((i) => i.type === 'web')).toHaveLength(1)
    expect(fake.switchboardIntegrations.get(fake.agentWorkspace().id)).toEqual(before)
    expect(fake.callsTo('UpdateSwitchboard')).toHaveLength(0)
    expect(store.data).toMatchObject({
      integrationId: integration!.id,
      webhookId: hook!.id,
      webhookSecret: hook!.secret,
      switchboardIntegrationId: linked[0]!.id,
      agentWorkspaceId: fake.agentWorkspace().id,
    })
  })

  it('every request carries the key as HTTP Basic; the secret is registered for redaction and never logged', async () => {
    const { adapter, added, logs } = makeAdapter(fake)
    await adapter.connect({ webhookUrl: WEBHOOK_URL })
    const secret = ours()[0]!.webhooks[0]!.secret
    expect(added).toContain(secret)
    expect(logs.join('\n')).not.toContain(secret)
    expect(new Set(fake.calls.map((c) => c.headers.authorization))).toEqual(new Set([`Basic ${Buffer.from(`${fake.section().keyId}:${fake.section().keySecret}`).toString('base64')}`]))
    expect(fake.calls.every((c) => c.path.startsWith(`/sc/v2/apps/${fake.section().appId}`))).toBe(true)
  })

  it('a wrong key names zendesk.keyId and zendesk.keySecret and creates nothing', async () => {
    const { adapter, store } = makeAdapter(fake, { config: { keySecret: 'not-the-secret' } })
    const error = await adapter.connect({ webhookUrl: WEBHOOK_URL }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ConfigurationError)
    expect((error as Error).message).toMatch(/zendesk\.keyId/)
    expect((error as Error).message).toMatch(/zendesk\.keySecret/)
    expect((error as Error).message).not.toContain('not-the-secret')
    expect(writes()).toHaveLength(0)
    expect(ours()).toHaveLength(0)
    expect(store.data).toEqual({})
  })

  it('a wrong app id names zendesk.appId and creates nothing', async () => {
    const { adapter } = makeAdapter(fake, { config: { appId: 'someoneelse0000' } })
    await expect(adapter.connect({ webhookUrl: WEBHOOK_URL })).rejects.toThrow(/zendesk\.appId/)
    expect(writes()).toHaveLength(0)
  })

  it('an account without the agent workspace in its switchboard is refused before anything is created', async () => {
    fake.switchboardIntegrations.delete(fake.agentWorkspace().id)
    const { adapter } = makeAdapter(fake)
    await expect(adapter.connect({ webhookUrl: WEBHOOK_URL })).rejects.toThrow(/agent workspace/)
    expect(writes()).toHaveLength(0)
  })

  it('apiBaseUrl replaces https://<subdomain>.zendesk.com/sc as a whole', async () => {
    const { adapter } = makeAdapter(fake, { config: { subdomain: 'other', apiBaseUrl: 'https://acme.zendesk.com/sc/' } })
    await adapter.connect({ webhookUrl: WEBHOOK_URL })
    expect(fake.calls[0]!.path).toBe(`/sc/v2/apps/${fake.section().appId}`)
    expect(ours()).toHaveLength(1)
  })

  it('an integration an earlier save made (store lost) is reused: its webhook follows the new URL, its secret is kept', async () => {
    fake.wipe()
    const earlier = ours()[0]!
    const { adapter, store } = makeAdapter(fake)
    await adapter.connect({ webhookUrl: WEBHOOK_URL })
    expect(ours()).toEqual([earlier])
    expect(earlier.webhooks[0]!.target).toBe(WEBHOOK_URL)
    expect(fake.callsTo('CreateIntegration')).toHaveLength(0)
    expect(fake.callsTo('CreateSwitchboardIntegration')).toHaveLength(0)
    expect(store.data.webhookSecret).toBe(earlier.webhooks[0]!.secret)
  })
})

it('finds its integration on a later page of a long list (cursor pagination)', async () => {
  const store = memoryStore()
  await makeAdapter(fake, { store }).adapter.connect({ webhookUrl: WEBHOOK_URL })
  const mine = ours()[0]!
  // Others created after ours push it off the first page of a small page size.
  fake.integrations.delete(mine.id)
  for (let i = 0; i < 5; i++) fake.addIntegration(`CRM ${i}`, `https://crm.example.com/${i}`, ['conversation:message'])
  fake.integrations.set(mine.id, mine)
  fake.pageSize = 2
  await makeAdapter(fake, { store: memoryStore() }).adapter.connect({ webhookUrl: WEBHOOK_URL })
  expect(ours().filter((i) => i.displayName === mine.displayName)).toHaveLength(1)
  expect(fake.callsTo('CreateIntegration')).toHaveLength(1)
})

describe('unregister', () => {
  it('removes our switchboard integration and our custom integration, nothing else', async () => {
    const store = memoryStore()
    await makeAdapter(fake, { store }).adapter.connect({ webhookUrl: WEBHOOK_URL })
    const others = [...fake.switchboardIntegrations.values()].filter((s) => s.integrationType !== 'custom')
    await makeAdapter(fake, { store }).adapter.disconnect({ webhookUrl: WEBHOOK_URL })
    expect(ours()).toHaveLength(0)
    expect([...fake.switchboardIntegrations.values()]).toEqual(others)
    expect([...fake.integrations.values()].map((i) => i.type)).toEqual(['web'])
    expect(store.data).toEqual({})
    expect(fake.registrations()).toBe(0)
  })
})

it("Sunco's error titles reach the bot builder with any e-mail address masked", () => {
  expect(describeError({ errors: [{ code: 'bad_request', title: 'Invalid profile for jane.doe@example.com' }] })).toBe('bad_request: Invalid profile for j***@example.com')
  expect(describeError({ errors: [{ code: 'unauthorized', title: 'Authorization is required' }] })).toBe('unauthorized: Authorization is required')
})
