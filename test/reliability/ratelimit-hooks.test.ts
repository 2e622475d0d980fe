/**
 * Each provider's rate-limit hook (src/providers/<name>/ratelimit.ts) on the answers its docs show, edge cases
 * included; the waiting itself is tested in test/core/http.test.ts and, end to end, in rate-limits.test.ts.
 */
import { chatwootRateLimit } from '../../src/providers/chatwoot/ratelimit'
import { freshchatRateLimit } from '../../src/providers/freshchat/ratelimit'
import { hubspotRateLimit } from '../../src/providers/hubspot/ratelimit'
import { httpRateLimit } from '../../src/providers/http/ratelimit'
import { intercomRateLimit } from '../../src/providers/intercom/ratelimit'
import { livechatRateLimit } from '../../src/providers/livechat/ratelimit'
import { zendeskRateLimit } from '../../src/providers/zendesk/ratelimit'

const now = Date.parse('2026-03-02T10:00:00.000Z')
const answer = (status: number, headers: Record<string, string> = {}, body: unknown = undefined) => ({ status, headers, body, now })

describe('Intercom (developers.intercom.com … /rest-api/errors/rate-limiting)', () => {
  it('X-RateLimit-Reset is a UNIX time in seconds', () => {
    const info = intercomRateLimit(answer(429, { 'x-ratelimit-limit': '167', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(now / 1000 + 7) }))
    expect(info).toEqual({ resetAt: now + 7_000, limit: 'X-RateLimit-Limit 167 per 10 s window' })
  })
  it('not a 429, or a reset that is not a number: nothing claimed', () => {
    expect(intercomRateLimit(answer(503, { 'x-ratelimit-reset': String(now / 1000 + 7) }))).toBeUndefined()
    expect(intercomRateLimit(answer(429, { 'x-ratelimit-reset': 'soon' }))).toEqual({ resetAt: undefined, limit: 'X-RateLimit' })
  })
})

describe('HubSpot (developers.hubspot.com/docs/guides/apps/api-usage/usage-details)', () => {
  const body = (policyName?: string) => ({ status: 'error', message: 'You have reached your limit.', errorType: 'RATE_LIMIT', correlationId: 'c', ...(policyName ? { policyName } : {}) })
  it('TEN_SECONDLY_ROLLING: a whole interval (the header, else 10 s)', () => {
    expect(hubspotRateLimit(answer(429, {}, body('TEN_SECONDLY_ROLLING')))).toEqual({ resetAt: now + 10_000, limit: 'TEN_SECONDLY_ROLLING' })
    expect(hubspotRateLimit(answer(429, { 'x-hubspot-ratelimit-interval-milliseconds': '5000' }, body('TEN_SECONDLY_ROLLING')))!.resetAt).toBe(now + 5_000)
  })
  it('SECONDLY: one second', () => {
    expect(hubspotRateLimit(answer(429, {}, body('SECONDLY')))).toEqual({ resetAt: now + 1_000, limit: 'SECONDLY' })
  })
  it('DAILY (or a daily remaining of 0): exhausted, resets at midnight in the account time zone', () => {
    expect(hubspotRateLimit(answer(429, {}, body('DAILY')))).toMatchObject({ exhausted: true, limit: 'DAILY', resetHint: expect.stringContaining('midnight') })
    expect(hubspotRateLimit(answer(429, { 'x-hubspot-ratelimit-daily-remaining': '0' }, 'Too Many Requests'))).toMatchObject({ exhausted: true })
  })
  it('a 429 naming no policy and no window claims no reset (the core backs off)', () => {
    expect(hubspotRateLimit(answer(429, {}, body()))).toEqual({ resetAt: undefined, limit: undefined })
    expect(hubspotRateLimit(answer(400, {}, { status: 'error', message: 'bad' }))).toBeUndefined()
  })
})

describe('LiveChat (platform.text.com/docs/messaging/agent-chat-api#possible-errors)', () => {
  it('too_many_requests names the limit; the docs give no reset', () => {
    expect(livechatRateLimit(answer(429, {}, { error: { type: 'too_many_requests', message: 'Requests limit exceeded' } }))).toEqual({ resetAt: undefined, limit: 'too_many_requests' })
  })
  it('an X-RateLimit-Reset, if LiveChat ever sends one, is used', () => {
    expect(livechatRateLimit(answer(429, { 'x-ratelimit-reset': String(now / 1000 + 3) }, {}))!.resetAt).toBe(now + 3_000)
  })
  it('other errors are not rate limits', () => {
    expect(livechatRateLimit(answer(400, {}, { error: { type: 'validation' } }))).toBeUndefined()
  })
})

describe('generic HTTP desk', () => {
  it('X-RateLimit-Reset as UNIX seconds, milliseconds or seconds from now; RateLimit-Reset in seconds from now', () => {
    expect(httpRateLimit(answer(429, { 'x-ratelimit-reset': String(now / 1000 + 4) }))!.resetAt).toBe(now + 4_000)
    expect(httpRateLimit(answer(429, { 'x-ratelimit-reset': String(now + 4_000) }))!.resetAt).toBe(now + 4_000)
    expect(httpRateLimit(answer(429, { 'x-ratelimit-reset': '4' }))!.resetAt).toBe(now + 4_000)
    expect(httpRateLimit(answer(429, { 'ratelimit-reset': '6' }))).toEqual({ resetAt: now + 6_000, limit: 'RateLimit-Reset' })
  })
  it('nothing to read: undefined (Retry-After is read by the core)', () => {
    expect(httpRateLimit(answer(429, { 'x-ratelimit-reset': '' }))).toBeUndefined()
    expect(httpRateLimit(answer(503, { 'x-ratelimit-reset': '4' }))).toBeUndefined()
  })
})

describe('Chatwoot (Rack::Attack: chatwoot config/initializers/rack_attack.rb, rack-attack DEFAULT_THROTTLED_RESPONDER)', () => {
  it('the default throttled answer (429, text/plain "Retry later", no Retry-After) names Rack::Attack and claims no reset', () => {
    expect(chatwootRateLimit(answer(429, { 'content-type': 'text/plain' }, 'Retry later\n'))).toEqual({ resetAt: undefined, limit: 'Rack::Attack' })
  })
  it('a 429 from something else (a proxy, a custom responder) is a rate limit with no name and no reset', () => {
    expect(chatwootRateLimit(answer(429, {}, { error: 'Too Many Requests' }))).toEqual({ resetAt: undefined, limit: undefined })
    expect(chatwootRateLimit(answer(429, {}, `Retry later${'!'.repeat(10_000)}`))).toEqual({ resetAt: undefined, limit: undefined })
  })
  it('no reset is inferred from the minute boundary: the windows run on the server\'s clock, and some last an hour', () => {
    const onBoundary = { ...answer(429, {}, 'Retry later\n'), now: Date.parse('2026-03-02T10:00:50.000Z') }
    expect(chatwootRateLimit(onBoundary)!.resetAt).toBeUndefined()
  })
  it('other statuses are not rate limits (Retry-After on a 429 is read by the core, before this hook)', () => {
    expect(chatwootRateLimit(answer(503, { 'retry-after': '5' }, 'Retry later\n'))).toBeUndefined()
    expect(chatwootRateLimit(answer(401, {}, { error: 'Invalid Access Token' }))).toBeUndefined()
  })
})

describe('Freshchat (developers.freshchat.com/api 429; X-RateLimit-Reset in Unix seconds, no Retry-After)', () => {
  it('X-RateLimit-Reset is a Unix time in seconds', () => {
    expect(freshchatRateLimit(answer(429, { 'x-ratelimit-limit': '1000', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(now / 1000 + 9) }))).toEqual({ resetAt: now + 9_000, limit: 'X-RateLimit-Limit 1000' })
  })
  it('a 429 without a usable reset claims none (the core backs off); other statuses are not rate limits', () => {
    expect(freshchatRateLimit(answer(429, { 'x-ratelimit-reset': 'soon' }))).toEqual({ resetAt: undefined, limit: 'X-RateLimit' })
    expect(freshchatRateLimit(answer(429, { 'x-ratelimit-reset': '9'.repeat(10_000) }))!.resetAt).toBeGreaterThan(now + 1e9)
    expect(freshchatRateLimit(answer(503, { 'x-ratelimit-reset': String(now / 1000 + 9) }))).toBeUndefined()
  })
})

describe('Zendesk (Sunshine Conversations openapi.yaml info.description "Rate Limits": 429, back off with jitter)', () => {
  it('a 429 claims no reset (Sunco sends none) and names the error code when the body has one', () => {
    expect(zendeskRateLimit(answer(429, {}, { errors: [{ code: 'too_many_requests', title: 'Too Many Requests' }] }))).toEqual({ resetAt: undefined, limit: 'too_many_requests' })
    expect(zendeskRateLimit(answer(429, {}, 'Too Many Requests'))).toEqual({ resetAt: undefined })
  })
  it('other statuses are not rate limits (Retry-After on a 429 is read by the core, before this hook)', () => {
    expect(zendeskRateLimit(answer(503, { 'retry-after': '5' }, { errors: [{ code: 'unavailable' }] }))).toBeUndefined()
    expect(zendeskRateLimit(answer(401, {}, { errors: [{ code: 'unauthorized', title: 'Authorization is required' }] }))).toBeUndefined()
  })
})
