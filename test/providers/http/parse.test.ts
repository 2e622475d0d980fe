/**
 * The generic HTTP protocol's webhook parsing at its edges (docs/hitl-interface.md, the hitl message and event
 * shapes; our signing extension in src/providers/http/signature.ts): routes and methods, the bounds of message types
 * and blocs, the reason of each 400, the fallback message ids and the proof, all without Botpress or a server.
 */
import { BadRequestError } from '../../../src/core/errors'
import type { WebhookRequest } from '../../../src/core/types'
import type { HttpConfig } from '../../../src/providers/http/config'
import { sign } from '../../../src/providers/http/signature'
import { MAX_BLOC_ITEMS, parseWebhook, verifyWebhook } from '../../../src/providers/http/webhook'

const SECRET = 'whsec_0123456789abcdef'
const signedConfig: HttpConfig = { endpointBaseUrl: 'https://desk.test', webhookSecret: SECRET }
const unsignedConfig: HttpConfig = { endpointBaseUrl: 'https://desk.test', allowUnsignedWebhooks: true }
const TS = 1_767_225_600
const signedReq = (path: string, body: unknown, extra: Partial<WebhookRequest> = {}): WebhookRequest => {
  const raw = typeof body === 'string' ? body : JSON.stringify(body)
  return { method: 'POST', path, query: '', headers: sign(SECRET, raw, TS), body: raw, ...extra }
}
const message = (messageType: string, payload: unknown, extra: Record<string, unknown> = {}) => ({ remoteConversationId: 't1', remoteUserId: 'a1', messageType, payload, ...extra })
const messagesOf = (messageType: string, payload: unknown) => {
  const [event] = parseWebhook(signedConfig, signedReq('/message-from-agent', message(messageType, payload))).events
  return event?.kind === 'agentMessage' ? event.messages : undefined
}
const refusal = (body: unknown, path = '/message-from-agent'): string => {
  try {
    parseWebhook(signedConfig, signedReq(path, body))
  } catch (error) {
    if (error instanceof BadRequestError) return error.reason
    throw error
  }
  throw new Error('accepted')
}

describe('routes and methods', () => {
  it.each([
    ['a lower-case post', { method: 'post', path: '/stop-hitl' }],
    ['a trailing slash', { path: '/stop-hitl//' }],
    ['a route under a sub-path', { path: '/hooks/desk/stop-hitl' }],
  ])('%s is the route', (_label, extra) => {
    expect(parseWebhook(signedConfig, signedReq('/stop-hitl', { remoteConversationId: 't1' }, extra)).events).toEqual([{ kind: 'sessionClosed', session: { id: 't1' }, at: TS * 1000 }])
  })

  it.each([
    ['GET', '/stop-hitl', 'GET /stop-hitl is not a route of the protocol'],
    ['POST', '/stop-hitl/extra', 'POST /stop-hitl/extra is not a route of the protocol'],
    ['POST', '/stop', 'POST /stop is not a route of the protocol'],
    ['PROPFINDPROPFIND', `/${'p'.repeat(300)}`, `PROPFINDPR /${'p'.repeat(199)} is not a route of the protocol`],
  ])('%s %s → no event, skipped with its reason', (method, path, reason) => {
    expect(parseWebhook(signedConfig, signedReq(path, '{', { method }))).toEqual({ events: [], skipped: [reason] })
  })
})

describe('signed and unsigned deliveries', () => {
  const stop = { remoteConversationId: 't1' }
  it('signed: the event is dated by the signed timestamp, and the signature is the proof', () => {
    const req = signedReq('/stop-hitl', stop)
    expect(parseWebhook(signedConfig, req)).toEqual({ events: [{ kind: 'sessionClosed', session: { id: 't1' }, at: TS * 1000 }], proof: `signature ${req.headers['x-hitl-signature']}` })
  })

  it('unsigned: no date and no proof, even when the request carries a timestamp', () => {
    expect(parseWebhook(unsignedConfig, signedReq('/stop-hitl', stop))).toEqual({ events: [{ kind: 'sessionClosed', session: { id: 't1' } }] })
  })

  it('signed without a readable timestamp: no date, no proof', () => {
    const req = signedReq('/stop-hitl', stop)
    expect(parseWebhook(signedConfig, { ...req, headers: { 'x-hitl-signature': req.headers['x-hitl-signature']! } })).toEqual({ events: [{ kind: 'sessionClosed', session: { id: 't1' } }] })
  })

  it('a message without messageId: signed → a hash of the timestamp and body; unsigned → a fresh id each time', () => {
    const body = message('text', { text: 'hi' })
    const idOf = (config: HttpConfig, req: WebhookRequest) => (parseWebhook(config, req).events[0] as { messageId: string }).messageId
    const signed = idOf(signedConfig, signedReq('/message-from-agent', body))
    expect(signed).toMatch(/^sig-[0-9a-f]{32}$/)
    expect(idOf(signedConfig, signedReq('/message-from-agent', body))).toBe(signed)
    const otherBody = { ...body, payload: { text: 'ho' } }
    expect(idOf(signedConfig, signedReq('/message-from-agent', otherBody))).not.toBe(signed)
    const a = idOf(unsignedConfig, signedReq('/message-from-agent', body))
    const b = idOf(unsignedConfig, signedReq('/message-from-agent', body))
    expect(a).toMatch(/^anon-[0-9a-z]+-[0-9a-z]{1,8}$/)
    expect(a).not.toBe(b)
  })

  it('verifyWebhook: signed checks the signature, unsigned accepts, neither refuses naming both fields', () => {
    const req = signedReq('/stop-hitl', stop)
    expect(verifyWebhook(signedConfig, req, TS * 1000)).toEqual({ ok: true })
    expect(verifyWebhook(signedConfig, { ...req, body: '{}' }, TS * 1000)).toEqual({ ok: false, reason: 'signature mismatch' })
    expect(verifyWebhook(unsignedConfig, { ...req, headers: {} })).toEqual({ ok: true })
    expect(verifyWebhook({ endpointBaseUrl: 'https://desk.test' }, req, TS * 1000)).toEqual({
      ok: false,
      reason: 'unsigned webhooks are refused: set http.webhookSecret (or, insecurely, http.allowUnsignedWebhooks)',
    })
  })
})

describe('message payloads', () => {
  it.each([
    ['text', { text: 'hi' }, [{ type: 'text', text: 'hi' }]],
    ['markdown', { markdown: '**hi**' }, [{ type: 'text', text: '**hi**' }]],
    ['image', { imageUrl: 'https://x.test/i.png', title: 'Shot' }, [{ type: 'image', url: 'https://x.test/i.png', title: 'Shot' }]],
    ['audio', { audioUrl: 'https://x.test/a.mp3' }, [{ type: 'audio', url: 'https://x.test/a.mp3', title: undefined }]],
    ['video', { videoUrl: 'https://x.test/v.mp4', title: 42 }, [{ type: 'video', url: 'https://x.test/v.mp4', title: undefined }]],
    ['file', { fileUrl: 'https://x.test/f.pdf', title: '' }, [{ type: 'file', url: 'https://x.test/f.pdf', title: '' }]],
  ])('%s', (type, payload, expected) => {
    expect(messagesOf(type, payload)).toEqual(expected)
  })

  it.each([
    ['text', { text: '' }, 'message-from-agent is malformed: payload.text must be a non-empty string'],
    ['text', { text: 5 }, 'message-from-agent is malformed: payload.text must be a non-empty string'],
    ['markdown', { text: 'hi' }, 'message-from-agent is malformed: payload.markdown must be a non-empty string'],
    ['audio', { audioUrl: 'ftp://x.test/a' }, 'message-from-agent is malformed: payload.audioUrl must be an http(s) URL'],
    ['video', { imageUrl: 'https://x.test/i.png' }, 'message-from-agent is malformed: payload.videoUrl must be an http(s) URL'],
    ['card', {}, 'message-from-agent is malformed: messageType "card" is not one of text, markdown, image, audio, video, file, bloc'],
  ])('%s %j → 400: %s', (type, payload, reason) => {
    expect(refusal(message(type, payload))).toBe(reason)
  })

  it('messageType: 1 to 32 characters', () => {
    expect(refusal(message('x'.repeat(32), {}))).toBe(`message-from-agent is malformed: messageType "${'x'.repeat(32)}" is not one of text, markdown, image, audio, video, file, bloc`)
    expect(refusal(message('x'.repeat(33), {}))).toBe("message-from-agent is malformed: messageType: Invalid input")
    expect(refusal(message('', {}))).toBe("message-from-agent is malformed: messageType: Invalid input")
  })
})

describe('blocs', () => {
  const item = (type: unknown, payload: unknown) => ({ type, payload })
  it('items become messages in order; exactly 100 items are accepted', () => {
    expect(messagesOf('bloc', { items: [item('markdown', { markdown: 'a' }), item('image', { imageUrl: 'https://x.test/i.png' })] })).toEqual([
      { type: 'text', text: 'a' },
      { type: 'image', url: 'https://x.test/i.png', title: undefined },
    ])
    expect(messagesOf('bloc', { items: Array.from({ length: MAX_BLOC_ITEMS }, (_, i) => item('text', { text: `m${i}` })) })).toHaveLength(100)
    expect(messagesOf('bloc', { items: [] })).toEqual([])
  })

  it.each([
    ['101 items', { items: Array.from({ length: 101 }, () => item('text', { text: 'x' })) }, 'payload.items has 101 items, at most 100 are accepted'],
    ['items not a list', { items: { 0: item('text', { text: 'x' }) } }, 'payload.items must be an array'],
    ['an item that is not an object', { items: [item('text', { text: 'x' }), 'text'] }, 'payload.items.1 must be {type, payload}'],
    ['an item without a type', { items: [{ payload: { text: 'x' } }] }, 'payload.items.0 must be {type, payload}'],
    ['an item type of 33 characters', { items: [item('t'.repeat(33), { text: 'x' })] }, 'payload.items.0 must be {type, payload}'],
    ['an item payload that is a list', { items: [item('text', ['x'])] }, 'payload.items.0 must be {type, payload}'],
    ['an item of an unknown type (32 characters)', { items: [item('t'.repeat(32), {})] }, `payload.items.0.type "${'t'.repeat(32)}" is not one of text, markdown, image, audio, video, file`],
    ['a bloc in a bloc', { items: [item('text', { text: 'x' }), item('bloc', { items: [] })] }, 'payload.items.1.type "bloc" is not one of text, markdown, image, audio, video, file'],
    ['an item with a bad field', { items: [item('text', { text: 'x' }), item('file', { fileUrl: 'x' })] }, 'payload.items.1.payload.fileUrl must be an http(s) URL'],
  ])('%s → 400: %s', (_label, payload, reason) => {
    expect(refusal(message('bloc', payload))).toBe(`message-from-agent is malformed: ${reason}`)
  })
})

describe('the other routes', () => {
  it('agent-assigned carries the agent name and picture; stop-hitl the session only', () => {
    expect(parseWebhook(signedConfig, signedReq('/agent-assigned', { remoteConversationId: 't1', remoteUserId: 'a1', agentName: 'Al', agentPictureUrl: 'https://x.test/a.png' })).events).toEqual([
      { kind: 'agentAssigned', session: { id: 't1' }, agent: { id: 'a1', name: 'Al', pictureUrl: 'https://x.test/a.png' }, at: TS * 1000 },
    ])
    expect(refusal({ remoteConversationId: 't1' }, '/agent-assigned')).toBe("agent-assigned is malformed: remoteUserId: Invalid input")
    expect(refusal({}, '/stop-hitl')).toBe("stop-hitl is malformed: remoteConversationId: Invalid input")
  })
})
