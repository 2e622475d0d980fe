/**
 * An in-memory Freshchat account behind msw: topics (channels), groups, agents, users, conversations with their
 * messages, uploads; and the conversation webhooks Freshchat would send, signed with the fake's own RSA key pair.
 * Every request is validated by the documented rules, each citing its source:
 * - [API] https://developers.freshchat.com/api/ (Bearer authentication, `{ code, status, message }` errors, 429)
 * - [WH] https://crmsupport.freshworks.com/en/support/solutions/articles/50000004461 (webhook headers, events,
 *   payloads, actor_type user/agent/system, message_type normal/private, RSA signature)
 * - [JAYA] github:freshworks/jaya-lib packages/freshchat-api/src (Freshworks' own client: message parts, agents,
 *   PUT /conversations/{id} with status new/assigned/resolved/reopened, the bot's private notes)
 * - [PEER] github:botpress/botpress integrations/freshchat/src/client.ts (users by email/reference_id, conversation
 *   create with users/messages/properties.priority, GET /channels → `channels`)
 * - [FILES] github:api-evangelist/freshchat collections/freshchat-files-api.opencollection.json (multipart `file`)
 * Requests the docs refuse are answered as Freshchat answers them and listed in `violations()` (must stay empty).
 */
import { createHash, generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto'
import { http, HttpResponse } from 'msw'
import { setupServer, type SetupServer } from 'msw/node'
import type { InboundMessage, WebhookRequest } from '../../../src/core/types'
import type { FakeAgent, FakeContact, FakeProvider, FakeSession, LookupFault, RateLimitPlan, RateLimitWindow, ReceivedMessage } from '../../conformance/fake'
import { OperationRecorder, rateLimitWindow } from '../../support/fake-plumbing'
import { operate } from './operate'

export const DOMAIN = 'acme.freshchat.com'
export const API = `https://${DOMAIN}/v2`
export const API_KEY = 'fc-key-Q2vR7sT1uW4xY6zA9bC3dE5f'
export const WEB_HOST = 'https://example.com'
export const APP_ID = 'a1553a5a-9eed-48e8-9fc7-9106080f509d'
export const CHANNELS = [
  { id: 'eaee3077-7e72-475d-bd5c-9eeed4262995', name: 'Support', enabled: true },
  { id: '600a9b8d-0321-4b05-a7fb-70b4a5e5e371', name: 'Sales', enabled: true },
]
export const GROUPS = [
  { id: '4cf5d9b8-b782-499f-b93c-541229df3729', name: 'Billing' },
  { id: '5d06e0c9-c893-4a0f-c04d-652330e04830', name: 'Support' },
]
export const CDN = 'https://assets.freshchat.test'
const MIME: Record<string, string> = { png: 'image/png', jpg: 'image/jpeg', mp3: 'audio/mpeg', mp4: 'video/mp4', pdf: 'application/pdf' }
export const EMAIL = /^[^@\s]{1,64}@[^@\s]{1,255}$/

/** The fake's key pairs, made once per process (RSA 2048 as Freshchat's public key shows): Freshchat's, and a stranger's. */
let pairs: { freshchat: { publicKey: KeyObject; privateKey: KeyObject }; stranger: { privateKey: KeyObject } } | undefined
export const keyPairs = () =>
  (pairs ??= {
    freshchat: generateKeyPairSync('rsa', { modulusLength: 2048 }),
    stranger: generateKeyPairSync('rsa', { modulusLength: 2048 }),
  })
export const publicPem = () => keyPairs().freshchat.publicKey.export({ type: 'spki', format: 'pem' }).toString()
/** [WH]: base64 RSA PKCS#1 v1.5 SHA-256 signature of the raw body. */
export const signBody = (body: string, key: KeyObject = keyPairs().freshchat.privateKey) => sign('sha256', Buffer.from(body, 'utf8'), key).toString('base64')

export type Part = Record<string, Record<string, unknown>>
export type Message = { id: string; actor_type: string; actor_id?: string; message_type: string; message_parts: Part[]; created_time: string; opening: boolean }
export type Conversation = {
  conversation_id: string
  channel_id: string
  users: string[]
  status: string
  assigned_agent_id?: string
  assigned_group_id?: string
  properties: Record<string, unknown>
  messages: Message[]
}
export type User = { id: string; first_name?: string; last_name?: string; email?: string; phone?: string; reference_id?: string }
type AgentRecord = { id: string; first_name: string; last_name: string; email: string; avatar?: { url: string } }
export type Upload = { url: string; sourceUrl?: string; name: string; contentType: string; size: number }
export type Call = { method: string; path: string; operationId: string; body: unknown; search: Record<string, string> }

export const error = (code: number, status: string, message: string) => HttpResponse.json({ code, status, message }, { status: code })
export const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex')
export const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v)

export class FreshchatFake extends OperationRecorder<Call> implements FakeProvider {
  readonly name = 'freshchat'
  readonly server: SetupServer
  readonly webhookPaths = ['/']
  readonly proofInBody = false
  users = new Map<string, User>()
  conversations = new Map<string, Conversation>()
  agents = new Map<string, AgentRecord>()
  private agentIds = new Map<string, string>()
  private uploads = new Map<string, Upload>()
  private served = new Map<string, string>()
  private clock = Date.now()

  constructor(readonly section: Record<string, unknown> = {}) {
    super()
    keyPairs()
    this.server = setupServer(
      http.all(`${API}/*`, ({ request }) => this.handle(request)),
      http.get(`${WEB_HOST}/*`, ({ request }) => this.web(request)),
      http.get(`${CDN}/*`, () => new HttpResponse(new Uint8Array([1, 2, 3]), { headers: { 'content-type': 'application/octet-stream' } }))
    )
  }

  // ─── FakeProvider ─────────────────────────────────────────────────────────

  configuration(): Record<string, unknown> {
    return { provider: 'freshchat', freshchat: { domain: DOMAIN, apiKey: API_KEY, webhookPublicKey: publicPem(), ...this.section } }
  }

  async start() {
    this.server.listen({ onUnhandledRequest: 'bypass' })
  }

  async stop() {
    this.server.close()
  }

  /** Forget users, conversations, uploads, requests and faults; topics, groups and agents are the account's and stay. */
  reset() {
    this.forgetRecords()
    this.users.clear()
    this.conversations.clear()
    this.uploads.clear()
  }

  contacts(): FakeContact[] {
    return [...this.users.values()].map((u) => ({ id: u.id, name: [u.first_name, u.last_name].filter(Boolean).join(' '), email: u.email, phone: u.phone }))
  }

  sessions(): FakeSession[] {
    return [...this.conversations.values()].map((c) => ({
      id: c.conversation_id,
      contactId: c.users[0],
      openingText: c.messages.filter((m) => m.opening).map((m) => this.textOf(m)).join('\n'),
      closed: c.status === 'resolved',
    }))
  }

  private textOf(m: Message) {
    return m.message_parts.map((p) => String(p.text?.content ?? '')).filter(Boolean).join('\n')
  }

  received(sessionId: string): ReceivedMessage[] {
    const conversation = this.conversations.get(sessionId)
    if (!conversation) return []
    return conversation.messages.flatMap((m): ReceivedMessage[] => {
      if (m.opening || m.actor_type === 'agent') return []
      const text = this.textOf(m) || undefined
      const media = m.message_parts.find((p) => p.image || p.video || p.file)
      const kindKey = media ? (['image', 'video', 'file'] as const).find((k) => media[k]) : undefined
      const upload = kindKey ? this.uploads.get(String(media![kindKey]!.url)) : undefined
      const kind: ReceivedMessage['kind'] = !kindKey ? 'text' : kindKey === 'file' ? (upload?.contentType.startsWith('audio/') ? 'audio' : 'file') : kindKey
      const file = upload ? { url: upload.sourceUrl ?? upload.url, title: upload.name } : {}
      const base = { kind, ...file, ...(text ? { text } : {}) }
      if (m.actor_type === 'user') return [{ author: 'user', contactId: m.actor_id, ...base }]
      return [{ author: 'bot', ...base }]
    })
  }

  /** An agent of the account for a FakeAgent, by a Freshchat-style UUID ([JAYA] interfaces/Agent.ts fields). */
  agentFor(agent: FakeAgent): AgentRecord {
    let id = this.agentIds.get(agent.id)
    if (!id) {
      id = randomUUID()
      this.agentIds.set(agent.id, id)
    }
    const [first, ...rest] = agent.name.split(' ')
    const record: AgentRecord = { id, first_name: first ?? '', last_name: rest.join(' '), email: `${agent.id}@acme.test`, ...(agent.pictureUrl ? { avatar: { url: agent.pictureUrl } } : {}) }
    this.agents.set(id, record)
    return record
  }

  knownAgent(): FakeAgent {
    const agent = { id: 'agent-known', name: 'Kim Known', pictureUrl: 'https://example.com/kim.png' }
    return { id: this.agentFor(agent).id, name: agent.name, pictureUrl: agent.pictureUrl }
  }

  /** Connect creates nothing on Freshchat (no webhook API): nothing for disconnect to remove. */
  registrations() {
    return 0
  }

  /**
   * Freshchat throttled: `429 Too Many Requests` ([API] status table) with `X-RateLimit-Limit`, `X-RateLimit-Remaining: 0`
   * and `X-RateLimit-Reset` as a Unix time in seconds, no `Retry-After` (issue 24 / Freshworks API limits). Per minute
   * per account: no daily quota. The limit sits in front of the API: throttled requests are not in `calls`.
   */
  rateLimited(plan: RateLimitPlan): RateLimitWindow | undefined {
    if (plan.daily) return undefined
    const resetSeconds = Math.ceil((plan.now() + plan.resetInMs) / 1000)
    return rateLimitWindow(this.server, {
      bases: [API],
      now: plan.now,
      until: resetSeconds * 1000,
      resetInMs: resetSeconds * 1000 - plan.now(),
      answer: () =>
        HttpResponse.json(
          { code: 429, status: 'TOO_MANY_REQUESTS', message: 'Rate limit exceeded' },
          { status: 429, headers: { 'X-RateLimit-Limit': '1000', 'X-RateLimit-Remaining': '0', 'X-RateLimit-Reset': String(resetSeconds) } }
        ),
    })
  }

  // ─── webhooks Freshchat would send ([WH]) ─────────────────────────────────

  private tick() {
    this.clock = Math.max(Date.now(), this.clock + 7)
    return new Date(this.clock).toISOString()
  }

  deliver(payload: unknown): WebhookRequest {
    return this.signed(JSON.stringify(payload))
  }

  /** The conversation as a webhook names it; one this account never had is a stranger in the integration's topic. */
  private conversationJson(sessionId: string, status: string) {
    const c = this.conversations.get(sessionId)
    return {
      conversation_id: sessionId, app_id: APP_ID, status, channel_id: c?.channel_id ?? CHANNELS[0]!.id,
      skill_id: 0, sla_policy_id: 0, sla_breached: false,
      ...(c?.assigned_agent_id ? { assigned_agent_id: c.assigned_agent_id } : {}),
      ...(c?.assigned_group_id ? { assigned_group_id: c.assigned_group_id } : {}),
    }
  }

  agentMessage(sessionId: string, agent: FakeAgent, message: InboundMessage, opts: { messageId?: string } = {}): WebhookRequest {
    const record = this.agentFor(agent)
    const parts: Part[] =
      message.type === 'text'
        ? [{ text: { content: message.text } }]
        : message.type === 'image'
          ? [{ image: { url: message.url } }]
          : [{ file: { url: message.url, name: message.title ?? message.url.split('/').pop() ?? 'file', content_type: MIME[message.url.split('.').pop() ?? ''] ?? 'application/octet-stream', file_size_in_bytes: 2048 } }]
    const time = this.tick()
    const id = opts.messageId ?? randomUUID()
    const conversation = this.conversations.get(sessionId)
    conversation?.messages.push({ id, actor_type: 'agent', actor_id: record.id, message_type: 'normal', message_parts: parts, created_time: time, opening: false })
    return this.deliver({
      actor: { actor_type: 'agent', actor_id: record.id },
      action: 'message_create',
      action_time: time,
      data: {
        message: {
          message_parts: parts, app_id: APP_ID, actor_id: record.id, org_actor_id: '345162432277281455', id,
          channel_id: conversation?.channel_id ?? CHANNELS[0]!.id, conversation_id: sessionId, interaction_id: `515435468500047-${Date.now()}`,
          message_type: 'normal', actor_type: 'agent', created_time: time, user_id: conversation?.users[0] ?? randomUUID(),
          restrictResponse: false, botsPrivateNote: false,
        },
      },
    })
  }

  /** [WH] conversation_assignment; fields as [PEER] src/definitions/freshchat-events.ts `Assignment` lists them. */
  agentAssigned(sessionId: string, agent: FakeAgent, opts: { groupOnly?: boolean } = {}): WebhookRequest {
    const record = this.agentFor(agent)
    const conversation = this.conversations.get(sessionId)
    const previous = conversation?.assigned_agent_id ?? ''
    if (conversation && !opts.groupOnly) Object.assign(conversation, { assigned_agent_id: record.id, status: 'assigned' })
    if (conversation && opts.groupOnly) conversation.assigned_group_id = GROUPS[0]!.id
    return this.deliver({
      actor: { actor_type: 'agent', actor_id: record.id },
      action: 'conversation_assignment',
      action_time: this.tick(),
      data: {
        assignment: {
          assignor: 'agent', assignor_id: record.id,
          to_agent_id: opts.groupOnly ? '' : record.id, to_group_id: opts.groupOnly ? GROUPS[0]!.id : '',
          from_agent_id: previous, from_group_id: '',
          conversation: this.conversationJson(sessionId, opts.groupOnly ? 'new' : 'assigned'),
          interaction_id: `487870040076744-${Date.now()}`,
        },
      },
    })
  }

  sessionClosed(sessionId: string): WebhookRequest {
    const conversation = this.conversations.get(sessionId)
    if (conversation) conversation.status = 'resolved'
    const resolver = [...this.agents.values()][0]?.id ?? randomUUID()
    return this.deliver({
      actor: { actor_type: 'agent', actor_id: resolver },
      action: 'conversation_resolution',
      action_time: this.tick(),
      data: { resolve: { resolver: 'agent', resolver_id: resolver, conversation: this.conversationJson(sessionId, 'resolved'), interaction_id: `487870040076744-${Date.now()}` } },
    })
  }

  /** [WH] conversation_reopen (by the user, as the 2022 sample shows). */
  sessionReopened(sessionId: string): WebhookRequest {
    const conversation = this.conversations.get(sessionId)
    if (conversation) conversation.status = 'reopened'
    const user = conversation?.users[0] ?? randomUUID()
    return this.deliver({
      actor: { actor_type: 'user', actor_id: user },
      action: 'conversation_reopen',
      action_time: this.tick(),
      data: { reopen: { reopener: 'user', reopener_id: user, conversation: this.conversationJson(sessionId, 'reopened'), interaction_id: `681406910844650-${Date.now()}` } },
    })
  }

  /** Webhooks name the agent by id only: applying it asks GET /agents/{id} for the name ([JAYA] getAgentById). */
  lookupFault(sessionId: string, agent: FakeAgent): LookupFault {
    return {
      webhook: this.agentAssigned(sessionId, agent),
      what: 'the agent of an assignment (GET /agents/{id})',
      fail: (status) => this.faults.replace('get-agent', ...Array.from({ length: 100 }, () => ({ status, body: { code: status, status: 'INJECTED', message: `injected ${status}` } }))),
      recover: () => this.faults.drop('get-agent'),
    }
  }

  unsigned(req: WebhookRequest): WebhookRequest {
    return { ...req, headers: Object.fromEntries(Object.entries(req.headers).filter(([k]) => k.toLowerCase() !== 'x-freshchat-signature')) }
  }

  /** Signed with another RSA key over the same body. */
  forged(req: WebhookRequest): WebhookRequest {
    return { ...req, headers: { ...req.headers, 'x-freshchat-signature': signBody(req.body, keyPairs().stranger.privateKey) } }
  }

  wrongLength(req: WebhookRequest): WebhookRequest {
    const signature = req.headers['x-freshchat-signature'] ?? ''
    const at = signature.replace(/=+$/, '').length - 1
    const last = signature[at] === 'A' ? 'B' : 'A'
    return { ...req, headers: { ...req.headers, 'x-freshchat-signature': `${signature.slice(0, at)}${last}${signature.slice(at + 1)}` } }
  }

  /** [WH] headers: X-Retry-Count, X-Freshchat-Payload-Version, X-Freshchat-Signature. */
  signed(body: string, opts?: { path?: string }): WebhookRequest {
    return {
      method: 'POST',
      path: opts?.path ?? '/',
      query: '',
      headers: { 'content-type': 'application/json', 'x-retry-count': '0', 'x-freshchat-payload-version': '2', 'x-freshchat-signature': signBody(body) },
      body,
    }
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

  private violation(text: string) {
    this.problems.push(text)
    return error(400, 'BAD_REQUEST', text)
  }

  private async handle(request: Request): Promise<Response> {
    const url = new URL(request.url)
    const path = url.pathname.replace(/^\/v2\/?/, '')
    const segments = path.split('/').filter(Boolean).map(decodeURIComponent)
    const method = request.method
    const contentType = request.headers.get('content-type') ?? ''
    const form = contentType.startsWith('multipart/form-data') ? await request.formData() : undefined
    const raw = form ? '' : await request.text()
    let body: unknown = raw
    try {
      body = raw ? JSON.parse(raw) : undefined
    } catch {
      // kept as text
    }
    const operationId = this.operationOf(method, segments)
    this.calls.push({ method, path: url.pathname, operationId, body: form ?? body, search: Object.fromEntries(url.searchParams) })
    if (operationId === 'unknown') return this.violation(`no such endpoint: ${method} ${url.pathname}`)
    // [API] "Header Parameters": Authorization: Bearer <token>; anything else is an unauthenticated request (401).
    if (request.headers.get('authorization') !== `Bearer ${API_KEY}`) return error(401, 'UNAUTHORIZED', 'Unauthenticated request')
    const fault = this.faults.next(operationId)
    if (fault) return fault
    if (raw && !contentType.startsWith('application/json')) return this.violation(`${operationId}: a JSON body needs Content-Type: application/json`)
    if ((method === 'POST' || method === 'PUT') && !form && !isObject(body)) return this.violation(`${operationId}: the body must be a JSON object`)
    return operate(this, operationId, segments, url, body as Record<string, unknown>, form)
  }

  private operationOf(method: string, s: string[]): string {
    const route = `${method} ${s.map((x, i) => (i === 1 && s.length > 1 && s[0] !== 'images' && s[0] !== 'files' ? ':id' : x)).join('/')}`
    const known: Record<string, string> = {
      'GET channels': 'list-channels',
      'GET groups': 'list-groups',
      'GET users': 'search-users',
      'POST users': 'create-user',
      'POST conversations': 'create-conversation',
      'GET conversations/:id': 'get-conversation',
      'PUT conversations/:id': 'update-conversation',
      'POST conversations/:id/messages': 'send-message',
      'GET agents/:id': 'get-agent',
      'POST images/upload': 'upload-image',
      'POST files/upload': 'upload-file',
    }
    return Object.prototype.hasOwnProperty.call(known, route) ? known[route]! : 'unknown'
  }

  // Exposed to ./operate.ts (the API's behaviour, kept apart to keep this file readable).
  get internals() {
    return { uploads: this.uploads, served: this.served, tick: () => this.tick(), violation: (text: string) => this.violation(text) }
  }
}
