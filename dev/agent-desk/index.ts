/**
 * A local agent desk: an in-memory "external service" of the generic HITL API protocol on loopback, for `npm start`,
 * end-to-end tests and a browser playground. It validates every request against the official specs (./specs),
 * verifies and sends signed requests when a secret is set, and lets code or a human act as agents.
 *
 * Protocol routes (integration → desk): POST /ping, /createRemoteUser, /createRemoteConversation, /botSendsMessage,
 * /closeRemoteTicket. Webhooks (desk → integration): /message-from-agent, /agent-assigned, /stop-hitl.
 * Every request must name the desk by its loopback address (Host), carry no foreign Origin, and every write must be
 * JSON: a web page the developer visits cannot drive it (see `refusal`).
 * Control API (unsigned, for humans and UIs): GET /desk/tickets, GET /desk/tickets/:id, POST /desk/tickets/:id/
 * {reply,assign,transfer,close}, GET /desk/users, GET /desk/requests, POST /desk/config, POST /desk/fail,
 * GET /desk/events (server-sent events: ticket, message, assigned, closed, user, request).
 */
import { randomBytes } from 'node:crypto'
import { EventEmitter } from 'node:events'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  agentMessageProblem,
  agentProblem,
  inferMessageType,
  serviceRoutes,
  SIGNATURE_HEADER,
  signatureProblem,
  signHeaders,
  violationsOf,
  webhookRoutes,
} from './protocol'

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
export type AgentMessage = { type: 'text' | 'image' | 'audio' | 'video' | 'file' | 'bloc'; payload: Record<string, unknown> }
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

const MAX_BODY = 1024 * 1024
const now = () => new Date().toISOString()
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const isObject = (v: unknown): v is Record<string, any> => typeof v === 'object' && v !== null && !Array.isArray(v)
const agentFields = (agent: Agent) => ({
  ...(agent.name ? { agentName: agent.name } : {}),
  ...(agent.pictureUrl ? { agentPictureUrl: agent.pictureUrl } : {}),
})

export class AgentDesk extends EventEmitter {
  url = ''
  users: RemoteUser[] = []
  tickets: Ticket[] = []
  requests: RequestRecord[] = []
  violations: Violation[] = []
  /** Artificial delay before every response, in milliseconds. */
  latencyMs = 0

  private readonly server: Server
  private readonly faults = new Map<string, Required<Pick<Fault, 'status' | 'count'>> & Fault>()
  private readonly streams = new Set<ServerResponse>()
  private readonly heartbeat: NodeJS.Timeout
  private readonly instance = randomBytes(3).toString('hex')
  private seq = { user: 0, ticket: 0, message: 0 }
  private secret?: string
  private webhookUrl?: string

  constructor(private readonly opts: AgentDeskOptions = {}) {
    super()
    this.setSecret(opts.secret)
    if (opts.webhookUrl) this.setWebhookUrl(opts.webhookUrl)
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error) => this.send(res, 500, { error: `agent desk failure: ${(error as Error).message}` }))
    })
    this.heartbeat = setInterval(() => this.streams.forEach((s) => s.write(': keep-alive\n\n')), 15_000).unref()
  }

  async listen() {
    const host = this.opts.host ?? '127.0.0.1'
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject).listen(this.opts.port ?? 0, host, () => resolve())
    })
    const { port } = this.server.address() as AddressInfo
    this.url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`
    this.log(`agent desk listening on ${this.url}`)
    return this
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
    const problem = agentProblem(agent) ?? agentMessageProblem(message?.type, message?.payload)
    if (problem) throw new DeskError(400, problem)
    const id = this.messageId()
    const result = await this.sendWebhook('/message-from-agent', {
      remoteConversationId: ticket.id,
      remoteUserId: agent.id,
      messageType: message.type,
      payload: message.payload,
      ...agentFields(agent),
      messageId: id,
    })
    const delivered = result.status >= 200 && result.status < 300
    this.addMessage(ticket, { id, from: 'agent', type: message.type, payload: message.payload, authorId: agent.id, delivered })
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

  async stop() {
    clearInterval(this.heartbeat)
    this.streams.forEach((s) => s.end())
    this.streams.clear()
    this.server.closeAllConnections()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
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

  /** Emit to in-process listeners and to the server-sent event streams. */
  private publish(event: string, data: unknown) {
    this.emit(event, data)
    const chunk = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`
    this.streams.forEach((s) => s.write(chunk))
  }

  private log(line: string) {
    if (!this.opts.quiet) process.stdout.write(line + '\n')
  }

  private send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
    if (res.headersSent) return void res.end()
    res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body ?? {}))
  }

  /** `Host` values the desk answers to: its loopback names on its port (and the host it was told to bind, if another). */
  private allowedHosts(): string[] {
    const { port } = this.server.address() as AddressInfo
    const hosts = [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]
    const bound = this.opts.host
    if (bound && !['127.0.0.1', 'localhost', '::1'].includes(bound)) hosts.push(`${bound.includes(':') ? `[${bound}]` : bound}:${port}`)
    return hosts
  }

  /**
   * The desk acts without authentication (its control API replies as the agent, lists every ticket and transcript), so
   * only callers on this machine that name it by its own address may use it: a web page the developer visits can
   * neither reach it under another name (DNS rebinding), nor write to it from its own origin (a cross-origin form or
   * `text/plain` fetch needs no preflight; JSON does, and the desk grants none). Same checks as the playground's.
   */
  private refusal(req: IncomingMessage): [number, string] | undefined {
    const host = req.headers.host ?? ''
    const allowed = this.allowedHosts()
    if (!allowed.includes(host)) return [403, `unexpected Host header "${host.slice(0, 100)}": use ${this.url}`]
    const origin = req.headers.origin
    if (origin !== undefined && !allowed.some((h) => origin === `http://${h}`)) return [403, 'cross-origin requests are refused']
    const site = req.headers['sec-fetch-site']
    if (site !== undefined && site !== 'same-origin' && site !== 'none') return [403, 'cross-site requests are refused']
    const method = req.method ?? 'GET'
    if (method !== 'GET' && method !== 'HEAD' && !/^application\/json\s*(;|$)/i.test(req.headers['content-type'] ?? '')) {
      return [415, 'send JSON (content-type: application/json)']
    }
    return undefined
  }

  private async handle(req: IncomingMessage, res: ServerResponse) {
    const refused = this.refusal(req)
    if (refused) {
      req.resume()
      return this.send(res, refused[0], { error: refused[1] }, { connection: 'close' })
    }
    const path = new URL(req.url ?? '/', 'http://desk').pathname.replace(/(.)\/+$/, '$1')
    const chunks: Buffer[] = []
    let size = 0
    for await (const chunk of req) {
      size += (chunk as Buffer).length
      if (size > MAX_BODY) return this.send(res, 413, { error: 'body larger than 1 MB' })
      chunks.push(chunk as Buffer)
    }
    const raw = Buffer.concat(chunks)
    if (this.latencyMs > 0) await sleep(this.latencyMs)
    if (path === '/desk' || path.startsWith('/desk/')) return this.control(req, res, path, raw)
    return this.protocol(req, res, path, raw)
  }

  private protocol(req: IncomingMessage, res: ServerResponse, path: string, raw: Buffer) {
    const method = req.method ?? 'GET'
    let signed = typeof req.headers[SIGNATURE_HEADER] === 'string'
    let body: unknown
    let valid = false
    const answer = (status: number, answerBody: unknown, errors?: string[], headers?: Record<string, string>) => {
      const record: RequestRecord = { method, path, status, valid, ...(errors ? { errors } : {}), signed, body, at: now() }
      this.requests.push(record)
      this.publish('request', record)
      this.log(`desk ◂ ${method} ${path} ${status}${errors ? ` (${errors.join('; ')})` : ''}`)
      this.send(res, status, answerBody, headers)
    }

    const fault = this.faults.get(path)
    if (fault) {
      if (--fault.count <= 0) this.faults.delete(path)
      const headers: Record<string, string> = fault.retryAfter !== undefined ? { 'retry-after': String(fault.retryAfter) } : {}
      return answer(fault.status, { error: `injected failure (${fault.status})` }, ['injected failure'], headers)
    }
    const route = serviceRoutes.get(path)
    if (!route) return answer(404, { error: `${path} is not a route of the HITL API` }, ['unknown route'])
    if (method !== 'POST') return answer(405, { error: `${path} accepts POST only` }, ['method not allowed'], { allow: 'POST' })
    if (this.secret) {
      const problem = signatureProblem(this.secret, req.headers, raw)
      signed = !problem
      if (problem) return answer(401, { error: problem }, [problem])
    }
    try {
      body = JSON.parse(raw.toString('utf8'))
    } catch {
      return answer(400, { error: 'the body is not valid JSON' }, ['invalid JSON'])
    }
    const errors = violationsOf(route, body)
    if (errors.length) {
      this.violations.push({ direction: 'in', operationId: route.operationId, path, errors, body, at: now() })
      return answer(400, { error: `request rejected by the HITL API spec (${route.operationId})`, violations: errors }, errors)
    }
    valid = true
    const [status, result] = this.apply(path, body as Record<string, any>)
    answer(status, result, status >= 400 ? [String((result as { error: unknown }).error)] : undefined)
  }

  /** A valid protocol request → [status, answer]. */
  private apply(path: string, body: Record<string, any>): [number, unknown] {
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

  private async control(req: IncomingMessage, res: ServerResponse, path: string, raw: Buffer) {
    const method = req.method ?? 'GET'
    try {
      if (method === 'GET' && path === '/desk/events') {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' })
        res.write(': connected\n\n')
        this.streams.add(res)
        res.on('close', () => this.streams.delete(res))
        return
      }
      const input = this.parseControlBody(raw)
      if (method === 'GET' && path === '/desk/tickets') return this.send(res, 200, { tickets: this.tickets })
      if (method === 'GET' && path === '/desk/users') return this.send(res, 200, { users: this.users })
      if (method === 'GET' && path === '/desk/requests') return this.send(res, 200, { requests: this.requests, violations: this.violations })
      if (method === 'POST' && path === '/desk/config') {
        if (input.webhookUrl !== undefined) {
          if (typeof input.webhookUrl !== 'string' || !URL.canParse(input.webhookUrl)) throw new DeskError(400, 'webhookUrl must be a URL')
          this.setWebhookUrl(input.webhookUrl)
        }
        if (input.latencyMs !== undefined) {
          if (typeof input.latencyMs !== 'number' || input.latencyMs < 0) throw new DeskError(400, 'latencyMs must be a number ≥ 0')
          this.latencyMs = input.latencyMs
        }
        return this.send(res, 200, { webhookUrl: this.webhookUrl ?? null, latencyMs: this.latencyMs, signed: !!this.secret })
      }
      if (method === 'POST' && path === '/desk/fail') {
        if (typeof input.path !== 'string') throw new DeskError(400, 'path must be a string such as /botSendsMessage')
        this.failNext(input.path, { status: input.status, count: input.count, retryAfter: input.retryAfter })
        return this.send(res, 200, {})
      }
      const match = /^\/desk\/tickets\/([^/]+)(?:\/(reply|assign|transfer|close))?$/.exec(path)
      if (!match) throw new DeskError(404, `no control route ${method} ${path}`)
      const [, id, action] = match
      const ticketId = decodeURIComponent(id!)
      if (!action && method === 'GET') return this.send(res, 200, this.ticket(ticketId))
      if (!action || method !== 'POST') throw new DeskError(405, `${method} ${path} is not supported`)
      let webhook: WebhookResult
      if (action === 'reply') webhook = await this.reply(ticketId, input.agent, { type: input.type, payload: input.payload })
      else if (action === 'assign') webhook = await this.assign(ticketId, input.agent)
      else if (action === 'transfer') webhook = await this.transfer(ticketId, input.agent)
      else webhook = await this.close(ticketId)
      return this.send(res, 200, { webhook, ticket: this.ticket(ticketId) })
    } catch (error) {
      if (error instanceof DeskError) return this.send(res, error.status, { error: error.message })
      return this.send(res, 502, { error: `could not reach the integration webhook: ${(error as Error).message}` })
    }
  }

  private parseControlBody(raw: Buffer): Record<string, any> {
    if (!raw.length) return {}
    let input: unknown
    try {
      input = JSON.parse(raw.toString('utf8'))
    } catch {
      throw new DeskError(400, 'the body is not valid JSON')
    }
    if (!isObject(input)) throw new DeskError(400, 'the body must be a JSON object')
    return input
  }
}

export async function startAgentDesk(opts: AgentDeskOptions = {}): Promise<AgentDesk> {
  return new AgentDesk(opts).listen()
}
