/**
 * How Intercom says it is rate limiting, for the shared client (src/core/http.ts does the waiting).
 *
 * From https://developers.intercom.com/docs/references/rest-api/errors/rate-limiting: a `429 Too Many Requests`
 * (error code `rate_limit_exceeded`, "Exceeded rate limit of 167 in 10_seconds") carrying `X-RateLimit-Limit`,
 * `X-RateLimit-Remaining` and `X-RateLimit-Reset`, the reset "shown as UNIX timestamp" (seconds), and no `Retry-After`.
 * Limits are per minute but spread over 10-second windows ("a rate limit of 1000 per minute, which is 167 per
 * 10-second window"; private apps have 10,000 per minute per app, 25,000 per workspace).
 */
import { headerValue, type HttpClientOptions, type RateLimitInfo } from '../../core/http'

const MAX_HEADER = 32

export const intercomRateLimit: NonNullable<HttpClientOptions['rateLimit']> = ({ status, headers }): RateLimitInfo | undefined => {
  if (status !== 429) return undefined
  const reset = Number(headerValue(headers, 'x-ratelimit-reset')?.trim().slice(0, MAX_HEADER))
  const limit = Number(headerValue(headers, 'x-ratelimit-limit')?.trim().slice(0, MAX_HEADER))
  return {
    // UNIX seconds; a value already in milliseconds is taken as is.
    resetAt: Number.isFinite(reset) && reset > 0 ? (reset > 1e12 ? reset : reset * 1000) : undefined,
    limit: Number.isFinite(limit) && limit > 0 ? `X-RateLimit-Limit ${limit} per 10 s window` : 'X-RateLimit',
  }
}

/**
 * The smallest documented window (1,000 a minute = 167 per 10 s): a long transcript or a bloc of many items never
 * trips it by itself.
 */
export const INTERCOM_PACE = { requests: 166, intervalMs: 10_000 }
