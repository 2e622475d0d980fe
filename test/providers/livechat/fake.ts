/**
 * An in-memory LiveChat (text.com) organization behind msw, written from the v3.6 docs (LiveChat publishes no OpenAPI
 * for its Web APIs): customers with identity cookies and expiring tokens, chats with threads and events, agents, the
 * app's webhook registry, files uploaded to a fake CDN, and the webhooks LiveChat would send.
 *
 * Every request is checked against the documented shapes — method and version, auth kind per API (Basic PAT for the
 * Agent/Configuration APIs, Bearer customer token for the Customer API), `organization_id` on every Customer API call,
 * content types, required fields and their types, unknown fields, PAT scopes, X-Region — and whatever the docs rule out
 * is recorded in `violations()` (the conformance suite asserts it stays empty). Runtime conditions a real LiveChat
 * produces (expired token, wrong region, inactive chat, missing scope, upload too large) are answered as LiveChat
 * answers them: `{error: {type, message, data?}}`.
 *
 * Sources (v3.6 is the stable version of these pages; mirrored in github.com/livechat/livechat-public-docs, src/pages):
 * - Customer Chat API: platform.text.com/docs/messaging/customer-chat-api (methods, § Possible errors — no `not_found`);
 * - Agent Chat API: platform.text.com/docs/messaging/agent-chat-api (data structures: chat, thread, users with `present`);
 * - Configuration API: platform.text.com/docs/management/configuration-api (§ Webhooks: Register/List/Unregister Webhook,
 *   "Triggering actions" table of filters per action; List Webhooks answers without `secret_key`);
 * - Webhooks: platform.text.com/docs/management/webhooks (payloads; `chat_transferred.thread_id` "present if the chat is
 *   active"; `additional_data.chat_properties`);
 * - Default properties: platform.text.com/docs/messaging/references/default-properties#source (`source.client_id`);
 * - Customer authorization: platform.text.com/docs/authorization/customer-authorization (cookie grant, identity cookies)
 *   and platform.text.com/docs/authorization/troubleshooting (`unauthorized_client`, `invalid_redirect_uri`).
 *
 * "The web" the end user's media come from is served here too (https://example.com/…, https://media.test/…): the
 * adapter downloads a medium there and uploads it to the CDN; `received()` reports an uploaded file by the URL it was
 * downloaded from (the agent sees that very file), or by its CDN URL when its origin is unknown.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto'
import { http, HttpResponse } from 'msw'
import { setupServer, type SetupServer } from 'msw/node'
import type { InboundMessage, WebhookRequest } from '../../../src/core/types'
import type { FakeAgent, FakeContact, FakeProvider, LookupFault, FakeSession, RateLimitPlan, RateLimitWindow, ReceivedMessage } from '../../conformance/fake'
import { FaultQueue, rateLimitWindow, type Fault } from '../../support/fake-plumbing'

export const API = 'https://api.livechatinc.com'
export const ACCOUNTS = 'https://accounts.livechat.com'
export const CDN = 'https://cdn.livechat-files.com'
export const WEB_HOSTS = ['https://example.com', 'https://media.test']
export const CLIENT_ID = '9cbf3a968289727cb3cdfe83ab1d9836'
export const ORG_ID = '390e44e6-f1e6-4368-a6dd-74b14508c2e1'
export const ACCOUNT_ID = 'd24fa41e-bc16-41b8-a15b-9ca45ff7e0cf'
export const WEBHOOK_SECRET = 'lc-webhook-secret-7f3a9c1e5b2d'
export const PAT_SECRET = 'PATs3cr3tVALUE0123456789abcdefXYZ'
export const GROUP_ID = 19
/** The Client ID of LiveChat's own chat widget: chats started on the website, not by the integration. */
export const WIDGET_CLIENT_ID = 'c5e4f61e1a6c3b1521b541bc5c5a2ac5'
export const GROUPS = [0, GROUP_ID, 7]
export const PAT_AGENT = { id: 'hitl.bot@example.com', name: 'Botpress HITL', avatar: 'cdn.livechatinc.com/avatars/bot.png' }
export const FULL_SCOPES = ['chats--access:rw', 'webhooks.configuration:rw', 'webhooks.state:rw', 'agents--all:ro']
export const MAX_UPLOAD = 10 * 1024 * 1024
export const MAX_TEXT_BYTES = 16 * 1024

export const agentTokenFor = (patRegion: string | null, secret = PAT_SECRET) =>
  Buffer.from(`${ACCOUNT_ID}:${patRegion ? `${patRegion}:` : ''}${secret}`).toString('base64')

export type FakeOptions = {
  /** The organization's data center: Web API calls sent elsewhere answer misdirected_request. */
  region: 'dal' | 'fra'
  /** Whether misdirected_request names the right region in `error.data.region`. */
  namesRegion: boolean
  /** Region prefix inside the PAT (null: a PAT without prefix). */
  patRegion: string | null
  /** Scopes of the PAT. */
  scopes: string[]
  /** Lifetime of customer tokens. */
  tokenLifetimeSec: number
  /** The app's Redirect URIs; undefined accepts any http(s) URL. */
  redirectUris?: string[]
  /** Whether the cookie grant recognizes the identity cookies it set (false: a new customer every time). */
  acceptsCookies: boolean
  licenseWebhooksEnabled: boolean
  /** Region prefix of the customer tokens issued (default: the organization's region). */
  tokenPrefix?: string
}

const defaults = (): FakeOptions => ({
  region: 'dal',
  namesRegion: true,
  patRegion: 'dal',
  scopes: [...FULL_SCOPES],
  tokenLifetimeSec: 28_800,
  redirectUris: undefined,
  acceptsCookies: true,
  licenseWebhooksEnabled: true,
})

type Customer = { id: string; cst: string; name?: string; email?: string; avatar?: string; session_fields?: unknown[]; chatId?: string }
type Token = { customerId: string; expiresAt: number }
type LcEvent = {
  id: string
  type: string
  author_id?: string
  created_at: string
  visibility: 'all' | 'agents'
  text?: string
  url?: string
  name?: string
  content_type?: string
  alternative_text?: string
  size?: number
  width?: number
  height?: number
  /** Sent when the thread was started or resumed (the opening message), not a message "received" later. */
  opening?: boolean
}
type Thread = { id: string; active: boolean; created_at: string; groupIds: number[]; events: LcEvent[] }
type Chat = {
  id: string
  customerId: string
  groupIds: number[]
  continuous: boolean
  threads: Thread[]
  agents: Map<string, FakeAgent>
  /** Chat properties; `source` is set by LiveChat (read-only): the Client ID of the app the chat was started from
   * (platform.text.com/docs/messaging/references/default-properties#source). */
  properties: { source: { client_id: string; customer_client_id: string } } & Record<string, unknown>
  /** Anonymized (GDPR): every Customer Chat API call on it answers `chat_anonymized`. */
  anonymized?: boolean
  /** Deleted (an agent or a data-retention rule removed it): every call on it answers 404 `not_found`. */
  deleted?: boolean
}
type Webhook = {
  id: string
  url: string
  action: string
  secret_key: string
  owner_client_id: string
  type: string
  description?: string
  filters?: Record<string, unknown>
  additional_data?: string[]
}
type StoredFile = { url: string; bytes: Buffer; contentType: string; name: string; origin?: string }
export type Call = { api: string; action: string; body: any; headers: Record<string, string>; query: Record<string, string> }

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'
const lcId = (n = 10) => Array.from(randomBytes(n), (b) => ALNUM[b % ALNUM.length]).join('')
const iso = () => new Date().toISOString().replace('Z', '000Z')
const lcError = (status: number, type: string, message: string, data?: Record<string, unknown>) =>
  HttpResponse.json({ error: { type, message, ...(data ? { data } : {}) } }, { status })
const oauthError = (status: number, exception: string, description: string) =>
  HttpResponse.json({ oauth_exception: exception, exception_description: description }, { status })

const MIME: Record<string, string> = {
  png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', mp3: 'audio/mpeg', wav: 'audio/wav',
  mp4: 'video/mp4', webm: 'video/webm', pdf: 'application/pdf', txt: 'text/plain',
}
const extension = (name: string) => /\.([a-z0-9]{2,5})$/i.exec(name)?.[1]?.toLowerCase() ?? ''
const baseName = (url: string) => decodeURIComponent(new URL(url).pathname.split('/').filter(Boolean).pop() ?? 'file')
const kindOfType = (type: string): ReceivedMessage['kind'] =>
  type.startsWith('image/') ? 'image' : type.startsWith('audio/') ? 'audio' : type.startsWith('video/') ? 'video' : 'file'
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex')

// ─── documented request shapes ───────────────────────────────────────────────

type Check = (v: unknown) => boolean
const isString: Check = (v) => typeof v === 'string'
const isText: Check = (v) => typeof v === 'string' && v.length > 0
const isBool: Check = (v) => typeof v === 'boolean'
const isInt: Check = (v) => Number.isInteger(v)
const isObject: Check = (v) => !!v && typeof v === 'object' && !Array.isArray(v)
const isIntArray: Check = (v) => Array.isArray(v) && v.every((x) => Number.isInteger(x))
const isStringArray: Check = (v) => Array.isArray(v) && v.every((x) => typeof x === 'string')
const isArray: Check = (v) => Array.isArray(v)
const isUrl: Check = (v) => typeof v === 'string' && /^https?:\/\/\S+$/.test(v)
type Fields = Record<string, [required: boolean, check: Check, label: string]>

/** Required and typed fields, no unknown ones: every departure is a violation. */
const shapeOf = (where: string, value: unknown, fields: Fields): string[] => {
  if (!isObject(value)) return [`${where}: the body must be a JSON object`]
  const o = value as Record<string, unknown>
  const out: string[] = []
  for (const [key, [required, check, label]] of Object.entries(fields)) {
    if (o[key] === undefined) {
      if (required) out.push(`${where}: ${key} is required`)
    } else if (!check(o[key])) out.push(`${where}: ${key} must be ${label}`)
  }
  for (const key of Object.keys(o)) if (!(key in fields)) out.push(`${where}: unknown field ${key}`)
  return out
}

/** A customer event of `send_event`, `start_chat` or `resume_chat` (v3.6 customer events have no visibility). */
const customerEventProblems = (where: string, event: unknown): string[] => {
  if (!isObject(event)) return [`${where}: must be an object`]
  const e = event as Record<string, unknown>
  if (e.type === 'message') {
    const out = shapeOf(where, e, {
      type: [true, isString, 'a string'],
      text: [true, isText, 'a non-empty string'],
      custom_id: [false, isString, 'a string'],
      properties: [false, isObject, 'an object'],
      postback: [false, isObject, 'an object'],
    })
    if (typeof e.text === 'string' && Buffer.byteLength(e.text) > MAX_TEXT_BYTES) out.push(`${where}: text is over 16 KB`)
    return out
  }
  if (e.type === 'file') {
    return shapeOf(where, e, {
      type: [true, isString, 'a string'],
      url: [true, isUrl, 'a URL'],
      alternative_text: [false, isString, 'a string'],
      custom_id: [false, isString, 'a string'],
      properties: [false, isObject, 'an object'],
    })
  }
  return [`${where}: the fake supports customer events of type message and file (got ${String(e.type)})`]
}

const chatSpec = (where: string, chat: unknown, needsId: boolean): string[] => {
  const out = shapeOf(where, chat, {
    ...(needsId ? { id: [true, isText, 'a chat id'] as Fields[string] } : {}),
    access: [false, isObject, 'an object'],
    properties: [false, isObject, 'an object'],
    thread: [false, isObject, 'an object'],
  })
  if (!isObject(chat)) return out
  const c = chat as Record<string, any>
  if (c.access) out.push(...shapeOf(`${where}.access`, c.access, { group_ids: [false, isIntArray, 'an array of integers'] }))
  if (c.thread) {
    out.push(...shapeOf(`${where}.thread`, c.thread, { events: [false, isArray, 'an array'], properties: [false, isObject, 'an object'] }))
    if (Array.isArray(c.thread.events)) c.thread.events.forEach((e: unknown, i: number) => out.push(...customerEventProblems(`${where}.thread.events.${i}`, e)))
  }
  return out
}

/** Actions whose webhooks accept `only_my_chats` and `chat_presence` (Configuration API v3.6 § Register Webhook, "Triggering actions"). */
const CHAT_ACTIONS = [
  'incoming_chat', 'chat_deactivated', 'chat_access_updated', 'chat_transferred', 'user_added_to_chat', 'user_removed_from_chat',
  'incoming_event', 'event_deleted', 'event_updated', 'incoming_rich_message_postback', 'chat_properties_updated', 'chat_properties_deleted',
  'thread_properties_updated', 'thread_properties_deleted', 'event_properties_updated', 'event_properties_deleted', 'thread_tagged',
  'thread_untagged', 'events_marked_as_seen', 'thread_summary_set',
]

/** Request fields per action, from each method's "Request" table in the v3.6 references listed above. */
const SPECS: Record<string, Record<string, (body: any) => string[]>> = {
  // Customer Chat API v3.6 § Chats / Events / Customers.
  customer: {
    update_customer: (b) => {
      const out = shapeOf('update_customer', b, {
        name: [false, isString, 'a string'],
        email: [false, (v) => typeof v === 'string' && /^[^@\s]+@[^@\s]+$/.test(v), 'an e-mail address'],
        avatar: [false, isUrl, 'a URL'],
        session_fields: [false, (v) => Array.isArray(v) && v.every((f) => isObject(f) && Object.keys(f as object).length === 1), 'an array of single-key objects'],
        omnichannel: [false, isObject, 'an object'],
        address: [false, isObject, 'an object'],
      })
      if (isObject(b) && Object.keys(b).length === 0) out.push('update_customer: at least one field is required')
      return out
    },
    start_chat: (b) => {
      const out = shapeOf('start_chat', b, { chat: [false, isObject, 'an object'], active: [false, isBool, 'a boolean'], continuous: [false, isBool, 'a boolean'] })
      if (isObject(b) && b.chat) out.push(...chatSpec('start_chat.chat', b.chat, false))
      return out
    },
    resume_chat: (b) => {
      const out = shapeOf('resume_chat', b, { chat: [true, isObject, 'an object'], active: [false, isBool, 'a boolean'], continuous: [false, isBool, 'a boolean'] })
      if (isObject(b) && b.chat) out.push(...chatSpec('resume_chat.chat', b.chat, true))
      return out
    },
    send_event: (b) => {
      const out = shapeOf('send_event', b, { chat_id: [true, isText, 'a chat id'], event: [true, isObject, 'an object'], attach_to_last_thread: [false, isBool, 'a boolean'] })
      if (isObject(b) && b.event) out.push(...customerEventProblems('send_event.event', b.event))
      return out
    },
    deactivate_chat: (b) => shapeOf('deactivate_chat', b, { id: [true, isText, 'a chat id'] }),
    get_chat: (b) => shapeOf('get_chat', b, { chat_id: [true, isText, 'a chat id'], thread_id: [false, isText, 'a thread id'] }),
    list_chats: (b) => {
      const out = shapeOf('list_chats', b, { limit: [false, isInt, 'an integer'], sort_order: [false, (v) => v === 'asc' || v === 'desc', 'asc or desc'], page_id: [false, isString, 'a string'] })
      if (isObject(b) && typeof b.limit === 'number' && (b.limit < 1 || b.limit > 25)) out.push('list_chats: limit must be 1..25')
      return out
    },
    upload_file: () => [],
  },
  agent: {
    list_chats: (b) => {
      const out = shapeOf('agent list_chats', b, { filters: [false, isObject, 'an object'], sort_order: [false, (v) => v === 'asc' || v === 'desc', 'asc or desc'], limit: [false, isInt, 'an integer'], page_id: [false, isString, 'a string'] })
      if (isObject(b) && typeof b.limit === 'number' && (b.limit < 1 || b.limit > 100)) out.push('agent list_chats: limit must be 1..100')
      return out
    },
    deactivate_chat: (b) => shapeOf('agent deactivate_chat', b, { id: [true, isText, 'a chat id'], ignore_requester_presence: [false, isBool, 'a boolean'] }),
    // Agent Chat API v3.6 § Get Chat: `chat_id` required, `thread_id` optional (default: the latest thread).
    get_chat: (b) => shapeOf('agent get_chat', b, { chat_id: [true, isText, 'a chat id'], thread_id: [false, isText, 'a thread id'] }),
  },
  // Configuration API v3.6 § Webhooks, § Agents.
  configuration: {
    list_webhooks: (b) => shapeOf('list_webhooks', b, { owner_client_id: [true, isText, 'a client id'] }),
    register_webhook: (b) => {
      const out = shapeOf('register_webhook', b, {
        url: [true, (v) => isUrl(v) && (v as string).length <= 500, 'a URL of at most 500 characters'],
        action: [true, isText, 'an action name'],
        secret_key: [true, isText, 'a non-empty string'],
        owner_client_id: [true, isText, 'a client id'],
        type: [true, (v) => v === 'license' || v === 'bot', '"license" or "bot"'],
        description: [false, isString, 'a string'],
        filters: [false, isObject, 'an object'],
        additional_data: [false, (v) => isStringArray(v) && (v as string[]).every((x) => ['chat_properties', 'chat_presence_user_ids'].includes(x)), 'chat_properties / chat_presence_user_ids'],
      })
      if (isObject(b) && isObject(b.filters)) {
        out.push(
          ...shapeOf('register_webhook.filters', b.filters, {
            author_type: [false, (v) => v === 'agent' || v === 'customer', '"agent" or "customer"'],
            only_my_chats: [false, isBool, 'a boolean'],
            chat_presence: [false, isObject, 'an object'],
            source_type: [false, isStringArray, 'an array of strings'],
          })
        )
        if (b.filters.author_type && !['incoming_event', 'event_updated'].includes(b.action)) out.push('register_webhook: filters.author_type is allowed only for incoming_event and event_updated')
        // "Triggering actions": only_my_chats is available for the chat actions, not for routing_status_set nor the configuration ones.
        if (b.filters.only_my_chats !== undefined && !CHAT_ACTIONS.includes(b.action)) out.push(`register_webhook: filters.only_my_chats is not available for ${String(b.action)}`)
      }
      return out
    },
    unregister_webhook: (b) => shapeOf('unregister_webhook', b, { id: [true, isText, 'a webhook id'], owner_client_id: [true, isText, 'a client id'] }),
    get_license_webhooks_state: (b) => shapeOf('get_license_webhooks_state', b, { owner_client_id: [true, isText, 'a client id'] }),
    enable_license_webhooks: (b) => shapeOf('enable_license_webhooks', b, { owner_client_id: [true, isText, 'a client id'] }),
    get_agent: (b) => shapeOf('get_agent', b, { id: [true, isText, 'an agent id'], fields: [false, isStringArray, 'an array of strings'] }),
  },
}

/** Scopes per action (§ "Required scopes" of each method); `any` of them suffices. */
const SCOPES: Record<string, string[]> = {
  'agent list_chats': ['chats--access:ro'],
  'agent deactivate_chat': ['chats--access:rw'],
  // Agent Chat API v3.6 § Get Chat: "chats--all:ro or chats--access:ro, depending on the requested thread's groups".
  'agent get_chat': ['chats--access:ro'],
  'configuration list_webhooks': ['webhooks.configuration:rw'],
  'configuration register_webhook': ['webhooks.configuration:rw'],
  'configuration unregister_webhook': ['webhooks.configuration:rw'],
  'configuration get_license_webhooks_state': ['webhooks.state:ro'],
  'configuration enable_license_webhooks': ['webhooks.state:rw'],
  'configuration get_agent': ['agents--all:ro'],
}

const LEVELS = ['my', 'access', 'all']
/** `rw` includes `ro`; `all` includes `access` includes `my`. */
const grants = (held: string, wanted: string) => {
  const parse = (s: string) => {
    const [name, mode] = s.split(':')
    const [base, level] = name!.split('--')
    return { base, level: level ? LEVELS.indexOf(level) : -1, mode }
  }
  const h = parse(held)
  const w = parse(wanted)
  return h.base === w.base && h.level >= w.level && (h.mode === 'rw' || h.mode === w.mode)
}

export class LivechatFake implements FakeProvider {
  readonly name = 'livechat'
  readonly server: SetupServer
  options: FakeOptions
  calls: Call[] = []
  /** Every request, all hosts together (API, accounts, CDN, the web). */
  requests: Array<{ method: string; url: string }> = []
  readonly customers = new Map<string, Customer>()
  readonly chats = new Map<string, Chat>()
  readonly agents = new Map<string, { id: string; name: string; avatar?: string }>()
  webhooks: Webhook[] = []
  private tokens = new Map<string, Token>()
  private transferCodes = new Map<string, string>()
  private files = new Map<string, StoredFile>()
  private served = new Map<string, string>()
  private faults = new FaultQueue()
  private problems: string[] = []
  private readonly initial: FakeOptions

  constructor(options: Partial<FakeOptions> = {}) {
    this.initial = { ...defaults(), ...options }
    this.options = { ...this.initial, scopes: [...this.initial.scopes] }
    this.reset()
    this.server = setupServer(
      http.post(`${API}/v3.6/:api/action/:action`, ({ request, params }) => this.track(request, () => this.api(request, String(params.api), String(params.action)))),
      http.all(`${API}/*`, ({ request }) => this.track(request, () => this.stray(request, 'api'))),
      http.post(`${ACCOUNTS}/v2/customer/token`, ({ request }) => this.track(request, () => this.token(request))),
      http.post(`${ACCOUNTS}/v2/customer/identity_transfer`, ({ request }) => this.track(request, () => this.identityTransfer(request))),
      http.all(`${ACCOUNTS}/*`, ({ request }) => this.track(request, () => this.stray(request, 'accounts'))),
      http.get(`${CDN}/*`, ({ request }) => this.track(request, () => this.cdn(request))),
      ...WEB_HOSTS.map((host) => http.all(`${host}/*`, ({ request }) => this.track(request, () => this.web(request))))
    )
  }

  // ─── FakeProvider ────────────────────────────────────────────────────────────

  configuration(): Record<string, unknown> {
    return {
      provider: 'livechat',
      livechat: {
        clientId: CLIENT_ID,
        organizationId: ORG_ID,
        webhookSecret: WEBHOOK_SECRET,
        agentToken: agentTokenFor(this.options.patRegion),
        groupId: GROUP_ID,
      },
    }
  }

  /** The `livechat` section alone (for unit tests that build the adapter directly). */
  section() {
    return this.configuration().livechat as {
      clientId: string
      organizationId: string
      webhookSecret: string
      agentToken: string
      groupId: number
    }
  }

  async start() {
    this.server.listen({ onUnhandledRequest: 'bypass' })
  }

  async stop() {
    this.server.close()
  }

  reset() {
    this.options = { ...this.initial, scopes: [...this.initial.scopes] }
    this.calls = []
    this.requests = []
    this.problems = []
    this.customers.clear()
    this.chats.clear()
    this.tokens.clear()
    this.transferCodes.clear()
    this.files.clear()
    this.served.clear()
    this.faults.clear()
    this.webhooks = []
    this.agents.clear()
    this.agents.set(PAT_AGENT.id, { ...PAT_AGENT })
  }

  contacts(): FakeContact[] {
    return [...this.customers.values()].map((c) => ({ id: c.id, name: c.name, email: c.email }))
  }

  sessions(): FakeSession[] {
    return [...this.chats.values()].map((chat) => {
      const thread = chat.threads[chat.threads.length - 1]!
      return {
        id: chat.id,
        contactId: chat.customerId,
        openingText: thread.events.filter((e) => e.opening).map((e) => e.text ?? '').join('\n'),
        closed: !thread.active,
      }
    })
  }

  /** What the agent received from the customer's side after the opening message, all threads of the chat in order. */
  received(sessionId: string): ReceivedMessage[] {
    const chat = this.chats.get(sessionId)
    if (!chat) return []
    return chat.threads.flatMap((t) =>
      t.events.flatMap((e): ReceivedMessage[] => {
        if (e.opening || e.author_id !== chat.customerId) return []
        if (e.type === 'message') {
          const bot = /^\[Bot\] /.test(e.text ?? '')
          return [{ author: bot ? 'bot' : 'user', ...(bot ? {} : { contactId: chat.customerId }), kind: 'text', text: e.text }]
        }
        const file = this.files.get(e.url ?? '')
        return [{ author: 'user', contactId: chat.customerId, kind: kindOfType(e.content_type ?? ''), url: file?.origin ?? e.url, title: e.name }]
      })
    )
  }

  requestCount() {
    return this.requests.length
  }

  violations() {
    return [...this.problems]
  }

  // ─── test controls ───────────────────────────────────────────────────────────

  /** Answers the next calls of an operation (`customer send_event`, `accounts token`, …) with these faults first. */
  inject(operation: string, ...faults: Fault[]) {
    this.faults.inject(operation, ...faults)
  }

  callsTo(api: string, action: string) {
    return this.calls.filter((c) => c.api === api && c.action === action)
  }

  /** Every customer token issued so far stops working (as after its 8 hours). */
  expireTokens() {
    for (const token of this.tokens.values()) token.expiresAt = Date.now() - 1000
  }

  addAgent(agent: FakeAgent) {
    this.agents.set(agent.id, { id: agent.id, name: agent.name, ...(agent.pictureUrl ? { avatar: agent.pictureUrl } : {}) })
  }

  chat(id: string) {
    return this.chats.get(id)
  }

  lastThread(chatId: string) {
    const chat = this.chats.get(chatId)
    return chat?.threads[chat.threads.length - 1]
  }

  storedFiles() {
    return [...this.files.values()]
  }

  /** A webhook registered by someone else (by hand in the Developer Console, for instance). */
  seedWebhook(fields: Partial<Webhook> & { action: string; url: string }): Webhook {
    const webhook: Webhook = { id: randomBytes(12).toString('hex'), secret_key: WEBHOOK_SECRET, owner_client_id: CLIENT_ID, type: 'license', ...fields }
    this.webhooks.push(webhook)
    return webhook
  }

  // ─── webhooks LiveChat would send ────────────────────────────────────────────

  /**
   * A webhook as LiveChat sends it (Webhooks v3.6, "general webhook format"): `additional_data.chat_properties` when the
   * registered webhook asked for it (`additional_data: ["chat_properties"]`), or when no webhook is registered (tests
   * that deliver without registering).
   */
  webhook(action: string, payload: Record<string, unknown>, secret = WEBHOOK_SECRET): WebhookRequest {
    const registered = this.webhooks.find((w) => w.action === action)
    const chatId = typeof payload.chat_id === 'string' ? payload.chat_id : typeof (payload.chat as any)?.id === 'string' ? (payload.chat as any).id : undefined
    const chat = chatId ? this.chats.get(chatId) : undefined
    const withProperties = !!chat && (!registered || (registered.additional_data ?? []).includes('chat_properties'))
    const body = JSON.stringify({
      webhook_id: registered?.id ?? `wh-${action}`,
      secret_key: secret,
      action,
      organization_id: ORG_ID,
      payload,
      additional_data: withProperties ? { chat_properties: chat!.properties } : {},
    })
    return { method: 'POST', path: '/', query: '', headers: { 'content-type': 'application/json', 'user-agent': 'LiveChat-Webhooks' }, body }
  }

  private threadOf(chatId: string) {
    return this.lastThread(chatId)?.id ?? `T${lcId(9)}`
  }

  /** An event written in the chat's current thread by someone (agent, customer, system) and its incoming_event webhook. */
  event(chatId: string, fields: Partial<LcEvent> & { type: string }, opts: { id?: string } = {}): WebhookRequest {
    const thread = this.lastThread(chatId)
    const threadId = thread?.id ?? `T${lcId(9)}`
    const event: LcEvent = { id: opts.id ?? `${threadId}_${(thread?.events.length ?? 0) + 1}`, created_at: iso(), visibility: 'all', ...fields }
    thread?.events.push(event)
    const { opening: _opening, ...wire } = event
    return this.webhook('incoming_event', { chat_id: chatId, thread_id: threadId, event: wire })
  }

  /**
   * LiveChat's documented rate-limit answer (https://platform.text.com/docs/messaging/agent-chat-api#possible-errors):
   * HTTP 429 with `{ error: { type: 'too_many_requests', message: 'Requests limit exceeded' } }`. The docs name no reset
   * header and no daily quota: the client cannot know when the window clears.
   */
  rateLimited(plan: RateLimitPlan): RateLimitWindow | undefined {
    if (plan.daily) return undefined
    return rateLimitWindow(this.server, {
      bases: [API],
      now: plan.now,
      until: plan.now() + plan.resetInMs,
      resetInMs: plan.resetInMs,
      answer: () => HttpResponse.json({ error: { type: 'too_many_requests', message: 'Requests limit exceeded' } }, { status: 429 }),
    })
  }

  /** What connect registers: the app's webhooks. */
  registrations() {
    return this.webhooks.filter((w) => !this.foreign.has(w.id)).length
  }

  private readonly foreign = new Set<string>()

  /** A webhook of our app that the integration did not register: made by hand for another system, with its own URL. */
  plantForeignRegistration() {
    const webhook: Webhook = {
      id: `foreign-${randomBytes(6).toString('hex')}`,
      url: 'https://elsewhere.example.com/livechat-hook',
      action: 'chat_deactivated',
      secret_key: 'another-systems-secret',
      owner_client_id: CLIENT_ID,
      type: 'license',
      description: 'Another system',
    }
    this.webhooks.push(webhook)
    this.foreign.add(webhook.id)
    return {
      exists: () => this.webhooks.some((w) => w.id === webhook.id),
      remove: () => {
        this.webhooks = this.webhooks.filter((w) => w.id !== webhook.id)
        this.foreign.delete(webhook.id)
      },
    }
  }

  /** An agent of the license (configuration `get_agent` answers it). */
  knownAgent(): FakeAgent {
    const agent = { id: 'kim.known@example.com', name: 'Kim Known', avatar: 'https://example.com/kim.png' }
    this.agents.set(agent.id, agent)
    return { id: agent.id, name: agent.name, pictureUrl: agent.avatar }
  }

  agentMessage(sessionId: string, agent: FakeAgent, message: InboundMessage, opts: { messageId?: string } = {}): WebhookRequest {
    this.addAgent(agent)
    if (message.type === 'text') return this.event(sessionId, { type: 'message', author_id: agent.id, text: message.text }, { id: opts.messageId })
    const name = message.title ?? baseName(message.url)
    const contentType = MIME[extension(message.url)] ?? MIME[extension(name)] ?? 'application/octet-stream'
    return this.event(
      sessionId,
      { type: 'file', author_id: agent.id, url: message.url, name, content_type: contentType, ...(contentType.startsWith('image/') ? { width: 640, height: 480 } : {}) },
      { id: opts.messageId }
    )
  }

  /**
   * Whether LiveChat would deliver `action` for this chat to a registered webhook of our app: `only_my_chats` lets
   * through only chats whose `source.client_id` is the owner's Client ID (Configuration API v3.6 § Register Webhook).
   */
  delivers(action: string, chatId: string): boolean {
    const chat = this.chats.get(chatId)
    return this.webhooks.some((w) => w.action === action && (!w.filters?.only_my_chats || chat?.properties.source.client_id === w.owner_client_id))
  }

  /** A chat a visitor started in the website's chat widget (another app): Botpress did not start it. */
  foreignChat(): string {
    const customer: Customer = { id: randomUUID(), cst: randomBytes(36).toString('hex'), name: 'Website visitor' }
    this.customers.set(customer.id, customer)
    const chat: Chat = {
      id: lcId(),
      customerId: customer.id,
      groupIds: [0],
      continuous: false,
      threads: [{ id: `T${lcId(9)}`, active: true, created_at: iso(), groupIds: [0], events: [] }],
      agents: new Map(),
      properties: { source: { client_id: WIDGET_CLIENT_ID, customer_client_id: WIDGET_CLIENT_ID } },
    }
    this.chats.set(chat.id, chat)
    customer.chatId = chat.id
    return chat.id
  }

  /**
   * LiveChat deleted the chat: calls on it answer 404 `not_found` ("The requested resource wasn't found", the error list
   * of the Agent Chat API v3.6, platform.text.com/docs/messaging/agent-chat-api § Possible errors, and what the
   * provider run of issue 27 saw `resume_chat` answer), and the customer has no chat any more (a new one can start).
   */
  deleteChat(chatId: string) {
    const chat = this.chats.get(chatId)
    if (!chat) return
    chat.deleted = true
    const customer = this.customers.get(chat.customerId)
    if (customer?.chatId === chatId) customer.chatId = undefined
  }

  /** LiveChat anonymized the chat (data removal): Customer Chat API calls on it answer `chat_anonymized`. */
  anonymize(chatId: string) {
    const chat = this.chats.get(chatId)
    if (chat) chat.anonymized = true
  }

  /**
   * `incoming_chat` (Webhooks v3.6: "the whole chat data structure"; the chat of the Agent Chat API v3.6 data
   * structures, with one `thread`): what Start Chat and Resume Chat trigger. With `agent`, the router already gave the
   * chat to that agent (a user of type agent, `present: true` unless told otherwise).
   */
  incomingChat(chatId: string, agent?: FakeAgent, opts: { present?: boolean } = {}): WebhookRequest {
    const chat = this.chats.get(chatId)
    if (!chat) throw new Error(`no chat ${chatId}`)
    if (agent) {
      this.addAgent(agent)
      if (opts.present !== false) chat.agents.set(agent.id, agent)
    }
    const thread = chat.threads[chat.threads.length - 1]!
    const customer = this.customers.get(chat.customerId)
    const users = [
      { id: chat.customerId, type: 'customer', present: true, ...(customer?.name ? { name: customer.name } : {}), created_at: thread.created_at },
      ...(agent
        ? [{ id: agent.id, type: 'agent', name: agent.name, email: agent.id.includes('@') ? agent.id : `${agent.id}@example.com`, present: opts.present !== false, events_seen_up_to: iso(), visibility: 'all', ...(agent.pictureUrl ? { avatar: agent.pictureUrl } : {}) }]
        : []),
    ]
    return this.webhook('incoming_chat', {
      chat: {
        id: chat.id,
        users,
        properties: chat.properties,
        access: { group_ids: chat.groupIds },
        thread: {
          id: thread.id,
          active: thread.active,
          user_ids: users.filter((u) => u.present).map((u) => u.id),
          events: thread.events.map(({ opening: _o, ...e }) => e),
          properties: {},
          access: { group_ids: thread.groupIds },
          created_at: thread.created_at,
        },
      },
    })
  }

  /** `user_added_to_chat` (Webhooks v3.6); `present: false` is how LiveChat reports an agent who writes without joining. */
  agentAssigned(sessionId: string, agent: FakeAgent, opts: { present?: boolean } = {}): WebhookRequest {
    this.addAgent(agent)
    // Agent Chat API v3.6 § Add User to Chat: more than one agent in a chat is not available by default ("to learn how
    // to add more than one agent to the chat, reach out to us"): the agent added is the one agent present from now on.
    const chat = this.chats.get(sessionId)
    if (chat && opts.present !== false) {
      chat.agents.clear()
      chat.agents.set(agent.id, agent)
    }
    return this.webhook('user_added_to_chat', {
      chat_id: sessionId,
      thread_id: this.threadOf(sessionId),
      user_type: 'agent',
      reason: 'manual',
      requester_id: PAT_AGENT.id,
      user: {
        id: agent.id,
        type: 'agent',
        name: agent.name,
        email: `${agent.id.replace(/@.*/, '')}@example.com`,
        present: opts.present !== false,
        events_seen_up_to: iso(),
        ...(agent.pictureUrl ? { avatar: agent.pictureUrl } : {}),
        visibility: 'all',
      },
    })
  }

  /** `chat_transferred` (Webhooks v3.6): `thread_id` is "present if the chat is active", so an archived chat's has none. */
  transferred(sessionId: string, to: { agentIds?: string[]; groupIds?: number[] }): WebhookRequest {
    const thread = this.lastThread(sessionId)
    // Webhooks v3.6 § chat_transferred: `transferred_to` holds "the agents the chat is assigned to after the transfer":
    // they are the chat's agents now (an unknown id is an agent of the license the fake has no profile for).
    const chat = this.chats.get(sessionId)
    if (chat && to.agentIds?.length && thread?.active !== false) {
      chat.agents.clear()
      for (const id of to.agentIds) {
        const known = this.agents.get(id)
        chat.agents.set(id, { id, name: known?.name ?? id, ...(known?.avatar ? { pictureUrl: known.avatar } : {}) })
      }
    }
    return this.webhook('chat_transferred', {
      chat_id: sessionId,
      ...(thread?.active === false ? {} : { thread_id: this.threadOf(sessionId) }),
      requester_id: PAT_AGENT.id,
      reason: 'manual',
      transferred_to: { ...(to.groupIds ? { group_ids: to.groupIds } : {}), ...(to.agentIds ? { agent_ids: to.agentIds } : {}) },
    })
  }

  /**
   * `chat_transferred` names the agent by id only (Webhooks v3.6 `transferred_to.agent_ids`), so applying it asks
   * Configuration `get_agent` for the name; LiveChat's errors are `{ error: { type, message } }` (not_found for 404).
   */
  lookupFault(sessionId: string, agent: FakeAgent): LookupFault {
    this.addAgent(agent)
    const type = (status: number) => (status === 404 ? 'not_found' : status === 429 ? 'too_many_requests' : 'service_unavailable')
    return {
      webhook: this.transferred(sessionId, { agentIds: [agent.id] }),
      what: 'the agent of a chat_transferred (configuration get_agent)',
      fail: (status) => this.faults.replace('configuration get_agent', ...Array.from({ length: 100 }, () => ({ status, body: { error: { type: type(status), message: `injected ${status}` } } }))),
      recover: () => this.faults.drop('configuration get_agent'),
    }
  }

  sessionClosed(sessionId: string): WebhookRequest {
    const thread = this.lastThread(sessionId)
    if (thread) thread.active = false
    return this.webhook('chat_deactivated', { chat_id: sessionId, thread_id: thread?.id ?? `T${lcId(9)}`, user_id: PAT_AGENT.id })
  }

  unsigned(req: WebhookRequest): WebhookRequest {
    const { secret_key: _secret, ...rest } = JSON.parse(req.body)
    return { ...req, body: JSON.stringify(rest) }
  }

  forged(req: WebhookRequest): WebhookRequest {
    return { ...req, body: JSON.stringify({ ...JSON.parse(req.body), secret_key: 'not-the-webhook-secret' }) }
  }

  readonly webhookPaths = ['/']
  /** LiveChat's only proof is `secret_key` inside the body: moving it onto another body is not a separate attack. */
  readonly proofInBody = true

  signed(body: string, opts?: { path?: string }): WebhookRequest {
    return { method: 'POST', path: opts?.path ?? '/', query: '', headers: { 'content-type': 'application/json', 'user-agent': 'LiveChat-Webhooks' }, body }
  }

  wrongLength(req: WebhookRequest): WebhookRequest {
    const body = JSON.parse(req.body)
    return { ...req, body: JSON.stringify({ ...body, secret_key: `${body.secret_key}x` }) }
  }

  // ─── request plumbing ────────────────────────────────────────────────────────

  private async track(request: Request, run: () => Response | Promise<Response>) {
    this.requests.push({ method: request.method, url: request.url })
    return run()
  }

  private violation(text: string) {
    this.problems.push(text)
  }

  private stray(request: Request, where: string) {
    const url = new URL(request.url)
    this.violation(`${where}: ${request.method} ${url.pathname} is not a documented v3.6 endpoint`)
    return lcError(404, 'not_found', 'Not found')
  }

  private fault(operation: string): Response | undefined {
    return this.faults.next(operation)
  }

  private hasScope(operation: string) {
    const wanted = SCOPES[operation]
    return !wanted || wanted.some((w) => this.options.scopes.some((h) => grants(h, w)))
  }

  private customerOf(headers: Headers): { customer?: Customer; problem?: Response } {
    const auth = headers.get('authorization') ?? ''
    const token = /^Bearer (\S+)$/.exec(auth)?.[1]
    const known = token ? this.tokens.get(token) : undefined
    if (!known || known.expiresAt <= Date.now()) return { problem: lcError(401, 'authentication', 'Invalid access token') }
    return { customer: this.customers.get(known.customerId) }
  }

  private async api(request: Request, api: string, action: string): Promise<Response> {
    const url = new URL(request.url)
    const query = Object.fromEntries(url.searchParams)
    const headers: Record<string, string> = {}
    request.headers.forEach((value, key) => (headers[key] = value))
    const where = `${api} ${action}`
    const spec = SPECS[api]?.[action]
    const contentType = headers['content-type'] ?? ''
    let body: any
    if (action === 'upload_file') {
      if (!contentType.startsWith('multipart/form-data')) this.violation(`${where}: Content-Type must be multipart/form-data (got ${contentType || 'none'})`)
    } else {
      if (!contentType.startsWith('application/json')) this.violation(`${where}: Content-Type must be application/json (got ${contentType || 'none'})`)
      const raw = await request.text()
      try {
        body = raw ? JSON.parse(raw) : undefined
      } catch {
        this.violation(`${where}: the body is not JSON`)
      }
    }
    this.calls.push({ api, action, body, headers, query })
    if (!spec) {
      this.violation(`${where}: not an action of the ${api} API (or not one the fake knows)`)
      return lcError(404, 'not_found', `Unknown action ${action}`)
    }

    // Authorization kind per API.
    const auth = headers['authorization'] ?? ''
    if (api === 'customer') {
      if (!auth.startsWith('Bearer ')) this.violation(`${where}: the Customer API takes "Authorization: Bearer <customer token>" (got ${auth.split(' ')[0] || 'none'})`)
      if (!query.organization_id) this.violation(`${where}: organization_id query parameter is missing (mandatory on every Customer API call)`)
    } else {
      if (!auth.startsWith('Basic ')) this.violation(`${where}: the ${api} API is called with the PAT as "Authorization: Basic <base64>" (got ${auth.split(' ')[0] || 'none'})`)
      if (query.organization_id) this.violation(`${where}: organization_id is a Customer API parameter`)
    }
    const region = headers['x-region']
    if (region !== undefined && !/^(dal|fra)(-[a-z])?$/.test(region)) this.violation(`${where}: X-Region "${region}" is not a region`)

    if (action !== 'upload_file') {
      for (const problem of spec(body ?? {})) this.violation(problem)
    }

    // Runtime answers, in LiveChat's order: region, authentication, scopes, faults, the action.
    if ((region ?? 'dal').replace(/-.*/, '') !== this.options.region) {
      return lcError(421, 'misdirected_request', 'Wrong region', this.options.namesRegion ? { region: this.options.region } : undefined)
    }
    let customer: Customer | undefined
    if (api === 'customer') {
      if (query.organization_id && query.organization_id !== ORG_ID) return lcError(404, 'license_not_found', 'License not found')
      const who = this.customerOf(request.headers)
      if (who.problem) return who.problem
      customer = who.customer
    } else if (auth !== `Basic ${agentTokenFor(this.options.patRegion)}`) {
      return lcError(401, 'authentication', 'Invalid access token')
    } else if (!this.hasScope(where)) {
      return lcError(403, 'authorization', 'Insufficient scopes')
    }
    const fault = this.fault(where)
    if (fault) return fault

    if (api === 'customer') return this.customerAction(action, body ?? {}, customer!, request)
    if (api === 'agent') return this.agentAction(action, body ?? {})
    return this.configurationAction(action, body ?? {})
  }

  // ─── Customer Chat API ──────────────────────────────────────────────────────

  private chatJson(chat: Chat, thread = chat.threads[chat.threads.length - 1]!) {
    const customer = this.customers.get(chat.customerId)
    return {
      id: chat.id,
      thread: {
        id: thread.id,
        created_at: thread.created_at,
        active: thread.active,
        user_ids: [chat.customerId, ...chat.agents.keys()],
        events: thread.events.map(({ opening: _o, ...e }) => e),
        access: { group_ids: thread.groupIds },
      },
      users: [
        { id: chat.customerId, type: 'customer', present: true, ...(customer?.name ? { name: customer.name } : {}) },
        ...[...chat.agents.values()].map((a) => ({ id: a.id, type: 'agent', name: a.name, present: true, ...(a.pictureUrl ? { avatar: a.pictureUrl } : {}) })),
      ],
      access: { group_ids: chat.groupIds },
      properties: chat.properties,
    }
  }

  private openThread(chat: Chat, body: any, customer: Customer): { thread: Thread; eventIds: string[] } | Response {
    const groupIds: number[] = body.chat?.access?.group_ids ?? [0]
    const unknown = groupIds.find((g) => !GROUPS.includes(g))
    if (unknown !== undefined) return lcError(400, 'group_not_found', `Group ${unknown} not found`)
    const thread: Thread = { id: `T${lcId(9)}`, active: body.active !== false, created_at: iso(), groupIds, events: [] }
    const eventIds: string[] = []
    for (const e of body.chat?.thread?.events ?? []) {
      const made = this.customerEvent(thread, e, customer.id)
      if (made instanceof Response) return made
      made.opening = true
      eventIds.push(made.id)
    }
    chat.threads.push(thread)
    chat.groupIds = groupIds
    if (typeof body.continuous === 'boolean') chat.continuous = body.continuous
    return { thread, eventIds }
  }

  private customerEvent(thread: Thread, e: any, customerId: string): LcEvent | Response {
    const event: LcEvent = { id: `${thread.id}_${thread.events.length + 1}`, type: e.type, author_id: customerId, created_at: iso(), visibility: 'all' }
    if (e.type === 'message') event.text = e.text
    else if (e.type === 'file') {
      const file = this.files.get(e.url)
      if (!file) return lcError(400, 'validation', 'File URL has to point to the LiveChat CDN')
      Object.assign(event, { url: file.url, name: file.name, content_type: file.contentType, size: file.bytes.length })
      if (e.alternative_text && file.contentType.startsWith('image/')) event.alternative_text = e.alternative_text
    } else return lcError(400, 'validation', `Unsupported event type ${e.type}`)
    thread.events.push(event)
    return event
  }

  /**
   * The customer's own chat, or LiveChat's refusal. The Customer Chat API v3.6 error list (§ Possible errors) names no
   * `not_found`: a chat the customer cannot access is refused as `authorization` ("User is not allowed to perform the
   * action"), an anonymized one as `chat_anonymized` ("The request couldn't be performed on an anonymized chat").
   */
  private ownChat(customer: Customer, chatId: unknown): Chat | Response {
    const chat = this.chats.get(String(chatId))
    // A deleted chat is not found, whoever asks (see deleteChat).
    if (chat?.deleted) return lcError(404, 'not_found', 'Chat not found')
    if (!chat || chat.customerId !== customer.id) return lcError(403, 'authorization', 'Chat access denied')
    if (chat.anonymized) return lcError(422, 'chat_anonymized', 'Chat anonymized')
    return chat
  }

  private async customerAction(action: string, body: any, customer: Customer, request: Request): Promise<Response> {
    switch (action) {
      case 'update_customer':
        for (const key of ['name', 'email', 'avatar', 'session_fields'] as const) if (body[key] !== undefined) (customer as any)[key] = body[key]
        return HttpResponse.json({})
      case 'start_chat': {
        if (customer.chatId) return lcError(400, 'validation', 'Customer already has a chat; resume it')
        const chat: Chat = {
          id: lcId(),
          customerId: customer.id,
          groupIds: [],
          continuous: false,
          threads: [],
          agents: new Map(),
          // Started by a customer of our app: both source properties name our Client ID (default-properties#source).
          properties: { source: { client_id: CLIENT_ID, customer_client_id: CLIENT_ID } },
        }
        const opened = this.openThread(chat, body, customer)
        if (opened instanceof Response) return opened
        this.chats.set(chat.id, chat)
        customer.chatId = chat.id
        return HttpResponse.json({ chat_id: chat.id, thread_id: opened.thread.id, ...(opened.eventIds.length ? { event_ids: opened.eventIds } : {}) })
      }
      case 'resume_chat': {
        const chat = this.ownChat(customer, body.chat?.id)
        if (chat instanceof Response) return chat
        if (chat.threads[chat.threads.length - 1]?.active) return lcError(400, 'validation', 'Chat is already active')
        const opened = this.openThread(chat, body, customer)
        if (opened instanceof Response) return opened
        return HttpResponse.json({ thread_id: opened.thread.id, ...(opened.eventIds.length ? { event_ids: opened.eventIds } : {}) })
      }
      case 'send_event': {
        const chat = this.ownChat(customer, body.chat_id)
        if (chat instanceof Response) return chat
        const thread = chat.threads[chat.threads.length - 1]!
        if (!thread.active && !body.attach_to_last_thread) return lcError(422, 'chat_inactive', 'Chat is inactive')
        const made = this.customerEvent(thread, body.event, customer.id)
        if (made instanceof Response) return made
        return HttpResponse.json({ event_id: made.id })
      }
      case 'deactivate_chat': {
        const chat = this.ownChat(customer, body.id)
        if (chat instanceof Response) return chat
        const thread = chat.threads[chat.threads.length - 1]!
        if (!thread.active) return lcError(422, 'chat_inactive', 'Chat is inactive')
        thread.active = false
        return HttpResponse.json({})
      }
      case 'get_chat': {
        const chat = this.ownChat(customer, body.chat_id)
        if (chat instanceof Response) return chat
        const thread = body.thread_id ? chat.threads.find((t) => t.id === body.thread_id) : undefined
        if (body.thread_id && !thread) return lcError(400, 'validation', 'Thread not found')
        return HttpResponse.json(this.chatJson(chat, thread))
      }
      case 'list_chats': {
        const chat = customer.chatId ? this.chats.get(customer.chatId) : undefined
        const summaries = chat
          ? [{ id: chat.id, last_thread_id: chat.threads[chat.threads.length - 1]!.id, active: chat.threads[chat.threads.length - 1]!.active, access: { group_ids: chat.groupIds }, properties: chat.properties, users: [] }]
          : []
        return HttpResponse.json({ chats_summary: summaries, total_chats: summaries.length })
      }
      case 'upload_file': {
        let form: FormData
        try {
          form = await request.formData()
        } catch {
          this.violation('customer upload_file: the body is not multipart/form-data')
          return lcError(400, 'validation', 'Wrong format of request')
        }
        const keys: string[] = []
        form.forEach((_value, key) => keys.push(key))
        if (keys.some((k) => k !== 'file')) this.violation(`customer upload_file: unknown form fields ${keys.filter((k) => k !== 'file').join(', ')}`)
        const file = form.get('file')
        if (!file || typeof file === 'string') {
          this.violation('customer upload_file: the form field "file" must be a file')
          return lcError(400, 'validation', 'Wrong format of request')
        }
        const bytes = Buffer.from(await (file as Blob).arrayBuffer())
        if (bytes.length > MAX_UPLOAD) return lcError(413, 'entity_too_large', 'Upload limit exceeded (10MB).')
        const name = (file as File).name || 'file'
        if (/\.(exe|bat|cmd|msi|sh)$/i.test(name)) return lcError(400, 'validation', 'Executable files are not allowed')
        const url = `${CDN}/api/file/lc/att/8948324/${randomBytes(16).toString('hex')}/${encodeURIComponent(name)}`
        const declared = (file as Blob).type
        this.files.set(url, { url, bytes, contentType: declared || MIME[extension(name)] || 'application/octet-stream', name, origin: this.served.get(sha(bytes)) })
        return HttpResponse.json({ url })
      }
    }
    return lcError(400, 'validation', 'Unknown action')
  }

  // ─── Agent Chat API ─────────────────────────────────────────────────────────

  private agentAction(action: string, body: any): Response {
    switch (action) {
      case 'list_chats':
        return HttpResponse.json({ chats_summary: [], found_chats: 0 })
      case 'get_chat': {
        // Agent Chat API v3.6 § Get Chat (platform.text.com/docs/messaging/agent-chat-api#get-chat): the chat with one
        // thread (the named one, else the latest) and the chat's `users` now, each with `present`. Possible errors
        // (§ Possible errors): not_found for a chat or thread the license does not have, missing_access for a chat
        // outside the requester's groups without chats--all.
        const chat = this.chats.get(body.chat_id)
        if (!chat || chat.deleted) return lcError(404, 'not_found', 'Chat not found')
        const thread = body.thread_id ? chat.threads.find((t) => t.id === body.thread_id) : chat.threads[chat.threads.length - 1]
        if (!thread) return lcError(404, 'not_found', 'Thread not found')
        if (!this.options.scopes.some((s) => grants(s, 'chats--all:ro')) && !chat.groupIds.some((g) => [0, GROUP_ID].includes(g))) {
          return lcError(403, 'missing_access', 'Missing access')
        }
        return HttpResponse.json(this.chatJson(chat, thread))
      }
      case 'deactivate_chat': {
        const chat = this.chats.get(body.id)
        if (!chat) return lcError(404, 'not_found', 'Chat not found')
        if (!body.ignore_requester_presence && !chat.agents.has(PAT_AGENT.id)) return lcError(400, 'validation', 'Requester is not a user of the chat')
        if (!this.options.scopes.some((s) => grants(s, 'chats--all:rw')) && !chat.groupIds.some((g) => [0, GROUP_ID].includes(g))) {
          return lcError(403, 'missing_access', 'Missing access')
        }
        const thread = chat.threads[chat.threads.length - 1]!
        if (!thread.active) return lcError(422, 'chat_inactive', 'Chat is inactive')
        thread.active = false
        return HttpResponse.json({})
      }
    }
    return lcError(404, 'not_found', 'Unknown action')
  }

  // ─── Configuration API ──────────────────────────────────────────────────────

  private configurationAction(action: string, body: any): Response {
    if ('owner_client_id' in body && body.owner_client_id !== CLIENT_ID) return lcError(400, 'validation', 'owner_client_id is not owned by the organization')
    switch (action) {
      case 'list_webhooks':
        return HttpResponse.json(this.webhooks.map(({ secret_key: _s, ...w }) => w))
      case 'register_webhook': {
        if (this.webhooks.filter((w) => w.action === body.action && w.owner_client_id === body.owner_client_id).length >= 3) {
          return lcError(400, 'limit_reached', 'Webhooks limit reached')
        }
        const webhook: Webhook = { id: randomBytes(12).toString('hex'), ...body }
        this.webhooks.push(webhook)
        return HttpResponse.json({ id: webhook.id })
      }
      case 'unregister_webhook': {
        const before = this.webhooks.length
        this.webhooks = this.webhooks.filter((w) => w.id !== body.id)
        return before === this.webhooks.length ? lcError(404, 'not_found', 'Webhook not found') : HttpResponse.json({})
      }
      case 'get_license_webhooks_state':
        return HttpResponse.json({ license_webhooks_enabled: this.options.licenseWebhooksEnabled })
      case 'enable_license_webhooks':
        this.options.licenseWebhooksEnabled = true
        return HttpResponse.json({})
      case 'get_agent': {
        const agent = this.agents.get(body.id)
        if (!agent) return lcError(404, 'not_found', 'Agent not found')
        return HttpResponse.json({ id: agent.id, account_id: randomUUID(), name: agent.name, ...(agent.avatar ? { avatar: agent.avatar } : {}), role: 'normal', login_status: 'accepting chats' })
      }
    }
    return lcError(404, 'not_found', 'Unknown action')
  }

  // ─── Customer Accounts API ──────────────────────────────────────────────────

  private issue(customer: Customer) {
    const token = `${this.options.tokenPrefix ?? this.options.region}:${randomBytes(15).toString('base64url')}`
    this.tokens.set(token, { customerId: customer.id, expiresAt: Date.now() + this.options.tokenLifetimeSec * 1000 })
    return {
      access_token: token,
      client_id: CLIENT_ID,
      entity_id: customer.id,
      expires_in: this.options.tokenLifetimeSec,
      token_type: 'Bearer',
      organization_id: ORG_ID,
    }
  }

  private async jsonBody(request: Request, where: string): Promise<any> {
    if (!(request.headers.get('content-type') ?? '').startsWith('application/json')) this.violation(`${where}: Content-Type must be application/json`)
    try {
      return JSON.parse(await request.text())
    } catch {
      this.violation(`${where}: the body is not JSON`)
      return {}
    }
  }

  private async token(request: Request): Promise<Response> {
    const where = 'accounts POST /v2/customer/token'
    const body = await this.jsonBody(request, where)
    this.calls.push({ api: 'accounts', action: 'token', body, headers: {}, query: {} })
    if (body.grant_type === 'cookie') {
      for (const p of shapeOf(`${where} (cookie)`, body, {
        grant_type: [true, isString, 'a string'],
        client_id: [true, isText, 'a client id'],
        response_type: [true, (v) => v === 'token', '"token"'],
        organization_id: [true, isText, 'an organization id'],
        redirect_uri: [true, isUrl, 'a URL (a server has no Origin header to default to)'],
      }))
        this.violation(p)
      if (request.headers.get('authorization')) this.violation(`${where}: the cookie grant takes no Authorization header`)
    } else if (body.grant_type === 'identity_token') {
      for (const p of shapeOf(`${where} (identity_token)`, body, {
        grant_type: [true, isString, 'a string'],
        client_id: [true, isText, 'a client id'],
        code: [true, isText, 'an identity transfer token'],
        code_verifier: [false, isString, 'a string'],
      }))
        this.violation(p)
    } else {
      this.violation(`${where}: grant_type ${String(body.grant_type)} is not one the adapter can use (a PAT cannot use agent_token)`)
      return oauthError(400, 'unsupported_grant_type', 'Unsupported grant type')
    }
    const fault = this.fault('accounts token')
    if (fault) return fault
    if (body.client_id !== CLIENT_ID) return oauthError(401, 'invalid_client', 'Invalid client')

    if (body.grant_type === 'identity_token') {
      const customerId = this.transferCodes.get(body.code)
      this.transferCodes.delete(body.code)
      const customer = customerId ? this.customers.get(customerId) : undefined
      if (!customer) return oauthError(401, 'invalid_grant', 'Invalid identity transfer token')
      return HttpResponse.json(this.issue(customer))
    }

    if (body.organization_id !== ORG_ID) return oauthError(401, 'invalid_request', 'Invalid organization_id')
    // The redirect_uri must be one of the app's Redirect URIs (oauth-authorization#redirect-uris); refused as
    // `unauthorized_client` with the exception detail `invalid_redirect_uri` (authorization/troubleshooting).
    const allowed = this.options.redirectUris
    if (allowed && !allowed.includes(body.redirect_uri)) return oauthError(401, 'unauthorized_client', 'invalid_redirect_uri')
    const cookies = Object.fromEntries(
      (request.headers.get('cookie') ?? '')
        .split(';')
        .map((c) => c.trim().split('='))
        .filter((kv) => kv.length === 2)
    ) as Record<string, string>
    // "Case: Existing customer": the identity cookies name a known customer, who gets a new token (no new customer).
    let customer = this.options.acceptsCookies ? this.customers.get(cookies.__lc_cid ?? '') : undefined
    if (customer && customer.cst !== cookies.__lc_cst) customer = undefined
    if (!customer) {
      customer = { id: randomUUID(), cst: randomBytes(36).toString('hex') }
      this.customers.set(customer.id, customer)
    }
    const attributes = 'Path=/v2/customer; Domain=accounts.livechat.com; Max-Age=63072000; HttpOnly; Secure; SameSite=None'
    const headers = new Headers()
    headers.append('set-cookie', `__lc_cid=${customer.id}; ${attributes}`)
    headers.append('set-cookie', `__lc_cst=${customer.cst}; ${attributes}`)
    headers.set('content-type', 'application/json')
    const { client_id: _omitted, ...answer } = this.issue(customer)
    return new HttpResponse(JSON.stringify(answer), { status: 200, headers })
  }

  private async identityTransfer(request: Request): Promise<Response> {
    const where = 'accounts POST /v2/customer/identity_transfer'
    const body = await this.jsonBody(request, where)
    this.calls.push({ api: 'accounts', action: 'identity_transfer', body, headers: {}, query: {} })
    for (const p of shapeOf(where, body, {
      bearer_type: [true, (v) => v === 'customer' || v === 'agent', '"customer" or "agent"'],
      client_id: [true, isText, 'a client id'],
      customer_id: [body.bearer_type === 'agent', isText, 'a customer id'],
      code_challenge: [false, isString, 'a string'],
    }))
      this.violation(p)
    const fault = this.fault('accounts identity_transfer')
    if (fault) return fault
    const token = /^Bearer (\S+)$/.exec(request.headers.get('authorization') ?? '')?.[1]
    const known = token ? this.tokens.get(token) : undefined
    if (!known || known.expiresAt <= Date.now()) return oauthError(401, 'invalid_request', 'Invalid access token')
    const code = `${this.options.region}:${randomBytes(15).toString('base64url')}`
    this.transferCodes.set(code, known.customerId)
    return HttpResponse.json({ identity_transfer_token: code, expires_in: 3600 })
  }

  // ─── the CDN and the web ────────────────────────────────────────────────────

  private cdn(request: Request): Response {
    const file = this.files.get(request.url)
    if (!file) return new HttpResponse('not found', { status: 404 })
    return new HttpResponse(new Uint8Array(file.bytes), { headers: { 'content-type': file.contentType } })
  }

  /** `/missing…` → 404; `/huge…` → announced as 11 MB; `/octet…` → no useful content type; anything else: a small file. */
  private web(request: Request): Response {
    const url = new URL(request.url)
    if (url.pathname.startsWith('/missing')) return new HttpResponse('not found', { status: 404 })
    const type = url.pathname.startsWith('/octet') ? 'application/octet-stream' : MIME[extension(url.pathname)] ?? 'application/octet-stream'
    if (url.pathname.startsWith('/huge')) {
      const size = String(11 * 1024 * 1024)
      if (request.method === 'HEAD') return new HttpResponse(null, { headers: { 'content-type': type, 'content-length': size } })
      return new HttpResponse(new Uint8Array(11 * 1024 * 1024), { headers: { 'content-type': type } })
    }
    const bytes = createHash('sha512').update(request.url).digest()
    this.served.set(sha(bytes), request.url)
    if (request.method === 'HEAD') return new HttpResponse(null, { headers: { 'content-type': type, 'content-length': String(bytes.length) } })
    return new HttpResponse(new Uint8Array(bytes), { headers: { 'content-type': type } })
  }
}
