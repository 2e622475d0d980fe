import { fetchMedia } from '../../../src/core/media'
import { providers } from '../../../src/providers'
import { BadRequestError } from '../../../src/core/errors'
import { createHttpClientFactory } from '../../../src/core/http'
import { createLogger, Redactor } from '../../../src/core/log'
import { sign, verify } from '../../../src/providers/http/signature'
import type { HttpConfig } from '../../../src/providers/http/config'
import type { InboundEvent, WebhookRequest } from '../../../src/core/types'

const SECRET = 'whsec_0123456789abcdef'
const silent = { debug() {}, info() {}, warn() {}, error() {} }
const configured = (section: Partial<HttpConfig>) =>
  providers.http.create(
    { endpointBaseUrl: 'http://127.0.0.1:9', ...section },
    {
      http: createHttpClientFactory(new Redactor([SECRET])),
      media: fetchMedia,
      secrets: { add: () => {} },
      logger: createLogger(silent, new Redactor([SECRET])),
      store: { get: async () => ({}), set: async () => {} },
      ctx: { botId: 'b', integrationId: 'i', webhookId: 'w' },
    }
  )
const adapter = (webhookSecret: string | undefined = SECRET) => configured({ webhookSecret })

const request = (path: string, body: unknown, headers: Record<string, string> = {}): WebhookRequest => {
  const raw = typeof body === 'string' ? body : JSON.stringify(body)
  return { method: 'POST', path, query: '', headers: { 'content-type': 'application/json', ...sign(SECRET, raw), ...headers }, body: raw }
}
const unsignedRequest = (path: string, body: unknown): WebhookRequest => ({ ...request(path, body), headers: { 'content-type': 'application/json' } })
const withoutAt = (events: InboundEvent[]) => events.map(({ at: _at, ...event }) => event)

describe('http provider: signatures', () => {
  const req = request('/message-from-agent', { remoteConversationId: 't1', remoteUserId: 'a1', messageType: 'text', payload: { text: 'hi' } })

  it('accepts a valid signature', () => {
    expect(verify(SECRET, req)).toEqual({ ok: true })
  })
  it.each([
    ['missing', { ...req, headers: {} }, 'missing signature headers'],
    ['forged', { ...req, headers: { ...req.headers, 'x-hitl-signature': 'sha256=' + 'f'.repeat(64) } }, 'signature mismatch'],
    ['wrong length', { ...req, headers: { ...req.headers, 'x-hitl-signature': 'sha256=abc' } }, 'signature mismatch'],
    ['body changed after signing', { ...req, body: req.body.replace('hi', 'ha') }, 'signature mismatch'],
    ['stale', { ...req, ...request('/x', JSON.parse(req.body)), headers: { ...sign(SECRET, req.body, Math.floor(Date.now() / 1000) - 301) } }, 'stale or invalid timestamp'],
    ['from the future', { ...req, headers: { ...sign(SECRET, req.body, Math.floor(Date.now() / 1000) + 400) } }, 'stale or invalid timestamp'],
    ['non-numeric timestamp', { ...req, headers: { ...req.headers, 'x-hitl-timestamp': 'soon' } }, 'stale or invalid timestamp'],
  ])('refuses a %s signature', (_, r, reason) => {
    expect(verify(SECRET, r as WebhookRequest)).toEqual({ ok: false, reason })
  })
})

describe('http provider: unsigned webhooks need the owner\'s explicit opt-in', () => {
  const body = { remoteConversationId: 't1', remoteUserId: 'a1', messageType: 'text', payload: { text: 'hi' } }

  it('without a secret and without http.allowUnsignedWebhooks, refuses every webhook, naming both fields', async () => {
    for (const section of [{}, { webhookSecret: '' }, { allowUnsignedWebhooks: false }]) {
      const result = await configured(section).verifyWebhook(unsignedRequest('/message-from-agent', body))
      expect(result).toEqual({ ok: false, reason: expect.stringContaining('http.webhookSecret') })
      expect(result).toEqual({ ok: false, reason: expect.stringContaining('http.allowUnsignedWebhooks') })
      // A request that looks signed proves nothing either: there is no secret to check it with.
      expect((await configured(section).verifyWebhook(request('/message-from-agent', body))).ok).toBe(false)
    }
  })

  it('with http.allowUnsignedWebhooks, accepts unsigned requests (desks built for the original protocol)', async () => {
    const legacy = configured({ allowUnsignedWebhooks: true })
    expect(await legacy.verifyWebhook(unsignedRequest('/message-from-agent', body))).toEqual({ ok: true })
    // An unverified timestamp is not an event time.
    const parsed = await legacy.parseWebhook(request('/agent-assigned', { remoteConversationId: 't1', remoteUserId: 'a1' }))
    expect(parsed.events).toEqual([{ kind: 'agentAssigned', session: { id: 't1' }, agent: { id: 'a1', name: undefined, pictureUrl: undefined } }])
  })

  it('with a secret, the opt-in changes nothing: unsigned and forged requests are refused', async () => {
    const both = configured({ webhookSecret: SECRET, allowUnsignedWebhooks: true })
    expect(await both.verifyWebhook(unsignedRequest('/message-from-agent', body))).toEqual({ ok: false, reason: 'missing signature headers' })
    const forged = request('/message-from-agent', body, { 'x-hitl-signature': 'sha256=' + '0'.repeat(64) })
    expect(await both.verifyWebhook(forged)).toEqual({ ok: false, reason: 'signature mismatch' })
    expect(await both.verifyWebhook(request('/message-from-agent', body))).toEqual({ ok: true })
  })

  it('the Studio field reads as insecure and is off by default', () => {
    const field = (providers.http.configSchema as any).shape.allowUnsignedWebhooks
    expect(field.isOptional()).toBe(true)
    expect(JSON.stringify(field.toJSONSchema())).toContain('Accept unsigned webhooks (insecure)')
    expect(providers.http.configSchema.safeParse({ endpointBaseUrl: 'https://x', allowUnsignedWebhooks: 'yes' }).success).toBe(false)
  })
})

describe('http provider: event time from the signed timestamp', () => {
  const assigned = { remoteConversationId: 't1', remoteUserId: 'a1' }

  it('every event carries the signed time (seconds or milliseconds), so a replay is older than what followed it', async () => {
    const seconds = Math.floor(Date.now() / 1000) - 30
    const first = request('/agent-assigned', assigned, sign(SECRET, JSON.stringify(assigned), seconds))
    const transfer = { remoteConversationId: 't1', remoteUserId: 'a2' }
    const second = request('/agent-assigned', transfer, sign(SECRET, JSON.stringify(transfer), seconds + 1))
    const a = (await adapter().parseWebhook(first)).events[0]!
    const b = (await adapter().parseWebhook(second)).events[0]!
    expect(a.at).toBe(seconds * 1000)
    expect(b.at).toBe((seconds + 1) * 1000)
    // The same capture replayed later still says when it was signed.
    expect((await adapter().parseWebhook(first)).events[0]!.at).toBe(seconds * 1000)

    const ms = Date.now() - 1234
    const precise = request('/stop-hitl', { remoteConversationId: 't1' }, sign(SECRET, JSON.stringify({ remoteConversationId: 't1' }), ms))
    expect(await adapter().verifyWebhook(precise)).toEqual({ ok: true })
    expect((await adapter().parseWebhook(precise)).events).toEqual([{ kind: 'sessionClosed', session: { id: 't1' }, at: ms }])
    const message = { remoteConversationId: 't1', remoteUserId: 'a1', messageType: 'text', payload: { text: 'hi' }, messageId: 'm1' }
    expect((await adapter().parseWebhook(request('/message-from-agent', message, sign(SECRET, JSON.stringify(message), seconds)))).events[0]!.at).toBe(seconds * 1000)
  })
})

describe('http provider: webhook parsing', () => {
  const parse = async (path: string, body: unknown, headers?: Record<string, string>) => {
    const parsed = await adapter().parseWebhook(request(path, body, headers))
    return { ...parsed, events: withoutAt(parsed.events) }
  }

  it('reads a legacy message (string ids, no extras)', async () => {
    const parsed = await parse('/message-from-agent', { remoteConversationId: 't1', remoteUserId: 'a1', messageType: 'text', payload: { text: 'hi' } })
    expect(parsed.events).toEqual([
      expect.objectContaining({ kind: 'agentMessage', session: { id: 't1' }, agent: { id: 'a1', name: undefined, pictureUrl: undefined }, messages: [{ type: 'text', text: 'hi' }] }),
    ])
  })

  it('accepts numeric ids, agent name/avatar and a messageId', async () => {
    const parsed = await parse('/message-from-agent', {
      remoteConversationId: 12,
      remoteUserId: 7,
      messageType: 'image',
      payload: { imageUrl: 'https://x/i.png', title: 'shot' },
      agentName: 'Alice',
      agentPictureUrl: 'https://x/a.png',
      messageId: 99,
    })
    expect(parsed.events).toEqual([
      {
        kind: 'agentMessage',
        session: { id: '12' },
        messageId: '99',
        agent: { id: '7', name: 'Alice', pictureUrl: 'https://x/a.png' },
        messages: [{ type: 'image', url: 'https://x/i.png', title: 'shot' }],
      },
    ])
  })

  it('a redelivered signed message without messageId keeps the same dedupe key; a new send gets another', async () => {
    const body = { remoteConversationId: 't1', remoteUserId: 'a1', messageType: 'text', payload: { text: 'ok' } }
    const first = request('/message-from-agent', body)
    const a = (await adapter().parseWebhook(first)).events[0] as any
    const b = (await adapter().parseWebhook(first)).events[0] as any
    const later = request('/message-from-agent', body, sign(SECRET, JSON.stringify(body), Math.floor(Date.now() / 1000) + 1))
    const c = (await adapter().parseWebhook(later)).events[0] as any
    expect(a.messageId).toBe(b.messageId)
    expect(c.messageId).not.toBe(a.messageId)
  })

  it('expands an agent bloc into its items, in order', async () => {
    const parsed = await parse('/message-from-agent', {
      remoteConversationId: 't1',
      remoteUserId: 'a1',
      messageType: 'bloc',
      payload: { items: [{ type: 'text', payload: { text: 'a' } }, { type: 'file', payload: { fileUrl: 'https://x/f' } }] },
    })
    expect((parsed.events[0] as any).messages).toEqual([{ type: 'text', text: 'a' }, { type: 'file', url: 'https://x/f', title: undefined }])
  })

  it('reads assignment (with agent details) and stop', async () => {
    expect((await parse('/agent-assigned', { remoteConversationId: 't1', remoteUserId: 'a1', agentName: 'Alice' })).events).toEqual([
      { kind: 'agentAssigned', session: { id: 't1' }, agent: { id: 'a1', name: 'Alice', pictureUrl: undefined } },
    ])
    expect((await parse('/stop-hitl', { remoteConversationId: 't1' })).events).toEqual([{ kind: 'sessionClosed', session: { id: 't1' } }])
  })

  it.each([
    ['not JSON', '/stop-hitl', '{oops', /not valid JSON/],
    ['empty', '/stop-hitl', '', /empty/],
    ['missing field', '/agent-assigned', { remoteConversationId: 't1' }, /remoteUserId/],
    ['wrong type', '/stop-hitl', { remoteConversationId: { a: 1 } }, /remoteConversationId/],
    ['unknown message type', '/message-from-agent', { remoteConversationId: 't', remoteUserId: 'a', messageType: 'carousel', payload: {} }, /messageType "carousel"/],
    ['text without text', '/message-from-agent', { remoteConversationId: 't', remoteUserId: 'a', messageType: 'text', payload: {} }, /payload\.text/],
    ['image without URL', '/message-from-agent', { remoteConversationId: 't', remoteUserId: 'a', messageType: 'image', payload: { imageUrl: 'javascript:x' } }, /imageUrl/],
    ['data: URL', '/message-from-agent', { remoteConversationId: 't', remoteUserId: 'a', messageType: 'file', payload: { fileUrl: 'data:text/html,<b>x</b>' } }, /fileUrl must be an http\(s\) URL/],
    ['bloc inside a bloc', '/message-from-agent', { remoteConversationId: 't', remoteUserId: 'a', messageType: 'bloc', payload: { items: [{ type: 'bloc', payload: { items: [] } }] } }, /payload\.items\.0\.type "bloc" is not one of/],
    ['bloc without items', '/message-from-agent', { remoteConversationId: 't', remoteUserId: 'a', messageType: 'bloc', payload: {} }, /payload\.items must be an array/],
    ['bloc of 101 items', '/message-from-agent', { remoteConversationId: 't', remoteUserId: 'a', messageType: 'bloc', payload: { items: Array.from({ length: 101 }, () => ({ type: 'text', payload: { text: 'x' } })) } }, /at most 100/],
    ['100 kB message type', '/message-from-agent', { remoteConversationId: 't', remoteUserId: 'a', messageType: 'x'.repeat(100_000), payload: {} }, /messageType/],
  ])('rejects a %s body with the reason', async (_, path, body, reason) => {
    const error = await Promise.resolve()
      .then(() => parse(path, body))
      .catch((e) => e)
    expect(error).toBeInstanceOf(BadRequestError)
    expect(error.reason).toMatch(reason)
  })

  // Names every plain object inherits: an `in` or bracket lookup finds them, so they must be refused like any unknown type.
  it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', 'isPrototypeOf'])(
    'a messageType of %s is a 400 with the reason, never a message (as type or as bloc item)',
    async (type) => {
      // Payloads shaped so that a prototype lookup would have found a "URL field" and accepted the message.
      const inherited = (Object.prototype as unknown as Record<string, unknown>)[type]
      const payload = { [String(inherited)]: 'https://x/i.png', text: 'hi', imageUrl: 'https://x/i.png' }
      for (const body of [
        { remoteConversationId: 't', remoteUserId: 'a', messageType: type, payload },
        { remoteConversationId: 't', remoteUserId: 'a', messageType: 'bloc', payload: { items: [{ type, payload }] } },
      ]) {
        const error = await Promise.resolve()
          .then(() => parse('/message-from-agent', body))
          .catch((e) => e)
        expect(error).toBeInstanceOf(BadRequestError)
        expect(error.reason).toMatch(new RegExp(`"${type}" is not one of text, markdown, image, audio, video, file`))
      }
    }
  )

  it('reads payload fields as own properties only', async () => {
    // `{"__proto__": {"text": "…"}}` in JSON is an own key named __proto__, not a text field.
    const raw = '{"remoteConversationId":"t","remoteUserId":"a","messageType":"text","payload":{"__proto__":{"text":"injected"}}}'
    const error = await Promise.resolve()
      .then(() => parse('/message-from-agent', raw))
      .catch((e) => e)
    expect(error).toBeInstanceOf(BadRequestError)
    expect(error.reason).toMatch(/payload\.text must be a non-empty string/)
  })

  it('ignores unknown routes and methods without failing', async () => {
    expect((await parse('/something-else', {})).events).toEqual([])
    expect((await adapter().parseWebhook({ ...request('/stop-hitl', {}), method: 'GET' })).events).toEqual([])
  })
})
