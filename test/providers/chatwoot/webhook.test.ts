/**
 * Chatwoot webhooks through the whole integration (Botpress emulator + fake): what becomes a Botpress message or
 * event, and what never does (private notes, our own incoming messages, foreign conversations and inboxes).
 */
import { useFakeRig } from '../../support/rig'
import { conversationChanged, messageCreated, userWebhook } from './fixtures'
import { ChatwootFake } from './fake'

const alice = { id: 'agent-alice', name: 'Alice Agent', pictureUrl: 'https://example.com/alice.png' }
const fake = new ChatwootFake()
const rig = useFakeRig(fake, { reset: true, strict: true, before: (r) => r.driver.register() })

const open = async () => {
  const { userId } = await rig.driver.callAction('createUser', { name: 'Jane Doe', email: 'jane@example.com' })
  const { conversationId } = await rig.driver.callAction('startHitl', { userId, title: 'Refund', messageHistory: [] })
  const sessionId = rig.conversation(conversationId).tags.externalId as string
  return { userId, conversationId, sessionId, state: fake.conversation(sessionId)! }
}
const fromAgents = (conversationId: string) => rig.messagesOf(conversationId).filter((m) => m.userId !== rig.botUserId)
const message = (state: ReturnType<typeof fake.conversation> & object, fields: Partial<Parameters<typeof messageCreated>[0]>) =>
  messageCreated(
    { id: Math.floor(Math.random() * 1e9), content: 'hello', messageType: 'outgoing', private: false, sender: userWebhook(fake.userFor(alice)), createdAt: new Date(), ...fields },
    state
  )

it('an agent reply becomes a Botpress message from that agent, with name and avatar', async () => {
  const { conversationId, state } = await open()
  const createdAt = new Date(Date.now() - 1000)
  expect((await rig.webhook(fake.send('message_created', message(state, { id: 777, content: 'Hi Jane', createdAt })))).status).toBe(200)
  const [m] = fromAgents(conversationId)
  expect(m!.payload).toEqual({ text: 'Hi Jane' })
  expect(m!.tags.externalId).toBe('777')
  expect(rig.user(m!.userId)).toMatchObject({ name: 'Alice Agent', pictureUrl: 'https://example.com/alice.png', tags: { kind: 'agent', externalId: String(fake.userFor(alice).id) } })
})

it.each([
  ['a private note', { private: true }],
  ['our own message (the contact speaking: incoming)', { messageType: 'incoming' as const, sender: { id: 5, name: 'Jane', type: 'contact' } }],
  ['a template message', { messageType: 'template' as const }],
  ['a message with no sender (automation)', { sender: null }],
])('%s is never echoed to Botpress', async (_what, fields) => {
  const { conversationId, state } = await open()
  const before = rig.writeCount()
  expect((await rig.webhook(fake.send('message_created', message(state, fields))))).toMatchObject({ status: 200 })
  expect(fromAgents(conversationId)).toHaveLength(0)
  expect(rig.writeCount()).toBe(before)
})

it('what the end user writes comes back from Chatwoot as incoming and is not posted twice', async () => {
  const { userId, conversationId, sessionId, state } = await open()
  await rig.driver.sendMessage({ conversationId, type: 'text', payload: { text: 'my order', userId } })
  const mine = state.messages.find((m) => m.type === 'incoming')!
  const echo = message(state, { id: mine.id, content: 'my order', messageType: 'incoming', sender: { id: Number(state.contact.id), type: 'contact' } })
  expect((await rig.webhook(fake.send('message_created', echo))).status).toBe(200)
  expect(fromAgents(conversationId)).toHaveLength(0)
  expect(fake.received(sessionId)).toHaveLength(1)
})

it('attachments are forwarded from data_url, a location as text; unsafe URLs are dropped', async () => {
  const { conversationId, state } = await open()
  const attachment = (id: number, fields: Record<string, unknown>) => ({ id, message_id: 1, account_id: 3, extension: null, thumb_url: '', file_size: 10, width: null, height: null, ...fields })
  const payload = message(state, {
    content: '',
    attachments: [
      attachment(1, { file_type: 'image', data_url: 'https://chatwoot.acme.test/rails/active_storage/blobs/redirect/x/photo.png' }),
      attachment(2, { file_type: 'file', data_url: 'javascript:alert(1)' }),
      attachment(3, { file_type: 'location', data_url: '', coordinates_lat: 45.5, coordinates_long: -73.6, fallback_title: 'Montreal' }),
    ] as never,
  })
  expect((await rig.webhook(fake.send('message_created', payload))).status).toBe(200)
  const messages = fromAgents(conversationId)
  expect(messages.map((m) => [m.type, m.payload])).toEqual([
    ['image', { imageUrl: 'https://chatwoot.acme.test/rails/active_storage/blobs/redirect/x/photo.png', title: 'photo.png' }],
    ['text', { text: '[Location: Montreal] 45.5, -73.6' }],
  ])
})

it('the variant that puts the table id in conversation.id still finds the session by its display id', async () => {
  const { conversationId, state } = await open()
  fake.options.tableIdVariant = true
  try {
    const payload = messageCreated(
      { id: 4242, content: 'variant', messageType: 'outgoing', private: false, sender: userWebhook(fake.userFor(alice)), createdAt: new Date() },
      { ...state, lastChat: { id: 4242, conversation_id: state.displayId, message_type: 1 } },
      { tableIdVariant: true }
    )
    expect(payload.conversation.id).not.toBe(state.displayId)
    expect((await rig.webhook(fake.send('message_created', payload))).status).toBe(200)
    expect(fromAgents(conversationId).map((m) => m.payload)).toEqual([{ text: 'variant' }])
  } finally {
    fake.options.tableIdVariant = false
  }
})

it('a conversation Botpress did not start (another inbox, or unknown) creates nothing', async () => {
  const { state } = await open()
  const before = rig.writeCount()
  const requests = rig.requestCount()
  const otherInbox = message({ ...state, inboxId: 999_999 }, { content: 'not ours' })
  expect((await rig.webhook(fake.send('message_created', otherInbox))).status).toBe(200)
  // The inbox is known from register on this instance: no Botpress request at all.
  expect(rig.requestCount()).toBe(requests)
  const unknown = message({ ...state, displayId: 31337, lastChat: undefined }, { content: 'stranger' })
  expect((await rig.webhook(fake.send('message_created', unknown))).status).toBe(200)
  expect((await rig.webhook(fake.sessionClosed('31337'))).status).toBe(200)
  expect(rig.writeCount()).toBe(before)
  expect(rig.events('hitlStopped')).toHaveLength(0)
})

it('resolved through conversation_updated and conversation_status_changed → hitlStopped once', async () => {
  const { conversationId, state } = await open()
  state.status = 'resolved'
  const change = { status: { previous_value: 'open', current_value: 'resolved' } }
  for (const event of ['conversation_updated', 'conversation_status_changed', 'conversation_updated'] as const) {
    expect((await rig.webhook(fake.send(event, conversationChanged(event, state, change)))).status).toBe(200)
  }
  expect(rig.events('hitlStopped')).toEqual([expect.objectContaining({ payload: { conversationId } })])
})

it('an assignment names the real agent; an unassignment or a team change emits nothing', async () => {
  const { conversationId, state } = await open()
  const user = fake.userFor(alice)
  const none = conversationChanged('conversation_updated', { ...state, assignee: null }, { assignee_id: { previous_value: user.id, current_value: null } })
  const team = conversationChanged('conversation_updated', { ...state, teamId: 7 }, { team_id: { previous_value: null, current_value: 7 } })
  for (const payload of [none, team]) expect((await rig.webhook(fake.send('conversation_updated', payload))).status).toBe(200)
  expect(rig.events('hitlAssigned')).toHaveLength(0)
  expect((await rig.webhook(fake.agentAssigned(state.displayId.toString(), alice))).status).toBe(200)
  const [event] = rig.events('hitlAssigned')
  expect(event!.payload.conversationId).toBe(conversationId)
  expect(rig.user(event!.payload.userId).name).toBe('Alice Agent')
})

it('an assignment without meta.assignee fetches the agent from the account (name, avatar)', async () => {
  const { state } = await open()
  const user = fake.userFor({ id: 'agent-zoe', name: 'Zoe Zed', pictureUrl: 'https://example.com/zoe.png' })
  const payload = conversationChanged('conversation_updated', { ...state, assignee: null }, { assignee_id: { previous_value: null, current_value: user.id } })
  expect((await rig.webhook(fake.send('conversation_updated', payload))).status).toBe(200)
  const [event] = rig.events('hitlAssigned')
  expect(rig.user(event!.payload.userId)).toMatchObject({ name: 'Zoe Zed', pictureUrl: 'https://example.com/zoe.png' })
  expect(fake.callsTo('get-account-agents')).toHaveLength(1)
})

it.each([
  ['not JSON', 'not json{', 400],
  ['no event', JSON.stringify({ id: 1 }), 400],
  ['message without id', JSON.stringify({ event: 'message_created', message_type: 'outgoing' }), 400],
  ['an event we do not subscribe to', JSON.stringify({ event: 'contact_created', id: 1 }), 200],
  ['an array', '[]', 400],
])('%s → %s', async (_what, body, status) => {
  const before = rig.writeCount()
  expect((await rig.webhook(fake.signed(body))).status).toBe(status)
  expect(rig.writeCount()).toBe(before)
})
