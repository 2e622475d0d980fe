/**
 * How LiveChat (Text) says it is rate limiting, for the shared client (src/core/http.ts does the waiting).
 *
 * From https://platform.text.com/docs/messaging/agent-chat-api#possible-errors: the error payload is
 * `{ error: { type, message } }` and `too_many_requests` ("Requests limit exceeded") is answered with 429. The docs name
 * no reset header: a `Retry-After` is honoured by the core when LiveChat sends one, an `X-RateLimit-Reset` read below
 * when present, and otherwise the core backs off a bounded number of times.
 */
import { headerValue, type HttpClientOptions, type RateLimitInfo } from '../../core/http'
import { isRecord, str } from '../shared'

const MAX_HEADER = 32

export const livechatRateLimit: NonNullable<HttpClientOptions['rateLimit']> = ({ status, headers, body }): RateLimitInfo | undefined => {
  const type = isRecord(body) && isRecord(body.error) ? str(body.error.type)?.slice(0, 64) : undefined
  if (status !== 429 && type !== 'too_many_requests') return undefined
  const reset = Number(headerValue(headers, 'x-ratelimit-reset')?.trim().slice(0, MAX_HEADER))
  return {
    resetAt: Number.isFinite(reset) && reset > 1e9 ? (reset > 1e12 ? reset : reset * 1000) : undefined,
    limit: type ?? 'too_many_requests',
  }
}
