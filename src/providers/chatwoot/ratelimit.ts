/**
 * How Chatwoot says it is rate limiting, for the shared client (src/core/http.ts does the waiting).
 *
 * Chatwoot throttles with Rack::Attack ([CW] config/initializers/rack_attack.rb; /work/shared/specs/chatwoot/README.md
 * "Rate limits"): per IP `RACK_ATTACK_LIMIT`/minute (default 3000), contacts search 100/minute per account, uploads and
 * transcripts per hour. That initializer sets neither `throttled_responder` nor `throttled_response_retry_after_header`,
 * so a throttled request gets rack-attack's DEFAULT_THROTTLED_RESPONDER (rack-attack lib/rack/attack/configuration.rb):
 * `429`, `content-type: text/plain`, body `Retry later\n`, and NO `Retry-After` (the header is off by default).
 *
 * The answer therefore says nothing about when the window clears. The windows are aligned on multiples of their period
 * on the SERVER's clock, and the answer does not name which throttle tripped (minute or hour), so no reset is claimed:
 * the core backs off a bounded number of times within its budget. An installation that turned the Retry-After header
 * on (or a proxy that adds one) is honoured by the core, which reads `Retry-After` before this hook's answer.
 */
import type { HttpClientOptions, RateLimitInfo } from '../../core/http'

/** rack-attack's default throttled body, without its trailing newline. */
const RACK_ATTACK_BODY = 'Retry later'

export const chatwootRateLimit: NonNullable<HttpClientOptions['rateLimit']> = ({ status, body }): RateLimitInfo | undefined => {
  if (status !== 429) return undefined
  const text = typeof body === 'string' ? body.slice(0, 64).trim() : undefined
  return { resetAt: undefined, limit: text === RACK_ATTACK_BODY ? 'Rack::Attack' : undefined }
}
