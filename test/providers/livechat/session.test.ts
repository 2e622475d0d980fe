/** Contacts, sessions, messages, closing, and customer tokens that expire mid-session. */
import { ProviderError } from '../../../src/core/errors'
import type { Transcript } from '../../../src/core/types'
import { CDN, GROUP_ID, LivechatFake, PAT_SECRET, WEBHOOK_SECRET } from './fake'
import { contactRef, harness, memoryStore, openSession, sessionRef } from './harness'

const fake = new LivechatFake()
beforeAll(() => fake.start())
afterAll(() => fake.stop())
beforeEach(() => fake.reset())
afterEach(() => expect(fake.violations()).toEqual([]))

const user = (contact: ReturnType<typeof contactRef>) => ({ kind: 'user' as const, contact })
const send = (h: ReturnType<typeof harness>, session: ReturnType<typeof sessionRef>, contact: ReturnType<typeof contactRef>, message: any) =>
  h.adapter.sendMessage({ session, author: user(contact), message, botpressMessageId: 'msg_1' })

describe('createContact', () => {
  it('creates a customer identity with name, e-mail and avatar, and keeps what renews its token', async () => {
    const h = harness(fake)
    const created = await h.adapter.createContact({ name: 'Jane Doe', email: 'jane@example.com', pictureUrl: 'https://example.com/jane.png', phone: '+15550100' })
    const customer = fake.customers.get(created.id)!
    expect(customer).toMatchObject({ name: 'Jane Doe', email: 'jane@example.com', avatar: 'https://example.com/jane.png', session_fields: [{ phone: '+15550100' }] })
    expect(created.data).toMatchObject({ token: expect.stringMatching(/^dal:/), expiresAt: expect.any(Number), cid: created.id, cst: customer.cst })
    // Without a stored webhook URL the Redirect URI is Botpress Cloud's URL of this webhook.
    expect(fake.callsTo('accounts', 'token')[0]!.body.redirect_uri).toBe('https://webhook.botpress.cloud/wh_livechat_test')
    const update = fake.callsTo('customer', 'update_customer')[0]!
    expect(update.query.organization_id).toBe(fake.section().organizationId)
    expect(update.headers['x-region']).toBe('dal')
  })
})

describe('createContact reads no Botpress state on Botpress Cloud (issue 26: createUser = 2 Botpress requests)', () => {
  const LOCAL = 'https://tunnel.example.com/wh_livechat_test'

  it('grants with the cloud URL of the webhook at once, without reading the saved one', async () => {
    const store = memoryStore({ redirectUri: 'https://webhook.botpress.cloud/wh_livechat_test', region: 'dal' })
    const h = harness(fake, {}, store)
    await h.adapter.createContact({ name: 'Jane Doe' })
    expect(store.reads).toBe(0)
    expect(fake.callsTo('accounts', 'token').map((c) => c.body.redirect_uri)).toEqual(['https://webhook.botpress.cloud/wh_livechat_test'])
  })

  it('a webhook on another host: LiveChat refuses the cloud URL, the URL register saved is read and used, one customer is created', async () => {
    fake.options.redirectUris = [LOCAL]
    const store = memoryStore({ redirectUri: LOCAL })
    const h = harness(fake, {}, store)
    const created = await h.adapter.createContact({ name: 'Jane Doe' })
    expect(fake.callsTo('accounts', 'token').map((c) => c.body.redirect_uri)).toEqual(['https://webhook.botpress.cloud/wh_livechat_test', LOCAL])
    expect([...fake.customers.keys()]).toEqual([created.id])
    expect(store.reads).toBe(1)
  })

  it('refused, and nothing else saved: the error says which Redirect URI to add', async () => {
    fake.options.redirectUris = [LOCAL]
    const h = harness(fake, {}, memoryStore({}))
    await expect(h.adapter.createContact({ name: 'Jane Doe' })).rejects.toThrow(/add https:\/\/webhook\.botpress\.cloud\/wh_livechat_test to its Redirect URIs/)
    expect(fake.callsTo('accounts', 'token')).toHaveLength(1)
  })
})

describe('openSession', () => {
  const transcript: Transcript = {
    entries: [],
    text: 'Bot: Hi! How can I help?\nJane Doe: I want a refund',
  }

  it('starts the chat in the configured group with title, description and transcript in its first event', async () => {
    const h = harness(fake)
    const { session, opened, contact } = await openSession(h, { title: 'Refund request', description: 'Order 42', transcript })
    const chat = fake.chat(opened.id)!
    expect(chat.customerId).toBe(contact.id)
    expect(chat.groupIds).toEqual([GROUP_ID])
    expect(chat.continuous).toBe(true)
    const first = fake.lastThread(opened.id)!.events[0]!
    for (const part of ['Refund request', 'Order 42', 'Bot: Hi! How can I help?', 'Jane Doe: I want a refund']) expect(first.text).toContain(part)
    expect(opened.altId).toBe(fake.lastThread(opened.id)!.id)
    expect(session.state()).toMatchObject({ threadId: opened.altId, groupId: GROUP_ID, customer: { customerId: contact.id } })
    expect(contact.state().chatId).toBe(opened.id)
  })

  it('routes to the group named by hitlSession.routing when it is a number', async () => {
    const h = harness(fake)
    const { opened } = await openSession(h, { routing: '7' })
    expect(fake.chat(opened.id)!.groupIds).toEqual([7])
  })

  it('splits a transcript longer than 16 KB into several opening events, in order', async () => {
    const h = harness(fake)
    const long = Array.from({ length: 900 }, (_, i) => `Jane Doe: line ${i} ${'é'.repeat(20)}`).join('\n')
    const { opened } = await openSession(h, { title: 'Long', transcript: { entries: [], text: long } })
    const events = fake.lastThread(opened.id)!.events
    expect(events.length).toBeGreaterThan(1)
    expect(events.every((e) => Buffer.byteLength(e.text!) <= 16 * 1024)).toBe(true)
    expect(events.map((e) => e.text).join('\n')).toContain('line 899')
  })

  it('a second hand-off of the same user resumes the chat in a new thread; a thread left active is closed first', async () => {
    const h = harness(fake)
    const first = await openSession(h)
    const second = await openSession(h, { contact: first.contact, title: 'Again' })
    expect(second.opened.id).toBe(first.opened.id)
    expect(second.opened.altId).not.toBe(first.opened.altId)
    const chat = fake.chat(first.opened.id)!
    expect(chat.threads).toHaveLength(2)
    expect(chat.threads[0]!.active).toBe(false)
    expect(chat.threads[1]!.active).toBe(true)
    expect(fake.callsTo('customer', 'start_chat')).toHaveLength(1)
    expect(fake.callsTo('customer', 'resume_chat').length).toBeGreaterThanOrEqual(1)
  })

  it('finds the customer\'s chat when the contact lost track of it (start_chat refused)', async () => {
    const h = harness(fake)
    const first = await openSession(h)
    await h.adapter.closeSession(first.session)
    const forgetful = contactRef(first.contact.id, { ...first.contact.state(), chatId: undefined })
    const again = await openSession(h, { contact: forgetful })
    expect(again.opened.id).toBe(first.opened.id)
    expect(forgetful.state().chatId).toBe(first.opened.id)
  })
})

describe('sendMessage', () => {
  it('sends text as the customer and returns the event id', async () => {
    const h = harness(fake)
    const { session, contact } = await openSession(h)
    const result = await send(h, session, contact, { type: 'text', text: 'Hello agent' })
    const events = fake.lastThread(session.id)!.events
    expect(events[events.length - 1]).toMatchObject({ type: 'message', text: 'Hello agent', author_id: contact.id })
    expect(result.id).toBe(events[events.length - 1]!.id)
  })

  it('uploads media to the CDN and sends a file event named after the title', async () => {
    const h = harness(fake)
    const { session, contact } = await openSession(h)
    await send(h, session, contact, { type: 'image', url: 'https://media.test/cat.png', title: 'My cat' })
    await send(h, session, contact, { type: 'file', url: 'https://media.test/docs/invoice.pdf' })
    await send(h, session, contact, { type: 'audio', url: 'https://media.test/octet-voice.mp3' })
    const files = fake.lastThread(session.id)!.events.filter((e) => e.type === 'file')
    expect(files.map((f) => [f.name, f.content_type])).toEqual([
      ['My cat.png', 'image/png'],
      ['invoice.pdf', 'application/pdf'],
      ['octet-voice.mp3', 'audio/mpeg'],
    ])
    expect(files.every((f) => f.url!.startsWith(CDN))).toBe(true)
    expect(files[0]!.alternative_text).toBe('My cat')
    expect(fake.received(session.id).map((m) => [m.kind, m.url])).toEqual([
      ['image', 'https://media.test/cat.png'],
      ['file', 'https://media.test/docs/invoice.pdf'],
      ['audio', 'https://media.test/octet-voice.mp3'],
    ])
  })

  it.each([
    ['the file cannot be fetched', 'https://media.test/missing.png', undefined],
    ['the file is over 10 MB', 'https://media.test/huge-video.mp4', undefined],
    ['LiveChat refuses the upload', 'https://media.test/ok.png', { status: 413, body: { error: { type: 'entity_too_large', message: 'Upload limit exceeded (10MB).' } } }],
    ['LiveChat keeps failing the upload', 'https://media.test/ok.png', { status: 503 }],
  ])('sends a titled link when %s (never drops it)', async (_case, url, fault) => {
    const h = harness(fake)
    const { session, contact } = await openSession(h)
    if (fault) fake.inject('customer upload_file', fault, fault, fault)
    await send(h, session, contact, { type: 'image', url, title: 'Receipt' })
    const last = fake.received(session.id).pop()!
    expect(last).toMatchObject({ author: 'user', kind: 'text' })
    expect(last.text).toBe(`[Image: Receipt] ${url}`)
    expect(h.logs.some((l) => l.includes('sending its link'))).toBe(true)
  })

  it('notices of the bot are customer messages marked "[Bot] ", sent with the session\'s copy of the credentials', async () => {
    const h = harness(fake)
    const { session } = await openSession(h)
    await h.adapter.sendMessage({ session, author: { kind: 'bot', name: 'Bot' }, message: { type: 'text', text: 'The user ended the session' }, botpressMessageId: 'm' })
    await h.adapter.sendMessage({ session, author: { kind: 'bot', name: 'Bot' }, message: { type: 'image', url: 'https://media.test/x.png' }, botpressMessageId: 'm' })
    expect(fake.received(session.id)).toEqual([
      { author: 'bot', kind: 'text', text: '[Bot] The user ended the session' },
      { author: 'bot', kind: 'text', text: '[Bot] [Image] https://media.test/x.png' },
    ])
  })

  it('splits a text over 16 KB into several messages, in order', async () => {
    const h = harness(fake)
    const { session, contact } = await openSession(h)
    const text = Array.from({ length: 3000 }, (_, i) => `word${i}`).join(' ')
    await send(h, session, contact, { type: 'text', text })
    const got = fake.received(session.id)
    expect(got.length).toBeGreaterThan(1)
    expect(got.map((m) => m.text).join(' ')).toBe(text)
  })

  it('a message to a thread closed on LiveChat (webhook not seen yet) opens a new thread rather than being lost', async () => {
    const h = harness(fake)
    const { session, contact } = await openSession(h)
    fake.lastThread(session.id)!.active = false
    const result = await send(h, session, contact, { type: 'text', text: 'Are you there?' })
    const thread = fake.lastThread(session.id)!
    expect(thread.active).toBe(true)
    expect(result.altId).toBe(thread.id)
    expect(thread.events[0]).toMatchObject({ text: 'Are you there?' })
    expect(session.state().threadId).toBe(thread.id)
  })

  it('retries a 429 (Retry-After honoured) but never repeats a message after a 5xx', async () => {
    const h = harness(fake)
    const { session, contact } = await openSession(h)
    fake.inject('customer send_event', { status: 429, headers: { 'retry-after': '0' }, body: { error: { type: 'too_many_requests', message: 'Too many requests' } } })
    await send(h, session, contact, { type: 'text', text: 'after a 429' })
    expect(fake.received(session.id).map((m) => m.text)).toEqual(['after a 429'])

    fake.inject('customer send_event', { status: 503, body: { error: { type: 'service_unavailable', message: 'Service unavailable' } } })
    const error = await send(h, session, contact, { type: 'text', text: 'after a 503' }).catch((e) => e)
    expect(error).toBeInstanceOf(ProviderError)
    expect(error.message).toBe('LiveChat answered 503 Service Unavailable on customer send_event: service_unavailable: Service unavailable')
    expect(fake.callsTo('customer', 'send_event')).toHaveLength(3)
  })
})

describe('customer tokens', () => {
  it('a token that expired mid-session is renewed (identity cookies) and the message gets through, as the same customer', async () => {
    const h = harness(fake)
    const { session, contact } = await openSession(h)
    const before = contact.state().token
    fake.expireTokens()
    await send(h, session, contact, { type: 'text', text: 'still here' })
    expect(fake.received(session.id).map((m) => [m.author, m.contactId, m.text])).toEqual([['user', contact.id, 'still here']])
    expect(contact.state().token).not.toBe(before)
    // The session's copy (used for the bot's notices) follows.
    expect((session.state().customer as { token: string }).token).toBe(contact.state().token)
    expect(fake.customers.size).toBe(1)
    const renewal = fake.callsTo('accounts', 'token').pop()!
    expect(renewal.body.grant_type).toBe('cookie')
    expect(h.logs.join('\n')).not.toContain(before as string)
  })

  it('renews ahead of expiry with an identity transfer, before calling', async () => {
    const h = harness(fake)
    const { session, contact } = await openSession(h)
    await contact.saveData({ expiresAt: Date.now() + 60_000 })
    await send(h, session, contact, { type: 'text', text: 'hi' })
    expect(fake.callsTo('accounts', 'identity_transfer')).toHaveLength(1)
    expect(fake.callsTo('accounts', 'token').pop()!.body.grant_type).toBe('identity_token')
    expect(contact.state().expiresAt).toBeGreaterThan(Date.now() + 3_600_000)
    expect(fake.callsTo('customer', 'send_event')).toHaveLength(1)
  })

  it('the bot\'s notices renew the session\'s own copy of the credentials', async () => {
    const h = harness(fake)
    const { session } = await openSession(h)
    const before = (session.state().customer as { token: string }).token
    fake.expireTokens()
    await h.adapter.sendMessage({ session, author: { kind: 'bot', name: 'Bot' }, message: { type: 'text', text: 'notice' }, botpressMessageId: 'm' })
    expect((session.state().customer as { token: string }).token).not.toBe(before)
    expect(fake.received(session.id).pop()!.text).toBe('[Bot] notice')
  })

  it('when the identity cannot be renewed, the error says so and carries no secret', async () => {
    const h = harness(fake)
    const { session, contact } = await openSession(h)
    fake.options.acceptsCookies = false
    fake.expireTokens()
    const error = await send(h, session, contact, { type: 'text', text: 'lost' }).catch((e) => e)
    expect(error).toBeInstanceOf(ProviderError)
    expect(error.message).toMatch(/could not be renewed .*another customer/)
    const secrets = [contact.state().token, contact.state().cst, PAT_SECRET, WEBHOOK_SECRET] as string[]
    for (const secret of secrets) {
      expect(error.message).not.toContain(secret)
      expect(h.logs.join('\n')).not.toContain(secret)
    }
  })
})

describe('errors never carry secrets', () => {
  it('LiveChat error text echoing a token is redacted', async () => {
    const h = harness(fake)
    const { session, contact } = await openSession(h)
    const token = contact.state().token as string
    fake.inject('customer send_event', { status: 400, body: { error: { type: 'validation', message: `bad request for Bearer ${token} / ${token}` } } })
    const error = await send(h, session, contact, { type: 'text', text: 'x' }).catch((e) => e)
    expect(error.message).toMatch(/^LiveChat answered 400 on customer send_event: validation: bad request for Bearer \[redacted\]/)
    expect(error.message).not.toContain(token)
    expect(error.message).not.toContain(token.slice(4))
  })
})

describe('closeSession', () => {
  it('deactivates the chat; closing again, or a chat the agent already closed, is fine', async () => {
    const h = harness(fake)
    const { session } = await openSession(h)
    await h.adapter.closeSession(session)
    expect(fake.lastThread(session.id)!.active).toBe(false)
    await expect(h.adapter.closeSession(session)).resolves.toBeUndefined()
    const other = await openSession(h)
    fake.lastThread(other.session.id)!.active = false
    await expect(h.adapter.closeSession(other.session)).resolves.toBeUndefined()
  })

  it('closing an earlier session never closes the thread of a later one', async () => {
    const h = harness(fake)
    const first = await openSession(h)
    const second = await openSession(h, { contact: first.contact })
    await h.adapter.closeSession(first.session)
    expect(fake.lastThread(second.session.id)!.id).toBe(second.opened.altId)
    expect(fake.lastThread(second.session.id)!.active).toBe(true)
  })

  it('without customer credentials in the session, closes with the agent token (ignore_requester_presence)', async () => {
    const h = harness(fake)
    const { session } = await openSession(h)
    const bare = sessionRef(session.id, undefined, session.contactId, { threadId: session.state().threadId })
    await h.adapter.closeSession(bare)
    expect(fake.callsTo('agent', 'deactivate_chat')[0]!.body).toEqual({ id: session.id, ignore_requester_presence: true })
    expect(fake.lastThread(session.id)!.active).toBe(false)
    await expect(h.adapter.closeSession(bare)).resolves.toBeUndefined()
  })
})

describe('describeAgent', () => {
  it('reads name and avatar with configuration get_agent (scheme-less avatars fixed)', async () => {
    fake.agents.set('smith@example.com', { id: 'smith@example.com', name: 'Agent Smith', avatar: 'cdn.livechatinc.com/avatars/1.png' })
    const agent = await harness(fake).adapter.describeAgent!('smith@example.com')
    expect(agent).toEqual({ id: 'smith@example.com', name: 'Agent Smith', pictureUrl: 'https://cdn.livechatinc.com/avatars/1.png' })
  })

  it('falls back to the id when the token may not read agents', async () => {
    fake.options.scopes = ['chats--access:rw']
    expect(await harness(fake).adapter.describeAgent!('smith@example.com')).toEqual({ id: 'smith@example.com', name: 'smith@example.com' })
  })
})
