/**
 * The local agent desk's HTTP transport (loopback only): the server, its local-only guards, the protocol routes'
 * checks and the control API. What a request does to tickets and users is ./model.ts (`apply` and the agent actions).
 *
 * Protocol routes (integration → desk): POST /ping, /createRemoteUser, /createRemoteConversation, /botSendsMessage,
 * /closeRemoteTicket, each checked for an injected fault, the route, POST, the signature (when a secret is set), JSON
 * and the spec (./protocol.ts) before `apply`; every one is recorded in `requests`.
 * Every request must name the desk by its loopback address (Host), carry no foreign Origin, and every write must be
 * JSON: a web page the developer visits cannot drive it (see `refusal`).
 * Control API (unsigned, for humans and UIs): GET /desk/tickets, GET /desk/tickets/:id, POST /desk/tickets/:id/
 * {reply,assign,transfer,close} (reply: {agent, type, payload, additionalData?}), GET /desk/users, GET /desk/requests,
 * POST /desk/config, POST /desk/fail, GET /desk/events (server-sent events: ticket, message, assigned, closed, user,
 * request).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { DeskError, DeskModel, type AgentDeskOptions, type RequestRecord, type WebhookResult } from './model'
import { SIGNATURE_HEADER, serviceRoutes, signatureProblem, violationsOf } from './protocol'

const MAX_BODY = 1024 * 1024
const now = () => new Date().toISOString()
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const isObject = (v: unknown): v is Record<string, any> => typeof v === 'object' && v !== null && !Array.isArray(v)

export class AgentDesk extends DeskModel {
  url = ''
  /** Artificial delay before every response, in milliseconds. */
  latencyMs = 0

  private readonly server: Server
  private readonly streams = new Set<ServerResponse>()
  private readonly heartbeat: NodeJS.Timeout

  constructor(opts: AgentDeskOptions = {}) {
    super(opts)
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

  async stop() {
    clearInterval(this.heartbeat)
    this.streams.forEach((s) => s.end())
    this.streams.clear()
    this.server.closeAllConnections()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }

  /** Emit to in-process listeners and to the server-sent event streams. */
  protected override publish(event: string, data: unknown) {
    super.publish(event, data)
    const chunk = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`
    this.streams.forEach((s) => s.write(chunk))
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

    const fault = this.takeFault(path)
    if (fault) {
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
      if (action === 'reply') webhook = await this.reply(ticketId, input.agent, { type: input.type, payload: input.payload, additionalData: input.additionalData })
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
