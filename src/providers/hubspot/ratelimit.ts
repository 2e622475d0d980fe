/**
 * How HubSpot says it is rate limiting, for the shared client (src/core/http.ts does the waiting).
 *
 * From https://developers.hubspot.com/docs/guides/apps/api-usage/usage-details (and the API usage guidelines): a 429
 * whose JSON body is `{ status: 'error', message, errorType: 'RATE_LIMIT', correlationId, policyName, requestId }`;
 * "the message and policyName will indicate which limit you hit": `DAILY` ("You have reached your daily limit."; it
 * "resets at midnight based on your time zone setting"), `TEN_SECONDLY_ROLLING` or `SECONDLY`. Headers:
 * `X-HubSpot-RateLimit-Interval-Milliseconds` (the burst window), `X-HubSpot-RateLimit-Max`,
 * `X-HubSpot-RateLimit-Remaining`, and `X-HubSpot-RateLimit-Daily` / `-Daily-Remaining`. No reset time and not always a
 * `Retry-After` (the core honours one when present): a rolling window is waited out in full.
 */
import { headerValue, type HttpClientOptions, type RateLimitInfo } from '../../core/http'
import { isRecord, str } from '../shared'

const MAX_HEADER = 32
const TEN_SECONDS = 10_000

const headerNumber = (headers: Record<string, string | string[] | undefined>, name: string) => {
  const value = Number(headerValue(headers, name)?.trim().slice(0, MAX_HEADER))
  return Number.isFinite(value) && value >= 0 ? value : undefined
}

export const hubspotRateLimit: NonNullable<HttpClientOptions['rateLimit']> = ({ status, headers, body, now }): RateLimitInfo | undefined => {
  const rateLimited = isRecord(body) && str(body.errorType) === 'RATE_LIMIT'
  if (status !== 429 && !rateLimited) return undefined
  const policy = isRecord(body) ? str(body.policyName)?.slice(0, 64) : undefined
  const dailyLeft = headerNumber(headers, 'x-hubspot-ratelimit-daily-remaining')
  if (policy === 'DAILY' || (policy === undefined && dailyLeft === 0)) {
    // Midnight in the account's time zone, which the answer does not give.
    return { exhausted: true, limit: 'DAILY', resetHint: "at midnight in the HubSpot account's time zone" }
  }
  const intervalHeader = headerNumber(headers, 'x-hubspot-ratelimit-interval-milliseconds')
  const interval = policy === 'SECONDLY' ? 1_000 : (intervalHeader ?? (policy === 'TEN_SECONDLY_ROLLING' ? TEN_SECONDS : undefined))
  // A 429 naming neither its policy nor its window: the core backs off (and honours a Retry-After, which wins anyway).
  return { resetAt: interval === undefined ? undefined : now + interval, limit: policy }
}

/**
 * The smallest documented burst limit (100 requests per 10 s, rolling, for Free/Starter accounts' private apps):
 * a long transcript or a bloc of many items never trips it by itself.
 */
export const HUBSPOT_PACE = { requests: 100, intervalMs: TEN_SECONDS }
