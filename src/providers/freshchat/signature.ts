/**
 * Webhook authenticity: Freshchat signs each delivery's raw body with the account's RSA private key and sends the
 * signature, base64, in `X-Freshchat-Signature`; the receiver verifies it (RSA PKCS#1 v1.5, SHA-256) with the public
 * key shown beside the webhook URL in Admin › Webhooks (Freshworks, "Freshchat Webhooks Payload Structure and
 * Authentication", https://crmsupport.freshworks.com/en/support/solutions/articles/50000004461; the same check in
 * github:nyaruka/courier handlers/freshchat/handler.go `validateSignature`).
 *
 * Everything here works from the configuration and the request alone: a forged delivery costs no Botpress and no
 * Freshchat request, on a warm or a cold instance.
 */
import { constants, createPublicKey, verify, type KeyObject } from 'node:crypto'
import { createCache } from '../../core/cache'
import type { VerifyResult } from '../../core/types'

export const SIGNATURE_HEADER = 'x-freshchat-signature'

/** A PEM public key is a few hundred characters (4096-bit: about 800); anything far longer is not one. */
const MAX_KEY_TEXT = 16_384
/** base64 of a 8192-bit signature is 1,368 characters: a longer header is refused before it is decoded. */
export const MAX_SIGNATURE = 1_400
const B64 = /^[A-Za-z0-9+/]+={0,2}$/

const keys = createCache<KeyObject>({ name: 'freshchat public keys', max: 16 })

/**
 * The configured key as PEM, whatever a form did to it: newlines lost (pasted on one line: the base64 then sits between
 * the armour lines with spaces, or nothing), `\n` typed literally, CRLF, surrounding quotes, or only the base64 body
 * pasted without armour. Undefined when it cannot be a PEM public key. One pass over bounded text, no backtracking.
 */
export const normalisePem = (raw: string): string | undefined => {
  if (typeof raw !== 'string' || raw.length > MAX_KEY_TEXT) return undefined
  const text = raw.replace(/\\n/g, '\n').trim().replace(/^["']|["']$/g, '')
  let label = 'PUBLIC KEY'
  let body = text
  const begin = text.indexOf('-----BEGIN ')
  if (begin >= 0) {
    const labelEnd = text.indexOf('-----', begin + 11)
    if (labelEnd < 0) return undefined
    label = text.slice(begin + 11, labelEnd).trim()
    if (label !== 'PUBLIC KEY' && label !== 'RSA PUBLIC KEY') return undefined
    const end = text.indexOf(`-----END ${label}-----`, labelEnd + 5)
    if (end < 0) return undefined
    body = text.slice(labelEnd + 5, end)
  }
  const base64 = body.replace(/\s+/g, '')
  if (!base64 || !B64.test(base64)) return undefined
  const lines = base64.match(/.{1,64}/g) ?? []
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`
}

/** The RSA public key of the configuration, or a reason it is not one (never throws). Parsed once per process. */
export const publicKeyOf = (raw: string): { key: KeyObject } | { error: string } => {
  const pem = normalisePem(raw)
  if (!pem) return { error: 'it is not a PEM public key (-----BEGIN PUBLIC KEY----- … -----END PUBLIC KEY-----)' }
  const cached = keys.get(pem)
  if (cached) return { key: cached }
  let key: KeyObject
  try {
    key = createPublicKey({ key: pem, format: 'pem' })
  } catch {
    return { error: 'the PEM text does not hold a valid public key (copy it again, whole)' }
  }
  if (key.asymmetricKeyType !== 'rsa') return { error: `it is a ${String(key.asymmetricKeyType)} key, not the RSA key Freshchat signs with` }
  return { key: keys.set(pem, key) }
}

const fail = (reason: string): VerifyResult => ({ ok: false, reason })

/** `X-Freshchat-Signature` over the raw body bytes. Bounded and strictly base64 (canonical form only) before decoding. */
export const verifySignature = (key: KeyObject, body: string, signature: string | undefined): VerifyResult => {
  const given = signature?.trim()
  if (!given) return fail('X-Freshchat-Signature missing')
  if (given.length > MAX_SIGNATURE) return fail('X-Freshchat-Signature is too long to be an RSA signature')
  if (!B64.test(given)) return fail('X-Freshchat-Signature is not base64')
  const bytes = Buffer.from(given, 'base64')
  // Another spelling of the same bytes (missing padding, stray bits) is not what Freshchat sends.
  if (bytes.toString('base64') !== given) return fail('X-Freshchat-Signature is not canonical base64')
  const modulusBytes = Math.ceil((key.asymmetricKeyDetails?.modulusLength ?? 0) / 8)
  if (modulusBytes && bytes.length !== modulusBytes) return fail('X-Freshchat-Signature has the wrong length for the configured key')
  let ok = false
  try {
    ok = verify('sha256', Buffer.from(body, 'utf8'), { key, padding: constants.RSA_PKCS1_PADDING }, bytes)
  } catch {
    ok = false
  }
  return ok ? { ok: true } : fail('X-Freshchat-Signature does not verify with the configured public key')
}
