/**
 * The Intercom adapter against the in-memory Intercom (msw): hosts and headers, register, contacts (reuse, 409
 * conflicts, eventual consistency), sessions, messages (splitting, attachments, bot notes), closing, retries, and
 * errors that never carry a secret. Every request is validated against Intercom's OpenAPI description.
 */
import { ProviderError } from '../../../src/core/errors'
import { httpClock } from '../../support/http-clock'
import { MAX_BODY_CHARS } from '../../../src/providers/intercom/render'
import { CLIENT_SECRET, IntercomFake, ME, readHtml, REGION_HOSTS, TOKEN, WORKSPACE } from './fake'
import { contactRef, makeAdapter, sessionRef, transcript } from './harness'

const fake = new IntercomFake()
beforeAll(() => fake.start())
afterAll(() => fake.stop())
beforeEach(() => fake.reset())
afterEach(() => expect(fake.violations()).toEqual([]))

const failure = async (promise: Promise<unknown>): Promise<Error> => {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e
  )
  if (!(error instanceof Error)) throw new Error('expected the operation to fail')
  for (const secret of [TOKEN, CLIENT_SECRET, 'wrong-token-0123456789']) expect(error.message).not.toContain(secret)
  return error
}

const openFor = async (adapter: ReturnType<typeof makeAdapter>['adapter'], extra: Partial<Parameters<typeof adapter.openSession>[0]> = {}) => {
  const contact = fake.seedContact({ email: 'jane@example.com', name: 'Jane Doe' })
  const { id } = await adapter.openSession({
    botpressConversationId: 'conv_01',
    contact: contactRef(contact.id, { role: 'user' }),
    title: 'Refund request',
    description: 'Order 42',
    extras: {},
    transcript: transcript('Bot: Hi!\nJane Doe: I want a refund'),
    ...extra,
  })
  return { contact, id }
}

describe('hosts and headers', () => {
  it.each([
    ['us (default)', {}, 'us' as const],
    ['eu', { region: 'eu' as const }, 'eu' as const],
    ['au', { region: 'au' as const }, 'au' as const],
  ])('region %s → its API host, with Bearer token, Intercom-Version 2.15 and JSON', async (_, config, region) => {
    fake.options.region = region
    const { adapter } = makeAdapter(config)
    await adapter.connect({ webhookUrl: 'https://webhook.test/x' })
    expect(fake.calls).toHaveLength(1)
    expect(fake.calls[0]).toMatchObject({ host: REGION_HOSTS[region], path: '/me' })
    expect(fake.calls[0]!.headers).toMatchObject({ authorization: `Bearer ${TOKEN}`, 'intercom-version': '2.15', accept: 'application/json' })
  })

  it('apiBaseUrl overrides the regional host', async () => {
    fake.options.region = 'au'
    const { adapter } = makeAdapter({ region: 'us', apiBaseUrl: 'https://api.au.intercom.io/' })
    await adapter.connect({ webhookUrl: 'https://webhook.test/x' })
    expect(fake.calls.map((c) => c.host)).toEqual([REGION_HOSTS.au])
  })
})

describe('connect (register)', () => {
  it('checks the token with GET /me and stores the admin id and the workspace; disconnect has nothing to remove', async () => {
    const { adapter, store, logs } = makeAdapter()
    await adapter.connect({ webhookUrl: 'https://webhook.test/x' })
    expect(store.data).toEqual({ adminId: ME.id, workspaceId: WORKSPACE })
    expect(logs.join('\n')).toMatch(/Developer Hub/)
    await adapter.disconnect({ webhookUrl: 'https://webhook.test/x' })
    expect(fake.calls).toHaveLength(1)
  })

  it('a 401 names the access token and, when the token works in another region, says which (no retry storm)', async () => {
    fake.options.region = 'us'
    const { adapter, store } = makeAdapter({ region: 'eu' })
    const error = await failure(adapter.connect({ webhookUrl: 'https://webhook.test/x' }))
    expect(error.message).toMatch(/intercom\.accessToken/)
    expect(error.message).toMatch(/401/)
    expect(error.message).toMatch(/Access Token Invalid/)
    expect(error.message).toMatch(/set intercom\.region to "us"/)
    // One request on the configured host, one probe per other region: none repeated.
    expect(fake.calls.filter((c) => c.host === REGION_HOSTS.eu)).toHaveLength(1)
    expect(fake.calls.filter((c) => c.host === REGION_HOSTS.us)).toHaveLength(1)
    expect(fake.calls.filter((c) => c.host === REGION_HOSTS.au)).toHaveLength(1)
    expect(store.data).toEqual({})
  })

  it('a token refused everywhere: the message names the token and the region to check, and never contains it', async () => {
    const { adapter } = makeAdapter({ accessToken: 'wrong-token-0123456789' })
    const error = await failure(adapter.connect({ webhookUrl: 'https://webhook.test/x' }))
    expect(error.message).toMatch(/Intercom refused the access token \(intercom\.accessToken\)/)
    expect(error.message).toMatch(/intercom\.region \("us"\)/)
    expect(fake.callsTo('identifyAdmin')).toHaveLength(3)
  })

  it('with apiBaseUrl, a 401 does not probe the regions', async () => {
    const { adapter } = makeAdapter({ accessToken: 'wrong-token-0123456789', apiBaseUrl: REGION_HOSTS.us })
    const error = await failure(adapter.connect({ webhookUrl: 'https://webhook.test/x' }))
    expect(error.message).toMatch(/intercom\.apiBaseUrl/)
    expect(fake.calls).toHaveLength(1)
  })

  it('a 429 is retried after the Retry-After it names', async () => {
    fake.inject('identifyAdmin', { status: 429, body: { type: 'error.list', errors: [{ code: 'rate_limit_exceeded', message: 'Exceeded rate limit' }] }, headers: { 'retry-after': '0.3' } })
    const { adapter, store } = makeAdapter()
    const waitsBefore = httpClock.waits.length
    await adapter.connect({ webhookUrl: 'https://webhook.test/x' })
    // Waited once on the (virtual) HTTP clock, for at least the 0.3 s it named (plus jitter), not for real.
    const waits = httpClock.waits.slice(waitsBefore)
    expect(waits).toHaveLength(1)
    expect(waits[0]).toBeGreaterThanOrEqual(300)
    expect(waits[0]).toBeLessThan(600)
    expect(fake.callsTo('identifyAdmin')).toHaveLength(2)
    expect(store.data.adminId).toBe(ME.id)
  })

  it('a 5xx on GET /me is retried a bounded number of times, then reported with the status', async () => {
    const down = { status: 503, body: { type: 'error.list', errors: [{ code: 'service_unavailable', message: 'Try later' }] } }
    fake.inject('identifyAdmin', down, down, down, down)
    const { adapter } = makeAdapter()
    const error = await failure(adapter.connect({ webhookUrl: 'https://webhook.test/x' }))
    expect(error).toBeInstanceOf(ProviderError)
    expect(error.message).toMatch(/Intercom answered 503 .* on GET \/me after 3 attempts: service_unavailable: Try later/)
    expect(fake.callsTo('identifyAdmin')).toHaveLength(3)
  })
})

describe('createContact', () => {
  it('reuses the contact found by e-mail (searched lower-cased), creating nothing', async () => {
    const existing = fake.seedContact({ email: 'jane@example.com', name: 'Jane' })
    const { adapter } = makeAdapter()
    const result = await adapter.createContact({ name: 'Jane Doe', email: 'Jane@Example.com' })
    expect(result).toEqual({ id: existing.id, data: { role: 'user' } })
    expect(fake.callsTo('SearchContacts')[0]!.body).toEqual({ query: { field: 'email', operator: '=', value: 'jane@example.com' } })
    expect(fake.callsTo('CreateContact')).toHaveLength(0)
  })

  it('prefers a user over a lead with the same address, and remembers a lead as such', async () => {
    const lead = fake.seedContact({ email: 'lee@example.com', role: 'lead' })
    const { adapter } = makeAdapter()
    expect(await adapter.createContact({ name: 'Lee', email: 'lee@example.com' })).toEqual({ id: lead.id, data: { role: 'lead' } })
    const user = fake.seedContact({ email: 'lee@example.com', role: 'user' })
    expect((await adapter.createContact({ name: 'Lee', email: 'lee@example.com' })).id).toBe(user.id)
  })

  it('creates a user with e-mail, name and avatar when none exists', async () => {
    const { adapter } = makeAdapter()
    const { id } = await adapter.createContact({ name: 'Jane Doe', email: 'jane@example.com', pictureUrl: 'https://x.test/jane.png' })
    expect(fake.callsTo('CreateContact')[0]!.body).toEqual({ role: 'user', email: 'jane@example.com', name: 'Jane Doe', avatar: 'https://x.test/jane.png' })
    expect(fake.contact(id)).toMatchObject({ email: 'jane@example.com', name: 'Jane Doe', role: 'user' })
  })

  it('search not yet indexed + 409 naming the existing contact → that contact is reused', async () => {
    const existing = fake.seedContact({ email: 'jane@example.com', indexed: false })
    const { adapter } = makeAdapter()
    expect((await adapter.createContact({ name: 'Jane Doe', email: 'jane@example.com' })).id).toBe(existing.id)
    expect(fake.callsTo('SearchContacts')).toHaveLength(1)
    expect(fake.callsTo('CreateContact')).toHaveLength(1)
    expect(fake.contacts()).toHaveLength(1)
  })

  it('409 without an id → searches again and reuses what it finds', async () => {
    fake.options.conflictNamesId = false
    const existing = fake.seedContact({ email: 'jane@example.com' })
    // The first search runs before the index caught up.
    fake.inject('SearchContacts', { status: 200, body: { type: 'list', data: [], total_count: 0 } })
    const { adapter } = makeAdapter()
    expect((await adapter.createContact({ name: 'Jane Doe', email: 'jane@example.com' })).id).toBe(existing.id)
    expect(fake.callsTo('SearchContacts')).toHaveLength(2)
    expect(fake.callsTo('CreateContact')).toHaveLength(1)
  })

  it('409 without an id and a search that never finds it → a clear error after a few searches, spaced out', async () => {
    fake.options.conflictNamesId = false
    fake.seedContact({ email: 'jane@example.com', indexed: false })
    const { adapter, sleeps } = makeAdapter()
    const error = await failure(adapter.createContact({ name: 'Jane Doe', email: 'jane@example.com' }))
    expect(error.message).toMatch(/409 Conflict on create contact.*try again in a minute/)
    expect(fake.callsTo('SearchContacts')).toHaveLength(4)
    expect(sleeps).toEqual([750, 2000])
  })

  it('search is retried on 5xx (it is idempotent)', async () => {
    fake.inject('SearchContacts', { status: 500, body: { type: 'error.list', errors: [{ code: 'server_error', message: 'oops' }] } })
    const { adapter } = makeAdapter()
    await adapter.createContact({ name: 'Jane Doe', email: 'jane@example.com' })
    expect(fake.callsTo('SearchContacts')).toHaveLength(2)
  })

  it('no e-mail (or the placeholder the core strips): a contact without e-mail, with the phone when known', async () => {
    const { adapter } = makeAdapter()
    const anon = await adapter.createContact({ name: 'Anon' })
    expect(fake.callsTo('SearchContacts')).toHaveLength(0)
    expect(fake.callsTo('CreateContact')[0]!.body).toEqual({ role: 'user', name: 'Anon' })
    expect(fake.contact(anon.id)!.email).toBeUndefined()
    const phone = await adapter.createContact({ name: 'Caller', phone: '+15551234567' })
    expect(fake.contact(phone.id)).toMatchObject({ phone: '+15551234567', name: 'Caller' })
    expect(phone.id).not.toBe(anon.id)
  })

  it('no e-mail but a Botpress user id: stored as external_id and found again next time', async () => {
    const { adapter } = makeAdapter()
    const first = await adapter.createContact({ name: 'Anon', botpressUserId: 'user_09' })
    expect(fake.callsTo('CreateContact')[0]!.body).toEqual({ role: 'user', name: 'Anon', external_id: 'user_09' })
    const again = await adapter.createContact({ name: 'Anon', botpressUserId: 'user_09' })
    expect(again.id).toBe(first.id)
    expect(fake.callsTo('CreateContact')).toHaveLength(1)
  })
})

describe('openSession', () => {
  it('opens a conversation as the contact with title, description and transcript; sets the title', async () => {
    const { adapter } = makeAdapter()
    const { contact, id } = await openFor(adapter)
    const create = fake.callsTo('createConversation')[0]!
    expect(create.body).toEqual({
      from: { type: 'user', id: contact.id },
      body: 'Refund request\nOrder 42\n\nConversation with the bot so far:\nBot: Hi!\nJane Doe: I want a refund',
    })
    expect(fake.conversation(id)).toMatchObject({ contactId: contact.id, title: 'Refund request', state: 'open' })
  })

  it('opens as a lead when the contact is one', async () => {
    const { adapter } = makeAdapter()
    const lead = fake.seedContact({ email: 'lee@example.com', role: 'lead' })
    await adapter.openSession({ botpressConversationId: 'c', contact: contactRef(lead.id, { role: 'lead' }), extras: {}, transcript: transcript() })
    expect(fake.callsTo('createConversation')[0]!.body.from).toEqual({ type: 'lead', id: lead.id })
  })

  it('without title, description or history the opening is still clean, and no title is set', async () => {
    const { adapter } = makeAdapter()
    const contact = fake.seedContact({ email: 'jane@example.com' })
    await adapter.openSession({ botpressConversationId: 'c', contact: contactRef(contact.id), extras: {}, transcript: transcript() })
    expect(fake.callsTo('createConversation')[0]!.body.body).toBe('Handed over by the bot: the user asked to talk to a person.')
    expect(fake.callsTo('updateConversation')).toHaveLength(0)
  })

  it('a long transcript goes out whole in the opening message: one request whatever the history (Intercom documents no body maximum)', async () => {
    const { adapter } = makeAdapter()
    const lines = Array.from({ length: 1000 }, (_, i) => `Jane Doe: message number ${i} ${'lorem ipsum '.repeat(6)}`)
    const { id } = await openFor(adapter, { transcript: transcript(lines.join('\n')) })
    expect(fake.callsTo('createConversation')).toHaveLength(1)
    expect(fake.callsTo('replyConversation')).toHaveLength(0)
    const body = fake.conversation(id)!.source.body
    expect(body.length).toBeGreaterThan(80_000)
    const positions = lines.map((l) => body.indexOf(l.trim()))
    expect(positions.every((p) => p >= 0)).toBe(true)
    expect([...positions].sort((a, b) => a - b)).toEqual(positions)
    expect(fake.conversation(id)!.parts.filter((p) => p.opening)).toEqual([])
  })

  it('hitlSession: priority is written in the opening, a numeric routing assigns the team, another routing is written', async () => {
    const { adapter } = makeAdapter()
    const { id } = await openFor(adapter, { extras: { priority: 'urgent', routing: '42' } })
    expect(fake.callsTo('createConversation')[0]!.body.body).toMatch(/Priority: urgent/)
    expect(fake.callsTo('manageConversation')[0]!.body).toEqual({ message_type: 'assignment', type: 'team', admin_id: ME.id, assignee_id: '42' })
    expect(fake.conversation(id)!.team_assignee_id).toBe('42')

    const again = makeAdapter().adapter
    const other = await openFor(again, { extras: { routing: 'billing', subject: 'Other subject' }, title: undefined })
    expect(fake.callsTo('createConversation')[1]!.body.body).toMatch(/^Other subject\nOrder 42\n\nRouting: billing\n\n/)
    expect(fake.conversation(other.id)!.title).toBe('Other subject')
    const both = await openFor(again, { extras: { subject: 'Inbox subject' } })
    expect(fake.callsTo('createConversation')[2]!.body.body).toMatch(/^Refund request\nOrder 42\n\n/)
    expect(fake.conversation(both.id)!.title).toBe('Inbox subject')
  })

  it('a failed extra (unknown team) is logged and does not cost the hand-off', async () => {
    const { adapter, logs } = makeAdapter()
    fake.inject('manageConversation', { status: 404, body: { type: 'error.list', errors: [{ code: 'team_not_found', message: 'Team not found' }] } })
    const { id } = await openFor(adapter, { extras: { routing: '999' } })
    expect(fake.conversation(id)).toMatchObject({ id, state: 'open' })
    expect(logs.join('\n')).toMatch(/warn: Intercom: could not assign the conversation to team 999: .*team_not_found/)
  })

  it('reads the conversation id from conversation_id, or from id when that is all there is', async () => {
    const { adapter } = makeAdapter()
    const contact = fake.seedContact({ email: 'jane@example.com' })
    fake.inject('createConversation', { status: 200, body: { type: 'conversation', id: '215000000000777' } })
    const { id } = await adapter.openSession({ botpressConversationId: 'c', contact: contactRef(contact.id), extras: {}, transcript: transcript() })
    expect(id).toBe('215000000000777')
  })
})

describe('sendMessage', () => {
  it('the end user: a reply as their contact, returning the part id', async () => {
    const { adapter } = makeAdapter()
    const { contact, id } = await openFor(adapter)
    const result = await adapter.sendMessage({
      session: sessionRef(id, contact.id),
      author: { kind: 'user', contact: contactRef(contact.id) },
      message: { type: 'text', text: 'Hello agent' },
      botpressMessageId: 'msg_1',
    })
    expect(fake.callsTo('replyConversation')[0]!.body).toEqual({ message_type: 'comment', type: 'user', intercom_user_id: contact.id, body: '<p>Hello agent</p>' })
    const parts = fake.conversation(id)!.parts
    expect(result.id).toBe(parts[parts.length - 1]!.id)
  })

  const sendAs = (adapter: ReturnType<typeof makeAdapter>['adapter'], id: string, contactId: string) => (message: any) =>
    adapter.sendMessage({ session: sessionRef(id), author: { kind: 'user', contact: contactRef(contactId) }, message, botpressMessageId: 'm' })

  it('images go as attachment_urls (the spec: "a list of image URLs") with the title, else the link, as caption', async () => {
    const { adapter } = makeAdapter()
    const { contact, id } = await openFor(adapter)
    const send = sendAs(adapter, id, contact.id)
    await send({ type: 'image', url: 'https://x.test/cat.png', title: 'My cat' })
    await send({ type: 'image', url: 'https://x.test/dog.png' })
    const bodies = fake.callsTo('replyConversation').map((c) => c.body)
    expect(bodies[0]).toMatchObject({ body: '<p>My cat</p>', attachment_urls: ['https://x.test/cat.png'] })
    expect(bodies[1]).toMatchObject({ body: '<p>https://x.test/dog.png</p>', attachment_urls: ['https://x.test/dog.png'] })
    for (const b of bodies) expect(b).not.toHaveProperty('attachment_files')
    expect(fake.downloads).toEqual([])
  })

  it.each([
    ['file', 'https://x.test/docs/invoice.pdf', 'Invoice', 'Invoice.pdf', 'application/pdf'],
    ['audio', 'https://example.com/a.mp3', undefined, 'a.mp3', 'audio/mpeg'],
    ['video', 'https://media.test/v/clip.mp4?sig=secret', 'Clip', 'Clip.mp4', 'video/mp4'],
  ])('a %s is downloaded with the media fetcher and uploaded inline as attachment_files (base64), never as attachment_urls', async (type, url, title, name, contentType) => {
    const { adapter } = makeAdapter()
    const { contact, id } = await openFor(adapter)
    await sendAs(adapter, id, contact.id)({ type, url, ...(title ? { title } : {}) })
    const [call] = fake.callsTo('replyConversation')
    expect(call!.body).not.toHaveProperty('attachment_urls')
    expect(call!.body.attachment_files).toEqual([{ content_type: contentType, name, data: Buffer.from(`file bytes of ${new URL(url).pathname}`).toString('base64') }])
    // The caption names the file and its source, so that the agent knows what it is.
    expect(readHtml(call!.body.body)).toBe(`[${type[0]!.toUpperCase()}${type.slice(1)}${title ? `: ${title}` : ''}] ${url}`)
    expect(fake.downloads).toEqual([url])
    expect(fake.received(id)).toEqual([expect.objectContaining({ author: 'user', kind: type, title: name })])
  })

  it.each([
    ['a refusal (404)', 'https://x.test/missing/report.pdf', [], /answered 404/],
    ['a transient failure (503)', 'https://x.test/report.pdf', [503], /answered 503.*transient/],
  ])('a file whose download fails with %s goes as a titled link; the message is not lost and the reason is logged', async (_, url, faults, reason) => {
    const { adapter, logs } = makeAdapter()
    const { contact, id } = await openFor(adapter)
    fake.webFaults.push(...faults)
    await sendAs(adapter, id, contact.id)({ type: 'file', url, title: 'Report' })
    const calls = fake.callsTo('replyConversation')
    expect(calls).toHaveLength(1)
    expect(calls[0]!.body).toEqual({ message_type: 'comment', type: 'user', intercom_user_id: contact.id, body: `<p>[File: Report] ${url}</p>` })
    expect(logs.join('\n')).toMatch(reason)
    expect(logs.join('\n')).toMatch(/sending it as a link/)
  })

  it('the query string of a file URL never reaches the logs', async () => {
    const { adapter, logs } = makeAdapter()
    const { contact, id } = await openFor(adapter)
    fake.webFaults.push(500)
    await sendAs(adapter, id, contact.id)({ type: 'file', url: 'https://x.test/f.pdf?token=s3cr3t-query' })
    expect(logs.join('\n')).toMatch(/x\.test\/f\.pdf/)
    expect(logs.join('\n')).not.toMatch(/s3cr3t-query/)
  })

  it('the end user\'s text is escaped HTML: markup they type stays text for the agent; line breaks are kept', async () => {
    const { adapter } = makeAdapter()
    const { contact, id } = await openFor(adapter)
    const text = '<a href="https://evil.test">click</a> <img src=x onerror=alert(1)> & "quotes"\nsecond line\n\nnew paragraph'
    await sendAs(adapter, id, contact.id)({ type: 'text', text })
    const body = fake.callsTo('replyConversation')[0]!.body.body as string
    expect(body).toBe(
      '<p>&lt;a href=&quot;https://evil.test&quot;&gt;click&lt;/a&gt; &lt;img src=x onerror=alert(1)&gt; &amp; &quot;quotes&quot;<br>second line</p><p>new paragraph</p>'
    )
    expect(body).not.toMatch(/<(a|img)\b/)
    expect(fake.received(id)).toEqual([expect.objectContaining({ author: 'user', kind: 'text', text })])
  })

  it('markdown and location go as (escaped) text; a non-web URL is never an attachment', async () => {
    const { adapter } = makeAdapter()
    const { contact, id } = await openFor(adapter)
    const send = sendAs(adapter, id, contact.id)
    await send({ type: 'markdown', markdown: '**bold** _it_' })
    await send({ type: 'location', latitude: 45.5, longitude: -73.6, address: '1 Main St' })
    await send({ type: 'image', url: 'javascript:alert(1)' })
    await send({ type: 'file', url: 'data:application/pdf;base64,AAAA', title: 'x.pdf' })
    const bodies = fake.callsTo('replyConversation').map((c) => c.body)
    expect(bodies[0]).toEqual(expect.objectContaining({ body: '<p>**bold** _it_</p>' }))
    expect(bodies[1]!.body).toBe('<p>[Location: 1 Main St] 45.5, -73.6</p>')
    for (const b of bodies) {
      expect(b).not.toHaveProperty('attachment_urls')
      expect(b).not.toHaveProperty('attachment_files')
    }
    expect(fake.downloads).toEqual([])
  })

  it('an image Intercom refuses is sent again as a link, never dropped', async () => {
    const { adapter, logs } = makeAdapter()
    const { contact, id } = await openFor(adapter)
    fake.inject('replyConversation', { status: 400, body: { type: 'error.list', errors: [{ code: 'parameter_invalid', message: 'Attachment could not be downloaded' }] } })
    await sendAs(adapter, id, contact.id)({ type: 'image', url: 'https://x.test/private/photo.png', title: 'Photo' })
    const calls = fake.callsTo('replyConversation')
    expect(calls).toHaveLength(2)
    expect(calls[1]!.body).toEqual({ message_type: 'comment', type: 'user', intercom_user_id: contact.id, body: '<p>[Image: Photo] https://x.test/private/photo.png</p>' })
    expect(logs.join('\n')).toMatch(/refused an attachment/)
  })

  it('bot notices are internal notes by the token admin, marked [Bot], so the agent never mistakes them for the user', async () => {
    const { adapter } = makeAdapter()
    const { id } = await openFor(adapter)
    await adapter.sendMessage({ session: sessionRef(id), author: { kind: 'bot', name: 'Bot' }, message: { type: 'text', text: 'The user ended the session <now>' }, botpressMessageId: 'm' })
    expect(fake.callsTo('replyConversation')[0]!.body).toEqual({
      message_type: 'note',
      type: 'admin',
      admin_id: ME.id,
      body: '<p>[Bot] The user ended the session &lt;now&gt;</p>',
    })
    expect(fake.received(id)).toEqual([{ author: 'bot', kind: 'text', text: '[Bot] The user ended the session <now>' }])
  })

  it('long text is split into several replies in order, never truncated', async () => {
    const { adapter } = makeAdapter()
    const { contact, id } = await openFor(adapter)
    const words = Array.from({ length: 2500 }, (_, i) => `w${i}`)
    const paragraph = (from: number, to: number) => words.slice(from, to).join(' ')
    const text = [paragraph(0, 900), paragraph(900, 1700), paragraph(1700, 2500)].join('\n\n')
    await adapter.sendMessage({ session: sessionRef(id), author: { kind: 'user', contact: contactRef(contact.id) }, message: { type: 'text', text }, botpressMessageId: 'm' })
    const bodies = fake.callsTo('replyConversation').map((c) => c.body.body as string)
    expect(bodies.length).toBeGreaterThan(1)
    for (const body of bodies) expect(body.length).toBeLessThanOrEqual(MAX_BODY_CHARS)
    expect(bodies.map(readHtml).join(' ').split(/\s+/)).toEqual(words)
  })

  it('a 5xx on a reply is NOT retried (Intercom may have posted it): exactly one request, a clear error', async () => {
    const { adapter } = makeAdapter()
    const { contact, id } = await openFor(adapter)
    fake.inject('replyConversation', { status: 503, body: { type: 'error.list', errors: [{ code: 'service_unavailable', message: 'Sorry' }] } })
    const error = await failure(
      adapter.sendMessage({ session: sessionRef(id), author: { kind: 'user', contact: contactRef(contact.id) }, message: { type: 'text', text: 'hi' }, botpressMessageId: 'm' })
    )
    expect(error.message).toMatch(/^Intercom answered 503 Service Unavailable on reply as the contact: service_unavailable: Sorry$/)
    expect(fake.callsTo('replyConversation')).toHaveLength(1)
  })

  it('a 429 on a reply is retried (Intercom did not take it)', async () => {
    const { adapter } = makeAdapter()
    const { contact, id } = await openFor(adapter)
    fake.inject('replyConversation', { status: 429, headers: { 'retry-after': '0.05' }, body: { type: 'error.list', errors: [{ code: 'rate_limit_exceeded' }] } })
    await adapter.sendMessage({ session: sessionRef(id), author: { kind: 'user', contact: contactRef(contact.id) }, message: { type: 'text', text: 'hi' }, botpressMessageId: 'm' })
    expect(fake.callsTo('replyConversation')).toHaveLength(2)
    expect(fake.received(id)).toHaveLength(1)
  })
})

describe('closeSession', () => {
  it('closes as the /me admin (fetched once when the store lacks it), and is idempotent', async () => {
    const { adapter, store } = makeAdapter()
    const { id } = await openFor(adapter)
    await adapter.closeSession(sessionRef(id))
    expect(fake.callsTo('identifyAdmin')).toHaveLength(1)
    expect(store.data.adminId).toBe(ME.id)
    expect(fake.callsTo('manageConversation')[0]!.body).toEqual({ message_type: 'close', type: 'admin', admin_id: ME.id })
    expect(fake.conversation(id)!.state).toBe('closed')
    await adapter.closeSession(sessionRef(id))
    expect(fake.callsTo('identifyAdmin')).toHaveLength(1)
  })

  it('uses the stored admin id without calling /me; a vanished conversation is nothing to close', async () => {
    const { adapter, logs } = makeAdapter({}, { store: { adminId: ME.id } })
    await adapter.closeSession(sessionRef('215000000009999'))
    expect(fake.callsTo('identifyAdmin')).toHaveLength(0)
    expect(logs.join('\n')).toMatch(/not found; nothing to close/)
  })

  it('a 5xx on close is retried (closing twice is harmless)', async () => {
    const { adapter } = makeAdapter({}, { store: { adminId: ME.id } })
    const { id } = await openFor(adapter)
    fake.inject('manageConversation', { status: 502 })
    await adapter.closeSession(sessionRef(id))
    expect(fake.callsTo('manageConversation')).toHaveLength(2)
    expect(fake.conversation(id)!.state).toBe('closed')
  })
})

describe('describeAgent', () => {
  it('reads name and avatar with GET /admins/{id}; an unknown admin gives just the id', async () => {
    const { adapter } = makeAdapter()
    const adminId = fake.adminFor({ id: 'agent-x', name: 'Xena Agent', pictureUrl: 'https://x.test/xena.png' })
    expect(await adapter.describeAgent!(adminId)).toEqual({ id: adminId, name: 'Xena Agent', pictureUrl: 'https://x.test/xena.png' })
    expect(await adapter.describeAgent!('7999')).toEqual({ id: '7999' })
  })
})
