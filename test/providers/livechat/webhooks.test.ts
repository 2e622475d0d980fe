/**
 * Webhook fixtures for every action, through the whole integration (Botpress runtime emulator + the core engine):
 * what gets created in Botpress, and what must not.
 */
import type { WebhookRequest } from '../../../src/core/types'
import { parseWebhook, verifyWebhook } from '../../../src/providers/livechat/webhook'
import { useFakeRig } from '../../support/rig'
import { CLIENT_ID, LivechatFake, ORG_ID, WEBHOOK_SECRET } from './fake'

const fake = new LivechatFake()
const rig = useFakeRig(fake, { reset: true, strict: true })

const alice = { id: 'alice@example.com', name: 'Alice Agent', pictureUrl: 'https://cdn.livechat-files.com/api/file/avatar-alice.png' }

const open = async () => {
  const { userId } = await rig.driver.callAction('createUser', { name: 'Jane Doe', email: 'jane@example.com' })
  const { conversationId } = await rig.driver.callAction('startHitl', { userId, title: 'Help', messageHistory: [] })
  const conversation = rig.conversation(conversationId)
  return { userId, conversationId, chatId: conversation.tags.externalId as string, customerId: rig.user(userId).tags.externalId as string }
}
/** What Botpress forwards to the integration for a request LiveChat sends. */
const deliver = (req: Omit<WebhookRequest, 'query'> & { query?: string }) =>
  rig.driver.webhook({ ...req, headers: Object.fromEntries(Object.entries(req.headers).filter((kv): kv is [string, string] => kv[1] !== undefined)) })
const agentMessages = (conversationId: string) => rig.messagesOf(conversationId).filter((m) => m.userId !== rig.botUserId)

describe('incoming_event', () => {
  it('an agent message becomes a text message from that agent\'s Botpress user', async () => {
    const { conversationId, chatId, userId } = await open()
    fake.addAgent(alice)
    const res = await deliver(fake.event(chatId, { type: 'message', author_id: alice.id, text: 'Hi, Alice here' }))
    expect(res.status).toBe(200)
    const [message] = agentMessages(conversationId)
    expect(message).toMatchObject({ type: 'text', payload: { text: 'Hi, Alice here' } })
    expect(message!.userId).not.toBe(userId)
    expect(rig.user(message!.userId).tags).toMatchObject({ kind: 'agent', externalId: alice.id, provider: 'livechat' })
  })

  it.each([
    ['image/png', 'photo.png', 'image', 'imageUrl'],
    ['audio/mpeg', 'voice.mp3', 'audio', 'audioUrl'],
    ['video/mp4', 'clip.mp4', 'video', 'videoUrl'],
    ['application/pdf', 'invoice.pdf', 'file', 'fileUrl'],
  ])('a file event (%s, %s) becomes a %s message with the CDN URL and the name as title', async (contentType, name, type, field) => {
    const { conversationId, chatId } = await open()
    const url = `https://cdn.livechat-files.com/api/file/lc/att/8948324/abc/${name}`
    const res = await deliver(fake.event(chatId, { type: 'file', author_id: alice.id, url, name, content_type: contentType }))
    expect(res.status).toBe(200)
    expect(agentMessages(conversationId)).toEqual([expect.objectContaining({ type, payload: { [field]: url, title: name } })])
  })

  it('internal notes (visibility "agents") never reach the user', async () => {
    const { conversationId, chatId } = await open()
    const res = await deliver(fake.event(chatId, { type: 'message', author_id: alice.id, text: 'note: refund approved?', visibility: 'agents' }))
    expect(res.status).toBe(200)
    expect(agentMessages(conversationId)).toHaveLength(0)
  })

  it('the customer\'s own events (our messages) never echo back', async () => {
    const { conversationId, chatId, customerId } = await open()
    const res = await deliver(fake.event(chatId, { type: 'message', author_id: customerId, text: 'what the user wrote' }))
    expect(res.status).toBe(200)
    expect(agentMessages(conversationId)).toHaveLength(0)
    expect(rig.users().filter((u) => u.tags.kind === 'agent')).toHaveLength(0)
  })

  it('system messages are ignored', async () => {
    const { conversationId, chatId } = await open()
    const req = fake.event(chatId, { type: 'system_message', text: 'Chat transferred to Support by Agent Smith' } as never)
    expect((await deliver(req)).status).toBe(200)
    expect(agentMessages(conversationId)).toHaveLength(0)
  })

  it('a redelivery (same event id) creates nothing new', async () => {
    const { conversationId, chatId } = await open()
    const req = fake.event(chatId, { type: 'message', author_id: alice.id, text: 'once' })
    await deliver(req)
    await deliver(req)
    expect(agentMessages(conversationId)).toHaveLength(1)
  })

  it('successive hand-offs of one customer share the chat but not their events (sessions are told apart by thread)', async () => {
    const first = await open()
    const oldThread = fake.lastThread(first.chatId)!.id
    await rig.driver.callAction('stopHitl', { conversationId: first.conversationId })
    const { conversationId } = await rig.driver.callAction('startHitl', { userId: first.userId, messageHistory: [] })
    expect(rig.conversation(conversationId).tags.externalId).toBe(first.chatId)
    const stale = fake.webhook('incoming_event', {
      chat_id: first.chatId,
      thread_id: oldThread,
      event: { id: `${oldThread}_9`, type: 'message', author_id: alice.id, text: 'late', visibility: 'all', created_at: '2024-05-07T07:11:28.288340Z' },
    })
    expect((await deliver(stale)).status).toBe(200)
    // A late event of the old thread maps to the old session (what the core does with a closed session is its business)…
    expect(agentMessages(conversationId)).toHaveLength(0)
    // …and the current thread's events to the new one only.
    await deliver(fake.event(first.chatId, { type: 'message', author_id: alice.id, text: 'current' }))
    expect(agentMessages(conversationId).map((m) => m.payload.text)).toEqual(['current'])
    expect(agentMessages(first.conversationId).map((m) => m.payload.text)).not.toContain('current')
    await deliver(fake.sessionClosed(first.chatId))
    expect(rig.events('hitlStopped').map((e) => e.payload.conversationId)).toEqual([conversationId])
  })
})

describe('assignment', () => {
  it('user_added_to_chat of an agent → hitlAssigned with that agent (name and avatar)', async () => {
    const { conversationId, chatId, userId } = await open()
    expect((await deliver(fake.agentAssigned(chatId, { ...alice, pictureUrl: 'cdn.livechatinc.com/avatars/1.png' }))).status).toBe(200)
    const [event] = rig.events('hitlAssigned')
    expect(event!.payload.conversationId).toBe(conversationId)
    expect(event!.payload.userId).not.toBe(userId)
    expect(rig.user(event!.payload.userId)).toMatchObject({ name: alice.name, pictureUrl: 'https://cdn.livechatinc.com/avatars/1.png' })
  })

  it('user_added_to_chat of a customer → nothing', async () => {
    const { chatId, customerId } = await open()
    const req = fake.webhook('user_added_to_chat', {
      chat_id: chatId,
      thread_id: fake.lastThread(chatId)!.id,
      user_type: 'customer',
      reason: 'manual',
      requester_id: alice.id,
      user: { id: customerId, type: 'customer', name: 'Jane Doe', present: true },
    })
    expect((await deliver(req)).status).toBe(200)
    expect(rig.events('hitlAssigned')).toHaveLength(0)
  })

  it('chat_transferred to an agent → hitlAssigned with the agent named by get_agent', async () => {
    const { chatId } = await open()
    fake.addAgent({ id: 'smith@example.com', name: 'Agent Smith', pictureUrl: 'https://example.com/smith.png' })
    expect((await deliver(fake.transferred(chatId, { agentIds: ['smith@example.com'], groupIds: [19] }))).status).toBe(200)
    const [event] = rig.events('hitlAssigned')
    expect(rig.user(event!.payload.userId)).toMatchObject({ name: 'Agent Smith', pictureUrl: 'https://example.com/smith.png' })
  })

  it('chat_transferred to an agent, without the scope to read agents → hitlAssigned named by the agent id', async () => {
    const { chatId } = await open()
    fake.options.scopes = ['chats--access:rw']
    expect((await deliver(fake.transferred(chatId, { agentIds: ['smith@example.com'] }))).status).toBe(200)
    const [event] = rig.events('hitlAssigned')
    expect(rig.user(event!.payload.userId).name).toBe('smith@example.com')
  })

  it('chat_transferred to a group only → nothing yet', async () => {
    const { chatId } = await open()
    const before = rig.writeCount()
    expect((await deliver(fake.transferred(chatId, { groupIds: [7] }))).status).toBe(200)
    expect(rig.events('hitlAssigned')).toHaveLength(0)
    expect(rig.writeCount()).toBe(before)
  })
})

describe('chat_deactivated', () => {
  it('→ hitlStopped once', async () => {
    const { conversationId, chatId } = await open()
    const req = fake.sessionClosed(chatId)
    expect((await deliver(req)).status).toBe(200)
    expect((await deliver(req)).status).toBe(200)
    expect(rig.events('hitlStopped')).toEqual([expect.objectContaining({ payload: { conversationId } })])
  })
})

describe('refused and ignored requests', () => {
  it('a wrong secret_key → 401, nothing created, LiveChat not called', async () => {
    const { conversationId, chatId } = await open()
    const writes = rig.writeCount()
    const calls = fake.requestCount()
    const res = await deliver(fake.forged(fake.event(chatId, { type: 'message', author_id: alice.id, text: 'evil' })))
    expect(res.status).toBe(401)
    expect(res.body).not.toContain(WEBHOOK_SECRET)
    expect((await deliver(fake.forged(fake.sessionClosed(chatId)))).status).toBe(401)
    expect(rig.writeCount()).toBe(writes)
    expect(fake.requestCount()).toBe(calls)
    expect(agentMessages(conversationId)).toHaveLength(0)
  })

  it('a body that is not JSON carries no secret → 401', async () => {
    const res = await deliver({ method: 'POST', path: '/', headers: { 'content-type': 'application/json' }, body: '{"secret_key": "' })
    expect(res.status).toBe(401)
  })

  it.each([
    ['no action', { payload: {} }, /action/],
    ['no payload', { action: 'chat_deactivated' }, /payload/],
    ['incoming_event without event', { action: 'incoming_event', payload: { chat_id: 'PJ0MRSHTDG', thread_id: 'K600PKZON8' } }, /event/],
    ['a message without text', { action: 'incoming_event', payload: { chat_id: 'PJ0MRSHTDG', thread_id: 'K6', event: { id: 'K6_1', type: 'message', author_id: 'a@b.co' } } }, /event\.text/],
    ['a file without url', { action: 'incoming_event', payload: { chat_id: 'PJ0MRSHTDG', thread_id: 'K6', event: { id: 'K6_1', type: 'file', author_id: 'a@b.co', name: 'x.png' } } }, /event\.url/],
    ['an agent message without author', { action: 'incoming_event', payload: { chat_id: 'PJ0MRSHTDG', event: { id: 'K6_1', type: 'message', text: 'hi' } } }, /author_id/],
    ['chat_deactivated without chat_id', { action: 'chat_deactivated', payload: { thread_id: 'K600PKZON8' } }, /chat_id/],
    ['user_added_to_chat without user', { action: 'user_added_to_chat', payload: { chat_id: 'PJ0MRSHTDG' } }, /user/],
  ])('a malformed payload (%s) → 400 naming what is wrong', async (_case, fields, reason) => {
    const res = await deliver({
      method: 'POST',
      path: '/',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ webhook_id: 'wh', secret_key: WEBHOOK_SECRET, organization_id: ORG_ID, ...fields }),
    })
    expect(res.status).toBe(400)
    expect(JSON.parse(res.body).error).toMatch(reason)
    expect(res.body).not.toContain(WEBHOOK_SECRET)
  })

  it('an action the integration does not use, or another organization\'s event → 200, nothing created', async () => {
    const { chatId } = await open()
    const before = rig.writeCount()
    expect((await deliver(fake.webhook('incoming_chat', { chat: { id: chatId } }))).status).toBe(200)
    const foreign = JSON.parse(fake.event(chatId, { type: 'message', author_id: alice.id, text: 'x' }).body)
    foreign.organization_id = '11111111-2222-4333-8444-555555555555'
    expect((await deliver({ method: 'POST', path: '/', headers: {}, body: JSON.stringify(foreign) })).status).toBe(200)
    expect(rig.writeCount()).toBe(before)
  })
})

describe('verifyWebhook / parseWebhook (pure)', () => {
  const config = { organizationId: ORG_ID, clientId: CLIENT_ID }
  const body = (extra: Record<string, unknown> = {}) => JSON.stringify({ secret_key: WEBHOOK_SECRET, action: 'chat_deactivated', payload: { chat_id: 'C1', thread_id: 'T1' }, ...extra })
  const req = (raw: string) => ({ method: 'POST', path: '/', query: '', headers: {}, body: raw })

  it('accepts the right secret only, and never says what it expected', () => {
    expect(verifyWebhook(WEBHOOK_SECRET, req(body()))).toEqual({ ok: true })
    for (const raw of [body({ secret_key: 'nope' }), body({ secret_key: WEBHOOK_SECRET.slice(0, -1) }), body({ secret_key: 42 }), JSON.stringify({ action: 'x' }), 'not json', '[]']) {
      const verdict = verifyWebhook(WEBHOOK_SECRET, req(raw))
      expect(verdict.ok).toBe(false)
      expect(JSON.stringify(verdict)).not.toContain(WEBHOOK_SECRET)
    }
  })

  it('keys sessions by thread, never by the chat id every session of the customer shares', () => {
    expect(parseWebhook(req(body()), config).events).toEqual([{ kind: 'sessionClosed', session: { id: 'T1', by: 'externalAltId' } }])
    const threadless = parseWebhook(req(body({ payload: { chat_id: 'C1' } })), config)
    expect(threadless.events).toEqual([])
    expect(threadless.skipped).toEqual([expect.stringMatching(/without a thread/)])
  })

  it('renders an agent\'s rich message as text', () => {
    const raw = JSON.stringify({
      secret_key: WEBHOOK_SECRET,
      action: 'incoming_event',
      payload: {
        chat_id: 'C1',
        thread_id: 'T1',
        event: { id: 'T1_3', type: 'rich_message', author_id: 'a@b.co', template_id: 'cards', elements: [{ title: 'Plan A', subtitle: '10 €', buttons: [{ text: 'Buy', type: 'url' }, { text: 'Details' }] }] },
      },
    })
    expect(parseWebhook(req(raw), config).events).toEqual([
      { kind: 'agentMessage', session: { id: 'T1', by: 'externalAltId' }, messageId: 'T1_3', agent: { id: 'a@b.co' }, messages: [{ type: 'text', text: 'Plan A — 10 €\n1. Buy\n2. Details' }] },
    ])
  })
})
