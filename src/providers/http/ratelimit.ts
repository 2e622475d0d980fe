/**
 * How a generic HTTP agent desk says it is rate limiting, for the shared client (src/core/http.ts does the waiting).
 * The desk is the bot builder's own, so the common conventions are honoured: a 429 with `Retry-After` (RFC 9110 §10.2.3,
 * read by the core), or the common `X-RateLimit-Reset` (UNIX seconds or milliseconds, or seconds from now when small) and the
 * IETF draft's `RateLimit-Reset` (seconds from now, draft-ietf-httpapi-ratelimit-headers).
 */
import { headerValue, type HttpClientOptions, type RateLimitInfo } from '../../core/http'

const MAX_HEADER = 32

const resetOf = (raw: string | undefined, now: number): number | undefined => {
  const value = Number(raw?.trim().slice(0, MAX_HEADER))
  if (!Number.isFinite(value) || value < 0 || raw === undefined || raw.trim() === '') return undefined
  if (value > 1e12) return value
  if (value > 1e9) return value * 1000
  return now + value * 1000
}

export const httpRateLimit: NonNullable<HttpClientOptions['rateLimit']> = ({ status, headers, now }): RateLimitInfo | undefined => {
  if (status !== 429) return undefined
  const xReset = resetOf(headerValue(headers, 'x-ratelimit-reset'), now)
  if (xReset !== undefined) return { resetAt: xReset, limit: 'X-RateLimit-Reset' }
  const draft = resetOf(headerValue(headers, 'ratelimit-reset'), now)
  if (draft !== undefined) return { resetAt: draft, limit: 'RateLimit-Reset' }
  return undefined
}
