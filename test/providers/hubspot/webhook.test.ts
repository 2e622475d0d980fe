/**
 * Webhooks: signatures (HubSpot's test vectors, v3 window, constant-time compare without throwing, the URI HubSpot
 * signed, v3 required: HubSpot signs every request to an OAuth app with it) and every shape HubSpot posts, including
 * batches with a bad event, other portals' events and threads this integration did not open.
 */
import { BadRequestError, ProviderError, RetryLaterError } from '../../../src/core/errors'
import { isTransient } from '../../../src/providers/hubspot/webhook'
import type { WebhookRequest } from '../../../src/core/types'
import { candidateUris, signedUri, signV1, signV2, signV3, verifySignature } from '../../../src/providers/hubspot/signature'
import { resetCaches } from '../../../src/core/cache'
import { v1Signature, v3Signature } from './fake'
import { contactRef, makeAdapter, memoryStore, transcript, WEBHOOK_ID, WEBHOOK_URL, useHubspotFake } from './harness'

describe('signature algorithms (HubSpot test vectors)', () => {
  const secret = 'yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy'
  it('v1 = hex(sha256(secret + body))', () => {
    const body =
      '[{"eventId":1,"subscriptionId":12345,"portalId":62515,"occurredAt":1564113600000,"subscriptionType":"contact.creation","attemptNumber":0,"objectId":123,"changeSource":"CRM","changeFlag":"NEW","appId":54321}]'
    expect(signV1(secret, body)).toBe('232db2615f3d666fe21a8ec971ac7b5402d33b9a925784df3ca654d05f4817de')
  })
  it('v2 = hex(sha256(secret + method + uri + body))', () => {
    expect(signV2(secret, 'GET', 'https://www.example.com/webhook_uri', '')).toBe('eee2dddcc73c94d699f5e395f4b9d454a069a6855fbfa152e91e88823087200e')
    expect(signV2(secret, 'POST', 'https://www.example.com/webhook_uri', '{"example_field":"example_value"}')).toBe(
      '9569219f8ba981ffa6f6f16aa0f48637d35d728c7e4d93d0d52efaa512af7900'
    )
  })
  it('v3 = base64(hmac-sha256(secret, method + uri + body + timestamp)), with the documented URI decoding', () => {
    const body = '{"type":"OUTGOING_CHANNEL_MESSAGE_CREATED","portalId":12345,"channelId":"1001"}'
    expect(signV3('test-client-secret', 'POST', 'https://webhook.botpress.cloud/wh_123', body, '1767225600000')).toBe('7tGpPB1LOkbm65lEqJreWJfYvchSaUJHbJ4Uro0aT+A=')
    expect(signV3('test-client-secret', 'POST', 'https://example.com/hook?x=a%3Ab', '{}', '1767225600000')).toBe('90Ad6R4vvqc5XiiZ/W+yOZppFOVT0lJG0bOIdUmWcKE=')
    // the fake's independent implementation agrees
    expect(v3Signature('test-client-secret', 'POST', 'https://example.com/hook?x=a%3Ab', '{}', '1767225600000')).toBe('90Ad6R4vvqc5XiiZ/W+yOZppFOVT0lJG0bOIdUmWcKE=')
  })
  it('decodes only the twelve documented escapes', () => {
    expect(signedUri('https://h/p?a=%3A%2F%3F%40%21%24%27%28%29%2A%2C%3B&b=%20%25%26%3a')).toBe("https://h/p?a=:/?@!$'()*,;&b=%20%25%26:")
  })
  it('candidate URIs: the webhook URL with the forwarded sub-path and query (bare URL as "" or "/")', () => {
    expect(candidateUris(['https://w.example/wh_1/'], { path: '/', query: '' })).toEqual(['https://w.example/wh_1', 'https://w.example/wh_1/'])
    expect(candidateUris(['https://w.example/wh_1'], { path: '/hubspot', query: 'a=1' })).toEqual(['https://w.example/wh_1/hubspot?a=1'])
  })
})

describe('verifySignature', () => {
  const secret = 'client-secret-0123456789'
  const body = '{"type":"OUTGOING_CHANNEL_MESSAGE_CREATED"}'
  const req = (headers: Record<string, string>, b = body, extra: Partial<WebhookRequest> = {}): WebhookRequest => ({
    method: 'POST',
    path: '/',
    query: '',
    headers,
    body: b,
    ...extra,
  })
  const v3 = (opts: { ts?: number; url?: string; secret?: string; body?: string } = {}) => {
    const ts = String(opts.ts ?? Date.now())
    return { 'X-HubSpot-Signature-v3': signV3(opts.secret ?? secret, 'POST', opts.url ?? WEBHOOK_URL, opts.body ?? body, ts), 'X-HubSpot-Request-Timestamp': ts }
  }
  const check = (r: WebhookRequest) => verifySignature(r, { secret, bases: [WEBHOOK_URL] })

  it('accepts a fresh v3 signature of the public URL (header names in any case)', () => {
    expect(check(req(v3()))).toEqual({ ok: true })
    const lower = Object.fromEntries(Object.entries(v3()).map(([k, v]) => [k.toLowerCase(), v]))
    expect(check(req(lower))).toEqual({ ok: true })
  })
  it('refuses a forged v3 signature', () => {
    expect(check(req(v3({ secret: 'another-secret-0123456' })))).toMatchObject({ ok: false, reason: 'v3 signature mismatch' })
  })
  it('refuses a v3 signature of another URL (another bot of the same app)', () => {
    expect(check(req(v3({ url: 'https://webhook.botpress.cloud/wh_other' })))).toMatchObject({ ok: false })
  })
  it('refuses a tampered body', () => {
    expect(check(req(v3(), body.replace('OUTGOING', 'INCOMING')))).toMatchObject({ ok: false })
  })
  it('refuses a stale request (older than 5 minutes) and one from the future', () => {
    expect(check(req(v3({ ts: Date.now() - 301_000 })))).toMatchObject({ ok: false, reason: expect.stringMatching(/stale/) })
    expect(check(req(v3({ ts: Date.now() - 290_000 })))).toEqual({ ok: true })
    expect(check(req(v3({ ts: Date.now() + 120_000 })))).toMatchObject({ ok: false, reason: expect.stringMatching(/future/) })
  })
  it('refuses a wrong-length or garbage signature without throwing', () => {
    const headers = v3()
    expect(() => check(req({ ...headers, 'X-HubSpot-Signature-v3': 'short' }))).not.toThrow()
    expect(check(req({ ...headers, 'X-HubSpot-Signature-v3': 'short' }))).toMatchObject({ ok: false })
    expect(check(req({ ...headers, 'X-HubSpot-Signature-v3': headers['X-HubSpot-Signature-v3'] + 'AAAA' }))).toMatchObject({ ok: false })
    expect(check(req({ ...headers, 'X-HubSpot-Signature-v3': '' }))).toMatchObject({ ok: false })
    expect(check(req({ ...headers, 'X-HubSpot-Request-Timestamp': 'yesterday' }))).toMatchObject({ ok: false })
  })
  it('with v3 present, a valid v1 of the same request does not rescue a bad v3 (no downgrade)', () => {
    const array = '[{"eventId":1}]'
    const headers = { ...v3({ secret: 'wrong-secret-000000000', body: array }), 'X-HubSpot-Signature': signV1(secret, array), 'X-HubSpot-Signature-Version': 'v1' }
    expect(check(req(headers, array))).toMatchObject({ ok: false })
  })
  // HubSpot adds v3 to every outgoing request to an OAuth app, keeping v1/v2 "for backward compatibility"
  // (https://developers.hubspot.com/changelog/introducing-version-3-of-webhook-signatures): a request with only the
  // timestamp-less proof is a v3 header stripped (a replay at any later time), never HubSpot.
  it('refuses v1 alone, even valid, for app webhook arrays and custom-channel objects (no downgrade)', () => {
    const array = '[{"eventId":1}]'
    expect(check(req({ 'X-HubSpot-Signature': signV1(secret, array), 'X-HubSpot-Signature-Version': 'v1' }, array))).toMatchObject({ ok: false, reason: expect.stringMatching(/v3/) })
    expect(check(req({ 'X-HubSpot-Signature': signV1(secret, body), 'X-HubSpot-Signature-Version': 'v1' }))).toMatchObject({ ok: false })
    expect(check(req({ 'X-HubSpot-Signature': signV1('nope-nope-nope', array), 'X-HubSpot-Signature-Version': 'v1' }, array))).toMatchObject({ ok: false })
    expect(check(req({ 'X-HubSpot-Signature': 'abc', 'X-HubSpot-Signature-Version': 'v1' }, array))).toMatchObject({ ok: false })
  })
  it('refuses v2 alone too (no timestamp) and an unknown version', () => {
    const sig = signV2(secret, 'POST', WEBHOOK_URL, body)
    expect(check(req({ 'X-HubSpot-Signature': sig, 'X-HubSpot-Signature-Version': 'v2' }))).toMatchObject({ ok: false })
    expect(check(req({ 'X-HubSpot-Signature': sig, 'X-HubSpot-Signature-Version': 'v9' }))).toMatchObject({ ok: false })
  })
  it('refuses an unsigned request', () => {
    expect(check(req({}))).toMatchObject({ ok: false, reason: 'no HubSpot signature headers' })
  })
  it('signs the URI HubSpot called: sub-path and query included, escapes decoded as documented', () => {
    const url = `${WEBHOOK_URL}/hubspot?source=hs%3Aapp`
    const ts = String(Date.now())
    const headers = { 'x-hubspot-signature-v3': signV3(secret, 'POST', url, body, ts), 'x-hubspot-request-timestamp': ts }
    expect(check(req(headers, body, { path: '/hubspot', query: 'source=hs%3Aapp' }))).toEqual({ ok: true })
    expect(check(req(headers, body, { path: '/hubspot', query: '' }))).toMatchObject({ ok: false })
  })
})

describe('the adapter', () => {
  const fake = useHubspotFake()

  /** A thread this integration opened (app webhooks about other threads are dropped). */
  const ourThread = async (adapter: ReturnType<typeof makeAdapter>['adapter']) => {
    const { id } = await adapter.createContact({ name: 'Ada', email: 'ada@example.com' })
    const opened = await adapter.openSession({ botpressConversationId: `conv_${Math.random()}`, contact: contactRef(id), extras: {}, transcript: transcript() })
    return opened.altId!
  }

  const connected = async () => {
    const made = makeAdapter(fake)
    await made.adapter.connect({ webhookUrl: WEBHOOK_URL })
    return made
  }

  describe('verifyWebhook', () => {
    it('verifies against the webhook URL registered with HubSpot, from memory (no state read when warm)', async () => {
      const { adapter, store } = await connected()
      const reads = store.reads
      const req = fake.appWebhook([fake.appEvent('7845123457', { subscriptionType: 'conversation.deletion' })])
      expect(await adapter.verifyWebhook(req)).toEqual({ ok: true })
      expect(await adapter.verifyWebhook(fake.forged(req))).toMatchObject({ ok: false })
      expect(await adapter.verifyWebhook(fake.unsigned(req))).toMatchObject({ ok: false })
      expect(store.reads).toBe(reads)
    })

    it('a cold instance verifies without reading the state: a forged request costs 0 store reads, warm or cold', async () => {
      const { store } = await connected()
      resetCaches()
      const cold = makeAdapter(fake, { store }).adapter
      const reads = store.reads
      const requests = fake.requestCount()
      const req = fake.delivery({ type: 'CHANNEL_ACCOUNT_UPDATED', channelAccountId: '1' })
      expect(await cold.verifyWebhook(fake.forged(req))).toMatchObject({ ok: false })
      expect(await cold.verifyWebhook(fake.unsigned(req))).toMatchObject({ ok: false })
      expect(await cold.verifyWebhook(req)).toEqual({ ok: true })
      expect(store.reads).toBe(reads)
      expect(fake.requestCount()).toBe(requests)
    })

    it('without any state, the Botpress Cloud webhook URL of this installation is assumed', async () => {
      const { adapter } = makeAdapter(fake, { store: memoryStore() })
      const req = fake.delivery({ type: 'CHANNEL_ACCOUNT_CREATED' }, { url: `https://webhook.botpress.cloud/${WEBHOOK_ID}` })
      expect(await adapter.verifyWebhook(req)).toEqual({ ok: true })
      const other = fake.delivery({ type: 'CHANNEL_ACCOUNT_CREATED' }, { url: 'https://webhook.botpress.cloud/wh_someone_else' })
      expect(await adapter.verifyWebhook(other)).toMatchObject({ ok: false })
    })

    it('stale deliveries are refused', async () => {
      const { adapter } = await connected()
      const req = fake.delivery({ type: 'CHANNEL_ACCOUNT_CREATED' }, { timestamp: Date.now() - 6 * 60_000 })
      expect(await adapter.verifyWebhook(req)).toMatchObject({ ok: false, reason: expect.stringMatching(/stale/) })
    })

    it('a captured app webhook with its v3 headers removed is refused (the v1 left has no timestamp)', async () => {
      const { adapter, store } = await connected()
      const captured = fake.appWebhook([fake.appEvent('1', { subscriptionType: 'conversation.propertyChange', propertyName: 'status', propertyValue: 'CLOSED' })])
      expect(captured.headers['x-hubspot-signature']).toMatch(/^[0-9a-f]{64}$/)
      expect(await adapter.verifyWebhook(captured)).toEqual({ ok: true })
      const { 'x-hubspot-signature-v3': _sig, 'x-hubspot-request-timestamp': _ts, ...downgraded } = captured.headers
      const reads = store.reads
      expect(await adapter.verifyWebhook({ ...captured, headers: downgraded })).toMatchObject({ ok: false, reason: expect.stringMatching(/v3/) })
      expect(store.reads).toBe(reads)
    })
  })

  describe('parseWebhook', () => {
    const parse = async (adapter: Awaited<ReturnType<typeof connected>>['adapter'], req: WebhookRequest) => adapter.parseWebhook(req)

    it('an agent reply: text, inline images and attachments (with and without URL), from the agent actor', async () => {
      const { adapter } = await connected()
      const fileId = '184467440999'
      fake.files.set(fileId, { id: fileId, name: 'receipt', extension: 'pdf', mime: 'application/pdf', size: 3, access: 'PRIVATE', path: '/x/receipt.pdf', url: 'https://1.fs1.hubspotusercontent-na1.net/receipt.pdf', createdAt: '' })
      const req = fake.delivery({
        type: 'OUTGOING_CHANNEL_MESSAGE_CREATED',
        portalId: fake.hubId,
        channelId: 1001,
        channelIntegrationThreadIds: ['bp-conv_1'],
        message: {
          id: 'b71c0e8f5d2a4c1e9f8a7b6c5d4e3f21',
          type: 'MESSAGE',
          direction: 'OUTGOING',
          conversationsThreadId: '7845123456',
          createdBy: 'A-987654',
          client: { clientType: 'HUBSPOT' },
          senders: [{ actorId: 'A-987654', name: 'Grace Agent', senderField: 'FROM' }],
          text: 'Hi Ada, refund issued.',
          richText: '<div>Hi Ada, <b>refund</b> issued.<img src="https://cdn.example.com/inline.png"></div>',
          attachments: [
            { type: 'FILE', fileId: '1', fileUsageType: 'IMAGE', name: 'photo.png', url: 'https://cdn.example.com/photo.png' },
            { type: 'FILE', fileId: '2', fileUsageType: 'VOICE_RECORDING', name: 'note.ogg', url: 'https://cdn.example.com/note.ogg' },
            { type: 'FILE', fileId, fileUsageType: 'OTHER', name: 'receipt.pdf' },
            { type: 'LOCATION', latitude: 45.5, longitude: -73.6, name: 'Office' },
          ],
        },
      })
      const { events } = await parse(adapter, req)
      expect(events).toEqual([
        {
          kind: 'agentMessage',
          session: { id: 'bp-conv_1' },
          messageId: 'b71c0e8f5d2a4c1e9f8a7b6c5d4e3f21',
          agent: { id: 'A-987654' },
          // no event time in this delivery: the signed request time
          at: Number(req.headers['x-hubspot-request-timestamp']),
          messages: [
            { type: 'text', text: 'Hi Ada, refund issued.' },
            { type: 'image', url: 'https://cdn.example.com/inline.png' },
            { type: 'image', url: 'https://cdn.example.com/photo.png', title: 'photo.png' },
            { type: 'audio', url: 'https://cdn.example.com/note.ogg', title: 'note.ogg' },
            { type: 'file', url: expect.stringMatching(/^https:\/\/1\.fs1\.hubspotusercontent-na1\.net\/receipt\.pdf\?signature=/), title: 'receipt.pdf' },
            { type: 'text', text: '[Location: Office] https://maps.google.com/?q=45.5,-73.6' },
          ],
        },
      ])
      // describeAgent: name and avatar from the actors API
      fake.actors.set('A-987654', { id: 'A-987654', userId: '987654', name: 'Grace Agent', email: 'grace@acme.com', avatar: 'https://cdn.example.com/grace.png' })
      expect(await adapter.describeAgent!('A-987654')).toEqual({ id: 'A-987654', name: 'Grace Agent', pictureUrl: 'https://cdn.example.com/grace.png' })
    })

    it('a rich-text-only reply becomes text; the thread id is used when no integration thread id is given', async () => {
      const { adapter } = await connected()
      const { events } = await parse(
        adapter,
        fake.delivery({
          type: 'OUTGOING_CHANNEL_MESSAGE_CREATED',
          message: {
            id: 'm2',
            conversationsThreadId: 7845123456,
            senders: [{ actorId: 'A-1', name: 'Grace' }],
            text: '',
            richText: '<p>Line <b>one</b></p><ul><li>a</li><li><a href="https://x.example/doc">the doc</a></li></ul>',
          },
        })
      )
      expect(events).toEqual([
        {
          kind: 'agentMessage',
          session: { id: '7845123456', by: 'externalAltId' },
          messageId: 'm2',
          agent: { id: 'A-1' },
          at: expect.any(Number),
          messages: [{ type: 'text', text: 'Line one\n\n- a\n- the doc (https://x.example/doc)' }],
        },
      ])
    })

    it('the channelIntegrationThreadIds inside message is read too', async () => {
      const { adapter } = await connected()
      const { events } = await parse(adapter, fake.delivery({ type: 'OUTGOING_CHANNEL_MESSAGE_CREATED', message: { id: 'm3', channelIntegrationThreadIds: ['bp-conv_9'], createdBy: 'A-5', text: 'hi' } }))
      expect(events[0]).toMatchObject({ session: { id: 'bp-conv_9' }, agent: { id: 'A-5' } })
    })

    it('our own messages echoed back (integration client, INCOMING) and empty ones create nothing', async () => {
      const { adapter } = await connected()
      const echo = await parse(adapter, fake.delivery({ type: 'OUTGOING_CHANNEL_MESSAGE_CREATED', channelIntegrationThreadIds: ['bp-1'], message: { id: 'e1', client: { clientType: 'INTEGRATION' }, createdBy: 'I-1', text: 'Bot says' } }))
      expect(echo.events).toEqual([])
      expect(echo.skipped).toEqual(['message e1: published by the integration'])
      const incoming = await parse(adapter, fake.delivery({ type: 'OUTGOING_CHANNEL_MESSAGE_CREATED', channelIntegrationThreadIds: ['bp-1'], message: { id: 'e2', direction: 'INCOMING', createdBy: 'V-1', text: 'x' } }))
      expect(incoming.events).toEqual([])
      const empty = await parse(adapter, fake.delivery({ type: 'OUTGOING_CHANNEL_MESSAGE_CREATED', channelIntegrationThreadIds: ['bp-1'], message: { id: 'e3', createdBy: 'A-1', text: '  ' } }))
      expect(empty.events).toEqual([])
    })

    it('deliveries of another portal are skipped', async () => {
      const { adapter } = await connected()
      const { events, skipped } = await parse(adapter, fake.delivery({ type: 'OUTGOING_CHANNEL_MESSAGE_CREATED', portalId: 1, channelIntegrationThreadIds: ['bp-1'], message: { id: 'p1', createdBy: 'A-1', text: 'x' } }))
      expect(events).toEqual([])
      expect(skipped![0]).toMatch(/portal 1 is not the one/)
    })

    it('malformed agent messages → 400 with the reason', async () => {
      const { adapter } = await connected()
      await expect(parse(adapter, fake.delivery({ type: 'OUTGOING_CHANNEL_MESSAGE_CREATED', message: { text: 'no id' } }))).rejects.toThrow(BadRequestError)
      await expect(parse(adapter, fake.delivery({ type: 'OUTGOING_CHANNEL_MESSAGE_CREATED', message: { id: 'x', createdBy: 'A-1', text: 'no thread' } }))).rejects.toThrow(/names no thread/)
      await expect(parse(adapter, fake.delivery({ type: 'OUTGOING_CHANNEL_MESSAGE_CREATED', channelIntegrationThreadIds: ['bp-1'], message: { id: 'x', text: 'no sender' } }))).rejects.toThrow(/names no sender/)
    })

    it('channel-account events are acknowledged with no event; a disabled account of ours is reported', async () => {
      const { adapter, store, logs } = await connected()
      for (const type of ['CHANNEL_ACCOUNT_CREATED', 'CHANNEL_ACCOUNT_UPDATED', 'CHANNEL_ACCOUNT_PURGED']) {
        const parsed = await parse(adapter, fake.delivery({ type, portalId: fake.hubId, channelId: '1001', channelAccountId: '999', authorized: true }))
        expect(parsed.events).toEqual([])
      }
      await parse(adapter, fake.delivery({ type: 'CHANNEL_ACCOUNT_UPDATED', channelAccountId: store.data.channelAccountId, authorized: false }))
      expect(logs.join('\n')).toMatch(/HubSpot disabled the channel account/)
    })

    it('unknown delivery types are acknowledged; a body that is neither shape is a 400', async () => {
      const { adapter } = await connected()
      expect((await parse(adapter, fake.delivery({ type: 'SOMETHING_NEW' }))).events).toEqual([])
      await expect(parse(adapter, fake.delivery({ hello: 'world' }))).rejects.toThrow(/neither a custom-channel delivery/)
      await expect(parse(adapter, { ...fake.delivery({}), body: 'not json' })).rejects.toThrow(/not valid JSON/)
      await expect(parse(adapter, { ...fake.delivery({}), body: '' })).rejects.toThrow(/empty/)
    })

    it('app webhooks: assignment (bare user id or actor id), close, archive; unassign and reopen ignored', async () => {
      const { adapter } = await connected()
      const thread = await ourThread(adapter)
      const { events, skipped } = await parse(
        adapter,
        fake.appWebhook([
          fake.appEvent(thread, { subscriptionType: 'conversation.propertyChange', propertyName: 'assignedTo', propertyValue: '987654' }),
          fake.appEvent(thread, { subscriptionType: 'conversation.propertyChange', propertyName: 'assignedTo', propertyValue: 'A-111' }),
          fake.appEvent(thread, { subscriptionType: 'conversation.propertyChange', propertyName: 'assignedTo', propertyValue: '' }),
          fake.appEvent(thread, { subscriptionType: 'conversation.propertyChange', propertyName: 'status', propertyValue: 'OPEN' }),
          fake.appEvent(thread, { subscriptionType: 'conversation.propertyChange', propertyName: 'status', propertyValue: 'CLOSED' }),
          fake.appEvent(thread, { subscriptionType: 'conversation.propertyChange', propertyName: 'status', propertyValue: 'ARCHIVED' }),
          fake.appEvent(thread, { subscriptionType: 'conversation.deletion' }),
          fake.appEvent(thread, { subscriptionType: 'conversation.privacyDeletion' }),
          fake.appEvent(thread, { subscriptionType: 'conversation.newMessage', messageId: 'e835c5f4', messageType: 'MESSAGE', changeFlag: 'NEW_MESSAGE' }),
          fake.appEvent(thread, { subscriptionType: 'conversation.creation' }),
        ])
      )
      const session = { id: thread, by: 'externalAltId' }
      // `at`: the event's occurredAt (epoch ms), as HubSpot sends it
      const at = expect.any(Number)
      // `proof`: the event's signed eventId (tells apart events of one time, issue 27)
      const proof = expect.stringMatching(/^eventId \d+$/)
      expect(events).toEqual([
        { kind: 'agentAssigned', session, agent: { id: 'A-987654' }, at, proof },
        { kind: 'agentAssigned', session, agent: { id: 'A-111' }, at, proof },
        { kind: 'sessionClosed', session, at, proof },
        { kind: 'sessionClosed', session, at, proof },
        { kind: 'sessionClosed', session, at, proof },
        { kind: 'sessionClosed', session, at, proof },
      ])
      expect(skipped).toHaveLength(4)
      expect(skipped!.join('\n')).toMatch(/unassigned[\s\S]*status OPEN[\s\S]*conversation\.newMessage: not used[\s\S]*conversation\.creation: not used/)
    })

    it('a batch with one bad event still delivers the good ones and names the skipped one', async () => {
      const { adapter } = await connected()
      const thread = await ourThread(adapter)
      const good = fake.appEvent(thread, { subscriptionType: 'conversation.propertyChange', propertyName: 'status', propertyValue: 'CLOSED', occurredAt: 1_796_000_000_000 })
      const bad = { eventId: 4242, subscriptionType: 'conversation.propertyChange', propertyName: 'status', propertyValue: 'CLOSED' }
      const { events, skipped } = await parse(adapter, fake.appWebhook([good, bad, 'garbage' as never]))
      expect(events).toEqual([{ kind: 'sessionClosed', session: { id: thread, by: 'externalAltId' }, at: 1_796_000_000_000, proof: expect.stringMatching(/^eventId /) }])
      expect(skipped).toEqual([expect.stringMatching(/^event #1 \(eventId 4242\) is malformed: objectId/), expect.stringMatching(/^event #2 is malformed/)])
    })

    it('a wholly malformed batch is a 400; an empty one is fine', async () => {
      const { adapter } = await connected()
      await expect(parse(adapter, fake.appWebhook([{ eventId: 1 }, { objectId: 'x' }]))).rejects.toThrow(/every app webhook event is malformed/)
      expect(await parse(adapter, fake.appWebhook([]))).toEqual({ events: [], skipped: [], proof: expect.any(String) })
    })

    it('values that are not actor ids are never looked up, and huge fields never reach notes (fuzz findings)', async () => {
      const { adapter } = await connected()
      const huge = 'x'.repeat(100_000)
      const { events, skipped } = await parse(
        adapter,
        fake.appWebhook([
          fake.appEvent('7845123456', { subscriptionType: 'conversation.propertyChange', propertyName: 'assignedTo', propertyValue: huge }),
          fake.appEvent('7845123456', { subscriptionType: 'conversation.propertyChange', propertyName: 'assignedTo', propertyValue: 'A-1/../../x' }),
          fake.appEvent('7845123456', { subscriptionType: huge }),
          fake.appEvent('7845123456', { subscriptionType: 'conversation.propertyChange', propertyName: huge }),
        ])
      )
      expect(events).toEqual([])
      expect(skipped).toHaveLength(4)
      for (const note of skipped!) expect(note.length).toBeLessThan(200)
      await expect(parse(adapter, fake.delivery({ type: 'OUTGOING_CHANNEL_MESSAGE_CREATED', channelIntegrationThreadIds: ['bp-1'], message: { id: 'm', createdBy: huge, text: 'x' } }))).rejects.toThrow(
        /is not a HubSpot actor id/
      )
      expect(await adapter.describeAgent!(huge)).toEqual({ id: huge, name: 'HubSpot agent' })
      expect(fake.count('getActor')).toBe(0)
    })

    it('an attachment HubSpot cannot sign right now throws RetryLaterError (redelivery); one that is gone degrades to a placeholder', async () => {
      const { adapter } = await connected()
      const fileId = '184467440777'
      fake.files.set(fileId, { id: fileId, name: 'plan', extension: 'pdf', mime: 'application/pdf', size: 3, access: 'PRIVATE', path: '/x/plan.pdf', url: 'https://1.fs1.hubspotusercontent-na1.net/plan.pdf', createdAt: '' })
      const delivery = (id: string) =>
        fake.delivery({
          type: 'OUTGOING_CHANNEL_MESSAGE_CREATED',
          channelIntegrationThreadIds: ['bp-conv_1'],
          message: { id: `m-${id}`, createdBy: 'A-1', text: '', attachments: [{ type: 'FILE', fileId: id, fileUsageType: 'OTHER', name: 'plan.pdf' }] },
        })
      for (const status of [503, 429, 500]) {
        fake.fail('signedUrl', { status }, 5)
        await expect(parse(adapter, delivery(fileId))).rejects.toBeInstanceOf(RetryLaterError)
        fake.clearFaults()
      }
      for (const status of [403, 404]) {
        fake.fail('signedUrl', { status }, 1)
        const { events } = await parse(adapter, delivery(fileId))
        expect(events[0]).toMatchObject({ messages: [{ type: 'text', text: '[Attachment: plan.pdf could not be retrieved from HubSpot]' }] })
      }
      expect((await parse(adapter, delivery(fileId))).events[0]).toMatchObject({ messages: [{ type: 'file', title: 'plan.pdf' }] })
    })

    it('a network failure (no HTTP status: timeout, reset) counts as transient', () => {
      expect(isTransient(new ProviderError('HubSpot timed out', { provider: 'HubSpot', code: 'ETIMEDOUT' }))).toBe(true)
      expect(isTransient(new ProviderError('reset', { provider: 'HubSpot', code: 'ECONNRESET' }))).toBe(true)
      expect(isTransient(new ProviderError('gone', { provider: 'HubSpot', status: 404 }))).toBe(false)
      expect(isTransient(new Error('not a provider error'))).toBe(false)
    })

    it('events of another portal are skipped', async () => {
      const { adapter } = await connected()
      const { events, skipped } = await parse(adapter, fake.appWebhook([{ ...fake.appEvent('1', { subscriptionType: 'conversation.deletion' }), portalId: 99 }]))
      expect(events).toEqual([])
      expect(skipped![0]).toMatch(/portal 99/)
    })
  })

  describe('describeAgent', () => {
    it('falls back to the name seen in the delivery when the actors API does not know the agent', async () => {
      const { adapter } = await connected()
      await adapter.parseWebhook(fake.delivery({ type: 'OUTGOING_CHANNEL_MESSAGE_CREATED', channelIntegrationThreadIds: ['bp-1'], message: { id: 'm', senders: [{ actorId: 'A-404', name: 'Nora Agent' }], text: 'x' } }))
      expect(await adapter.describeAgent!('A-404')).toEqual({ id: 'A-404', name: 'Nora Agent' })
      expect(await adapter.describeAgent!('405')).toEqual({ id: '405', name: 'HubSpot agent' })
      expect(fake.callsOf('getActor').map((c) => c.path)).toEqual(['/conversations/v3/conversations/actors/A-404', '/conversations/v3/conversations/actors/A-405'])
    })

    it('a temporary failure is thrown (HubSpot redelivers) rather than naming the agent for good', async () => {
      const { adapter } = await connected()
      fake.fail('getActor', { status: 503 }, 5)
      await expect(adapter.describeAgent!('A-1')).rejects.toThrow(/503/)
    })
  })

  it('the fake signs with v1 as HubSpot documents (sanity)', () => {
    expect(v1Signature('s', '[]')).toBe(signV1('s', '[]'))
  })
})
