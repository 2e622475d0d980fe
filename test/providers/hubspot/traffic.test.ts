/**
 * What reaches Botpress from HubSpot's traffic, through the whole integration (Botpress emulator + msw HubSpot):
 * - app webhooks are app-wide ("conversation.propertyChange" for every thread of every inbox of the portal): those
 *   about threads this integration did not open cost 0 Botpress requests (the thread's `originalChannelId`, from
 *   GET /conversations/v3/conversations/threads/{threadId}, is not our channel; looked up once per thread);
 * - events of another portal (the portal is learnt at register by POST /oauth/2026-03/token/introspect → hub_id)
 *   cost 0 Botpress requests;
 * - a forged or downgraded request costs 0 Botpress and 0 HubSpot requests, warm or cold;
 * - an attachment whose signed URL HubSpot cannot give right now (503, 429) is a 503 (HubSpot redelivers), not a
 *   placeholder; a 404 is permanent and degrades to a placeholder.
 */
import { resetCaches } from '../../../src/core/cache'
import { setHttpClock } from '../../../src/core/http'
import { virtualClock } from '../../reliability/clock'
import { HubspotFake, type Thread } from './fake'
import { useRegisteredHubspotRig } from './harness'

const fake = new HubspotFake()
const rig = useRegisteredHubspotRig(fake)

const alice = { id: 'agent-alice', name: 'Alice Agent' }

/**
 * The adapter throws RetryLaterError; the engine answers it 503 (core contract, src/core/errors.ts). Until the engine
 * maps it, the SDK answers the thrown error with another non-2xx status: either way HubSpot redelivers and nothing is
 * applied. Refusals (401) and successes (2xx) are what must not happen.
 */
const redeliveryAsked = async (req: Parameters<typeof rig.webhook>[0]) => {
  const { status } = await rig.webhook(req)
  return status >= 400 && status !== 401
}

const open = async () => {
  const { userId } = await rig.driver.callAction('createUser', { name: 'Jane Doe', email: 'jane@example.com' })
  const { conversationId } = await rig.driver.callAction('startHitl', { userId, title: 'Help', messageHistory: [] })
  const conversation = rig.conversation(conversationId)
  return { conversationId, sessionId: conversation.tags.externalId as string, threadId: conversation.tags.externalAltId as string }
}

/** A thread of the same portal that another channel (e-mail, chat, another app) opened. */
const foreignThread = (id: string): Thread => {
  const thread: Thread = {
    id,
    integrationThreadId: `other-${id}`,
    channelId: '1000', // HubSpot's own e-mail channel
    channelAccountId: '555',
    inboxId: fake.credentials.helpDeskId,
    status: 'OPEN',
    archived: false,
    createdAt: new Date().toISOString(),
    messages: [],
  }
  fake.threads.set(id, thread)
  return thread
}

const assign = (threadId: string, extra: Record<string, unknown> = {}) =>
  fake.appWebhook([{ ...fake.appEvent(threadId, { subscriptionType: 'conversation.propertyChange', propertyName: 'assignedTo', propertyValue: fake.actorOf(alice).userId }), ...extra }])

it('register learns the portal by token introspection and keeps it', async () => {
  resetCaches()
  await rig.driver.register()
  expect(fake.count('introspect')).toBeGreaterThanOrEqual(1)
  const introspect = fake.callsOf('introspect')[0]!
  expect(introspect.body).toMatchObject({ client_id: fake.credentials.clientId, token_type_hint: 'access_token' })
  expect(fake.count('tokenV1')).toBe(0)
})

it('foreign threads: assignments and closes in other inboxes/channels cost 0 Botpress requests, one HubSpot lookup per thread', async () => {
  await open()
  foreignThread('9100000001')
  const before = rig.requestCount()
  const lookups = fake.count('getThread')
  for (let i = 0; i < 5; i++) {
    const res = await rig.webhook(assign('9100000001'))
    expect(res.status).toBe(200)
    expect(JSON.parse(res.body)).toMatchObject({ events: 0 })
  }
  const close = fake.appWebhook([fake.appEvent('9100000001', { subscriptionType: 'conversation.propertyChange', propertyName: 'status', propertyValue: 'CLOSED' })])
  expect((await rig.webhook(close)).status).toBe(200)
  expect(rig.requestCount()).toBe(before)
  expect(fake.count('getThread') - lookups).toBe(1)
  expect(rig.events('hitlAssigned')).toHaveLength(0)
})

it('our threads still get through (no lookup when this process opened them; one on a cold instance)', async () => {
  resetCaches()
  await rig.driver.register()
  const { threadId, conversationId } = await open()
  const lookups = fake.count('getThread')
  expect((await rig.webhook(assign(threadId))).status).toBe(200)
  expect(rig.events('hitlAssigned')).toHaveLength(1)
  expect(fake.count('getThread')).toBe(lookups)
  resetCaches()
  const close = fake.appWebhook([fake.appEvent(threadId, { subscriptionType: 'conversation.propertyChange', propertyName: 'status', propertyValue: 'CLOSED' })])
  expect((await rig.webhook(close)).status).toBe(200)
  expect(rig.events('hitlStopped').map((e) => e.payload)).toEqual([{ conversationId }])
  expect(fake.count('getThread')).toBe(lookups + 1)
})

it('a transient failure of the ownership lookup asks for a redelivery (RetryLaterError → 503), nothing applied', async () => {
  await open()
  foreignThread('9100000002')
  fake.fail('getThread', { status: 503 }, 10)
  const writes = rig.writeCount()
  expect(await redeliveryAsked(assign('9100000002'))).toBe(true)
  expect(rig.writeCount()).toBe(writes)
})

it('events of another portal cost 0 Botpress requests', async () => {
  const { threadId, sessionId } = await open()
  const before = rig.requestCount()
  const res = await rig.webhook(assign(threadId, { portalId: 1234 }))
  expect(res.status).toBe(200)
  const reply = fake.agentMessage(sessionId, alice, { type: 'text', text: 'hi' })
  const foreign = { ...reply, body: reply.body.replace(`"portalId":${fake.hubId}`, '"portalId":1234') }
  const resigned = fake.signed(foreign.body)
  expect((await rig.webhook(resigned)).status).toBe(200)
  expect(rig.requestCount()).toBe(before)
})

it('forged and downgraded webhooks cost 0 Botpress and 0 HubSpot requests, warm or cold', async () => {
  const { threadId } = await open()
  const captured = assign(threadId)
  const { 'x-hubspot-signature-v3': _s, 'x-hubspot-request-timestamp': _t, ...v1only } = captured.headers
  for (const cold of [false, true]) {
    if (cold) resetCaches()
    const botpress = rig.requestCount()
    const hubspot = fake.requestCount()
    expect((await rig.webhook(fake.forged(captured))).status).toBe(401)
    expect((await rig.webhook({ ...captured, headers: v1only })).status).toBe(401)
    expect(rig.requestCount()).toBe(botpress)
    expect(fake.requestCount()).toBe(hubspot)
  }
  expect(rig.events('hitlAssigned')).toHaveLength(0)
})

describe('agent attachments without a URL (signed URL from the Files API)', () => {
  // A 429 is waited out within the rate-limit budget before the webhook gives up: on a virtual clock, never for real.
  beforeEach(() => setHttpClock(virtualClock()))
  afterEach(() => setHttpClock())
  const withFile = (sessionId: string, fileId: string) => {
    const reply = fake.agentMessage(sessionId, alice, { type: 'file', url: 'https://example.com/files/contract.pdf', title: 'contract.pdf' })
    const body = JSON.parse(reply.body)
    body.message.attachments = [{ type: 'FILE', fileId, fileUsageType: 'OTHER', name: 'contract.pdf' }]
    return fake.signed(JSON.stringify(body))
  }

  it.each([503, 429])('a %s while signing the URL asks for a redelivery (RetryLaterError → 503), nothing posted; the redelivery posts the file', async (status) => {
    const { sessionId, conversationId } = await open()
    const fileId = '184467440901'
    fake.files.set(fileId, { id: fileId, name: 'contract', extension: 'pdf', mime: 'application/pdf', size: 3, access: 'PRIVATE', path: '/x/contract.pdf', url: 'https://1.fs1.hubspotusercontent-na1.net/contract.pdf', createdAt: '' })
    fake.fail('signedUrl', { status }, 10)
    const req = withFile(sessionId, fileId)
    expect(await redeliveryAsked(req)).toBe(true)
    expect(rig.messagesOf(conversationId).filter((m) => m.type === 'file')).toHaveLength(0)
    fake.clearFaults()
    expect((await rig.webhook(req)).status).toBe(200)
    expect(rig.messagesOf(conversationId).filter((m) => m.type === 'file')).toHaveLength(1)
  })

  it('a 404 is permanent: the agent message says the attachment could not be retrieved', async () => {
    const { sessionId, conversationId } = await open()
    expect((await rig.webhook(withFile(sessionId, '184467440999999'))).status).toBe(200)
    const texts = rig.messagesOf(conversationId).map((m) => m.payload.text)
    expect(texts).toContain('[Attachment: contract.pdf could not be retrieved from HubSpot]')
  })
})
