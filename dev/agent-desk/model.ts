/**
 * The local agent desk's model: its users, tickets and messages, the agent actions (reply, assign, transfer, close)
 * that call the integration's webhooks, and what each valid protocol request does (`apply`). No HTTP server here:
 * ./server.ts receives the protocol and control requests, checks them and hands the valid ones to `apply`.
 * Every change is emitted as an event (ticket, message, assigned, closed, user, request) for in-process listeners.
 */
import { randomBytes } from 'node:crypto'
import { EventEmitter } from 'node:events'
import { agentMessageProblem, agentProblem, inferMessageType, signHeaders, violationsOf, webhookRoutes } from './protocol'

export type Agent = { id: string; name?: string; pictureUrl?: string }
export type RemoteUser = { id: string; role?: string; name: string; pictureUrl?: string; email?: string; botpressUserId?: string; createdAt: string }
export type DeskMessage = {
  id: string
  ticketId: string
  from: 'user' | 'agent' | 'system'
  type: string
  payload: Record<string, unknown>
  authorId?: string
  /** The type was guessed from the payload (the integration sent no `messageType`). */
  inferredType?: boolean
  botpressMessageId?: string
  /** Agent messages: whether the integration answered the webhook with 2xx. */
  delivered?: boolean
  at: string
}
export type Ticket = {
  id: string
  title?: string
  description?: string
  remoteUserId?: string
  botpressConversationId?: string
  /** The text of the official `messages` field, one entry per message. */
  transcript: string[]
  /** Our additive typed history, as received. */
  history: unknown[]
  hitlSession?: Record<string, unknown>
  messages: DeskMessage[]
  assignedTo?: Agent
  status: 'open' | 'closed'
  closedBy?: 'integration' | 'agent'
  createdAt: string
}
export type RequestRecord = {
  method: string
  path: string
  status: number
  /** Passed the route, signature, JSON and spec checks (false for an injected failure too); `errors` says why a request was refused. */
  valid: boolean
  errors?: string[]
  /** Carried a signature header (that verified, when a secret is set). */
  signed: boolean
  body?: unknown
  at: string
}
export type Violation = { direction: 'in' | 'out'; operationId: string; path: string; errors: string[]; body: unknown; at: string }
export type WebhookResult = { status: number; body: unknown }
/** `additionalData`: the hitl message field (an opaque string ≤ 500 characters), sent as `payload.additionalData`. */
export type AgentMessage = { type: 'text' | 'image' | 'audio' | 'video' | 'file' | 'bloc'; payload: Record<string, unknown>; additionalData?: string }
export type Fault = { status: number; count?: number; retryAfter?: number }
export type AgentDeskOptions = { port?: number; host?: string; secret?: string; webhookUrl?: string; quiet?: boolean }

/** An error with the HTTP status the control API answers for it. */
export class DeskError extends Error {
  constructor(
    readonly status: number,
    message: string
  ) {
    super(message)
  }
}

const now = () => new Date().toISOString()
const agentFields = (agent: Agent) => ({
  ...(agent.name ? { agentName: agent.name } : {}),
  ...(agent.pictureUrl ? { agentPictureUrl: agent.pictureUrl } : {}),
})

/** The desk without its HTTP server: state, agent actions and protocol operations. AgentDesk (./server.ts) serves it. */
export class DeskModel extends EventEmitter {
  users: RemoteUser[] = []
  tickets: Ticket[] = []
  requests: RequestRecord[] = []
  violations: Violation[] = []

  private readonly faults = new Map<string, Required<Pick<Fault, 'status' | 'count'>> & Fault>()
  private readonly instance = randomBytes(3).toString('hex')
  private seq = { user: 0, ticket: 0, message: 0 }
  protected secret?: string
  protected webhookUrl?: string

  constructor(protected readonly opts: AgentDeskOptions = {}) {
    super()
    this.setSecret(opts.secret)
    if (opts.webhookUrl) this.setWebhookUrl(opts.webhookUrl)
  }

  setWebhookUrl(url: string) {
    new URL(url) // throws on a malformed URL
    this.webhookUrl = url.replace(/\/+$/, '')
  }

  setSecret(secret?: string) {
    this.secret = secret || undefined
  }

  /** The next `count` (default 1) protocol calls to `path` answer `status` (and `Retry-After`) without side effects. */
  failNext(path: string, fault: Fault) {
    if (!Number.isInteger(fault.status) || fault.status < 100 || fault.status > 599) throw new DeskError(400, 'status must be an HTTP status code')
    if (fault.count !== undefined && (!Number.isInteger(fault.count) || fault.count < 1)) throw new DeskError(400, 'count must be an integer ≥ 1')
    if (fault.retryAfter !== undefined && !(typeof fault.retryAfter === 'number' && fault.retryAfter >= 0)) throw new DeskError(400, 'retryAfter must be seconds ≥ 0')
    this.faults.set('/' + path.replace(/^\/+|\/+$/g, ''), { ...fault, count: fault.count ?? 1 })
  }

  /** Forget every user, ticket, request, violation and pending fault. */
  reset() {
    this.users.length = this.tickets.length = this.requests.length = this.violations.length = 0
    this.faults.clear()
  }

  ticket(id: string): Ticket {
    const ticket = this.tickets.find((t) => t.id === id)
    if (!ticket) throw new DeskError(404, `no ticket ${id}`)
    return ticket
  }

  // ── agent actions ──────────────────────────────────────────────────────────

  async reply(ticketId: string, agent: Agent, message: AgentMessage): Promise<WebhookResult> {
    const ticket = this.openTicket(ticketId)
    const extra = message?.additionalData
    if (extra !== undefined && typeof extra !== 'string') throw new DeskError(400, 'additionalData must be a string')
    const payload = extra === undefined ? message?.payload : { ...message.payload, additionalData: extra }
    const problem = agentProblem(agent) ?? agentMessageProblem(message?.type, payload)
    if (problem) throw new DeskError(400, problem)
    const id = this.messageId()
    const result = await this.sendWebhook('/message-from-agent', {
      remoteConversationId: ticket.id,
      remoteUserId: agent.id,
      messageType: message.type,
      payload,
      ...agentFields(agent),
      messageId: id,
    })
    const delivered = result.status >= 200 && result.status < 300
    this.addMessage(ticket, { id, from: 'agent', type: message.type, payload: payload as Record<string, unknown>, authorId: agent.id, delivered })
    return result
  }

  assign(ticketId: string, agent: Agent): Promise<WebhookResult> {
    return this.assignTo(ticketId, agent)
  }

  /** Re-assign to another agent (the integration sees a new `agent-assigned`). */
  async transfer(ticketId: string, agent: Agent): Promise<WebhookResult> {
    const current = this.openTicket(ticketId).assignedTo
    if (current && current.id === agent?.id) throw new DeskError(409, `ticket ${ticketId} is already assigned to ${agent.id}`)
    return this.assignTo(ticketId, agent)
  }

  /** The agent ends the session: `stop-hitl` is sent (again, harmlessly, for an already closed ticket). */
  async close(ticketId: string): Promise<WebhookResult> {
    const ticket = this.ticket(ticketId)
    const result = await this.sendWebhook('/stop-hitl', { remoteConversationId: ticket.id })
    this.closeTicket(ticket, 'agent')
    return result
  }

  /** Send any webhook body (validated against the spec, signed when a secret is set); for tests of malformed input. */
  async sendWebhook(path: string, body: unknown): Promise<WebhookResult> {
    if (!this.webhookUrl) throw new DeskError(409, 'the integration webhook URL is not set (setWebhookUrl or POST /desk/config)')
    const route = webhookRoutes.get(path)
    const errors = route ? violationsOf(route, body) : [`${path} is not a webhook route of the spec`]
    if (errors.length) this.violations.push({ direction: 'out', operationId: route?.operationId ?? path, path, errors, body, at: now() })
    const raw = JSON.stringify(body)
    const res = await fetch(this.webhookUrl + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(this.secret ? signHeaders(this.secret, raw) : {}) },
      body: raw,
      signal: AbortSignal.timeout(10_000),
    })
    const text = await res.text()
    let answer: unknown = text
    try {
      answer = text ? JSON.parse(text) : undefined
    } catch {
      // not JSON: keep the text
    }
    this.log(`desk ▸ POST ${path} ${res.status}`)
    return { status: res.status, body: answer }
  }

  /** The injected failure for the next protocol call to `path`, if any (consumed). */
  protected takeFault(path: string): Fault | undefined {
    const fault = this.faults.get(path)
    if (fault && --fault.count <= 0) this.faults.delete(path)
    return fault
  }

  /** A valid protocol request (checked by the server: route, signature, JSON, spec) → [status, answer]. */
  protected apply(path: string, body: Record<string, any>): [number, unknown] {
    switch (path) {
      case '/ping':
        return [200, {}]
      case '/createRemoteUser': {
        const user: RemoteUser = { ...body.payload, id: `u_${++this.seq.user}`, createdAt: now() }
        this.users.push(user)
        this.publish('user', user)
        return [200, { id: user.id }]
      }
      case '/createRemoteConversation': {
        const p = body.payload
        const ticket: Ticket = {
          id: `t_${++this.seq.ticket}`,
          title: p.title,
          description: p.description,
          remoteUserId: p.remoteUserId,
          botpressConversationId: p.botpressConversationId,
          transcript: (p.messages ?? []).map((m: { text: string }) => m.text),
          history: p.history ?? [],
          hitlSession: p.hitlSession,
          messages: [],
          status: 'open',
          createdAt: now(),
        }
        this.tickets.push(ticket)
        this.publish('ticket', ticket)
        return [200, { id: ticket.id }]
      }
      case '/botSendsMessage': {
        const ticket = this.tickets.find((t) => t.id === body.remoteConversationId)
        if (!ticket) return [404, { error: `no ticket ${body.remoteConversationId}` }]
        if (ticket.status === 'closed') return [409, { error: `ticket ${ticket.id} is closed` }]
        const fromBot = body.authorKind ? body.authorKind === 'bot' : body.remoteUserId === 'BOT' || !this.users.some((u) => u.id === body.remoteUserId)
        const m = this.addMessage(ticket, {
          id: this.messageId(),
          from: fromBot ? 'system' : 'user',
          type: body.messageType ?? inferMessageType(body.payload),
          payload: body.payload,
          authorId: body.remoteUserId,
          ...(body.messageType ? {} : { inferredType: true }),
          ...(body.botpressMessageId ? { botpressMessageId: body.botpressMessageId } : {}),
        })
        return [200, { id: m.id }]
      }
      case '/closeRemoteTicket': {
        const { remoteConversationId, botpressConversationId } = body.payload
        const newestFirst = [...this.tickets].reverse()
        const ticket =
          this.tickets.find((t) => t.id === remoteConversationId) ??
          newestFirst.find((t) => t.botpressConversationId === botpressConversationId && t.status === 'open') ??
          newestFirst.find((t) => t.botpressConversationId === botpressConversationId)
        if (!ticket) return [404, { error: `no ticket for ${remoteConversationId ?? `Botpress conversation ${botpressConversationId}`}` }]
        this.closeTicket(ticket, 'integration')
        return [200, {}]
      }
    }
    return [404, { error: `${path} is not a route of the HITL API` }]
  }

  // ── internals ──────────────────────────────────────────────────────────────

  private async assignTo(ticketId: string, agent: Agent) {
    const ticket = this.openTicket(ticketId)
    const problem = agentProblem(agent)
    if (problem) throw new DeskError(400, problem)
    const result = await this.sendWebhook('/agent-assigned', { remoteConversationId: ticket.id, remoteUserId: agent.id, ...agentFields(agent) })
    const previous = ticket.assignedTo
    ticket.assignedTo = { ...agent }
    this.publish('assigned', { ticketId: ticket.id, agent: ticket.assignedTo, previous })
    return result
  }

  private openTicket(id: string) {
    const ticket = this.ticket(id)
    if (ticket.status === 'closed') throw new DeskError(409, `ticket ${id} is closed`)
    return ticket
  }

  private closeTicket(ticket: Ticket, by: 'integration' | 'agent') {
    if (ticket.status === 'closed') return
    ticket.status = 'closed'
    ticket.closedBy = by
    this.publish('closed', ticket)
  }

  private messageId = () => `m_${++this.seq.message}_${this.instance}`

  private addMessage(ticket: Ticket, message: Omit<DeskMessage, 'ticketId' | 'at'>) {
    const m: DeskMessage = { ...message, ticketId: ticket.id, at: now() }
    ticket.messages.push(m)
    this.publish('message', m)
    return m
  }

  /** Emit to in-process listeners (AgentDesk also writes it to its server-sent event streams). */
  protected publish(event: string, data: unknown) {
    this.emit(event, data)
  }

  protected log(line: string) {
    if (!this.opts.quiet) process.stdout.write(line + '\n')
  }
}
