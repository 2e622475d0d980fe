/**
 * createUser → CRM contact (found by e-mail or phone, created only when the scopes allow, otherwise a clear error),
 * startHitl → one thread per session with the opening message, hitl messages → text / rich text / files uploaded
 * through the Files API (or a titled link) / bot notices, all idempotent; stopHitl → thread closed.
 */
import { HitlError } from '../../../src/core/errors'
import type { Data, OutboundMessage } from '../../../src/core/types'
import { resetCaches } from '../../../src/core/cache'
import type { MediaFetcher } from '../../../src/core/media'
import { MAX_TEXT } from '../../../src/providers/hubspot/messages'

import { contactRef, makeAdapter, resetProcess, sessionRef, transcript, WEBHOOK_URL, useHubspotFake } from './harness'

const fake = useHubspotFake()

const connected = async () => {
  const made = makeAdapter(fake)
  await made.adapter.connect({ webhookUrl: WEBHOOK_URL })
  return made
}

type Adapter = Awaited<ReturnType<typeof connected>>['adapter']

const openFor = async (adapter: Adapter, profile: { name: string; email?: string; phone?: string }, conversation = 'conv_1', text = '') => {
  const contact = await adapter.createContact({ name: profile.name, email: profile.email, phone: profile.phone })
  const opened = await adapter.openSession({
    botpressConversationId: conversation,
    contact: contactRef(contact.id, profile, contact.data),
    title: 'Refund',
    description: 'Order 42',
    extras: {},
    transcript: transcript(text),
  })
  const session = sessionRef(opened.id, { altId: opened.altId, contactId: contact.id, data: opened.data })
  return { contact, opened, session, contactRef: contactRef(contact.id, profile, contact.data) }
}

describe('createContact', () => {
  it('finds the CRM contact by e-mail and creates nothing', async () => {
    const { adapter } = await connected()
    const id = fake.addContact({ email: 'ada@example.com', firstname: 'Ada' })
    const contact = await adapter.createContact({ name: 'Ada L.', email: 'ada@example.com' })
    expect(contact).toEqual({ id, data: { deliveryIdentifier: { type: 'HS_EMAIL_ADDRESS', value: 'ada@example.com' } } })
    expect(fake.count('createContact')).toBe(0)
    expect(fake.callsOf('searchContacts')[0]!.body).toMatchObject({ filterGroups: [{ filters: [{ propertyName: 'email', operator: 'EQ', value: 'ada@example.com' }] }] })
  })

  it('finds it by phone (phone or mobile phone, E.164)', async () => {
    const { adapter } = await connected()
    const id = fake.addContact({ mobilephone: '+15551234567', firstname: 'Bob' })
    const contact = await adapter.createContact({ name: 'Bob', phone: '+1 (555) 123-4567' })
    expect(contact).toEqual({ id, data: { deliveryIdentifier: { type: 'HS_PHONE_NUMBER', value: '+15551234567' } } })
  })

  it('a missing contact is created when the app has the write scope', async () => {
    const { adapter } = await connected()
    const contact = await adapter.createContact({ name: 'Grace Brewster Hopper', email: 'grace@example.com' })
    expect(fake.contacts()).toEqual([{ id: contact.id, name: 'Grace Brewster Hopper', email: 'grace@example.com', phone: undefined }])
    expect(fake.contactsById.get(contact.id)!.properties).toMatchObject({ firstname: 'Grace', lastname: 'Brewster Hopper' })
  })

  it('a missing contact without the write scope → a clear error saying the contact does not exist', async () => {
    const { adapter } = await connected()
    fake.scopes.delete('crm.objects.contacts.write')
    const error = await adapter.createContact({ name: 'Ada', email: 'ada@example.com' }).catch((e) => e)
    expect(error).toBeInstanceOf(HitlError)
    // No end user's e-mail or phone in an error (issue 13): masked, or left out.
    expect(error.message).toBe(
      'No HubSpot contact has the e-mail address a***@example.com. Create the contact in HubSpot first, or grant the app the crm.objects.contacts.write scope so that missing contacts are created.'
    )
    const byPhone = await adapter.createContact({ name: 'Bob', phone: '+1 415 555 0111' }).catch((e) => e)
    expect(byPhone.message).toMatch(/No HubSpot contact has this phone number\./)
    expect(byPhone.message).not.toMatch(/555|0111/)
  })

  it('no e-mail nor phone: a contact from the name when allowed, else an error asking for one', async () => {
    const { adapter } = await connected()
    const contact = await adapter.createContact({ name: 'Anon' })
    expect(contact.data).toEqual({})
    expect(fake.contacts()[0]).toMatchObject({ id: contact.id, name: 'Anon', email: undefined })
    fake.scopes.delete('crm.objects.contacts.write')
    await expect(adapter.createContact({ name: 'Anon' })).rejects.toThrow(/needs the end user's e-mail address or phone number/)
  })

  it('a contact search has not indexed yet (409 on create) is reused by id', async () => {
    const { adapter } = await connected()
    fake.searchLag = 5
    const first = await adapter.createContact({ name: 'Ada', email: 'ada@example.com' })
    const second = await adapter.createContact({ name: 'Ada', email: 'ada@example.com' })
    expect(second.id).toBe(first.id)
    expect(fake.contacts()).toHaveLength(1)
  })

  it('a search without the read scope → a clear error naming the scope', async () => {
    const { adapter } = await connected()
    fake.scopes.delete('crm.objects.contacts.read')
    await expect(adapter.createContact({ name: 'Ada', email: 'ada@example.com' })).rejects.toThrow(/crm\.objects\.contacts\.read/)
  })
})

describe('openSession', () => {
  it('opens one thread per session, keyed by the Botpress conversation, with title, description and transcript', async () => {
    const { adapter } = await connected()
    const { opened, contact } = await openFor(adapter, { name: 'Ada Lovelace', email: 'ada@example.com' }, 'conv_7', 'Bot: Hi!\nAda Lovelace: I want a refund')
    expect(opened.id).toBe('bp-conv_7')
    const thread = fake.thread('bp-conv_7')!
    expect(opened.altId).toBe(thread.id)
    expect(opened.data).toMatchObject({ conversationsThreadId: thread.id, contact: { id: contact.id, deliveryIdentifier: { type: 'HS_EMAIL_ADDRESS', value: 'ada@example.com' } } })
    expect(thread.contactId).toBe(contact.id)
    expect(thread.inboxId).toBe(fake.credentials.helpDeskId)
    const [first] = thread.messages
    expect(first).toMatchObject({ direction: 'INCOMING', idempotencyId: 'bp-conv_7:open' })
    expect(first!.text).toBe('Title: Refund\nDescription: Order 42\n\nConversation with the bot:\nBot: Hi!\nAda Lovelace: I want a refund')
    expect(first!.richText).toContain('<strong>Title:</strong> Refund')
    expect(first!.senders[0]).toMatchObject({ name: 'Ada Lovelace', deliveryIdentifier: { type: 'HS_EMAIL_ADDRESS', value: 'ada@example.com' } })
    const body = fake.callsOf('publish')[0]!.body as Record<string, unknown>
    expect(body).toMatchObject({ messageDirection: 'INCOMING', integrationThreadId: 'bp-conv_7', attachments: [] })
    // HubSpot matches the contact by the e-mail identifier: no explicit association needed
    expect(body.associateWithContactId).toBeUndefined()
    expect(typeof body.timestamp).toBe('string')
  })

  it('markup and javascript: in the title and description stay text in the opening rich text (HubSpot renders it)', async () => {
    const { adapter } = await connected()
    const profile = { name: 'Ada', email: 'ada@example.com' }
    const contact = await adapter.createContact(profile)
    await adapter.openSession({
      botpressConversationId: 'conv_markup',
      contact: contactRef(contact.id, profile, contact.data),
      title: `<img src=x onerror=alert(1)> [click](javascript:alert(1)) javascript:alert(2) 'q'`,
      description: '<a href="javascript:alert(3)">Order</a> & <script>x</script>',
      extras: {},
      transcript: transcript(''),
    })
    const [first] = fake.thread('bp-conv_markup')!.messages
    expect(first!.richText).toBe(
      '<p><strong>Title:</strong> &lt;img src=x onerror=alert(1)&gt; [click](javascript:alert(1)) javascript:alert(2) &#39;q&#39;</p>' +
        '<p><strong>Description:</strong> &lt;a href=&quot;javascript:alert(3)&quot;&gt;Order&lt;/a&gt; &amp; &lt;script&gt;x&lt;/script&gt;</p>'
    )
    // The plain-text alternative carries them as the user wrote them.
    expect(first!.text).toBe(`Title: <img src=x onerror=alert(1)> [click](javascript:alert(1)) javascript:alert(2) 'q'\nDescription: <a href="javascript:alert(3)">Order</a> & <script>x</script>`)
  })

  it('opening again (a retried startHitl) publishes nothing twice', async () => {
    const { adapter } = await connected()
    const a = await openFor(adapter, { name: 'Ada', email: 'ada@example.com' }, 'conv_8')
    const b = await openFor(adapter, { name: 'Ada', email: 'ada@example.com' }, 'conv_8')
    expect(b.opened.altId).toBe(a.opened.altId)
    expect(fake.thread('bp-conv_8')!.messages).toHaveLength(1)
  })

  it('a long transcript goes out whole in the opening message: one publish, no upload, whatever the history', async () => {
    const { adapter } = await connected()
    const uploads = fake.count('uploadFile')
    const history = Array.from({ length: 1000 }, (_, i) => `User: message number ${i} with some words to make it longer`).join('\n')
    await openFor(adapter, { name: 'Ada', email: 'ada@example.com' }, 'conv_long', history)
    const messages = fake.thread('bp-conv_long')!.messages
    expect(messages).toHaveLength(1)
    expect(fake.count('uploadFile') - uploads).toBe(0)
    const [first] = messages
    expect(first!.text.length).toBeGreaterThan(MAX_TEXT * 10)
    expect(first!.text).toMatch(/^Title: Refund\nDescription: Order 42\n\nConversation with the bot:\n/)
    expect(first!.text).toContain('message number 0 ')
    expect(first!.text).toContain('message number 999 ')
    expect(first!.text.indexOf('message number 0 ')).toBeLessThan(first!.text.indexOf('message number 999 '))
    expect(first!.attachments).toEqual([])
  })

  it('a user known by phone only, or by nothing, is identified on the channel all the same', async () => {
    const { adapter } = await connected()
    await openFor(adapter, { name: 'Bob', phone: '+1 (415) 555-0123' }, 'conv_phone')
    expect(fake.thread('bp-conv_phone')!.messages[0]!.senders[0]!.deliveryIdentifier).toEqual({ type: 'HS_PHONE_NUMBER', value: '+14155550123' })
    const { contact } = await openFor(adapter, { name: 'Anon' }, 'conv_anon')
    const thread = fake.thread('bp-conv_anon')!
    expect(thread.messages[0]!.senders[0]!.deliveryIdentifier).toEqual({ type: 'CHANNEL_SPECIFIC_OPAQUE_ID', value: `botpress-contact-${contact.id}` })
    expect(thread.contactId).toBe(contact.id)
    expect((fake.callsOf('publish').at(-1)!.body as Record<string, unknown>).associateWithContactId).toBe(Number(contact.id))
  })
})

describe('sendMessage', () => {
  const send = (adapter: Adapter, ctx: Awaited<ReturnType<typeof openFor>>, message: OutboundMessage, id = 'msg_1', bot = false) =>
    adapter.sendMessage({ session: ctx.session, author: bot ? { kind: 'bot', name: 'Bot' } : { kind: 'user', contact: ctx.contactRef }, message, botpressMessageId: id })

  it('text from the end user, with links as rich text', async () => {
    const { adapter } = await connected()
    const ctx = await openFor(adapter, { name: 'Ada', email: 'ada@example.com' })
    await send(adapter, ctx, { type: 'text', text: 'See https://example.org/a?b=1 & <b>' })
    const m = fake.thread('bp-conv_1')!.messages[1]!
    expect(m).toMatchObject({ direction: 'INCOMING', text: 'See https://example.org/a?b=1 & <b>', idempotencyId: 'msg_1' })
    expect(m.richText).toBe('<p>See <a href="https://example.org/a?b=1">https://example.org/a?b=1</a> &amp; &lt;b&gt;</p>')
    expect(fake.received('bp-conv_1')).toEqual([{ author: 'user', contactId: ctx.contact.id, kind: 'text', text: 'See https://example.org/a?b=1 & <b>' }])
  })

  it('markdown becomes rich text and readable plain text', async () => {
    const { adapter } = await connected()
    const ctx = await openFor(adapter, { name: 'Ada', email: 'ada@example.com' })
    await send(adapter, ctx, { type: 'markdown', markdown: '**Order** _42_:\n- [track](https://t.example/42)\n- refund' })
    const m = fake.thread('bp-conv_1')!.messages[1]!
    expect(m.text).toBe('Order 42:\n- track (https://t.example/42)\n- refund')
    expect(m.richText).toBe('<p><strong>Order</strong> <em>42</em>:</p><ul><li><a href="https://t.example/42">track</a></li><li>refund</li></ul>')
  })

  it.each([
    ['image', 'https://example.com/cat.png', 'IMAGE', 'image/png'],
    ['audio', 'https://example.com/a.mp3', 'AUDIO', 'audio/mpeg'],
    ['video', 'https://example.com/v.mp4', 'OTHER', 'video/mp4'],
    ['file', 'https://example.com/f.pdf', 'OTHER', 'application/pdf'],
  ] as const)('%s (%s) is uploaded through the Files API and attached with usage type %s', async (type, url, usage, mime) => {
    const { adapter } = await connected()
    const ctx = await openFor(adapter, { name: 'Ada', email: 'ada@example.com' })
    await send(adapter, ctx, { type, url, title: 'Caption' })
    const upload = fake.callsOf('uploadFile')[0]!
    expect(upload.headers['content-type']).toMatch(/^multipart\/form-data/)
    const file = [...fake.files.values()][0]!
    expect(file).toMatchObject({ sourceUrl: url, mime, access: 'PRIVATE' })
    expect(file.path).toMatch(/^\/botpress-hitl\//)
    const m = fake.thread('bp-conv_1')!.messages[1]!
    expect(m.attachments).toEqual([expect.objectContaining({ type: 'FILE', fileId: file.id, fileUsageType: usage })])
    expect(m.text).toBe('Caption')
  })

  it.each([
    ['the download fails', 'https://example.com/missing.png', () => undefined],
    ['the file is too large', 'https://example.com/huge.bin', () => undefined],
    ['the app lacks the files scope', 'https://example.com/cat.png', () => fake.scopes.delete('files')],
    ['the upload fails', 'https://example.com/cat.png', () => fake.fail('uploadFile', { status: 500 }, 5)],
  ])('a file is sent as a titled link when %s (never dropped)', async (_, url, setup) => {
    const { adapter, logs } = await connected()
    const ctx = await openFor(adapter, { name: 'Ada', email: 'ada@example.com' })
    setup()
    await send(adapter, ctx, { type: 'image', url, title: 'My cat' })
    const m = fake.thread('bp-conv_1')!.messages[1]!
    expect(m.attachments).toEqual([])
    expect(m.text).toBe(`Image "My cat": ${url}`)
    expect(m.richText).toBe(`<p>Image: <a href="${url}">My cat</a></p>`)
    expect(logs.join('\n')).toMatch(/could not attach the image in HubSpot .*sent as a link instead/)
  })

  it('media are downloaded only through the safe media fetcher, capped at the channel limit; a refusal degrades to a titled link', async () => {
    const asked: Array<[string, number]> = []
    const media: MediaFetcher = async (url, options) => {
      asked.push([url, options.maxBytes])
      return url.includes('private')
        ? { ok: false, reason: 'http://10.0.0.1/private.png: private address refused', transient: false }
        : { ok: true, body: Buffer.from('PNG'), contentType: 'image/png' }
    }
    const made = makeAdapter(fake, { media })
    await made.adapter.connect({ webhookUrl: WEBHOOK_URL })
    const ctx = await openFor(made.adapter, { name: 'Ada', email: 'ada@example.com' })
    await send(made.adapter, ctx, { type: 'image', url: 'https://example.com/ok.png' })
    await send(made.adapter, ctx, { type: 'image', url: 'http://10.0.0.1/private.png', title: 'Inside' }, 'msg_private')
    await send(made.adapter, ctx, { type: 'file', url: 'javascript:alert(1)', title: 'Evil' }, 'msg_js')
    expect(asked).toEqual([
      ['https://example.com/ok.png', 10_000_000],
      ['http://10.0.0.1/private.png', 10_000_000],
    ])
    expect(fake.count('download')).toBe(0)
    const [ok, refused, js] = fake.thread('bp-conv_1')!.messages.slice(1)
    // attachment-only: `text` (required) is the file's name
    expect(ok).toMatchObject({ text: 'ok.png', attachments: [expect.objectContaining({ type: 'FILE' })] })
    expect(refused).toMatchObject({ text: 'Image "Inside": http://10.0.0.1/private.png', richText: '<p>Image: <a href="http://10.0.0.1/private.png">Inside</a></p>', attachments: [] })
    expect(js!.text).toBe('[File: Evil (not a web link, not sent)]')
    expect(js!.richText).toBeUndefined()
    expect(made.logs.join('\n')).toMatch(/could not attach the image in HubSpot \(http:\/\/10\.0\.0\.1\/private\.png: private address refused\)/)
  })

  it('a bloc is published item by item, in order, each with its own idempotency id', async () => {
    const { adapter } = await connected()
    const ctx = await openFor(adapter, { name: 'Ada', email: 'ada@example.com' })
    const bloc: OutboundMessage = { type: 'bloc', items: [{ type: 'text', text: 'first' }, { type: 'image', url: 'https://example.com/cat.png' }, { type: 'text', text: ' ' }, { type: 'text', text: 'third' }] }
    await send(adapter, ctx, bloc, 'msg_bloc')
    await send(adapter, ctx, bloc, 'msg_bloc') // redelivered by Botpress: nothing new
    const messages = fake.thread('bp-conv_1')!.messages.slice(1)
    expect(messages.map((m) => [m.idempotencyId, m.text, m.attachments.length])).toEqual([
      ['msg_bloc:0', 'first', 0],
      // `text` is required on a published message: an attachment carries its file name
      ['msg_bloc:1', 'cat.png', 1],
      ['msg_bloc:3', 'third', 0],
    ])
  })

  it('a retried publish (timeout after HubSpot stored it) does not duplicate the message', async () => {
    const { adapter } = await connected()
    const ctx = await openFor(adapter, { name: 'Ada', email: 'ada@example.com' })
    fake.fail('publish', { status: 503, after: true }, 1)
    await send(adapter, ctx, { type: 'text', text: 'once' }, 'msg_retry')
    // and Botpress redelivering the same message later
    await send(adapter, ctx, { type: 'text', text: 'once' }, 'msg_retry')
    expect(fake.callsOf('publish').map((c) => c.status)).toEqual([201, 503, 201, 201])
    expect(fake.thread('bp-conv_1')!.messages.filter((m) => m.text === 'once')).toHaveLength(1)
  })

  it('a bot notice is published as the business side, sender "Bot", to the end user', async () => {
    const { adapter } = await connected()
    const ctx = await openFor(adapter, { name: 'Ada', email: 'ada@example.com' })
    await send(adapter, ctx, { type: 'text', text: 'The user ended the session' }, 'msg_bot', true)
    const m = fake.thread('bp-conv_1')!.messages[1]!
    expect(m).toMatchObject({ direction: 'OUTGOING', text: 'The user ended the session' })
    expect(m.senders[0]).toMatchObject({ name: 'Bot', deliveryIdentifier: { type: 'CHANNEL_SPECIFIC_OPAQUE_ID', value: `botpress-${fake.credentials.helpDeskId}` } })
    expect(m.recipients[0]).toMatchObject({ deliveryIdentifier: { type: 'HS_EMAIL_ADDRESS', value: 'ada@example.com' } })
    expect(fake.received('bp-conv_1')).toEqual([{ author: 'bot', kind: 'text', text: 'The user ended the session' }])
  })

  it('a location is readable text with a map link', async () => {
    const { adapter } = await connected()
    const ctx = await openFor(adapter, { name: 'Ada', email: 'ada@example.com' })
    await send(adapter, ctx, { type: 'location', latitude: 45.5, longitude: -73.6, address: '1 Main St' })
    expect(fake.thread('bp-conv_1')!.messages[1]!.text).toBe('[Location: 1 Main St] 45.5, -73.6\nhttps://maps.google.com/?q=45.5,-73.6')
  })

  it('a warm instance publishes a user message without reading any Botpress state; a cold one reads the session once', async () => {
    const { adapter } = await connected()
    const ctx = await openFor(adapter, { name: 'Ada', email: 'ada@example.com' })
    const reads = { session: 0, contact: 0 }
    const session = { ...ctx.session, data: async () => (reads.session++, ctx.opened.data!) }
    const contact = { ...ctx.contactRef, data: async () => (reads.contact++, {}), profile: async () => (reads.contact++, {}) }
    await adapter.sendMessage({ session, author: { kind: 'user', contact }, message: { type: 'text', text: 'warm' }, botpressMessageId: 'msg_warm' })
    expect(reads).toEqual({ session: 0, contact: 0 })
    resetProcess()
    const cold = makeAdapter(fake, { store: (await connected()).store }).adapter
    await cold.sendMessage({ session, author: { kind: 'user', contact }, message: { type: 'text', text: 'cold' }, botpressMessageId: 'msg_cold' })
    await cold.sendMessage({ session, author: { kind: 'user', contact }, message: { type: 'text', text: 'warm again' }, botpressMessageId: 'msg_warm2' })
    expect(reads).toEqual({ session: 1, contact: 0 })
    expect(fake.thread('bp-conv_1')!.messages.slice(1).map((m) => [m.text, m.senders[0]!.deliveryIdentifier.value])).toEqual([
      ['warm', 'ada@example.com'],
      ['cold', 'ada@example.com'],
      ['warm again', 'ada@example.com'],
    ])
  })

  it('a session without stored data still publishes (channel from the integration state)', async () => {
    const { adapter } = await connected()
    const ctx = await openFor(adapter, { name: 'Ada', email: 'ada@example.com' })
    resetCaches()
    const bare = { ...ctx, session: sessionRef(ctx.opened.id, { altId: ctx.opened.altId, contactId: ctx.contact.id, data: {} as Data }) }
    await send(adapter, bare, { type: 'text', text: 'still here' })
    expect(fake.thread('bp-conv_1')!.messages[1]!.text).toBe('still here')
  })
})

describe('closeSession', () => {
  it('closes the thread (status CLOSED); closing twice, or an archived thread, is fine', async () => {
    const { adapter } = await connected()
    const ctx = await openFor(adapter, { name: 'Ada', email: 'ada@example.com' })
    await adapter.closeSession(ctx.session)
    expect(fake.thread('bp-conv_1')!.status).toBe('CLOSED')
    expect(fake.callsOf('patchThread')[0]!.body).toEqual({ status: 'CLOSED' })
    await adapter.closeSession(ctx.session)
    fake.thread('bp-conv_1')!.archived = true
    await expect(adapter.closeSession(ctx.session)).resolves.toBeUndefined()
  })

  it('finds the thread id in the session data when the tag is missing (startHitl cleanup)', async () => {
    const { adapter } = await connected()
    const ctx = await openFor(adapter, { name: 'Ada', email: 'ada@example.com' })
    await adapter.closeSession(sessionRef(ctx.opened.id, { data: ctx.opened.data }))
    expect(fake.thread('bp-conv_1')!.status).toBe('CLOSED')
    const other = makeAdapter(fake)
    await other.adapter.closeSession(sessionRef('bp-unknown'))
    expect(other.logs.join('\n')).toMatch(/thread of session bp-unknown is unknown: nothing to close/)
  })
})
