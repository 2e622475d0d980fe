/**
 * An in-memory Intercom workspace behind msw: admins, contacts (with an eventually consistent search), conversations
 * with their parts, region-bound tokens, and the webhooks Intercom would send, signed with the app's client secret.
 * Every request it receives is validated against Intercom's own OpenAPI description (spec/); what the spec rejects is
 * a violation. Faults (429, 5xx, …) are injected per operation so that they are validated and counted like the rest.
 *
 * Rules beyond the OpenAPI schema, each from Intercom's own description (spec/api.intercom.io.2.15.prism.yaml):
 * - `attachment_urls` is "a list of image URLs" (contact_reply_base_request, admin_reply_conversation_request): a
 *   non-image URL there is a violation;
 * - `attachment_files` items carry `content_type`, `data` ("the base64 encoded file data") and `name`
 *   (conversation_attachment_files; the official intercom-client types mark all three required);
 * - reply bodies are HTML (conversation_part.body "may contain HTML"): what the agent reads is the rendered text.
 *
 * "The web" the end user's media come from is served here too (https://example.com/…, https://x.test/…,
 * https://media.test/…): the adapter downloads a non-image file there and uploads it inline.
 */
import { createHmac, randomBytes, randomUUID } from 'node:crypto'
import { http, HttpResponse } from 'msw'
import { setupServer, type SetupServer } from 'msw/node'
import type { InboundMessage, WebhookRequest } from '../../../src/core/types'
import type { FakeAgent, FakeContact, FakeProvider, LookupFault, FakeSession, RateLimitPlan, RateLimitWindow, ReceivedMessage } from '../../conformance/fake'
import { OperationRecorder, rateLimitWindow } from '../../support/fake-plumbing'
import { intercomSpec } from './openapi'

export const TOKEN = 'dG9rOmZha2UtaW50ZXJjb20tYWNjZXNzLXRva2VuLTAxMjM0NTY3ODk='
export const CLIENT_SECRET = 'f1e2d3c4b5a6978812345fedcba98765'
export const REGION_HOSTS = { us: 'https://api.intercom.io', eu: 'https://api.eu.intercom.io', au: 'https://api.au.intercom.io' }
export type FakeRegion = keyof typeof REGION_HOSTS
export const WEB_HOSTS = ['https://example.com', 'https://x.test', 'https://media.test']
/** The workspace of the token (GET /me → app.id_code); notifications carry it as app_id. */
export const WORKSPACE = 'fk1app2x'

/** The admin the access token acts as (GET /me). */
export const ME = { id: '991001', name: 'Botpress HITL', email: 'hitl-app@example.com' }
/** Another teammate, who assigns conversations to agents in the webhooks below. */
export const SUPERVISOR = { id: '991002', name: 'Sam Supervisor', email: 'sam@example.com' }

type Admin = { id: string; name: string; email: string; avatar?: string }
type Contact = {
  id: string
  role: 'user' | 'lead'
  email?: string
  name?: string
  phone?: string
  external_id?: string
  avatar?: string
  /** Whether search finds it yet (Intercom's search is eventually consistent). */
  indexed: boolean
  created_at: number
}
type Attachment = { type: 'upload'; name: string; url: string; content_type: string; filesize: number; uploaded?: boolean }
type Part = {
  type: 'conversation_part'
  id: string
  part_type: string
  body: string | null
  created_at: number
  author: { type: string; id: string; name?: string; email?: string }
  attachments: Attachment[]
  assigned_to?: { type: string; id: string | null } | null
  /** Sent as part of opening the session (the transcript's continuation): not a message "received" later. */
  opening?: boolean
  metadata?: { quick_reply_options?: Array<{ text: string; uuid: string }> }
}
type Conversation = {
  id: string
  contactId: string
  role: string
  title?: string
  state: 'open' | 'closed' | 'snoozed'
  admin_assignee_id: number | null
  team_assignee_id: string | null
  created_at: number
  source: { id: string; body: string }
  parts: Part[]
}
export type Call = { method: string; host: string; path: string; operationId?: string; body: any; headers: Record<string, string> }

const now = () => Math.floor(Date.now() / 1000)
const errorList = (status: number, code: string, message: string, headers?: Record<string, string>) =>
  HttpResponse.json({ type: 'error.list', request_id: randomUUID(), errors: [{ code, message }] }, { status, headers })

const MIME: Record<string, string> = {
  png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', mp3: 'audio/mpeg', wav: 'audio/wav',
  mp4: 'video/mp4', webm: 'video/webm', pdf: 'application/pdf', txt: 'text/plain',
}
const extension = (url: string) => /\.([a-z0-9]{2,5})$/i.exec(new URL(url).pathname)?.[1]?.toLowerCase() ?? ''
const fileName = (url: string) => new URL(url).pathname.split('/').filter(Boolean).pop() ?? 'file'
const kindOfType = (mime: string): ReceivedMessage['kind'] =>
  mime.startsWith('image/') ? 'image' : mime.startsWith('audio/') ? 'audio' : mime.startsWith('video/') ? 'video' : 'file'
const kindOfUrl = (url: string): ReceivedMessage['kind'] => kindOfType(MIME[extension(url)] ?? '')
const isImageUrl = (url: string) => (MIME[extension(url)] ?? '').startsWith('image/')
const isBase64 = (s: unknown): s is string => typeof s === 'string' && s.length > 0 && s.length % 4 === 0 && /^[A-Za-z0-9+/]+={0,2}$/.test(s)
export const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
/** What a teammate reads of an HTML note (deliberately independent of the adapter's own converter). */
export const readHtml = (html: string) =>
  html
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<\/p>\s*<p[^>]*>/gi, '\n\n')
    .replace(/<[^>]+>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&')
    .trim()

export const sign = (body: string, secret = CLIENT_SECRET) => `sha1=${createHmac('sha1', secret).update(body).digest('hex')}`

export type FakeOptions = {
  /** The workspace's data region: its token is refused (401) on the other regions' hosts. */
  region: FakeRegion
  /** Whether a contact created through the API is found by search at once (false: eventual consistency). */
  searchFindsNewContacts: boolean
  /** Whether a 409 on contact creation names the existing contact ("… already exists with id=…"). */
  conflictNamesId: boolean
  /** The token's workspace: GET /me → app.id_code, and the app_id of the notifications built here. */
  workspace: string
  /**
   * The API version of the app's webhooks (Developer Hub → Webhooks): from 2.15 on, `conversation_part.body` is plain
   * text in notifications (spec, conversation_part.body); before, HTML.
   */
  webhookVersion: '2.15' | '2.11'
}

const defaults = (): FakeOptions => ({ region: 'us', searchFindsNewContacts: true, conflictNamesId: true, workspace: WORKSPACE, webhookVersion: '2.15' })

export class IntercomFake extends OperationRecorder<Call> implements FakeProvider {
  readonly name = 'intercom'
  readonly server: SetupServer
  options: FakeOptions
  /** Downloads from "the web" (WEB_HOSTS), by URL. */
  downloads: string[] = []
  /** Statuses the web answers to the next downloads, in order. */
  webFaults: number[] = []
  private readonly initial: FakeOptions
  private readonly spec = intercomSpec()
  private admins = new Map<string, Admin>()
  private agentAdmins = new Map<string, string>()
  private contactsById = new Map<string, Contact>()
  private conversations = new Map<string, Conversation>()
  /** Last `created_at` of a state-changing part (assignment, close), in seconds and increasing: two in one second would tie. */
  private changedAt = 0
  private seq = 0

  constructor(options: Partial<FakeOptions> = {}) {
    super()
    this.initial = { ...defaults(), ...options }
    this.options = { ...this.initial }
    this.reset()
    this.server = setupServer(
      ...Object.values(REGION_HOSTS).map((host) => http.all(`${host}/*`, ({ request }) => this.handle(request))),
      ...WEB_HOSTS.map((host) => http.get(`${host}/*`, ({ request }) => this.web(request)))
    )
  }

  // ─── FakeProvider ───────────────────────────────────────────────────────────

  configuration(): Record<string, unknown> {
    return {
      provider: 'intercom',
      intercom: { accessToken: TOKEN, clientSecret: CLIENT_SECRET, ...(this.options.region !== 'us' ? { region: this.options.region } : {}) },
    }
  }

  async start() {
    this.server.listen({ onUnhandledRequest: 'bypass' })
  }

  async stop() {
    this.server.close()
  }

  /** Forget everything and go back to the options given to the constructor. */
  reset() {
    this.options = { ...this.initial }
    this.forgetRecords()
    this.downloads = []
    this.webFaults = []
    this.contactsById.clear()
    this.conversations.clear()
    this.agentAdmins.clear()
    this.admins = new Map([
      [ME.id, { ...ME }],
      [SUPERVISOR.id, { ...SUPERVISOR }],
    ])
  }

  contacts(): FakeContact[] {
    return [...this.contactsById.values()].map((c) => ({ id: c.id, name: c.name, email: c.email, phone: c.phone }))
  }

  contact(id: string) {
    return this.contactsById.get(id)
  }

  conversation(id: string) {
    return this.conversations.get(id)
  }

  sessions(): FakeSession[] {
    return [...this.conversations.values()].map((c) => ({
      id: c.id,
      contactId: c.contactId,
      openingText: [c.title, c.source.body, ...c.parts.filter((p) => p.opening).map((p) => readHtml(p.body ?? ''))].filter(Boolean).join('\n'),
      closed: c.state === 'closed',
    }))
  }

  received(sessionId: string): ReceivedMessage[] {
    const conversation = this.conversations.get(sessionId)
    if (!conversation) return []
    return conversation.parts.flatMap((p): ReceivedMessage[] => {
      if (p.opening) return []
      const file = p.attachments[0]
      // A file uploaded inline has Intercom's own URL: the agent sees its name and the caption (the source link).
      const media = !file
        ? { kind: 'text' as const }
        : file.uploaded
          ? { kind: kindOfType(file.content_type), title: file.name }
          : { kind: kindOfUrl(file.url), url: file.url }
      if (p.part_type === 'comment' && p.author.type === 'user') return [{ author: 'user', contactId: p.author.id, text: readHtml(p.body ?? ''), ...media }]
      if (p.part_type === 'note' && p.author.id === ME.id) return [{ author: 'bot', text: readHtml(p.body ?? ''), ...media }]
      return []
    })
  }

  /** The API calls and the downloads from "the web". */
  override requestCount() {
    return this.calls.length + this.downloads.length
  }

  /** A contact that exists in the workspace (e.g. created by another channel), optionally not indexed by search yet. */
  seedContact(fields: Partial<Contact> & { email?: string }): Contact {
    const contact: Contact = { id: randomBytes(12).toString('hex'), role: 'user', indexed: true, created_at: now(), ...fields }
    this.contactsById.set(contact.id, contact)
    return contact
  }

  adminFor(agent: FakeAgent): string {
    let id = this.agentAdmins.get(agent.id)
    if (!id) {
      id = String(7000 + this.agentAdmins.size + 1)
      this.agentAdmins.set(agent.id, id)
    }
    this.admins.set(id, { id, name: agent.name, email: `${agent.id}@example.com`, avatar: agent.pictureUrl })
    return id
  }

  /**
   * Intercom's documented 429 (https://developers.intercom.com/docs/references/rest-api/errors/rate-limiting):
   * `X-RateLimit-Limit`, `X-RateLimit-Remaining: 0`, `X-RateLimit-Reset` as a UNIX time in seconds, no Retry-After, and
   * the error code `rate_limit_exceeded` ("Exceeded rate limit of 167 in 10_seconds"). Intercom has no daily quota.
   */
  rateLimited(plan: RateLimitPlan): RateLimitWindow | undefined {
    if (plan.daily) return undefined
    const resetSeconds = Math.ceil((plan.now() + plan.resetInMs) / 1000)
    return rateLimitWindow(this.server, {
      bases: Object.values(REGION_HOSTS),
      now: plan.now,
      until: resetSeconds * 1000,
      resetInMs: resetSeconds * 1000 - plan.now(),
      answer: () =>
        HttpResponse.json(
          { type: 'error.list', request_id: randomUUID(), errors: [{ code: 'rate_limit_exceeded', message: 'Exceeded rate limit of 167 in 10_seconds' }] },
          { status: 429, headers: { 'X-RateLimit-Limit': '167', 'X-RateLimit-Remaining': '0', 'X-RateLimit-Reset': String(resetSeconds) } }
        ),
    })
  }

  /** Intercom's connect only identifies the token's admin: webhook topics are set in the Developer Hub, nothing is created. */
  registrations() {
    return 0
  }

  /** An admin Intercom knows (GET /admins/{id} answers it). */
  knownAgent(): FakeAgent {
    const agent = { id: 'agent-known', name: 'Kim Known', pictureUrl: 'https://example.com/kim.png' }
    return { ...agent, id: this.adminFor(agent) }
  }

  // ─── webhooks Intercom would send ───────────────────────────────────────────

  notification(topic: string, item: unknown, secret = CLIENT_SECRET, opts: { appId?: string; id?: string } = {}): WebhookRequest {
    const body = JSON.stringify({
      type: 'notification_event',
      app_id: opts.appId ?? this.options.workspace,
      data: { type: 'notification_event_data', item },
      links: {},
      id: opts.id ?? `notif_${randomUUID()}`,
      topic,
      delivery_status: 'pending',
      delivery_attempts: 1,
      delivered_at: 0,
      first_sent_at: now(),
      created_at: now(),
      self: null,
    })
    return {
      method: 'POST',
      path: '/',
      query: '',
      headers: { 'content-type': 'application/json', 'user-agent': 'intercom-parrot-service-client/1.0', 'x-hub-signature': sign(body, secret) },
      body,
    }
  }

  /** The conversation as a webhook carries it: with only the new parts. */
  item(sessionId: string, parts: Part[], patch: Partial<Conversation> = {}) {
    const known = this.conversations.get(sessionId)
    const conversation: Conversation = {
      id: sessionId,
      contactId: known?.contactId ?? randomBytes(12).toString('hex'),
      role: known?.role ?? 'user',
      title: known?.title,
      state: known?.state ?? 'open',
      admin_assignee_id: known?.admin_assignee_id ?? null,
      team_assignee_id: known?.team_assignee_id ?? null,
      created_at: known?.created_at ?? now(),
      source: known?.source ?? { id: '1', body: '<p>Hello</p>' },
      parts,
      ...patch,
    }
    return this.conversationJson(conversation)
  }

  part(fields: Partial<Part> & { part_type: string; author: Part['author'] }): Part {
    return { type: 'conversation_part', id: String(++this.seq + 50_000_000), body: null, created_at: now(), attachments: [], ...fields }
  }

  agentMessage(sessionId: string, agent: FakeAgent, message: InboundMessage, opts: { messageId?: string } = {}): WebhookRequest {
    const adminId = this.adminFor(agent)
    const author = { type: 'admin', id: adminId, name: agent.name, email: `${agent.id}@example.com` }
    const fields: Partial<Part> =
      message.type === 'text'
        ? { body: this.options.webhookVersion === '2.15' ? message.text : `<p>${escapeHtml(message.text)}</p>` }
        : message.type === 'image' && this.options.webhookVersion !== '2.15'
          ? { body: `<div class="intercom-container"><img src="${escapeHtml(message.url)}"></div>` }
          : {
              body: null,
              attachments: [
                { type: 'upload', name: message.title ?? fileName(message.url), url: message.url, content_type: MIME[extension(message.url)] ?? 'application/octet-stream', filesize: 2048 },
              ],
            }
    const part = this.part({ part_type: 'comment', author, ...fields, ...(opts.messageId ? { id: opts.messageId } : {}) })
    this.conversations.get(sessionId)?.parts.push(part)
    return this.notification('conversation.admin.replied', this.item(sessionId, [part]))
  }

  agentAssigned(sessionId: string, agent: FakeAgent): WebhookRequest {
    const adminId = this.adminFor(agent)
    const conversation = this.conversations.get(sessionId)
    if (conversation) conversation.admin_assignee_id = Number(adminId)
    const part = this.part({
      created_at: this.changeTime(),
      part_type: 'assignment',
      author: { type: 'admin', id: SUPERVISOR.id, name: SUPERVISOR.name, email: SUPERVISOR.email },
      assigned_to: { type: 'admin', id: adminId },
    })
    conversation?.parts.push(part)
    return this.notification('conversation.admin.assigned', this.item(sessionId, [part], { admin_assignee_id: Number(adminId) }))
  }

  private changeTime() {
    return (this.changedAt = Math.max(now(), this.changedAt + 1))
  }

  sessionClosed(sessionId: string): WebhookRequest {
    const conversation = this.conversations.get(sessionId)
    if (conversation) conversation.state = 'closed'
    const part = this.part({ created_at: this.changeTime(), part_type: 'close', author: { type: 'admin', id: SUPERVISOR.id, name: SUPERVISOR.name, email: SUPERVISOR.email } })
    conversation?.parts.push(part)
    return this.notification('conversation.admin.closed', this.item(sessionId, [part], { state: 'closed' }))
  }

  /**
   * An assignment names the admin by id only (conversation_part `assigned_to`), so applying it retrieves the admin
   * (GET /admins/{id}, operationId retrieveAdmin) for the name.
   */
  lookupFault(sessionId: string, agent: FakeAgent): LookupFault {
    return {
      webhook: this.agentAssigned(sessionId, agent),
      what: 'the admin of an assignment (GET /admins/{id})',
      fail: (status) => this.faults.replace('retrieveAdmin', ...Array.from({ length: 100 }, () => ({ status, body: { type: 'error.list', errors: [{ code: status === 404 ? 'admin_not_found' : 'service_unavailable', message: `injected ${status}` }] } }))),
      recover: () => this.faults.drop('retrieveAdmin'),
    }
  }

  unsigned(req: WebhookRequest): WebhookRequest {
    const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => k.toLowerCase() !== 'x-hub-signature'))
    return { ...req, headers }
  }

  forged(req: WebhookRequest): WebhookRequest {
    return { ...req, headers: { ...req.headers, 'x-hub-signature': sign(req.body, 'not-the-client-secret') } }
  }

  readonly webhookPaths = ['/']

  signed(body: string, opts?: { path?: string }): WebhookRequest {
    return { method: 'POST', path: opts?.path ?? '/', query: '', headers: { 'content-type': 'application/json', 'x-hub-signature': sign(body) }, body }
  }

  wrongLength(req: WebhookRequest): WebhookRequest {
    return { ...req, headers: { ...req.headers, 'x-hub-signature': `${req.headers['x-hub-signature']}0` } }
  }

  // ─── the API ────────────────────────────────────────────────────────────────

  private conversationJson(c: Conversation) {
    return {
      type: 'conversation',
      id: c.id,
      title: c.title ?? null,
      created_at: c.created_at,
      updated_at: now(),
      waiting_since: null,
      snoozed_until: null,
      open: c.state !== 'closed',
      state: c.state,
      read: false,
      priority: 'not_priority',
      admin_assignee_id: c.admin_assignee_id,
      team_assignee_id: c.team_assignee_id,
      tags: { type: 'tag.list', tags: [] },
      source: {
        type: 'conversation',
        id: c.source.id,
        delivered_as: 'customer_initiated',
        subject: '',
        body: c.source.body,
        author: { type: c.role, id: c.contactId },
        attachments: [],
        redacted: false,
      },
      contacts: { type: 'contact.list', contacts: [{ type: 'contact', id: c.contactId }] },
      teammates: { type: 'admin.list', admins: c.admin_assignee_id ? [{ type: 'admin', id: String(c.admin_assignee_id) }] : [] },
      custom_attributes: {},
      conversation_parts: {
        type: 'conversation_part.list',
        conversation_parts: c.parts.map(({ opening: _opening, ...p }) => ({ ...p, attachments: p.attachments.map(({ uploaded: _u, ...a }) => a) })),
        total_count: c.parts.length,
      },
    }
  }

  private contactJson(c: Contact) {
    return {
      type: 'contact',
      id: c.id,
      workspace_id: WORKSPACE,
      external_id: c.external_id ?? null,
      role: c.role,
      email: c.email ?? null,
      phone: c.phone ?? null,
      name: c.name ?? null,
      avatar: c.avatar ?? null,
      created_at: c.created_at,
      updated_at: c.created_at,
    }
  }

  private adminJson(a: Admin) {
    return { type: 'admin', id: a.id, name: a.name, email: a.email, away_mode_enabled: false, away_mode_reassign: false, has_inbox_seat: true, team_ids: [], avatar: a.avatar ?? null }
  }

  /** "The web": a file per URL (its bytes name it), 404 under /missing/, queued faults first. */
  private web(request: Request): Response {
    const url = new URL(request.url)
    this.downloads.push(request.url)
    const fault = this.webFaults.shift()
    if (fault) return new HttpResponse(null, { status: fault })
    if (url.pathname.includes('/missing/')) return new HttpResponse('not found', { status: 404 })
    const type = MIME[extension(request.url)] ?? 'application/octet-stream'
    return new HttpResponse(Buffer.from(`file bytes of ${url.pathname}`), { status: 200, headers: { 'content-type': type } })
  }

  private async handle(request: Request): Promise<Response> {
    const url = new URL(request.url)
    const raw = await request.text()
    const headers: Record<string, string> = {}
    request.headers.forEach((value, key) => (headers[key.toLowerCase()] = value))
    const validation = this.spec.validate({ method: request.method, url: request.url, headers: request.headers, body: raw })
    let body: any
    try {
      body = raw ? JSON.parse(raw) : undefined
    } catch {
      body = raw
    }
    this.calls.push({ method: request.method, host: url.origin, path: url.pathname, operationId: validation.operationId, body, headers })
    this.problems.push(...validation.errors)
    if (headers['intercom-version'] !== '2.15') this.problems.push(`${request.method} ${url.pathname}: Intercom-Version is not 2.15`)
    if (!(headers['accept'] ?? '').includes('application/json')) this.problems.push(`${request.method} ${url.pathname}: Accept is not application/json`)
    if (!validation.operationId) return errorList(404, 'not_found', 'Resource Not Found')

    if (headers['authorization'] !== `Bearer ${TOKEN}` || url.origin !== REGION_HOSTS[this.options.region]) {
      return errorList(401, 'unauthorized', 'Access Token Invalid')
    }
    const fault = this.faults.next(validation.operationId)
    if (fault) return fault
    if (validation.errors.length) return errorList(400, 'parameter_invalid', validation.errors[0]!)
    return this.operate(validation.operationId, validation.params, body ?? {})
  }

  private operate(operationId: string, params: Record<string, string>, body: any): Response {
    switch (operationId) {
      case 'identifyAdmin':
        return HttpResponse.json({
          ...this.adminJson(this.admins.get(ME.id)!),
          avatar: { type: 'avatar', image_url: null },
          email_verified: true,
          app: { type: 'app', id_code: this.options.workspace, name: 'Fake workspace', region: this.options.region.toUpperCase(), timezone: 'UTC', created_at: 1, identity_verification: false },
        })
      case 'retrieveAdmin': {
        const admin = this.admins.get(params.admin_id!)
        return admin ? HttpResponse.json(this.adminJson(admin)) : errorList(404, 'admin_not_found', 'Admin not found')
      }
      case 'SearchContacts': {
        const { field, operator, value } = body.query ?? {}
        if (operator !== '=' || !['email', 'external_id', 'phone', 'id'].includes(field)) {
          this.problems.push(`search contacts: the fake supports only "=" on email, external_id, phone, id (got ${field} ${operator})`)
        }
        const found = [...this.contactsById.values()].filter((c) => {
          if (!c.indexed) return false
          const actual = (c as Record<string, unknown>)[field]
          return typeof actual === 'string' && (field === 'email' ? actual.toLowerCase() === String(value).toLowerCase() : actual === value)
        })
        return HttpResponse.json({
          type: 'list',
          data: found.map((c) => this.contactJson(c)),
          total_count: found.length,
          pages: { type: 'pages', page: 1, per_page: 50, total_pages: found.length ? 1 : 0 },
        })
      }
      case 'CreateContact': {
        const email = typeof body.email === 'string' ? body.email : undefined
        const duplicate = [...this.contactsById.values()].find(
          (c) => (email && c.role === 'user' && c.email?.toLowerCase() === email.toLowerCase()) || (body.external_id && c.external_id === body.external_id)
        )
        if (duplicate) {
          return errorList(409, 'conflict', this.options.conflictNamesId ? `A contact matching those details already exists with id=${duplicate.id}` : 'A contact matching those details already exists')
        }
        const contact = this.seedContact({
          role: body.role === 'lead' ? 'lead' : 'user',
          email,
          name: body.name ?? undefined,
          phone: body.phone ?? undefined,
          external_id: body.external_id ?? undefined,
          avatar: body.avatar ?? undefined,
          indexed: this.options.searchFindsNewContacts,
        })
        return HttpResponse.json(this.contactJson(contact))
      }
      case 'createConversation': {
        const contact = this.contactsById.get(body.from?.id)
        if (!contact) return errorList(404, 'not_found', 'User Not Found')
        if (body.from.type !== contact.role && body.from.type !== 'contact') {
          return errorList(404, 'not_found', `${body.from.type === 'lead' ? 'Lead' : 'User'} Not Found`)
        }
        const id = String(215_000_000_000_000 + this.conversations.size + 1)
        const messageId = String(++this.seq + 40_000_000)
        this.conversations.set(id, {
          id,
          contactId: contact.id,
          role: contact.role,
          state: 'open',
          admin_assignee_id: null,
          team_assignee_id: null,
          created_at: now(),
          source: { id: messageId, body: body.body },
          parts: [],
        })
        return HttpResponse.json({ type: 'user_message', id: messageId, created_at: now(), body: body.body, message_type: 'inapp', conversation_id: id })
      }
      case 'updateConversation': {
        const conversation = this.conversations.get(params.conversation_id!)
        if (!conversation) return errorList(404, 'conversation_not_found', 'Conversation not found')
        if (typeof body.title === 'string') conversation.title = body.title
        return HttpResponse.json(this.conversationJson(conversation))
      }
      case 'replyConversation': {
        const conversation = this.conversations.get(params.conversation_id!)
        if (!conversation) return errorList(404, 'conversation_not_found', 'Conversation not found')
        const attachments: Attachment[] = (body.attachment_urls ?? []).map((u: string) => {
          if (!isImageUrl(u)) this.problems.push(`reply: attachment_urls is "a list of image URLs" (spec), got ${u}`)
          return { type: 'upload', name: fileName(u), url: u, content_type: MIME[extension(u)] ?? 'application/octet-stream', filesize: 1024 }
        })
        for (const [i, f] of (body.attachment_files ?? []).entries()) {
          if (typeof f?.name !== 'string' || !f.name || typeof f?.content_type !== 'string' || !f.content_type || !isBase64(f?.data)) {
            this.problems.push(`reply: attachment_files[${i}] needs name, content_type and base64 data`)
            continue
          }
          const size = Buffer.from(f.data, 'base64').length
          attachments.push({ type: 'upload', name: f.name, url: `https://downloads.intercomcdn.test/f/${++this.seq}/${encodeURIComponent(f.name)}`, content_type: f.content_type, filesize: size, uploaded: true })
        }
        let author: Part['author']
        if (body.type === 'user') {
          const contact = this.contactsById.get(body.intercom_user_id)
          if (!contact) return errorList(404, 'not_found', 'User Not Found')
          author = { type: contact.role, id: contact.id, name: contact.name }
          if (conversation.state === 'closed') conversation.state = 'open'
        } else {
          const admin = this.admins.get(body.admin_id)
          if (!admin) return errorList(404, 'admin_not_found', 'Admin not found')
          author = { type: 'admin', id: admin.id, name: admin.name, email: admin.email }
        }
        const part = this.part({
          part_type: body.message_type,
          author,
          body: body.body,
          attachments,
          opening: body.type === 'user' && /^\(continued \d+\/\d+\)/.test(readHtml(body.body ?? '')),
        })
        conversation.parts.push(part)
        return HttpResponse.json(this.conversationJson(conversation))
      }
      case 'manageConversation': {
        const conversation = this.conversations.get(params.conversation_id!)
        if (!conversation) return errorList(404, 'conversation_not_found', 'Conversation not found')
        const admin = this.admins.get(body.admin_id)
        if (!admin) return errorList(404, 'admin_not_found', 'Admin not found')
        const author = { type: 'admin', id: admin.id, name: admin.name, email: admin.email }
        if (body.message_type === 'close') conversation.state = 'closed'
        else if (body.message_type === 'open') conversation.state = 'open'
        else if (body.message_type === 'snoozed') conversation.state = 'snoozed'
        else if (body.message_type === 'assignment') {
          if (body.type === 'team') conversation.team_assignee_id = body.assignee_id === '0' ? null : body.assignee_id
          else conversation.admin_assignee_id = body.assignee_id === '0' ? null : Number(body.assignee_id)
        }
        conversation.parts.push(
          this.part({
            part_type: body.message_type,
            author,
            body: body.body ?? null,
            ...(body.message_type === 'assignment' ? { assigned_to: { type: body.type, id: body.assignee_id } } : {}),
          })
        )
        return HttpResponse.json(this.conversationJson(conversation))
      }
      default:
        this.problems.push(`the fake does not implement ${operationId}`)
        return errorList(501, 'not_implemented', `${operationId} is not implemented by the fake`)
    }
  }
}
