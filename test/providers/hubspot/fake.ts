/**
 * An in-memory HubSpot behind msw: OAuth tokens with expiry (and optional rotation of refresh tokens), custom
 * channels (app-level, developer API key) that may take a while to become usable, channel accounts, threads and
 * messages of the custom channel, agents (actors), CRM contacts with a search index, the file manager, the app's
 * webhook settings, and the webhooks HubSpot sends — signed v3 (and v1 for app webhooks) against the URL HubSpot
 * calls.
 *
 * Every request is checked: the authentication each endpoint documents (hapikey + appId vs Bearer, and never the
 * developer key on a portal endpoint), the body and parameters against our request contract written from HubSpot's
 * documentation (contract.ts), and the documented rules a schema cannot express (identifier formats, declared
 * identifier types, known capability keys).
 * What breaks them is recorded in `violations()`. Faults (429, 5xx, …) can be injected per operation.
 */
import { createHash, createHmac, randomBytes, randomUUID } from 'node:crypto'
import { http, HttpResponse } from 'msw'
import { setupServer, type SetupServer } from 'msw/node'
import type { InboundMessage, WebhookRequest } from '../../../src/core/types'
import type { FakeAgent, FakeContact, FakeProvider, LookupFault, FakeSession, RateLimitPlan, RateLimitWindow, ReceivedMessage } from '../../conformance/fake'
import { rateLimitWindow } from '../../support/fake-plumbing'
import { validateRequest, validateResponse } from './contract-validator'

export const HOST = 'https://api.hubapi.com'
export const FILE_HOST = 'https://example.com'

export const CREDENTIALS = {
  developerApiKey: 'dev-key-8f14e45f-ceea-467f-a0e6-b7a5c3e2d1f0',
  appId: '1098266',
  clientId: '5f4dcc3b-5aa7-4e0a-8d6b-9c1e2f3a4b5c',
  clientSecret: 'client-secret-3f2a1b0c-9d8e-4f7a-b6c5-d4e3f2a1b0c9',
  refreshToken: 'refresh-6f18f26a-3e95-4d95-a6e5-3d5c6e5c9e5a',
  helpDeskId: '1431487401',
}
export const PORTAL_ID = 22761544
export const INBOX_ID = '1431487392'

export const ALL_SCOPES = [
  'oauth',
  'conversations.read',
  'conversations.write',
  'conversations.custom_channels.read',
  'conversations.custom_channels.write',
  'crm.objects.contacts.read',
  'crm.objects.contacts.write',
  'files',
]

const CAPABILITY_KEYS: Record<string, 'strings' | 'boolean' | 'integer' | 'string'> = {
  deliveryIdentifierTypes: 'strings',
  threadingModel: 'string',
  richText: 'strings',
  allowInlineImages: 'boolean',
  allowOutgoingMessages: 'boolean',
  allowConversationStart: 'boolean',
  allowMultipleRecipients: 'boolean',
  outgoingAttachmentTypes: 'strings',
  allowedFileAttachmentMimeTypes: 'strings',
  maxFileAttachmentCount: 'integer',
  maxFileAttachmentSizeBytes: 'integer',
  maxTotalFileAttachmentSizeBytes: 'integer',
}
const IDENTIFIER_TYPES = ['HS_EMAIL_ADDRESS', 'HS_PHONE_NUMBER', 'CHANNEL_SPECIFIC_OPAQUE_ID', 'HS_SHORT_CODE']
const RICH_TEXT = ['BLOCKQUOTE', 'BOLD', 'FONT_SIZE', 'FONT_STYLE', 'HYPERLINK', 'ITALIC', 'LISTS', 'TEXT_ALIGNMENT', 'TEXT_HIGHLIGHT_COLOR', 'TEXT_COLOR', 'UNDERLINE']
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/
const E164 = /^\+[1-9]\d{6,14}$/

type Identifier = { type: string; value: string }
type Participant = { name?: string; deliveryIdentifier: Identifier; actorId?: string }
type Channel = {
  id: string
  name: string
  webhookUrl?: string
  channelDescription?: string
  channelLogoUrl?: string
  channelAccountConnectionRedirectUrl?: string
  capabilities: Record<string, unknown>
  createdAt: string
  archived: boolean
  /** Requests that still answer as if the channel did not exist (HubSpot's connection delay). */
  hiddenFor: number
}
type Account = { id: string; channelId: string; inboxId: string; name: string; authorized: boolean; archived: boolean; createdAt: string; deliveryIdentifier?: Identifier }
type FileRec = {
  id: string
  name: string
  extension: string
  mime: string
  size: number
  access: string
  path: string
  url: string
  sourceUrl?: string
  /** The content of a text file (what an agent reads when opening it). */
  text?: string
  createdAt: string
}
type Attachment = { type: 'FILE'; fileId: string; fileUsageType: string; name?: string; url?: string }
export type Message = {
  id: string
  threadId: string
  channelId: string
  channelAccountId: string
  direction: 'INCOMING' | 'OUTGOING'
  clientType: 'INTEGRATION' | 'HUBSPOT'
  text: string
  richText?: string
  senders: Participant[]
  recipients: Participant[]
  attachments: Attachment[]
  idempotencyId?: string
  contactId?: string
  createdBy: string
  createdAt: string
}
export type Thread = {
  id: string
  integrationThreadId: string
  channelId: string
  channelAccountId: string
  inboxId: string
  contactId?: string
  status: 'OPEN' | 'CLOSED'
  archived: boolean
  assignedTo?: string
  createdAt: string
  closedAt?: string
  messages: Message[]
}
type Contact = { id: string; properties: Record<string, string>; createdAt: string; indexed: boolean }
type Actor = { id: string; userId: string; name: string; email: string; avatar?: string }
type Subscription = { id: string; eventType: string; propertyName?: string; active: boolean; createdAt: string; updatedAt: string }
export type Call = { op: string; method: string; path: string; query: string; headers: Record<string, string>; body?: unknown; status?: number }
/** `after`: the request is processed first and its answer lost (a timeout or 5xx after HubSpot stored it). */
type Fault = { status: number; body?: unknown; headers?: Record<string, string>; times: number; after?: boolean }

const now = () => new Date().toISOString()
const hex = (n = 16) => randomBytes(n).toString('hex')
const error = (status: number, category: string, message: string, extra: Record<string, unknown> = {}, headers?: Record<string, string>) =>
  HttpResponse.json({ status: 'error', message, correlationId: randomUUID(), category, ...extra }, { status, headers })

const MIME: Record<string, string> = {
  png: 'image/png', jpg: 'image/jpeg', gif: 'image/gif', mp3: 'audio/mpeg', mp4: 'video/mp4', pdf: 'application/pdf', txt: 'text/plain',
}
const mimeOfPath = (p: string) => MIME[/\.([a-z0-9]+)$/i.exec(p)?.[1]?.toLowerCase() ?? ''] ?? 'application/octet-stream'
/** What the fake file host serves: the bytes name their own URL, so an upload can be traced back to its source. */
export const fileBytes = (url: string) => Buffer.from(`FAKEFILE:${url}`)

/** v3 signing, written independently of the adapter (HubSpot's documented algorithm). */
const decodeForSigning = (uri: string) =>
  uri.replace(/%(3A|2F|3F|40|21|24|27|28|29|2A|2C|3B)/gi, (m) => decodeURIComponent(m))
export const v3Signature = (secret: string, method: string, uri: string, body: string, timestamp: string) =>
  createHmac('sha256', secret).update(`${method}${decodeForSigning(uri)}${body}${timestamp}`, 'utf8').digest('base64')
export const v1Signature = (secret: string, body: string) => createHash('sha256').update(`${secret}${body}`, 'utf8').digest('hex')

/** A webhook request as the fake builds it (every header set). */
export type SignedRequest = WebhookRequest & { headers: Record<string, string> }

export type SignOptions = {
  /** The URL HubSpot calls (defaults to the channel's webhook URL / the app's target URL). */
  url?: string
  secret?: string
  timestamp?: number
  /** Which signatures to attach. */
  versions?: Array<'v1' | 'v3'>
  /** The sub-path and query Botpress forwards (defaults from `url` relative to the webhook URL: "/" and ""). */
  path?: string
  query?: string
}

export class HubspotFake implements FakeProvider {
  readonly name = 'hubspot'
  readonly credentials = { ...CREDENTIALS }
  server!: SetupServer

  // knobs
  tokenTtlSeconds = 1800
  rotateRefreshTokens = false
  scopes = new Set(ALL_SCOPES)
  /** Probes (account list/create, channel get) a newly created channel stays invisible for. */
  channelLag = 0
  /** Every Bearer token refused (a revoked installation). */
  rejectAllBearer = false
  /** New contacts reach the search index only after this many searches (HubSpot's search is eventually consistent). */
  searchLag = 0

  // HubSpot's state
  accessTokens = new Map<string, number>()
  refreshTokens = new Set<string>([CREDENTIALS.refreshToken])
  channels = new Map<string, Channel>()
  accounts = new Map<string, Account>()
  threads = new Map<string, Thread>()
  contactsById = new Map<string, Contact>()
  files = new Map<string, FileRec>()
  actors = new Map<string, Actor>()
  webhookSettings?: { targetUrl: string; throttling: { maxConcurrentRequests: number }; createdAt: string; updatedAt: string }
  subscriptions: Subscription[] = []
  inboxes = [
    { id: INBOX_ID, name: 'Inbox', type: 'INBOX', archived: false, createdAt: '2025-05-16T03:42:04.565Z', updatedAt: '2025-05-16T03:42:04.565Z' },
    { id: CREDENTIALS.helpDeskId, name: 'Help Desk', type: 'HELP_DESK', archived: false, createdAt: '2025-05-16T03:42:05.461Z', updatedAt: '2025-05-16T03:42:05.461Z' },
  ]

  calls: Call[] = []
  private problems: string[] = []
  private faults = new Map<string, Fault[]>()
  /** Last `occurredAt` of an app event (ms), increasing: two in the same millisecond would tie. */
  private occurredAt = 0
  private seq = { channel: 1000, account: 2000, thread: 7845123456, contact: 150, file: 184467440737, event: 4000, user: 987650 }
  private searchesSinceCreate = 0

  constructor(opts: { hubId?: number } = {}) {
    this.hubId = opts.hubId ?? PORTAL_ID
  }
  readonly hubId: number

  configuration() {
    return { provider: 'hubspot', hubspot: { ...this.credentials } }
  }

  async start() {
    this.server = setupServer(
      http.all(`${HOST}/*`, ({ request }) => this.handle(request)),
      http.get(`${FILE_HOST}/*`, ({ request }) => this.download(request))
    )
    this.server.listen({ onUnhandledRequest: 'bypass' })
  }

  async stop() {
    this.server?.close()
  }

  /** Forgets the portal's conversations, contacts, files, counters and injected faults; the app (channels, accounts, tokens, agents) stays. */
  reset() {
    this.threads.clear()
    this.contactsById.clear()
    this.files.clear()
    this.calls = []
    this.problems = []
    this.faults.clear()
    this.searchesSinceCreate = 0
    this.rejectAllBearer = false
    this.channelLag = 0
    this.searchLag = 0
    this.scopes = new Set(ALL_SCOPES)
  }

  /** Everything, including the app's channels, accounts, tokens and settings. */
  resetAll() {
    this.reset()
    this.channels.clear()
    this.accounts.clear()
    this.accessTokens.clear()
    this.refreshTokens = new Set([this.credentials.refreshToken])
    this.actors.clear()
    this.webhookSettings = undefined
    this.subscriptions = []
    this.rotateRefreshTokens = false
    this.tokenTtlSeconds = 1800
    this.echoInErrors = false
  }

  /** The next `times` requests of `op` answer this fault (after authentication and validation). */
  fail(op: string, fault: { status: number; body?: unknown; headers?: Record<string, string>; after?: boolean }, times = 1) {
    const list = this.faults.get(op) ?? []
    list.push({ ...fault, times })
    this.faults.set(op, list)
  }

  /** Forgets injected faults (the outage is over). */
  clearFaults() {
    this.faults.clear()
  }

  violations() {
    return [...this.problems]
  }
  requestCount() {
    return this.calls.length
  }
  count(op: string) {
    return this.calls.filter((c) => c.op === op).length
  }
  callsOf(op: string) {
    return this.calls.filter((c) => c.op === op)
  }

  // ─── FakeProvider views ─────────────────────────────────────────────────────

  contacts(): FakeContact[] {
    return [...this.contactsById.values()].map((c) => ({
      id: c.id,
      name: [c.properties.firstname, c.properties.lastname].filter(Boolean).join(' ') || undefined,
      email: c.properties.email,
      phone: c.properties.phone,
    }))
  }

  /** The opening of a thread: its first message and the continuation parts sharing its idempotency id. */
  private openingOf(thread: Thread): Message[] {
    const first = thread.messages[0]
    if (!first) return []
    const base = (first.idempotencyId ?? first.id).split('#')[0]
    return thread.messages.filter((m) => m === first || (m.idempotencyId && m.idempotencyId.split('#')[0] === base))
  }

  sessions(): FakeSession[] {
    return [...this.threads.values()].map((t) => ({
      id: t.integrationThreadId,
      contactId: t.contactId,
      // What the agent sees: the opening messages and any text file attached to them.
      openingText: this.openingOf(t)
        .flatMap((m) => [m.text, ...m.attachments.map((a) => this.files.get(a.fileId)?.text ?? '')])
        .filter(Boolean)
        .join('\n'),
      closed: t.status === 'CLOSED',
    }))
  }

  thread(sessionId: string) {
    return [...this.threads.values()].find((t) => t.integrationThreadId === sessionId)
  }

  received(sessionId: string): ReceivedMessage[] {
    const thread = this.thread(sessionId)
    if (!thread) return []
    const opening = new Set(this.openingOf(thread))
    return thread.messages
      .filter((m) => m.clientType === 'INTEGRATION' && !opening.has(m))
      .map((m): ReceivedMessage => {
        const author = m.direction === 'INCOMING' ? 'user' : 'bot'
        const file = m.attachments[0] ? this.files.get(m.attachments[0].fileId) : undefined
        if (file) {
          const usage = m.attachments[0]!.fileUsageType
          const kind = usage === 'IMAGE' ? 'image' : usage === 'AUDIO' ? 'audio' : file.mime.startsWith('video/') ? 'video' : 'file'
          // An attachment's `text` is its title (HubSpot requires text on every message): shown as the file's title.
          return { author, contactId: m.contactId, kind, url: file.sourceUrl ?? file.url, title: m.text || file.name }
        }
        return { author, contactId: author === 'user' ? m.contactId : undefined, kind: 'text', text: m.text }
      })
  }

  // ─── webhooks HubSpot sends ─────────────────────────────────────────────────

  private ourChannel(): Channel | undefined {
    return [...this.channels.values()].find((c) => !c.archived && !this.foreign.has(c.id))
  }

  /** A request as Botpress forwards it, signed as HubSpot signs it for the URL it calls. */
  signed(body: string, opts: SignOptions & { defaultUrl?: string } = {}): SignedRequest {
    const base = (opts.defaultUrl ?? this.ourChannel()?.webhookUrl ?? 'https://webhook.botpress.cloud/unknown').replace(/\/+$/, '')
    const sub = opts.path && opts.path !== '/' ? opts.path : ''
    const url = opts.url ?? `${base}${sub}${opts.query ? `?${opts.query}` : ''}`
    const timestamp = String(opts.timestamp ?? Date.now())
    const secret = opts.secret ?? this.credentials.clientSecret
    // Every HTTP/1.1 request names the host it was sent to.
    const host = (() => {
      try {
        return new URL(url).host
      } catch {
        return 'unknown.invalid'
      }
    })()
    const headers: Record<string, string> = { host, 'content-type': 'application/json', 'user-agent': 'HubSpot Connect 2.0 (http://dev.hubspot.com/)' }
    const versions = opts.versions ?? ['v3']
    if (versions.includes('v3')) {
      headers['x-hubspot-signature-v3'] = v3Signature(secret, 'POST', url, body, timestamp)
      headers['x-hubspot-request-timestamp'] = timestamp
    }
    if (versions.includes('v1')) {
      headers['x-hubspot-signature'] = v1Signature(secret, body)
      headers['x-hubspot-signature-version'] = 'v1'
    }
    return { method: 'POST', path: opts.path ?? '/', query: opts.query ?? '', headers, body }
  }

  /** A custom-channel delivery (object with a type) to the channel's webhook URL. */
  delivery(payload: Record<string, unknown>, opts: SignOptions = {}): SignedRequest {
    return this.signed(JSON.stringify(payload), { ...opts })
  }

  /** App webhook events (an array) to the app's target URL, signed v3 and v1 like HubSpot's CRM-style webhooks. */
  appWebhook(events: Array<Record<string, unknown>>, opts: SignOptions = {}): SignedRequest {
    return this.signed(JSON.stringify(events), { versions: ['v1', 'v3'], defaultUrl: this.webhookSettings?.targetUrl, ...opts })
  }

  appEvent(threadId: string | number, fields: Record<string, unknown>) {
    return {
      eventId: ++this.seq.event,
      subscriptionId: 1870311,
      portalId: this.hubId,
      appId: Number(this.credentials.appId),
      occurredAt: (this.occurredAt = Math.max(Date.now(), this.occurredAt + 1)),
      attemptNumber: 0,
      objectId: Number(threadId),
      changeSource: 'CONVERSATIONS',
      ...fields,
    }
  }

  /**
   * HubSpot's documented 429 (https://developers.hubspot.com/docs/guides/apps/api-usage/usage-details, "Rate limits"):
   * JSON `{ status: 'error', message, errorType: 'RATE_LIMIT', correlationId, policyName, requestId }` where policyName
   * says which limit was hit (`TEN_SECONDLY_ROLLING`, `SECONDLY`, `DAILY`, the daily one resetting at midnight in the
   * account's time zone), with `X-HubSpot-RateLimit-Interval-Milliseconds` / `-Max` / `-Remaining` for the burst window
   * and `X-HubSpot-RateLimit-Daily` / `-Daily-Remaining` for the day. No reset time and no Retry-After.
   */
  rateLimited(plan: RateLimitPlan): RateLimitWindow | undefined {
    return rateLimitWindow(this.server, {
      bases: [HOST],
      now: plan.now,
      until: plan.daily ? Number.POSITIVE_INFINITY : plan.now() + plan.resetInMs,
      resetInMs: plan.resetInMs,
      answer: () => {
        const body = plan.daily
          ? { status: 'error', message: 'You have reached your daily limit.', errorType: 'RATE_LIMIT', correlationId: randomUUID(), policyName: 'DAILY', requestId: randomUUID() }
          : { status: 'error', message: 'You have reached your ten_secondly_rolling limit.', errorType: 'RATE_LIMIT', correlationId: randomUUID(), policyName: 'TEN_SECONDLY_ROLLING', requestId: randomUUID() }
        const headers: Record<string, string> = plan.daily
          ? { 'X-HubSpot-RateLimit-Daily': '250000', 'X-HubSpot-RateLimit-Daily-Remaining': '0' }
          : { 'X-HubSpot-RateLimit-Interval-Milliseconds': String(plan.resetInMs), 'X-HubSpot-RateLimit-Max': '100', 'X-HubSpot-RateLimit-Remaining': '0' }
        return HttpResponse.json(body, { status: 429, headers })
      },
    })
  }

  /** What connect creates: the custom channel (its channel account is archived with it). */
  registrations() {
    return [...this.channels.values()].filter((c) => !c.archived && !this.foreign.has(c.id)).length
  }

  private readonly foreign = new Set<string>()

  /** A custom channel of the app that the integration did not create: it points at another system's URL. */
  plantForeignRegistration() {
    const id = String(++this.seq.channel)
    this.channels.set(id, {
      id,
      name: 'Another system',
      webhookUrl: 'https://elsewhere.example.com/hubspot-channel',
      capabilities: {},
      createdAt: new Date().toISOString(),
      archived: false,
      hiddenFor: 0,
    })
    this.foreign.add(id)
    return {
      exists: () => this.channels.get(id)?.archived === false,
      remove: () => {
        this.channels.delete(id)
        this.foreign.delete(id)
      },
    }
  }

  /** An agent (actor) HubSpot knows: GET /conversations/v3/conversations/actors/{actorId} answers it. */
  knownAgent(): FakeAgent {
    const actor = this.actorOf({ id: 'agent-known', name: 'Kim Known', pictureUrl: 'https://example.com/kim.png' })
    return { id: actor.id, name: actor.name, pictureUrl: actor.avatar }
  }

  actorOf(agent: FakeAgent): Actor {
    let actor = [...this.actors.values()].find((a) => a.email === `${agent.id}@agents.example.com`)
    if (!actor) {
      const userId = String(++this.seq.user)
      actor = { id: `A-${userId}`, userId, name: agent.name, email: `${agent.id}@agents.example.com`, avatar: agent.pictureUrl }
      this.actors.set(actor.id, actor)
    }
    return actor
  }

  private threadIdOf(sessionId: string) {
    return this.thread(sessionId)?.id ?? '9999999999'
  }

  /** The agent's reply as HubSpot delivers it; recorded in the thread. */
  agentMessage(sessionId: string, agent: FakeAgent, message: InboundMessage, opts: { messageId?: string } & SignOptions = {}) {
    const actor = this.actorOf(agent)
    const thread = this.thread(sessionId)
    const channel = (thread && this.channels.get(thread.channelId)) ?? this.ourChannel()
    const attachments: Attachment[] =
      message.type === 'text'
        ? []
        : [
            {
              type: 'FILE',
              fileId: String(++this.seq.file),
              fileUsageType: message.type === 'image' ? 'IMAGE' : message.type === 'audio' ? 'AUDIO' : 'OTHER',
              name: message.title ?? new URL(message.url).pathname.split('/').pop() ?? 'file',
              url: message.url,
            },
          ]
    const text = message.type === 'text' ? message.text : ''
    const record: Message = {
      id: opts.messageId ?? hex(),
      threadId: thread?.id ?? this.threadIdOf(sessionId),
      channelId: channel?.id ?? '1001',
      channelAccountId: thread?.channelAccountId ?? '2001',
      direction: 'OUTGOING',
      clientType: 'HUBSPOT',
      text,
      ...(text ? { richText: `<div>${text.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</div>` } : {}),
      senders: [{ actorId: actor.id, name: actor.name, deliveryIdentifier: { type: 'CHANNEL_SPECIFIC_OPAQUE_ID', value: 'hubspot' } }],
      recipients: thread?.messages[0]?.senders.map((s) => ({ ...s })) ?? [],
      attachments,
      createdBy: actor.id,
      createdAt: now(),
    }
    if (thread && !thread.messages.some((m) => m.id === record.id)) thread.messages.push(record)
    return this.delivery(
      {
        type: 'OUTGOING_CHANNEL_MESSAGE_CREATED',
        portalId: this.hubId,
        channelId: record.channelId,
        eventTimestamp: record.createdAt,
        channelIntegrationThreadIds: [sessionId],
        message: this.publicMessage(record),
      },
      opts
    )
  }

  agentAssigned(sessionId: string, agent: FakeAgent, opts: SignOptions & { bare?: boolean } = {}) {
    const actor = this.actorOf(agent)
    const thread = this.thread(sessionId)
    if (thread) thread.assignedTo = actor.id
    // HubSpot's propertyValue format is not documented: bare user id by default, "A-…" with bare: false.
    const value = opts.bare === false ? actor.id : actor.userId
    return this.appWebhook([this.appEvent(this.threadIdOf(sessionId), { subscriptionType: 'conversation.propertyChange', propertyName: 'assignedTo', propertyValue: value })], opts)
  }

  sessionClosed(sessionId: string, opts: SignOptions = {}) {
    const thread = this.thread(sessionId)
    if (thread) {
      thread.status = 'CLOSED'
      thread.closedAt = now()
    }
    return this.appWebhook([this.appEvent(this.threadIdOf(sessionId), { subscriptionType: 'conversation.propertyChange', propertyName: 'status', propertyValue: 'CLOSED' })], opts)
  }

  /**
   * Bench (foreign traffic): an assignment in a thread another channel of the portal opened (e-mail, chat), as the
   * app-wide `conversation.propertyChange` subscription delivers it. `thread` reuses a thread; absent, a new one.
   */
  foreignTraffic(thread?: string): SignedRequest {
    const id = thread ?? String(++this.seq.thread + 1_000_000)
    if (!this.threads.has(id)) {
      this.threads.set(id, {
        id,
        integrationThreadId: `foreign-${id}`,
        channelId: '1000',
        channelAccountId: '555',
        inboxId: INBOX_ID,
        status: 'OPEN',
        archived: false,
        createdAt: now(),
        messages: [],
      })
    }
    return this.appWebhook([this.appEvent(id, { subscriptionType: 'conversation.propertyChange', propertyName: 'assignedTo', propertyValue: '987650' })])
  }

  /** Reliability suite: HubSpot posts to the webhook URL itself. */
  readonly webhookPaths = ['/']

  /** The same request with the last significant character of each signature changed (same length). */
  wrongLength(req: WebhookRequest): WebhookRequest {
    const flip = (sig: string | undefined) => {
      if (!sig) return sig
      const i = sig.replace(/=+$/, '').length - 1
      return `${sig.slice(0, i)}${sig[i] === 'A' ? 'B' : 'A'}${sig.slice(i + 1)}`
    }
    const headers = { ...req.headers }
    for (const k of ['x-hubspot-signature-v3', 'x-hubspot-signature']) if (headers[k]) headers[k] = flip(headers[k])
    return { ...req, headers }
  }

  /** The same request signed ten minutes ago (v3 carries a timestamp; v1 does not, so it is dropped). */
  stale(req: WebhookRequest): WebhookRequest {
    const versions: Array<'v1' | 'v3'> = req.headers['x-hubspot-signature-v3'] ? ['v3'] : ['v1']
    return this.signed(req.body, { versions, path: req.path, query: req.query, timestamp: Date.now() - 10 * 60_000 })
  }

  /**
   * An assignment (`propertyValue` = the user id) names the agent by id only: applying it asks the actors API
   * (GET /conversations/v3/conversations/actors/{actorId}, op getActor) for the name.
   */
  lookupFault(sessionId: string, agent: FakeAgent): LookupFault {
    return {
      webhook: this.agentAssigned(sessionId, agent),
      what: 'the actor of an assignment (GET …/actors/{actorId})',
      fail: (status) => this.fail('getActor', { status }, 1000),
      recover: () => this.clearFaults(),
    }
  }

  /** v3 headers removed from an app webhook, leaving its v1 signature (no timestamp); undefined for a v3-only request. */
  downgraded(req: WebhookRequest): WebhookRequest | undefined {
    if (!req.headers['x-hubspot-signature'] || !req.headers['x-hubspot-signature-v3']) return undefined
    const v3 = new Set(['x-hubspot-signature-v3', 'x-hubspot-request-timestamp'])
    return { ...req, headers: Object.fromEntries(Object.entries(req.headers).filter(([k]) => !v3.has(k.toLowerCase()))) }
  }

  unsigned(req: WebhookRequest): WebhookRequest {
    return { ...req, headers: Object.fromEntries(Object.entries(req.headers).filter(([k]) => !k.toLowerCase().startsWith('x-hubspot-'))) }
  }

  forged(req: WebhookRequest): WebhookRequest {
    const wrong = 'x'.repeat(this.credentials.clientSecret.length)
    const headers = { ...req.headers }
    const ts = headers['x-hubspot-request-timestamp'] ?? String(Date.now())
    const url = this.ourChannel()?.webhookUrl ?? 'https://webhook.botpress.cloud/unknown'
    if (headers['x-hubspot-signature-v3']) headers['x-hubspot-signature-v3'] = v3Signature(wrong, 'POST', url, req.body, ts)
    if (headers['x-hubspot-signature']) headers['x-hubspot-signature'] = v1Signature(wrong, req.body)
    return { ...req, headers }
  }

  // ─── the HTTP side ──────────────────────────────────────────────────────────

  private violation(call: Call, message: string) {
    this.problems.push(`${call.method} ${call.path} (${call.op}): ${message}`)
  }

  private async download(request: Request) {
    const url = new URL(request.url)
    const call: Call = { op: 'download', method: request.method, path: url.pathname, query: url.search, headers: {} }
    this.calls.push(call)
    const fault = this.takeFault('download')
    if (fault) return fault
    if (url.pathname.includes('missing')) return new HttpResponse('not found', { status: 404 })
    const body = url.pathname.includes('huge') ? Buffer.alloc(10_000_001, 1) : fileBytes(request.url)
    return new HttpResponse(new Uint8Array(body), { status: 200, headers: { 'content-type': mimeOfPath(url.pathname), 'content-length': String(body.length) } })
  }

  private takeFault(op: string, after = false) {
    const list = this.faults.get(op)
    const fault = list?.[0]
    if (!fault || !!fault.after !== after) return undefined
    if (--fault.times <= 0) list!.shift()
    return HttpResponse.json((fault.body ?? { status: 'error', message: `injected ${fault.status}`, correlationId: randomUUID(), category: fault.status === 429 ? 'RATE_LIMITS' : 'INTERNAL_ERROR' }) as never, {
      status: fault.status,
      headers: fault.headers,
    })
  }

  private routes: Array<{
    op: string
    method: string
    re: RegExp
    names: string[]
    contract: string
    auth: 'developer' | 'bearer' | 'form'
    scopes?: string[]
    run: (ctx: Ctx) => Response | Promise<Response>
  }> = [
    // The 2026-03 OAuth API (https://developers.hubspot.com/docs/api-reference/2026-03/authentication/oauth-tokens/refresh-oauth-token).
    { op: 'token', method: 'POST', re: /^\/oauth\/2026-03\/token$/, names: [], contract: 'POST /oauth/2026-03/token', auth: 'form', run: (c) => this.token(c) },
    { op: 'introspect', method: 'POST', re: /^\/oauth\/2026-03\/token\/introspect$/, names: [], contract: 'POST /oauth/2026-03/token/introspect', auth: 'form', run: (c) => this.introspect(c) },
    // v1 is retired on 2027-02-16 (https://developers.hubspot.com/changelog/v1-oauth-api-deprecation): calling it is a violation.
    { op: 'tokenV1', method: 'POST', re: /^\/oauth\/v1\/token$/, names: [], contract: 'POST /oauth/2026-03/token', auth: 'form', run: (c) => this.deprecated(c) },
    { op: 'listChannels', method: 'GET', re: /^\/conversations\/v3\/custom-channels\/?$/, names: [], contract: 'GET /conversations/v3/custom-channels', auth: 'developer', run: (c) => this.listChannels(c) },
    { op: 'createChannel', method: 'POST', re: /^\/conversations\/v3\/custom-channels\/?$/, names: [], contract: 'POST /conversations/v3/custom-channels', auth: 'developer', run: (c) => this.createChannel(c) },
    { op: 'getChannel', method: 'GET', re: /^\/conversations\/v3\/custom-channels\/([^/]+)$/, names: ['channelId'], contract: 'GET /conversations/v3/custom-channels/{channelId}', auth: 'developer', run: (c) => this.getChannel(c) },
    { op: 'patchChannel', method: 'PATCH', re: /^\/conversations\/v3\/custom-channels\/([^/]+)$/, names: ['channelId'], contract: 'PATCH /conversations/v3/custom-channels/{channelId}', auth: 'developer', run: (c) => this.patchChannel(c) },
    { op: 'deleteChannel', method: 'DELETE', re: /^\/conversations\/v3\/custom-channels\/([^/]+)$/, names: ['channelId'], contract: 'DELETE /conversations/v3/custom-channels/{channelId}', auth: 'developer', run: (c) => this.deleteChannel(c) },
    { op: 'listAccounts', method: 'GET', re: /^\/conversations\/v3\/custom-channels\/([^/]+)\/channel-accounts$/, names: ['channelId'], contract: 'GET /conversations/v3/custom-channels/{channelId}/channel-accounts', auth: 'bearer', scopes: ['conversations.custom_channels.read', 'conversations.custom_channels.write'], run: (c) => this.listAccounts(c) },
    { op: 'createAccount', method: 'POST', re: /^\/conversations\/v3\/custom-channels\/([^/]+)\/channel-accounts$/, names: ['channelId'], contract: 'POST /conversations/v3/custom-channels/{channelId}/channel-accounts', auth: 'bearer', scopes: ['conversations.custom_channels.write'], run: (c) => this.createAccount(c) },
    { op: 'patchAccount', method: 'PATCH', re: /^\/conversations\/v3\/custom-channels\/([^/]+)\/channel-accounts\/([^/]+)$/, names: ['channelId', 'channelAccountId'], contract: 'PATCH /conversations/v3/custom-channels/{channelId}/channel-accounts/{channelAccountId}', auth: 'bearer', scopes: ['conversations.custom_channels.write'], run: (c) => this.patchAccount(c) },
    { op: 'publish', method: 'POST', re: /^\/conversations\/v3\/custom-channels\/([^/]+)\/messages$/, names: ['channelId'], contract: 'POST /conversations/v3/custom-channels/{channelId}/messages', auth: 'bearer', scopes: ['conversations.custom_channels.write'], run: (c) => this.publish(c) },
    { op: 'listInboxes', method: 'GET', re: /^\/conversations\/v3\/conversations\/inboxes$/, names: [], contract: 'GET /conversations/v3/conversations/inboxes', auth: 'bearer', scopes: ['conversations.read'], run: () => HttpResponse.json({ total: this.inboxes.length, results: this.inboxes }) },
    { op: 'getInbox', method: 'GET', re: /^\/conversations\/v3\/conversations\/inboxes\/([^/]+)$/, names: ['inboxId'], contract: 'GET /conversations/v3/conversations/inboxes/{inboxId}', auth: 'bearer', scopes: ['conversations.read'], run: (c) => this.getInbox(c) },
    { op: 'getThread', method: 'GET', re: /^\/conversations\/v3\/conversations\/threads\/([^/]+)$/, names: ['threadId'], contract: 'GET /conversations/v3/conversations/threads/{threadId}', auth: 'bearer', scopes: ['conversations.read'], run: (c) => this.getThread(c) },
    { op: 'patchThread', method: 'PATCH', re: /^\/conversations\/v3\/conversations\/threads\/([^/]+)$/, names: ['threadId'], contract: 'PATCH /conversations/v3/conversations/threads/{threadId}', auth: 'bearer', scopes: ['conversations.write'], run: (c) => this.patchThread(c) },
    { op: 'getActor', method: 'GET', re: /^\/conversations\/v3\/conversations\/actors\/([^/]+)$/, names: ['actorId'], contract: 'GET /conversations/v3/conversations/actors/{actorId}', auth: 'bearer', scopes: ['conversations.read'], run: (c) => this.getActor(c) },
    { op: 'uploadFile', method: 'POST', re: /^\/files\/v3\/files$/, names: [], contract: 'POST /files/v3/files', auth: 'bearer', scopes: ['files', 'files.write', 'files.ui_hidden.write'], run: (c) => this.upload(c) },
    { op: 'signedUrl', method: 'GET', re: /^\/files\/v3\/files\/([^/]+)\/signed-url$/, names: ['fileId'], contract: 'GET /files/v3/files/{fileId}/signed-url', auth: 'bearer', scopes: ['files', 'files.read', 'files.ui_hidden.read'], run: (c) => this.signedUrl(c) },
    { op: 'searchContacts', method: 'POST', re: /^\/crm\/v3\/objects\/contacts\/search$/, names: [], contract: 'POST /crm/v3/objects/contacts/search', auth: 'bearer', scopes: ['crm.objects.contacts.read'], run: (c) => this.searchContacts(c) },
    { op: 'createContact', method: 'POST', re: /^\/crm\/v3\/objects\/contacts$/, names: [], contract: 'POST /crm/v3/objects/contacts', auth: 'bearer', scopes: ['crm.objects.contacts.write'], run: (c) => this.createContact(c) },
    { op: 'getWebhookSettings', method: 'GET', re: /^\/webhooks\/v3\/([^/]+)\/settings$/, names: ['appId'], contract: 'GET /webhooks/v3/{appId}/settings', auth: 'developer', run: (c) => this.getSettings(c) },
    { op: 'putWebhookSettings', method: 'PUT', re: /^\/webhooks\/v3\/([^/]+)\/settings$/, names: ['appId'], contract: 'PUT /webhooks/v3/{appId}/settings', auth: 'developer', run: (c) => this.putSettings(c) },
    { op: 'listSubscriptions', method: 'GET', re: /^\/webhooks\/v3\/([^/]+)\/subscriptions$/, names: ['appId'], contract: 'GET /webhooks/v3/{appId}/subscriptions', auth: 'developer', run: () => HttpResponse.json({ results: this.subscriptions }) },
    { op: 'createSubscription', method: 'POST', re: /^\/webhooks\/v3\/([^/]+)\/subscriptions$/, names: ['appId'], contract: 'POST /webhooks/v3/{appId}/subscriptions', auth: 'developer', run: (c) => this.createSubscription(c) },
    { op: 'patchSubscription', method: 'PATCH', re: /^\/webhooks\/v3\/([^/]+)\/subscriptions\/([^/]+)$/, names: ['appId', 'subscriptionId'], contract: 'PATCH /webhooks/v3/{appId}/subscriptions/{subscriptionId}', auth: 'developer', run: (c) => this.patchSubscription(c) },
  ]

  private async handle(request: Request): Promise<Response> {
    const url = new URL(request.url)
    const headers: Record<string, string> = {}
    request.headers.forEach((v, k) => (headers[k] = v))
    const method = request.method.toUpperCase()
    const route = this.routes.find((r) => r.method === method && r.re.test(url.pathname))
    const call: Call = { op: route?.op ?? 'unknown', method, path: url.pathname, query: url.search, headers }
    this.calls.push(call)
    if (!route) {
      this.violation(call, 'no such HubSpot endpoint')
      return error(404, 'OBJECT_NOT_FOUND', 'Not found')
    }
    const match = route.re.exec(url.pathname)!
    const params = Object.fromEntries(route.names.map((n, i) => [n, decodeURIComponent(match[i + 1]!)]))

    // body
    const contentType = request.headers.get('content-type') ?? ''
    let body: unknown
    let form: FormData | undefined
    if (method !== 'GET' && method !== 'DELETE') {
      if (contentType.startsWith('multipart/form-data')) {
        form = await request.formData()
        const parts: Record<string, unknown> = {}
        form.forEach((value, key) => (parts[key] = value))
        body = parts
      } else {
        const text = await request.text()
        if (contentType.startsWith('application/x-www-form-urlencoded')) body = Object.fromEntries(new URLSearchParams(text))
        else if (text) {
          try {
            body = JSON.parse(text)
          } catch {
            this.violation(call, 'body is not JSON')
            return error(400, 'VALIDATION_ERROR', 'Invalid JSON')
          }
        }
      }
    }
    call.body = body

    // authentication, as each endpoint documents it
    const auth = this.authenticate(route, call, url, headers)
    if (auth) return this.answer(call, route.contract, auth)

    // the request contract
    const extra = route.auth === 'developer' ? ['hapikey', 'appId'] : []
    for (const problem of validateRequest(route.contract, { params, query: url.searchParams, body, contentType, allowExtraQuery: extra })) this.violation(call, problem)

    const fault = this.takeFault(route.op)
    if (fault) return this.answer(call, route.contract, fault)
    const response = await route.run({ call, params, url, body, form })
    const lost = this.takeFault(route.op, true)
    return this.answer(call, route.contract, lost ?? response)
  }

  private async answer(call: Call, contract: string, response: Response): Promise<Response> {
    call.status = response.status
    if (response.status >= 200 && response.status < 300 && response.headers.get('content-type')?.includes('json')) {
      const copy = await response.clone().json()
      for (const p of validateResponse(contract, response.status, copy)) this.problems.push(`fake answer of ${call.op}: ${p}`)
    }
    return response
  }

  private authenticate(route: (typeof this.routes)[number], call: Call, url: URL, headers: Record<string, string>): Response | undefined {
    const q = url.searchParams
    if (route.auth === 'form') {
      if (q.has('hapikey')) this.violation(call, 'developer API key sent to the token endpoint')
      if (headers.authorization) this.violation(call, 'Authorization header sent to the token endpoint')
      if (!(headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) this.violation(call, 'token request is not form-encoded')
      return undefined
    }
    if (route.auth === 'developer') {
      if (!q.has('hapikey') || !q.has('appId')) {
        this.violation(call, 'app-level endpoint called without ?hapikey=<developer API key>&appId=<app id>')
        return error(401, 'INVALID_AUTHENTICATION', 'Authentication credentials not found.')
      }
      if (q.get('hapikey') !== this.credentials.developerApiKey) return error(401, 'INVALID_AUTHENTICATION', 'The API key provided is invalid.')
      if (q.get('appId') !== this.credentials.appId) return error(403, 'INVALID_AUTHENTICATION', 'The app does not belong to this developer account.')
      return undefined
    }
    if (q.has('hapikey')) this.violation(call, 'the developer API key must never be sent to a portal (OAuth) endpoint')
    const authorization = headers.authorization ?? ''
    const token = /^Bearer (.+)$/.exec(authorization)?.[1]
    if (!token) {
      this.violation(call, 'portal endpoint called without "Authorization: Bearer <access token>"')
      return error(401, 'INVALID_AUTHENTICATION', 'Authentication credentials not found.')
    }
    const expires = this.accessTokens.get(token)
    if (this.rejectAllBearer || expires === undefined || expires <= Date.now()) {
      return error(401, 'EXPIRED_AUTHENTICATION', 'The OAuth token used to make this call expired 1 minute(s) ago.')
    }
    if (route.scopes && !route.scopes.some((s) => this.scopes.has(s))) {
      return error(403, 'MISSING_SCOPES', 'This app hasn\'t been granted all required scopes to make this call.', {
        errors: [{ message: `One or more of the following scopes are required.`, context: { requiredGranularScopes: route.scopes } }],
      })
    }
    return undefined
  }

  // ─── endpoints ──────────────────────────────────────────────────────────────

  private token({ call, body }: Ctx) {
    const f = (body ?? {}) as Record<string, string>
    if (f.grant_type !== 'refresh_token') this.violation(call, `grant_type ${f.grant_type} (refresh_token expected)`)
    for (const k of ['client_id', 'client_secret', 'refresh_token']) if (!f[k]) this.violation(call, `form field ${k} missing`)
    if (f.client_id !== this.credentials.clientId) return HttpResponse.json({ status: 'BAD_CLIENT_ID', message: 'missing or unknown client id', correlationId: randomUUID() }, { status: 400 })
    if (f.client_secret !== this.credentials.clientSecret) return HttpResponse.json({ status: 'BAD_CLIENT_SECRET', message: 'missing or invalid client secret', correlationId: randomUUID() }, { status: 400 })
    if (!this.refreshTokens.has(f.refresh_token!)) {
      // RFC 6749 fields plus HubSpot's status/message (https://developers.hubspot.com/changelog/new-oauth-v3-api-endpoints-and-standardized-error-responses).
      const echo = this.echoInErrors ? ` (got refresh_token=${f.refresh_token}, client_secret=${f.client_secret})` : ''
      return HttpResponse.json({ error: 'invalid_grant', error_description: `refresh token is invalid, expired or revoked${echo}`, status: 'BAD_REFRESH_TOKEN', message: `missing or unknown refresh token${echo}`, correlationId: randomUUID() }, { status: 400 })
    }
    let refresh = f.refresh_token!
    if (this.rotateRefreshTokens) {
      this.refreshTokens.delete(refresh)
      refresh = `refresh-${randomUUID()}`
      this.refreshTokens.add(refresh)
    }
    // Access tokens vary in size (allow ≥ 300 characters).
    const access = `CK${randomBytes(150).toString('base64url')}`
    this.accessTokens.set(access, Date.now() + this.tokenTtlSeconds * 1000)
    // The token answer names no portal (access_token, token_type, expires_in, refresh_token, id_token): introspection does.
    return HttpResponse.json({ token_type: 'bearer', refresh_token: refresh, access_token: access, expires_in: this.tokenTtlSeconds })
  }

  /** What the next token answer echoes in its error message (a provider that repeats what it was sent). */
  echoInErrors = false

  private deprecated({ call }: Ctx) {
    this.violation(call, 'the v1 OAuth API is deprecated (retired 2027-02-16): use /oauth/2026-03/token')
    return HttpResponse.json({ status: 'error', message: 'deprecated' }, { status: 410 })
  }

  /** Token introspection: `hub_id` is the portal (token-introspect reference, 2026-03). */
  private introspect({ call, body }: Ctx) {
    const f = (body ?? {}) as Record<string, string>
    for (const k of ['client_id', 'client_secret', 'token']) if (!f[k]) this.violation(call, `form field ${k} missing`)
    if (f.client_id !== this.credentials.clientId || f.client_secret !== this.credentials.clientSecret) {
      return HttpResponse.json({ error: 'invalid_client', error_description: 'unknown client', status: 'BAD_CLIENT_ID', message: 'unknown client' }, { status: 401 })
    }
    const expires = this.accessTokens.get(f.token!)
    if (expires === undefined || expires <= Date.now()) return HttpResponse.json({ active: false })
    return HttpResponse.json({
      token_use: 'access_token',
      active: true,
      token: f.token,
      hub_id: this.hubId,
      user_id: 4217,
      client_id: this.credentials.clientId,
      app_id: Number(this.credentials.appId),
      scopes: [...this.scopes],
      signed_access_token: {},
      expires_in: Math.round((expires - Date.now()) / 1000),
      is_private_distribution: false,
      token_type: 'bearer',
    })
  }

  /** Expire every access token (HubSpot answers 401 until the adapter refreshes). */
  expireAccessTokens() {
    for (const token of this.accessTokens.keys()) this.accessTokens.set(token, 0)
  }

  private visible(channel: Channel | undefined): channel is Channel {
    if (!channel || channel.archived) return false
    if (channel.hiddenFor > 0) {
      channel.hiddenFor--
      return false
    }
    return true
  }

  private channelJson(c: Channel) {
    return {
      id: c.id,
      name: c.name,
      createdAt: c.createdAt,
      capabilities: c.capabilities,
      ...(c.webhookUrl ? { webhookUrl: c.webhookUrl } : {}),
      ...(c.channelDescription ? { channelDescription: c.channelDescription } : {}),
      ...(c.channelLogoUrl ? { channelLogoUrl: c.channelLogoUrl } : {}),
      ...(c.channelAccountConnectionRedirectUrl ? { channelAccountConnectionRedirectUrl: c.channelAccountConnectionRedirectUrl } : {}),
    }
  }

  private listChannels({ url }: Ctx) {
    const all = [...this.channels.values()].filter((c) => !c.archived && c.hiddenFor <= 0)
    const limit = Number(url.searchParams.get('limit') ?? 10)
    const start = Number(url.searchParams.get('after') ? Buffer.from(url.searchParams.get('after')!, 'base64').toString() : 0)
    const page = all.slice(start, start + limit)
    const next = start + limit < all.length ? Buffer.from(String(start + limit)).toString('base64') : undefined
    return HttpResponse.json({ total: all.length, results: page.map((c) => this.channelJson(c)), ...(next ? { paging: { next: { after: next, link: '' } } } : {}) })
  }

  private checkCapabilities(call: Call, caps: unknown): string | undefined {
    if (!caps || typeof caps !== 'object' || Array.isArray(caps)) return 'capabilities must be an object'
    for (const [key, value] of Object.entries(caps)) {
      const kind = CAPABILITY_KEYS[key]
      if (!kind) return `unknown capability ${key}`
      if (kind === 'strings' && !(Array.isArray(value) && value.every((v) => typeof v === 'string'))) return `${key} must be an array of strings`
      if (kind === 'boolean' && typeof value !== 'boolean') return `${key} must be a boolean`
      if (kind === 'integer' && !Number.isInteger(value)) return `${key} must be an integer`
      if (kind === 'string' && typeof value !== 'string') return `${key} must be a string`
    }
    const c = caps as Record<string, any>
    if (!Array.isArray(c.deliveryIdentifierTypes) || !c.deliveryIdentifierTypes.length) return 'deliveryIdentifierTypes is required'
    if (c.deliveryIdentifierTypes.some((t: string) => !IDENTIFIER_TYPES.includes(t))) return `deliveryIdentifierTypes: ${c.deliveryIdentifierTypes}`
    if (c.threadingModel !== undefined && !['INTEGRATION_THREAD_ID', 'DELIVERY_IDENTIFIER'].includes(c.threadingModel)) return `threadingModel ${c.threadingModel}`
    if (c.richText && c.richText.some((t: string) => !RICH_TEXT.includes(t))) return `richText: ${c.richText}`
    if (c.outgoingAttachmentTypes && c.outgoingAttachmentTypes.some((t: string) => t !== 'FILE')) return `outgoingAttachmentTypes: ${c.outgoingAttachmentTypes}`
    void call
    return undefined
  }

  private channelBodyProblems(call: Call, body: unknown, create: boolean): string | undefined {
    if (!body || typeof body !== 'object') return 'body must be an object'
    const b = body as Record<string, unknown>
    const known = ['name', 'webhookUrl', 'channelDescription', 'channelLogoUrl', 'channelAccountConnectionRedirectUrl', 'capabilities']
    for (const k of Object.keys(b)) if (!known.includes(k)) return `unknown field ${k}`
    for (const k of known.filter((k) => k !== 'capabilities')) if (b[k] !== undefined && typeof b[k] !== 'string') return `${k} must be a string`
    if (create && (typeof b.name !== 'string' || !b.name)) return 'name is required'
    if (create && b.capabilities === undefined) return 'capabilities is required'
    if (typeof b.webhookUrl === 'string' && !/^https?:\/\//.test(b.webhookUrl)) return 'webhookUrl must be a URL'
    if (b.capabilities !== undefined) return this.checkCapabilities(call, b.capabilities)
    return undefined
  }

  private createChannel({ call, body }: Ctx) {
    const problem = this.channelBodyProblems(call, body, true)
    if (problem) {
      this.violation(call, problem)
      return error(400, 'VALIDATION_ERROR', `One or more Channel Capabilities specified had invalid values: ${problem}`, {
        subCategory: 'CustomChannelsError.INVALID_CHANNEL_CAPABILITY_VALUES',
      })
    }
    const b = body as Record<string, any>
    const channel: Channel = {
      id: String(++this.seq.channel),
      name: b.name,
      webhookUrl: b.webhookUrl,
      channelDescription: b.channelDescription,
      channelLogoUrl: b.channelLogoUrl,
      channelAccountConnectionRedirectUrl: b.channelAccountConnectionRedirectUrl,
      capabilities: b.capabilities,
      createdAt: now(),
      archived: false,
      hiddenFor: this.channelLag,
    }
    this.channels.set(channel.id, channel)
    return HttpResponse.json(this.channelJson(channel), { status: 201 })
  }

  private getChannel({ params }: Ctx) {
    const channel = this.channels.get(params.channelId!)
    if (!this.visible(channel)) return error(404, 'OBJECT_NOT_FOUND', `Channel ${params.channelId} not found`)
    return HttpResponse.json(this.channelJson(channel))
  }

  private patchChannel({ call, params, body }: Ctx) {
    const problem = this.channelBodyProblems(call, body, false)
    if (problem) {
      this.violation(call, problem)
      return error(400, 'VALIDATION_ERROR', problem)
    }
    const channel = this.channels.get(params.channelId!)
    if (!this.visible(channel)) return error(404, 'OBJECT_NOT_FOUND', `Channel ${params.channelId} not found`)
    const b = body as Record<string, any>
    for (const k of ['name', 'webhookUrl', 'channelDescription', 'channelLogoUrl', 'channelAccountConnectionRedirectUrl', 'capabilities'] as const) if (b[k] !== undefined) (channel as any)[k] = b[k]
    return HttpResponse.json(this.channelJson(channel))
  }

  private deleteChannel({ params }: Ctx) {
    const channel = this.channels.get(params.channelId!)
    if (!channel || channel.archived) return error(404, 'OBJECT_NOT_FOUND', `Channel ${params.channelId} not found`)
    channel.archived = true
    for (const a of this.accounts.values()) if (a.channelId === channel.id) a.archived = true
    return new HttpResponse(null, { status: 204 })
  }

  private accountJson(a: Account) {
    return {
      id: a.id,
      channelId: a.channelId,
      inboxId: a.inboxId,
      name: a.name,
      active: a.authorized && !a.archived,
      authorized: a.authorized,
      archived: a.archived,
      createdAt: a.createdAt,
      ...(a.deliveryIdentifier ? { deliveryIdentifier: a.deliveryIdentifier } : {}),
    }
  }

  private listAccounts({ params, url }: Ctx) {
    const channel = this.channels.get(params.channelId!)
    if (!this.visible(channel)) return error(404, 'OBJECT_NOT_FOUND', `Channel ${params.channelId} not found`)
    const archived = url.searchParams.get('archived') === 'true'
    const results = [...this.accounts.values()].filter((a) => a.channelId === channel.id && a.archived === archived).map((a) => this.accountJson(a))
    return HttpResponse.json({ total: results.length, results })
  }

  private createAccount({ call, params, body }: Ctx) {
    const channel = this.channels.get(params.channelId!)
    if (!this.visible(channel)) return error(404, 'OBJECT_NOT_FOUND', `Channel ${params.channelId} not found`)
    const b = body as Record<string, any>
    if (!this.inboxes.some((i) => i.id === b.inboxId)) return error(400, 'VALIDATION_ERROR', `Inbox ${b.inboxId} not found`)
    if (b.deliveryIdentifier && !(channel.capabilities.deliveryIdentifierTypes as string[]).includes(b.deliveryIdentifier.type)) {
      this.violation(call, `account identifier type ${b.deliveryIdentifier.type} is not declared by the channel`)
    }
    const account: Account = {
      id: String(++this.seq.account),
      channelId: channel.id,
      inboxId: b.inboxId,
      name: b.name,
      authorized: b.authorized,
      archived: false,
      createdAt: now(),
      deliveryIdentifier: b.deliveryIdentifier,
    }
    this.accounts.set(account.id, account)
    return HttpResponse.json(this.accountJson(account), { status: 201 })
  }

  private patchAccount({ params, body }: Ctx) {
    const account = this.accounts.get(params.channelAccountId!)
    if (!account || account.channelId !== params.channelId) return error(404, 'OBJECT_NOT_FOUND', 'Channel account not found')
    const b = body as Record<string, any>
    if (typeof b.authorized === 'boolean') account.authorized = b.authorized
    if (typeof b.name === 'string') account.name = b.name
    return HttpResponse.json(this.accountJson(account))
  }

  private contactByIdentifier(id: Identifier): Contact | undefined {
    const value = id.value.toLowerCase()
    return [...this.contactsById.values()].find((c) =>
      id.type === 'HS_EMAIL_ADDRESS' ? c.properties.email?.toLowerCase() === value : id.type === 'HS_PHONE_NUMBER' ? c.properties.phone === id.value || c.properties.mobilephone === id.value : false
    )
  }

  private publicMessage(m: Message) {
    return {
      id: m.id,
      type: 'MESSAGE',
      direction: m.direction,
      channelId: m.channelId,
      channelAccountId: m.channelAccountId,
      conversationsThreadId: m.threadId,
      createdAt: m.createdAt,
      createdBy: m.createdBy,
      archived: false,
      client: m.clientType === 'INTEGRATION' ? { clientType: 'INTEGRATION', integrationAppId: Number(this.credentials.appId) } : { clientType: 'HUBSPOT' },
      senders: m.senders.map((s) => ({ ...(s.actorId ? { actorId: s.actorId } : {}), ...(s.name ? { name: s.name } : {}), deliveryIdentifier: s.deliveryIdentifier })),
      recipients: m.recipients.map((r) => ({ ...(r.actorId ? { actorId: r.actorId } : {}), ...(r.name ? { name: r.name } : {}), deliveryIdentifier: r.deliveryIdentifier })),
      text: m.text,
      ...(m.richText ? { richText: m.richText } : {}),
      attachments: m.attachments,
      truncationStatus: 'NOT_TRUNCATED',
      status: { statusType: m.direction === 'INCOMING' ? 'RECEIVED' : 'SENT' },
    }
  }

  private checkParticipant(call: Call, channel: Channel, p: Participant, where: string): string | undefined {
    const declared = channel.capabilities.deliveryIdentifierTypes as string[]
    const id = p.deliveryIdentifier
    if (!declared.includes(id.type)) this.violation(call, `${where} identifier type ${id.type} is not declared in the channel's deliveryIdentifierTypes`)
    if (id.type === 'HS_EMAIL_ADDRESS' && !EMAIL.test(id.value)) return `${where}: invalid e-mail address`
    if (id.type === 'HS_PHONE_NUMBER' && !E164.test(id.value)) return `${where}: phone number must be E.164`
    return undefined
  }

  private publish({ call, params, body }: Ctx) {
    const channel = this.channels.get(params.channelId!)
    if (!this.visible(channel)) return error(404, 'OBJECT_NOT_FOUND', `Channel ${params.channelId} not found`)
    const b = body as Record<string, any>
    const account = this.accounts.get(String(b.channelAccountId))
    if (!account || account.channelId !== channel.id || account.archived) return error(400, 'VALIDATION_ERROR', `Unknown channelAccountId ${b.channelAccountId}`)
    if (!account.authorized) return error(400, 'VALIDATION_ERROR', `Channel account ${account.id} is not authorized`)
    if (channel.capabilities.threadingModel === 'INTEGRATION_THREAD_ID' && !b.integrationThreadId) {
      this.violation(call, 'integrationThreadId is required with the INTEGRATION_THREAD_ID threading model')
      return error(400, 'VALIDATION_ERROR', 'integrationThreadId is required')
    }
    const senders = (b.senders ?? []) as Participant[]
    const recipients = (b.recipients ?? []) as Participant[]
    if (!senders.length) this.violation(call, 'senders is empty')
    if (b.messageDirection === 'OUTGOING' && !recipients.length) this.violation(call, 'an OUTGOING message needs recipients')
    for (const [i, p] of senders.entries()) {
      const problem = this.checkParticipant(call, channel, p, `senders[${i}]`)
      if (problem) return error(400, 'VALIDATION_ERROR', problem)
    }
    for (const [i, p] of recipients.entries()) {
      const problem = this.checkParticipant(call, channel, p, `recipients[${i}]`)
      if (problem) return error(400, 'VALIDATION_ERROR', problem)
    }
    const attachments: Attachment[] = []
    for (const a of (b.attachments ?? []) as Array<Record<string, any>>) {
      if (a.type !== 'FILE') continue
      const file = this.files.get(String(a.fileId))
      if (!file) return error(400, 'VALIDATION_ERROR', `File ${a.fileId} not found`)
      attachments.push({ type: 'FILE', fileId: file.id, fileUsageType: a.fileUsageType ?? 'OTHER', name: `${file.name}.${file.extension}`, url: file.url })
    }
    if (typeof b.richText === 'string' && /<script/i.test(b.richText)) this.violation(call, 'richText carries a script')

    // one message per idempotency id (a retried publish returns the first)
    if (b.integrationIdempotencyId) {
      for (const t of this.threads.values()) {
        const existing = t.messages.find((m) => m.channelId === channel.id && m.idempotencyId === b.integrationIdempotencyId)
        if (existing) return HttpResponse.json(this.publicMessage(existing), { status: 201 })
      }
    }

    const who = b.messageDirection === 'INCOMING' ? senders[0] : recipients[0]
    let contact: Contact | undefined
    if (b.associateWithContactId !== undefined) {
      contact = this.contactsById.get(String(b.associateWithContactId))
      if (!contact) return error(400, 'VALIDATION_ERROR', `Contact ${b.associateWithContactId} not found`)
    }
    contact ??= who ? this.contactByIdentifier(who.deliveryIdentifier) : undefined

    let thread = [...this.threads.values()].find((t) => t.channelAccountId === account.id && t.integrationThreadId === b.integrationThreadId)
    if (!thread) {
      thread = {
        id: String(++this.seq.thread),
        integrationThreadId: b.integrationThreadId,
        channelId: channel.id,
        channelAccountId: account.id,
        inboxId: account.inboxId,
        contactId: contact?.id,
        status: 'OPEN',
        archived: false,
        createdAt: now(),
        messages: [],
      }
      this.threads.set(thread.id, thread)
    }
    const visitor = contact ? `V-${contact.id}` : `V-${hex(4)}`
    const integrationActor = `I-${this.credentials.appId}`
    const message: Message = {
      id: hex(),
      threadId: thread.id,
      channelId: channel.id,
      channelAccountId: account.id,
      direction: b.messageDirection,
      clientType: 'INTEGRATION',
      text: b.text,
      richText: b.richText,
      senders: senders.map((s) => ({ ...s, actorId: b.messageDirection === 'INCOMING' ? visitor : integrationActor })),
      recipients: recipients.map((r) => ({ ...r, actorId: b.messageDirection === 'INCOMING' ? integrationActor : visitor })),
      attachments,
      idempotencyId: b.integrationIdempotencyId,
      contactId: contact?.id,
      createdBy: b.messageDirection === 'INCOMING' ? visitor : integrationActor,
      createdAt: now(),
    }
    thread.messages.push(message)
    return HttpResponse.json(this.publicMessage(message), { status: 201 })
  }

  private getInbox({ params }: Ctx) {
    const inbox = this.inboxes.find((i) => i.id === params.inboxId)
    return inbox ? HttpResponse.json(inbox) : error(404, 'OBJECT_NOT_FOUND', `Inbox ${params.inboxId} not found`)
  }

  private threadJson(t: Thread) {
    return {
      id: t.id,
      inboxId: t.inboxId,
      status: t.status,
      spam: false,
      archived: t.archived,
      ...(t.assignedTo ? { assignedTo: t.assignedTo } : {}),
      associatedContactId: t.contactId ?? '0',
      originalChannelId: t.channelId,
      originalChannelAccountId: t.channelAccountId,
      createdAt: t.createdAt,
      ...(t.closedAt ? { closedAt: t.closedAt } : {}),
    }
  }

  private getThread({ params }: Ctx) {
    const thread = this.threads.get(params.threadId!)
    return thread && !thread.archived ? HttpResponse.json(this.threadJson(thread)) : error(404, 'OBJECT_NOT_FOUND', 'Thread not found')
  }

  private patchThread({ params, body }: Ctx) {
    const thread = this.threads.get(params.threadId!)
    if (!thread || thread.archived) return error(404, 'OBJECT_NOT_FOUND', 'Thread not found')
    const b = body as Record<string, any>
    if (b.status) {
      thread.status = b.status
      thread.closedAt = b.status === 'CLOSED' ? (thread.closedAt ?? now()) : undefined
    }
    return HttpResponse.json(this.threadJson(thread))
  }

  private getActor({ params }: Ctx) {
    const actor = this.actors.get(params.actorId!)
    if (!actor) return error(404, 'OBJECT_NOT_FOUND', `Actor ${params.actorId} not found`)
    return HttpResponse.json({ type: 'AGENT', id: actor.id, name: actor.name, email: actor.email, ...(actor.avatar ? { avatar: actor.avatar } : {}) })
  }

  private async upload({ call, form }: Ctx) {
    if (!form) {
      this.violation(call, 'upload is not multipart/form-data')
      return error(400, 'VALIDATION_ERROR', 'multipart expected')
    }
    const known = ['file', 'folderPath', 'folderId', 'options', 'fileName', 'charsetHunch']
    form.forEach((_, k) => {
      if (!known.includes(k)) this.violation(call, `unknown form part ${k}`)
    })
    const file = form.get('file')
    if (!file || typeof file === 'string') {
      this.violation(call, 'form part "file" must be a file')
      return error(400, 'VALIDATION_ERROR', 'file is required')
    }
    if (!form.get('folderPath') && !form.get('folderId')) this.violation(call, 'one of folderPath or folderId is required')
    let options: Record<string, unknown> = {}
    try {
      options = JSON.parse(String(form.get('options') ?? ''))
    } catch {
      this.violation(call, 'options must be a JSON string')
    }
    const accesses = ['HIDDEN_INDEXABLE', 'HIDDEN_NOT_INDEXABLE', 'HIDDEN_PRIVATE', 'HIDDEN_SENSITIVE', 'PRIVATE', 'PUBLIC_INDEXABLE', 'PUBLIC_NOT_INDEXABLE', 'SENSITIVE']
    if (!accesses.includes(String(options.access))) this.violation(call, `options.access ${String(options.access)}`)
    const optionKeys = ['access', 'ttl', 'overwrite', 'duplicateValidationStrategy', 'duplicateValidationScope', 'expiresAt']
    for (const k of Object.keys(options)) if (!optionKeys.includes(k)) this.violation(call, `unknown upload option ${k}`)
    const bytes = Buffer.from(await (file as Blob).arrayBuffer())
    const fullName = (file as File).name || 'upload'
    const dot = fullName.lastIndexOf('.')
    const name = dot > 0 ? fullName.slice(0, dot) : fullName
    const extension = dot > 0 ? fullName.slice(dot + 1) : ''
    const text = bytes.toString('utf8')
    const id = String(++this.seq.file)
    const folder = String(form.get('folderPath') ?? '/')
    const rec: FileRec = {
      id,
      name,
      extension,
      mime: (file as Blob).type || 'application/octet-stream',
      size: bytes.length,
      access: String(options.access ?? 'PRIVATE'),
      path: `${folder}/${fullName}`,
      url: `https://${this.hubId}.fs1.hubspotusercontent-na1.net/hubfs/${this.hubId}${folder}/${encodeURIComponent(fullName)}`,
      sourceUrl: text.startsWith('FAKEFILE:') ? text.slice('FAKEFILE:'.length) : undefined,
      text: (file as Blob).type.startsWith('text/') ? text : undefined,
      createdAt: now(),
    }
    this.files.set(id, rec)
    return HttpResponse.json(
      { id, name, extension, type: rec.mime.startsWith('image/') ? 'IMG' : 'OTHER', size: rec.size, access: rec.access, archived: false, path: rec.path, url: rec.url, createdAt: rec.createdAt, updatedAt: rec.createdAt, isUsableInContent: true, sourceGroup: 'CONTENT' },
      { status: 201 }
    )
  }

  private signedUrl({ params }: Ctx) {
    const file = this.files.get(params.fileId!)
    if (!file) return error(404, 'OBJECT_NOT_FOUND', 'File not found')
    return HttpResponse.json({ url: `${file.url}?signature=${hex(8)}`, expiresAt: new Date(Date.now() + 3600_000).toISOString(), name: file.name, extension: file.extension, type: 'OTHER', size: file.size })
  }

  private contactJson(c: Contact) {
    return { id: c.id, properties: { ...c.properties, hs_object_id: c.id }, createdAt: c.createdAt, updatedAt: c.createdAt, archived: false }
  }

  private searchContacts({ call, body }: Ctx) {
    const b = body as { filterGroups?: Array<{ filters: Array<{ propertyName: string; operator: string; value?: string }> }>; limit?: number }
    if ((b.filterGroups?.length ?? 0) > 6) this.violation(call, 'at most 6 filter groups')
    this.searchesSinceCreate++
    if (this.searchesSinceCreate > this.searchLag) for (const c of this.contactsById.values()) c.indexed = true
    const matches = [...this.contactsById.values()].filter(
      (c) =>
        c.indexed &&
        (b.filterGroups ?? []).some((g) =>
          g.filters.every((f) => {
            if (f.operator !== 'EQ') return false
            const v = c.properties[f.propertyName]
            return v !== undefined && (f.propertyName === 'email' ? v.toLowerCase() === String(f.value).toLowerCase() : v === f.value)
          })
        )
    )
    const limited = matches.slice(0, b.limit ?? 10)
    return HttpResponse.json({ total: matches.length, results: limited.map((c) => this.contactJson(c)) })
  }

  /** Adds a CRM contact directly (as if created in HubSpot). */
  addContact(properties: Record<string, string>): string {
    const id = String(++this.seq.contact)
    this.contactsById.set(id, { id, properties, createdAt: now(), indexed: true })
    return id
  }

  private createContact({ call, body }: Ctx) {
    const b = body as { properties: Record<string, string> }
    const email = b.properties.email
    if (email !== undefined && !EMAIL.test(email)) return error(400, 'VALIDATION_ERROR', `Property values were not valid: email ${email}`)
    if (b.properties.phone !== undefined && !/^\+?[\d\s().-]+$/.test(b.properties.phone)) this.violation(call, 'phone is not a phone number')
    const existing = email ? [...this.contactsById.values()].find((c) => c.properties.email?.toLowerCase() === email.toLowerCase()) : undefined
    if (existing) return error(409, 'CONFLICT', `Contact already exists. Existing ID: ${existing.id}`)
    const id = String(++this.seq.contact)
    const contact: Contact = { id, properties: Object.fromEntries(Object.entries(b.properties).filter(([, v]) => v !== '')), createdAt: now(), indexed: this.searchLag === 0 }
    this.searchesSinceCreate = 0
    this.contactsById.set(id, contact)
    return HttpResponse.json(this.contactJson(contact), { status: 201 })
  }

  private appPathOk(call: Call, appId: string | undefined) {
    if (appId !== this.credentials.appId) {
      this.violation(call, `app id ${appId} in the path is not the app's`)
      return false
    }
    return true
  }

  private getSettings({ call, params }: Ctx) {
    if (!this.appPathOk(call, params.appId)) return error(404, 'OBJECT_NOT_FOUND', 'App not found')
    if (!this.webhookSettings) return error(404, 'OBJECT_NOT_FOUND', 'No settings')
    return HttpResponse.json(this.webhookSettings)
  }

  private putSettings({ call, params, body }: Ctx) {
    if (!this.appPathOk(call, params.appId)) return error(404, 'OBJECT_NOT_FOUND', 'App not found')
    const b = body as { targetUrl: string; throttling: { maxConcurrentRequests: number } }
    this.webhookSettings = { targetUrl: b.targetUrl, throttling: b.throttling, createdAt: this.webhookSettings?.createdAt ?? now(), updatedAt: now() }
    return HttpResponse.json(this.webhookSettings)
  }

  private createSubscription({ call, params, body }: Ctx) {
    if (!this.appPathOk(call, params.appId)) return error(404, 'OBJECT_NOT_FOUND', 'App not found')
    const b = body as { eventType: string; propertyName?: string; active?: boolean }
    if (b.eventType === 'conversation.propertyChange' && !b.propertyName) this.violation(call, 'propertyChange subscriptions need a propertyName')
    const sub: Subscription = { id: String(this.subscriptions.length + 1), eventType: b.eventType, ...(b.propertyName ? { propertyName: b.propertyName } : {}), active: b.active ?? false, createdAt: now(), updatedAt: now() }
    this.subscriptions.push(sub)
    return HttpResponse.json(sub, { status: 201 })
  }

  private patchSubscription({ call, params, body }: Ctx) {
    if (!this.appPathOk(call, params.appId)) return error(404, 'OBJECT_NOT_FOUND', 'App not found')
    const sub = this.subscriptions.find((s) => s.id === params.subscriptionId)
    if (!sub) return error(404, 'OBJECT_NOT_FOUND', 'Subscription not found')
    sub.active = (body as { active?: boolean }).active ?? sub.active
    sub.updatedAt = now()
    return HttpResponse.json(sub)
  }
}

type Ctx = { call: Call; params: Record<string, string>; url: URL; body: unknown; form?: FormData }
