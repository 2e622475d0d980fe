/**
 * Plays the Botpress side of the SDK's integration protocol (SDK 5.x): every call is `POST /` with the x-bp-* headers
 * and a JSON body, answered with `{status, headers, body}`. Talks to the integration either over HTTP (its SDK server,
 * `integration.start(port)`) or in-process through `integration.handler` — the same code path, same results.
 */
import { randomBytes } from 'node:crypto'
import http from 'node:http'
import type { Message } from '@botpress/client'
import type { Emulator, WebhookTarget } from './emulator'

export interface IntegrationRequest {
  method: string
  path: string
  query: string
  headers: { [key: string]: string | undefined }
  body?: string
}
export interface IntegrationResponse {
  status?: number
  headers?: { [key: string]: string }
  body?: string
}
export type IntegrationHandler = (req: IntegrationRequest) => Promise<IntegrationResponse | void>

export type Operation = 'register' | 'unregister' | 'ping' | 'action_triggered' | 'message_created' | 'webhook_received'

export interface DriverOptions {
  emulator: Emulator
  /** Base URL of the integration's SDK server, e.g. http://127.0.0.1:8072 … */
  integrationUrl?: string
  /** … or the SDK's `integration.handler`, called in-process. */
  handler?: IntegrationHandler
  configuration: object
  webhookId?: string
}

export interface HttpResult {
  status: number
  headers: Record<string, string>
  body: string
}

/** A non-2xx answer of the integration; `message` is the integration's own error message. */
export class IntegrationError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly body: string,
    readonly type?: string
  ) {
    super(message)
    this.name = 'IntegrationError'
  }
}

/** Headers Node's HTTP stack adds by itself; dropped so HTTP and in-process answers compare equal. */
const TRANSPORT_HEADERS = new Set(['date', 'connection', 'keep-alive', 'transfer-encoding', 'content-length'])

export class IntegrationDriver implements WebhookTarget {
  readonly emulator: Emulator
  readonly webhookId: string
  private configuration: object
  private readonly integrationUrl?: string
  private readonly handler?: IntegrationHandler

  constructor(opts: DriverOptions) {
    if (!opts.integrationUrl === !opts.handler) throw new Error('IntegrationDriver: give exactly one of integrationUrl or handler')
    this.emulator = opts.emulator
    this.integrationUrl = opts.integrationUrl
    this.handler = opts.handler
    this.configuration = opts.configuration
    this.webhookId = opts.webhookId ?? randomBytes(12).toString('hex')
  }

  /** Where third parties post webhooks: the emulator's ingress for this driver (see Emulator.attach). */
  get webhookUrl() {
    return `${this.emulator.url}/webhook/${this.webhookId}`
  }

  setConfiguration(configuration: object) {
    this.configuration = configuration
  }

  async register(): Promise<void> {
    this.expectOk(await this.call('register', { webhookUrl: this.webhookUrl }))
  }

  async unregister(): Promise<void> {
    this.expectOk(await this.call('unregister', { webhookUrl: this.webhookUrl }))
  }

  async ping(): Promise<void> {
    this.expectOk(await this.call('ping', {}))
  }

  /** action_triggered → the action's output (throws IntegrationError with the integration's message on failure). */
  async callAction<T = any>(type: string, input: object): Promise<T> {
    const res = this.expectOk(await this.call('action_triggered', { type, input }, type))
    return JSON.parse(res.body).output as T
  }

  /**
   * What Botpress does when the bot (e.g. the HITL plugin) posts in a conversation of this integration: store the
   * message (author: the bot user unless `userId`), then send `message_created` with the conversation, user and message.
   * Returns the message as stored afterwards (with the tags the integration may have set through `ack`).
   */
  async sendMessage(opts: { conversationId: string; type: string; payload: object; userId?: string; tags?: Record<string, string> }): Promise<Message> {
    const { store, botUserId } = this.emulator
    const conversation = store.conversation(opts.conversationId)
    const userId = opts.userId ?? botUserId
    if (userId === botUserId && !store.users.some((u) => u.id === botUserId)) store.insertUser({ id: botUserId })
    const user = store.user(userId)
    const message = store.insertMessage({ conversationId: conversation.id, userId, type: opts.type, payload: opts.payload, tags: opts.tags, direction: 'outgoing' })
    this.expectOk(await this.call('message_created', { conversation, user, type: opts.type, payload: opts.payload, message }, opts.type))
    return store.message(message.id)
  }

  /** webhook_received: the raw request as Botpress Cloud forwards it; answers the integration's status/headers/body. */
  async webhook(req: { method?: string; path?: string; query?: string; headers?: Record<string, string>; body?: string | object }): Promise<HttpResult> {
    const body = req.body === undefined ? '' : typeof req.body === 'string' ? req.body : JSON.stringify(req.body)
    const forwarded = { method: req.method ?? 'POST', path: req.path ?? '/', query: req.query ?? '', headers: req.headers ?? {}, body }
    return this.call('webhook_received', { req: forwarded })
  }

  /** One protocol call, over HTTP or in-process. */
  async call(operation: Operation, body: object, type?: string): Promise<HttpResult> {
    const { emulator } = this
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'x-bot-id': emulator.botId,
      'x-bot-user-id': emulator.botUserId,
      'x-integration-id': emulator.integrationId,
      'x-integration-alias': emulator.integrationName,
      'x-webhook-id': this.webhookId,
      'x-bp-operation': operation,
      'x-bp-configuration': Buffer.from(JSON.stringify(this.configuration)).toString('base64'),
    }
    if (type) headers['x-bp-type'] = type
    const text = JSON.stringify(body)

    if (this.handler) {
      const res = (await this.handler({ method: 'POST', path: '/', query: '', headers, body: text })) || {}
      // what the SDK's HTTP server writes for the same answer
      return { status: res.status ?? 200, headers: lower(res.headers ?? {}), body: res.body ?? '{}' }
    }
    return post(new URL('/', this.integrationUrl), headers, text)
  }

  private expectOk(res: HttpResult): HttpResult {
    if (res.status >= 200 && res.status < 300) return res
    let message = res.body
    let type: string | undefined
    try {
      const parsed = JSON.parse(res.body)
      message = parsed.message ?? parsed.error ?? res.body
      type = parsed.type
    } catch {
      // not JSON: keep the raw text
    }
    throw new IntegrationError(message || `integration answered ${res.status}`, res.status, res.body, type)
  }
}

const lower = (headers: Record<string, string>) => Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), String(v)]))

const post = (url: URL, headers: Record<string, string>, body: string) =>
  new Promise<HttpResult>((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('error', reject)
      res.on('end', () => {
        const out: Record<string, string> = {}
        for (const [k, v] of Object.entries(res.headers)) if (v !== undefined && !TRANSPORT_HEADERS.has(k)) out[k] = Array.isArray(v) ? v.join(', ') : v
        resolve({ status: res.statusCode ?? 0, headers: out, body: Buffer.concat(chunks).toString('utf8') })
      })
    })
    req.on('error', reject)
    req.end(body)
  })
