/**
 * The generic protocol's request signing (src/providers/http/signature.ts) as rules: `x-hitl-timestamp` in seconds or
 * milliseconds, `x-hitl-signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`, a 5-minute window either
 * way. Expected signatures are computed here with node:crypto, not with the code under test.
 */
import { createHmac } from 'node:crypto'
import { sign, timestampOf, verify } from '../../../src/providers/http/signature'
import type { WebhookRequest } from '../../../src/core/types'

const SECRET = 'a-shared-secret'
const NOW = 1_800_000_000_000
const BODY = '{"remoteConversationId":"t1"}'
const mac = (ts: string | number, body = BODY, secret = SECRET) => `sha256=${createHmac('sha256', secret).update(`${ts}.${body}`).digest('hex')}`
const req = (headers: Record<string, string>, body = BODY): WebhookRequest => ({ method: 'POST', path: '/', query: '', headers, body })
const seconds = (ms: number) => Math.floor(ms / 1000)

describe('sign', () => {
  it('signs "<timestamp>.<body>" with HMAC-SHA256, hex, prefixed sha256=', () => {
    expect(sign(SECRET, BODY, 1_700_000_000)).toEqual({ 'x-hitl-timestamp': '1700000000', 'x-hitl-signature': mac(1_700_000_000) })
  })
})

describe('verify', () => {
  const ts = seconds(NOW)
  it('accepts its own signature, in seconds or milliseconds, header names in any case', () => {
    expect(verify(SECRET, req({ 'x-hitl-timestamp': String(ts), 'x-hitl-signature': mac(ts) }), NOW)).toEqual({ ok: true })
    expect(verify(SECRET, req({ 'x-hitl-timestamp': String(NOW), 'x-hitl-signature': mac(NOW) }), NOW)).toEqual({ ok: true })
    expect(verify(SECRET, req({ 'X-Hitl-Timestamp': String(ts), 'X-HITL-Signature': mac(ts) }), NOW)).toEqual({ ok: true })
  })

  it.each([
    ['no timestamp', { 'x-hitl-signature': mac(ts) }],
    ['no signature', { 'x-hitl-timestamp': String(ts) }],
    ['an empty signature', { 'x-hitl-timestamp': String(ts), 'x-hitl-signature': '' }],
    ['an empty timestamp', { 'x-hitl-timestamp': '', 'x-hitl-signature': mac(ts) }],
  ])('refuses %s as missing', (_, headers) => {
    expect(verify(SECRET, req(headers as Record<string, string>), NOW)).toEqual({ ok: false, reason: 'missing signature headers' })
  })

  it.each([
    ['not a number', 'soon'],
    ['a negative number', `-${ts}`],
    ['a decimal', `${ts}.5`],
    ['14 digits', '18000000000000'],
    ['digits around text', `${ts}x`],
    ['301 s old', String(ts - 301)],
    ['301 s ahead', String(ts + 301)],
    ['301 s old, in ms', String(NOW - 301_000)],
  ])('refuses a timestamp that is %s', (_, timestamp) => {
    expect(verify(SECRET, req({ 'x-hitl-timestamp': timestamp, 'x-hitl-signature': mac(timestamp) }), NOW)).toEqual({ ok: false, reason: 'stale or invalid timestamp' })
  })

  it.each([
    ['300 s old', ts - 300],
    ['300 s ahead', ts + 300],
    ['300 s old, in ms', NOW - 300_000],
    ['one digit (the epoch, with the clock at 1 s)', 1],
  ])('accepts a timestamp %s (the window is inclusive)', (label, timestamp) => {
    const now = label.startsWith('one digit') ? 1_000 : NOW
    expect(verify(SECRET, req({ 'x-hitl-timestamp': String(timestamp), 'x-hitl-signature': mac(timestamp) }), now)).toEqual({ ok: true })
  })

  it.each([
    ['another secret', mac(ts, BODY, 'another-secret')],
    ['another body', mac(ts, '{"remoteConversationId":"t2"}')],
    ['another timestamp', mac(ts - 1)],
    ['no prefix', mac(ts).slice('sha256='.length)],
    ['another prefix', mac(ts).replace('sha256=', 'sha1=')],
    ['one more character', `${mac(ts)}0`],
  ])('refuses a signature made with %s', (_, signature) => {
    expect(verify(SECRET, req({ 'x-hitl-timestamp': String(ts), 'x-hitl-signature': signature }), NOW)).toEqual({ ok: false, reason: 'signature mismatch' })
  })
})

describe('timestampOf', () => {
  it.each([
    ['seconds, scaled to ms', '1800000000', 1_800_000_000_000],
    ['milliseconds, kept', '1800000000123', 1_800_000_000_123],
    ['the last value taken as seconds', '999999999999', 999_999_999_999_000],
    ['the first taken as ms', '1000000000000', 1_000_000_000_000],
    ['one digit', '7', 7_000],
  ])('reads %s', (_, header, expected) => {
    expect(timestampOf(req({ 'x-hitl-timestamp': header }))).toBe(expected)
  })

  it.each([['absent', undefined], ['empty', ''], ['text', 'now'], ['14 digits', '18000000000000'], ['signed', '+1800000000'], ['spaced', ' 1800000000']])(
    'is undefined when %s',
    (_, header) => {
      expect(timestampOf(req(header === undefined ? {} : { 'x-hitl-timestamp': header }))).toBeUndefined()
    }
  )
})
