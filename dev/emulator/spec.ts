/**
 * The official Botpress runtime API contract, read from `@botpress/api` (the package the client is generated from):
 * routes, and ajv validators for each operation's parameters, JSON body and 200 response.
 */
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv'
import addFormats from 'ajv-formats'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

type Json = any
type Schema = Record<string, Json>

export interface Operation {
  operationId: string
  method: string // upper case
  path: string // template, e.g. /v1/chat/users/{id}
  /** Parameters by location; query params keep their schema so the query string can be parsed by type. */
  params: { path: Record<string, Schema>; query: Record<string, Schema>; header: Record<string, Schema> }
  hasBody: boolean
  regex: RegExp
  pathParamNames: string[]
}

export interface Spec {
  version: string
  operations: Map<string, Operation>
  match(method: string, pathname: string): { operation: Operation; pathParams: Record<string, string> } | { methodMismatch: true } | undefined
  validateRequest(op: Operation, input: { path: object; query: object; header: object; body: unknown }): string[]
  validateResponse(op: Operation, body: unknown): string[]
}

let loaded: Promise<Spec> | undefined

/** Loads (once per process) the runtime OpenAPI document and prepares routing and lazy validators. */
export const loadSpec = (): Promise<Spec> => (loaded ??= Promise.resolve().then(() => buildSpec(readOpenapi())))

/**
 * `runtimeApi.exportOpenapi(dir)` is synchronous and writes dir/openapi.json; requiring @botpress/api costs ~0.5 s, so the
 * document is also kept in os.tmpdir() keyed by the package version (written atomically) for the next processes.
 */
function readOpenapi(): { version: string; doc: Json } {
  const pkgFile = path.join(path.dirname(require.resolve('@botpress/api')), '..', 'package.json')
  const version: string = JSON.parse(fs.readFileSync(pkgFile, 'utf8')).version
  const cacheFile = path.join(os.tmpdir(), `botpress-runtime-openapi-${version}.json`)
  try {
    return { version, doc: JSON.parse(fs.readFileSync(cacheFile, 'utf8')) }
  } catch {
    // not cached yet (or a torn file): generate
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-runtime-openapi-'))
  try {
    // The exporter logs progress lines through winston; silence them for the duration of the synchronous call.
    const { write } = process.stdout
    const { log, info } = console
    process.stdout.write = (() => true) as typeof process.stdout.write
    console.log = console.info = () => {}
    try {
      require('@botpress/api').runtimeApi.exportOpenapi(dir)
    } finally {
      process.stdout.write = write
      console.log = log
      console.info = info
    }
    const text = fs.readFileSync(path.join(dir, 'openapi.json'), 'utf8')
    const tmp = `${cacheFile}.${process.pid}.tmp`
    fs.writeFileSync(tmp, text)
    fs.renameSync(tmp, cacheFile)
    return { version, doc: JSON.parse(text) }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

/** Replaces every local `$ref` by its target (the runtime spec has no recursive schemas). */
function deref(doc: Json, node: Json, seen: string[] = []): Json {
  if (Array.isArray(node)) return node.map((n) => deref(doc, n, seen))
  if (!node || typeof node !== 'object') return node
  if (typeof node.$ref === 'string') {
    const ref: string = node.$ref
    if (seen.includes(ref)) throw new Error(`recursive $ref ${ref} in the runtime OpenAPI`)
    const target = ref
      .replace(/^#\//, '')
      .split('/')
      .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
      .reduce((o: Json, k) => o?.[k], doc)
    if (target === undefined) throw new Error(`unresolved $ref ${ref}`)
    return deref(doc, target, [...seen, ref])
  }
  return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, deref(doc, v, seen)]))
}

const formatErrors = (where: string, errors: ErrorObject[] | null | undefined): string[] =>
  (errors ?? []).map((e) => {
    const at = (where + e.instancePath.replace(/\//g, '.')).replace(/^\./, '') || '(root)'
    const extra =
      e.keyword === 'additionalProperties'
        ? ` (${(e.params as { additionalProperty: string }).additionalProperty})`
        : e.keyword === 'enum'
          ? ` (${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')})`
          : ''
    return `${at} ${e.message}${extra}`
  })

function buildSpec({ version, doc }: { version: string; doc: Json }): Spec {
  // Bodies and responses: exact JSON, no coercion. Parameters arrive as strings: coerce (and wrap single values into arrays).
  const bodyAjv = new Ajv({ strict: false, allErrors: true })
  const paramAjv = new Ajv({ strict: false, allErrors: true, coerceTypes: 'array' })
  addFormats(bodyAjv)
  addFormats(paramAjv)

  const operations = new Map<string, Operation>()
  const raw = new Map<string, Json>()
  for (const [template, methods] of Object.entries<Json>(doc.paths)) {
    for (const [method, op] of Object.entries<Json>(methods)) {
      const params: Operation['params'] = { path: {}, query: {}, header: {} }
      const required: Record<string, string[]> = { path: [], query: [], header: [] }
      for (const p of deref(doc, op.parameters ?? [])) {
        const loc = p.in as keyof Operation['params']
        if (!params[loc]) continue
        const name = loc === 'header' ? String(p.name).toLowerCase() : p.name
        params[loc][name] = p.schema ?? {}
        if (p.required || loc === 'path') required[loc]!.push(name)
      }
      const pathParamNames = [...template.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!)
      const regex = new RegExp('^' + template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '([^/]+)') + '$')
      const operation: Operation = { operationId: op.operationId, method: method.toUpperCase(), path: template, params, hasBody: !!op.requestBody, regex, pathParamNames }
      operations.set(op.operationId, operation)
      raw.set(op.operationId, { op, required })
    }
  }
  // Literal segments win over parameters (`/conversations/get-or-create` before `/conversations/{id}`).
  const routes = [...operations.values()].sort((a, b) => a.pathParamNames.length - b.pathParamNames.length)

  const cache = new Map<string, { params: ValidateFunction; body?: ValidateFunction; response?: ValidateFunction }>()
  const validators = (operation: Operation) => {
    let v = cache.get(operation.operationId)
    if (v) return v
    const { op, required } = raw.get(operation.operationId)!
    const group = (loc: keyof Operation['params'], additional: boolean): Schema => ({
      type: 'object',
      properties: operation.params[loc],
      required: required[loc],
      additionalProperties: additional,
    })
    const params = paramAjv.compile({
      type: 'object',
      properties: { path: group('path', false), query: group('query', false), header: group('header', true) },
    })
    const jsonSchema = (node: Json) => (node ? deref(doc, node)?.content?.['application/json']?.schema : undefined)
    const bodySchema = jsonSchema(op.requestBody)
    const responseSchema = jsonSchema(op.responses?.['200'])
    v = {
      params,
      body: bodySchema ? bodyAjv.compile(bodySchema) : undefined,
      response: responseSchema ? bodyAjv.compile(responseSchema) : undefined,
    }
    cache.set(operation.operationId, v)
    return v
  }

  return {
    version,
    operations,
    match(method, pathname) {
      let methodMismatch = false
      for (const operation of routes) {
        const m = operation.regex.exec(pathname)
        if (!m) continue
        if (operation.method !== method) {
          methodMismatch = true
          continue
        }
        const pathParams = Object.fromEntries(operation.pathParamNames.map((n, i) => [n, decodeURIComponent(m[i + 1]!)]))
        return { operation, pathParams }
      }
      return methodMismatch ? { methodMismatch: true } : undefined
    },
    validateRequest(operation, input) {
      const v = validators(operation)
      const errors: string[] = []
      if (!v.params({ path: input.path, query: input.query, header: input.header })) errors.push(...formatErrors('', v.params.errors))
      if (v.body && !v.body(input.body)) errors.push(...formatErrors('body', v.body.errors))
      return errors
    },
    validateResponse(operation, body) {
      const v = validators(operation)
      return v.response && !v.response(body) ? formatErrors('response', v.response.errors) : []
    },
  }
}
