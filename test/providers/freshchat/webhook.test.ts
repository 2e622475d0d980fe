/**
 * Freshchat webhooks through the whole integration (Botpress emulator + fake): what becomes a Botpress message or
 * event, and what never does (private notes, system and bot messages, our own user messages, other topics, group-only
 * assignments, reopens of a resolved conversation), at what Botpress cost.
 */
import { resetCaches } from '../../../src/core/cache'
import { useFakeRig } from '../../support/rig'
import { CHANNELS, FreshchatFake } from './fake'

const alice = { id: 'agent-alice', name: 'Alice Agent', pictureUrl: 'https://example.com/alice.png' }
const bob = { id: 'agent-bob', name: 'Bob Agent' }
const fake = new FreshchatFake()
const rig = useFakeRig(fake, { reset: true, strict: true, before: (r) => r.driver.register() })

const open = async () => {
  const { userId } = await rig.driver.callAction('createUser', { name: 'Jane Doe', email: 'jane@example.com' })
  const { conversationId } = await rig.driver.callAction('startHitl', { userId, title: 'Refund', messageHistory: [] })
  const sessionId = rig.conversation(conversationId).tags.externalId as string
  return { userId, conversationId, sessionId }
}
const fromAgents = (conversationId: string) => rig.messagesOf(conversationId).filter((m) => m.userId !== rig.botUserId)
/** A delivery with one field of data.message changed, re-signed. */
const variant = (req: { body: string }, change: (message: Record<string, unknown>, body: Record<string, unknown>) => void) => {
  const body = JSON.parse(req.body)
  change(body.data.message, body)
  return fake.deliver(body)
}

it('an agent reply becomes a Botpress message from that agent, named and pictured from GET /agents/{id} once', async () => {
  const { conversationId, sessionId } = await open()
  const first = fake.agentMessage(sessionId, alice, { type: 'text', text: 'Hi Jane' }, { messageId: 'msg-1' })
  expect((await rig.webhook(first)).status).toBe(200)
  expect((await rig.webhook(fake.agentMessage(sessionId, alice, { type: 'text', text: 'Anything else?' }))).status).toBe(200)
  const messages = fromAgents(conversationId)
  expect(messages.map((m) => m.payload)).toEqual([{ text: 'Hi Jane' }, { text: 'Anything else?' }])
  expect(messages[0]!.tags.externalId).toBe('msg-1')
  expect(rig.user(messages[0]!.userId)).toMatchObject({ name: 'Alice Agent', pictureUrl: alice.pictureUrl, tags: { kind: 'agent', externalId: fake.agentFor(alice).id } })
  expect(fake.callsTo('get-agent')).toHaveLength(1)
})

it('a text and an image in one message become two Botpress messages, in order', async () => {
  const { conversationId, sessionId } = await open()
  const req = variant(fake.agentMessage(sessionId, alice, { type: 'text', text: 'Here it is' }), (m) => {
    m.message_parts = [{ text: { content: 'Here it is' } }, { image: { url: 'https://example.com/receipt.png' } }, { url_button: { url: 'https://x.test', label: 'x' } }]
  })
  expect((await rig.webhook(req)).status).toBe(200)
  expect(fromAgents(conversationId).map((m) => m.type)).toEqual(['text', 'image'])
})

it.each([
  ['a private note', (m: Record<string, unknown>) => (m.message_type = 'private')],
  ["a bot's private note flag", (m: Record<string, unknown>) => (m.botsPrivateNote = true)],
  ['a system message', (m: Record<string, unknown>, b: Record<string, unknown>) => ((m.actor_type = 'system'), (b.actor = { actor_type: 'system', actor_id: 'x' }))],
  ['a bot message (our own notices)', (m: Record<string, unknown>) => (m.actor_type = 'bot')],
  ["the user's own message (ours, echoed)", (m: Record<string, unknown>) => (m.actor_type = 'user')],
  ['a message of another topic', (m: Record<string, unknown>) => (m.channel_id = CHANNELS[1]!.id)],
])('%s never reaches the end user and costs 0 Botpress and 0 Freshchat requests', async (_what, change) => {
  const { conversationId, sessionId } = await open()
  const req = variant(fake.agentMessage(sessionId, alice, { type: 'text', text: 'not for the user' }), change)
  const bp = rig.requestCount()
  const provider = fake.requestCount()
  expect((await rig.webhook(req)).status).toBe(200)
  expect(rig.requestCount()).toBe(bp)
  expect(fake.requestCount()).toBe(provider)
  expect(fromAgents(conversationId)).toHaveLength(0)
})

it('with freshchat.channelId configured, other topics cost 0 Botpress requests on a cold instance too', async () => {
  const config = fake.configuration()
  rig.driver.setConfiguration({ ...config, freshchat: { ...(config.freshchat as object), channelId: CHANNELS[0]!.id } })
  try {
    const { sessionId } = await open()
    resetCaches()
    const req = variant(fake.agentMessage(sessionId, alice, { type: 'text', text: 'elsewhere' }), (m) => (m.channel_id = CHANNELS[1]!.id))
    const bp = rig.requestCount()
    expect((await rig.webhook(req)).status).toBe(200)
    expect(rig.requestCount()).toBe(bp)
  } finally {
    rig.driver.setConfiguration(config)
  }
})

it('a conversation the integration did not open: 200, no Botpress write, no Freshchat request', async () => {
  await open()
  const writes = rig.writeCount()
  const provider = fake.requestCount()
  expect((await rig.webhook(fake.agentMessage('3f1c2b9e-0000-4000-8000-000000000000', alice, { type: 'text', text: 'hi' }))).status).toBe(200)
  expect((await rig.webhook(fake.agentAssigned('3f1c2b9e-0000-4000-8000-000000000000', alice))).status).toBe(200)
  expect(rig.writeCount()).toBe(writes)
  expect(fake.requestCount()).toBe(provider)
})

it('a group-only assignment is not an agent; each agent assignment is reported once', async () => {
  const { conversationId, sessionId } = await open()
  expect((await rig.webhook(fake.agentAssigned(sessionId, alice, { groupOnly: true }))).status).toBe(200)
  expect(rig.events('hitlAssigned')).toHaveLength(0)
  const toAlice = fake.agentAssigned(sessionId, alice)
  expect((await rig.webhook(toAlice)).status).toBe(200)
  expect((await rig.webhook(toAlice)).status).toBe(200)
  expect((await rig.webhook(fake.agentAssigned(sessionId, bob))).status).toBe(200)
  // The captured assignment to Alice replayed after Bob's (no timestamp in the proof): older action_time, ignored.
  expect((await rig.webhook(toAlice)).status).toBe(200)
  const events = rig.events('hitlAssigned')
  expect(events.map((e) => rig.user(e.payload.userId).name)).toEqual(['Alice Agent', 'Bob Agent'])
  expect(events.every((e) => e.payload.conversationId === conversationId)).toBe(true)
})

it('resolution stops the session once; a later reopen and messages do not resurrect it', async () => {
  const { conversationId, sessionId } = await open()
  const resolved = fake.sessionClosed(sessionId)
  expect((await rig.webhook(resolved)).status).toBe(200)
  expect((await rig.webhook(resolved)).status).toBe(200)
  expect((await rig.webhook(fake.sessionReopened(sessionId))).status).toBe(200)
  expect((await rig.webhook(fake.agentMessage(sessionId, alice, { type: 'text', text: 'after reopen' }))).status).toBe(200)
  expect((await rig.webhook(fake.agentAssigned(sessionId, bob))).status).toBe(200)
  expect(rig.events('hitlStopped')).toEqual([expect.objectContaining({ payload: { conversationId } })])
  expect(rig.events('hitlAssigned')).toHaveLength(0)
  expect(fromAgents(conversationId)).toHaveLength(0)
  expect(rig.conversation(conversationId).tags.status).toBe('closed')
})

describe('hostile bodies (signed, so parsing is reached): 4xx or 200, never a crash, never a Botpress write', () => {
  const deep = (n: number) => `{"action":"message_create","data":${'['.repeat(n)}${']'.repeat(n)}}`
  it.each([
    ['100,000 levels of nesting', deep(100_000), 400],
    ['__proto__ keys', '{"action":"message_create","__proto__":{"x":1},"data":{"__proto__":{"message":{"id":"m","conversation_id":"c","actor_type":"agent","actor_id":"a","message_parts":[{"text":{"content":"p"}}]}}}}', 400],
    ['constructor as the action', '{"action":"constructor","data":{}}', 200],
    ['a message whose parts are 30,000 items', `{"action":"message_create","data":{"message":{"id":"m","conversation_id":"c","actor_type":"agent","actor_id":"a","message_parts":[${Array(30_000).fill('{"text":{"content":"x"}}').join(',')}]}}}`, 200],
    ['2 MB of text', `{"action":"message_create","x":"${'y'.repeat(2_000_000)}"}`, 400],
    ['no action', '{"data":{}}', 400],
    ['not JSON', 'action=message_create', 400],
  ])('%s', async (_label, body, status) => {
    await open()
    const writes = rig.writeCount()
    const res = await rig.webhook(fake.signed(body))
    expect(res.status).toBe(status)
    expect(rig.writeCount()).toBe(writes)
  })
})
