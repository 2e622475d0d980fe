/**
 * Sunshine Conversations webhooks: authenticity and the payload → normalized events mapping.
 *
 * Proof: Sunco generates a secret when a webhook is created and sends it back as the `X-API-Key` header of every
 * delivery (spec zendesk/sunshine-conversations-api-spec openapi.yaml, `tags[name=Webhooks]` "Securing Sunshine
 * Conversations Webhooks"). It is compared in constant time with the secret register stored (setup.ts).
 *
 * Payload (spec `x-webhooks."Webhook Event"`, operationId EventWebhooks): `{app: {id}, webhook: {id, version},
 * events: [{id, type, createdAt, payload}]}`; one delivery may carry several events of several conversations.
 * - `conversation:message` (`components.schemas.conversationMessageEvent`): an agent's reply is a message whose
 *   `author.type` is `business` and whose metadata names the Zendesk agent (`__zendesk_msg.agent.id`, as Botpress's
 *   own zendesk-messaging-hitl reads it: github.com/botpress/botpress integrations/zendesk-messaging-hitl
 *   src/events/conversation-message.ts). Business messages with an `AI`, `bot` or `activity` subtype
 *   (`components.schemas.author.subtypes`), or without an agent, are automated: never relayed, never an assignment.
 * - `switchboard:releaseControl` / `switchboard:passControl` (`components.schemas.switchboardReleaseControl`,
 *   `switchboardPassControl`, with `reason` ticketClosed / transferToEmail): the agent workspace giving the
 *   conversation back ends the session. Our own switchboard calls carry our metadata marker and are skipped.
 */
import { safeEqual, header } from '../../core/crypto'
import { BadRequestError } from '../../core/errors'
import type { Agent, InboundEvent, InboundMessage, ParsedWebhook, VerifyResult, WebhookRequest } from '../../core/types'
import { parseJson } from '../../core/validate'
import { asId, isRecord, isWebUrl, kindOf, own, requestProof, str, urlBaseName } from '../shared'

export const API_KEY_HEADER = 'x-api-key'
/** What the webhook subscribes to (spec `tags[name=Webhooks]` "Webhook Triggers"; case sensitive). */
export const TRIGGERS = ['conversation:message', 'switchboard:passControl', 'switchboard:releaseControl'] as const
/** Metadata key on the conversations we create (tag of the integration) and on our own messages and switchboard calls. */
export const OWNER_KEY = 'botpress_hitl'
export const ORIGIN_KEY = 'botpress_hitl_origin'
/** The Zendesk agent behind an agent-workspace message (see the file comment). */
export const AGENT_ID_KEY = '__zendesk_msg.agent.id'
/** `integrationType` of Zendesk's agent workspace in the switchboard (spec example `listSwitchboardIntegrations`). */
export const AGENT_WORKSPACE_TYPE = 'zd:agentWorkspace'
export const AGENT_WORKSPACE_NAME = 'zd-agentWorkspace'

const MAX_EVENTS = 100
const MAX_TEXT = 20_000
const MAX_NAME = 200
const AUTOMATED = new Set(['AI', 'bot', 'activity'])

type Json = Record<string, unknown>
const record = (value: unknown): Json => (isRecord(value) ? value : {})
const field = (map: Json, key: string): unknown => own(map, key)
const clip = (text: string, max: number) => (text.length > max ? text.slice(0, max) : text)

/** ISO time (`createdAt`, `received`) → epoch ms, or undefined. */
export const timeOf = (value: unknown): number | undefined => {
  if (typeof value !== 'string' || value.length > 40) return undefined
  const at = Date.parse(value)
  return Number.isFinite(at) ? at : undefined
}

export const verifyWebhook = async (req: WebhookRequest, secret: () => Promise<string | undefined>): Promise<VerifyResult> => {
  const given = header(req.headers, API_KEY_HEADER)
  if (!given) return { ok: false, reason: 'no X-API-Key header' }
  if (given.length > 512) return { ok: false, reason: 'X-API-Key too long' }
  const expected = await secret()
  if (!expected) return { ok: false, reason: 'no webhook secret stored yet: save the configuration (register)' }
  return safeEqual(given, expected) ? { ok: true } : { ok: false, reason: 'X-API-Key does not match the webhook secret' }
}

export type ParseContext = {
  appId: string
  /** The tag register gives our conversations (setup.ts `tagOf`). */
  owner: string
  /** Whether this agent's message is the first of the agent in this conversation (then it is the assignment signal). */
  firstReply: (conversationId: string, agentId: string, messageId: string) => boolean
}

/** A Sunco message `content` (`components.schemas.content`) as what the end user receives. */
export const contentOf = (content: Json): InboundMessage[] => {
  const out: InboundMessage[] = []
  // `text`, else its Markdown form (spec `textMessage`: text is required unless actions, htmlText or markdownText).
  const raw = typeof content.text === 'string' && content.text.trim() ? content.text : content.markdownText
  const text = typeof raw === 'string' ? clip(raw, MAX_TEXT * 2).trim() : ''
  const type = content.type
  if (type === 'image' || type === 'file') {
    const url = content.mediaUrl
    const alt = str(content.altText)
    if (text) out.push({ type: 'text', text: clip(text, MAX_TEXT) })
    if (isWebUrl(url, 2000)) {
      const name = urlBaseName(url)
      const title = alt ? clip(alt, MAX_NAME) : name ? clip(name, MAX_NAME) : undefined
      const mediaType = typeof content.mediaType === 'string' ? content.mediaType.slice(0, 128) : undefined
      const kind = type === 'image' ? 'image' : kindOf(mediaType, name)
      out.push({ type: kind, url, ...(title ? { title } : {}) })
    }
    return out
  }
  if (type === 'location') {
    const at = record(content.coordinates)
    if (typeof at.lat === 'number' && typeof at.long === 'number') out.push({ type: 'text', text: `Location: ${at.lat}, ${at.long}` })
    return out
  }
  // text and the structured types (carousel, list, form…): their text, if any.
  if (text) out.push({ type: 'text', text: clip(text, MAX_TEXT) })
  return out
}

const messageEvents = (payload: Json, conversationId: string, eventAt: number | undefined, ctx: ParseContext, skipped: string[]): InboundEvent[] => {
  const message = record(payload.message)
  const messageId = asId(message.id)
  if (!messageId || messageId.length > 200) throw new BadRequestError('conversation:message has no message id')
  const author = record(message.author)
  if (author.type !== 'business') return skip(skipped, `message ${clip(messageId, 40)} from the end user`)
  const metadata = record(message.metadata)
  if (field(metadata, ORIGIN_KEY) !== undefined) return skip(skipped, `our own message ${clip(messageId, 40)}`)
  const subtypes = Array.isArray(author.subtypes) ? author.subtypes.slice(0, 5) : []
  if (subtypes.some((s) => typeof s === 'string' && AUTOMATED.has(s))) return skip(skipped, `automated message ${clip(messageId, 40)}`)
  const name = str(author.displayName)
  // A human agent: named by Zendesk's agent id; else, with the `agent` subtype (spec `author.subtypes`), by display name.
  const byName = subtypes.includes('agent') && name ? `name:${clip(name, MAX_NAME)}` : undefined
  const agentId = asId(field(metadata, AGENT_ID_KEY)) ?? byName
  if (!agentId) return skip(skipped, `business message ${clip(messageId, 40)} without an agent (automated response)`)
  const agent: Agent = { id: clip(agentId, 200), ...(name ? { name: clip(name, MAX_NAME) } : {}), ...(isWebUrl(author.avatarUrl, 2000) ? { pictureUrl: author.avatarUrl } : {}) }
  const at = timeOf(message.received) ?? eventAt
  const when = at !== undefined ? { at } : {}
  const session = { id: conversationId }
  const events: InboundEvent[] = []
  // Sunco has no assignment event: an agent's first reply in the conversation is the signal (hub.md).
  if (ctx.firstReply(conversationId, agent.id, messageId)) events.push({ kind: 'agentAssigned', session, agent, ...when })
  const messages = message.deleted === true ? [] : contentOf(record(message.content))
  if (messages.length) events.push({ kind: 'agentMessage', session, messageId, agent, messages, ...when })
  else skipped.push(`message ${clip(messageId, 40)} with nothing to relay`)
  return events
}

const skip = (skipped: string[], note: string): InboundEvent[] => {
  skipped.push(note)
  return []
}

/** One event of a delivery → the normalized events it carries (added to `events`); a malformed one throws BadRequestError. */
const eventOf = (raw: unknown, ctx: ParseContext, events: InboundEvent[], skipped: string[]): void => {
  const event = record(raw)
  const type = str(event.type)
  if (!type) throw new BadRequestError('a Sunshine Conversations event has no "type"')
  const payload = record(event.payload)
  const conversation = record(payload.conversation)
  const conversationId = asId(conversation.id)
  if (!(TRIGGERS as readonly string[]).includes(type)) {
    skipped.push(`event ${clip(type, 40)} (the webhook subscribes to ${TRIGGERS.join(', ')})`)
    return
  }
  if (!conversationId || conversationId.length > 200) throw new BadRequestError(`${type} has no conversation id`)
  // Conversations we did not open for a hand-off (Web Widget, other bots…) cost nothing: ours carry our tag in their
  // metadata (adapter.ts). A payload without any conversation metadata is left to the engine's lookup (one read,
  // nothing written) rather than dropped: the spec's own examples omit it (`components.examples.*Event`).
  if (isRecord(conversation.metadata) && field(conversation.metadata, OWNER_KEY) !== ctx.owner) {
    skipped.push(`${type} of conversation ${clip(conversationId, 40)} (not a Botpress hand-off)`)
    return
  }
  const at = timeOf(event.createdAt)
  const when = at !== undefined ? { at } : {}
  if (type === 'conversation:message') {
    events.push(...messageEvents(payload, conversationId, at, ctx, skipped))
    return
  }
  const metadata = record(payload.metadata)
  if (field(metadata, ORIGIN_KEY) !== undefined) {
    skipped.push(`our own ${type} of ${clip(conversationId, 40)}`)
    return
  }
  const reason = str(payload.reason)?.slice(0, 40)
  if (type === 'switchboard:passControl') {
    const active = record(conversation.activeSwitchboardIntegration)
    if (active.integrationType === AGENT_WORKSPACE_TYPE || active.name === AGENT_WORKSPACE_NAME) {
      skipped.push(`${clip(conversationId, 40)} passed to the agent workspace`)
      return
    }
  }
  skipped.push(`${clip(conversationId, 40)}: ${type}${reason ? ` (${reason})` : ''} ends the session`)
  events.push({ kind: 'sessionClosed', session: { id: conversationId }, ...when })
}

export const parseWebhook = (req: WebhookRequest, ctx: ParseContext): ParsedWebhook => {
  const body = parseJson(req.body, 'Sunshine Conversations webhook body')
  if (!isRecord(body)) throw new BadRequestError('the Sunshine Conversations webhook body is not a JSON object')
  const appId = asId(record(body.app).id)
  if (appId && appId !== ctx.appId) return { events: [], skipped: [`events of app ${clip(appId, 40)} (not ${ctx.appId})`] }
  if (!Array.isArray(body.events)) throw new BadRequestError('the Sunshine Conversations webhook has no "events" array')
  const skipped: string[] = []
  const events: InboundEvent[] = []
  if (body.events.length > MAX_EVENTS) skipped.push(`${body.events.length - MAX_EVENTS} events beyond the first ${MAX_EVENTS}`)
  // Several events per delivery: one malformed event is skipped with its reason, the others still apply; a delivery
  // with nothing but malformed events is refused (400), as Sunco does not redeliver a 400 (spec tags[name=Webhooks]).
  let refused: string | undefined
  let accepted = 0
  for (const raw of body.events.slice(0, MAX_EVENTS)) {
    try {
      eventOf(raw, ctx, events, skipped)
      accepted++
    } catch (error) {
      if (!(error instanceof BadRequestError)) throw error
      refused ??= error.reason
      skipped.push(`a malformed event: ${error.reason}`)
    }
  }
  if (refused && accepted === 0) throw new BadRequestError(refused)
  // The proof (X-API-Key) is the same on every delivery: the body is what identifies one (a replay is the same body).
  return { events, skipped, proof: requestProof(req.body) }
}
