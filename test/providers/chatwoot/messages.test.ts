/** Sessions and the end user's messages, adapter against the fake: what Chatwoot receives, request by request. */
import { parseWebhook } from '../../../src/providers/chatwoot/webhook'
import type { MediaFetcher } from '../../../src/core/media'
import { ACCOUNT_ID, ChatwootFake } from './fake'
import { delivery, messageCreated, userWebhook } from './fixtures'
import { contactRef, makeAdapter, memoryStore, sessionRef, transcript, WEBHOOK_URL } from './harness'

const fake = new ChatwootFake()
beforeAll(() => fake.start())
afterAll(() => fake.stop())
beforeEach(() => fake.wipe({ preRegistered: false }))
afterEach(() => expect(fake.violations()).toEqual([]))

const setup = async (opts: Parameters<typeof makeAdapter>[1] = {}) => {
  const store = memoryStore()
  const made = makeAdapter(fake, { store, ...opts })
  await made.adapter.connect({ webhookUrl: WEBHOOK_URL })
  const contact = await made.adapter.createContact({ name: 'Jane Doe', email: 'jane@example.com' })
  const ref = contactRef(contact.id, contact.data)
  return { ...made, contact: ref }
}

const open = async (made: Awaited<ReturnType<typeof setup>>, extras = {}) => {
  const { id } = await made.adapter.openSession({
    botpressConversationId: 'conv_1',
    contact: made.contact,
    title: 'Refund',
    description: 'Order 42',
    extras,
    transcript: transcript('Bot: Hi\nJane Doe: I want a refund'),
  })
  return { id, conversation: fake.conversation(id)! }
}

describe('createUser', () => {
  it('finds a contact by e-mail (exact, case-insensitive) before creating one; its session id in the inbox is kept', async () => {
    const made = await setup()
    const again = await made.adapter.createContact({ name: 'Jane D.', email: 'jane@example.com' })
    expect(again.id).toBe(made.contact.id)
    expect(fake.callsTo('contactCreate')).toHaveLength(1)
    const created = fake.contact(made.contact.id)!
    expect(again.data).toEqual({ sourceId: created.links[0]!.sourceId })
  })

  it('never sends a phone number Chatwoot would refuse (not E.164), and only a web avatar URL', async () => {
    const made = await setup()
    await made.adapter.createContact({ name: 'Phoney', phone: '0612345678', pictureUrl: 'javascript:alert(1)' })
    const body = fake.callsTo('contactCreate').pop()!.body as Record<string, unknown>
    expect(body).toEqual({ inbox_id: expect.any(Number), name: 'Phoney' })
  })
})

describe('startHitl', () => {
  it('a conversation for the contact in the inbox, the transcript as one private note, no message as the contact', async () => {
    const made = await setup()
    const { id, conversation } = await open(made)
    expect(id).toBe(String(conversation.displayId))
    expect(conversation.contact.id).toBe(Number(made.contact.id))
    expect(conversation.messages).toHaveLength(1)
    const [note] = conversation.messages
    expect(note).toMatchObject({ private: true, type: 'outgoing' })
    expect(note!.content).toContain('Refund\nOrder 42')
    expect(note!.content).toContain('Jane Doe: I want a refund')
    const body = fake.callsTo('newConversation')[0]!.body as Record<string, unknown>
    expect(body).toMatchObject({ inbox_id: conversation.inboxId, contact_id: Number(made.contact.id), source_id: conversation.sourceId, status: 'open' })
  })

  it.each([
    ['low', 'low'],
    ['normal', 'medium'],
    ['high', 'high'],
    ['urgent', 'urgent'],
  ])('priority %s → Chatwoot %s', async (priority, expected) => {
    const { conversation } = await open(await setup(), { priority })
    expect(conversation.priority).toBe(expected)
  })

  it.each([
    ['a team id', '8', 8],
    ['a team name (any case)', 'billing', 7],
  ])('routing naming %s assigns the team and is not repeated in the note', async (_what, routing, team) => {
    const { conversation } = await open(await setup(), { routing })
    expect(conversation.teamId).toBe(team)
    expect(conversation.messages[0]!.content).not.toContain('Routing')
  })

  it('routing naming no team: the conversation opens, the note says where the bot wanted it', async () => {
    const made = await setup()
    const { conversation } = await open(made, { routing: 'Nowhere' })
    expect(conversation.teamId).toBeNull()
    expect(conversation.messages[0]!.content).toContain('Routing: Nowhere')
  })

  it('a failed opening note resolves the half-opened conversation', async () => {
    const made = await setup()
    fake.inject('create-a-new-message-in-a-conversation', { status: 422, body: { message: 'nope' } })
    await expect(open(made)).rejects.toThrow(/Chatwoot answered 422/)
    expect(fake.sessions().map((s) => s.closed)).toEqual([true])
  })
})

describe('user → agent', () => {
  it('an image is downloaded with the media fetcher and uploaded as attachments[] (multipart), as the contact', async () => {
    const media = jest.fn<ReturnType<MediaFetcher>, Parameters<MediaFetcher>>(async () => ({ ok: true as const, body: Buffer.from('png-bytes'), contentType: 'image/png' }))
    const made = await setup({ media })
    const { id, conversation } = await open(made)
    await made.adapter.sendMessage({ session: sessionRef(id), author: { kind: 'user', contact: made.contact }, message: { type: 'image', url: 'https://cdn.example.org/cat.png?sig=secret', title: 'My cat' }, botpressMessageId: 'm1' })
    expect(media).toHaveBeenCalledWith('https://cdn.example.org/cat.png?sig=secret', { maxBytes: 10 * 1024 * 1024 })
    const form = fake.callsTo('create-a-new-message-in-a-conversation').pop()!.body as FormData
    expect(form).toBeInstanceOf(FormData)
    expect(form.get('message_type')).toBe('incoming')
    expect(form.get('content')).toBe('My cat')
    const file = form.get('attachments[]') as File
    expect([file.name, file.type, Buffer.from(await file.arrayBuffer()).toString()]).toEqual(['My cat.png', 'image/png', 'png-bytes'])
    expect(conversation.messages.pop()).toMatchObject({ type: 'incoming', private: false, sender: { type: 'contact' } })
  })

  it.each([
    ['the download is refused', async () => ({ ok: false as const, reason: 'private address refused', transient: false }), undefined],
    ['Chatwoot refuses the file (413)', async () => ({ ok: true as const, body: Buffer.from('x') }), { status: 413, body: { error: 'too large' } }],
  ])('%s → a titled link as the contact, reason logged without the query string', async (_what, fetcher, fault) => {
    const made = await setup({ media: fetcher })
    const { id, conversation } = await open(made)
    if (fault) fake.inject('create-a-new-message-in-a-conversation', fault)
    await made.adapter.sendMessage({ session: sessionRef(id), author: { kind: 'user', contact: made.contact }, message: { type: 'file', url: 'https://cdn.example.org/f.pdf?token=abc', title: 'Invoice' }, botpressMessageId: 'm1' })
    const last = conversation.messages.pop()!
    expect(last).toMatchObject({ type: 'incoming', content: '[File: Invoice] https://cdn.example.org/f.pdf?token=abc' })
    expect(made.logs.join('\n')).not.toContain('token=abc')
  })

  it("the bot's notices are private notes; long text is split in order", async () => {
    const made = await setup()
    const { id, conversation } = await open(made)
    await made.adapter.sendMessage({ session: sessionRef(id), author: { kind: 'bot', name: 'Bot' }, message: { type: 'text', text: 'The user left' }, botpressMessageId: 'm1' })
    expect(conversation.messages.pop()).toMatchObject({ private: true, content: 'Bot (bot): The user left' })
    const long = `${'a'.repeat(90_000)} ${'b'.repeat(90_000)}`
    await made.adapter.sendMessage({ session: sessionRef(id), author: { kind: 'user', contact: made.contact }, message: { type: 'text', text: long }, botpressMessageId: 'm2' })
    const parts = conversation.messages.slice(-2).map((m) => m.content)
    expect(parts).toEqual(['a'.repeat(90_000), 'b'.repeat(90_000)])
  })

  it('stopHitl resolves the conversation (toggle_status), twice without error', async () => {
    const made = await setup()
    const { id, conversation } = await open(made)
    await made.adapter.closeSession(sessionRef(id))
    await made.adapter.closeSession(sessionRef(id))
    expect(conversation.status).toBe('resolved')
    expect(fake.callsTo('toggle-status-of-a-conversation').map((c) => c.body)).toEqual([{ status: 'resolved' }, { status: 'resolved' }])
  })
})

describe('details', () => {
  it("InboundEvent.at comes from the message's created_at", () => {
    const state = { displayId: 5, tableId: 50, accountId: ACCOUNT_ID, inboxId: 1, contact: { id: 1, name: 'J' }, sourceId: 's', status: 'open', priority: null, assignee: null, teamId: null, createdAt: 1, updatedAt: 1_767_000_000.25 }
    const createdAt = new Date('2026-01-02T03:04:05.678Z')
    const req = delivery(WEBHOOK_URL, messageCreated({ id: 1, content: 'x', messageType: 'outgoing', private: false, sender: userWebhook({ id: 9, name: 'A', email: 'a@x' }), createdAt }, state), undefined)
    expect(parseWebhook(req, { accountId: String(ACCOUNT_ID) }).events[0]).toMatchObject({ at: createdAt.getTime(), session: { id: '5' } })
  })
})
