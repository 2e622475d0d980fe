/**
 * Freshchat conversation webhooks: authenticity (./signature.ts) and the payload → normalized events mapping.
 *
 * Payloads (Freshworks, "Freshchat Webhooks Payload Structure and Authentication",
 * https://crmsupport.freshworks.com/en/support/solutions/articles/50000004461, cited below as [WH]):
 * `{ actor: { actor_type, actor_id }, action, action_time, data }` with `action` one of `message_create`
 * (`data.message`), `conversation_assignment` (`data.assignment`: `assignor`, `to_agent_id`, `to_group_id`,
 * `from_agent_id`, `from_group_id`, `conversation`), `conversation_resolution` (`data.resolve`: `resolver`,
 * `conversation`) and `conversation_reopen` (`data.reopen`). `actor_type` is user, agent or system; `message_type`
 * normal or private. Every conversation object and message names its `channel_id` (the topic).
 *
 * Deliveries carry no timestamp in their proof: a captured delivery can be replayed. Replays are harmless through
 * ids (messages are keyed by `data.message.id`) and ordering (each event's `at` is its `action_time`, so an
 * assignment or a resolution older than what a session applied is ignored by the engine).
 *
 * Hostile bodies: the JSON is read at fixed paths with own-property lookups only (`__proto__`, `constructor` find
 * nothing), lists are cut before they are walked, nothing recurses: depth costs nothing.
 */
import { header } from '../../core/crypto'
import { BadRequestError } from '../../core/errors'
import type { Agent, InboundEvent, InboundMessage, ParsedWebhook, VerifyResult, WebhookRequest } from '../../core/types'
import { parseJson } from '../../core/validate'
import { asId, isRecord, isWebUrl, kindOf, requestProof, str, urlBaseName } from '../shared'
import { SIGNATURE_HEADER, verifySignature } from './signature'
import type { KeyObject } from 'node:crypto'

export const EVENTS = ['message_create', 'conversation_assignment', 'conversation_resolution'] as const

/** Far above any conversation event; a larger body is refused before it is parsed. */
export const MAX_BODY = 1_000_000
const MAX_TEXT = 20_000
const MAX_PARTS = 20
const MAX_ID = 200

type Json = Record<string, unknown>

/** `value[key]` only when it is the object's own property. */
const field = (value: unknown, key: string): unknown =>
  isRecord(value) && Object.prototype.hasOwnProperty.call(value, key) ? value[key] : undefined
const obj = (value: unknown, key: string): Json => {
  const inner = field(value, key)
  return isRecord(inner) ? inner : {}
}
const text = (value: unknown, key: string) => str(field(value, key))
const id = (value: unknown, key: string) => {
  const found = asId(field(value, key))
  return found && found.length <= MAX_ID ? found : undefined
}

const clip = (s: string, max: number) => (s.length > max ? `${s.slice(0, max - 1)}…` : s)

/** Epoch ms of an ISO time (`action_time`, `created_time`) or a Unix time; undefined when it is neither. */
export const timeOf = (value: unknown): number | undefined => {
  if (typeof value === 'number' && Number.isFinite(value) && value > 0) return Math.round(value < 1e12 ? value * 1000 : value)
  if (typeof value === 'string' && value.length <= 40) {
    const ms = Date.parse(value)
    return Number.isFinite(ms) ? ms : undefined
  }
  return undefined
}

export const verifyWebhook = (req: WebhookRequest, key: KeyObject | undefined): VerifyResult => {
  if (!key) return { ok: false, reason: 'freshchat.webhookPublicKey is not a valid RSA public key: every delivery is refused' }
  return verifySignature(key, req.body, header(req.headers, SIGNATURE_HEADER))
}

/**
 * One message part ([WH] `message_parts`; the part shapes of Freshworks' own client, github:freshworks/jaya-lib
 * packages/freshchat-api/src/interfaces/MessagePart.ts: `text.content`, `image.url`, `file.{url,name,content_type}`;
 * `video.{url,content_type}` as Botpress's peer integration sends it) → what the end user receives. Other parts
 * (buttons, quick replies, templates) are not for the end user's channel and are skipped.
 */
const partMessage = (part: unknown): InboundMessage | undefined => {
  const content = text(obj(part, 'text'), 'content')
  if (content) return { type: 'text', text: clip(content, MAX_TEXT) }
  const image = obj(part, 'image')
  const imageUrl = field(image, 'url')
  if (isWebUrl(imageUrl, 2000)) return { type: 'image', url: imageUrl }
  for (const kind of ['video', 'audio'] as const) {
    const media = obj(part, kind)
    const url = field(media, 'url')
    if (isWebUrl(url, 2000)) return { type: kind, url }
  }
  const file = obj(part, 'file')
  const fileUrl = field(file, 'url')
  if (isWebUrl(fileUrl, 2000)) {
    const name = text(file, 'name') ?? urlBaseName(fileUrl)
    const kind = kindOf(text(file, 'content_type')?.slice(0, 100), name)
    return { type: kind, url: fileUrl, ...(name ? { title: clip(name, 200) } : {}) }
  }
  return undefined
}

export type ParseContext = {
  /** The topic the integration's conversations open in, when known without a request (configured, or seen on this instance). */
  channelId?: string
}

const otherChannel = (entity: Json, ctx: ParseContext): string | undefined => {
  const channel = id(entity, 'channel_id')
  return ctx.channelId && channel && channel !== ctx.channelId ? `an event of topic ${clip(channel, 40)} (not the integration's)` : undefined
}

const messageEvent = (body: Json, at: number | undefined, ctx: ParseContext, skipped: string[]): InboundEvent[] => {
  const message = obj(obj(body, 'data'), 'message')
  const messageId = id(message, 'id')
  if (!messageId) throw new BadRequestError('message_create has no data.message.id')
  const conversationId = id(message, 'conversation_id')
  if (!conversationId) throw new BadRequestError('message_create has no data.message.conversation_id')
  const other = otherChannel(message, ctx)
  if (other) return (skipped.push(other), [])
  const actor = obj(body, 'actor')
  const actorType = text(message, 'actor_type') ?? text(actor, 'actor_type')
  // Only agents' messages reach the end user: the user's own (ours, posted as actor_type user), the bot's notices
  // (actor_type bot) and system messages never do ([WH] actor_type user, agent, system).
  if (actorType !== 'agent') return (skipped.push(`message ${messageId} from ${clip(actorType ?? 'nobody', 20)}`), [])
  // Private notes are for agents ([WH] message_type normal, private; `botsPrivateNote` in the 2022 sample).
  const type = text(message, 'message_type') ?? 'normal'
  if (type !== 'normal' || field(message, 'botsPrivateNote') === true) return (skipped.push(`${clip(type, 20)} message ${messageId}`), [])
  const agentId = id(message, 'actor_id') ?? id(actor, 'actor_id')
  if (!agentId) throw new BadRequestError('message_create from an agent has no actor_id')
  const rawParts = field(message, 'message_parts')
  const parts = Array.isArray(rawParts) ? rawParts.slice(0, MAX_PARTS) : []
  const messages = parts.map(partMessage).filter((m): m is InboundMessage => !!m)
  if (!messages.length) return (skipped.push(`message ${messageId} without a part for the end user`), [])
  const when = timeOf(field(message, 'created_time')) ?? at
  const agent: Agent = { id: agentId }
  return [{ kind: 'agentMessage', session: { id: conversationId }, messageId, agent, messages, ...(when ? { at: when } : {}) }]
}

const conversationOf = (section: Json, action: string): { conversation: Json; id: string } => {
  const conversation = obj(section, 'conversation')
  const conversationId = id(conversation, 'conversation_id')
  if (!conversationId) throw new BadRequestError(`${action} has no conversation.conversation_id`)
  return { conversation, id: conversationId }
}

const assignmentEvent = (body: Json, at: number | undefined, ctx: ParseContext, skipped: string[]): InboundEvent[] => {
  const assignment = obj(obj(body, 'data'), 'assignment')
  const { conversation, id: conversationId } = conversationOf(assignment, 'conversation_assignment')
  const other = otherChannel(conversation, ctx)
  if (other) return (skipped.push(other), [])
  // An agent, not a group: a conversation routed to a group only waits there (no agent has it yet).
  const agentId = id(assignment, 'to_agent_id')
  if (!agentId) return (skipped.push(`conversation ${clip(conversationId, 60)} assigned to a group only`), [])
  return [{ kind: 'agentAssigned', session: { id: conversationId }, agent: { id: agentId }, ...(at ? { at } : {}) }]
}

const resolutionEvent = (body: Json, at: number | undefined, ctx: ParseContext, skipped: string[]): InboundEvent[] => {
  const resolve = obj(obj(body, 'data'), 'resolve')
  const { conversation, id: conversationId } = conversationOf(resolve, 'conversation_resolution')
  const other = otherChannel(conversation, ctx)
  if (other) return (skipped.push(other), [])
  return [{ kind: 'sessionClosed', session: { id: conversationId }, ...(at ? { at } : {}) }]
}

/**
 * A verified webhook → events. Its proof is an RSA signature of the body alone (no timestamp): the body identifies it
 * (one body has one valid signature, however the header spells it).
 */
export const parseWebhook = (req: WebhookRequest, ctx: ParseContext): ParsedWebhook => ({ ...parseAction(req, ctx), proof: requestProof(req.body) })

const parseAction = (req: WebhookRequest, ctx: ParseContext): ParsedWebhook => {
  if (req.body.length > MAX_BODY) throw new BadRequestError('the Freshchat webhook body is too large')
  const body = parseJson(req.body, 'Freshchat webhook body')
  if (!isRecord(body)) throw new BadRequestError('the Freshchat webhook body is not a JSON object')
  const action = text(body, 'action')
  if (!action) throw new BadRequestError('the Freshchat webhook has no "action"')
  const at = timeOf(field(body, 'action_time'))
  const skipped: string[] = []
  switch (action) {
    case 'message_create':
      return { events: messageEvent(body, at, ctx, skipped), skipped }
    case 'conversation_assignment':
      return { events: assignmentEvent(body, at, ctx, skipped), skipped }
    case 'conversation_resolution':
      return { events: resolutionEvent(body, at, ctx, skipped), skipped }
    case 'conversation_reopen':
      // A session the agent resolved is over for the bot: a reopen does not resurrect it (the engine keeps closed final).
      return { events: [], skipped: ['conversation_reopen (a resolved session stays closed)'] }
    default:
      return { events: [], skipped: [`event ${clip(action, 40)} (the integration uses ${EVENTS.join(', ')})`] }
  }
}
