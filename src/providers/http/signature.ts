/**
 * Request signing of the generic HTTP protocol (our additive extension): when a secret is configured, both
 * directions carry `x-hitl-timestamp` (Unix seconds, or milliseconds) and `x-hitl-signature: sha256=<hex
 * HMAC-SHA256(secret, "<timestamp>.<raw body>")>`, and requests outside a 5-minute window are refused.
 */
import { hmac, header, isFresh, safeEqual } from '../../core/crypto'
import type { VerifyResult, WebhookRequest } from '../../core/types'

export const TIMESTAMP_HEADER = 'x-hitl-timestamp'
export const SIGNATURE_HEADER = 'x-hitl-signature'
export const WINDOW_SECONDS = 300

export const sign = (secret: string, body: string, timestamp = Math.floor(Date.now() / 1000)) => ({
  [TIMESTAMP_HEADER]: String(timestamp),
  [SIGNATURE_HEADER]: `sha256=${hmac('sha256', secret, `${timestamp}.${body}`)}`,
})

/** The request's timestamp header as epoch milliseconds (seconds are scaled), or undefined when absent or not a number. */
export const timestampOf = (req: WebhookRequest): number | undefined => {
  const timestamp = header(req.headers, TIMESTAMP_HEADER)
  if (!timestamp || !/^\d{1,13}$/.test(timestamp)) return undefined
  const value = Number(timestamp)
  return value < 1e12 ? value * 1000 : value
}

export const verify = (secret: string, req: WebhookRequest, now = Date.now()): VerifyResult => {
  const timestamp = header(req.headers, TIMESTAMP_HEADER)
  const signature = header(req.headers, SIGNATURE_HEADER)
  if (!timestamp || !signature) return { ok: false, reason: 'missing signature headers' }
  if (!/^\d{1,13}$/.test(timestamp) || !isFresh(Number(timestamp), WINDOW_SECONDS, now)) {
    return { ok: false, reason: 'stale or invalid timestamp' }
  }
  const expected = `sha256=${hmac('sha256', secret, `${timestamp}.${req.body}`)}`
  return safeEqual(signature, expected) ? { ok: true } : { ok: false, reason: 'signature mismatch' }
}
