/**
 * Sunshine Conversations webhooks through the whole integration (Botpress emulator + fake): what becomes a Botpress
 * message or event, and what costs nothing (our own posts, automated messages, other conversations and apps).
 */
import { AGENT_ID_KEY, ORIGIN_KEY } from '../../../src/providers/zendesk/webhook'
import { useFakeRig } from '../../support/rig'
import { APP_ID, ZendeskFake } from './fake'

const alice = { id: 'agent-alice', name: 'Alice Agent', pictureUrl: 'https://example.com/alice.png' }
const bob = { id: 'agent-bob', name: 'Bob Agent' }
const fake = new ZendeskFake()
const rig = useFakeRig(fake, { reset: true, strict: true, before: (r) => r.driver.register() })

const open = async () => {
  const { userId } = await rig.driver.callAction('createUser', { name: 'Jane Doe', email: 'jane@example.com' })
  const { conversationId } = await rig.driver.callAction('startHitl', { userId, title: 'Refund', messageHistory: [] })
  const sessionId = rig.conversation(conversationId).tags.externalId as string
  return { userId, conversationId, sessionId, state: fake.conversations.get(sessionId)! }
}
const fromAgents = (conversationId: string) => rig.messagesOf(conversationId).filter((m) => m.userId !== rig.botUserId)
const assigned = () => rig.events('hitlAssigned').map((e) => rig.user(e.payload.userId).name as string)
const text = (sessionId: string, author: Record<string, unknown>, metadata?: Record<string, unknown>) =>
  fake.deliver([
    fake.event('conversation:message', {
      conversation: fake.conversationJson(sessionId),
      message: { id: `m${Math.random()}`.replace('.', ''), received: new Date().toISOString(), author, content: { type: 'text', text: 'hello' }, ...(metadata ? { metadata } : {}) },
    }),
  ])

it("an agent's reply becomes a Botpress message from that agent (name, avatar, Zendesk id), keyed by the message id", async () => {
  const { conversationId, sessionId } = await open()
  expect((await rig.webhook(fake.agentMessage(sessionId, alice, { type: 'text', text: 'Hi Jane' }, { messageId: 'msg-777' }))).status).toBe(200)
  const [m] = fromAgents(conversationId)
  expect(m!.payload).toEqual({ text: 'Hi Jane' })
  expect(m!.tags.externalId).toBe('msg-777')
  expect(rig.user(m!.userId)).toMatchObject({ name: 'Alice Agent', pictureUrl: alice.pictureUrl, tags: { kind: 'agent', externalId: String(fake.agentIdOf(alice)) } })
})

it("assignment: an agent's first reply is the signal, once per agent; a second agent's first reply is a second hitlAssigned", async () => {
  const { sessionId } = await open()
  await rig.webhook(fake.agentMessage(sessionId, alice, { type: 'text', text: 'one' }))
  await rig.webhook(fake.agentMessage(sessionId, alice, { type: 'text', text: 'two' }))
  expect(assigned()).toEqual(['Alice Agent'])
  await rig.webhook(fake.agentMessage(sessionId, bob, { type: 'text', text: 'three' }))
  expect(assigned()).toEqual(['Alice Agent', 'Bob Agent'])
  // Alice writing again on this instance is not a new assignment.
  await rig.webhook(fake.agentMessage(sessionId, alice, { type: 'text', text: 'four' }))
  expect(assigned()).toEqual(['Alice Agent', 'Bob Agent'])
})

it.each([
  ['the end user (our own posts included)', { type: 'user', userId: 'u1' }, undefined],
  ['our own transcript or notices', { type: 'business', displayName: 'Botpress' }, { [ORIGIN_KEY]: 'bot' }],
  ['an AI agent', { type: 'business', displayName: 'Bot', subtypes: ['AI'] }, { [AGENT_ID_KEY]: 12 }],
  ['a trigger or automated response (no agent)', { type: 'business', displayName: 'Acme' }, undefined],
])('a message from %s is neither relayed nor an assignment, and costs 0 Botpress requests', async (_, author, metadata) => {
  const { conversationId, sessionId } = await open()
  const before = rig.requestCount()
  expect((await rig.webhook(text(sessionId, author, metadata))).status).toBe(200)
  expect(rig.requestCount()).toBe(before)
  expect(fromAgents(conversationId)).toHaveLength(0)
  expect(rig.events('hitlAssigned')).toHaveLength(0)
})

it('events of another app, and of conversations another integration opened, cost 0 Botpress requests', async () => {
  const { sessionId } = await open()
  const before = rig.requestCount()
  const foreignApp = fake.agentMessage(sessionId, alice, { type: 'text', text: 'hi' })
  const otherApp = { ...foreignApp, body: foreignApp.body.replace(APP_ID, 'another0app0id0000000000') }
  expect((await rig.webhook(otherApp)).status).toBe(200)
  const widget = { id: 'c0ffee', type: 'personal', metadata: { source: 'web widget' } }
  const reply = fake.agentMessageJson(alice, { type: 'text', text: 'hi' })
  expect((await rig.webhook(fake.deliver([fake.event('conversation:message', { conversation: widget, message: reply })])))).toMatchObject({ status: 200 })
  expect((await rig.webhook(fake.deliver([fake.event('switchboard:releaseControl', { conversation: widget })])))).toMatchObject({ status: 200 })
  expect(rig.requestCount()).toBe(before)
  expect(rig.events()).toHaveLength(0)
})

it('a payload without conversation metadata (as in the spec examples) is looked up, never written', async () => {
  const { conversationId, sessionId } = await open()
  const bare = (id: string) => {
    const { metadata: _, ...conversation } = fake.conversationJson(id)
    return conversation
  }
  const writes = rig.writeCount()
  expect((await rig.webhook(fake.deliver([fake.event('conversation:message', { conversation: bare('c0ffee'), message: fake.agentMessageJson(alice, { type: 'text', text: 'hi' }) })])))).toMatchObject({ status: 200 })
  expect(rig.writeCount()).toBe(writes)
  // Ours without metadata still works: the engine finds the session by its id.
  expect((await rig.webhook(fake.deliver([fake.event('conversation:message', { conversation: bare(sessionId), message: fake.agentMessageJson(alice, { type: 'text', text: 'still here' }) })])))).toMatchObject({ status: 200 })
  expect(fromAgents(conversationId).map((m) => m.payload.text)).toEqual(['still here'])
})

it('an agent message naming no agent id but the `agent` subtype is the agent, named by display name', async () => {
  const { conversationId, sessionId } = await open()
  const message = { ...fake.agentMessageJson(alice, { type: 'text', text: 'hello' }), metadata: {}, author: { type: 'business', displayName: 'Alice Agent', subtypes: ['agent'] } }
  expect((await rig.webhook(fake.deliver([fake.event('conversation:message', { conversation: fake.conversationJson(sessionId), message })])))).toMatchObject({ status: 200 })
  expect(fromAgents(conversationId).map((m) => rig.user(m.userId).name)).toEqual(['Alice Agent'])
  expect(assigned()).toEqual(['Alice Agent'])
})

it('the agent workspace passing control away ends the session once; passing to the agent workspace or our own passControl does not', async () => {
  const { conversationId, sessionId, state } = await open()
  const toWorkspace = fake.deliver([fake.event('switchboard:passControl', { conversation: fake.conversationJson(sessionId) })])
  const ours = fake.deliver([fake.event('switchboard:passControl', { conversation: { ...fake.conversationJson(sessionId), activeSwitchboardIntegration: { id: state.pending!.id, integrationType: 'custom' } }, metadata: { [ORIGIN_KEY]: 'open' } })])
  expect((await rig.webhook(toWorkspace)).status).toBe(200)
  expect((await rig.webhook(ours)).status).toBe(200)
  expect(rig.events('hitlStopped')).toHaveLength(0)
  const away = fake.passedAway(sessionId, 'transferToEmail')
  expect((await rig.webhook(away)).status).toBe(200)
  expect((await rig.webhook(away)).status).toBe(200)
  expect(rig.events('hitlStopped').map((e) => e.payload)).toEqual([{ conversationId }])
})

it('a delivery with several events applies each (a reply and the release, in order)', async () => {
  const { conversationId, sessionId } = await open()
  const reply = JSON.parse(fake.agentMessage(sessionId, alice, { type: 'text', text: 'bye' }).body).events[0]
  const release = JSON.parse(fake.sessionClosed(sessionId).body).events[0]
  expect((await rig.webhook(fake.deliver([reply, release]))).status).toBe(200)
  expect(fromAgents(conversationId).map((m) => m.payload.text)).toEqual(['bye'])
  expect(rig.events('hitlStopped')).toHaveLength(1)
})

it('an agent file of an audio type arrives as audio, with its name', async () => {
  const { conversationId, sessionId } = await open()
  await rig.webhook(fake.agentMessage(sessionId, alice, { type: 'audio', url: 'https://example.com/note.mp3', title: 'note.mp3' }))
  expect(fromAgents(conversationId).map((m) => [m.type, m.payload])).toEqual([['audio', { audioUrl: 'https://example.com/note.mp3', title: 'note.mp3' }]])
})

it.each<[string, number, () => string]>([
  ['deeply nested', 400, () => `{"app":{"id":"${APP_ID}"},"events":[{"type":"conversation:message","payload":${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}}]}`],
  ['huge', 400, () => JSON.stringify({ app: { id: APP_ID }, events: Array.from({ length: 5_000 }, () => ({ type: 'conversation:message', payload: { conversation: { id: 'x'.repeat(1000) } } })) })],
  ['prototype keys', 200, () => `{"__proto__":{"polluted":1},"app":{"id":"${APP_ID}"},"events":[{"type":"conversation:message","payload":{"conversation":{"id":"c1","metadata":{"__proto__":{"botpress_hitl":"x"},"constructor":1}},"message":{"id":"m","author":{"type":"business","__proto__":{"type":"business"}},"metadata":{"constructor":{"x":1}}}}}]}`],
  ['not an object', 400, () => '[1,2,3]'],
  ['no events', 400, () => `{"app":{"id":"${APP_ID}"}}`],
])('a %s body never crashes: %i, no Botpress write', async (_, status, build) => {
  await open()
  const writes = rig.writeCount()
  const res = await rig.webhook(fake.signed(build()))
  expect(res.status).toBe(status)
  expect(rig.writeCount()).toBe(writes)
  expect(({} as Record<string, unknown>).polluted).toBeUndefined()
})

it('one malformed event does not cost the others of its delivery; a delivery of malformed events only is refused (400)', async () => {
  const { conversationId, sessionId } = await open()
  const reply = JSON.parse(fake.agentMessage(sessionId, alice, { type: 'text', text: 'kept' }).body).events[0]
  const broken = { id: 'e-broken', type: 'conversation:message', createdAt: new Date().toISOString(), payload: { message: { id: 'x' } } }
  expect((await rig.webhook(fake.deliver([broken, reply]))).status).toBe(200)
  expect(fromAgents(conversationId).map((m) => m.payload.text)).toEqual(['kept'])
  const refused = await rig.webhook(fake.deliver([broken]))
  expect(refused.status).toBe(400)
  expect(refused.body).toMatch(/conversation id/)
})
