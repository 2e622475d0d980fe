/**
 * Intercom notifications shaped like captured ones (./fixtures.ts cites the captures), through the adapter and
 * through the whole integration (Botpress runtime emulator): plain-text and HTML bodies, every public admin part
 * delivered once whatever its part_type, notes never, quick replies readable, workspace scoping, event times,
 * transient failures answered 503.
 */
import { resetCaches } from '../../../src/core/cache'
import { RetryLaterError } from '../../../src/core/errors'
import type { InboundEvent, WebhookRequest } from '../../../src/core/types'
import { maskEmailsIn } from '../../../src/core/log'
import { useFakeRig } from '../../support/rig'
import { IntercomFake, ME } from './fake'
import {
  asRequest,
  CAPTURED_CONVERSATION,
  CAPTURED_WORKSPACE,
  capturedAssigned,
  capturedClosed,
  capturedNoted,
  capturedReplied,
  OTHER_WORKSPACE,
  openWithBody,
  PLAIN_REPLY,
  quickReply,
  replied215,
  replyAndAssign,
  workspacePair,
} from './fixtures'
import { makeAdapter } from './harness'

const session = { id: CAPTURED_CONVERSATION }
type Json = Record<string, any>

describe('captured notifications → events (adapter)', () => {
  const fake = new IntercomFake({ workspace: CAPTURED_WORKSPACE })
  beforeAll(() => fake.start())
  afterAll(() => fake.stop())
  beforeEach(() => fake.reset())
  afterEach(() => expect(fake.violations()).toEqual([]))
  const parse = (body: Json) => makeAdapter().adapter.parseWebhook(asRequest(body))

  it('replied (captured, HTML): the `open` part with a body is the agent reply, timed by the part', async () => {
    expect((await parse(capturedReplied())).events).toEqual([
      { kind: 'agentMessage', session, messageId: '6073780765', agent: { id: '3330619', name: 'Andy' }, messages: [{ type: 'text', text: 'hi Bob' }], at: 1596635049000 },
    ])
  })

  it('assigned (captured): the admin who took the conversation, with the time of the assignment', async () => {
    expect((await parse(capturedAssigned())).events).toEqual([{ kind: 'agentAssigned', session, agent: { id: '3330619', name: 'Andy' }, at: 1596635008000 }])
  })

  it('noted (captured): nothing reaches the user, even when delivered under a topic we handle', async () => {
    expect((await parse(capturedNoted())).events).toEqual([])
    const asReply = { ...capturedNoted(), topic: 'conversation.admin.replied' }
    const parsed = await parse(asReply)
    expect(parsed.events).toEqual([])
    expect(parsed.skipped).toEqual(['internal note 6073788584'])
  })

  it('closed (captured): the session ends at the time of the close part', async () => {
    expect((await parse(capturedClosed())).events).toEqual([{ kind: 'sessionClosed', session, at: 1596635368000 }])
  })

  it('a notification without part times is timed by the notification', async () => {
    const body: Json = capturedClosed()
    body.data.item.conversation_parts.conversation_parts = []
    expect((await parse(body)).events).toEqual([{ kind: 'sessionClosed', session, at: 1596635370000 }])
  })

  it('2.15 plain-text bodies are kept as written: line breaks, <SAVE10>, &amp; and < as typed', async () => {
    const [event] = (await parse(replied215())).events
    expect(event).toMatchObject({ kind: 'agentMessage', messageId: '7100000001', messages: [{ type: 'text', text: PLAIN_REPLY }], at: 1717000100000 })
  })

  it.each([
    ['<b>bold</b> is how I write it', '<b>bold</b> is how I write it'],
    ['<SAVE10>', '<SAVE10>'],
    ['<3 thanks!\n<', '<3 thanks!\n<'],
    ['Tom & Jerry &lt;3', 'Tom & Jerry &lt;3'],
    ['<p>Composer</p><p>HTML</p>', 'Composer\nHTML'],
    ['<div class="intercom-container"><ul><li><p>Print the label</p></li><li><p>Drop it off</p></li></ul></div>', '- Print the label\n- Drop it off'],
  ])('plain text or HTML, told apart per body: %j', async (body, text) => {
    const [event] = (await parse(replied215(body))).events as Array<Extract<InboundEvent, { kind: 'agentMessage' }>>
    expect(event!.messages).toEqual([{ type: 'text', text }])
  })

  it('reply-and-assign: the assignment part with a body is the reply under both topics (same part id) and the assignment is reported', async () => {
    const [replied, assigned] = replyAndAssign()
    const a = (await parse(replied)).events
    const b = (await parse(assigned)).events
    const message = { kind: 'agentMessage', session, messageId: '7100000002', agent: { id: '3330619', name: 'Andy' }, messages: [{ type: 'text', text: 'I will take care of your refund.' }], at: 1717000200000 }
    expect(a).toEqual([message])
    expect(b).toEqual([{ kind: 'agentAssigned', session, agent: { id: '3330619', name: 'Andy' }, at: 1717000200000 }, message])
  })

  it('an `open` part with a body is a reply', async () => {
    expect((await parse(openWithBody())).events).toMatchObject([{ kind: 'agentMessage', messageId: '7100000003', messages: [{ type: 'text', text: 'Reopening: your parcel has arrived.' }] }])
  })

  it('a quick reply is delivered readably: the text, then the options', async () => {
    expect((await parse(quickReply())).events).toMatchObject([
      { kind: 'agentMessage', messageId: '7100000004', messages: [{ type: 'text', text: 'Did that solve it?\n- Yes, thanks\n- No' }] },
    ])
  })

  it('a notification of another workspace is ignored; the workspace is learned once (GET /me) per warm instance', async () => {
    const { adapter } = makeAdapter()
    const [ours, theirs] = workspacePair()
    expect((await adapter.parseWebhook(asRequest(ours))).events).toHaveLength(1)
    const foreign = await adapter.parseWebhook(asRequest(theirs))
    expect(foreign.events).toEqual([])
    expect(foreign.skipped).toEqual([`notification of another workspace (${OTHER_WORKSPACE})`])
    expect(fake.callsTo('identifyAdmin')).toHaveLength(1)
  })

  it('ping and topics we do not handle cost no request at all', async () => {
    const { adapter } = makeAdapter()
    await adapter.parseWebhook(asRequest({ ...capturedNoted(), app_id: OTHER_WORKSPACE }))
    await adapter.parseWebhook(fake.notification('ping', { type: 'ping', message: 'Hi there!' }))
    expect(fake.calls).toEqual([])
  })

  it('a notification without app_id is malformed (400), not delivered unscoped', async () => {
    const { app_id: _, ...body } = replied215()
    await expect(makeAdapter().adapter.parseWebhook(asRequest(body))).rejects.toThrow(/app_id/)
  })

  it('cold instance: GET /me failing transiently (and nothing stored) → 503 and no event, so Intercom delivers again', async () => {
    const down = { status: 503, body: { type: 'error.list', errors: [{ code: 'service_unavailable', message: 'Try later' }] } }
    fake.inject('identifyAdmin', down, down, down)
    const parsed = await makeAdapter().adapter.parseWebhook(asRequest(replied215()))
    expect(parsed.events).toEqual([])
    expect(parsed.reply?.status).toBe(503)
  })

  it('cold instance with GET /me down: the workspace register stored still scopes the notification', async () => {
    fake.inject('identifyAdmin', { status: 503 }, { status: 503 }, { status: 503 })
    const { adapter } = makeAdapter({}, { store: { adminId: ME.id, workspaceId: CAPTURED_WORKSPACE } })
    expect((await adapter.parseWebhook(asRequest(workspacePair()[1]))).events).toEqual([])
    expect((await adapter.parseWebhook(asRequest(workspacePair()[0]))).events).toHaveLength(1)
  })

  it('describeAgent: a 503 is transient (RetryLaterError, never a nameless placeholder); an unknown admin is just its id', async () => {
    const down = { status: 503, body: { type: 'error.list', errors: [{ code: 'service_unavailable', message: 'Try later' }] } }
    fake.inject('retrieveAdmin', down, down, down)
    const { adapter } = makeAdapter()
    await expect(adapter.describeAgent!('3330619')).rejects.toBeInstanceOf(RetryLaterError)
    expect(await adapter.describeAgent!('7999')).toEqual({ id: '7999' })
  })
})

describe('notifications through the integration (Botpress emulator)', () => {
  const fake = new IntercomFake({ workspace: CAPTURED_WORKSPACE })
  const rig = useFakeRig(fake, { reset: true, strict: true })
  beforeEach(() => resetCaches())

  const openSession = async () => {
    const { userId } = await rig.driver.callAction('createUser', { name: 'Bob Dylan', email: 'bob@example.com' })
    const { conversationId } = await rig.driver.callAction('startHitl', { userId, title: 'Refund', messageHistory: [] })
    return { conversationId, sessionId: rig.conversation(conversationId).tags.externalId as string }
  }
  /** The fixture retargeted at the session the rig opened, signed again. */
  const forSession = (body: Json, sessionId: string): WebhookRequest => {
    const copy = JSON.parse(JSON.stringify(body))
    copy.data.item.id = sessionId
    return asRequest(copy)
  }
  const agentMessages = (conversationId: string) => rig.messagesOf(conversationId).filter((m: Json) => m.userId !== rig.botUserId)

  it('reply-and-assign under both topics: one message, one hitlAssigned, with the agent', async () => {
    const { conversationId, sessionId } = await openSession()
    const [replied, assigned] = replyAndAssign()
    expect((await rig.webhook(forSession(replied, sessionId))).status).toBe(200)
    expect((await rig.webhook(forSession(assigned, sessionId))).status).toBe(200)
    expect((await rig.webhook(forSession(replied, sessionId))).status).toBe(200)
    const messages = agentMessages(conversationId)
    expect(messages).toHaveLength(1)
    expect(messages[0].payload.text).toBe('I will take care of your refund.')
    expect(rig.events('hitlAssigned')).toHaveLength(1)
  })

  it('a quick reply and a plain-text reply reach the user as written', async () => {
    const { conversationId, sessionId } = await openSession()
    await rig.webhook(forSession(replied215(), sessionId))
    await rig.webhook(forSession(quickReply(), sessionId))
    expect(agentMessages(conversationId).map((m: Json) => m.payload.text)).toEqual([PLAIN_REPLY, 'Did that solve it?\n- Yes, thanks\n- No'])
  })

  it('a signed notification of another workspace: 200, 0 Botpress requests, even on a cold instance', async () => {
    const { conversationId, sessionId } = await openSession()
    const [ours, theirs] = workspacePair()
    resetCaches()
    const before = rig.requestCount()
    const reply = await rig.webhook(forSession(theirs, sessionId))
    expect(reply.status).toBe(200)
    expect(rig.requestCount()).toBe(before)
    expect(agentMessages(conversationId)).toHaveLength(0)
    await rig.webhook(forSession(ours, sessionId))
    expect(agentMessages(conversationId).map((m: Json) => m.payload.text)).toEqual(['Message for a customer of workspace A'])
  })

  it('cold instance, Intercom unavailable to tell the workspace: 5xx so that Intercom delivers again; then applied once', async () => {
    const { conversationId, sessionId } = await openSession()
    resetCaches()
    fake.inject('identifyAdmin', { status: 503 })
    process.env.HITL_HTTP_RETRIES = '0'
    try {
      const req = forSession(replied215(), sessionId)
      expect((await rig.webhook(req)).status).toBeGreaterThanOrEqual(500)
      expect(agentMessages(conversationId)).toHaveLength(0)
      expect((await rig.webhook(req)).status).toBe(200)
      expect((await rig.webhook(req)).status).toBe(200)
      expect(agentMessages(conversationId)).toHaveLength(1)
    } finally {
      delete process.env.HITL_HTTP_RETRIES
    }
  })

  it('a forged notification: 401 with 0 Botpress and 0 Intercom requests on a cold instance', async () => {
    const { sessionId } = await openSession()
    resetCaches()
    const before = rig.requestCount()
    const intercomBefore = fake.requestCount()
    const req = forSession(replied215(), sessionId)
    expect((await rig.webhook(fake.forged(req))).status).toBe(401)
    expect(rig.requestCount()).toBe(before)
    expect(fake.requestCount()).toBe(intercomBefore)
  })

  it('an unknown agent whose description fails transiently: 5xx, no placeholder; the redelivery creates the message with the name', async () => {
    const { conversationId, sessionId } = await openSession()
    const body: Json = replied215('Hello from a new agent', '7100000099')
    const p = body.data.item.conversation_parts.conversation_parts[0]
    p.author = { type: 'admin', id: ME.id, name: null }
    const down = { status: 503, body: { type: 'error.list', errors: [{ code: 'service_unavailable', message: 'Try later' }] } }
    fake.inject('retrieveAdmin', down)
    const req = forSession(body, sessionId)
    // No retry inside the request (no real waiting here): the provider's redelivery is the retry.
    process.env.HITL_HTTP_RETRIES = '0'
    try {
      expect((await rig.webhook(req)).status).toBeGreaterThanOrEqual(500)
      expect(agentMessages(conversationId)).toHaveLength(0)
      expect((await rig.webhook(req)).status).toBe(200)
    } finally {
      delete process.env.HITL_HTTP_RETRIES
    }
    const [message] = agentMessages(conversationId)
    expect(rig.user(message.userId).name).toBe(ME.name)
  })
})

describe('nothing personal in errors', () => {
  it('e-mail addresses in Intercom error texts are masked', () => {
    expect(maskEmailsIn('A contact with email jane.doe@example.com already exists (x@y.io)')).toBe(
      'A contact with email j***@example.com already exists (x***@y.io)'
    )
    expect(maskEmailsIn('no address @ here, nor a@')).toBe('no address @ here, nor a@')
  })

  it('an Intercom refusal naming the address does not carry it into the error', async () => {
    const fake = new IntercomFake()
    await fake.start()
    try {
      fake.inject('SearchContacts', { status: 400, body: { type: 'error.list', errors: [{ code: 'parameter_invalid', message: 'Invalid email jane.doe@example.com' }] } })
      const error = await makeAdapter()
        .adapter.createContact({ name: 'Jane', email: 'jane.doe@example.com' })
        .catch((e: Error) => e)
      expect(String(error)).toMatch(/j\*\*\*@example\.com/)
      expect(String(error)).not.toMatch(/jane\.doe@/)
    } finally {
      await fake.stop()
    }
  })
})
