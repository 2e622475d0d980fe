/**
 * Sessions through the whole integration (Botpress emulator + fake): what Zendesk receives when a session opens, when
 * the end user writes, and when the bot stops it.
 */
import { ORIGIN_KEY, OWNER_KEY } from '../../../src/providers/zendesk/webhook'
import { tagOf } from '../../../src/providers/zendesk/setup'
import { useFakeRig } from '../../support/rig'
import { ZendeskFake } from './fake'

const fake = new ZendeskFake()
const rig = useFakeRig(fake, { reset: true, strict: true, before: (r) => r.driver.register() })

const open = async (extra: Record<string, unknown> = {}, history: unknown[] = []) => {
  const { userId } = await rig.driver.callAction('createUser', { name: 'Jane Doe', email: 'jane@example.com' })
  const { conversationId } = await rig.driver.callAction('startHitl', { userId, title: 'Refund', description: 'Order 42', messageHistory: history, ...extra })
  const sessionId = rig.conversation(conversationId).tags.externalId as string
  return { userId, conversationId, sessionId, state: fake.conversations.get(sessionId)! }
}

it('createUser: the same e-mail finds the same Sunco user, with its profile', async () => {
  const a = await rig.driver.callAction('createUser', { name: 'Jane Doe', email: 'jane@example.com' })
  const b = await rig.driver.callAction('createUser', { name: 'Jane D.', email: 'Jane@Example.com' })
  expect(rig.user(a.userId).tags.externalId).toBe(rig.user(b.userId).tags.externalId)
  expect(fake.users.size).toBe(1)
  const [user] = [...fake.users.values()]
  expect(user!.profile).toMatchObject({ email: 'jane@example.com', givenName: 'Jane D.' })
  // No address in the external id (it travels in URLs).
  expect(user!.externalId).not.toMatch(/jane|@/)
})

it('startHitl: a new conversation, the transcript as its opening, then control passed to the agent workspace with the ticket fields', async () => {
  const { userId } = await rig.driver.callAction('createUser', { name: 'Jane Doe', email: 'jane@example.com' })
  const { conversationId } = await rig.driver.callAction('startHitl', {
    userId,
    title: 'Refund',
    description: 'Order 42',
    hitlSession: { priority: 'urgent', routing: '360001234567', subject: 'Refund for order 42' },
    messageHistory: [{ source: { type: 'user', userId }, type: 'text', payload: { text: 'I want my money back' } }],
  })
  const state = fake.conversations.get(rig.conversation(conversationId).tags.externalId)!
  expect(state).toMatchObject({ type: 'personal', displayName: 'Refund', description: 'Order 42', participants: [rig.user(userId).tags.externalId] })
  expect(state.metadata).toMatchObject({ [OWNER_KEY]: tagOf(fake.section()), botpress_conversation_id: conversationId })
  const opening = fake.opening(state)
  expect(opening.length).toBeGreaterThan(0)
  expect(opening.every((m) => m.author.type === 'business' && m.metadata?.[ORIGIN_KEY] === 'transcript')).toBe(true)
  expect(opening.map((m) => m.content.text).join('\n')).toContain('I want my money back')
  expect(state.active?.integrationType).toBe('zd:agentWorkspace')
  expect(state.ticket).toEqual({
    first_message_id: opening[0]!.id,
    'dataCapture.systemField.subject': 'Refund for order 42',
    'dataCapture.systemField.priority': 'urgent',
    'dataCapture.systemField.group_id': '360001234567',
    'dataCapture.systemField.requester.name': 'Jane Doe',
    'dataCapture.systemField.requester.email': 'jane@example.com',
  })
  // Offered control back so that the agents' replies reach the integration.
  expect(state.pending?.name).toMatch(/^botpress-hitl-/)
  expect(fake.callsTo('PassControl').map((c) => (c.body as { switchboardIntegration: string }).switchboardIntegration)).toEqual([state.pending!.id, fake.agentWorkspace().id])
})

it('two sessions of the same user are two conversations (multi-conversations)', async () => {
  const { userId } = await rig.driver.callAction('createUser', { name: 'Jane Doe', email: 'jane@example.com' })
  const one = await rig.driver.callAction('startHitl', { userId, messageHistory: [] })
  const two = await rig.driver.callAction('startHitl', { userId, messageHistory: [] })
  expect(rig.conversation(one.conversationId).tags.externalId).not.toBe(rig.conversation(two.conversationId).tags.externalId)
  expect(fake.conversations.size).toBe(2)
})

it('an app without multi-conversations: each session gets a messaging user of its own, who speaks for the end user', async () => {
  fake.multiConvo = false
  await rig.driver.register()
  const { userId } = await rig.driver.callAction('createUser', { name: 'Jane Doe', email: 'jane@example.com' })
  const one = await rig.driver.callAction('startHitl', { userId, messageHistory: [] })
  const two = await rig.driver.callAction('startHitl', { userId, messageHistory: [] })
  const [a, b] = [one, two].map((r) => fake.conversations.get(rig.conversation(r.conversationId).tags.externalId)!)
  expect(a!.participants[0]).not.toBe(b!.participants[0])
  expect(fake.users.get(a!.participants[0]!)!.profile).toMatchObject({ givenName: 'Jane Doe', email: 'jane@example.com' })
  await rig.driver.sendMessage({ conversationId: two.conversationId, type: 'text', payload: { text: 'still me', userId } })
  expect(fake.received(b!.id)).toEqual([{ author: 'user', contactId: b!.participants[0], kind: 'text', text: 'still me' }])
})

it('a long transcript goes in 4,096-character messages, all in the ticket', async () => {
  const { userId } = await rig.driver.callAction('createUser', { name: 'Jane Doe' })
  const history = Array.from({ length: 60 }, (_, i) => ({ source: { type: 'bot' }, type: 'text', payload: { text: `line ${i} ${'x'.repeat(200)}` } }))
  const { conversationId } = await rig.driver.callAction('startHitl', { userId, messageHistory: history })
  const state = fake.conversations.get(rig.conversation(conversationId).tags.externalId)!
  const opening = fake.opening(state)
  expect(opening.length).toBeGreaterThan(2)
  expect(opening.every((m) => String(m.content.text).length <= 4096)).toBe(true)
  expect(state.ticket?.first_message_id).toBe(opening[0]!.id)
  expect(opening.map((m) => m.content.text).join('\n')).toContain('line 59')
})

it('end user → agent: one request per message, posted as the user; media as mediaUrl (Zendesk fetches them)', async () => {
  const { userId, conversationId, sessionId } = await open()
  const before = fake.callsTo('PostMessage').length
  await rig.driver.sendMessage({ conversationId, type: 'video', payload: { videoUrl: 'https://example.com/v.mp4', title: 'Clip', userId } })
  await rig.driver.sendMessage({ conversationId, type: 'image', payload: { imageUrl: 'javascript:alert(1)', userId } })
  const posts = fake.callsTo('PostMessage').slice(before).map((c) => c.body as { author: Record<string, unknown>; content: Record<string, unknown> })
  expect(posts).toHaveLength(2)
  expect(posts[0]).toEqual({ author: { type: 'user', userId: rig.user(userId).tags.externalId }, content: { type: 'file', mediaUrl: 'https://example.com/v.mp4', altText: 'Clip' } })
  // Not an http(s) URL: never handed to Zendesk as media.
  expect(posts[1]!.content.type).toBe('text')
  expect(JSON.stringify(posts[1])).not.toContain('javascript:')
  expect(fake.received(sessionId)).toHaveLength(2)
})

it('stopHitl releases the conversation from the agent workspace, marked as ours; its webhook echo emits nothing', async () => {
  const { conversationId, sessionId, state } = await open()
  await rig.driver.callAction('stopHitl', { conversationId })
  expect(state.active).toBeUndefined()
  const [call] = fake.callsTo('ReleaseControl')
  expect(call!.body).toEqual({ metadata: { [ORIGIN_KEY]: 'stop' } })
  const echo = fake.deliver([fake.event('switchboard:releaseControl', { conversation: fake.conversationJson(sessionId), metadata: { [ORIGIN_KEY]: 'stop' } })])
  expect((await rig.webhook(echo)).status).toBe(200)
  expect(rig.events('hitlStopped')).toHaveLength(0)
})

it('a failure after the conversation exists releases it: nothing is left waiting in the agent workspace', async () => {
  const { userId } = await rig.driver.callAction('createUser', { name: 'Jane Doe' })
  fake.inject('OfferControl', { status: 400, body: { errors: [{ code: 'bad_request', title: 'nope' }] } })
  await expect(rig.driver.callAction('startHitl', { userId, messageHistory: [] })).rejects.toThrow(/OfferControl/)
  const [state] = [...fake.conversations.values()]
  expect(state!.released).toBe(true)
})

it('a 429 with Retry-After is waited out and the message is posted once', async () => {
  const { userId, conversationId, sessionId } = await open()
  const before = fake.callsTo('PostMessage').length
  fake.inject('PostMessage', { status: 429, body: { errors: [{ code: 'too_many_requests', title: 'Too Many Requests' }] }, headers: { 'retry-after': '3' } })
  await rig.driver.sendMessage({ conversationId, type: 'text', payload: { text: 'once', userId } })
  expect(fake.received(sessionId).filter((m) => m.text === 'once')).toHaveLength(1)
  expect(fake.callsTo('PostMessage').length - before).toBe(2)
})
