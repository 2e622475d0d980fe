/**
 * Generic HTTP provider: wire-compatible with the "HITL API" protocol (an existing external service keeps working
 * unchanged), with its defects fixed by additive fields only — see README "Generic HTTP protocol".
 */
import { createHash } from 'node:crypto'
import { BadRequestError, ProviderError } from '../../core/errors'
import { header } from '../../core/crypto'
import { outboundToPayload } from '../../core/transcript'
import {
  defineProvider,
  type InboundEvent,
  type InboundMessage,
  type ProviderAdapter,
  type WebhookRequest,
} from '../../core/types'
import { expectShape, id, parseJson, z } from '../../core/validate'
import { httpConfigSchema, type HttpConfig } from './config'
import { sign, TIMESTAMP_HEADER, verify } from './signature'
import { httpRateLimit } from './ratelimit'

const TITLE = 'HTTP service'

const agentFields = {
  agentName: z.optional(z.string()),
  agentPictureUrl: z.optional(z.string()),
}
const messageFromAgent = z.object({
  remoteConversationId: id(),
  remoteUserId: id(),
  messageType: z.string(),
  payload: z.record(z.string(), z.unknown()),
  messageId: z.optional(id()),
  ...agentFields,
})
const agentAssigned = z.object({ remoteConversationId: id(), remoteUserId: id(), ...agentFields })
const stopHitl = z.object({ remoteConversationId: id() })
const idAnswer = z.object({ id: id() })

const MEDIA_FIELDS = { image: 'imageUrl', audio: 'audioUrl', video: 'videoUrl', file: 'fileUrl' } as const

/** An agent message payload in the Botpress format → normalized messages (a bloc becomes its items). */
const toInbound = (type: string, payload: Record<string, unknown>, path = 'payload'): InboundMessage[] => {
  if (type === 'text' || type === 'markdown') {
    const text = payload[type === 'text' ? 'text' : 'markdown']
    if (typeof text !== 'string' || text === '') throw new ProviderShapeError(`${path}.${type === 'text' ? 'text' : 'markdown'} must be a non-empty string`)
    return [{ type: 'text', text }]
  }
  if (type in MEDIA_FIELDS) {
    const field = MEDIA_FIELDS[type as keyof typeof MEDIA_FIELDS]
    const url = payload[field]
    if (typeof url !== 'string' || !/^https?:\/\//i.test(url)) throw new ProviderShapeError(`${path}.${field} must be an http(s) URL`)
    const title = typeof payload.title === 'string' ? payload.title : undefined
    return [{ type: type as keyof typeof MEDIA_FIELDS, url, title }]
  }
  if (type === 'bloc' && Array.isArray(payload.items)) {
    return payload.items.flatMap((item, i) => {
      const it = item as { type?: unknown; payload?: unknown }
      if (typeof it?.type !== 'string' || typeof it.payload !== 'object' || !it.payload) {
        throw new ProviderShapeError(`${path}.items.${i} must be {type, payload}`)
      }
      return toInbound(it.type, it.payload as Record<string, unknown>, `${path}.items.${i}.payload`)
    })
  }
  throw new ProviderShapeError(`messageType "${type}" is not one of text, image, audio, video, file, bloc`)
}

class ProviderShapeError extends Error {}

const routeOf = (path: string) => path.replace(/\/+$/, '').split('/').pop() ?? ''

export default defineProvider<HttpConfig>({
  name: 'http',
  title: TITLE,
  configSchema: httpConfigSchema,
  available: true,
  secrets: (config) => [config.webhookSecret],
  create: (config, { http, logger }): ProviderAdapter => {
    const secret = config.webhookSecret || undefined
    const client = http({
      provider: TITLE,
      baseUrl: config.endpointBaseUrl,
      rateLimit: httpRateLimit,
      describeError: (body) =>
        typeof body === 'object' && body && 'error' in body ? String((body as { error: unknown }).error).slice(0, 200) : undefined,
    })

    const post = async <T>(route: string, message: Record<string, unknown>, idempotent = false) => {
      const body = JSON.stringify(message)
      const res = await client.request<T>({
        method: 'POST',
        path: route,
        body,
        headers: { 'content-type': 'application/json', ...(secret ? sign(secret, body) : {}) },
        idempotent,
        operation: `/${route}`,
        responseType: 'text',
      })
      const text = res.body as unknown as string
      return text && text.trim() ? (safeJson(text) as T) : (undefined as T)
    }

    const expectId = (answer: unknown, route: string): string => {
      try {
        return expectShape(idAnswer, answer, `the answer of /${route}`).id
      } catch (error) {
        throw new ProviderError(`${TITLE} answered /${route} without an id: ${(error as Error).message}`, {
          provider: TITLE,
          operation: `/${route}`,
        })
      }
    }

    return {
      title: TITLE,

      async connect() {
        await post('ping', { type: 'ping' }, true)
        if (!secret) logger.warn('http provider: no webhookSecret configured, webhooks are accepted unsigned')
      },

      async disconnect() {
        // Nothing was registered on the service: it is told our webhook URL by its owner.
      },

      async createContact(input) {
        const answer = await post('createRemoteUser', {
          type: 'createRemoteUser',
          payload: {
            role: 'end-user',
            name: input.name,
            ...(input.pictureUrl ? { pictureUrl: input.pictureUrl } : {}),
            // A real address only (lower-cased): never the plugin's no-reply placeholder the service might e-mail.
            ...(input.email ? { email: input.email } : {}),
            ...(input.phone ? { phone: input.phone } : {}),
            ...(input.botpressUserId ? { botpressUserId: input.botpressUserId } : {}),
          },
        })
        return { id: expectId(answer, 'createRemoteUser') }
      },

      async openSession(input) {
        const { transcript } = input
        const answer = await post('createRemoteConversation', {
          type: 'createRemoteConversation',
          payload: {
            ...(input.title ? { title: input.title } : {}),
            ...(input.description ? { description: input.description } : {}),
            // The official field: one readable line per message.
            messages: transcript.entries.map((e) => ({ text: e.text, author: e.author.name })),
            // Additive: who the ticket is for, the Botpress ids, the typed history and the session extras.
            remoteUserId: input.contact.id,
            botpressConversationId: input.botpressConversationId,
            botpressUserId: input.contact.botpressUserId,
            history: transcript.entries.map((e) => ({
              source: e.author.kind === 'user' ? { type: 'user', userId: e.author.botpressUserId } : { type: 'bot' },
              authorName: e.author.name,
              type: e.type,
              payload: e.payload,
            })),
            ...(Object.keys(input.extras).length ? { hitlSession: input.extras } : {}),
          },
        })
        return { id: expectId(answer, 'createRemoteConversation') }
      },

      async sendMessage({ session, author, message, botpressMessageId, additionalData }) {
        const { type, payload } = outboundToPayload(message)
        const answer = await post<{ id?: unknown } | undefined>('botSendsMessage', {
          type: 'botSendsMessage',
          remoteConversationId: session.id,
          remoteUserId: author.kind === 'user' ? author.contact.id : 'BOT',
          payload: additionalData ? { ...payload, additionalData } : payload,
          // Additive: the message type the original never sent, and the Botpress ids.
          messageType: type,
          authorKind: author.kind,
          botpressConversationId: session.botpressConversationId,
          botpressMessageId,
        })
        const messageId = answer && (typeof answer.id === 'string' || typeof answer.id === 'number') ? String(answer.id) : undefined
        return { id: messageId }
      },

      async closeSession(session) {
        await post(
          'closeRemoteTicket',
          {
            type: 'closeRemoteTicket',
            payload: { botpressConversationId: session.botpressConversationId, remoteConversationId: session.id },
          },
          true
        )
      },

      verifyWebhook(req) {
        return secret ? verify(secret, req) : { ok: true }
      },

      parseWebhook(req: WebhookRequest) {
        const route = routeOf(req.path)
        if (req.method.toUpperCase() !== 'POST' || !['message-from-agent', 'agent-assigned', 'stop-hitl'].includes(route)) {
          return { events: [], skipped: [`${req.method} ${req.path} is not a route of the protocol`] }
        }
        const body = parseJson(req.body)
        let events: InboundEvent[]
        if (route === 'message-from-agent') {
          const m = expectShape(messageFromAgent, body, 'message-from-agent')
          let messages: InboundMessage[]
          try {
            messages = toInbound(m.messageType, m.payload)
          } catch (error) {
            if (error instanceof ProviderShapeError) throw new BadRequestError(`message-from-agent is malformed: ${error.message}`)
            throw error
          }
          events = [
            {
              kind: 'agentMessage',
              session: { id: m.remoteConversationId },
              messageId: m.messageId ?? fallbackMessageId(req),
              agent: { id: m.remoteUserId, name: m.agentName, pictureUrl: m.agentPictureUrl },
              messages,
            },
          ]
        } else if (route === 'agent-assigned') {
          const a = expectShape(agentAssigned, body, 'agent-assigned')
          events = [
            {
              kind: 'agentAssigned',
              session: { id: a.remoteConversationId },
              agent: { id: a.remoteUserId, name: a.agentName, pictureUrl: a.agentPictureUrl },
            },
          ]
        } else {
          const s = expectShape(stopHitl, body, 'stop-hitl')
          events = [{ kind: 'sessionClosed', session: { id: s.remoteConversationId } }]
        }
        return { events }
      },
    }
  },
})

/**
 * Services written for the original protocol send no message id. A signed request carries a timestamp, so the
 * same delivery repeated hashes the same (deduped) while two sends differ; an unsigned one cannot be told apart
 * from a new message, so it gets a fresh id.
 */
const fallbackMessageId = (req: WebhookRequest) => {
  const timestamp = header(req.headers, TIMESTAMP_HEADER)
  if (!timestamp) return `anon-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`
  return `sig-${createHash('sha256').update(`${timestamp}.${req.body}`).digest('hex').slice(0, 32)}`
}

const safeJson = (text: string): unknown => {
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}
