/**
 * The local agent desk answers only this machine's own callers: a web page the developer visits cannot reply as the
 * agent, create tickets or read transcripts, whether it posts text/plain cross-origin (no preflight) or rebinds its
 * DNS name to 127.0.0.1 (wrong Host). Raw node:http requests, so that Host, Origin and content types are exactly set.
 */
import { request } from 'node:http'
import { post, useDeskWithReceiver } from './helpers'

const env = useDeskWithReceiver()
let port: number
beforeAll(() => {
  port = Number(new URL(env.desk.url).port)
})

const raw = (method: string, path: string, headers: Record<string, string>, body?: string) =>
  new Promise<{ status: number; body: string }>((resolve, reject) => {
    // An empty `host` sends no Host header at all (setHost: false).
    const all: Record<string, string> = { host: `127.0.0.1:${port}`, ...headers }
    if (all.host === '') delete all.host
    const req = request({ host: '127.0.0.1', port, method, path, headers: all, setHost: false }, (res) => {
      let text = ''
      res.setEncoding('utf8').on('data', (c: string) => (text += c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }))
    })
    req.on('error', reject)
    req.end(body)
  })

const openTicket = async () => (await post(env.desk.url, '/createRemoteConversation', { type: 'createRemoteConversation', payload: { title: 'T' } })).body.id as string
const replyBody = JSON.stringify({ agent: { id: 'agent_alice', name: 'Alice' }, type: 'text', payload: { text: 'Click https://evil.example' } })

describe('agent desk: loopback callers only', () => {
  it.each([
    ['a rebound DNS name', 'evil.example:{port}'],
    ['another port', 'localhost:1'],
    ['no port', '127.0.0.1'],
    ['the any-address', '0.0.0.0:{port}'],
    ['no Host at all', ''],
  ])('refuses %s in Host (403; node itself answers 400 when it is absent), for reads and writes alike, and does nothing', async (_, template) => {
    const ticketId = await openTicket()
    const headers = { host: template.replace('{port}', String(port)), 'content-type': 'application/json' }
    for (const [method, path, body] of [
      ['GET', '/desk/tickets', undefined],
      ['GET', `/desk/tickets/${ticketId}`, undefined],
      ['GET', '/desk/events', undefined],
      ['POST', `/desk/tickets/${ticketId}/reply`, replyBody],
      ['POST', '/createRemoteUser', JSON.stringify({ type: 'createRemoteUser', payload: { name: 'x' } })],
      ['POST', '/desk/config', JSON.stringify({ webhookUrl: 'https://evil.example/hook' })],
    ] as const) {
      const res = await raw(method, path, headers, body)
      expect([method, path, res.status]).toEqual([method, path, template ? 403 : 400])
      expect(res.body).not.toContain('"tickets"')
    }
    expect(env.receiver.calls).toEqual([])
    expect(env.desk.users).toEqual([])
    expect(env.desk.ticket(ticketId).messages).toEqual([])
  })

  it('answers under each of its loopback names', async () => {
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]) {
      expect((await raw('GET', '/desk/tickets', { host })).status).toBe(200)
    }
  })
})

describe('agent desk: JSON-only writes, no cross-origin writes', () => {
  it.each(['text/plain', 'text/plain;charset=UTF-8', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/jsonp', ''])(
    'a %s POST (no CORS preflight needed) is 415, and no webhook is sent',
    async (contentType) => {
      const ticketId = await openTicket()
      const headers: Record<string, string> = contentType ? { 'content-type': contentType } : {}
      expect((await raw('POST', `/desk/tickets/${ticketId}/reply`, headers, replyBody)).status).toBe(415)
      expect((await raw('POST', `/desk/tickets/${ticketId}/close`, headers, '{}')).status).toBe(415)
      expect((await raw('POST', '/createRemoteConversation', headers, JSON.stringify({ type: 'createRemoteConversation', payload: {} }))).status).toBe(415)
      expect(env.receiver.calls).toEqual([])
      expect(env.desk.tickets.map((t) => [t.id, t.status, t.messages.length])).toEqual([[ticketId, 'open', 0]])
    }
  )

  it.each([
    ['another site', { origin: 'https://evil.example' }],
    ['the playground (another loopback port)', { origin: 'http://127.0.0.1:3210' }],
    ['a sandboxed page', { origin: 'null' }],
    ['a cross-site fetch', { 'sec-fetch-site': 'cross-site' }],
    ['a same-site fetch from another port', { 'sec-fetch-site': 'same-site' }],
  ])('refuses a request from %s with 403, even as JSON', async (_, extra) => {
    const ticketId = await openTicket()
    const res = await raw('POST', `/desk/tickets/${ticketId}/reply`, { 'content-type': 'application/json', ...extra }, replyBody)
    expect(res.status).toBe(403)
    expect((await raw('GET', '/desk/tickets', extra)).status).toBe(403)
    expect(env.receiver.calls).toEqual([])
  })

  it('accepts JSON from its own origin (the desk page itself, or a tool without Origin)', async () => {
    const ticketId = await openTicket()
    const own = { 'content-type': 'application/json; charset=utf-8', origin: `http://127.0.0.1:${port}`, 'sec-fetch-site': 'same-origin' }
    expect((await raw('POST', `/desk/tickets/${ticketId}/reply`, own, replyBody)).status).toBe(200)
    expect((await raw('POST', `/desk/tickets/${ticketId}/close`, { 'content-type': 'application/json' }, '')).status).toBe(200)
    expect(env.receiver.calls.map((c) => new URL(c.path, 'http://x').pathname)).toEqual(['/webhook/test/message-from-agent', '/webhook/test/stop-hitl'])
  })
})
