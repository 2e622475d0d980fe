/**
 * The one HTTP client every adapter uses: got with timeouts, bounded retries that honour Retry-After,
 * retries only where repeating the request cannot duplicate anything, and errors that name the provider,
 * the operation and the status without ever carrying a secret.
 */
import got, { RequestError, type Got, type Method, type Response } from 'got'
import { ProviderError } from './errors'
import type { Redactor } from './log'

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
  request<T = any>(req: HttpRequest): Promise<HttpResponse<T>>
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
  rateLimit?: (answer: { status: number; headers: Record<string, string | string[] | undefined>; body: unknown }) => RateLimitInfo | undefined
}

/** What a provider's rate-limit answer says. */
export type RateLimitInfo = {
  /** When the window clears, as epoch milliseconds. */
  resetAt?: number
  /** The quota will not clear within any reasonable wait (a daily limit): fail fast, do not retry. */
  exhausted?: boolean
  /** The limit's name as the provider gives it, for the error ("TEN_SECONDLY_ROLLING", "X-RateLimit"). */
  limit?: string
}

export type HttpClientFactory = (options: HttpClientOptions) => HttpClient

export type HttpSettings = {
  /** Attempts after the first one. */
  retries: number
  /** Base of the exponential backoff, in ms, when the provider gives no Retry-After. */
  backoffMs: number
  backoffLimitMs: number
  /** A Retry-After longer than this is not waited for: the operation fails with the provider's status. */
  maxRetryAfterMs: number
  timeoutMs: number
}

export const defaultHttpSettings: HttpSettings = {
  retries: 3,
  backoffMs: 250,
  backoffLimitMs: 4_000,
  maxRetryAfterMs: 20_000,
  timeoutMs: 15_000,
}

const envNumber = (name: string, fallback: number) => {
  const value = Number(process.env[name])
  return process.env[name] !== undefined && Number.isFinite(value) && value >= 0 ? value : fallback
}

/** The defaults, tunable per installation (or test) with HITL_HTTP_TIMEOUT_MS and HITL_HTTP_RETRIES. */
export const httpSettingsFromEnv = (): HttpSettings => ({
  ...defaultHttpSettings,
  retries: envNumber('HITL_HTTP_RETRIES', defaultHttpSettings.retries),
  timeoutMs: envNumber('HITL_HTTP_TIMEOUT_MS', defaultHttpSettings.timeoutMs),
})

const IDEMPOTENT_METHODS = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS'])
/** Errors that mean the request never reached the provider, so repeating it cannot duplicate anything. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN'])

/** got leaves the body of a non-2xx answer undecoded: make it JSON when it is, text otherwise. */
const decodeErrorBody = (raw: unknown): unknown => {
  const text = Buffer.isBuffer(raw) ? raw.toString('utf8') : raw
  if (typeof text !== 'string') return text
  try {
    return JSON.parse(text)
  } catch {
    return text.slice(0, 500)
  }
}

const statusText = (response: Response | undefined) =>
  response ? `${response.statusCode}${response.statusMessage ? ` ${response.statusMessage}` : ''}` : ''

export const createHttpClientFactory =
  (redactor: Redactor, settings: HttpSettings = defaultHttpSettings): HttpClientFactory =>
  (options) => {
    const client: Got = got.extend({
      prefixUrl: options.baseUrl.replace(/\/+$/, '') + '/',
      headers: { 'user-agent': 'botpress-hitl-hub', ...options.headers },
      timeout: { request: settings.timeoutMs },
      // got retries thrown errors only; non-2xx answers are turned back into responses below.
      throwHttpErrors: true,
      retry: {
        limit: settings.retries,
        methods: ['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'POST', 'PATCH'],
        statusCodes: [408, 429, 500, 502, 503, 504, 521, 522, 524],
        maxRetryAfter: settings.maxRetryAfterMs,
        calculateDelay: ({ attemptCount, error, computedValue, retryAfter }) => {
          if (computedValue === 0) return 0
          const method = String(error.options.method).toUpperCase()
          const idempotent = IDEMPOTENT_METHODS.has(method) || error.options.context?.idempotent === true
          const status = error.response?.statusCode
          const safe = idempotent || status === 429 || (error.code !== undefined && NOT_SENT_CODES.has(error.code))
          if (!safe) return 0
          if (retryAfter !== undefined && retryAfter > 0) return retryAfter
          const backoff = Math.min(settings.backoffMs * 2 ** (attemptCount - 1), settings.backoffLimitMs)
          return backoff + Math.floor(Math.random() * settings.backoffMs * 0.2)
        },
      },
    })

    const scrub = (text: string) => {
      const extra = options.secrets?.() ?? []
      return (extra.length ? redactor.with(extra) : redactor).redact(text)
    }

    return {
      async request<T>(req: HttpRequest): Promise<HttpResponse<T>> {
        const method = (req.method ?? 'GET').toUpperCase() as Method
        const absolute = /^https?:\/\//i.test(req.path)
        const path = absolute ? req.path : req.path.replace(/^\/+/, '')
        const operation = req.operation ?? `${method} /${absolute ? new URL(req.path).pathname.replace(/^\//, '') : path.split('?')[0]}`
        const searchParams = req.searchParams
          ? Object.fromEntries(Object.entries(req.searchParams).filter(([, v]) => v !== undefined)) as Record<string, string | number | boolean>
          : undefined
        let response: Response<unknown>
        try {
          response = (await client(path, {
            ...(absolute ? { prefixUrl: '' } : {}),
            method,
            json: req.json,
            form: req.form,
            body: req.body as string | Buffer | undefined,
            headers: req.headers,
            searchParams,
            responseType: req.responseType ?? 'json',
            context: { idempotent: req.idempotent === true },
          })) as Response<unknown>
        } catch (error) {
          if (error instanceof RequestError && error.response) {
            // An HTTP answer (after any retries): judged below like any other response.
            response = error.response as Response<unknown>
          } else if (error instanceof RequestError) {
            const attempts = (error.request?.retryCount ?? 0) + 1
            const what = error.code === 'ETIMEDOUT' ? 'timed out' : `could not be reached (${error.code ?? 'network error'})`
            throw new ProviderError(scrub(`${options.provider} ${what} on ${operation} after ${attempts} attempt(s)`), {
              provider: options.provider,
              code: error.code,
              operation,
              attempts,
            })
          } else {
            throw error
          }
        }

        const status = response.statusCode
        if (status >= 200 && status < 300) {
          return { status, headers: response.headers, body: response.body as T }
        }
        const body = decodeErrorBody(response.body)
        if (req.okStatuses?.includes(status)) {
          return { status, headers: response.headers, body: body as T }
        }
        const attempts = (response.retryCount ?? 0) + 1
        const detail = options.describeError?.(body, status)
        const retried = attempts > 1 ? ` after ${attempts} attempts` : ''
        throw new ProviderError(
          scrub(`${options.provider} answered ${statusText(response)} on ${operation}${retried}${detail ? `: ${detail}` : ''}`),
          { provider: options.provider, status, operation, attempts }
        )
      },
    }
  }
