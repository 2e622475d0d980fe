/**
 * Webhooks of the generic HTTP protocol (desk → integration): POST <webhook>/message-from-agent, /agent-assigned and
 * /stop-hitl. `verifyWebhook` decides authenticity from the configuration alone (no I/O); `parseWebhook` turns a
 * verified request into normalized events, 400 with the reason for anything malformed.
 */
import { createHash } from 'node:crypto'
import { header } from '../../core/crypto'
import { BadRequestError } from '../../core/errors'
import type { InboundEvent, InboundMessage, ParsedWebhook, VerifyResult, WebhookRequest } from '../../core/types'
import { expectShape, id, parseJson, z } from '../../core/validate'
import { isRecord, isWebUrl, own, requestProof, withoutTrailingSlashes } from '../shared'
import { webhookModeOf, type HttpConfig } from './config'
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, timestampOf, verify } from './signature'

const ROUTES = ['message-from-agent', 'agent-assigned', 'stop-hitl'] as const
type Route = (typeof ROUTES)[number]

/** Longest `messageType` read (the known ones are a few letters); longer ones are refused before any lookup. */
const MAX_TYPE_LENGTH = 32
/** Most items an agent bloc may carry: each becomes one Botpress message. */
export const MAX_BLOC_ITEMS = 100

const agentFields = {
  agentName: z.optional(z.string()),
  agentPictureUrl: z.optional(z.string()),
}
const messageFromAgent = z.object({
  remoteConversationId: id(),
  remoteUserId: id(),
  messageType: z.string().check(z.minLength(1), z.maxLength(MAX_TYPE_LENGTH)),
  payload: z.record(z.string(), z.unknown()),
  messageId: z.optional(id()),
  ...agentFields,
})
const agentAssigned = z.object({ remoteConversationId: id(), remoteUserId: id(), ...agentFields })
const stopHitl = z.object({ remoteConversationId: id() })

type MediaKind = 'image' | 'audio' | 'video' | 'file'
/** Message type → the payload field holding its URL. Read with `own` only: `constructor` or `__proto__` find nothing. */
const MEDIA_FIELDS: Readonly<Record<string, { kind: MediaKind; field: string }>> = {
  image: { kind: 'image', field: 'imageUrl' },
  audio: { kind: 'audio', field: 'audioUrl' },
  video: { kind: 'video', field: 'videoUrl' },
  file: { kind: 'file', field: 'fileUrl' },
}
const TEXT_FIELDS: Readonly<Record<string, string>> = { text: 'text', markdown: 'markdown' }
const KNOWN_TYPES = 'text, markdown, image, audio, video, file, bloc'

const malformed = (reason: string) => new BadRequestError(`message-from-agent is malformed: ${reason}`)

/** Longest `payload.additionalData` accepted: the hitl interface's limit (a Botpress message tag, where the plugin keeps it). */
export const MAX_ADDITIONAL_DATA = 500

/** `payload.additionalData` of an agent message (the hitl message field): an opaque string, refused rather than cut when too long. */
const additionalDataOf = (payload: Record<string, unknown>): { additionalData?: string } => {
  const value = own(payload, 'additionalData')
  if (value === undefined) return {}
  if (typeof value !== 'string') throw malformed('payload.additionalData must be a string')
  if (value.length > MAX_ADDITIONAL_DATA) throw malformed(`payload.additionalData has ${value.length} characters, at most ${MAX_ADDITIONAL_DATA} are accepted`)
  return value ? { additionalData: value } : {}
}

/** An agent message payload in the Botpress format → normalized messages (a bloc becomes its items). */
const toInbound = (type: string, payload: Record<string, unknown>, path: string, inBloc: boolean): InboundMessage[] => {
  const textField = own(TEXT_FIELDS, type)
  if (textField) {
    const text = own(payload, textField)
    if (typeof text !== 'string' || text === '') throw malformed(`${path}.${textField} must be a non-empty string`)
    return [{ type: 'text', text }]
  }
  const media = own(MEDIA_FIELDS, type)
  if (media) {
    const url = own(payload, media.field)
    if (!isWebUrl(url)) throw malformed(`${path}.${media.field} must be an http(s) URL`)
    const title = own(payload, 'title')
    return [{ type: media.kind, url, title: typeof title === 'string' ? title : undefined }]
  }
  if (type === 'bloc' && !inBloc) {
    const items = own(payload, 'items')
    if (!Array.isArray(items)) throw malformed(`${path}.items must be an array`)
    if (items.length > MAX_BLOC_ITEMS) throw malformed(`${path}.items has ${items.length} items, at most ${MAX_BLOC_ITEMS} are accepted`)
    return items.flatMap((item: unknown, i) => {
      const itemType = isRecord(item) ? own(item, 'type') : undefined
      const itemPayload = isRecord(item) ? own(item, 'payload') : undefined
      if (typeof itemType !== 'string' || itemType.length > MAX_TYPE_LENGTH || !isRecord(itemPayload)) {
        throw malformed(`${path}.items.${i} must be {type, payload}`)
      }
      return toInbound(itemType, itemPayload, `${path}.items.${i}.payload`, true)
    })
  }
  const where = inBloc ? `${path.replace(/\.payload$/, '')}.type` : 'messageType'
  throw malformed(`${where} "${type}" is not one of ${inBloc ? KNOWN_TYPES.replace(', bloc', '') : KNOWN_TYPES}`)
}

/**
 * Authenticity from the configuration alone: with a secret, a valid fresh signature; without one, only when the owner
 * opted in to unsigned webhooks (`allowUnsignedWebhooks`); otherwise every request is refused.
 */
export const verifyWebhook = (config: HttpConfig, req: WebhookRequest, now = Date.now()): VerifyResult => {
  const mode = webhookModeOf(config)
  if (mode === 'signed') return verify(config.webhookSecret!, req, now)
  if (mode === 'unsigned') return { ok: true }
  return { ok: false, reason: 'unsigned webhooks are refused: set http.webhookSecret (or, insecurely, http.allowUnsignedWebhooks)' }
}

const routeOf = (path: string): Route | undefined => {
  const last = withoutTrailingSlashes(path).split('/').pop() ?? ''
  return ROUTES.find((route) => route === last)
}

/**
 * Services written for the original protocol send no message id. A signed request carries a timestamp, so the
 * same delivery repeated hashes the same (deduped) while two sends differ; an unsigned one cannot be told apart
 * from a new message, so it gets a fresh id.
 */
const fallbackMessageId = (req: WebhookRequest, signedAt: number | undefined) => {
  if (signedAt === undefined) return `anon-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`
  const timestamp = header(req.headers, TIMESTAMP_HEADER) ?? String(signedAt)
  return `sig-${createHash('sha256').update(`${timestamp}.${req.body}`).digest('hex').slice(0, 32)}`
}

/** A verified request → events. `at` is the signed timestamp (signed mode only: an unsigned one proves nothing). */
export const parseWebhook = (config: HttpConfig, req: WebhookRequest): ParsedWebhook => {
  const route = routeOf(req.path)
  if (req.method.toUpperCase() !== 'POST' || !route) {
    return { events: [], skipped: [`${req.method.slice(0, 10)} ${req.path.slice(0, 200)} is not a route of the protocol`] }
  }
  const signedAt = webhookModeOf(config) === 'signed' ? timestampOf(req) : undefined
  const at = signedAt !== undefined ? { at: signedAt } : {}
  const body = parseJson(req.body)
  let event: InboundEvent
  if (route === 'message-from-agent') {
    const m = expectShape(messageFromAgent, body, 'message-from-agent')
    event = {
      kind: 'agentMessage',
      session: { id: m.remoteConversationId },
      messageId: m.messageId ?? fallbackMessageId(req, signedAt),
      agent: { id: m.remoteUserId, name: m.agentName, pictureUrl: m.agentPictureUrl },
      messages: toInbound(m.messageType, m.payload, 'payload', false),
      ...additionalDataOf(m.payload),
      ...at,
    }
  } else if (route === 'agent-assigned') {
    const a = expectShape(agentAssigned, body, 'agent-assigned')
    event = { kind: 'agentAssigned', session: { id: a.remoteConversationId }, agent: { id: a.remoteUserId, name: a.agentName, pictureUrl: a.agentPictureUrl }, ...at }
  } else {
    const s = expectShape(stopHitl, body, 'stop-hitl')
    event = { kind: 'sessionClosed', session: { id: s.remoteConversationId }, ...at }
  }
  // Signed mode: the signature (over the timestamp and the body) tells apart two events signed in the same second.
  return signedAt !== undefined ? { events: [event], proof: requestProof(req.body, header(req.headers, SIGNATURE_HEADER)) } : { events: [event] }
}
