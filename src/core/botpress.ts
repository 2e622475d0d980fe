/**
 * What the core needs of Botpress's runtime API, and the client it applies webhooks and emits events with.
 *
 * The SDK gives handlers a client that repeats a POST answered 429 or 502 (its `retryConfig`: 3 retries, honouring
 * Retry-After). A POST Botpress committed before answering 502 is then made twice: two hitlStopped for one close.
 * `carefulClient` repeats only what is safe to repeat (network errors and idempotent methods: GET, PUT, DELETE), never
 * a POST, never a 429 (that one becomes a 503 to the provider, which redelivers), and keeps the Retry-After Botpress
 * gave on the error so the webhook answer can pass it on.
 */
import { createHash } from 'node:crypto'
import { axiosRetry, Client, isApiError } from '@botpress/client'
import { createCache } from './cache'
import { retryAfterAt } from './http'

export type BotClient = Pick<
  Client,
  | 'getUser'
  | 'listUsers'
  | 'getOrCreateUser'
  | 'updateUser'
  | 'deleteUser'
  | 'createConversation'
  | 'getConversation'
  | 'listConversations'
  | 'updateConversation'
  | 'deleteConversation'
  | 'getOrCreateMessage'
  | 'createEvent'
  | 'listEvents'
  | 'getState'
  | 'setState'
>

export const BOT_NAME = 'Bot'
export const HITL_CHANNEL = 'hitl'

/** Retries of an idempotent request (network error, 5xx on GET/PUT/DELETE), spaced by `retryDelayMs` × attempt. */
export const CAREFUL_RETRIES = 3

type RetryConfig = NonNullable<ConstructorParameters<typeof Client>[0]>['retry']
type RetryError = Parameters<NonNullable<NonNullable<RetryConfig>['retryCondition']>>[0]

const RETRY_AFTER = 'retryAfterSeconds'

/** Botpress's Retry-After in whole seconds from now (the shared client's reading of the header), at most an hour. */
const retryAfterSeconds = (headers: unknown, now = Date.now()): number | undefined => {
  if (typeof headers !== 'object' || headers === null) return undefined
  const at = retryAfterAt(headers as Record<string, string | string[] | undefined>, now)
  return at === undefined ? undefined : Math.min(Math.max(Math.ceil((at - now) / 1000), 0), 3600)
}

/** Keeps Botpress's Retry-After on the error the client will build from the answer's body (its `metadata`). */
const keepRetryAfter = (error: RetryError) => {
  const response = error.response
  if (!response || response.status !== 429) return
  const seconds = retryAfterSeconds(response.headers)
  const body: unknown = response.data
  if (seconds === undefined || typeof body !== 'object' || body === null) return
  const withMeta = body as { metadata?: Record<string, unknown> }
  withMeta.metadata = { ...(withMeta.metadata ?? {}), [RETRY_AFTER]: seconds }
}

const carefulClients = createCache<Client>({ name: 'careful Botpress clients', max: 64 })

/** A client like the SDK's (same URL, credentials and headers) that never repeats a POST nor a 429. */
export const carefulClient = (sdkClient: Client, options: { retryDelayMs?: number } = {}): Client => {
  const delay = options.retryDelayMs ?? 200
  // A client that does not expose its configuration (an in-memory stand-in) has no retries to tame: used as it is.
  if (!sdkClient.config) return sdkClient
  const { apiUrl, headers, timeout } = sdkClient.config
  // One per bot and credentials on a warm instance, instead of a new HTTP client for every request Botpress forwards.
  const key = createHash('sha256').update(JSON.stringify({ apiUrl, headers, timeout, delay })).digest('base64url')
  const known = carefulClients.get(key)
  if (known) return known
  return carefulClients.set(key, new Client({
    apiUrl,
    headers,
    timeout,
    retry: {
      retries: CAREFUL_RETRIES,
      // Asked once per failed attempt (before the retry budget runs out), so it also sees every 429.
      retryCondition: (error) => {
        keepRetryAfter(error)
        return error.response?.status !== 429 && axiosRetry.isNetworkOrIdempotentRequestError(error)
      },
      retryDelay: (count) => count * delay,
    },
  }))
}

/**
 * The object `make` returns, made on first use: a webhook refused before any Botpress call (a forged or unsigned one)
 * never builds the careful client. Methods are bound to the made object (once per method).
 */
export const onFirstUse = <T extends object>(make: () => T): T => {
  let made: T | undefined
  const bound = new Map<PropertyKey, { value: unknown; fn: unknown }>()
  const target = () => (made ??= make())
  return new Proxy({} as T, {
    get: (_, key) => {
      const t = target()
      const value: unknown = Reflect.get(t, key, t)
      if (typeof value !== 'function') return value
      const known = bound.get(key)
      if (known?.value === value) return known.fn
      const fn = (value as (...args: unknown[]) => unknown).bind(t)
      bound.set(key, { value, fn })
      return fn
    },
    set: (_, key, value) => Reflect.set(target(), key, value),
    has: (_, key) => Reflect.has(target(), key),
  })
}

/** Botpress answered 429 (rate limited): the seconds it asked to wait, when it said. */
export const botpressRateLimit = (error: unknown): { retryAfter?: number } | undefined => {
  if (!isApiError(error) || error.code !== 429) return undefined
  const seconds = error.metadata?.[RETRY_AFTER]
  return { retryAfter: typeof seconds === 'number' ? seconds : undefined }
}
