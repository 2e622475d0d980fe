/**
 * An in-memory Botpress runtime API on loopback (node:http). Every request is checked against the official OpenAPI of
 * @botpress/api: a request the spec rejects gets a 400 InvalidPayload, is recorded in `violations` and printed to
 * stderr. Responses are checked too (a mismatch is an emulator bug, recorded the same way). Also serves Botpress
 * Cloud's webhook ingress: `ANY /webhook/:webhookId/<rest>` goes to the attached driver as `webhook_received`.
 */
import { randomBytes, randomUUID } from 'node:crypto'
import { EventEmitter } from 'node:events'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Conversation, ErrorType, Event, Message } from '@botpress/client'
import { ApiError, typeForStatus, type ErrorBody } from './errors'
import { loadSpec, type Operation, type Spec } from './spec'
import { IMPLEMENTED, newId, Store, type OperationInput, type StoreEvents } from './store'

export interface EmulatorOptions {
  port?: number
  /** Default 127.0.0.1. */
  host?: string
  /** Default a random UUID (State.botId must be 28–36 chars). */
  botId?: string
  token?: string
  integrationId?: string
  /** Stored as `conversation.integration`; also sent as x-integration-alias by the driver. Default "hitl-hub". */
  integrationName?: string
  /** Delay added to every runtime API response. */
  latencyMs?: number
  /** No per-request log lines (violations are always printed to stderr). */
  quiet?: boolean
  /** Page size of list operations (they paginate with `meta.nextToken`). Default 20. */
  pageSize?: number
  /** Where log lines and violations go. Default: stderr. */
  log?: (line: string) => void
}

export interface RequestRecord {
  operationId: string
  method: string
  path: string
  status: number
  valid: boolean
  errors?: string[]
  at: string
  durationMs: number
  /** x-integration-id of the caller. */
  integrationId?: string
  /** Answered by failNext. */
  injected?: boolean
}

export interface FailureOptions {
  status: number
  /** How many of the next calls fail (default 1). */
  count?: number
  /** Seconds, sent as Retry-After. */
  retryAfter?: number
  type?: ErrorType
  message?: string
}

/** What the ingress needs from a driver (see IntegrationDriver). */
export interface WebhookTarget {
  readonly webhookId: string
  webhook(req: { method?: string; path?: string; query?: string; headers?: Record<string, string>; body?: string }): Promise<{ status: number; headers: Record<string, string>; body: string }>
}

export type EmulatorEvents = StoreEvents & { request: [record: RequestRecord] }

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const stderr = (line: string) => void process.stderr.write(`[botpress-emulator] ${line}\n`)

export class Emulator extends EventEmitter<EmulatorEvents> {
  /** http://127.0.0.1:<port>, set once listening. */
  url = ''
  readonly botId: string
  readonly botUserId: string
  readonly integrationId: string
  readonly integrationName: string
  readonly token: string
  readonly store: Store
  readonly requests: RequestRecord[] = []
  readonly violations: RequestRecord[] = []
  latencyMs: number
  private readonly failures = new Map<string, FailureOptions & { count: number }>()
  private readonly drivers = new Map<string, WebhookTarget>()
  private readonly quiet: boolean
  private readonly log: (line: string) => void
  private readonly server: http.Server

  /** Use startEmulator(). */
  constructor(
    private readonly spec: Spec,
    private readonly opts: EmulatorOptions = {}
  ) {
    super()
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((error) => {
        this.log(`EMULATOR CRASH on ${req.method} ${req.url}: ${error?.stack ?? error}`)
        if (!res.headersSent) send(res, 500, new ApiError('Internal', `emulator crash: ${error?.message ?? error}`).toJSON())
      })
    })
    this.botId = opts.botId ?? randomUUID()
    this.botUserId = newId('user_')
    this.integrationId = opts.integrationId ?? randomUUID()
    this.integrationName = opts.integrationName ?? 'hitl-hub'
    this.token = opts.token ?? `bp_pat_${randomBytes(20).toString('hex')}`
    this.latencyMs = opts.latencyMs ?? 0
    this.quiet = opts.quiet ?? false
    this.log = opts.log ?? stderr
    this.store = new Store({
      botId: this.botId,
      integrationId: this.integrationId,
      integrationName: this.integrationName,
      pageSize: opts.pageSize ?? 20,
      emit: (name, ...args) => this.emit(name, ...(args as any)),
    })
  }

  /** Calls per operationId. */
  counts(): Record<string, number> {
    const counts: Record<string, number> = {}
    for (const r of this.requests) counts[r.operationId] = (counts[r.operationId] ?? 0) + 1
    return counts
  }

  /** Forgets everything: store, records and pending failures (attached drivers stay). */
  reset() {
    this.store.clear()
    this.requests.length = 0
    this.violations.length = 0
    this.failures.clear()
  }

  /** The next `count` calls of `operationId` answer `status` with a Botpress error body, without side effect. */
  failNext(operationId: string, options: FailureOptions) {
    if (!this.spec.operations.has(operationId)) throw new Error(`failNext: no operation ${operationId} in the runtime API`)
    this.failures.set(operationId, { ...options, count: options.count ?? 1 })
  }

  /** Routes `/webhook/<driver.webhookId>/…` to this driver. */
  attach(driver: WebhookTarget) {
    this.drivers.set(driver.webhookId, driver)
  }

  findConversation(tags: Record<string, string>): Conversation | undefined {
    return this.store.conversations.find((c) => Object.entries(tags).every(([k, v]) => c.tags[k] === v))
  }
  messagesOf(conversationId: string): Message[] {
    return this.store.messages.filter((m) => m.conversationId === conversationId).sort((a, b) => a.createdAt.localeCompare(b.createdAt))
  }
  eventsOf(type?: string): Event[] {
    return this.store.events.filter((e) => !type || e.type === type)
  }

  /** @internal */
  async listen() {
    const host = this.opts.host ?? '127.0.0.1'
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject)
      this.server.listen(this.opts.port ?? 0, host, () => resolve())
    })
    const { port } = this.server.address() as AddressInfo
    const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host
    this.url = `http://${urlHost}:${port}`
  }

  async close() {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve())
      this.server.closeAllConnections()
    })
  }

  // ── HTTP ─────────────────────────────────────────────────────────────────
  /** @internal */
  async handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const started = performance.now()
    const at = new Date().toISOString()
    const url = new URL(req.url ?? '/', 'http://emulator')
    const method = (req.method ?? 'GET').toUpperCase()
    const raw = await readBody(req)

    if (url.pathname.startsWith('/webhook/')) return this.ingress(req, res, url, method, raw)
    if (url.pathname === '/health') return send(res, 200, { status: 'ok' })

    const record: RequestRecord = { operationId: 'unknown', method, path: url.pathname + url.search, status: 0, valid: true, at, durationMs: 0 }
    const integrationId = header(req, 'x-integration-id')
    if (integrationId) record.integrationId = integrationId
    let status = 200
    let body: unknown
    let extraHeaders: Record<string, string> = {}
    const fail = (error: ApiError, errors: string[] = [error.message]) => {
      status = error.code
      body = error.toJSON()
      record.valid = false
      record.errors = errors
    }

    const matched = this.spec.match(method, url.pathname)
    if (!matched || 'methodMismatch' in matched) {
      const what = `${method} ${url.pathname}`
      fail(matched ? new ApiError('MethodNotFound', `${what}: method not allowed by the runtime API`) : new ApiError('ResourceNotFound', `${what} is not a runtime API route`))
    } else {
      const { operation, pathParams } = matched
      record.operationId = operation.operationId
      const op = operation.operationId
      const input = this.parse(operation, pathParams, url, raw, req)
      const errors = 'errors' in input ? input.errors : this.spec.validateRequest(operation, input.validated)
      const auth = this.authError(req)
      const failure = this.failures.get(op)

      if (auth) fail(auth)
      else if (errors.length) fail(new ApiError('InvalidPayload', `${op}: ${errors.join('; ')}`), errors)
      else if (failure) {
        if (--failure.count <= 0) this.failures.delete(op)
        const error = new ApiError(failure.type ?? typeForStatus(failure.status), failure.message ?? `${op}: failure injected by failNext (${failure.status})`, failure.status)
        status = error.code
        body = error.toJSON()
        record.injected = true
        if (failure.retryAfter !== undefined) extraHeaders = { 'retry-after': String(failure.retryAfter) }
      } else if (!(IMPLEMENTED as readonly string[]).includes(op)) {
        fail(new ApiError('Internal', `${op}: not implemented by the Botpress emulator`, 501))
      } else if (!('errors' in input)) {
        try {
          body = (this.store[op as (typeof IMPLEMENTED)[number]] as (i: OperationInput) => unknown)(input.op)
          const bad = this.spec.validateResponse(operation, body)
          if (bad.length) {
            record.valid = false
            record.errors = bad
            this.log(`EMULATOR BUG: ${op} answered a response the spec rejects: ${bad.join('; ')}`)
          }
        } catch (error) {
          if (!(error instanceof ApiError)) throw error
          status = error.code
          body = error.toJSON()
        }
      }
    }

    if (this.latencyMs > 0) await sleep(this.latencyMs)
    send(res, status, body, extraHeaders)
    record.status = status
    record.durationMs = Math.round((performance.now() - started) * 100) / 100
    this.requests.push(record)
    if (!record.valid) {
      this.violations.push(record)
      if (status !== 200) this.log(`${status} ${record.operationId} ${method} ${record.path}: ${(body as ErrorBody).message}`)
    } else if (!this.quiet) this.log(`${status} ${record.operationId} ${record.durationMs}ms`)
    this.emit('request', record)
  }

  private authError(req: http.IncomingMessage): ApiError | undefined {
    if (header(req, 'authorization') !== `Bearer ${this.token}`) return new ApiError('Unauthorized', 'missing or wrong bearer token (expected the emulator token, e.g. BP_TOKEN=emulator.token)')
    const botId = header(req, 'x-bot-id')
    if (botId !== undefined && botId !== this.botId) return new ApiError('Forbidden', `x-bot-id ${botId} is not this emulator's bot (${this.botId})`)
    return undefined
  }

  /** Splits the request into what the spec validates, and what the store gets. */
  private parse(
    operation: Operation,
    pathParams: Record<string, string>,
    url: URL,
    raw: string,
    req: http.IncomingMessage
  ): { errors: string[] } | { validated: { path: object; query: object; header: object; body: unknown }; op: OperationInput } {
    const query = parseQuery(url.searchParams, operation.params.query)
    let body: unknown = undefined
    if (operation.hasBody) {
      try {
        body = raw.trim() ? JSON.parse(raw) : {}
      } catch {
        return { errors: [`body is not valid JSON: ${raw.slice(0, 80)}`] }
      }
    }
    const headers = Object.fromEntries(Object.keys(req.headers).map((k) => [k, header(req, k)!]))
    return {
      validated: { path: pathParams, query, header: headers, body },
      op: { params: pathParams, query, body },
    }
  }

  private async ingress(req: http.IncomingMessage, res: http.ServerResponse, url: URL, method: string, raw: string) {
    const [, , webhookId = '', ...rest] = url.pathname.split('/')
    const driver = this.drivers.get(decodeURIComponent(webhookId))
    if (!driver) return send(res, 404, new ApiError('ResourceNotFound', `no integration attached for webhook ${webhookId}`).toJSON())
    const headers = Object.fromEntries(Object.keys(req.headers).map((k) => [k, header(req, k)!]))
    try {
      const out = await driver.webhook({ method, path: '/' + rest.join('/'), query: url.search.replace(/^\?/, ''), headers, body: raw })
      res.writeHead(out.status, out.headers).end(out.body)
    } catch (error) {
      this.log(`webhook ${webhookId}: ${(error as Error).message}`)
      send(res, 502, new ApiError('Internal', `webhook delivery failed: ${(error as Error).message}`, 502).toJSON())
    }
  }
}

/** `startEmulator()` → a listening emulator. Point the integration at it with BP_API_URL=url and BP_TOKEN=token. */
export async function startEmulator(opts: EmulatorOptions = {}): Promise<Emulator> {
  const emulator = new Emulator(await loadSpec(), opts)
  await emulator.listen()
  return emulator
}

// ── helpers ──────────────────────────────────────────────────────────────────

const header = (req: http.IncomingMessage, name: string): string | undefined => {
  const v = req.headers[name]
  return Array.isArray(v) ? v.join(', ') : v
}

const readBody = (req: http.IncomingMessage) =>
  new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    req.on('error', reject)
  })

const send = (res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  const text = JSON.stringify(body ?? {})
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers }).end(text)
}

/**
 * The query string as @botpress/client sends it: qs with `allowDots` and `arrayFormat: 'repeat'`, so
 * `tags: { a: 'x' }` arrives as `tags.a=x` (a key with a dot, `tags.a.b=x`, means key "a.b") and arrays as repeated keys.
 * The OpenAPI deepObject form `tags[a]=x` is accepted too.
 */
export function parseQuery(params: URLSearchParams, schemas: Record<string, Record<string, any>>): Record<string, unknown> {
  const out: Record<string, any> = {}
  for (const [key, value] of params) {
    const nested = /^([^.[\]]+)(?:\.(.+)|\[([^\]]+)\])$/.exec(key)
    const base = nested?.[1]
    if (nested && base && schemas[base]?.type === 'object') {
      const sub = nested[2] ?? nested[3]!
      out[base] = { ...(typeof out[base] === 'object' ? out[base] : {}), [sub]: value }
      continue
    }
    const name = key.endsWith('[]') ? key.slice(0, -2) : key
    if (schemas[name]?.type === 'array') (out[name] ??= []).push(value)
    else if (name in out) out[name] = [].concat(out[name], value as never) // repeated scalar: the spec check reports it
    else out[name] = value
  }
  return out
}
