/**
 * Issue 17 through the whole integration (Botpress runtime emulator + the core engine), with webhooks shaped as
 * LiveChat documents them (platform.text.com/docs/management/webhooks, v3.6):
 * - `incoming_chat` (the webhook of Start Chat / Resume Chat, "the whole chat data structure") reports the agent the
 *   router gave the chat to; later joins and transfers keep being reported;
 * - an agent who writes without joining (`user_added_to_chat` with `user.present: false`) is not an assignment;
 * - `chat_transferred` of an archived chat has no `thread_id` ("present if the chat is active") and reaches no session;
 * - chats Botpress did not start are filtered at registration (`only_my_chats`, Configuration API v3.6 § Register
 *   Webhook) and, when they arrive anyway, recognized from their chat properties (`source.client_id`, default
 *   properties § source): 200 at zero Botpress cost, also while a hand-off is opening.
 */
import { http, HttpResponse } from 'msw'
import type { WebhookRequest } from '../../../src/core/types'
import { parseWebhook } from '../../../src/providers/livechat/webhook'
import { useFakeRig } from '../../support/rig'
import { API, CLIENT_ID, LivechatFake, ORG_ID, WEBHOOK_SECRET, WIDGET_CLIENT_ID } from './fake'

const fake = new LivechatFake()
const rig = useFakeRig(fake, { reset: true, strict: true })

const alice = { id: 'alice@example.com', name: 'Alice Agent', pictureUrl: 'https://cdn.livechat-files.com/api/file/avatar-alice.png' }
const bob = { id: 'bob@example.com', name: 'Bob Agent' }
const carol = { id: 'carol@example.com', name: 'Carol Agent' }

const deliver = (req: WebhookRequest) => rig.webhook(req)

const open = async () => {
  const { userId } = await rig.driver.callAction('createUser', { name: 'Jane Doe', email: 'jane@example.com' })
  const { conversationId } = await rig.driver.callAction('startHitl', { userId, title: 'Help', messageHistory: [] })
  return { userId, conversationId, chatId: rig.conversation(conversationId).tags.externalId as string }
}
const assignedNames = () => rig.events('hitlAssigned').map((e) => rig.user(e.payload.userId).name)

describe('the routed agent and later assignments', () => {
  it('incoming_chat with an agent present → hitlAssigned with that agent; a later join and a transfer are reported too', async () => {
    const { conversationId, chatId } = await open()
    expect((await deliver(fake.incomingChat(chatId, alice))).status).toBe(200)
    const [first] = rig.events('hitlAssigned')
    expect(first!.payload.conversationId).toBe(conversationId)
    expect(rig.user(first!.payload.userId)).toMatchObject({ name: alice.name, pictureUrl: alice.pictureUrl })

    expect((await deliver(fake.agentAssigned(chatId, bob))).status).toBe(200)
    fake.addAgent(carol)
    expect((await deliver(fake.transferred(chatId, { agentIds: [carol.id] }))).status).toBe(200)
    expect(assignedNames()).toEqual([alice.name, bob.name, carol.name])
  })

  it('the same agent reported by incoming_chat and then user_added_to_chat is one assignment', async () => {
    const { chatId } = await open()
    await deliver(fake.incomingChat(chatId, alice))
    await deliver(fake.agentAssigned(chatId, alice))
    expect(assignedNames()).toEqual([alice.name])
  })

  it('incoming_chat of a queued chat (no agent yet), or with an agent not present → nothing', async () => {
    const { chatId } = await open()
    const before = rig.writeCount()
    expect((await deliver(fake.incomingChat(chatId))).status).toBe(200)
    expect((await deliver(fake.incomingChat(chatId, alice, { present: false }))).status).toBe(200)
    expect(rig.events('hitlAssigned')).toHaveLength(0)
    expect(rig.writeCount()).toBe(before)
  })

  it('an agent who writes without joining (user_added_to_chat, present: false) is not an assignment; joining later is', async () => {
    const { chatId } = await open()
    const writes = fake.agentAssigned(chatId, alice, { present: false })
    expect(JSON.parse(writes.body).payload.user.present).toBe(false)
    expect((await deliver(writes)).status).toBe(200)
    expect(rig.events('hitlAssigned')).toHaveLength(0)
    await deliver(fake.agentAssigned(chatId, alice))
    expect(assignedNames()).toEqual([alice.name])
  })
})

describe('transient versus permanent while applying a webhook', () => {
  it('get_agent failing with 503 → the transfer is answered 503 (redelivered), then applied with the agent\'s name', async () => {
    const { chatId } = await open()
    fake.addAgent(carol)
    fake.inject('configuration get_agent', { status: 503 })
    const transfer = fake.transferred(chatId, { agentIds: [carol.id] })
    // No retries inside the request (and no real waiting): the webhook answer itself must say "retry later".
    process.env.HITL_HTTP_RETRIES = '0'
    try {
      expect((await deliver(transfer)).status).toBe(503)
    } finally {
      delete process.env.HITL_HTTP_RETRIES
    }
    expect(rig.events('hitlAssigned')).toHaveLength(0)
    expect((await deliver(transfer)).status).toBe(200)
    expect(assignedNames()).toEqual([carol.name])
  })

  it('get_agent refusing the agent (not_found, documented by the Configuration API) degrades to the id', async () => {
    const { chatId } = await open()
    expect((await deliver(fake.transferred(chatId, { agentIds: ['ghost@example.com'] }))).status).toBe(200)
    expect(assignedNames()).toEqual(['ghost@example.com'])
  })
})

/**
 * `user_added_to_chat` and `chat_transferred` carry no event time and their only proof is the static `secret_key`
 * (Webhooks v3.6), so each is confirmed with Agent Chat API v3.6 `get_chat` (the chat's `users` with `present`, the
 * thread's `active`) before it is reported.
 */
describe('replays of untimed assignments', () => {
  it('user_added_to_chat for Alice replayed after the transfer to Bob → 200, ignored: the session stays with Bob', async () => {
    const { conversationId, chatId } = await open()
    const toAlice = fake.agentAssigned(chatId, alice)
    expect((await deliver(toAlice)).status).toBe(200)
    fake.addAgent(bob)
    expect((await deliver(fake.transferred(chatId, { agentIds: [bob.id] }))).status).toBe(200)
    const checks = fake.callsTo('agent', 'get_chat').length
    const writes = rig.writeCount()
    expect((await deliver(toAlice)).status).toBe(200)
    expect(fake.callsTo('agent', 'get_chat').length).toBe(checks + 1)
    expect(fake.callsTo('agent', 'get_chat').at(-1)!.body).toEqual({ chat_id: chatId, thread_id: expect.any(String) })
    expect(rig.writeCount()).toBe(writes)
    expect(assignedNames()).toEqual([alice.name, bob.name])
    const bobUser = rig.users().find((u) => u.name === bob.name && u.tags?.kind === 'agent')
    expect(rig.conversation(conversationId).tags.agentId).toBe(bobUser.tags.externalId)
  })

  it('a chat_transferred to Alice replayed after a later transfer to Bob is ignored too', async () => {
    const { chatId } = await open()
    fake.addAgent(alice)
    fake.addAgent(bob)
    const toAlice = fake.transferred(chatId, { agentIds: [alice.id] })
    expect((await deliver(toAlice)).status).toBe(200)
    expect((await deliver(fake.transferred(chatId, { agentIds: [bob.id] }))).status).toBe(200)
    expect((await deliver(toAlice)).status).toBe(200)
    expect(assignedNames()).toEqual([alice.name, bob.name])
  })

  it('get_chat failing with 503 → the webhook is answered 503 (redelivered), then applied', async () => {
    const { chatId } = await open()
    fake.inject('agent get_chat', { status: 503, body: { error: { type: 'service_unavailable', message: 'injected' } } })
    const join = fake.agentAssigned(chatId, alice)
    process.env.HITL_HTTP_RETRIES = '0'
    try {
      expect((await deliver(join)).status).toBe(503)
    } finally {
      delete process.env.HITL_HTTP_RETRIES
    }
    expect(rig.events('hitlAssigned')).toHaveLength(0)
    expect((await deliver(join)).status).toBe(200)
    expect(assignedNames()).toEqual([alice.name])
  })

  it('get_chat refused (not_found, Agent Chat API v3.6 § Possible errors) → 200, the assignment is ignored', async () => {
    const { chatId } = await open()
    fake.inject('agent get_chat', { status: 404, body: { error: { type: 'not_found', message: 'Chat not found' } } })
    const writes = rig.writeCount()
    expect((await deliver(fake.agentAssigned(chatId, alice))).status).toBe(200)
    expect(rig.writeCount()).toBe(writes)
    expect(rig.events('hitlAssigned')).toHaveLength(0)
  })

  it('an assignment whose chat properties do not name the app is not confirmed: no get_chat, no Botpress request', async () => {
    const { chatId } = await open()
    const bare = (req: WebhookRequest): WebhookRequest => ({ ...req, body: JSON.stringify({ ...JSON.parse(req.body), additional_data: {} }) })
    const before = rig.requestCount()
    expect((await deliver(bare(fake.agentAssigned(chatId, alice)))).status).toBe(200)
    expect((await deliver(bare(fake.transferred(chatId, { agentIds: [alice.id] })))).status).toBe(200)
    expect(rig.requestCount()).toBe(before)
    expect(fake.callsTo('agent', 'get_chat')).toHaveLength(0)
    expect(rig.events('hitlAssigned')).toHaveLength(0)
  })

  it('a foreign chat\'s assignment costs no get_chat', async () => {
    const foreign = fake.foreignChat()
    fake.addAgent(carol)
    expect((await deliver(fake.agentAssigned(foreign, alice))).status).toBe(200)
    expect((await deliver(fake.transferred(foreign, { agentIds: [carol.id] }))).status).toBe(200)
    expect(fake.callsTo('agent', 'get_chat')).toHaveLength(0)
  })
})

describe('archived chats', () => {
  it('chat_transferred of an archived chat (no thread_id) never assigns the closed session, nor a later one', async () => {
    const first = await open()
    await deliver(fake.sessionClosed(first.chatId))
    expect(rig.conversation(first.conversationId).tags.status).toBe('closed')
    const transfer = fake.transferred(first.chatId, { agentIds: [alice.id] })
    expect(JSON.parse(transfer.body).payload.thread_id).toBeUndefined()
    const before = rig.requestCount()
    expect((await deliver(transfer)).status).toBe(200)
    expect(rig.requestCount()).toBe(before)
    expect(rig.events('hitlAssigned')).toHaveLength(0)

    // A later hand-off of the same user continues the chat in a new thread: the old transfer, redelivered, still reaches nothing.
    const { conversationId } = await rig.driver.callAction('startHitl', { userId: first.userId, title: 'Again', messageHistory: [] })
    expect(rig.conversation(conversationId).tags.externalId).toBe(first.chatId)
    expect((await deliver(transfer)).status).toBe(200)
    expect(rig.events('hitlAssigned')).toHaveLength(0)
  })
})

describe('chats Botpress did not start', () => {
  it('register asks LiveChat to deliver only our chats: a website chat is not delivered, ours is', async () => {
    await rig.driver.register()
    const { chatId } = await open()
    const foreign = fake.foreignChat()
    for (const action of ['incoming_chat', 'incoming_event', 'user_added_to_chat', 'chat_transferred', 'chat_deactivated']) {
      expect(fake.delivers(action, chatId)).toBe(true)
      expect(fake.delivers(action, foreign)).toBe(false)
    }
  })

  it('an event of another chat that arrives anyway is answered 200 with no Botpress request, also while a hand-off is opening', async () => {
    await rig.driver.register()
    const foreign = fake.foreignChat()
    fake.addAgent(alice)
    const requests = () => [
      fake.incomingChat(foreign, alice),
      fake.event(foreign, { type: 'message', author_id: alice.id, text: 'Hello visitor' }),
      fake.agentAssigned(foreign, bob),
      fake.transferred(foreign, { agentIds: [carol.id] }),
      fake.sessionClosed(foreign),
    ]
    for (const req of requests()) expect(JSON.parse(req.body).additional_data.chat_properties.source.client_id).toBe(WIDGET_CLIENT_ID)

    // Hold the hand-off between "conversation created (opening)" and LiveChat's answer to start_chat.
    let release!: () => void
    const gate = new Promise<void>((resolve) => (release = resolve))
    let entered!: () => void
    const reached = new Promise<void>((resolve) => (entered = resolve))
    fake.server.use(
      http.post(`${API}/v3.6/customer/action/start_chat`, async () => {
        entered()
        await gate
        return undefined as unknown as HttpResponse<never>
      }, { once: true })
    )
    const { userId } = await rig.driver.callAction('createUser', { name: 'Jane Doe', email: 'jane@example.com' })
    const starting = rig.driver.callAction('startHitl', { userId, title: 'Help', messageHistory: [] })
    await reached
    expect(rig.conversations().some((c) => c.tags.status === 'opening')).toBe(true)
    const before = rig.requestCount()
    for (const req of requests()) expect((await deliver(req)).status).toBe(200)
    expect(rig.requestCount()).toBe(before)
    release()
    await starting
    expect(rig.events('hitlAssigned')).toHaveLength(0)
    expect(rig.events('hitlStopped')).toHaveLength(0)
  })
})

describe('parseWebhook (pure)', () => {
  const config = { organizationId: ORG_ID, clientId: CLIENT_ID }
  const req = (body: Record<string, unknown>) => ({ method: 'POST', path: '/', query: '', headers: {}, body: JSON.stringify({ secret_key: WEBHOOK_SECRET, organization_id: ORG_ID, ...body }) })

  it('fills the event time from the event created_at (incoming_event) and the thread created_at (incoming_chat)', () => {
    const message = parseWebhook(
      req({ action: 'incoming_event', payload: { chat_id: 'C1', thread_id: 'T1', event: { id: 'T1_2', type: 'message', author_id: 'a@b.co', text: 'hi', created_at: '2019-12-17T07:57:41.512000Z' } } }),
      config
    )
    expect(message.events[0]!.at).toBe(Date.parse('2019-12-17T07:57:41.512Z'))
    const routed = parseWebhook(
      req({
        action: 'incoming_chat',
        payload: { chat: { id: 'C1', users: [{ id: 'a@b.co', type: 'agent', present: true, name: 'A' }], properties: { source: { client_id: CLIENT_ID } }, thread: { id: 'T1', created_at: '2020-05-07T07:11:28.288340Z' } } },
      }),
      config
    )
    expect(routed.events).toEqual([{ kind: 'agentAssigned', session: { id: 'T1', by: 'externalAltId' }, agent: { id: 'a@b.co', name: 'A' }, at: Date.parse('2020-05-07T07:11:28.288Z') }])
  })

  it('recognizes another app\'s chat by source.client_id or source.customer_client_id; without chat properties the engine decides', () => {
    const closed = (additional: unknown) => parseWebhook(req({ action: 'chat_deactivated', payload: { chat_id: 'C1', thread_id: 'T1' }, additional_data: additional }), config)
    expect(closed({ chat_properties: { source: { client_id: WIDGET_CLIENT_ID, customer_client_id: WIDGET_CLIENT_ID } } }).events).toEqual([])
    expect(closed({ chat_properties: { source: { client_id: WIDGET_CLIENT_ID, customer_client_id: CLIENT_ID } } }).events).toHaveLength(1)
    expect(closed({ chat_properties: { source: { client_id: CLIENT_ID } } }).events).toHaveLength(1)
    expect(closed({}).events).toHaveLength(1)
    expect(closed(undefined).events).toHaveLength(1)
  })
})
