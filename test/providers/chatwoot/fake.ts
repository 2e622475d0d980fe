/**
 * An in-memory Chatwoot account behind msw (a self-hosted address, as most installations are): inboxes, account
 * webhooks, contacts with their contact_inboxes, conversations (display ids per account, table ids global), messages
 * with attachments, teams and agents; and the webhooks Chatwoot would send, signed as signing versions sign them.
 * Every request it receives is validated against Chatwoot's own description (spec/, via ./openapi.ts); multipart
 * messages, absent from the spec, are checked by hand per the spec README. Answers follow the server where it differs
 * from the spec (wrapped `payload`, webhook `secret`), each rule citing its source ([CW] / [DOCS] as in spec/README.md).
 * The account configuration (inboxes, webhooks, agents) survives `reset()`, like a real account between sessions.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto'
import { http, HttpResponse } from 'msw'
import { setupServer, type SetupServer } from 'msw/node'
import type { InboundMessage, WebhookRequest } from '../../../src/core/types'
import { sealKey, sealSecret, urlToken, withToken } from '../../../src/providers/chatwoot/webhook'
import type { FakeAgent, FakeContact, FakeProvider, LookupFault, FakeSession, RateLimitPlan, RateLimitWindow, ReceivedMessage } from '../../conformance/fake'
import { OperationRecorder, rateLimitWindow } from '../../support/fake-plumbing'
import {
  conversationChanged,
  delivery,
  messageCreated,
  signatureOf,
  type AttachmentJson,
  type ContactJson,
  type ConversationState,
  type UserJson,
  userPush,
  userWebhook,
} from './fixtures'
import { chatwootSpec } from './openapi'
import { operate } from './operate'

export const BASE_URL = 'https://chatwoot.acme.test'
export const ACCOUNT_ID = 3
export const TOKEN = 'Zk8pQ2vR7sT1uW4xY6zA9bC3'
export const WEB_HOST = 'https://example.com'
/** The administrator whose token the integration uses ([DOCS] api-reference/introduction.mdx). */
export const ADMIN: UserJson = { id: 1, name: 'Ada Admin', email: 'ada@acme.test' }
export const TEAMS = [
  { id: 7, name: 'Billing' },
  { id: 8, name: 'Support' },
]
const MIME: Record<string, string> = { png: 'image/png', jpg: 'image/jpeg', mp3: 'audio/mpeg', mp4: 'video/mp4', pdf: 'application/pdf' }

type Inbox = { id: number; name: string; channel_type: string }
type Webhook = { id: number; url: string; subscriptions: string[]; secret?: string; touched: number }
type Contact = ContactJson & { links: Array<{ inboxId: number; sourceId: string }> }
type Attachment = AttachmentJson & { sourceUrl?: string; fileName: string; contentType: string }
type Message = {
  id: number
  content: string | null
  type: 'incoming' | 'outgoing' | 'activity'
  private: boolean
  sender: { type: 'contact' | 'user'; id: number }
  attachments: Attachment[]
  createdAt: Date
}
type Conversation = ConversationState & { messages: Message[] }
export type Call = { method: string; path: string; operationId?: string; body: unknown; headers: Record<string, string> }
export type FakeOptions = {
  /** Whether this Chatwoot signs webhooks (v4.11.2+ returns a `secret`) or not (older versions). */
  signs: boolean
  /** The token user's role in the account. */
  role: 'administrator' | 'agent'
  /** Put the table id in webhook conversation `id`s (one variant of [CW] push_data_helper.rb). */
  tableIdVariant: boolean
}

const error = (status: number, message: string) => HttpResponse.json({ error: message }, { status })
const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex')

export class ChatwootFake extends OperationRecorder<Call> implements FakeProvider {
  readonly name = 'chatwoot'
  readonly server: SetupServer
  readonly webhookPaths = ['/']
  options: FakeOptions
  private readonly spec = chatwootSpec()
  inboxes = new Map<number, Inbox>()
  webhooks = new Map<number, Webhook>()
  private agents = new Map<string, UserJson>()
  private contactsById = new Map<number, Contact>()
  private conversations = new Map<number, Conversation>()
  private served = new Map<string, string>()
  private seq = 0
  private displaySeq = 0
  private clock = Date.now()

  constructor(options: Partial<FakeOptions> = {}) {
    super()
    this.options = { signs: true, role: 'administrator', tableIdVariant: false, ...options }
    this.wipe()
    this.server = setupServer(
      http.all(`${BASE_URL}/*`, ({ request }) => this.handle(request)),
      http.get(`${WEB_HOST}/*`, ({ request }) => this.web(request))
    )
  }

  // ─── FakeProvider ─────────────────────────────────────────────────────────

  configuration(): Record<string, unknown> {
    return { provider: 'chatwoot', chatwoot: this.section() }
  }

  section() {
    return { baseUrl: BASE_URL, accountId: String(ACCOUNT_ID), apiAccessToken: TOKEN }
  }

  async start() {
    this.server.listen({ onUnhandledRequest: 'bypass' })
  }

  async stop() {
    this.server.close()
  }

  /** Forget contacts, conversations, requests and faults; the account's inboxes, webhooks and agents stay. */
  reset() {
    this.forgetRecords()
    this.contactsById.clear()
    this.conversations.clear()
  }

  /**
   * A new account: nothing but one account webhook carrying the integration's URL token, as an earlier save left it
   * (the suites that never call register still receive webhooks Chatwoot can only send to a URL it was given): on a
   * signing Chatwoot, the signing token and the webhook's secret sealed, as register leaves it (setup.ts).
   */
  wipe(options: { preRegistered?: boolean } = {}) {
    this.reset()
    this.inboxes.clear()
    this.webhooks.clear()
    this.agents.clear()
    if (options.preRegistered === false) return
    const base = 'https://webhook.botpress.cloud/earlier-registration'
    const hook = this.addWebhook(withToken(base, urlToken(this.section())), ['message_created', 'conversation_updated', 'conversation_status_changed'])
    if (hook.secret) hook.url = withToken(base, urlToken(this.section(), true), sealSecret(hook.secret, sealKey(this.section())))
  }

  contacts(): FakeContact[] {
    return [...this.contactsById.values()].map((c) => ({ id: String(c.id), name: c.name, email: c.email, phone: c.phone_number }))
  }

  contact(id: string) {
    return this.contactsById.get(Number(id))
  }

  conversation(id: string) {
    return this.conversations.get(Number(id))
  }

  sessions(): FakeSession[] {
    return [...this.conversations.values()].map((c) => ({
      id: String(c.displayId),
      contactId: String(c.contact.id),
      openingText: c.messages.filter((m) => this.isOpening(m)).map((m) => m.content ?? '').join('\n'),
      closed: c.status === 'resolved',
    }))
  }

  /** The token user's private notes are the opening note(s), except the bot's notices ("<name> (bot): …", render.ts). */
  private isOpening(m: Message) {
    return m.private && m.sender.type === 'user' && m.sender.id === ADMIN.id && !/^[^\n]{1,80} \(bot\): /.test(m.content ?? '')
  }

  received(sessionId: string): ReceivedMessage[] {
    const conversation = this.conversations.get(Number(sessionId))
    if (!conversation) return []
    return conversation.messages.flatMap((m): ReceivedMessage[] => {
      if (this.isOpening(m)) return []
      const file = m.attachments[0]
      const media = file ? { kind: file.file_type as ReceivedMessage['kind'], url: file.sourceUrl ?? file.data_url, title: file.fileName } : { kind: 'text' as const }
      const text = m.content ?? undefined
      if (m.type === 'incoming' && !m.private) return [{ author: 'user', contactId: String(m.sender.id), ...media, ...(text ? { text } : {}) }]
      if (m.private && m.sender.id === ADMIN.id) return [{ author: 'bot', ...media, ...(text ? { text } : {}) }]
      return []
    })
  }

  userFor(agent: FakeAgent): UserJson {
    let user = this.agents.get(agent.id)
    if (!user) {
      user = { id: 100 + this.agents.size + 1, name: agent.name, email: `${agent.id}@acme.test` }
      this.agents.set(agent.id, user)
    }
    user.name = agent.name
    if (agent.pictureUrl) user.avatar_url = agent.pictureUrl
    return user
  }

  /**
   * Chatwoot throttled (Rack::Attack, [CW] config/initializers/rack_attack.rb; spec/README.md "Rate limits"): every API
   * request is answered as rack-attack's DEFAULT_THROTTLED_RESPONDER answers (rack-attack
   * lib/rack/attack/configuration.rb), since Chatwoot's initializer sets neither a responder nor
   * `throttled_response_retry_after_header`: `429`, `content-type: text/plain`, body `Retry later\n`, no Retry-After
   * and no other rate-limit header. Nothing in the answer says when it clears; the window lasts `plan.resetInMs` on the
   * client's clock. Chatwoot has no daily quota. The limit sits in front of the API, as Rack::Attack is a middleware in
   * front of Rails: throttled requests are not in `calls`.
   */
  rateLimited(plan: RateLimitPlan): RateLimitWindow | undefined {
    if (plan.daily) return undefined
    return rateLimitWindow(this.server, {
      bases: [BASE_URL],
      now: plan.now,
      until: plan.now() + plan.resetInMs,
      resetInMs: plan.resetInMs,
      answer: () => new HttpResponse('Retry later\n', { status: 429, headers: { 'content-type': 'text/plain' } }),
    })
  }

  /**
   * What connect made that disconnect must remove: the account webhooks carrying the integration's URL token. The API
   * inbox is not counted: disconnect keeps it on purpose (it holds the conversations agents had with users, and the
   * spec has no inbox deletion: paths under /inboxes offer no DELETE), and connect reuses it (register.test.ts).
   */
  registrations() {
    const tokens = [urlToken(this.section()), urlToken(this.section(), true)]
    return [...this.webhooks.values()].filter((w) => tokens.includes(new URL(w.url).searchParams.get('bp_token') ?? '')).length
  }

  /** An account webhook the integration did not create: another system's URL, on events the integration does not use. */
  plantForeignRegistration() {
    const hook = this.addWebhook('https://elsewhere.example.com/chatwoot-hook', ['contact_created'])
    return { exists: () => this.webhooks.has(hook.id), remove: () => void this.webhooks.delete(hook.id) }
  }

  /** An agent of the account (GET /api/v1/accounts/{account_id}/agents lists it), by its Chatwoot user id. */
  knownAgent(): FakeAgent {
    const agent = { id: 'agent-known', name: 'Kim Known', pictureUrl: 'https://example.com/kim.png' }
    const user = this.userFor(agent)
    return { id: String(user.id), name: agent.name, pictureUrl: agent.pictureUrl }
  }

  // ─── webhooks Chatwoot would send ─────────────────────────────────────────

  /** The webhook deliveries go to: the most recently created or updated one subscribed to the event. */
  target(event: string): Webhook {
    const hooks = [...this.webhooks.values()].filter((w) => w.subscriptions.includes(event)).sort((a, b) => a.touched - b.touched)
    const hook = hooks.pop()
    if (!hook) throw new Error(`ChatwootFake: no account webhook subscribed to ${event}`)
    return hook
  }

  private tick() {
    this.clock = Math.max(Date.now(), this.clock + 7)
    return this.clock
  }

  /** The conversation as a webhook describes it; for a conversation this account never had, a plausible stranger. */
  private state(sessionId: string): Conversation {
    const known = this.conversations.get(Number(sessionId))
    if (known) return known
    const id = Number(sessionId) || 9999
    return {
      displayId: id, tableId: id + 50_000, accountId: ACCOUNT_ID, inboxId: [...this.inboxes.keys()][0] ?? 1,
      contact: { id: 4242, name: 'Someone Else' }, sourceId: randomUUID(), status: 'open', priority: null, assignee: null,
      teamId: null, createdAt: Math.floor(Date.now() / 1000), updatedAt: Date.now() / 1000, messages: [],
    }
  }

  send(event: string, payload: unknown): WebhookRequest {
    const hook = this.target(event)
    return delivery(hook.url, payload, hook.secret)
  }

  agentMessage(sessionId: string, agent: FakeAgent, message: InboundMessage, opts: { messageId?: string } = {}): WebhookRequest {
    const user = this.userFor(agent)
    const conversation = this.state(sessionId)
    const id = ++this.seq + 70_000
    const attachments: Attachment[] =
      message.type === 'text'
        ? []
        : [this.attachment(id, message.type, message.url, message.title ?? message.url.split('/').pop() ?? 'file', MIME[message.url.split('.').pop() ?? ''] ?? 'application/octet-stream')]
    const m: Message = {
      id, content: message.type === 'text' ? message.text : null, type: 'outgoing', private: false,
      sender: { type: 'user', id: user.id }, attachments, createdAt: new Date(this.tick()),
    }
    if (this.conversations.has(conversation.displayId)) this.record(conversation, m)
    const payload = messageCreated(
      { id: opts.messageId ?? id, content: m.content, messageType: 'outgoing', private: false, sender: userWebhook(user), createdAt: m.createdAt, attachments },
      { ...conversation, lastChat: this.push(conversation, m) },
      { tableIdVariant: this.options.tableIdVariant }
    )
    return this.send('message_created', payload)
  }

  agentAssigned(sessionId: string, agent: FakeAgent): WebhookRequest {
    const user = this.userFor(agent)
    const conversation = this.state(sessionId)
    const previous = conversation.assignee?.id ?? null
    conversation.assignee = user
    conversation.updatedAt = this.tick() / 1000
    return this.send(
      'conversation_updated',
      conversationChanged('conversation_updated', conversation, { assignee_id: { previous_value: previous, current_value: user.id } }, { tableIdVariant: this.options.tableIdVariant })
    )
  }

  sessionClosed(sessionId: string): WebhookRequest {
    const conversation = this.state(sessionId)
    const previous = conversation.status
    conversation.status = 'resolved'
    conversation.updatedAt = this.tick() / 1000
    return this.send(
      'conversation_status_changed',
      conversationChanged('conversation_status_changed', conversation, { status: { previous_value: previous, current_value: 'resolved' } }, { tableIdVariant: this.options.tableIdVariant })
    )
  }

  /**
   * An assignment without `meta.assignee` (only `changed_attributes.assignee_id`) makes the integration list the
   * account's agents (GET /api/v1/accounts/{account_id}/agents, operationId get-account-agents) for the name.
   */
  lookupFault(sessionId: string, agent: FakeAgent): LookupFault {
    const user = this.userFor(agent)
    const conversation = this.state(sessionId)
    const previous = conversation.assignee?.id ?? null
    conversation.assignee = user
    conversation.updatedAt = this.tick() / 1000
    const payload = conversationChanged('conversation_updated', { ...conversation, assignee: null }, { assignee_id: { previous_value: previous, current_value: user.id } }, { tableIdVariant: this.options.tableIdVariant })
    return {
      webhook: this.send('conversation_updated', payload),
      what: 'the agent of an assignment without meta.assignee (list agents)',
      fail: (status) => this.faults.replace('get-account-agents', ...Array.from({ length: 100 }, () => ({ status, body: { error: `injected ${status}` } }))),
      recover: () => this.faults.drop('get-account-agents'),
    }
  }

  /** Signature headers removed, the URL token left: the proof of Chatwoot versions that do not sign (only where the webhook has a secret). */
  downgraded(req: WebhookRequest): WebhookRequest | undefined {
    if (!req.headers['x-chatwoot-signature']) return undefined
    return { ...req, headers: Object.fromEntries(Object.entries(req.headers).filter(([k]) => !k.toLowerCase().startsWith('x-chatwoot-'))) }
  }

  /** Without its proof: no signature headers and no URL token. */
  unsigned(req: WebhookRequest): WebhookRequest {
    const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => !k.toLowerCase().startsWith('x-chatwoot-')))
    const query = new URLSearchParams(req.query)
    query.delete('bp_token')
    return { ...req, headers, query: query.toString() }
  }

  /** Signed with another secret (signing versions), or with a wrong URL token (versions that do not sign). */
  forged(req: WebhookRequest): WebhookRequest {
    const timestamp = req.headers['x-chatwoot-timestamp']
    if (timestamp) return { ...req, headers: { ...req.headers, 'x-chatwoot-signature': signatureOf('not-the-secret', timestamp, req.body) } }
    return this.withQueryToken(req, randomBytes(20).toString('hex'))
  }

  wrongLength(req: WebhookRequest): WebhookRequest {
    const signature = req.headers['x-chatwoot-signature']
    if (signature) return { ...req, headers: { ...req.headers, 'x-chatwoot-signature': `${signature.slice(0, -1)}${signature.endsWith('0') ? '1' : '0'}` } }
    const token = new URLSearchParams(req.query).get('bp_token') ?? ''
    return this.withQueryToken(req, `${token.slice(0, -1)}${token.endsWith('0') ? '1' : '0'}`)
  }

  /** Signed ten minutes ago (outside the 5-minute window of [DOCS] api-reference/webhook-verification.mdx). */
  stale(req: WebhookRequest): WebhookRequest {
    const hook = [...this.webhooks.values()].find((w) => w.secret && req.query.includes(new URL(w.url).searchParams.get('bp_token') ?? '-'))
    if (!hook?.secret) return this.forged(req)
    const timestamp = String(Math.floor(Date.now() / 1000) - 600)
    return { ...req, headers: { ...req.headers, 'x-chatwoot-timestamp': timestamp, 'x-chatwoot-signature': signatureOf(hook.secret, timestamp, req.body) } }
  }

  signed(body: string, opts?: { path?: string }): WebhookRequest {
    const hook = this.target('message_created')
    const req = delivery(hook.url, {}, hook.secret)
    const timestamp = req.headers['x-chatwoot-timestamp']
    return {
      ...req,
      path: opts?.path ?? req.path,
      body,
      headers: { ...req.headers, ...(hook.secret && timestamp ? { 'x-chatwoot-signature': signatureOf(hook.secret, timestamp, body) } : {}) },
    }
  }

  private withQueryToken(req: WebhookRequest, token: string): WebhookRequest {
    const query = new URLSearchParams(req.query)
    query.set('bp_token', token)
    return { ...req, query: query.toString() }
  }

  // ─── state helpers ────────────────────────────────────────────────────────

  addWebhook(url: string, subscriptions: string[]): Webhook {
    const id = ++this.seq
    const hook: Webhook = { id, url, subscriptions, touched: this.tick(), ...(this.options.signs ? { secret: randomBytes(24).toString('base64url') } : {}) }
    this.webhooks.set(id, hook)
    return hook
  }

  private attachment(messageId: number, kind: string, url: string, fileName: string, contentType: string, sourceUrl?: string): Attachment {
    const id = ++this.seq + 90_000
    const extension = fileName.includes('.') ? fileName.split('.').pop()! : null
    return {
      id, message_id: messageId, file_type: kind, account_id: ACCOUNT_ID, extension, data_url: url,
      thumb_url: kind === 'image' ? url : '', file_size: 2048, width: null, height: null, fileName, contentType, sourceUrl,
    }
  }

  /** Message `push_event_data` ([CW] app/models/message.rb): integer type and time, the display id as conversation_id. */
  private push(c: Conversation, m: Message) {
    return {
      id: m.id, content: m.content, account_id: ACCOUNT_ID, inbox_id: c.inboxId, conversation_id: c.displayId,
      message_type: { incoming: 0, outgoing: 1, activity: 2 }[m.type], created_at: Math.floor(m.createdAt.getTime() / 1000),
      private: m.private, source_id: null, content_type: 'text',
      ...(m.attachments.length ? { attachments: m.attachments.map(({ sourceUrl: _s, fileName: _f, contentType: _c, ...a }) => a) } : {}),
    }
  }

  private record(c: Conversation, m: Message) {
    c.messages.push(m)
    if (!m.private && m.type !== 'activity') c.lastChat = this.push(c, m)
    c.updatedAt = this.tick() / 1000
  }

  // ─── the API ──────────────────────────────────────────────────────────────

  private web(request: Request): Response {
    const url = new URL(request.url)
    if (url.pathname.startsWith('/missing')) return new HttpResponse('not found', { status: 404 })
    const bytes = new Uint8Array(createHash('sha512').update(request.url).digest())
    this.served.set(sha(bytes), request.url)
    const type = MIME[url.pathname.split('.').pop() ?? ''] ?? 'application/octet-stream'
    return new HttpResponse(bytes, { headers: { 'content-type': type } })
  }

  private async handle(request: Request): Promise<Response> {
    const url = new URL(request.url)
    const headers: Record<string, string> = {}
    request.headers.forEach((value, key) => (headers[key.toLowerCase()] = value))
    const multipartForm = (headers['content-type'] ?? '').startsWith('multipart/form-data') ? await request.formData() : undefined
    const raw = multipartForm ? '' : await request.text()
    const validation = this.spec.validate({ method: request.method, url: request.url, headers: request.headers, body: raw })
    let body: unknown = raw
    try {
      body = raw ? JSON.parse(raw) : {}
    } catch {
      // not JSON: kept as text
    }
    this.calls.push({ method: request.method, path: url.pathname, operationId: validation.operationId, body: multipartForm ?? body, headers })
    this.problems.push(...validation.errors)
    if (!validation.operationId) return error(404, 'Not Found')
    // An unknown or absent token → 401 "Invalid Access Token" ([CW] app/controllers/concerns/access_token_auth_helper.rb).
    if (headers['api_access_token'] !== TOKEN) return error(401, 'Invalid Access Token')
    if (validation.params.account_id !== undefined && validation.params.account_id !== String(ACCOUNT_ID)) return error(401, 'You are not authorized to access this account')
    const fault = this.faults.next(validation.operationId)
    if (fault) return fault
    if (validation.errors.length) return HttpResponse.json({ message: validation.errors[0] }, { status: 422 })
    return operate(this, validation.operationId, validation.params, url, body as Record<string, unknown>, multipartForm)
  }

  // Exposed to ./operate.ts (the API's behaviour, kept apart to keep this file readable).
  get internals() {
    return {
      problems: this.problems, contacts: this.contactsById, conversations: this.conversations, served: this.served, agents: this.agents,
      nextId: () => ++this.seq, nextDisplayId: () => ++this.displaySeq + 100, tick: () => this.tick(),
      record: (c: Conversation, m: Message) => this.record(c, m), attachment: this.attachment.bind(this),
      admin: ADMIN, userPush,
    }
  }
}

export type { Attachment, Contact, Conversation, Inbox, Message, Webhook }
