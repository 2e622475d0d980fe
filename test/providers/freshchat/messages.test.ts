/** The adapter against the fake account: users, conversations (topic, priority, group), messages and files, resolution. */
import { CHANNELS, FreshchatFake, GROUPS } from './fake'
import { contactRef, makeAdapter, sessionRef, transcript } from './harness'

const fake = new FreshchatFake()
beforeAll(() => fake.start())
afterAll(() => fake.stop())
beforeEach(() => fake.reset())
afterEach(() => expect(fake.violations()).toEqual([]))

const setup = async (extras: Record<string, string> = {}, config: Record<string, string> = {}) => {
  const { adapter, logs } = makeAdapter(fake, { config })
  const { id: contactId } = await adapter.createContact({ name: 'Jane Doe', email: 'jane@example.com', botpressUserId: 'user_01' })
  const { id } = await adapter.openSession({ botpressConversationId: 'conv_01', contact: contactRef(contactId), title: 'Refund', description: 'Order 42', extras, transcript: transcript('Jane Doe: hello') })
  return { adapter, logs, contactId, sessionId: id, conversation: fake.conversations.get(id)! }
}

describe('createUser', () => {
  it('the same e-mail reuses the Freshchat user; without one, the Botpress user id (reference_id) does', async () => {
    const { adapter } = makeAdapter(fake)
    const a = await adapter.createContact({ name: 'Jane', email: 'jane@example.com', botpressUserId: 'user_01' })
    const b = await adapter.createContact({ name: 'Jane again', email: 'jane@example.com', botpressUserId: 'user_02' })
    expect(b.id).toBe(a.id)
    const c = await adapter.createContact({ name: 'Anon', botpressUserId: 'user_03' })
    const d = await adapter.createContact({ name: 'Anon', botpressUserId: 'user_03' })
    expect(d.id).toBe(c.id)
    expect(fake.callsTo('create-user')).toHaveLength(2)
    expect(fake.users.get(a.id)).toMatchObject({ first_name: 'Jane', email: 'jane@example.com', reference_id: 'user_01' })
  })
})

describe('startHitl', () => {
  it('opens the conversation in the first topic by default, the user speaking first, the transcript as private notes of the bot', async () => {
    const { conversation, contactId } = await setup()
    expect(conversation.channel_id).toBe(CHANNELS[0]!.id)
    expect(conversation.users).toEqual([contactId])
    const [first, ...notes] = conversation.messages
    expect(first).toMatchObject({ actor_type: 'user', actor_id: contactId, message_type: 'normal' })
    expect(notes.length).toBeGreaterThan(0)
    expect(notes.every((n) => n.actor_type === 'bot' && n.message_type === 'private')).toBe(true)
    expect(notes.map((n) => n.message_parts[0]!.text!.content).join('\n')).toContain('Jane Doe: hello')
  })

  it('in the configured topic, with the priority and the group (by name) applied natively', async () => {
    const { conversation } = await setup({ priority: 'high', routing: 'billing' }, { channelId: CHANNELS[1]!.id })
    expect(conversation.channel_id).toBe(CHANNELS[1]!.id)
    expect(conversation.properties).toEqual({ priority: 'High' })
    expect(conversation.assigned_group_id).toBe(GROUPS[0]!.id)
    const notes = conversation.messages.slice(1).map((m) => String(m.message_parts[0]!.text!.content)).join('\n')
    expect(notes).not.toContain('Routing:')
  })

  it('a long transcript is split into notes of at most 10,000 characters, in order, nothing lost', async () => {
    const { adapter } = makeAdapter(fake)
    const { id: contactId } = await adapter.createContact({ name: 'Jane', botpressUserId: 'user_09' })
    const lines = Array.from({ length: 600 }, (_, i) => `Jane: line ${String(i).padStart(3, '0')} ${'x'.repeat(40)}`)
    const { id } = await adapter.openSession({ botpressConversationId: 'c', contact: contactRef(contactId), extras: {}, transcript: transcript(lines.join('\n')) })
    const notes = fake.conversations.get(id)!.messages.slice(1).map((m) => String(m.message_parts[0]!.text!.content))
    expect(notes.length).toBeGreaterThan(2)
    expect(notes.every((n) => n.length <= 10_000)).toBe(true)
    const joined = notes.join('\n')
    expect(lines.map((l) => joined.indexOf(l))).toEqual([...lines.map((l) => joined.indexOf(l))].sort((a, b) => a - b))
    expect(lines.every((l) => joined.includes(l))).toBe(true)
  })

  it('a group Freshchat does not have is left in the note for the agents, not sent as assigned_group_id', async () => {
    const { conversation } = await setup({ routing: 'Nowhere' })
    expect(conversation.assigned_group_id).toBeUndefined()
    expect(conversation.messages.slice(1).map((m) => String(m.message_parts[0]!.text!.content)).join('\n')).toContain('Routing: Nowhere')
  })
})

describe('user → agent', () => {
  it('an image is downloaded, uploaded to /images/upload and posted as the user with its caption', async () => {
    const { adapter, sessionId, contactId } = await setup()
    await adapter.sendMessage({ session: sessionRef(sessionId, contactId), author: { kind: 'user', contact: contactRef(contactId) }, message: { type: 'image', url: 'https://example.com/cat.png', title: 'My cat' }, botpressMessageId: 'm1' })
    expect(fake.callsTo('upload-image')).toHaveLength(1)
    expect(fake.received(sessionId)).toEqual([{ author: 'user', contactId, kind: 'image', url: 'https://example.com/cat.png', title: 'My cat.png', text: 'My cat' }])
  })

  it('a video goes through /files/upload and is posted as a video part; a PDF as a file part', async () => {
    const { adapter, sessionId, contactId, conversation } = await setup()
    const send = (message: { type: 'video' | 'file'; url: string; title?: string }) =>
      adapter.sendMessage({ session: sessionRef(sessionId, contactId), author: { kind: 'user', contact: contactRef(contactId) }, message, botpressMessageId: 'm' })
    await send({ type: 'video', url: 'https://example.com/v.mp4' })
    await send({ type: 'file', url: 'https://example.com/f.pdf', title: 'Invoice.pdf' })
    expect(fake.callsTo('upload-file')).toHaveLength(2)
    const posted = conversation.messages.slice(-2).map((m) => Object.keys(m.message_parts.at(-1)!)[0])
    expect(posted).toEqual(['video', 'file'])
    expect(conversation.messages.at(-1)!.message_parts[0]!.file).toMatchObject({ name: 'Invoice.pdf', content_type: 'application/pdf' })
  })

  it('a refused upload or a failed download degrades to a titled link, never lost', async () => {
    const { adapter, sessionId, contactId } = await setup()
    fake.inject('upload-file', { status: 415, body: { code: 415, status: 'UNSUPPORTED_MEDIA_TYPE', message: 'no' } })
    const author = { kind: 'user' as const, contact: contactRef(contactId) }
    await adapter.sendMessage({ session: sessionRef(sessionId, contactId), author, message: { type: 'file', url: 'https://example.com/f.pdf', title: 'f.pdf' }, botpressMessageId: 'm1' })
    await adapter.sendMessage({ session: sessionRef(sessionId, contactId), author, message: { type: 'image', url: 'https://example.com/missing/x.png' }, botpressMessageId: 'm2' })
    const received = fake.received(sessionId)
    expect(received.map((m) => m.kind)).toEqual(['text', 'text'])
    expect(received[0]!.text).toContain('https://example.com/f.pdf')
    expect(received[1]!.text).toContain('https://example.com/missing/x.png')
  })

  it("a bot notice is the bot's private note, never the user's message", async () => {
    const { adapter, sessionId, contactId, conversation } = await setup()
    await adapter.sendMessage({ session: sessionRef(sessionId, contactId), author: { kind: 'bot', name: 'Botpress' }, message: { type: 'text', text: 'The user left' }, botpressMessageId: 'm1' })
    expect(conversation.messages.at(-1)).toMatchObject({ actor_type: 'bot', message_type: 'private' })
    expect(conversation.messages.at(-1)!.actor_id).toBeUndefined()
    expect(fake.received(sessionId)).toEqual([{ author: 'bot', kind: 'text', text: 'Botpress (bot): The user left' }])
  })
})

describe('stopHitl and agents', () => {
  it('stopHitl resolves the conversation; an unknown one is not an error', async () => {
    const { adapter, sessionId } = await setup()
    await adapter.closeSession(sessionRef(sessionId))
    expect(fake.conversations.get(sessionId)!.status).toBe('resolved')
    await expect(adapter.closeSession(sessionRef('2b0b7c1e-0000-4000-8000-000000000000'))).resolves.toBeUndefined()
  })

  it('describeAgent: first and last name and avatar from GET /agents/{id}, cached; a hostile id is not looked up', async () => {
    const { adapter } = makeAdapter(fake)
    const known = fake.knownAgent()
    expect(await adapter.describeAgent!(known.id)).toEqual(known)
    expect(await adapter.describeAgent!(known.id)).toEqual(known)
    expect(fake.callsTo('get-agent')).toHaveLength(1)
    expect(await adapter.describeAgent!('../../users')).toEqual({ id: '../../users' })
    expect(fake.callsTo('get-agent')).toHaveLength(1)
  })
})
