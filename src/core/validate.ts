/** Helpers for reading what providers send us: raw JSON, validated with zod/mini, failures as 400 reasons. */
import {
  array,
  boolean,
  literal,
  maxLength,
  minLength,
  number,
  object,
  optional,
  pipe,
  record,
  safeParse,
  string,
  transform,
  union,
  unknown,
  type ZodMiniType,
} from 'zod/mini'
import { BadRequestError } from './errors'

/**
 * The zod/mini builders adapters use. Named imports on purpose: a namespace import would pull every zod locale
 * into the bundle (hundreds of KB).
 */
export const z = { array, boolean, literal, maxLength, minLength, number, object, optional, pipe, record, string, transform, union, unknown, safeParse }
export type { output } from 'zod/mini'
export type Schema<T> = ZodMiniType<T>

/**
 * How deep untrusted JSON may nest, for every provider: real webhooks and API answers nest well under 20 levels, and
 * anything that walks parsed JSON (`dropNulls`, schemas, `JSON.stringify` in a log) stays far from the stack limit.
 */
export const MAX_JSON_DEPTH = 64

/**
 * Whether raw JSON text opens more than `max` arrays/objects at once. One pass, no recursion, strings skipped (a
 * bracket inside a string does not count), so a 1 MB body costs one scan and a 50,000-deep one is refused before parsing.
 */
export const nestsDeeperThan = (text: string, max = MAX_JSON_DEPTH): boolean => {
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 0x5c) i++ // backslash: skip the escaped character
      else if (c === 0x22) inString = false
    } else if (c === 0x22) inString = true
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true
    } else if (c === 0x5d || c === 0x7d) depth--
  }
  return false
}

export const parseJson = (body: string | undefined, what = 'body'): unknown => {
  if (body === undefined || body.trim() === '') throw new BadRequestError(`the ${what} is empty`)
  // Malformed for good: a redelivery would fail the same way, so it is a 400, never a 503 (a poison webhook).
  if (nestsDeeperThan(body)) throw new BadRequestError(`the ${what} nests deeper than ${MAX_JSON_DEPTH} levels`)
  try {
    return JSON.parse(body)
  } catch {
    throw new BadRequestError(`the ${what} is not valid JSON`)
  }
}

/**
 * `text` without its trailing slashes, in one backward scan. `text.replace(/\/+$/, '')` is quadratic on a run of
 * slashes that does not end the string (40,000 slashes then a letter: about 10 s of CPU), and paths and URLs come from
 * requests and provider answers.
 */
export const withoutTrailingSlashes = (text: string): string => {
  let end = text.length
  while (end > 0 && text.charCodeAt(end - 1) === 0x2f) end--
  return text.slice(0, end)
}

/** Sets `out[key]` as an own data property: a `__proto__` key from outside stays a key, never a prototype. */
const setOwn = (out: Record<string, unknown>, key: string, value: unknown) => {
  if (key === '__proto__') Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true })
  else out[key] = value
}

/**
 * Deep copy of parsed JSON without `null` values (providers send `null` for "absent", schemas read `undefined`), own
 * properties only. The one walk over untrusted JSON: deeper than `MAX_JSON_DEPTH` is malformed input (400), so no
 * body can exhaust the stack.
 */
export const dropNulls = (value: unknown, depth = 0): unknown => {
  if (value === null || typeof value !== 'object') return value
  if (depth >= MAX_JSON_DEPTH) throw new BadRequestError(`the body nests deeper than ${MAX_JSON_DEPTH} levels`)
  if (Array.isArray(value)) return value.map((v) => dropNulls(v, depth + 1))
  const out: Record<string, unknown> = {}
  for (const key of Object.keys(value)) {
    const v = (value as Record<string, unknown>)[key]
    if (v !== null) setOwn(out, key, dropNulls(v, depth + 1))
  }
  return out
}

const describeIssues = (issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>) =>
  issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.slice(0, 8).map((k) => String(k).slice(0, 40)).join('.') : '(root)'}: ${i.message.slice(0, 200)}`)
    .join('; ')

/** Validates `value` or throws a BadRequestError naming each offending field. */
export const expectShape = <T>(schema: ZodMiniType<T>, value: unknown, what: string): T => {
  const result = safeParse(schema, value)
  if (!result.success) throw new BadRequestError(`${what} is malformed: ${describeIssues(result.error.issues)}`)
  return result.data
}

/** An id that providers send as a string or a number; always a non-empty string for us. */
export const id = () =>
  z.pipe(
    z.union([z.string().check(z.minLength(1), z.maxLength(500)), z.number()]),
    z.transform((v) => String(v))
  )
