/**
 * Validation of requests (and of the fake's own answers) against our request contract written from HubSpot's
 * documentation (`contract.ts`): path and query parameters with their types, JSON, form and multipart bodies.
 * Schemas are compiled on first use.
 */
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv'
import addFormats from 'ajv-formats'
import { CONTRACT, type ParamType, type Schema } from './contract'

const ajv = new Ajv({ allErrors: true, strict: true, strictTypes: false, strictTuples: false, strictRequired: false })
addFormats(ajv)

const compiled = new Map<string, ValidateFunction>()
const compile = (key: string, schema: Schema) => {
  let fn = compiled.get(key)
  if (!fn) {
    fn = ajv.compile(schema)
    compiled.set(key, fn)
  }
  return fn
}

const format = (where: string, errors: ErrorObject[] | null | undefined) =>
  (errors ?? [])
    // `if`/`then` failures repeat the error of the branch; the branch's own error says more.
    .filter((e) => e.keyword !== 'if')
    .slice(0, 6)
    .map((e) => {
      const allowed = e.params && 'allowedValues' in e.params ? ` (${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')})` : ''
      return `${where}${e.instancePath || ''} ${e.message ?? e.keyword}${allowed}`
    })

/** A query or path value is text: does it read as the declared type? */
const PARAM_PATTERNS: Record<ParamType, RegExp | undefined> = {
  string: undefined,
  integer: /^-?\d+$/,
  boolean: /^(true|false)$/,
}

export const hasOperation = (key: string) => key in CONTRACT

/**
 * Errors of a request for contract operation `key` ("POST /path/{param}"): `params` are the path parameters, `query`
 * the query string (names in `allowExtraQuery` are the documented authentication parameters), `body` the parsed body
 * (for a form or multipart body: its fields).
 */
export const validateRequest = (
  key: string,
  req: { params: Record<string, string>; query: URLSearchParams; body?: unknown; contentType?: string; allowExtraQuery?: string[] }
): string[] => {
  const op = CONTRACT[key]
  if (!op) return [`no operation ${key} in the contract`]
  const errors: string[] = []

  for (const param of op.path) {
    const value = req.params[param.name]
    if (value === undefined || value === '') errors.push(`path parameter ${param.name} is required`)
    else if (PARAM_PATTERNS[param.type] && !PARAM_PATTERNS[param.type]!.test(value)) errors.push(`path parameter ${param.name} must be ${param.type}`)
  }

  const declared = new Set(op.query.map((param) => param.name))
  for (const param of op.query) {
    const values = req.query.getAll(param.name)
    if (!values.length) {
      if (param.required) errors.push(`query parameter ${param.name} is required`)
      continue
    }
    if (values.length > 1 && !param.repeatable) errors.push(`query parameter ${param.name} must not repeat`)
    const pattern = PARAM_PATTERNS[param.type]
    if (pattern && values.some((v) => !pattern.test(v))) errors.push(`query parameter ${param.name} must be ${param.type}`)
  }
  for (const name of new Set(req.query.keys())) {
    if (!declared.has(name) && !(req.allowExtraQuery ?? []).includes(name)) errors.push(`query parameter ${name} is not in the contract`)
  }

  if (op.body) {
    if (req.body === undefined) {
      if (op.body.required) errors.push('request body is required')
    } else {
      if (req.contentType && !req.contentType.toLowerCase().startsWith(op.body.contentType)) errors.push(`content-type ${req.contentType} instead of ${op.body.contentType}`)
      const fn = compile(`${key}#body`, op.body.schema)
      if (!fn(req.body)) errors.push(...format('body', fn.errors))
    }
  }
  return errors
}

/** Errors of the fake's own answer against the operation's response schema (to keep the fake honest). */
export const validateResponse = (key: string, status: number, body: unknown): string[] => {
  const schema = CONTRACT[key]?.responses?.[status]
  if (!schema) return []
  const fn = compile(`${key}#response:${status}`, schema)
  return fn(body) ? [] : format(`answer ${status}`, fn.errors)
}
