/**
 * The generic HTTP provider's test double is the real local agent desk (dev/agent-desk) over loopback: it validates
 * every request against the official HITL API OpenAPI and verifies our signatures with its own implementation.
 */
import { startAgentDesk, type AgentDesk } from '../../../dev/agent-desk'
import { signHeaders } from '../../../dev/agent-desk/protocol'
import type { FakeAgent, FakeProvider, RateLimitPlan, RateLimitWindow, ReceivedMessage } from '../../conformance/fake'
import type { InboundMessage, WebhookRequest } from '../../../src/core/types'

const SECRET = 'desk-shared-secret-0123456789'
const MEDIA: Record<string, string> = { image: 'imageUrl', audio: 'audioUrl', video: 'videoUrl', file: 'fileUrl' }

export class HttpFake implements FakeProvider {
  readonly name = 'http'
  desk!: AgentDesk
  private sent = 0
  /**
   * Last signed time of a state change (assignment, close), in seconds and increasing: two in the same second would tie,
   * and a replay test needs a later event to be later. Messages keep the wall clock (the fuzzer signs thousands).
   */
  private changedAt = 0

  configuration() {
    return { provider: 'http', http: { endpointBaseUrl: this.desk?.url ?? 'http://127.0.0.1:9', webhookSecret: SECRET } }
  }
  async start() {
    this.desk = await startAgentDesk({ secret: SECRET, quiet: true })
  }
  async stop() {
    await this.desk.stop()
  }
  reset() {
    this.desk.reset()
  }
  contacts() {
    return this.desk.users.map((u) => ({ id: u.id, name: u.name, email: u.email }))
  }
  sessions() {
    return this.desk.tickets.map((t) => ({
      id: t.id,
      contactId: t.remoteUserId,
      openingText: [
        t.title,
        t.description,
        ...t.transcript.map((line, i) => `${(t.history[i] as { authorName?: string } | undefined)?.authorName ?? ''}: ${line}`),
      ]
        .filter(Boolean)
        .join('\n'),
      closed: t.status === 'closed',
    }))
  }
  received(sessionId: string): ReceivedMessage[] {
    const ticket = this.desk.tickets.find((t) => t.id === sessionId)
    return (ticket?.messages ?? [])
      .filter((m) => m.from !== 'agent')
      .map((m) => {
        const p = m.payload as Record<string, string | undefined>
        const kind = (MEDIA[m.type] ? m.type : 'text') as ReceivedMessage['kind']
        return {
          author: m.from === 'user' ? 'user' : 'bot',
          contactId: m.from === 'user' ? m.authorId : undefined,
          kind,
          text: p.text ?? p.markdown,
          url: MEDIA[m.type] ? p[MEDIA[m.type]!] : undefined,
          title: p.title,
        }
      })
  }
  requestCount() {
    return this.desk.requests.length
  }
  violations() {
    return this.desk.violations.map((v) => `${v.direction} ${v.operationId}: ${v.errors.join('; ')}`)
  }

  /**
   * The HITL API desk's rate limit as our adapter reads it: 429 with `Retry-After` in seconds (RFC 9110 §10.2.3), on the
   * next user → agent message (`/botSendsMessage`), through the desk's own fault injection. No daily quota.
   */
  rateLimited(plan: RateLimitPlan): RateLimitWindow | undefined {
    if (plan.daily) return undefined
    const retryAfter = Math.ceil(plan.resetInMs / 1000)
    const before = this.injected()
    this.desk.failNext('/botSendsMessage', { status: 429, count: 1, retryAfter })
    return { answered: () => this.injected() - before, resetInMs: retryAfter * 1000, counted: true, clear: () => undefined } // the one injected 429 is consumed by the message it answers
  }
  private injected() {
    return this.desk.requests.filter((r) => r.status === 429 && r.errors?.includes('injected failure')).length
  }

  /** The desk is told our webhook URL by its owner: connect creates nothing on it. */
  registrations() {
    return 0
  }

  private request(path: string, body: Record<string, unknown>): WebhookRequest {
    return this.signed(JSON.stringify(body), { path })
  }
  readonly webhookPaths = ['/message-from-agent', '/agent-assigned', '/stop-hitl']
  signed(raw: string, opts?: { path?: string }): WebhookRequest {
    const headers = { 'content-type': 'application/json', ...signHeaders(SECRET, raw) }
    return { method: 'POST', path: opts?.path ?? '/message-from-agent', query: '', headers, body: raw }
  }
  wrongLength(req: WebhookRequest): WebhookRequest {
    return { ...req, headers: { ...req.headers, 'x-hitl-signature': `${req.headers['x-hitl-signature']}0` } }
  }
  stale(req: WebhookRequest): WebhookRequest {
    return { ...req, headers: { ...req.headers, ...signHeaders(SECRET, req.body, Math.floor(Date.now() / 1000) - 600) } }
  }
  /** `additionalData`: the hitl message field, in the Botpress-format payload like every other message field (AgentMessagePayload.payload of the official webhook spec). */
  agentMessage(sessionId: string, agent: FakeAgent, message: InboundMessage, opts?: { messageId?: string; additionalData?: string }) {
    const fields = message.type === 'text' ? { text: message.text } : { [MEDIA[message.type]!]: message.url, ...(message.title ? { title: message.title } : {}) }
    const payload = opts?.additionalData === undefined ? fields : { ...fields, additionalData: opts.additionalData }
    return this.request('/message-from-agent', {
      remoteConversationId: sessionId,
      remoteUserId: agent.id,
      messageType: message.type,
      payload,
      agentName: agent.name,
      agentPictureUrl: agent.pictureUrl,
      messageId: opts?.messageId ?? `fake-${++this.sent}`,
    })
  }
  agentAssigned(sessionId: string, agent: FakeAgent) {
    return this.stateChange('/agent-assigned', { remoteConversationId: sessionId, remoteUserId: agent.id, agentName: agent.name, agentPictureUrl: agent.pictureUrl })
  }
  sessionClosed(sessionId: string) {
    return this.stateChange('/stop-hitl', { remoteConversationId: sessionId })
  }
  private stateChange(path: string, body: Record<string, unknown>): WebhookRequest {
    this.changedAt = Math.max(Math.floor(Date.now() / 1000), this.changedAt + 1)
    const raw = JSON.stringify(body)
    return { method: 'POST', path, query: '', headers: { 'content-type': 'application/json', ...signHeaders(SECRET, raw, this.changedAt) }, body: raw }
  }
  unsigned(req: WebhookRequest): WebhookRequest {
    return { ...req, headers: { 'content-type': 'application/json' } }
  }
  forged(req: WebhookRequest): WebhookRequest {
    return { ...req, headers: { ...req.headers, ...signHeaders('not-the-secret', req.body) } }
  }
  /** With a secret configured, the weaker form is no proof at all (the unsigned protocol, opt-in only). */
  downgraded(req: WebhookRequest): WebhookRequest {
    return { ...req, headers: Object.fromEntries(Object.entries(req.headers).filter(([k]) => !k.toLowerCase().startsWith('x-hitl-'))) }
  }
}
