/**
 * HubSpot request signatures (https://developers.hubspot.com/docs/api/webhooks/validating-requests).
 *
 * - v3: base64(HMAC-SHA256(client secret, METHOD + URI + raw body + timestamp)), with `X-HubSpot-Request-Timestamp`
 *   in epoch milliseconds; the URI is the full public URL HubSpot called, with only a dozen percent-escapes decoded.
 *   HubSpot adds it to every outgoing request to an OAuth app ("Introducing version 3 of Webhook signatures",
 *   https://developers.hubspot.com/changelog/introducing-version-3-of-webhook-signatures), the older versions being
 *   kept "for backward compatibility": custom-channel deliveries and app webhooks alike.
 * - v2: hex(SHA-256(client secret + METHOD + URI + raw body)); v1: hex(SHA-256(client secret + raw body)). No
 *   timestamp, so a captured request would replay forever. This integration is always an OAuth app, so HubSpot
 *   always sends v3: it is required, and a request carrying only v1/v2 (a v3 header stripped) is refused. With no
 *   path that accepts a timestamp-less proof, no store of seen event ids is needed.
 */
import { createHash } from 'node:crypto'
import { hmac, header, safeEqual } from '../../core/crypto'
import type { VerifyResult, WebhookRequest } from '../../core/types'
import { own, withoutTrailingSlashes } from '../shared'

export const V3_HEADER = 'x-hubspot-signature-v3'
export const TIMESTAMP_HEADER = 'x-hubspot-request-timestamp'
export const V1_HEADER = 'x-hubspot-signature'
export const VERSION_HEADER = 'x-hubspot-signature-version'
/** HubSpot's own libraries reject requests older than five minutes. */
export const MAX_AGE_MS = 5 * 60 * 1000
/** A clock a little ahead of ours is tolerated; a timestamp far in the future is not. */
export const MAX_SKEW_MS = 60 * 1000

/** The only escapes HubSpot decodes before signing the URI (any other escape stays as it is). */
const DECODED: Readonly<Record<string, string>> = {
  '%3A': ':',
  '%2F': '/',
  '%3F': '?',
  '%40': '@',
  '%21': '!',
  '%24': '$',
  '%27': "'",
  '%28': '(',
  '%29': ')',
  '%2A': '*',
  '%2C': ',',
  '%3B': ';',
}

export const signedUri = (uri: string) => uri.replace(/%(3A|2F|3F|40|21|24|27|28|29|2A|2C|3B)/gi, (m) => own(DECODED, m.toUpperCase()) ?? m)

const sha256hex = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex')

export const signV3 = (secret: string, method: string, uri: string, body: string, timestamp: string) =>
  hmac('sha256', secret, `${method.toUpperCase()}${signedUri(uri)}${body}${timestamp}`, 'base64')

export const signV2 = (secret: string, method: string, uri: string, body: string) =>
  sha256hex(`${secret}${method.toUpperCase()}${uri}${body}`)

export const signV1 = (secret: string, body: string) => sha256hex(`${secret}${body}`)

/**
 * The URIs HubSpot may have signed for this request: each public base URL of our webhook (the one Botpress gave at
 * register, and the Cloud default built from the webhook id), followed by the sub-path and query Botpress forwarded.
 * A bare webhook URL may reach us as path "/" or "": both spellings are tried.
 */
export const candidateUris = (bases: string[], req: Pick<WebhookRequest, 'path' | 'query'>): string[] => {
  const path = req.path && req.path !== '/' ? (req.path.startsWith('/') ? req.path : `/${req.path}`) : ''
  const query = req.query ? `?${req.query.replace(/^\?/, '')}` : ''
  const uris = new Set<string>()
  for (const raw of bases) {
    const base = withoutTrailingSlashes(raw)
    uris.add(`${base}${path}${query}`)
    if (!path) uris.add(`${base}/${query}`)
  }
  return [...uris]
}

export type VerifyOptions = { secret: string; bases: string[]; now?: number }

export const verifySignature = (req: WebhookRequest, { secret, bases, now = Date.now() }: VerifyOptions): VerifyResult => {
  const v3 = header(req.headers, V3_HEADER)
  if (v3 !== undefined) {
    // v3 present: it alone decides (never fall back to the replayable v1 of the same request).
    const timestamp = header(req.headers, TIMESTAMP_HEADER)
    if (!timestamp || !/^\d{10,16}$/.test(timestamp)) return { ok: false, reason: 'v3 signature without a valid X-HubSpot-Request-Timestamp' }
    const age = now - Number(timestamp)
    if (age > MAX_AGE_MS) return { ok: false, reason: `stale request (signed ${Math.round(age / 1000)} s ago, limit 300 s)` }
    if (age < -MAX_SKEW_MS) return { ok: false, reason: 'request timestamp is in the future' }
    const method = (req.method || 'POST').toUpperCase()
    for (const uri of candidateUris(bases, req)) {
      if (safeEqual(v3, signV3(secret, method, uri, req.body, timestamp))) return { ok: true }
    }
    return { ok: false, reason: 'v3 signature mismatch' }
  }
  // No v3: HubSpot always sends it to an OAuth app, so its absence means it was removed (a downgrade) or never HubSpot.
  if (header(req.headers, V1_HEADER) !== undefined) return { ok: false, reason: 'only a v1/v2 signature (no timestamp): HubSpot signs every request to this app with v3' }
  return { ok: false, reason: 'no HubSpot signature headers' }
}
