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
export const z = { array, boolean, literal, maxLength, minLength, number, object, optional, pipe, record, string, transform, union, unknown }
export type Schema<T> = ZodMiniType<T>

export const parseJson = (body: string | undefined, what = 'body'): unknown => {
  if (body === undefined || body.trim() === '') throw new BadRequestError(`the ${what} is empty`)
  try {
    return JSON.parse(body)
  } catch {
    throw new BadRequestError(`the ${what} is not valid JSON`)
  }
}

const describeIssues = (issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>) =>
  issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.map(String).join('.') : '(root)'}: ${i.message}`)
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
