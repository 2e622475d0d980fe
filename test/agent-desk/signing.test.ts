import { createHmac } from 'node:crypto'
import { sign as integrationSign, verify as integrationVerify } from '../../src/providers/http/signature'
import { post, useDeskWithReceiver } from './helpers'

const SECRET = 'whsec_desk_test_0123456789'
const hmac = (ts: string, raw: string) => 'sha256=' + createHmac('sha256', SECRET).update(`${ts}.${raw}`).digest('hex')
const nowS = () => Math.floor(Date.now() / 1000)

const env = useDeskWithReceiver({ secret: SECRET })

/** POST signed exactly as the integration does (its own `sign`), optionally tampering with the headers. */
const signedCall = (path: string, body: unknown, tamper: (h: Record<string, string>, raw: string) => Record<string, string> = (h) => h) => {
  const raw = JSON.stringify(body)
  return post(env.desk.url, path, raw, tamper(integrationSign(SECRET, raw), raw))
}
const createTicket = { type: 'createRemoteConversation', payload: { title: 'Signed' } }

describe('agent desk: signatures on incoming requests', () => {
  it('accepts requests signed by the integration', async () => {
    const res = await signedCall('/createRemoteConversation', createTicket)
    expect(res.status).toBe(200)
    expect(env.desk.tickets).toHaveLength(1)
    expect(env.desk.requests[0]).toMatchObject({ status: 200, signed: true, valid: true })
  })

  const stale = String(nowS() - 301)
  const cases: Array<[string, (h: Record<string, string>, raw: string) => Record<string, string>, string]> = [
    ['missing', () => ({}), 'missing x-hitl-timestamp or x-hitl-signature header'],
    ['missing timestamp', (h) => ({ 'x-hitl-signature': h['x-hitl-signature']! }), 'missing x-hitl-timestamp or x-hitl-signature header'],
    ['forged', (h) => ({ ...h, 'x-hitl-signature': 'sha256=' + 'f'.repeat(64) }), 'signature mismatch'],
    ['wrong length', (h) => ({ ...h, 'x-hitl-signature': 'sha256=abc' }), 'signature mismatch'],
    ['signed with another secret', (h, raw) => ({ ...h, 'x-hitl-signature': integrationSign('other', raw, Number(h['x-hitl-timestamp']))['x-hitl-signature'] }), 'signature mismatch'],
    ['stale', (_, raw) => ({ 'x-hitl-timestamp': stale, 'x-hitl-signature': hmac(stale, raw) }), 'stale or invalid x-hitl-timestamp'],
    ['from the future', (_, raw) => ({ 'x-hitl-timestamp': String(nowS() + 400), 'x-hitl-signature': hmac(String(nowS() + 400), raw) }), 'stale or invalid x-hitl-timestamp'],
    ['non-numeric timestamp', (h) => ({ ...h, 'x-hitl-timestamp': 'soon' }), 'stale or invalid x-hitl-timestamp'],
    ['for another body', (h) => ({ ...h, 'x-hitl-signature': hmac(h['x-hitl-timestamp']!, '{}') }), 'signature mismatch'],
  ]
  it.each(cases)('refuses a %s signature with 401 and creates nothing', async (_, tamper, reason) => {
    const messages: unknown[] = []
    env.desk.on('message', (m) => messages.push(m))
    env.desk.setSecret(undefined)
    const ticket = (await post(env.desk.url, '/createRemoteConversation', createTicket)).body.id
    env.desk.setSecret(SECRET)

    expect(await signedCall('/createRemoteConversation', createTicket, tamper)).toEqual(expect.objectContaining({ status: 401, body: { error: reason } }))
    expect(await signedCall('/createRemoteUser', { type: 'createRemoteUser', payload: { name: 'x' } }, tamper)).toMatchObject({ status: 401 })
    const message = { type: 'botSendsMessage', remoteConversationId: ticket, remoteUserId: 'u', messageType: 'text', payload: { text: 'x' } }
    expect((await signedCall('/botSendsMessage', message, tamper)).status).toBe(401)
    expect((await signedCall('/closeRemoteTicket', { type: 'closeRemoteTicket', payload: { botpressConversationId: 'b', remoteConversationId: ticket } }, tamper)).status).toBe(401)

    expect(env.desk.tickets).toHaveLength(1)
    expect(env.desk.tickets[0]).toMatchObject({ status: 'open', messages: [] })
    expect(env.desk.users).toEqual([])
    expect(messages).toEqual([])
    expect(env.desk.requests.length).toBeGreaterThan(1)
    expect(env.desk.requests.slice(1).every((r) => r.status === 401 && !r.signed && r.errors?.[0] === reason)).toBe(true)
    expect(env.desk.violations).toEqual([])
    env.desk.removeAllListeners('message')
  })

  it('without a secret, accepts unsigned requests', async () => {
    env.desk.setSecret(undefined)
    expect((await post(env.desk.url, '/createRemoteConversation', createTicket)).status).toBe(200)
    expect(env.desk.requests[0]).toMatchObject({ signed: false, valid: true })
  })
})

describe('agent desk: signed webhooks to the integration', () => {
  const alice = { id: 'agent_alice', name: 'Alice', pictureUrl: 'https://x/alice.png' }

  it('signs every webhook so that the integration verifies it, carrying the agent and a unique messageId', async () => {
    env.desk.setSecret(undefined)
    const ticket = (await post(env.desk.url, '/createRemoteConversation', createTicket)).body.id
    env.desk.setSecret(SECRET)

    expect(await env.desk.assign(ticket, alice)).toEqual({ status: 200, body: { ok: true } })
    await env.desk.reply(ticket, alice, { type: 'text', payload: { text: 'Hello' } })
    await env.desk.reply(ticket, alice, { type: 'image', payload: { imageUrl: 'https://x/i.png', title: 'shot' } })
    await env.desk.close(ticket)

    expect(env.receiver.calls.map((c) => c.path)).toEqual(['/webhook/test/agent-assigned', '/webhook/test/message-from-agent', '/webhook/test/message-from-agent', '/webhook/test/stop-hitl'])
    for (const c of env.receiver.calls) {
      const ts = c.headers['x-hitl-timestamp'] as string
      expect(Math.abs(Number(ts) - nowS())).toBeLessThanOrEqual(2)
      expect(c.headers['x-hitl-signature']).toBe(hmac(ts, c.raw))
      const headers = Object.fromEntries(Object.entries(c.headers).map(([k, v]) => [k, String(v)]))
      expect(integrationVerify(SECRET, { method: 'POST', path: c.path, query: '', headers, body: c.raw })).toEqual({ ok: true })
    }
    const [assigned, text, image, stop] = env.receiver.calls.map((c) => c.body)
    expect(assigned).toEqual({ remoteConversationId: ticket, remoteUserId: 'agent_alice', agentName: 'Alice', agentPictureUrl: 'https://x/alice.png' })
    expect(text).toEqual({
      remoteConversationId: ticket,
      remoteUserId: 'agent_alice',
      messageType: 'text',
      payload: { text: 'Hello' },
      agentName: 'Alice',
      agentPictureUrl: 'https://x/alice.png',
      messageId: expect.any(String),
    })
    expect(image).toMatchObject({ messageType: 'image', payload: { imageUrl: 'https://x/i.png', title: 'shot' } })
    expect(image.messageId).not.toBe(text.messageId)
    expect(stop).toEqual({ remoteConversationId: ticket })

    const t = env.desk.ticket(ticket)
    expect(t).toMatchObject({ status: 'closed', closedBy: 'agent', assignedTo: alice })
    expect(t.messages.map((m) => [m.id, m.from, m.delivered])).toEqual([
      [text.messageId, 'agent', true],
      [image.messageId, 'agent', true],
    ])
    expect(env.desk.violations).toEqual([])
  })

  it('sends unsigned webhooks when no secret is set', async () => {
    env.desk.setSecret(undefined)
    const ticket = (await post(env.desk.url, '/createRemoteConversation', createTicket)).body.id
    await env.desk.reply(ticket, { id: 'agent_bob' }, { type: 'text', payload: { text: 'hi' } })
    expect(env.receiver.calls[0]!.headers['x-hitl-signature']).toBeUndefined()
    expect(env.receiver.calls[0]!.body).not.toHaveProperty('agentName')
  })
})
