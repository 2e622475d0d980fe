/**
 * Small value helpers every adapter needs when reading what a provider sent: untrusted JSON, so every lookup is
 * typed, trimmed and own-property only.
 */
import { webUrl } from '../../core/transcript'

/** A non-blank string, trimmed; anything else is absent. */
export const str = (value: unknown): string | undefined =>
  typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined

/** An id as a provider may send it (string or finite number), as a trimmed string. */
export const asId = (value: unknown): string | undefined => {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value)
  return str(value)
}

/**
 * An absolute http(s) URL without whitespace or control characters, of a sane length: the core's rule (`webUrl`), so
 * that adapters and the core never disagree on what may become a link. Anything else (javascript:, data:, relative) is not one.
 */
export const isWebUrl = (url: unknown, maxLength = 4096): url is string =>
  typeof url === 'string' && url.length <= maxLength && webUrl(url) === url

/** Deep copy without `null` values, depth-limited: the core's one walk over untrusted JSON. */
export { dropNulls, withoutTrailingSlashes } from '../../core/validate'

/**
 * The identity of a request's authenticity proof for `ParsedWebhook.proof`: its signature header (which covers the
 * body and any timestamp), or, where the proof is a static secret, the body itself (only an identical body replays it).
 */
export const requestProof = (body: string, signature?: string): string => {
  const sig = signature?.trim()
  if (!sig) return `body ${body}`
  // Hex digits are compared case-blind by some providers: one signature in two cases is one proof. Base64 keeps its case.
  return `signature ${sig.length <= 200 && /^(?:[a-z0-9]+=)?[0-9a-f]+$/i.test(sig) ? sig.toLowerCase() : sig}`
}

/** `map[key]` only when `key` is the map's own property: `constructor` or `__proto__` from outside finds nothing. */
export const own = <V>(map: Readonly<Record<string, V>>, key: unknown): V | undefined =>
  typeof key === 'string' && Object.prototype.hasOwnProperty.call(map, key) ? map[key] : undefined

/** A plain object (not an array, not null), for narrowing parsed JSON. */
export const isRecord = (value: unknown): value is Record<string, unknown> =>
  !!value && typeof value === 'object' && !Array.isArray(value)
