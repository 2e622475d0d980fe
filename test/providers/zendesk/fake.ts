/**
 * An in-memory Zendesk account's Sunshine Conversations app behind msw: users, conversations with their messages and
 * switchboard state, custom integrations with their webhook, the switchboard with Zendesk's own switchboard
 * integrations (agent workspace, AI agent), and the webhooks Sunco would send, carrying the webhook secret as
 * `X-API-Key`. Every request is checked against the rules of the Sunco OpenAPI (./rules.ts, each citing openapi.yaml of
 * zendesk/sunshine-conversations-api-spec); payloads follow the spec's examples (`components.examples.*Event`).
 * The app's configuration (integrations, switchboard) survives `reset()`, like a real account between sessions.
 */
import { randomBytes } from 'node:crypto'
import { http, HttpResponse } from 'msw'
import { setupServer, type SetupServer } from 'msw/node'
import type { InboundMessage, WebhookRequest } from '../../../src/core/types'
import { integrationName, switchboardName } from '../../../src/providers/zendesk/setup'
import { TRIGGERS } from '../../../src/providers/zendesk/webhook'
import type { FakeAgent, FakeContact, FakeProvider, FakeSession, RateLimitPlan, RateLimitWindow, ReceivedMessage } from '../../conformance/fake'
import { OperationRecorder, rateLimitWindow } from '../../support/fake-plumbing'
import * as rules from './rules'

export const SUBDOMAIN = 'acme'
export const BASE_URL = `https://${SUBDOMAIN}.zendesk.com/sc`
export const APP_ID = '5ebee0975ac5304b664a12fa'
export const KEY_ID = 'app_5f1e8c2d9a7b6c5d4e3f2a1b'
export const KEY_SECRET = 'Zx9-kQ2vR7sT1uW4xY6zA9bC3dE5fG7h'
/** The Zendesk user id of each fake agent (agent-workspace messages name it in `__zendesk_msg.agent.id`). */
const AGENT_BASE = 9_000_000

type Json = Record<string, unknown>
type Webhook = { id: string; target: string; triggers: string[]; secret: string; includeFullUser: boolean; includeFullSource: boolean }
type Integration = { id: string; type: string; displayName?: string; status: 'active'; webhooks: Webhook[] }
type SwitchboardIntegration = { id: string; name: string; integrationId: string; integrationType: string; deliverStandbyEvents: boolean; nextSwitchboardIntegrationId?: string }
type User = { id: string; externalId?: string; profile: Json }
export type Message = { id: string; received: string; author: Json; content: Json; metadata?: Json; deleted?: boolean }
export type Conversation = {
  id: string
  type: string
  participants: string[]
  displayName?: string
  description?: string
  metadata: Json
  messages: Message[]
  active?: SwitchboardIntegration
  pending?: SwitchboardIntegration
  /** Messages posted before control went to the agent workspace (the ticket's opening), and its passControl metadata. */
  handedAt?: number
  ticket?: Json
  released: boolean
}
export type Call = { method: string; path: string; operationId?: string; body: unknown; headers: Record<string, string> }

const hex = (bytes = 12) => randomBytes(bytes).toString('hex')
/** Sunco's error body (spec `info.description` "Errors", `components.schemas.errorResponse`). */
const failure = (status: number, code: string, title: string) => HttpResponse.json({ errors: [{ code, title }] }, { status })
const MIME: Record<string, string> = { png: 'image/png', jpg: 'image/jpeg', mp3: 'audio/mpeg', mp4: 'video/mp4', pdf: 'application/pdf' }

/** Routes: method, path under /v2/apps/{appId}, operationId (spec `paths`). */
const ROUTES: Array<[string, RegExp, string]> = [
  ['GET', /^$/, 'GetApp'],
  ['POST', /^\/users$/, 'CreateUser'],
  ['GET', /^\/users\/([^/]+)$/, 'GetUser'],
  ['PATCH', /^\/users\/([^/]+)$/, 'UpdateUser'],
  ['POST', /^\/conversations$/, 'CreateConversation'],
  ['GET', /^\/conversations\/([^/]+)$/, 'GetConversation'],
  ['POST', /^\/conversations\/([^/]+)\/messages$/, 'PostMessage'],
  ['POST', /^\/conversations\/([^/]+)\/passControl$/, 'PassControl'],
  ['POST', /^\/conversations\/([^/]+)\/offerControl$/, 'OfferControl'],
  ['POST', /^\/conversations\/([^/]+)\/releaseControl$/, 'ReleaseControl'],
  ['POST', /^\/integrations$/, 'CreateIntegration'],
  ['GET', /^\/integrations$/, 'ListIntegrations'],
  ['DELETE', /^\/integrations\/([^/]+)$/, 'DeleteIntegration'],
  ['POST', /^\/integrations\/([^/]+)\/webhooks$/, 'CreateWebhook'],
  ['GET', /^\/integrations\/([^/]+)\/webhooks$/, 'ListWebhooks'],
  ['PATCH', /^\/integrations\/([^/]+)\/webhooks\/([^/]+)$/, 'UpdateWebhook'],
  ['DELETE', /^\/integrations\/([^/]+)\/webhooks\/([^/]+)$/, 'DeleteWebhook'],
  ['GET', /^\/switchboards$/, 'ListSwitchboards'],
  ['PATCH', /^\/switchboards\/([^/]+)$/, 'UpdateSwitchboard'],
  ['GET', /^\/switchboards\/([^/]+)\/switchboardIntegrations$/, 'ListSwitchboardIntegrations'],
  ['POST', /^\/switchboards\/([^/]+)\/switchboardIntegrations$/, 'CreateSwitchboardIntegration'],
  ['PATCH', /^\/switchboards\/([^/]+)\/switchboardIntegrations\/([^/]+)$/, 'UpdateSwitchboardIntegration'],
  ['DELETE', /^\/switchboards\/([^/]+)\/switchboardIntegrations\/([^/]+)$/, 'DeleteSwitchboardIntegration'],
]

export class ZendeskFake extends OperationRecorder<Call> implements FakeProvider {
  readonly name = 'zendesk'
  readonly server: SetupServer
  readonly webhookPaths = ['/']
  /** X-API-Key is the webhook's secret itself, the same on every delivery (spec tags[name=Webhooks]). */
  readonly proofSharedHeader = true
  users = new Map<string, User>()
  conversations = new Map<string, Conversation>()
  integrations = new Map<string, Integration>()
  switchboardId = hex()
  switchboardIntegrations = new Map<string, SwitchboardIntegration>()
  /** Requests that changed what the integration did not create (the switchboard, Zendesk's integrations): must stay empty. */
  foreign: string[] = []
  /** Records per page of a list (ListIntegrations). */
  pageSize = 25
  /** The app's `settings.multiConvoEnabled` (spec `components.schemas.appSettings`). */
  multiConvo = true
  private agents = new Map<string, number>()
  private clock = Date.now()

  constructor() {
    super()
    this.wipe()
    this.server = setupServer(http.all(`${BASE_URL}/*`, ({ request }) => this.handle(request)))
  }

  // ─── FakeProvider ─────────────────────────────────────────────────────────

  configuration(): Record<string, unknown> {
    return { provider: 'zendesk', zendesk: this.section() }
  }

  section() {
    return { subdomain: SUBDOMAIN, appId: APP_ID, keyId: KEY_ID, keySecret: KEY_SECRET }
  }

  async start() {
    this.server.listen({ onUnhandledRequest: 'bypass' })
  }

  async stop() {
    this.server.close()
  }

  /** Forget users, conversations, requests and faults; the app's integrations and switchboard stay. */
  reset() {
    this.multiConvo = true
    this.pageSize = 25
    this.forgetRecords()
    this.users.clear()
    this.conversations.clear()
    this.foreign = []
  }

  /**
   * A new app: the Web Widget, Zendesk's switchboard (AI agent by default, agent workspace next) and, unless
   * `preRegistered` is false, our custom integration as an earlier save left it (the suites that never call register
   * still receive webhooks Sunco can only send to an integration that exists).
   */
  wipe(options: { preRegistered?: boolean } = {}) {
    this.reset()
    this.integrations.clear()
    this.switchboardIntegrations.clear()
    const web: Integration = { id: hex(), type: 'web', displayName: 'Web Widget', status: 'active', webhooks: [] }
    this.integrations.set(web.id, web)
    const aw: SwitchboardIntegration = { id: hex(), name: 'zd-agentWorkspace', integrationId: hex(), integrationType: 'zd:agentWorkspace', deliverStandbyEvents: false }
    const bot: SwitchboardIntegration = { id: hex(), name: 'zd-answerBot', integrationId: hex(), integrationType: 'zd:answerBot', deliverStandbyEvents: false, nextSwitchboardIntegrationId: aw.id }
    this.switchboardIntegrations.set(aw.id, aw)
    this.switchboardIntegrations.set(bot.id, bot)
    this.defaultSwitchboardIntegrationId = bot.id
    if (options.preRegistered === false) return
    const ours = this.addIntegration(integrationName(this.section()), 'https://webhook.botpress.cloud/earlier-registration', [...TRIGGERS])
    const si: SwitchboardIntegration = { id: hex(), name: switchboardName(this.section()), integrationId: ours.id, integrationType: 'custom', deliverStandbyEvents: false }
    this.switchboardIntegrations.set(si.id, si)
  }

  defaultSwitchboardIntegrationId = ''

  agentWorkspace(): SwitchboardIntegration {
    return [...this.switchboardIntegrations.values()].find((s) => s.integrationType === 'zd:agentWorkspace')!
  }

  contacts(): FakeContact[] {
    return [...this.users.values()].map((u) => ({
      id: u.id,
      name: [u.profile.givenName, u.profile.surname].filter((s) => typeof s === 'string').join(' ') || undefined,
      email: typeof u.profile.email === 'string' ? u.profile.email : undefined,
    }))
  }

  /** Closed: control taken away from the agent workspace after the hand-off (released, or passed elsewhere). */
  sessions(): FakeSession[] {
    return [...this.conversations.values()].map((c) => ({
      id: c.id,
      contactId: c.participants[0],
      openingText: [c.displayName, c.description, ...this.opening(c).map((m) => String(m.content.text ?? ''))].filter(Boolean).join('\n'),
      closed: c.handedAt !== undefined && c.active?.integrationType !== 'zd:agentWorkspace',
    }))
  }

  /** What the agent workspace's ticket starts with: the messages posted before the hand-off. */
  opening(c: Conversation): Message[] {
    return c.handedAt === undefined ? [] : c.messages.slice(0, c.handedAt)
  }

  received(sessionId: string): ReceivedMessage[] {
    const c = this.conversations.get(sessionId)
    if (!c) return []
    return c.messages.slice(c.handedAt ?? c.messages.length).flatMap((m): ReceivedMessage[] => {
      const content = m.content
      const media =
        content.type === 'image' || content.type === 'file'
          ? { kind: (content.type === 'image' ? 'image' : 'file') as ReceivedMessage['kind'], url: String(content.mediaUrl), ...(content.altText ? { title: String(content.altText) } : {}) }
          : { kind: 'text' as const, text: String(content.text ?? '') }
      if (m.author.type === 'user') return [{ author: 'user', contactId: String(m.author.userId), ...media }]
      if (m.author.type === 'business' && m.metadata && 'botpress_hitl_origin' in m.metadata) return [{ author: 'bot', ...media }]
      return []
    })
  }

  /** A custom integration of another system (its own name and webhook URL), which register and unregister leave alone. */
  plantForeignRegistration() {
    const foreign = this.addIntegration('Another system', 'https://elsewhere.example.com/zendesk-hook', ['conversation:message'])
    return { exists: () => this.integrations.has(foreign.id), remove: () => void this.integrations.delete(foreign.id) }
  }

  /** What register made that unregister must remove: integrations named as ours, and switchboard integrations linked to them. */
  registrations() {
    const ours = [...this.integrations.values()].filter((i) => i.displayName === integrationName(this.section()))
    const linked = [...this.switchboardIntegrations.values()].filter((s) => ours.some((i) => i.id === s.integrationId))
    return ours.length + linked.length
  }

  /**
   * Sunco throttled: `429 Too Many Requests` with the error body, and no header saying when to retry (spec
   * `info.description` "Rate Limits": clients back off exponentially with jitter). No daily quota is documented.
   */
  rateLimited(plan: RateLimitPlan): RateLimitWindow | undefined {
    if (plan.daily) return undefined
    return rateLimitWindow(this.server, {
      bases: [BASE_URL],
      now: plan.now,
      until: plan.now() + plan.resetInMs,
      resetInMs: plan.resetInMs,
      answer: () => failure(429, 'too_many_requests', 'Too Many Requests'),
    })
  }

  // ─── webhooks Sunco would send ────────────────────────────────────────────

  /** Our integration's webhook (the last one created), the one deliveries go to. */
  hook(): Webhook {
    const ours = [...this.integrations.values()].filter((i) => i.displayName === integrationName(this.section()) && i.webhooks.length)
    const hook = ours.pop()?.webhooks[0]
    if (!hook) throw new Error('ZendeskFake: no webhook registered')
    return hook
  }

  private tick() {
    this.clock = Math.max(Date.now(), this.clock + 7)
    return new Date(this.clock).toISOString()
  }

  agentIdOf(agent: FakeAgent): number {
    let id = this.agents.get(agent.id)
    if (id === undefined) this.agents.set(agent.id, (id = AGENT_BASE + this.agents.size + 1))
    return id
  }

  /** The conversation as webhook payloads show it (`components.schemas.conversationTruncated`); a stranger if unknown. */
  conversationJson(sessionId: string): Json {
    const c = this.conversations.get(sessionId)
    const active = c ? c.active : this.agentWorkspace()
    const snippet = (s: SwitchboardIntegration) => ({ id: s.id, name: s.name, integrationId: s.integrationId, integrationType: s.integrationType })
    return {
      id: sessionId,
      type: 'personal',
      ...(c && Object.keys(c.metadata).length ? { metadata: c.metadata } : {}),
      ...(active ? { activeSwitchboardIntegration: snippet(active) } : {}),
      ...(c?.pending ? { pendingSwitchboardIntegration: snippet(c.pending) } : {}),
    }
  }

  /** One delivery (spec EventWebhooks: `{app, webhook, events}`), with the webhook's secret as X-API-Key. */
  deliver(events: Json[], hook: Webhook = this.hook()): WebhookRequest {
    const body = JSON.stringify({ app: { id: APP_ID }, webhook: { id: hook.id, version: 'v2' }, events })
    return { method: 'POST', path: '/', query: '', headers: { 'content-type': 'application/json', 'x-api-key': hook.secret }, body }
  }

  event(type: string, payload: Json): Json {
    return { id: hex(), createdAt: this.tick(), type, payload }
  }

  /** An agent-workspace message (`components.examples.conversationMessageEvent`, author `business`). */
  agentMessageJson(agent: FakeAgent, content: Json, opts: { messageId?: string; deleted?: boolean } = {}): Message {
    return {
      id: opts.messageId ?? hex(),
      received: this.tick(),
      author: { type: 'business', displayName: agent.name, ...(agent.pictureUrl ? { avatarUrl: agent.pictureUrl } : {}) },
      content,
      metadata: { '__zendesk_msg.agent.id': this.agentIdOf(agent) },
      ...(opts.deleted ? { deleted: true } : {}),
    }
  }

  messageEvent(sessionId: string, message: Message): WebhookRequest {
    this.conversations.get(sessionId)?.messages.push(message)
    return this.deliver([this.event('conversation:message', { conversation: this.conversationJson(sessionId), message })])
  }

  agentMessage(sessionId: string, agent: FakeAgent, message: InboundMessage, opts: { messageId?: string } = {}): WebhookRequest {
    let content: Json
    if (message.type === 'text') content = { type: 'text', text: message.text }
    else {
      const name = message.title ?? message.url.split('/').pop() ?? 'file'
      const mediaType = MIME[message.url.split('.').pop() ?? ''] ?? 'application/octet-stream'
      content = { type: message.type === 'image' ? 'image' : 'file', mediaUrl: message.url, mediaType, mediaSize: 2048, altText: name.slice(0, 128) }
    }
    return this.messageEvent(sessionId, this.agentMessageJson(agent, content, opts))
  }

  /**
   * Sunco has no assignment event, and passing control to the agent workspace only means "handed to Zendesk"
   * (hub.md): an agent's first reply is the signal. The shared suites need an assignment that carries no message to
   * relay, so this sends the agent's first reply as the placeholder of a deleted message (`messageWebhook.deleted`):
   * the integration reports the agent and relays nothing.
   */
  agentAssigned(sessionId: string, agent: FakeAgent): WebhookRequest {
    return this.messageEvent(sessionId, this.agentMessageJson(agent, { type: 'text', text: '' }, { deleted: true }))
  }

  /** The agent workspace gives the conversation back when the ticket is closed (`switchboardReleaseControl`, reason ticketClosed). */
  sessionClosed(sessionId: string): WebhookRequest {
    const c = this.conversations.get(sessionId)
    if (c) {
      c.active = undefined
      c.released = true
    }
    return this.deliver([this.event('switchboard:releaseControl', { conversation: this.conversationJson(sessionId), reason: 'ticketClosed' })])
  }

  /** The agent workspace passes control on (to the next switchboard integration, the AI agent) with a reason. */
  passedAway(sessionId: string, reason?: 'ticketClosed' | 'transferToEmail'): WebhookRequest {
    const c = this.conversations.get(sessionId)
    if (c) c.active = this.switchboardIntegrations.get(this.defaultSwitchboardIntegrationId)
    return this.deliver([this.event('switchboard:passControl', { conversation: this.conversationJson(sessionId), ...(reason ? { reason } : {}) })])
  }

  unsigned(req: WebhookRequest): WebhookRequest {
    return { ...req, headers: Object.fromEntries(Object.entries(req.headers).filter(([k]) => k.toLowerCase() !== 'x-api-key')) }
  }

  forged(req: WebhookRequest): WebhookRequest {
    return { ...req, headers: { ...req.headers, 'x-api-key': hex(16) } }
  }

  wrongLength(req: WebhookRequest): WebhookRequest {
    const key = req.headers['x-api-key'] ?? ''
    return { ...req, headers: { ...req.headers, 'x-api-key': `${key.slice(0, -1)}${key.endsWith('0') ? '1' : '0'}` } }
  }

  signed(body: string, opts?: { path?: string }): WebhookRequest {
    const req = this.deliver([])
    return { ...req, body, path: opts?.path ?? req.path }
  }

  // ─── state helpers ────────────────────────────────────────────────────────

  addIntegration(displayName: string, target: string, triggers: string[]): Integration {
    // "When a webhook is created, a shared secret will be generated for it" (spec tags[name=Webhooks]).
    const hook: Webhook = { id: hex(), target, triggers, secret: hex(16), includeFullUser: false, includeFullSource: false }
    const integration: Integration = { id: hex(), type: 'custom', displayName, status: 'active', webhooks: [hook] }
    this.integrations.set(integration.id, integration)
    return integration
  }

  /** By id, name or integrationType, in that order (spec `passControlBody.switchboardIntegration`). */
  private switchboardIntegration(ref: string): SwitchboardIntegration | undefined {
    const all = [...this.switchboardIntegrations.values()]
    return all.find((s) => s.id === ref) ?? all.find((s) => s.name === ref) ?? all.find((s) => s.integrationType === ref)
  }

  // ─── the API ──────────────────────────────────────────────────────────────

  private async handle(request: Request): Promise<Response> {
    const url = new URL(request.url)
    const headers: Record<string, string> = {}
    request.headers.forEach((value, key) => (headers[key.toLowerCase()] = value))
    const raw = await request.text()
    const prefix = `/sc/v2/apps/`
    const rest = url.pathname.startsWith(prefix) ? url.pathname.slice(prefix.length) : ''
    const slash = rest.indexOf('/')
    const appId = decodeURIComponent(slash < 0 ? rest : rest.slice(0, slash))
    const sub = (slash < 0 ? '' : rest.slice(slash)).replace(/\/+$/, '')
    const route = ROUTES.find(([method, pattern]) => method === request.method && pattern.test(sub))
    const params = route ? (route[1].exec(sub)!.slice(1).map(decodeURIComponent) as string[]) : []
    let body: Json = {}
    let parsed = true
    if (raw) {
      try {
        const value: unknown = JSON.parse(raw)
        body = value && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : {}
      } catch {
        parsed = false
      }
    }
    const operationId = route?.[2]
    this.calls.push({ method: request.method, path: url.pathname, operationId, body, headers })
    if (!operationId) {
      this.problems.push(`${request.method} ${url.pathname}: no such operation in the spec`)
      return failure(404, 'not_found', 'Not found')
    }
    // Basic authentication: key id as user name, secret as password (spec "Basic Authentication", securitySchemes.basicAuth).
    const expected = `Basic ${Buffer.from(`${KEY_ID}:${KEY_SECRET}`).toString('base64')}`
    if (headers.authorization !== expected) return failure(401, 'unauthorized', 'Authorization is required')
    if (appId !== APP_ID) return failure(404, 'app_not_found', 'App not found')
    const fault = this.faults.next(operationId)
    if (fault) return fault
    const problems: string[] = []
    if (raw) {
      // "requires that the content-type: application/json header be specified" and JSON is limited to 100kb (spec intro).
      if (!(headers['content-type'] ?? '').startsWith('application/json')) problems.push(`${operationId}: content-type must be application/json`)
      if (!parsed) problems.push(`${operationId}: the body is not JSON`)
      if (Buffer.byteLength(raw) > 100 * 1024) problems.push(`${operationId}: JSON body over 100kb`)
    }
    problems.push(...this.check(operationId, body))
    if (problems.length) {
      this.problems.push(...problems)
      return failure(400, 'bad_request', problems[0]!)
    }
    return this.operate(operationId, params, url, body)
  }

  private check(operationId: string, body: Json): string[] {
    switch (operationId) {
      case 'CreateUser':
        return rules.createUser(body)
      case 'UpdateUser':
        return rules.updateUser(body)
      case 'CreateConversation':
        return rules.createConversation(body)
      case 'PostMessage':
        return rules.postMessage(body)
      case 'PassControl':
      case 'OfferControl':
        return rules.passControl(operationId, body)
      case 'ReleaseControl':
        return rules.releaseControl(body)
      case 'CreateIntegration':
        return rules.createIntegration(body)
      case 'CreateWebhook':
        return rules.webhookProblems(operationId, body, true)
      case 'UpdateWebhook':
        return rules.webhookProblems(operationId, body, false)
      case 'CreateSwitchboardIntegration':
        return rules.createSwitchboardIntegration(body)
      default:
        return []
    }
  }

  private operate(operationId: string, params: string[], url: URL, body: Json): Response {
    const created = (json: Json) => HttpResponse.json(json, { status: 201 })
    const ok = (json: Json = {}) => HttpResponse.json(json)
    const conversation = () => this.conversations.get(params[0]!)
    const integration = () => this.integrations.get(params[0]!)
    const integrationJson = (i: Integration) => ({ id: i.id, type: i.type, status: i.status, displayName: i.displayName, ...(i.type === 'custom' ? { webhooks: i.webhooks } : {}) })
    const mine = (si: SwitchboardIntegration) => this.integrations.get(si.integrationId)?.type === 'custom'
    switch (operationId) {
      case 'GetApp':
        // Shaped like `components.examples.getApp`.
        return ok({ app: { id: APP_ID, displayName: 'Acme', settings: { appLocalizationEnabled: true, echoPostback: false, maskCreditCardNumbers: true, multiConvoEnabled: this.multiConvo, useAnimalNames: false } } })
      case 'CreateUser': {
        const externalId = body.externalId as string | undefined
        if (externalId && [...this.users.values()].some((u) => u.externalId === externalId)) return failure(409, 'conflict', 'User already exists')
        const user: User = { id: hex(), ...(externalId ? { externalId } : {}), profile: (body.profile as Json) ?? {} }
        this.users.set(user.id, user)
        return created({ user })
      }
      case 'GetUser':
      case 'UpdateUser': {
        const user = this.users.get(params[0]!) ?? [...this.users.values()].find((u) => u.externalId === params[0])
        if (!user) return failure(404, 'user_not_found', 'User not found')
        if (operationId === 'UpdateUser' && body.profile) user.profile = { ...user.profile, ...(body.profile as Json) }
        return ok({ user })
      }
      case 'CreateConversation': {
        const participants = (body.participants as Json[]).map((p) => String(p.userId ?? [...this.users.values()].find((u) => u.externalId === p.userExternalId)?.id))
        if (participants.some((p) => !this.users.has(p))) return failure(404, 'user_not_found', 'User not found')
        // Without multiConvo "users are [not] allowed to be part of several conversations" (appSettings.multiConvoEnabled).
        const busy = participants.some((p) => [...this.conversations.values()].some((c) => c.participants.includes(p)))
        if (!this.multiConvo && busy) return failure(400, 'bad_request', 'User is already part of a conversation')
        const c: Conversation = {
          id: hex(), type: String(body.type), participants, messages: [], released: false, metadata: (body.metadata as Json) ?? {},
          ...(typeof body.displayName === 'string' ? { displayName: body.displayName } : {}),
          ...(typeof body.description === 'string' ? { description: body.description } : {}),
          active: this.switchboardIntegrations.get(this.defaultSwitchboardIntegrationId),
        }
        this.conversations.set(c.id, c)
        return created({ conversation: { id: c.id, type: c.type, isDefault: false, createdAt: this.tick(), metadata: c.metadata } })
      }
      case 'GetConversation': {
        const c = conversation()
        return c ? ok({ conversation: this.conversationJson(c.id) }) : failure(404, 'conversation_not_found', 'Conversation not found')
      }
      case 'PostMessage': {
        const c = conversation()
        if (!c) return failure(404, 'conversation_not_found', 'Conversation not found')
        const author = body.author as Json
        if (author.type === 'user' && !c.participants.includes(String(author.userId))) return failure(404, 'not_found', 'User is not a member of the conversation')
        const message: Message = { id: hex(), received: this.tick(), author, content: body.content as Json, ...(body.metadata ? { metadata: body.metadata as Json } : {}) }
        c.messages.push(message)
        return created({ messages: [message] })
      }
      case 'PassControl':
      case 'OfferControl': {
        const c = conversation()
        if (!c) return failure(404, 'conversation_not_found', 'Conversation not found')
        const target = this.switchboardIntegration(String(body.switchboardIntegration))
        if (!target) return failure(400, 'bad_request', 'Switchboard integration not found')
        if (operationId === 'OfferControl') {
          // "This cannot match the active switchboard integration" (offerControlBody.switchboardIntegration).
          if (c.active?.id === target.id) return failure(400, 'bad_request', 'Cannot offer control to the active switchboard integration')
          c.pending = target
          return ok()
        }
        c.active = target
        if (c.pending?.id === target.id) c.pending = undefined
        if (target.integrationType === 'zd:agentWorkspace' && c.handedAt === undefined) {
          c.handedAt = c.messages.length
          c.ticket = (body.metadata as Json) ?? {}
        }
        return ok()
      }
      case 'ReleaseControl': {
        const c = conversation()
        if (!c) return failure(404, 'conversation_not_found', 'Conversation not found')
        c.active = undefined
        c.pending = undefined
        c.released = true
        return ok()
      }
      case 'ListIntegrations': {
        // Cursor pagination (spec "API Pagination and Records Limits"): `page[after]` a record id, `page[size]`, `meta.hasMore`.
        const types = url.searchParams.get('filter[types]')?.split(',')
        const all = [...this.integrations.values()].filter((i) => !types || types.includes(i.type))
        const after = url.searchParams.get('page[after]')
        const from = after ? all.findIndex((i) => i.id === after) + 1 : 0
        const size = Number(url.searchParams.get('page[size]') ?? this.pageSize)
        const page = all.slice(from, from + size)
        return ok({ integrations: page.map(integrationJson), meta: { hasMore: from + size < all.length } })
      }
      case 'CreateIntegration': {
        if (body.type !== 'custom') return failure(400, 'bad_request', 'Invalid integration type')
        const hook = (body.webhooks as Json[])[0]!
        const i = this.addIntegration(String(body.displayName ?? ''), String(hook.target), hook.triggers as string[])
        return created({ integration: integrationJson(i) })
      }
      case 'DeleteIntegration': {
        const i = integration()
        if (!i) return failure(404, 'not_found', 'Integration not found')
        if (i.type !== 'custom' || i.displayName !== integrationName(this.section())) this.foreign.push(`DeleteIntegration ${i.type} ${i.displayName ?? ''}`)
        this.integrations.delete(i.id)
        for (const s of [...this.switchboardIntegrations.values()]) if (s.integrationId === i.id) this.switchboardIntegrations.delete(s.id)
        return ok()
      }
      case 'CreateWebhook': {
        const i = integration()
        if (!i) return failure(404, 'not_found', 'Integration not found')
        // "An app is limited to 10 webhooks" (spec tags[name=Webhooks]); a custom integration has one (custom.webhooks maxItems 1).
        if (i.webhooks.length >= 1) return failure(400, 'bad_request', 'The integration already has a webhook')
        const hook: Webhook = { id: hex(), target: String(body.target), triggers: body.triggers as string[], secret: hex(16), includeFullUser: !!body.includeFullUser, includeFullSource: !!body.includeFullSource }
        i.webhooks.push(hook)
        return created({ webhook: hook })
      }
      case 'ListWebhooks': {
        const i = integration()
        return i ? ok({ webhooks: i.webhooks }) : failure(404, 'not_found', 'Integration not found')
      }
      case 'UpdateWebhook':
      case 'DeleteWebhook': {
        const i = integration()
        const hook = i?.webhooks.find((w) => w.id === params[1])
        if (!i || !hook) return failure(404, 'not_found', 'Webhook not found')
        if (operationId === 'DeleteWebhook') {
          i.webhooks = i.webhooks.filter((w) => w !== hook)
          return ok()
        }
        if (typeof body.target === 'string') hook.target = body.target
        if (Array.isArray(body.triggers)) hook.triggers = body.triggers as string[]
        return ok({ webhook: hook })
      }
      case 'ListSwitchboards':
        return ok({ switchboards: [{ id: this.switchboardId, enabled: true, defaultSwitchboardIntegrationId: this.defaultSwitchboardIntegrationId }] })
      case 'UpdateSwitchboard':
        this.foreign.push('UpdateSwitchboard')
        return ok({ switchboard: { id: this.switchboardId, enabled: true } })
      case 'ListSwitchboardIntegrations':
        if (params[0] !== this.switchboardId) return failure(404, 'switchboard_not_found', 'Switchboard not found')
        return ok({ switchboardIntegrations: [...this.switchboardIntegrations.values()] })
      case 'CreateSwitchboardIntegration': {
        if (params[0] !== this.switchboardId) return failure(404, 'switchboard_not_found', 'Switchboard not found')
        // "A switchboard is limited to 10 switchboard integrations" (spec tags[name=Switchboard Integrations]).
        if (this.switchboardIntegrations.size >= 10) return failure(400, 'too_many_switchboard_integrations', 'Switchboard has reached the max number of switchboard integrations (10)')
        if ([...this.switchboardIntegrations.values()].some((s) => s.name === body.name)) return failure(409, 'conflict', 'Switchboard integration name already in use')
        const linked = body.integrationId !== undefined ? this.integrations.get(String(body.integrationId)) : undefined
        if (body.integrationId !== undefined && !linked) return failure(404, 'not_found', 'Integration not found')
        const si: SwitchboardIntegration = {
          id: hex(), name: String(body.name), integrationId: String(body.integrationId ?? hex()), integrationType: linked ? 'custom' : String(body.integrationType),
          deliverStandbyEvents: body.deliverStandbyEvents !== false,
        }
        this.switchboardIntegrations.set(si.id, si)
        return created({ switchboardIntegration: si })
      }
      case 'UpdateSwitchboardIntegration':
      case 'DeleteSwitchboardIntegration': {
        const si = this.switchboardIntegrations.get(params[1]!)
        if (params[0] !== this.switchboardId || !si) return failure(404, 'not_found', 'Switchboard integration not found')
        if (operationId === 'UpdateSwitchboardIntegration' || !mine(si)) this.foreign.push(`${operationId} ${si.name}`)
        if (operationId === 'DeleteSwitchboardIntegration') this.switchboardIntegrations.delete(si.id)
        return ok()
      }
      default:
        return failure(404, 'not_found', 'Not found')
    }
  }
}
