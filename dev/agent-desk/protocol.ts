/**
 * The generic "HITL API" protocol as the agent desk sees it: request validation against the official specs (the
 * patched `*.prism.json` copies in ./specs) plus our additive extensions, request signing, and the small payload
 * rules of agent messages.
 */
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv'
import { createHmac, timingSafeEqual } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'
import webhookSpec from './specs/hitl-api-botpress-webhook.prism.json'
import serviceSpec from './specs/hitl-api-external-service.prism.json'

type OpenApi = {
  components: { schemas: Record<string, object> }
  paths: Record<string, { post?: { operationId?: string; requestBody?: { content?: Record<string, { schema?: { $ref?: string } }> } } }>
}
export type Route = { operationId: string; validate?: ValidateFunction; extension?: ValidateFunction }

const ajv = new Ajv({ allErrors: true })

/** One validator per `POST` path of an OpenAPI document (its components become `$defs` of one schema). */
const compileRoutes = (id: string, doc: OpenApi, extensions: Record<string, object> = {}) => {
  ajv.addSchema({ $id: id, $defs: doc.components.schemas })
  const routes = new Map<string, Route>()
  for (const [path, item] of Object.entries(doc.paths)) {
    const ref = item.post?.requestBody?.content?.['application/json']?.schema?.$ref
    routes.set(path, {
      operationId: item.post?.operationId ?? path,
      validate: ref ? ajv.compile({ $ref: id + ref.replace('#/components/schemas/', '#/$defs/') }) : undefined,
      extension: extensions[path] ? ajv.compile(extensions[path]) : undefined,
    })
  }
  return routes
}

// Our additive fields are all optional, but when present they must have the right shape.
const str = { type: 'string' }
const obj = (properties: Record<string, object>, required: string[] = []) => ({ type: 'object', properties, required })
const extensions: Record<string, object> = {
  '/createRemoteUser': obj({ payload: obj({ role: { const: 'end-user' }, name: str, pictureUrl: str, email: str, botpressUserId: str }, ['name']) }),
  '/createRemoteConversation': obj({
    payload: obj({
      remoteUserId: str,
      botpressConversationId: str,
      botpressUserId: str,
      history: {
        type: 'array',
        items: obj({ source: obj({ type: { enum: ['user', 'bot'] }, userId: str }, ['type']), type: str, payload: { type: 'object' } }, ['source', 'type', 'payload']),
      },
      hitlSession: { type: 'object' },
    }),
  }),
  '/botSendsMessage': obj({ messageType: str, authorKind: { enum: ['user', 'bot'] }, botpressConversationId: str, botpressMessageId: str }),
  '/closeRemoteTicket': obj({ payload: obj({ remoteConversationId: str }) }),
}

/** Integration → desk routes, and desk → integration webhook routes. */
export const serviceRoutes = compileRoutes('hitl-external-service', serviceSpec as OpenApi, extensions)
export const webhookRoutes = compileRoutes('hitl-botpress-webhook', webhookSpec as OpenApi)

const describeError = (e: ErrorObject) => {
  const where = e.instancePath || '(body)'
  const allowed = e.keyword === 'enum' ? `: ${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')}` : ''
  return `${where} ${e.message}${allowed}`
}

/** The violations of a body (spec first, then our extensions, tagged `[extension]`); empty when it is valid. */
export const violationsOf = (route: Route, body: unknown): string[] => {
  const errors: string[] = []
  if (route.validate && !route.validate(body)) errors.push(...(route.validate.errors ?? []).map(describeError))
  if (route.extension && !route.extension(body)) errors.push(...(route.extension.errors ?? []).map((e) => `[extension] ${describeError(e)}`))
  return errors
}

// ── signing ──────────────────────────────────────────────────────────────────
export const TIMESTAMP_HEADER = 'x-hitl-timestamp'
export const SIGNATURE_HEADER = 'x-hitl-signature'
export const WINDOW_SECONDS = 300

const signatureOf = (secret: string, timestamp: string, body: string | Buffer) =>
  'sha256=' + createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex')

export const signHeaders = (secret: string, body: string, timestamp = Math.floor(Date.now() / 1000)) => ({
  [TIMESTAMP_HEADER]: String(timestamp),
  [SIGNATURE_HEADER]: signatureOf(secret, String(timestamp), body),
})

/** Why a signed request must be refused, or undefined when its signature is good. Covers the raw bytes received. */
export const signatureProblem = (secret: string, headers: IncomingHttpHeaders, raw: Buffer, now = Date.now()): string | undefined => {
  const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v)
  const timestamp = one(headers[TIMESTAMP_HEADER])
  const signature = one(headers[SIGNATURE_HEADER])
  if (!timestamp || !signature) return `missing ${TIMESTAMP_HEADER} or ${SIGNATURE_HEADER} header`
  if (!/^\d{1,12}$/.test(timestamp) || Math.abs(now / 1000 - Number(timestamp)) > WINDOW_SECONDS) return `stale or invalid ${TIMESTAMP_HEADER}`
  const given = Buffer.from(signature)
  const expected = Buffer.from(signatureOf(secret, timestamp, raw))
  return given.length === expected.length && timingSafeEqual(given, expected) ? undefined : 'signature mismatch'
}

// ── message payloads ─────────────────────────────────────────────────────────
const MEDIA_FIELDS: Record<string, string> = { image: 'imageUrl', audio: 'audioUrl', video: 'videoUrl', file: 'fileUrl' }
export const MAX_ADDITIONAL_DATA = 500
export const AGENT_MESSAGE_TYPES = ['text', 'image', 'audio', 'video', 'file', 'bloc'] as const

/** The Botpress message type of a payload, for integrations that do not send `messageType` (the original protocol). */
export const inferMessageType = (payload: Record<string, unknown>): string => {
  if (Array.isArray(payload.items)) {
    return payload.items.every((i) => typeof i === 'object' && i !== null && 'type' in i && 'payload' in i) ? 'bloc' : 'carousel'
  }
  if (Array.isArray(payload.actions)) return 'card'
  if (Array.isArray(payload.options)) return 'choice'
  for (const [type, field] of Object.entries(MEDIA_FIELDS)) if (typeof payload[field] === 'string') return type
  if (typeof payload.latitude === 'number' && typeof payload.longitude === 'number') return 'location'
  if (typeof payload.markdown === 'string') return 'markdown'
  if (typeof payload.text === 'string') return 'text'
  return 'unknown'
}

/** What is wrong with an agent message (type + Botpress payload), or undefined when it is well formed. */
export const agentMessageProblem = (type: unknown, payload: unknown, path = 'payload'): string | undefined => {
  if (typeof type !== 'string' || !(AGENT_MESSAGE_TYPES as readonly string[]).includes(type)) {
    return `type must be one of ${AGENT_MESSAGE_TYPES.join(', ')}`
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return `${path} must be an object`
  const p = payload as Record<string, unknown>
  // The hitl message field, on the message itself (not on bloc items): opaque, at most 500 characters (hitl interface).
  if (path === 'payload' && p.additionalData !== undefined && !(typeof p.additionalData === 'string' && p.additionalData.length <= MAX_ADDITIONAL_DATA)) {
    return `${path}.additionalData must be a string of at most ${MAX_ADDITIONAL_DATA} characters`
  }
  if (type === 'text') return typeof p.text === 'string' && p.text.trim() ? undefined : `${path}.text must be a non-empty string`
  if (type === 'bloc') {
    if (!Array.isArray(p.items) || !p.items.length) return `${path}.items must be a non-empty array of {type, payload}`
    for (const [i, item] of p.items.entries()) {
      const problem = item?.type === 'bloc' ? `${path}.items.${i} cannot be a bloc` : agentMessageProblem(item?.type, item?.payload, `${path}.items.${i}.payload`)
      if (problem) return problem
    }
    return undefined
  }
  const field = MEDIA_FIELDS[type]!
  return typeof p[field] === 'string' && /^https?:\/\/\S+$/i.test(p[field]) ? undefined : `${path}.${field} must be an http(s) URL`
}

export const agentProblem = (agent: unknown): string | undefined => {
  if (typeof agent !== 'object' || agent === null) return 'agent must be an object {id, name?, pictureUrl?}'
  const a = agent as Record<string, unknown>
  if (typeof a.id !== 'string' || !a.id.trim()) return 'agent.id must be a non-empty string'
  for (const key of ['name', 'pictureUrl']) if (a[key] !== undefined && typeof a[key] !== 'string') return `agent.${key} must be a string`
  return undefined
}
