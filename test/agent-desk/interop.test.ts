/**
 * The integration's real `http` provider adapter against the desk, signed both ways: every request it sends must
 * pass the desk's spec checks, and every webhook the desk sends must pass the adapter's verification and parsing.
 */
import { fetchMedia } from '../../src/core/media'
import { startAgentDesk, type AgentDesk } from '../../dev/agent-desk'
import { createHttpClientFactory } from '../../src/core/http'
import { createLogger, Redactor } from '../../src/core/log'
import http from '../../src/providers/http'
import type { ContactRef, ProviderAdapter, SessionRef } from '../../src/core/types'
import { startReceiver, type Receiver } from './helpers'

const SECRET = 'whsec_interop_0123456789'
const silent = { debug() {}, info() {}, warn() {}, error() {} }
const settings = { retries: 2, backoffMs: 10, backoffLimitMs: 50, maxRetryAfterMs: 2000, timeoutMs: 5000 }

let desk: AgentDesk
let receiver: Receiver
let adapter: ProviderAdapter
beforeAll(async () => {
  receiver = await startReceiver()
  desk = await startAgentDesk({ quiet: true, secret: SECRET, webhookUrl: receiver.url })
  adapter = http.create(
    { endpointBaseUrl: desk.url, webhookSecret: SECRET },
    {
      http: createHttpClientFactory(new Redactor([SECRET]), settings),
      media: fetchMedia,
      secrets: { add: () => {} },
      logger: createLogger(silent, new Redactor([SECRET])),
      store: { get: async () => ({}), set: async () => {} },
      ctx: { botId: 'b', integrationId: 'i', webhookId: 'w' },
    } as any
  )
})
afterAll(async () => {
  await desk.stop()
  await receiver.close()
})

const noData = { data: async () => ({}), saveData: async () => {} }

it('plays a whole session with the real adapter, signed, without a single spec violation', async () => {
  await adapter.connect({ webhookUrl: receiver.url })
  const { id: contactId } = await adapter.createContact({ name: 'Jane', email: 'jane@x.io', botpressUserId: 'bp_u1' })
  const contact: ContactRef = { id: contactId, botpressUserId: 'bp_u1', profile: async () => ({}), ...noData }
  const { id: ticketId } = await adapter.openSession({
    botpressConversationId: 'bp_c1',
    contact,
    title: 'Order',
    extras: { priority: 'high' },
    transcript: {
      text: 'Bot: Hi\nJane: Help',
      entries: [
        { author: { kind: 'bot', name: 'Bot' }, type: 'text', text: 'Hi', payload: { text: 'Hi' } },
        { author: { kind: 'user', name: 'Jane', botpressUserId: 'bp_u1' }, type: 'text', text: 'Help', payload: { text: 'Help' } },
      ],
    },
  })
  const session: SessionRef = { id: ticketId, botpressConversationId: 'bp_c1', ...noData }
  desk.failNext('/botSendsMessage', { status: 429, retryAfter: 0 }) // retried by the adapter's client
  const sent = await adapter.sendMessage({ session, author: { kind: 'user', contact }, message: { type: 'image', url: 'https://x/i.png' }, botpressMessageId: 'bp_m1' })
  await adapter.sendMessage({ session, author: { kind: 'bot', name: 'Bot' }, message: { type: 'text', text: 'An agent is coming' }, botpressMessageId: 'bp_m2' })

  const ticket = desk.ticket(ticketId)
  expect(ticket).toMatchObject({ remoteUserId: contactId, botpressConversationId: 'bp_c1', transcript: ['Hi', 'Help'], hitlSession: { priority: 'high' } })
  expect(ticket.history).toHaveLength(2)
  expect(ticket.messages.map((m) => [m.id, m.from, m.type])).toEqual([
    [sent.id, 'user', 'image'],
    [expect.any(String), 'system', 'text'],
  ])

  const alice = { id: 'agent_alice', name: 'Alice', pictureUrl: 'https://x/a.png' }
  await desk.assign(ticketId, alice)
  await desk.reply(ticketId, alice, { type: 'bloc', payload: { items: [{ type: 'text', payload: { text: 'Hello' } }, { type: 'file', payload: { fileUrl: 'https://x/f.pdf' } }] } })
  await desk.close(ticketId)
  const parsed = await Promise.all(
    receiver.calls.map(async (c) => {
      const req = { method: 'POST', path: c.path, query: '', headers: c.headers as Record<string, string>, body: c.raw }
      expect(adapter.verifyWebhook(req)).toEqual({ ok: true })
      return (await adapter.parseWebhook(req)).events
    })
  )
  // Each event carries the time the desk signed it (x-hitl-timestamp, seconds): the engine orders a session's events by it.
  const signedAt = receiver.calls.map((c) => Number(c.headers['x-hitl-timestamp']) * 1000)
  expect(signedAt.length).toBeGreaterThan(0)
  expect(signedAt.every((t) => Math.abs(t - Date.now()) < 60_000)).toBe(true)
  expect(parsed.flat()).toEqual([
    { kind: 'agentAssigned', session: { id: ticketId }, agent: alice, at: signedAt[0] },
    { kind: 'agentMessage', session: { id: ticketId }, messageId: ticket.messages[2]!.id, agent: alice, messages: [{ type: 'text', text: 'Hello' }, { type: 'file', url: 'https://x/f.pdf', title: undefined }], at: signedAt[1] },
    { kind: 'sessionClosed', session: { id: ticketId }, at: signedAt[2] },
  ])

  await adapter.closeSession(session) // the ticket is already closed by the agent: still 200
  expect(desk.violations).toEqual([])
  expect(desk.requests.map((r) => [r.path, r.status, r.signed])).toEqual([
    ['/ping', 200, true],
    ['/createRemoteUser', 200, true],
    ['/createRemoteConversation', 200, true],
    ['/botSendsMessage', 429, true],
    ['/botSendsMessage', 200, true],
    ['/botSendsMessage', 200, true],
    ['/closeRemoteTicket', 200, true],
  ])
})
