/**
 * The one HTTP client every adapter uses: got with timeouts, bounded retries that honour Retry-After,
 * retries only where repeating the request cannot duplicate anything, and errors that name the provider,
 * the operation and the status without ever carrying a secret.
 */
import type { Got, Method, RequestError, Response } from 'got'
import { ProviderError } from './errors'
import type { Redactor } from './log'
import { createHash } from 'node:crypto'
import { createCache } from './cache'
import { ambientClock, type Clock } from './clock'
import { withoutTrailingSlashes } from './validate'

export { setHttpClock, systemClock, type Clock } from './clock'

export type HttpRequest = {
  method?: Method
  /** Relative to the client's base URL (no leading slash needed), or absolute. */
  path: string
  json?: unknown
  form?: Record<string, string>
  body?: string | Buffer | FormData
  headers?: Record<string, string | undefined>
  searchParams?: Record<string, string | number | boolean | undefined>
  /**
   * Whether repeating the request after a 5xx or a timeout is harmless. GET/PUT/DELETE are; a POST or PATCH is only
   * when the adapter says so (searches, closes). Non-idempotent requests are retried only when the provider provably
   * did not process them (429, connection refused).
   */
  idempotent?: boolean
  /** Statuses that are answers rather than failures (e.g. 404 on a lookup, 409 on a duplicate create). */
  okStatuses?: number[]
  responseType?: 'json' | 'text' | 'buffer'
  /** Short name of the operation for error messages ("search contact"). Defaults to METHOD path. */
  operation?: string
}

export type HttpResponse<T> = { status: number; headers: Record<string, string | string[] | undefined>; body: T }

export type HttpClient = {
  request<T = unknown>(req: HttpRequest): Promise<HttpResponse<T>>
}

export type HttpClientOptions = {
  /** Display name of the provider, used in errors. */
  provider: string
  baseUrl: string
  headers?: Record<string, string>
  /** Pulls the provider's own error text out of an error response body, to make errors clear. */
  describeError?: (body: unknown, status: number) => string | undefined
  /** Extra secrets (tokens obtained at run time) to redact from errors. Prefer `deps.secrets.add` (logs redact them too). */
  secrets?: () => Array<string | undefined>
  /**
   * Reads the provider's rate-limit answer (its 429, or whatever status it uses): when the limit resets, or that it
   * will not reset soon. The core does the waiting. Absent or returning undefined: only `Retry-After` is honoured.
   */
  rateLimit?: (answer: RateLimitAnswer) => RateLimitInfo | undefined
  /**
   * The provider's documented request rate, so that a burst this client makes by itself (a bloc of many items, a long
   * transcript) is sent in order and spread out instead of tripping the limit: at most `requests` request starts in
   * any `intervalMs` window (sliding). Waits go through the settings' clock.
   */
  pace?: { requests: number; intervalMs: number }
}

/**
 * What the rate-limit hook sees of an answer (the body decoded: JSON when it is, text otherwise), and the client's
 * `now` (epoch ms) to compute a reset from a relative delay, since the client's clock may not be the system's.
 */
export type RateLimitAnswer = { status: number; headers: Record<string, string | string[] | undefined>; body: unknown; now: number }

/** What a provider's rate-limit answer says. */
export type RateLimitInfo = {
  /** When the window clears, as epoch milliseconds. */
  resetAt?: number
  /** The quota will not clear within any reasonable wait (a daily limit): fail fast, do not retry. */
  exhausted?: boolean
  /** The limit's name as the provider gives it, for the error ("TEN_SECONDLY_ROLLING", "X-RateLimit"). */
  limit?: string
  /** When it resets in the provider's words, if it gives no time ("at midnight in the account's time zone"). */
  resetHint?: string
}

export type HttpClientFactory = (options: HttpClientOptions) => HttpClient

export type HttpSettings = {
  /** Attempts after the first one, for failures other than rate limits (5xx, timeouts, connection errors). */
  retries: number
  /** Base of the exponential backoff, in ms, when the provider gives no Retry-After. */
  backoffMs: number
  backoffLimitMs: number
  /** A single Retry-After (or rate-limit reset) longer than this is not waited for: the operation fails at once. */
  maxRetryAfterMs: number
  timeoutMs: number
  /**
   * The time one request may spend waiting, all its retries together (backoffs, Retry-After, rate-limit resets). A
   * reset beyond what is left of it fails at once with an error naming the limit and when it resets. Default 25 s.
   */
  rateLimitBudgetMs?: number
  /** Defaults to the system clock (or the one set with `setHttpClock`). */
  clock?: Clock
}

export const defaultHttpSettings: HttpSettings = {
  retries: 3,
  backoffMs: 250,
  backoffLimitMs: 4_000,
  maxRetryAfterMs: 20_000,
  timeoutMs: 15_000,
  rateLimitBudgetMs: 25_000,
}

const envNumber = (name: string, fallback: number) => {
  const value = Number(process.env[name])
  return process.env[name] !== undefined && Number.isFinite(value) && value >= 0 ? value : fallback
}

/**
 * The defaults, tunable per installation (or test) with HITL_HTTP_TIMEOUT_MS, HITL_HTTP_RETRIES and
 * HITL_HTTP_RATE_LIMIT_BUDGET_MS. A budget larger than the longest single wait raises that cap with it.
 */
export const httpSettingsFromEnv = (): HttpSettings => {
  const budget = envNumber('HITL_HTTP_RATE_LIMIT_BUDGET_MS', defaultHttpSettings.rateLimitBudgetMs!)
  return {
    ...defaultHttpSettings,
    retries: envNumber('HITL_HTTP_RETRIES', defaultHttpSettings.retries),
    timeoutMs: envNumber('HITL_HTTP_TIMEOUT_MS', defaultHttpSettings.timeoutMs),
    rateLimitBudgetMs: budget,
    maxRetryAfterMs: Math.max(defaultHttpSettings.maxRetryAfterMs, budget),
  }
}

/** Rate-limit waits are bounded by the budget; this only stops a provider that answers 429 with a reset in the past forever. */
const MAX_RATE_LIMIT_ATTEMPTS = 10
/** Added to a reset time: the provider's clock and ours differ a little, and clients released together should not collide. */
const JITTER_MS = 250
/** Backoff after a 429 that says nothing of its reset: 1 s, 2 s, 4 s, 8 s, 8 s… within the budget. */
const BARE_RATE_LIMIT_MS = 1_000
const BARE_RATE_LIMIT_LIMIT_MS = 8_000

const IDEMPOTENT_METHODS = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS'])
/** Errors that mean the request never reached the provider, so repeating it cannot duplicate anything. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN'])
/** Network errors worth another attempt (got's own list); the others are not transient. */
const RETRY_CODES = new Set(['ETIMEDOUT', 'ECONNRESET', 'EADDRINUSE', 'ECONNREFUSED', 'EPIPE', 'ENOTFOUND', 'ENETUNREACH', 'EAI_AGAIN'])
/** Statuses worth another attempt when repeating is harmless (429 is handled apart: it always is). */
const RETRY_STATUSES = new Set([408, 500, 502, 503, 504, 521, 522, 524])

/** got leaves the body of a non-2xx answer undecoded: make it JSON when it is, text otherwise. */
const decodeErrorBody = (raw: unknown): unknown => {
  const text = Buffer.isBuffer(raw) ? raw.toString('utf8') : raw
  if (typeof text !== 'string') return text
  try {
    return JSON.parse(text.slice(0, 100_000))
  } catch {
    return text.slice(0, 500)
  }
}

const statusText = (response: Response | undefined) =>
  response ? `${response.statusCode}${response.statusMessage ? ` ${response.statusMessage}` : ''}` : ''

export const headerValue = (headers: Record<string, string | string[] | undefined>, name: string): string | undefined => {
  const value = Object.prototype.hasOwnProperty.call(headers, name) ? headers[name] : undefined
  return Array.isArray(value) ? value[0] : value
}

/** `Retry-After` (RFC 9110 §10.2.3: delay-seconds or an HTTP-date) as epoch ms, or undefined. */
export const retryAfterAt = (headers: Record<string, string | string[] | undefined>, now: number): number | undefined => {
  const raw = headerValue(headers, 'retry-after')?.trim().slice(0, 64)
  if (!raw) return undefined
  if (/^\d+(\.\d+)?$/.test(raw)) return now + Math.round(Number(raw) * 1000)
  const date = Date.parse(raw)
  return Number.isFinite(date) ? date : undefined
}

/** A provider's reset as ISO text; a time no Date can hold (hostile or broken headers) is not one. */
const iso = (at: number) => (Number.isFinite(at) && Math.abs(at) <= 8.64e15 ? new Date(at).toISOString() : 'an unknown time')
const seconds = (ms: number) => `${Math.ceil(ms / 1000)} s`

/** Spreads request starts so that at most `requests` start in any `intervalMs`, in call order. */
const createPacer = (pace: { requests: number; intervalMs: number } | undefined, clock: Clock) => {
  if (!pace || !(pace.requests > 0) || !(pace.intervalMs > 0)) return async () => undefined
  const starts: number[] = []
  let queue: Promise<unknown> = Promise.resolve()
  const take = async () => {
    for (;;) {
      const now = clock.now()
      while (starts.length && starts[0]! <= now - pace.intervalMs) starts.shift()
      if (starts.length < pace.requests) {
        starts.push(now)
        return
      }
      await clock.sleep(starts[0]! + pace.intervalMs - now)
    }
  }
  return () => {
    const turn = queue.then(take)
    queue = turn.catch(() => undefined)
    return turn
  }
}

type Outcome = { response: Response<unknown> } | { error: RequestError }

/**
 * got instances are immutable and hold no connection state: one per (base URL, headers, timeout) is kept on a warm
 * instance instead of being rebuilt for every request Botpress forwards (the cache key is a digest: headers may carry
 * tokens). Bounded like every cache.
 */
const gotInstances = createCache<Got>({ name: 'got instances', max: 64 })
/**
 * got is evaluated on the first provider request, not when the bundle loads: a cold instance that only verifies a
 * webhook or relays an agent message to Botpress never needs it, and evaluating it costs milliseconds (its type-check
 * helper builds Intl formatters at module top level).
 */
const loadGot = (): typeof import('got') => require('got')
const gotFor = (defaults: { prefixUrl: string; headers: Record<string, string>; timeout: { request: number } }): Got => {
  const key = createHash('sha256').update(JSON.stringify(defaults)).digest('base64url')
  return gotInstances.get(key) ?? gotInstances.set(key, loadGot().default.extend({ ...defaults, throwHttpErrors: true, retry: { limit: 0 } }))
}

export const createHttpClientFactory =
  (redactor: Redactor, given: HttpSettings | (() => HttpSettings) = defaultHttpSettings): HttpClientFactory =>
  (options) => {
    // Settings given as a function (read from the environment) are read on the first request: most webhooks make none.
    let resolved: HttpSettings | undefined
    const settings = () => (resolved ??= typeof given === 'function' ? given() : given)
    const clock = (typeof given === 'function' ? undefined : given.clock) ?? ambientClock
    const budgetMs = () => settings().rateLimitBudgetMs ?? defaultHttpSettings.rateLimitBudgetMs!
    const pace = createPacer(options.pace, clock)
    // Retries are ours (below), so that every wait goes through the clock and shares one budget.
    const defaults = () => ({
      prefixUrl: withoutTrailingSlashes(options.baseUrl) + '/',
      headers: { 'user-agent': 'botpress-hitl-hub', ...options.headers },
      timeout: { request: settings().timeoutMs },
    })
    let got: Got | undefined

    const scrub = (text: string) => {
      const extra = options.secrets?.() ?? []
      return (extra.length ? redactor.with(extra) : redactor).redact(text)
    }

    const backoff = (failures: number) =>
      Math.min(settings().backoffMs * 2 ** (failures - 1), settings().backoffLimitMs) + Math.floor(Math.random() * settings().backoffMs * 0.2)

    return {
      async request<T>(req: HttpRequest): Promise<HttpResponse<T>> {
        const method = (req.method ?? 'GET').toUpperCase() as Method
        const absolute = /^https?:\/\//i.test(req.path)
        const path = absolute ? req.path : req.path.replace(/^\/+/, '')
        const operation = req.operation ?? `${method} /${absolute ? new URL(req.path).pathname.replace(/^\//, '') : path.split('?')[0]}`
        const searchParams = req.searchParams
          ? (Object.fromEntries(Object.entries(req.searchParams).filter(([, v]) => v !== undefined)) as Record<string, string | number | boolean>)
          : undefined
        const idempotent = IDEMPOTENT_METHODS.has(method) || req.idempotent === true
        const deadline = clock.now() + budgetMs()
        let attempts = 0
        let failures = 0
        let waitedMs = 0
        let rateLimited = 0

        const fail = (text: string, details: { status?: number; code?: string }): never => {
          throw new ProviderError(scrub(text), { provider: options.provider, operation, attempts, ...details })
        }
        /** Sleeps `ms` if what is left of the budget allows it; false otherwise. */
        const wait = async (ms: number) => {
          const delay = Math.max(0, Math.round(ms))
          if (clock.now() + delay > deadline) return false
          await clock.sleep(delay)
          waitedMs += delay
          return true
        }

        const client = (got ??= gotFor(defaults()))
        for (;;) {
          await pace()
          attempts++
          let outcome: Outcome
          try {
            outcome = {
              response: (await client(path, {
                ...(absolute ? { prefixUrl: '' } : {}),
                method,
                json: req.json,
                form: req.form,
                body: req.body as string | Buffer | undefined,
                headers: req.headers,
                searchParams,
                responseType: req.responseType ?? 'json',
              })) as Response<unknown>,
            }
          } catch (error) {
            if (!(error instanceof loadGot().RequestError)) throw error
            // An HTTP answer is judged below like any other response.
            outcome = error.response ? { response: error.response as Response<unknown> } : { error }
          }

          if ('error' in outcome) {
            const { code } = outcome.error
            const sent = !(code !== undefined && NOT_SENT_CODES.has(code))
            const retryable = code !== undefined && RETRY_CODES.has(code) && (idempotent || !sent)
            if (retryable && failures < settings().retries) {
              failures++
              if (await wait(backoff(failures))) continue
            }
            const what = code === 'ETIMEDOUT' ? 'timed out' : `could not be reached (${code ?? 'network error'})`
            return fail(`${options.provider} ${what} on ${operation} after ${attempts} attempt(s)`, { code })
          }

          const response = outcome.response
          const status = response.statusCode
          if (status >= 200 && status < 300) {
            return { status, headers: response.headers, body: response.body as T }
          }
          const body = decodeErrorBody(response.body)
          if (req.okStatuses?.includes(status)) {
            return { status, headers: response.headers, body: body as T }
          }
          const answered = () => {
            const detail = options.describeError?.(body, status)
            const retried = attempts > 1 ? ` after ${attempts} attempts` : ''
            return `${options.provider} answered ${statusText(response)} on ${operation}${retried}${detail ? `: ${detail}` : ''}`
          }

          if (status === 429) {
            // Not processed (RFC 6585 §4): repeating cannot duplicate anything, whatever the method.
            const now = clock.now()
            const info = options.rateLimit?.({ status, headers: response.headers, body, now }) ?? {}
            const after = retryAfterAt(response.headers, now)
            // Retry-After is the provider's own answer to "when may I retry": it wins over a reset read from other headers.
            const resetAt = after ?? (typeof info.resetAt === 'number' && Number.isFinite(info.resetAt) ? info.resetAt : undefined)
            const limit = `${options.provider} rate limit${info.limit ? ` ${info.limit}` : after !== undefined ? ' (Retry-After)' : ''}`
            const when = resetAt !== undefined ? `it resets at ${iso(resetAt)}` : info.resetHint ? `it resets ${info.resetHint.slice(0, 100)}` : 'the provider did not say when it resets'
            if (info.exhausted) {
              return fail(`${answered()} (${limit}: quota exhausted, ${when}; not retried)`, { status })
            }
            rateLimited++
            // A bare 429 (no reset, no Retry-After): windows are seconds long, so back off from one second, doubling.
            const bare = Math.min(BARE_RATE_LIMIT_MS * 2 ** (rateLimited - 1), BARE_RATE_LIMIT_LIMIT_MS)
            const delay = (resetAt !== undefined ? Math.max(0, resetAt - now) : bare) + Math.floor(Math.random() * JITTER_MS)
            if (delay > settings().maxRetryAfterMs || now + delay > deadline) {
              const left = Math.min(Math.max(0, deadline - now), settings().maxRetryAfterMs)
              const waited = waitedMs ? ` after waiting ${seconds(waitedMs)}` : ''
              return fail(`${answered()} (${limit} reached: ${when}, beyond the ${seconds(left)} this request may still wait${waited})`, { status })
            }
            // Waited for as often as the budget allows (retries: 0 turns every retry off).
            if (settings().retries > 0 && attempts < MAX_RATE_LIMIT_ATTEMPTS && (await wait(delay))) continue
            return fail(`${answered()} (${limit} still reached after waiting ${seconds(waitedMs)}: ${when})`, { status })
          }

          if (RETRY_STATUSES.has(status) && idempotent && failures < settings().retries) {
            failures++
            const now = clock.now()
            const after = retryAfterAt(response.headers, now)
            const delay = after !== undefined && after > now ? after - now : backoff(failures)
            if (delay <= settings().maxRetryAfterMs && (await wait(delay))) continue
          }
          return fail(answered(), { status })
        }
      },
    }
  }
