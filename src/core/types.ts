/**
 * The contract between the provider-neutral core and one provider adapter.
 * The core owns Botpress (users, conversations, messages, events, states); an adapter owns one provider's API.
 */
import type * as sdk from '@botpress/sdk'
import type { HttpClientFactory } from './http'
import type { Logger } from './log'
import type { MediaFetcher } from './media'

/** A message from the end user (or the bot) to the agent, normalized. Bloc items arrive one by one unless the adapter opts in. */
export type OutboundMessage =
  | { type: 'text'; text: string }
  | { type: 'markdown'; markdown: string }
  | { type: 'image' | 'audio' | 'video' | 'file'; url: string; title?: string }
  | { type: 'location'; latitude: number; longitude: number; address?: string; title?: string }
  | { type: 'bloc'; items: OutboundMessage[] }

/** A message from the agent to the end user, normalized. */
export type InboundMessage =
  | { type: 'text'; text: string }
  | { type: 'image' | 'audio' | 'video' | 'file'; url: string; title?: string }

export type Agent = { id: string; name?: string; pictureUrl?: string }

/** How an inbound event names its session: by the provider's session id (conversation tag `externalId`) or by a secondary id (tag `externalAltId`). */
export type SessionKey = { id: string; by?: 'externalId' | 'externalAltId' }

/**
 * `at`: when the provider says the event happened (its event time, or the signed timestamp of the request), epoch ms.
 * The engine orders each session's state-changing events by it: an assignment older than the one already applied (a
 * replay inside the signature window, a late redelivery) is ignored. Absent: the event is applied in arrival order.
 *
 * `proof`: what identifies the authenticity proof that carried this event (a signed event or delivery id), when it
 * differs from the request's (`ParsedWebhook.proof`). Any string; the engine keeps only a short digest.
 */
export type InboundEvent =
  | {
      kind: 'agentMessage'
      session: SessionKey
      messageId: string
      agent: Agent
      messages: InboundMessage[]
      at?: number
      /** Opaque data the agent's platform attached to the message (hitl `additionalData`, ≤ 500 characters), passed to Botpress with it. */
      additionalData?: string
      proof?: string
    }
  | { kind: 'agentAssigned'; session: SessionKey; agent: Agent; at?: number; proof?: string }
  | { kind: 'sessionClosed'; session: SessionKey; at?: number; proof?: string }

/** The raw webhook request, as Botpress forwards it. `body` is the raw string: signatures are computed over it. */
export type WebhookRequest = {
  method: string
  path: string
  query: string
  headers: Record<string, string | undefined>
  body: string
}

export type WebhookReply = { status: number; body?: string; headers?: Record<string, string> }

export type VerifyResult = { ok: true } | { ok: false; reason: string }

export type ParsedWebhook = {
  events: InboundEvent[]
  /** Answer to give the provider instead of the default 200 (e.g. a challenge echo). */
  reply?: WebhookReply
  /** Human-readable notes about parts of the request that were skipped (logged at debug level). */
  skipped?: string[]
  /**
   * What identifies the request's authenticity proof: its signature (which covers the body and any timestamp), a
   * signed delivery id, or, where the proof is a static secret, the body itself. Two events at the same `at` are told
   * apart by it, and a request whose proof was already applied is a replay (see core/order.ts). Absent for a request
   * that carries no proof (unsigned mode): such events are ordered by time only.
   */
  proof?: string
}

/** One entry of the transcript the core builds from `messageHistory`. */
export type TranscriptEntry = {
  author: { kind: 'user' | 'bot'; name: string; botpressUserId?: string }
  type: string
  /** Readable plain-text rendering of the message. */
  text: string
  /** The original Botpress payload. */
  payload: Record<string, unknown>
}

export type Transcript = {
  entries: TranscriptEntry[]
  /** The whole transcript as readable plain text ("Name: text" lines). Empty string when there is no history. */
  text: string
}

export type HitlSessionExtras = {
  priority?: 'low' | 'normal' | 'high' | 'urgent'
  routing?: string
  subject?: string
}

/** JSON-serializable provider data persisted by the core in Botpress states. */
export type Data = Record<string, unknown>

/** What createUser knew of the end user, persisted with the contact. */
export type ContactProfile = { name?: string; email?: string; phone?: string; pictureUrl?: string }

/** The end user on the provider side, as persisted when createUser ran. */
export type ContactRef = {
  /** Provider's id of the end user (user tag `externalId`). */
  id: string
  botpressUserId: string
  /** Loaded lazily (one Botpress state read, shared with `data`). */
  profile: () => Promise<ContactProfile>
  /** Adapter data saved with the contact (user state). Loaded lazily. */
  data: () => Promise<Data>
  saveData: (data: Data) => Promise<void>
}

export type SessionRef = {
  /** Provider's id of the session (conversation tag `externalId`). */
  id: string
  altId?: string
  botpressConversationId: string
  contactId?: string
  /** The end user the session is for (same as createUser's contact), when known. */
  contact?: ContactRef
  /** Adapter data saved with the session (conversation state). Loaded lazily: most operations never need it. */
  data: () => Promise<Data>
  saveData: (data: Data) => Promise<void>
}

export type CreateContactInput = {
  botpressUserId?: string
  name: string
  /** A real e-mail address, lower-cased; absent when none is known or the plugin invented a placeholder. */
  email?: string
  /** Set when the `email` input held a phone number rather than an address. */
  phone?: string
  pictureUrl?: string
}

export type CreateContactResult = { id: string; data?: Data }

export type OpenSessionInput = {
  botpressConversationId: string
  contact: ContactRef
  title?: string
  description?: string
  extras: HitlSessionExtras
  transcript: Transcript
}

export type OpenSessionResult = { id: string; altId?: string; data?: Data }

export type SendMessageInput = {
  session: SessionRef
  /** Who wrote it: the end user (from `payload.userId`) or, when absent, the bot / HITL plugin itself. */
  author: { kind: 'user'; contact: ContactRef } | { kind: 'bot'; name: string }
  message: OutboundMessage
  /** The Botpress message id; for the items of an expanded bloc, `<id>:<index>`. */
  botpressMessageId: string
  additionalData?: string
}

export type SendMessageResult = { id?: string; altId?: string }

export type ConnectInput = { webhookUrl: string }

export interface ProviderAdapter {
  /** Provider's display name, used in errors shown to the bot builder ("Acme Desk answered 503 …"). */
  readonly title: string
  /** Receives whole bloc messages instead of item by item. */
  readonly acceptsBloc?: boolean
  /** register: check credentials, create or reuse webhooks/channels. Must be idempotent. */
  connect(input: ConnectInput): Promise<void>
  /** unregister: remove what connect created. */
  disconnect(input: ConnectInput): Promise<void>
  createContact(input: CreateContactInput): Promise<CreateContactResult>
  openSession(input: OpenSessionInput): Promise<OpenSessionResult>
  sendMessage(input: SendMessageInput): Promise<SendMessageResult>
  closeSession(session: SessionRef): Promise<void>
  /**
   * Adds a bot message to a session the bot closed moments ago (the HITL plugin's closing notice, which Botpress may
   * deliver after stopHitl), without reopening it: a note, a closing comment. Only where the platform's docs say such
   * an addition leaves the ticket closed; without it the core drops the notice with one info log line.
   */
  sendAfterClose?(input: SendMessageInput): Promise<SendMessageResult>
  /** Authenticity only; no side effects, no I/O beyond what verification needs. */
  verifyWebhook(req: WebhookRequest): VerifyResult | Promise<VerifyResult>
  /** Throws `BadRequestError` for malformed input; returns no events for events it does not handle. */
  parseWebhook(req: WebhookRequest): ParsedWebhook | Promise<ParsedWebhook>
  /** Fetch an agent's name and avatar when an event carries only the id. Called only for agents Botpress does not know yet. */
  describeAgent?(agentId: string): Promise<Agent>
}

/** Integration-wide persisted data of the active provider (OAuth tokens, registered webhook/channel ids, …). */
export type ProviderStore = {
  get(): Promise<Data>
  set(data: Data): Promise<void>
}

export type ProviderDeps = {
  http: HttpClientFactory
  /** The only way to download a URL the adapter did not build (see core/media.ts). */
  media: MediaFetcher
  /** Registers secrets obtained at run time (tokens): logs and errors redact them from then on. */
  secrets: { add(...values: Array<string | undefined>): void }
  logger: Logger
  store: ProviderStore
  ctx: { botId: string; integrationId: string; webhookId: string }
}

/** The configuration section a provider's zui schema describes. */
export type ProviderConfig<TSchema extends sdk.z.ZodTypeAny> = sdk.z.infer<TSchema>

export type ProviderDefinition<TSchema extends sdk.z.ZodTypeAny = sdk.z.ZodTypeAny, TConfig = ProviderConfig<TSchema>> = {
  /** Key of the provider in the configuration (`provider` value and section name). */
  name: string
  title: string
  /** zui schema of the configuration section (shown in Studio); the adapter's configuration type is inferred from it. */
  configSchema: TSchema
  /** Whether the adapter is implemented yet. */
  available: boolean
  /** Every secret value of a configuration, so that logs and errors can redact them. */
  secrets: (config: TConfig) => Array<string | undefined>
  create: (config: TConfig, deps: ProviderDeps) => ProviderAdapter
  /**
   * Switching providers: when what `connect` created can no longer be removed by the adapter (its section was cleared
   * and nothing kept allows it, or the credentials are refused), the exact steps to remove it by hand, from the
   * provider's store (ids register kept) and the webhook URL. Undefined (or absent) when connect creates nothing.
   */
  manualCleanup?: (stored: Data, webhookUrl: string) => string | undefined
}

/** A provider, its configuration type inferred from its schema: `defineProvider({ configSchema, create: (config) => … })`. */
export const defineProvider = <TSchema extends sdk.z.ZodTypeAny>(def: ProviderDefinition<TSchema>): ProviderDefinition<TSchema> => def
