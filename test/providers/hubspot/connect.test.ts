/**
 * register/unregister: the custom channel and the help desk's channel account are reused (never one per save),
 * repointed or updated when needed, created only when missing; a slow channel connection is reported clearly and
 * finished on first use; the help desk id and the app's webhook settings are checked.
 */
import { ConfigurationError, ProviderError } from '../../../src/core/errors'
import { CAPABILITIES } from '../../../src/providers/hubspot/channel'
import { CHANNEL_PATCH_REQUIRED } from './contract'
import { timing } from '../../../src/providers/hubspot/setup'
import { resetCaches } from '../../../src/core/cache'
import { CREDENTIALS } from './fake'
import { contactRef, makeAdapter, memoryStore, resetProcess, transcript, WEBHOOK_ID, WEBHOOK_URL, useHubspotFake } from './harness'

const fake = useHubspotFake()

const activeChannels = () => [...fake.channels.values()].filter((c) => !c.archived)
const activeAccounts = () => [...fake.accounts.values()].filter((a) => !a.archived)

const open = async (adapter: ReturnType<typeof makeAdapter>['adapter'], conversation = 'conv_1') => {
  const contact = await adapter.createContact({ name: 'Ada Lovelace', email: 'ada@example.com' })
  return adapter.openSession({
    botpressConversationId: conversation,
    contact: contactRef(contact.id, { name: 'Ada Lovelace', email: 'ada@example.com' }, contact.data),
    extras: {},
    transcript: transcript(),
  })
}

describe('register', () => {
  it('creates the channel with the documented capabilities and connects the help desk', async () => {
    const { adapter, store } = makeAdapter(fake)
    await adapter.connect({ webhookUrl: WEBHOOK_URL })
    const [channel] = activeChannels()
    expect(channel).toMatchObject({ name: 'Botpress HITL', webhookUrl: WEBHOOK_URL })
    expect(channel!.capabilities).toEqual(CAPABILITIES)
    expect(channel!.capabilities).toMatchObject({
      deliveryIdentifierTypes: expect.arrayContaining(['HS_EMAIL_ADDRESS', 'HS_PHONE_NUMBER']),
      threadingModel: 'INTEGRATION_THREAD_ID',
      allowInlineImages: true,
      allowOutgoingMessages: true,
      outgoingAttachmentTypes: ['FILE'],
      richText: expect.arrayContaining(['HYPERLINK', 'BOLD']),
    })
    const [account] = activeAccounts()
    expect(account).toMatchObject({ channelId: channel!.id, inboxId: CREDENTIALS.helpDeskId, authorized: true })
    expect(store.data).toMatchObject({ webhookUrl: WEBHOOK_URL, channelId: channel!.id, channelAccountId: account!.id, inboxId: CREDENTIALS.helpDeskId })
    // channel calls use the developer key, account calls the OAuth token
    expect(fake.callsOf('createChannel')[0]!.headers.authorization).toBeUndefined()
    expect(fake.callsOf('createAccount')[0]!.query).not.toContain('hapikey')
  })

  it('3 registers → exactly one channel and one account', async () => {
    const { adapter } = makeAdapter(fake)
    for (let i = 0; i < 3; i++) await adapter.connect({ webhookUrl: WEBHOOK_URL })
    expect(activeChannels()).toHaveLength(1)
    expect(activeAccounts()).toHaveLength(1)
    expect(fake.count('createChannel')).toBe(1)
    expect(fake.count('createAccount')).toBe(1)
    expect(fake.count('patchChannel')).toBe(0)
  })

  it('reuses the channel whose webhookUrl is ours and the account of our inbox when the state was lost', async () => {
    await makeAdapter(fake).adapter.connect({ webhookUrl: WEBHOOK_URL })
    resetProcess()
    // a fresh installation state (e.g. reinstalled integration), with other apps' channels around
    fake.channels.set('555', { id: '555', name: 'Other', webhookUrl: 'https://elsewhere.example.com/hook', capabilities: CAPABILITIES, createdAt: new Date().toISOString(), archived: false, hiddenFor: 0 })
    const { adapter, store } = makeAdapter(fake, { store: memoryStore() })
    await adapter.connect({ webhookUrl: WEBHOOK_URL })
    expect(fake.count('createChannel')).toBe(1)
    expect(fake.count('createAccount')).toBe(1)
    expect(activeChannels()).toHaveLength(2)
    expect(store.data.channelId).not.toBe('555')
  })

  it('pages through the app\'s channels to find ours', async () => {
    for (let i = 0; i < 150; i++) {
      const id = String(3000 + i)
      fake.channels.set(id, { id, name: 'Other', webhookUrl: `https://x.example.com/${i}`, capabilities: CAPABILITIES, createdAt: '2025-01-01T00:00:00Z', archived: false, hiddenFor: 0 })
    }
    fake.channels.set('9999', { id: '9999', name: 'Botpress HITL', webhookUrl: WEBHOOK_URL, capabilities: CAPABILITIES, createdAt: '2025-02-01T00:00:00Z', archived: false, hiddenFor: 0 })
    const { adapter, store } = makeAdapter(fake)
    await adapter.connect({ webhookUrl: WEBHOOK_URL })
    expect(fake.count('createChannel')).toBe(0)
    expect(fake.count('listChannels')).toBe(2)
    expect(store.data.channelId).toBe('9999')
  })

  it('repoints a channel of ours whose Botpress webhook host changed, and refreshes outdated capabilities', async () => {
    fake.channels.set('4242', {
      id: '4242',
      name: 'Botpress HITL',
      webhookUrl: `https://old-webhook.botpress.cloud/${WEBHOOK_ID}`,
      capabilities: { deliveryIdentifierTypes: ['CHANNEL_SPECIFIC_OPAQUE_ID'], threadingModel: 'INTEGRATION_THREAD_ID' },
      createdAt: '2025-01-01T00:00:00Z',
      archived: false,
      hiddenFor: 0,
    })
    const { adapter } = makeAdapter(fake)
    await adapter.connect({ webhookUrl: WEBHOOK_URL })
    expect(fake.count('createChannel')).toBe(0)
    expect(fake.count('patchChannel')).toBe(1)
    expect(fake.channels.get('4242')).toMatchObject({ webhookUrl: WEBHOOK_URL, capabilities: CAPABILITIES })
    // Every field HubSpot's PATCH schema requires (PublicChannelIntegrationChannelPatch, HubSpot/hubspot-sdk-typescript
    // src/resources/conversations/custom-channels/custom-channels.ts), checked against the contract by the fake too.
    const body = fake.callsOf('patchChannel')[0]!.body as Record<string, unknown>
    expect(Object.keys(body).sort()).toEqual([...CHANNEL_PATCH_REQUIRED].sort())
    expect(body).toMatchObject({ channelLogoUrl: expect.stringMatching(/^https:\/\//), channelAccountConnectionRedirectUrl: expect.stringMatching(/^https:\/\//) })
    // and a second save has nothing left to update
    resetCaches()
    await makeAdapter(fake).adapter.connect({ webhookUrl: WEBHOOK_URL })
    expect(fake.count('patchChannel')).toBe(1)
  })

  it('re-authorizes our account when it was disabled', async () => {
    const { adapter } = makeAdapter(fake)
    await adapter.connect({ webhookUrl: WEBHOOK_URL })
    activeAccounts()[0]!.authorized = false
    await adapter.connect({ webhookUrl: WEBHOOK_URL })
    expect(activeAccounts()).toHaveLength(1)
    expect(activeAccounts()[0]!.authorized).toBe(true)
  })

  it('a changed help desk gets its own account on the same channel', async () => {
    const store = memoryStore()
    await makeAdapter(fake, { store }).adapter.connect({ webhookUrl: WEBHOOK_URL })
    resetCaches()
    await makeAdapter(fake, { store, config: { helpDeskId: '1431487392' } }).adapter.connect({ webhookUrl: WEBHOOK_URL })
    expect(activeChannels()).toHaveLength(1)
    expect(activeAccounts().map((a) => a.inboxId).sort()).toEqual(['1431487392', '1431487401'])
    expect(store.data.inboxId).toBe('1431487392')
  })
})

describe('slow channel connection', () => {
  it('polls briefly while HubSpot connects a new channel, then connects the help desk', async () => {
    fake.channelLag = 3
    const { adapter, store, logs } = makeAdapter(fake)
    await adapter.connect({ webhookUrl: WEBHOOK_URL })
    expect(activeAccounts()).toHaveLength(1)
    expect(store.data.channelAccountId).toBe(activeAccounts()[0]!.id)
    expect(logs.filter((l) => l.startsWith('warn'))).toEqual([])
  })

  it('says clearly when it takes longer, finishes on first use, and never creates a second channel meanwhile', async () => {
    fake.channelLag = 1000
    timing.connectPollMs = [5, 5]
    const { adapter, store, logs } = makeAdapter(fake)
    await expect(adapter.connect({ webhookUrl: WEBHOOK_URL })).resolves.toBeUndefined()
    expect(logs.join('\n')).toMatch(/HubSpot is still connecting the new custom channel \d+ \(this can take over a minute\)/)
    expect(activeChannels()).toHaveLength(1)
    expect(store.data.channelId).toBe(activeChannels()[0]!.id)
    expect(store.data.channelAccountId).toBeUndefined()

    // saving again while HubSpot is still busy: same channel
    await adapter.connect({ webhookUrl: WEBHOOK_URL })
    expect(fake.count('createChannel')).toBe(1)

    // a hand-off meanwhile: a short wait, then a clear error
    const error = await open(adapter).catch((e) => e)
    expect(error).toBeInstanceOf(ProviderError)
    expect(error.message).toMatch(/has not finished connecting the custom channel \d+ \(created \d+ s ago\).*over a minute/)

    // HubSpot catches up: the next hand-off connects the help desk and goes through
    activeChannels()[0]!.hiddenFor = 0
    const opened = await open(adapter)
    expect(activeAccounts()).toHaveLength(1)
    // The session is the thread HubSpot opened on the account connected just now.
    expect([...fake.threads.values()].filter((t) => t.id === opened.altId).map((t) => t.channelAccountId)).toEqual([activeAccounts()[0]!.id])
    expect(activeChannels()).toHaveLength(1)
  })
})

describe('help desk and credentials', () => {
  it('an unknown help desk id is refused, naming the portal\'s help desk', async () => {
    const { adapter } = makeAdapter(fake, { config: { helpDeskId: '123' } })
    const error = await adapter.connect({ webhookUrl: WEBHOOK_URL }).catch((e) => e)
    expect(error).toBeInstanceOf(ConfigurationError)
    expect(error.message).toMatch(/hubspot\.helpDeskId 123 is not an inbox.*Help desk: 1431487401 \(Help Desk\)/)
    expect(fake.count('createChannel')).toBe(0)
  })

  it('a non-numeric help desk id is refused before any call', async () => {
    const { adapter } = makeAdapter(fake, { config: { helpDeskId: 'Help Desk' } })
    await expect(adapter.connect({ webhookUrl: WEBHOOK_URL })).rejects.toThrow(/numeric id of the help desk/)
    expect(fake.requestCount()).toBe(0)
  })

  it('an inbox that is not the help desk works, with a warning', async () => {
    const { adapter, logs } = makeAdapter(fake, { config: { helpDeskId: '1431487392' } })
    await adapter.connect({ webhookUrl: WEBHOOK_URL })
    expect(logs.join('\n')).toMatch(/is an inbox of type INBOX, not the help desk/)
  })
})

describe('app webhooks', () => {
  it('sets the app\'s target URL when none is set and subscribes to assignment, status and deletion, once', async () => {
    const { adapter } = makeAdapter(fake)
    await adapter.connect({ webhookUrl: WEBHOOK_URL })
    await adapter.connect({ webhookUrl: WEBHOOK_URL })
    expect(fake.webhookSettings?.targetUrl).toBe(WEBHOOK_URL)
    expect(fake.subscriptions.map((s) => [s.eventType, s.propertyName ?? '', s.active])).toEqual([
      ['conversation.propertyChange', 'assignedTo', true],
      ['conversation.propertyChange', 'status', true],
      ['conversation.deletion', '', true],
    ])
    expect(fake.count('createSubscription')).toBe(3)
  })

  it('activates a paused subscription', async () => {
    fake.webhookSettings = { targetUrl: WEBHOOK_URL, throttling: { maxConcurrentRequests: 10 }, createdAt: '2025-01-01T00:00:00Z', updatedAt: '2025-01-01T00:00:00Z' }
    fake.subscriptions.push({ id: '1', eventType: 'conversation.propertyChange', propertyName: 'status', active: false, createdAt: '2025-01-01T00:00:00Z', updatedAt: '2025-01-01T00:00:00Z' })
    await makeAdapter(fake).adapter.connect({ webhookUrl: WEBHOOK_URL })
    expect(fake.subscriptions.find((s) => s.id === '1')!.active).toBe(true)
    expect(fake.count('createSubscription')).toBe(2)
  })

  it('leaves another target URL alone and says why assignment will not arrive', async () => {
    fake.webhookSettings = { targetUrl: 'https://another-bot.example.com/hook', throttling: { maxConcurrentRequests: 10 }, createdAt: '2025-01-01T00:00:00Z', updatedAt: '2025-01-01T00:00:00Z' }
    const { adapter, logs } = makeAdapter(fake)
    await adapter.connect({ webhookUrl: WEBHOOK_URL })
    expect(fake.webhookSettings.targetUrl).toBe('https://another-bot.example.com/hook')
    expect(fake.count('createSubscription')).toBe(0)
    expect(logs.join('\n')).toMatch(/app's webhooks go to https:\/\/another-bot\.example\.com\/hook, not to this bot/)
  })

  it('a failure there is a warning, never a failed register', async () => {
    fake.fail('getWebhookSettings', { status: 403 })
    const { adapter, logs } = makeAdapter(fake)
    await adapter.connect({ webhookUrl: WEBHOOK_URL })
    expect(logs.join('\n')).toMatch(/Could not check the HubSpot app's webhook settings/)
  })
})

describe('unregister', () => {
  it('archives the channel it created (its account goes with it) and forgets the ids; twice is harmless', async () => {
    const { adapter, store } = makeAdapter(fake)
    await adapter.connect({ webhookUrl: WEBHOOK_URL })
    await adapter.disconnect({ webhookUrl: WEBHOOK_URL })
    expect(activeChannels()).toHaveLength(0)
    expect(activeAccounts()).toHaveLength(0)
    expect(store.data.channelId).toBeUndefined()
    await expect(adapter.disconnect({ webhookUrl: WEBHOOK_URL })).resolves.toBeUndefined()
    expect(fake.count('deleteChannel')).toBe(1)
  })

  it('never archives a channel that is not ours', async () => {
    const { adapter, store } = makeAdapter(fake)
    await adapter.connect({ webhookUrl: WEBHOOK_URL })
    activeChannels()[0]!.webhookUrl = 'https://someone-else.example.com/hook'
    await adapter.disconnect({ webhookUrl: WEBHOOK_URL })
    expect(activeChannels()).toHaveLength(1)
    expect(store.data.channelId).toBeUndefined()
  })
})
