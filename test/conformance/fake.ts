/**
 * What a provider's test double must offer for the conformance suite: the provider's side of the world
 * (contacts, sessions, what the agent received) and the webhooks the provider would send, signed as it signs them.
 * Each provider implements one (msw handlers or a real loopback service) in test/providers/<name>/fake.ts.
 */
import type { SetupServer } from 'msw/node'
import type { InboundMessage, WebhookRequest } from '../../src/core/types'

export type FakeAgent = { id: string; name: string; pictureUrl?: string }

export type ReceivedMessage = {
  /** 'user' when the provider shows it as written by the end user's contact, 'bot' for notices of the bot/plugin. */
  author: 'user' | 'bot'
  contactId?: string
  kind: 'text' | 'image' | 'audio' | 'video' | 'file'
  /** Text as the agent sees it (for media: the caption or the text of a degraded link, if any). */
  text?: string
  url?: string
  title?: string
}

export type FakeSession = {
  id: string
  contactId?: string
  /** Everything the agent sees when the session opens (subject, first message, notes), as plain text. */
  openingText: string
  closed: boolean
}

export type FakeContact = { id: string; name?: string; email?: string; phone?: string }

/** A rate-limit window as the vendor documents it, for `FakeProvider.rateLimited` (test/reliability/rate-limits). */
export type RateLimitPlan = {
  /** How long the window lasts from now; the vendor's answer tells the client when it clears, in its own terms. */
  resetInMs: number
  /** The client's clock (virtual in tests): vendors whose 429 names an absolute reset compute it from this. */
  now: () => number
  /** A quota that will not clear today (a daily limit), where the vendor has one, instead of a short window. */
  daily?: boolean
}

/** What `rateLimited` installed: how many requests it answered 429, and a way to lift it early. */
export type RateLimitWindow = {
  answered(): number
  /** The reset the vendor's answer communicates (e.g. Intercom rounds to whole seconds; HubSpot names its interval). */
  resetInMs: number
  /** Whether `requestCount()` already counts the requests answered 429 (a fake whose limit sits in front of it does not). */
  counted: boolean
  clear(): void
}

/** See `FakeProvider.plantForeignRegistration`. */
export type ForeignRegistration = { exists(): boolean; remove(): void }

/** See `FakeProvider.lookupFault`. */
export type LookupFault = { webhook: WebhookRequest; what: string; fail(status: number): void; recover(): void }

export interface FakeProvider {
  /** Provider key in the configuration. */
  readonly name: string
  /**
   * An in-process fake's msw server (after `start()`). msw intercepts for one listening server at a time, so a suite
   * that runs several fakes together (test/conformance/switching.test.ts) serves all their handlers from one server.
   */
  readonly server?: SetupServer
  /** The whole integration configuration pointing at this fake: `{ provider, [name]: section }`. */
  configuration(): Record<string, unknown>
  start(): Promise<void>
  stop(): Promise<void>
  /** Forget contacts, sessions, messages and counters. */
  reset(): void
  contacts(): FakeContact[]
  sessions(): FakeSession[]
  received(sessionId: string): ReceivedMessage[]
  /** Requests the fake received, all endpoints together. */
  requestCount(): number
  /** Requests the fake received that the vendor's own spec rejects (must stay empty). */
  violations(): string[]
  agentMessage(sessionId: string, agent: FakeAgent, message: InboundMessage, opts?: { messageId?: string }): WebhookRequest | Promise<WebhookRequest>
  agentAssigned(sessionId: string, agent: FakeAgent): WebhookRequest | Promise<WebhookRequest>
  sessionClosed(sessionId: string): WebhookRequest | Promise<WebhookRequest>
  /** The same request with its authenticity proof removed / tampered with. */
  unsigned(req: WebhookRequest): WebhookRequest
  forged(req: WebhookRequest): WebhookRequest
  /** Reliability suite (test/reliability): a request carrying `body` exactly as given, correctly authenticated. */
  signed?(body: string, opts?: { path?: string }): WebhookRequest
  /** The same request with a proof of another length (e.g. one character more), or of the right length whose last character differs. */
  wrongLength?(req: WebhookRequest): WebhookRequest
  /**
   * Authenticity (one character off): the same request with every form of its proof changed at one character, the
   * first, middle or last significant one, same length and alphabet. Optional: without it, test/reliability/proof.ts
   * finds the proof where `forged` tampers with it (headers, query parameters, top-level JSON body fields).
   */
  oneCharOff?(req: WebhookRequest, at: 'first' | 'middle' | 'last'): WebhookRequest
  /** The same request signed at a time outside the provider's window (only where signatures carry a timestamp). */
  stale?(req: WebhookRequest): WebhookRequest
  /**
   * Authenticity (downgrade): the same request with its strongest proof stripped, leaving a weaker form the vendor also
   * sends (HubSpot: v1 without the v3 headers). Undefined where the request carries only one form of proof.
   */
  downgraded?(req: WebhookRequest): WebhookRequest | undefined
  /**
   * Webhook guarantees (transient vs permanent): a webhook about `agent` (unknown to Botpress so far) whose application
   * needs a provider call (the agent's name, a signed file URL…), and a fault on that call: `fail(status)` makes every
   * such call answer `status` until `recover()`. Absent where webhooks carry everything the integration applies.
   */
  lookupFault?(sessionId: string, agent: FakeAgent): Promise<LookupFault> | LookupFault
  /** The authenticity proof travels inside the body (a shared secret), not in headers over it. */
  proofInBody?: boolean
  /** The proof is a shared secret sent in a header, the same on every delivery (not computed over the body). */
  proofSharedHeader?: boolean
  /** Where webhooks go on the provider's side (paths the fuzzer targets), e.g. ['/message-from-agent']. */
  webhookPaths?: string[]
  /**
   * Reliability suite (test/reliability/rate-limits): until `plan.now()` passes the window, the provider API answers
   * what the vendor documents for a rate-limited request (status, headers, body; cite the doc). Returns undefined when
   * the vendor has no such limit (e.g. no daily quota).
   */
  rateLimited?(plan: RateLimitPlan): RateLimitWindow | undefined
  /**
   * Conformance (connect/disconnect): how many things `connect` created on the provider that `disconnect` must remove
   * (webhooks, channels…) and that exist now. A provider whose connect creates nothing reports 0.
   */
  registrations?(): number
  /**
   * Switching (test/conformance/switching.test.ts); required of every provider whose `registrations()` can be above 0:
   * plants on the provider a registration this integration did not create (a webhook or channel of the same kind,
   * pointing elsewhere), not counted by `registrations()` and never used to deliver the fake's webhooks. `exists()`:
   * whether it is still there; `remove()`: takes it away (the suite cleans up after each test).
   */
  plantForeignRegistration?(): ForeignRegistration
  /** Conformance (describeAgent, where the adapter has it): an agent the provider knows, as describeAgent must return it. */
  knownAgent?(): FakeAgent
}
