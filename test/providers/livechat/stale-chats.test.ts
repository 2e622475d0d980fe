/**
 * A chat the customer can no longer use never makes startHitl fail again (issue 17), read from the Customer Chat API
 * v3.6 error list (platform.text.com/docs/messaging/customer-chat-api § Possible errors: `chat_anonymized` — "The
 * request couldn't be performed on an anonymized chat"; no `not_found`). Also: what LiveChat echoes of the end user's
 * e-mail never reaches an error, and run-time secrets are redacted.
 */
import { LivechatFake } from './fake'
import { contactRef, harness, openSession } from './harness'

const fake = new LivechatFake()
beforeAll(() => fake.start())
afterAll(() => fake.stop())
beforeEach(() => fake.reset())
afterEach(() => expect(fake.violations()).toEqual([]))

describe('anonymized and stale chats', () => {
  it('an anonymized chat: the next hand-off starts a new chat (as a new customer), and the one after resumes it', async () => {
    const h = harness(fake)
    const first = await openSession(h)
    await h.adapter.closeSession(first.session)
    fake.anonymize(first.opened.id)

    const second = await openSession(h, { contact: first.contact, title: 'Again' })
    expect(second.opened.id).not.toBe(first.opened.id)
    expect(fake.chat(second.opened.id)!.threads[0]!.active).toBe(true)
    const newCustomer = first.contact.state().customerId as string
    expect(newCustomer).not.toBe(first.contact.id)
    expect(fake.chat(second.opened.id)!.customerId).toBe(newCustomer)
    expect(first.contact.state().chatId).toBe(second.opened.id)
    // The new customer carries the user's profile.
    expect(fake.customers.get(newCustomer)).toMatchObject({ name: 'Jane Doe' })

    await h.adapter.closeSession(second.session)
    const third = await openSession(h, { contact: first.contact, title: 'Once more' })
    expect(third.opened.id).toBe(second.opened.id)
    expect(fake.callsTo('customer', 'resume_chat').filter((c) => c.body.chat.id === first.opened.id)).toHaveLength(1)
  })

  it('messages after the switch are written by the new customer in the new chat', async () => {
    const h = harness(fake)
    const first = await openSession(h)
    await h.adapter.closeSession(first.session)
    fake.anonymize(first.opened.id)
    const second = await openSession(h, { contact: first.contact })
    await h.adapter.sendMessage({ session: second.session, author: { kind: 'user', contact: first.contact }, message: { type: 'text', text: 'still me' }, botpressMessageId: 'm1' })
    expect(fake.received(second.opened.id)).toEqual([expect.objectContaining({ author: 'user', text: 'still me' })])
  })

  it('a chat id LiveChat refuses to this customer (authorization, unreadable with get_chat) is stale: a new chat is started', async () => {
    const h = harness(fake)
    const other = await openSession(h)
    const created = await h.adapter.createContact({ name: 'Sam Roe' })
    const contact = contactRef(created.id, { ...created.data, chatId: other.opened.id })
    const opened = await openSession(h, { contact })
    expect(opened.opened.id).not.toBe(other.opened.id)
    expect(fake.chat(opened.opened.id)!.customerId).toBe(created.id)
    expect(contact.state().chatId).toBe(opened.opened.id)
  })

  it('closing a session whose chat was anonymized is a no-op, not an error', async () => {
    const h = harness(fake)
    const { session } = await openSession(h)
    fake.anonymize(session.id)
    await expect(h.adapter.closeSession(session)).resolves.toBeUndefined()
    expect(fake.callsTo('agent', 'deactivate_chat')).toHaveLength(0)
  })
})

describe('personal data and run-time secrets', () => {
  it('a LiveChat error echoing the end user\'s e-mail or phone never carries them', async () => {
    fake.inject('customer update_customer', { status: 400, body: { error: { type: 'validation', message: 'email jane.doe@example.com or phone +15550100 is invalid' } } })
    const h = harness(fake)
    const error = await h.adapter.createContact({ name: 'Jane Doe', email: 'jane.doe@example.com', phone: '+15550100' }).catch((e: Error) => e)
    expect(error).toBeInstanceOf(Error)
    expect((error as Error).message).toMatch(/validation/)
    expect((error as Error).message).not.toContain('jane.doe@example.com')
    expect((error as Error).message).not.toContain('+15550100')
  })

  it('customer tokens and identity cookies are registered with deps.secrets: logs and errors redact them', async () => {
    const h = harness(fake)
    const created = await h.adapter.createContact({ name: 'Jane Doe' })
    const { token, cst } = created.data as { token: string; cst: string }
    const line = h.redact(`token=${token} cookie=${cst}`)
    expect(line).not.toContain(token)
    expect(line).not.toContain(cst)
    expect(h.redact(token)).not.toContain(token)
    expect(h.redact(cst)).not.toContain(cst)
  })

  it('an agent id (an e-mail address) is masked in the log line of an agent that cannot be described', async () => {
    fake.options.scopes = ['chats--access:rw']
    const h = harness(fake)
    const agent = await h.adapter.describeAgent!('smith@example.com')
    expect(agent).toEqual({ id: 'smith@example.com', name: 'smith@example.com' })
    expect(h.logs.join('\n')).not.toContain('smith@example.com')
  })
})
