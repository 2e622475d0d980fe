/**
 * Chatwoot webhooks: authenticity and the payload → normalized events mapping.
 *
 * Proof, in two layers (hub.md "Signing by version"):
 * 1. Every webhook URL register gives Chatwoot carries `bp_token`, an HMAC of the account id keyed with the configured
 *    access token. It is checked from the configuration and the request alone (constant time), so a request without
 *    it costs no Botpress and no Chatwoot request, on a warm or a cold instance. Versions that do not sign (before
 *    v4.11.2 for account webhooks) are proven by it.
 * 2. Where Chatwoot returned a signing `secret` when the webhook was made, `X-Chatwoot-Signature: sha256=<hex
 *    HMAC-SHA256(secret, "<X-Chatwoot-Timestamp>.<raw body>")>` is required as well, within 5 minutes ([DOCS]
 *    api-reference/webhook-verification.mdx). A stripped signature is refused, not downgraded to the token.
 *    The secret travels in the URL itself, sealed (`bp_seal`: AES-256-GCM under a key derived from the access token,
 *    bound to the URL token), so that checking a signature needs no Botpress state either: a cold instance refuses a
 *    forged delivery with 0 Botpress and 0 Chatwoot requests. Whoever sees the URL learns nothing of the secret.
 *
 * Payloads ([CW] app/listeners/webhook_listener.rb, app/models/message.rb `webhook_data`,
 * app/presenters/conversations/event_data_presenter.rb): `message_created` is the message at top level with its
 * `conversation`; `conversation_*` events are the conversation with `changed_attributes`.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto'
import { hmac, header, isFresh, safeEqual } from '../../core/crypto'
import { createCache } from '../../core/cache'
import { BadRequestError } from '../../core/errors'
import type { Agent, InboundEvent, InboundMessage, ParsedWebhook, SessionKey, VerifyResult, WebhookRequest } from '../../core/types'
import { parseJson } from '../../core/validate'
import { asId, dropNulls, isRecord, isWebUrl, kindOf, requestProof, str, urlBaseName, withoutTrailingSlashes } from '../shared'
import { accountIdOf } from './api'
import type { ChatwootConfig } from './config'

export const TOKEN_PARAM = 'bp_token'
export const SEAL_PARAM = 'bp_seal'
export const SIGNATURE_HEADER = 'x-chatwoot-signature'
export const TIMESTAMP_HEADER = 'x-chatwoot-timestamp'
export const SIGNATURE_WINDOW_SECONDS = 300
/** What the integration subscribes to (spec `webhook_create_update_payload.subscriptions`). */
export const EVENTS = ['message_created', 'conversation_updated', 'conversation_status_changed'] as const

const MAX_QUERY = 4096
const MAX_TEXT = 20_000
const MAX_NAME = 200
const MAX_ATTACHMENTS = 20

/**
 * The URL token: derived from the configuration, so that no state is needed to check it. A signing webhook's URL carries
 * the `signed` token instead, which demands a seal and a signature: someone who saw that URL cannot strip them and pass
 * as a Chatwoot that does not sign, since the other token cannot be derived from it.
 */
export const urlToken = (config: Pick<ChatwootConfig, 'apiAccessToken' | 'accountId'>, signed = false): string => {
  const label = `botpress-hitl:chatwoot-webhook${signed ? '-signed' : ''}:${accountIdOf(config)}`
  // Derived again by every request (redaction, verification): once per access token and label on a warm instance.
  const key = `${label}\u0000${config.apiAccessToken}`
  return derived.get(key) ?? derived.set(key, hmac('sha256', config.apiAccessToken, label).slice(0, 40))
}

/** URL tokens and seal keys already derived, and seals already opened: pure functions of their inputs, in memory only. */
const derived = createCache<string>({ name: 'chatwoot derived tokens', max: 32 })
const sealKeys = createCache<SealKey>({ name: 'chatwoot seal keys', max: 16 })
const openedSeals = createCache<string>({ name: 'chatwoot opened seals', max: 32 })

/** The integration's webhook URL with our token (and, for a signing webhook, the sealed secret) added; any query it had is kept. */
export const withToken = (webhookUrl: string, token: string, seal?: string): string => {
  const url = new URL(webhookUrl)
  url.searchParams.set(TOKEN_PARAM, token)
  if (seal) url.searchParams.set(SEAL_PARAM, seal)
  else url.searchParams.delete(SEAL_PARAM)
  return url.toString()
}

// ─── the sealed secret ────────────────────────────────────────────────────────

const SEAL_LABEL = 'botpress-hitl:chatwoot-webhook-seal:v1'
const IV_BYTES = 12
const TAG_BYTES = 16
/** A secret Chatwoot returns is short (24-byte tokens); 256 bytes bounds the work done on a hostile seal. */
const MAX_SECRET_BYTES = 256
const MAX_SEAL = Math.ceil(((IV_BYTES + MAX_SECRET_BYTES + TAG_BYTES) * 4) / 3)

export type SealKey = { key: Buffer; aad: Buffer }

/** The seal's key: HMAC-SHA256(access token, fixed label); authenticated data: the URL token (so: this account). */
export const sealKey = (config: Pick<ChatwootConfig, 'apiAccessToken' | 'accountId'>): SealKey => {
  const id = `${accountIdOf(config)}\u0000${config.apiAccessToken}`
  return (
    sealKeys.get(id) ??
    sealKeys.set(id, {
      key: createHmac('sha256', config.apiAccessToken).update(SEAL_LABEL).digest(),
      aad: Buffer.from(urlToken(config, true), 'utf8'),
    })
  )
}

/** base64url(IV ‖ AES-256-GCM(secret) ‖ tag), with a random 12-byte IV. */
export const sealSecret = (secret: string, { key, aad }: SealKey, iv: Buffer = randomBytes(IV_BYTES)): string => {
  const cipher = createCipheriv('aes-256-gcm', key, iv)
  cipher.setAAD(aad)
  const body = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()])
  return Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url')
}

/** The secret inside a seal this integration made, or undefined (tampered, foreign, malformed, too long): never throws. */
export const openSeal = (seal: string, { key, aad }: SealKey): string | undefined => {
  if (!seal || seal.length > MAX_SEAL || !/^[A-Za-z0-9_-]+$/.test(seal)) return undefined
  // Every webhook of one installation carries the same seal: opened once per seal and key. Failures are not kept.
  const id = `${seal}\u0000${key.toString('base64')}\u0000${aad.toString('base64')}`
  const known = openedSeals.get(id)
  if (known !== undefined) return known
  const opened = decrypt(seal, key, aad)
  if (opened !== undefined) openedSeals.set(id, opened)
  return opened
}

const decrypt = (seal: string, key: Buffer, aad: Buffer): string | undefined => {
  const raw = Buffer.from(seal, 'base64url')
  if (raw.length <= IV_BYTES + TAG_BYTES) return undefined
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES })
    decipher.setAAD(aad)
    decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES))
    const plain = Buffer.concat([decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)), decipher.final()]).toString('utf8')
    return plain || undefined
  } catch {
    return undefined
  }
}

/** The seal a webhook URL carries, if any. */
export const sealOf = (url: string): string | undefined => {
  try {
    return new URL(url).searchParams.get(SEAL_PARAM) ?? undefined
  } catch {
    return undefined
  }
}

/** A URL without query or fragment, to recognise our webhook whatever token it carries. */
export const urlBase = (url: string): string => {
  try {
    const u = new URL(url)
    return `${u.protocol}//${u.host}${withoutTrailingSlashes(u.pathname)}`
  } catch {
    return url
  }
}

/** Whether a webhook URL carries one of these tokens. */
export const carriesToken = (url: string, ...tokens: string[]): boolean => {
  let given: string
  try {
    given = new URL(url).searchParams.get(TOKEN_PARAM) ?? ''
  } catch {
    return false
  }
  return tokens.some((token) => safeEqual(given, token))
}

const fail = (reason: string): VerifyResult => ({ ok: false, reason })

const queryParams = (query: string): URLSearchParams | undefined =>
  query && query.length <= MAX_QUERY ? new URLSearchParams(query.replace(/^\?/, '')) : undefined

/** `X-Chatwoot-Signature` over `<timestamp>.<raw body>` with the webhook's secret, within the window. */
export const verifySignature = (secret: string, req: WebhookRequest, now = Date.now()): VerifyResult => {
  const signature = header(req.headers, SIGNATURE_HEADER)?.trim().toLowerCase()
  const timestamp = header(req.headers, TIMESTAMP_HEADER)?.trim()
  if (!signature || !timestamp) return fail('X-Chatwoot-Signature or X-Chatwoot-Timestamp missing though Chatwoot gave this webhook a signing secret')
  if (!/^\d{1,12}$/.test(timestamp)) return fail('X-Chatwoot-Timestamp is not a Unix time')
  if (!isFresh(Number(timestamp), SIGNATURE_WINDOW_SECONDS, now)) return fail('X-Chatwoot-Timestamp is outside the 5-minute window')
  if (!/^sha256=[0-9a-f]{64}$/.test(signature)) return fail('X-Chatwoot-Signature is not sha256=<64 hex digits>')
  const expected = `sha256=${hmac('sha256', secret, `${timestamp}.${req.body}`)}`
  return safeEqual(signature, expected) ? { ok: true } : fail('X-Chatwoot-Signature mismatch')
}

export type VerifyContext = {
  /** The URL token of a webhook that is not signed, and the one of a signing webhook (`urlToken(config, true)`). */
  token: string
  signedToken: string
  key: SealKey
  /**
   * What this instance already knows without any request (a warm cache of what register stored): the webhook's
   * secret, when it has one. Never a Botpress read: verification costs nothing, warm or cold.
   */
  known?: () => string | undefined
  /** Called with the secret a seal opened to, so that logs and errors redact it. */
  opened?: (secret: string) => void
  now?: number
}

/**
 * Synchronous work on the request alone, no state:
 * - the signing token (constant time) → the seal must open and the signature verify with the secret inside it;
 * - the plain token → a Chatwoot that does not sign: the token is the proof; but a seal there is refused, and a
 *   secret this instance already knows (a URL registered before seals existed) still demands the signature.
 */
export const verifyWebhook = async (req: WebhookRequest, ctx: VerifyContext): Promise<VerifyResult> => {
  const params = queryParams(req.query)
  const given = params?.get(TOKEN_PARAM)
  if (!params || !given) return fail(`the webhook URL carries no ${TOKEN_PARAM}: save the integration again so that Chatwoot gets its URL`)
  const signing = safeEqual(given, ctx.signedToken)
  if (!signing && !safeEqual(given, ctx.token)) return fail(`the webhook URL's ${TOKEN_PARAM} is wrong`)
  const seal = params.get(SEAL_PARAM)
  if (!signing) {
    if (seal !== null) return fail(`the webhook URL carries a ${SEAL_PARAM} with the token of a webhook that does not sign`)
    const known = ctx.known?.()
    // A Chatwoot that does not sign (it returned no secret when the webhook was made): the URL token is the proof.
    return known ? verifySignature(known, req, ctx.now) : { ok: true }
  }
  if (!seal) return fail(`the webhook URL of a signing webhook carries no ${SEAL_PARAM}: save the integration again`)
  const secret = openSeal(seal, ctx.key)
  if (!secret) return fail(`the webhook URL's ${SEAL_PARAM} does not open: it was not made by this integration for this access token`)
  ctx.opened?.(secret)
  return verifySignature(secret, req, ctx.now)
}

// ─── payloads ─────────────────────────────────────────────────────────────────

type Json = Record<string, unknown>

const record = (value: unknown): Json => (isRecord(value) ? value : {})

const skip = (skipped: string[], note: string): InboundEvent[] => {
  skipped.push(note)
  return []
}

const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text)

/** Epoch ms from a Unix time (seconds, possibly fractional) or a date-time string. */
export const timeOf = (value: unknown): number | undefined => {
  if (typeof value === 'number' && Number.isFinite(value) && value > 0) return Math.round(value < 1e12 ? value * 1000 : value)
  if (typeof value === 'string' && value.length <= 40) {
    const ms = /^\d+(\.\d+)?$/.test(value) ? timeOf(Number(value)) : Date.parse(value)
    return ms !== undefined && Number.isFinite(ms) ? ms : undefined
  }
  return undefined
}

/**
 * The conversation's display id, the one routes use: in the conversation object `id` is the display id, but one
 * variant of [CW] app/models/concerns/push_data_helper.rb puts the table id there for webhooks; the last message's
 * `conversation_id` is the display id in every version ([CW] app/models/message.rb `push_event_data`).
 */
export const sessionIdOf = (conversation: Json): string | undefined => {
  const messages = Array.isArray(conversation.messages) ? conversation.messages : []
  return asId(record(messages[0]).conversation_id) ?? asId(conversation.id)
}

const agentOf = (person: Json, kind: 'user' | 'agent_bot'): Agent | undefined => {
  const id = asId(person.id)
  if (!id || id.length > 100) return undefined
  const name = str(person.available_name) ?? str(person.name)
  const picture = [person.avatar_url, person.thumbnail, person.avatar].find((u) => isWebUrl(u, 2000))
  return {
    id: kind === 'user' ? id : `bot-${id}`,
    ...(name ? { name: clip(name, MAX_NAME) } : {}),
    ...(typeof picture === 'string' ? { pictureUrl: picture } : {}),
  }
}

/** An attachment's `push_event_data` ([CW] app/models/attachment.rb) → what the end user receives. */
const attachmentMessage = (raw: unknown): InboundMessage | undefined => {
  const a = record(raw)
  const type = str(a.file_type)
  if (type === 'location') {
    const lat = Number(a.coordinates_lat)
    const long = Number(a.coordinates_long)
    if (!Number.isFinite(lat) || !Number.isFinite(long)) return undefined
    const title = str(a.fallback_title)
    return { type: 'text', text: `[Location${title ? `: ${clip(title, MAX_NAME)}` : ''}] ${lat}, ${long}` }
  }
  const url = [a.data_url, a.thumb_url].find((u) => isWebUrl(u, 2000))
  if (typeof url !== 'string') return undefined
  const name = urlBaseName(url)
  const title = str(a.fallback_title) ?? (name ? clip(name, MAX_NAME) : undefined)
  const kind = type === 'image' || type === 'audio' || type === 'video' || type === 'file' ? type : kindOf(undefined, name)
  return { type: kind, url, ...(title ? { title } : {}) }
}

export type ParseContext = { accountId: string; inboxId?: string; timestamp?: number }

const foreign = (body: Json, conversation: Json, ctx: ParseContext): string | undefined => {
  const account = asId(record(body.account).id) ?? asId(conversation.account_id)
  if (account && account !== ctx.accountId) return `an event of account ${clip(account, 20)}`
  const inbox = asId(record(body.inbox).id) ?? asId(conversation.inbox_id)
  if (ctx.inboxId && inbox && inbox !== ctx.inboxId) return `an event of inbox ${clip(inbox, 20)} (not the integration's)`
  return undefined
}

const messageEvent = (body: Json, ctx: ParseContext, skipped: string[]): InboundEvent[] => {
  const conversation = record(body.conversation)
  const messageId = asId(body.id)
  if (!messageId) throw new BadRequestError('message_created has no message id')
  const other = foreign(body, conversation, ctx)
  if (other) return skip(skipped, other)
  const type = body.message_type
  // Only agents' replies go to the end user: the contact's own messages (ours, posted as `incoming`), templates and
  // activity never do; private notes are for agents ([CW] app/models/concerns/message_filter_helpers.rb).
  if (!(type === 'outgoing' || type === 1)) return skip(skipped, `message ${messageId} of type ${String(type).slice(0, 20)}`)
  if (body.private === true) return skip(skipped, `private note ${messageId}`)
  const sender = record(body.sender)
  const kind = sender.type === 'user' ? 'user' : sender.type === 'agent_bot' ? 'agent_bot' : undefined
  const agent = kind && agentOf(sender, kind)
  if (!agent) return skip(skipped, `message ${messageId} sent by ${str(sender.type)?.slice(0, 20) ?? 'nobody'}`)
  const id = sessionIdOf(conversation)
  if (!id) throw new BadRequestError('message_created has no conversation id')
  const messages: InboundMessage[] = []
  const content = typeof body.content === 'string' ? body.content.trim() : ''
  if (content) messages.push({ type: 'text', text: clip(content, MAX_TEXT) })
  const attachments = Array.isArray(body.attachments) ? body.attachments.slice(0, MAX_ATTACHMENTS) : []
  for (const attachment of attachments) {
    const message = attachmentMessage(attachment)
    if (message) messages.push(message)
  }
  if (!messages.length) return skip(skipped, `empty message ${messageId}`)
  const at = timeOf(body.created_at) ?? ctx.timestamp
  return [{ kind: 'agentMessage', session: { id }, messageId, agent, messages, ...(at ? { at } : {}) }]
}

/** `changed_attributes`: `[{"<attr>": {previous_value, current_value}}]` ([CW] app/listeners/base_listener.rb). */
const changesOf = (value: unknown): Map<string, unknown> => {
  const changes = new Map<string, unknown>()
  for (const entry of Array.isArray(value) ? value.slice(0, 50) : []) {
    for (const [key, change] of Object.entries(record(entry))) {
      if (isRecord(change) && Object.prototype.hasOwnProperty.call(change, 'current_value')) changes.set(key, change.current_value)
    }
  }
  return changes
}

const conversationEvent = (event: string, body: Json, ctx: ParseContext, skipped: string[]): InboundEvent[] => {
  const other = foreign(body, body, ctx)
  if (other) return skip(skipped, other)
  const id = sessionIdOf(body)
  if (!id) throw new BadRequestError(`${event} has no conversation id`)
  const session: SessionKey = { id }
  const at = timeOf(body.updated_at) ?? ctx.timestamp
  const when = at ? { at } : {}
  const changes = changesOf(body.changed_attributes)
  const events: InboundEvent[] = []
  if (changes.has('assignee_id')) {
    const assigneeId = asId(changes.get('assignee_id'))
    const meta = record(body.meta)
    const assignee = record(meta.assignee)
    const byBot = str(meta.assignee_type)?.toLowerCase() === 'agentbot'
    if (!assigneeId) skipped.push(`conversation ${id} unassigned`)
    else if (byBot) skipped.push(`conversation ${id} assigned to an agent bot`)
    else {
      const described = asId(assignee.id) === assigneeId ? agentOf(assignee, 'user') : undefined
      events.push({ kind: 'agentAssigned', session, agent: described ?? { id: assigneeId }, ...when })
    }
  }
  const status = event === 'conversation_status_changed' ? (changes.get('status') ?? body.status) : changes.get('status')
  if (status === 'resolved') events.push({ kind: 'sessionClosed', session, ...when })
  if (!events.length) skipped.push(`${event} of conversation ${id} changing ${[...changes.keys()].join(', ').slice(0, 100) || 'nothing we use'}`)
  return events
}

/** A verified webhook → events; its proof: the signature (over timestamp and body), or the body under a static token. */
export const parseWebhook = (req: WebhookRequest, ctx: ParseContext): ParsedWebhook => ({
  ...parseEvent(req, ctx),
  proof: requestProof(req.body, header(req.headers, SIGNATURE_HEADER)),
})

const parseEvent = (req: WebhookRequest, ctx: ParseContext): ParsedWebhook => {
  const body = dropNulls(parseJson(req.body, 'Chatwoot webhook body'))
  if (!isRecord(body)) throw new BadRequestError('the Chatwoot webhook body is not a JSON object')
  const event = str(body.event)
  if (!event) throw new BadRequestError('the Chatwoot webhook has no "event"')
  const skipped: string[] = []
  if (event === 'message_created') return { events: messageEvent(body, ctx, skipped), skipped }
  if (event === 'conversation_updated' || event === 'conversation_status_changed') {
    return { events: conversationEvent(event, body, ctx, skipped), skipped }
  }
  return { events: [], skipped: [`event ${event.slice(0, 40)} (the integration subscribes to ${EVENTS.join(', ')})`] }
}
