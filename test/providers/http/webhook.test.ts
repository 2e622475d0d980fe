import { fetchMedia } from '../../../src/core/media'
import { providers } from '../../../src/providers'
import { BadRequestError } from '../../../src/core/errors'
import { createHttpClientFactory } from '../../../src/core/http'
import { createLogger, Redactor } from '../../../src/core/log'
import { sign, verify } from '../../../src/providers/http/signature'
import type { WebhookRequest } from '../../../src/core/types'

const SECRET = 'whsec_0123456789abcdef'
const silent = { debug() {}, info() {}, warn() {}, error() {} }
const adapter = (webhookSecret: string | undefined = SECRET) =>
  providers.http.create(
    { endpointBaseUrl: 'http://127.0.0.1:9', webhookSecret },
    {
      http: createHttpClientFactory(new Redactor([SECRET])),
      media: fetchMedia,
      secrets: { add: () => {} },
      logger: createLogger(silent, new Redactor([SECRET])),
      store: { get: async () => ({}), set: async () => {} },
      ctx: { botId: 'b', integrationId: 'i', webhookId: 'w' },
    }
  )

const request = (path: string, body: unknown, headers: Record<string, string> = {}): WebhookRequest => {
  const raw = typeof body === 'string' ? body : JSON.stringify(body)
  return { method: 'POST', path, query: '', headers: { 'content-type': 'application/json', ...sign(SECRET, raw), ...headers }, body: raw }
}

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
  it('without a configured secret, accepts unsigned requests (legacy services)', () => {
    expect(adapter('').verifyWebhook({ ...req, headers: {} })).toEqual({ ok: true })
  })
})

describe('http provider: webhook parsing', () => {
  const parse = (path: string, body: unknown, headers?: Record<string, string>) => adapter().parseWebhook(request(path, body, headers))

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
  ])('rejects a %s body with the reason', async (_, path, body, reason) => {
    const error = await Promise.resolve()
      .then(() => parse(path, body))
      .catch((e) => e)
    expect(error).toBeInstanceOf(BadRequestError)
    expect(error.reason).toMatch(reason)
  })

  it('ignores unknown routes and methods without failing', async () => {
    expect((await parse('/something-else', {})).events).toEqual([])
    expect((await adapter().parseWebhook({ ...request('/stop-hitl', {}), method: 'GET' })).events).toEqual([])
  })
})
