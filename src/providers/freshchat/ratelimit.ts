/**
 * How Freshchat says it is rate limiting, for the shared client (src/core/http.ts does the waiting).
 *
 * Freshchat answers every API request with `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset`, the
 * reset a Unix time in seconds; an exhausted window is answered `429 Too Many Requests` (listed among the statuses of
 * https://developers.freshchat.com/api/ "Status and error messages") without `Retry-After`. So: wait until the reset,
 * then send once. The limit is per account and per minute (Freshworks' plan-wise API limits), never a daily quota.
 */
import { headerValue, type HttpClientOptions, type RateLimitInfo } from '../../core/http'

const MAX_HEADER = 32

export const freshchatRateLimit: NonNullable<HttpClientOptions['rateLimit']> = ({ status, headers }): RateLimitInfo | undefined => {
  if (status !== 429) return undefined
  const reset = Number(headerValue(headers, 'x-ratelimit-reset')?.trim().slice(0, MAX_HEADER))
  const limit = Number(headerValue(headers, 'x-ratelimit-limit')?.trim().slice(0, MAX_HEADER))
  return {
    // Unix seconds; a value already in milliseconds is taken as is.
    resetAt: Number.isFinite(reset) && reset > 0 ? (reset > 1e12 ? reset : reset * 1000) : undefined,
    limit: Number.isFinite(limit) && limit > 0 ? `X-RateLimit-Limit ${limit}` : 'X-RateLimit',
  }
}
