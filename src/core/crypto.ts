import { createHash, createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto'
import { createCache } from './cache'

/**
 * Keys already prepared for HMAC, by key text: a warm instance verifies every webhook with the same few secrets, and
 * preparing a string key costs about as much as hashing a small body. Bounded; in memory only.
 */
const preparedKeys = createCache<KeyObject>({ name: 'prepared HMAC keys', max: 32 })

// An empty key cannot be a KeyObject: used as text (createHmac accepts it).
const preparedKey = (key: string): KeyObject | string =>
  key ? (preparedKeys.get(key) ?? preparedKeys.set(key, createSecretKey(Buffer.from(key, 'utf8')))) : key

export const hmac = (algorithm: 'sha1' | 'sha256', key: string, data: string | Buffer, encoding: 'hex' | 'base64' = 'hex') =>
  createHmac(algorithm, preparedKey(key)).update(data).digest(encoding)

export const sha256 = (data: string, encoding: 'hex' | 'base64' = 'hex') => createHash('sha256').update(data).digest(encoding)

/** Constant-time comparison that answers false (never throws) when the lengths differ. */
export const safeEqual = (a: string | undefined, b: string | undefined): boolean => {
  if (typeof a !== 'string' || typeof b !== 'string') return false
  const left = Buffer.from(a, 'utf8')
  const right = Buffer.from(b, 'utf8')
  if (left.length !== right.length) {
    // Compare against itself so the time taken does not reveal where the difference is.
    timingSafeEqual(left, left)
    return false
  }
  return timingSafeEqual(left, right)
}

/** Whether a timestamp (seconds or milliseconds since the epoch) is within `windowSeconds` of now. */
export const isFresh = (timestamp: number, windowSeconds: number, now = Date.now()) => {
  if (!Number.isFinite(timestamp)) return false
  const ms = timestamp < 1e12 ? timestamp * 1000 : timestamp
  return Math.abs(now - ms) <= windowSeconds * 1000
}

export const header = (headers: Record<string, string | undefined>, name: string): string | undefined => {
  const wanted = name.toLowerCase()
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === wanted) return value
  return undefined
}
