/**
 * HubSpot's v3 request signature at its edges (https://developers.hubspot.com/docs/api/webhooks/validating-requests):
 * the timestamp's form and window (five minutes old at most, HubSpot's own libraries' rule; a minute ahead tolerated),
 * the method and URI that were signed, and the reason of each refusal. Every check runs at a fixed `now`.
 */
import type { WebhookRequest } from '../../../src/core/types'
import { MAX_AGE_MS, MAX_SKEW_MS, candidateUris, signedUri, signV3, verifySignature } from '../../../src/providers/hubspot/signature'

const secret = 'client-secret-0123456789'
const base = 'https://webhook.botpress.cloud/wh_1'
const body = '[{"eventId":1}]'
const NOW = 1_767_225_600_000
const request = (headers: Record<string, string>, extra: Partial<WebhookRequest> = {}): WebhookRequest => ({ method: 'POST', path: '', query: '', headers, body, ...extra })
const signed = (ts: number | string, opts: { method?: string; url?: string } = {}) => ({
  'x-hubspot-signature-v3': signV3(secret, opts.method ?? 'POST', opts.url ?? base, body, String(ts)),
  'x-hubspot-request-timestamp': String(ts),
})
const check = (req: WebhookRequest, now = NOW) => verifySignature(req, { secret, bases: [base], now })

describe('the timestamp window', () => {
  it.each([
    ['exactly five minutes old', NOW - MAX_AGE_MS, { ok: true }],
    ['one ms more', NOW - MAX_AGE_MS - 1, { ok: false, reason: 'stale request (signed 300 s ago, limit 300 s)' }],
    ['ten minutes old', NOW - 600_400, { ok: false, reason: 'stale request (signed 600 s ago, limit 300 s)' }],
    ['ten and a half minutes old (rounded)', NOW - 630_600, { ok: false, reason: 'stale request (signed 631 s ago, limit 300 s)' }],
    ['exactly a minute ahead', NOW + MAX_SKEW_MS, { ok: true }],
    ['one ms more ahead', NOW + MAX_SKEW_MS + 1, { ok: false, reason: 'request timestamp is in the future' }],
    ['now', NOW, { ok: true }],
  ])('%s', (_label, ts, expected) => {
    expect(check(request(signed(ts)))).toEqual(expected)
  })

  it('without `now`, the clock decides', () => {
    expect(verifySignature(request(signed(Date.now())), { secret, bases: [base] })).toEqual({ ok: true })
    expect(verifySignature(request(signed(NOW)), { secret, bases: [base] })).toMatchObject({ ok: false, reason: expect.stringMatching(/^stale request/) })
  })

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['9 digits', '176722560'],
    ['17 digits', '17672256000000000'],
    ['a decimal', '1767225600000.5'],
    ['a sign', '+1767225600000'],
    ['a word before', 'x1767225600000'],
    ['a word after', '1767225600000x'],
    ['ISO', '2026-01-01T00:00:00Z'],
  ])('a timestamp %s → refused before the HMAC is computed', (_label, ts) => {
    const headers: Record<string, string> = { 'x-hubspot-signature-v3': signV3(secret, 'POST', base, body, ts ?? '') }
    if (ts !== undefined) headers['x-hubspot-request-timestamp'] = ts
    expect(check(request(headers))).toEqual({ ok: false, reason: 'v3 signature without a valid X-HubSpot-Request-Timestamp' })
  })

  it('10 and 16 digits are the form (seconds-long and far-future ms values are then judged by the window)', () => {
    expect(check(request(signed('1767225600')))).toMatchObject({ ok: false, reason: expect.stringMatching(/^stale/) })
    expect(check(request(signed('1767225600000000')))).toEqual({ ok: false, reason: 'request timestamp is in the future' })
  })
})

describe('what was signed', () => {
  it('the method, upper-cased; POST when the request names none', () => {
    expect(check(request(signed(NOW), { method: 'post' }))).toEqual({ ok: true })
    expect(check(request(signed(NOW), { method: '' }))).toEqual({ ok: true })
    expect(check(request(signed(NOW, { method: 'PUT' }), { method: 'put' }))).toEqual({ ok: true })
    expect(check(request(signed(NOW, { method: 'PUT' })))).toEqual({ ok: false, reason: 'v3 signature mismatch' })
    expect(signV3(secret, 'post', base, body, '1')).toBe(signV3(secret, 'POST', base, body, '1'))
  })

  it('one character off in the signature (same length) is a mismatch', () => {
    const headers = signed(NOW)
    const sig = headers['x-hubspot-signature-v3']
    const off = `${sig.slice(0, 10)}${sig[10] === 'A' ? 'B' : 'A'}${sig.slice(11)}`
    expect(check(request({ ...headers, 'x-hubspot-signature-v3': off }))).toEqual({ ok: false, reason: 'v3 signature mismatch' })
  })

  it('any of the known base URLs may be the one HubSpot called', () => {
    const other = 'https://example.test/webhook/wh_1'
    const headers = signed(NOW, { url: other })
    expect(verifySignature(request(headers), { secret, bases: [base, other], now: NOW })).toEqual({ ok: true })
    expect(verifySignature(request(headers), { secret, bases: [base], now: NOW })).toEqual({ ok: false, reason: 'v3 signature mismatch' })
  })

  it('escapes decoded case-blind (%3a as %3A); others kept', () => {
    expect(signedUri('https://h/p?a=%3a%2f%3f%40&b=%2a%2c%3b%2F')).toBe('https://h/p?a=:/?@&b=*,;/')
    expect(signedUri('https://h/p?a=%41%3G%2')).toBe('https://h/p?a=%41%3G%2')
  })
})

describe('candidateUris', () => {
  it.each([
    ['a path without its slash', { path: 'hubspot', query: '' }, ['https://w.example/wh_1/hubspot']],
    ['a query given with its ?', { path: '/x', query: '?a=1' }, ['https://w.example/wh_1/x?a=1']],
    ['a query holding a ? of its own', { path: '/x', query: 'a=b?c' }, ['https://w.example/wh_1/x?a=b?c']],
    ['a bare URL with a query', { path: '', query: 'a=1' }, ['https://w.example/wh_1?a=1', 'https://w.example/wh_1/?a=1']],
    ['a bare URL as "/"', { path: '/', query: '' }, ['https://w.example/wh_1', 'https://w.example/wh_1/']],
  ])('%s', (_label, req, expected) => {
    expect(candidateUris(['https://w.example/wh_1//'], req)).toEqual(expected)
  })

  it('the same base given twice is tried once', () => {
    expect(candidateUris(['https://w.example/wh_1', 'https://w.example/wh_1/'], { path: '/x', query: '' })).toEqual(['https://w.example/wh_1/x'])
  })
})

describe('no v3', () => {
  it('a v1 header alone is named as a downgrade; nothing at all as unsigned', () => {
    expect(check(request({ 'x-hubspot-signature': 'abc' }))).toEqual({ ok: false, reason: 'only a v1/v2 signature (no timestamp): HubSpot signs every request to this app with v3' })
    expect(check(request({ 'x-hubspot-signature': '' }))).toEqual({ ok: false, reason: 'only a v1/v2 signature (no timestamp): HubSpot signs every request to this app with v3' })
    expect(check(request({ 'x-hubspot-request-timestamp': String(NOW) }))).toEqual({ ok: false, reason: 'no HubSpot signature headers' })
  })

  it('an empty v3 header still decides (no fall back to v1)', () => {
    expect(check(request({ 'x-hubspot-signature-v3': '', 'x-hubspot-request-timestamp': String(NOW), 'x-hubspot-signature': 'abc' }))).toEqual({ ok: false, reason: 'v3 signature mismatch' })
  })
})
