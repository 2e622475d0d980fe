/**
 * How Sunshine Conversations says it is rate limiting, for the shared client (src/core/http.ts does the waiting).
 *
 * The Sunco OpenAPI (zendesk/sunshine-conversations-api-spec openapi.yaml, `info.description` "Rate Limits") documents
 * only `429 Too Many Requests` and asks clients to "implement 429 retry logic using exponential backoff and jitter":
 * no rate-limit header, no reset time. So nothing is claimed here: the core backs off (1 s, 2 s, 4 s… plus jitter)
 * within its budget, and honours `Retry-After` first when a 429 carries one (the core reads it before this hook).
 * The body is Sunco's error shape (`{errors: [{code, title}]}`, spec "Errors"): its code names the limit when present.
 */
import type { HttpClientOptions, RateLimitInfo } from '../../core/http'
import { isRecord, str } from '../shared'

export const zendeskRateLimit: NonNullable<HttpClientOptions['rateLimit']> = ({ status, body }): RateLimitInfo | undefined => {
  if (status !== 429) return undefined
  const first = isRecord(body) && Array.isArray(body.errors) && isRecord(body.errors[0]) ? body.errors[0] : undefined
  const code = str(first?.code)?.slice(0, 40)
  return { resetAt: undefined, ...(code ? { limit: code } : {}) }
}
