/**
 * The HTTP calls of the generic protocol (integration → desk): one JSON POST per route under the configured base URL,
 * signed when a secret is set. The desk's answers are read defensively: an id where one is required, nothing else.
 */
import { httpRateLimit } from './ratelimit'
import { ProviderError } from '../../core/errors'
import type { HttpClientFactory } from '../../core/http'
import { expectShape, id, z } from '../../core/validate'
import { asId, isRecord, own, str } from '../shared'
import type { HttpConfig } from './config'
import type { Wire } from './render'
import { sign } from './signature'

export const TITLE = 'HTTP service'

const idAnswer = z.object({ id: id() })

/** The desk's own error text (`{"error": "…"}`), cut short: it ends up in errors the bot builder reads. */
const describeError = (body: unknown): string | undefined => {
  const text = isRecord(body) ? own(body, 'error') : undefined
  return typeof text === 'string' || typeof text === 'number' ? String(text).slice(0, 200) : undefined
}

const safeJson = (text: string): unknown => {
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

export type HttpApi = ReturnType<typeof createApi>

export const createApi = (config: HttpConfig, http: HttpClientFactory) => {
  const secret = config.webhookSecret || undefined
  const client = http({ provider: TITLE, baseUrl: config.endpointBaseUrl, describeError, rateLimit: httpRateLimit })

  const post = async (route: string, message: Wire, idempotent = false): Promise<unknown> => {
    const body = JSON.stringify(message)
    const res = await client.request<string>({
      method: 'POST',
      path: route,
      body,
      headers: { 'content-type': 'application/json', ...(secret ? sign(secret, body) : {}) },
      idempotent,
      operation: `/${route}`,
      responseType: 'text',
    })
    return str(res.body) ? safeJson(res.body) : undefined
  }

  /** The `id` the route must answer with, or a ProviderError saying the desk broke the protocol. */
  const postForId = async (route: string, message: Wire): Promise<string> => {
    const answer = await post(route, message)
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
    ping: () => post('ping', { type: 'ping' }, true),
    createRemoteUser: (message: Wire) => postForId('createRemoteUser', message),
    createRemoteConversation: (message: Wire) => postForId('createRemoteConversation', message),
    /** The desk's message id when it answers one (the original protocol answers nothing). */
    botSendsMessage: async (message: Wire): Promise<string | undefined> => {
      const answer = await post('botSendsMessage', message)
      return isRecord(answer) ? asId(own(answer, 'id')) : undefined
    },
    closeRemoteTicket: (message: Wire) => post('closeRemoteTicket', message, true).then(() => undefined),
  }
}
