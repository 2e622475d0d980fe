/**
 * Request validation against Chatwoot's Application API description (spec/application_swagger.json, a
 * copy of chatwoot/chatwoot swagger/tag_groups/application_swagger.json; see its README): path and method, path and
 * query parameters, the `api_access_token` header of `components.securitySchemes.userApiKey`, and JSON bodies with ajv.
 * The approach of test/providers/intercom/openapi.ts, for a JSON spec with apiKey security. A multipart body is
 * reported as such (the spec declares only application/json for it): the fake checks it by hand, per the README.
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv'
import addFormats from 'ajv-formats'

type Schema = Record<string, unknown>
type Parameter = { name: string; in: 'path' | 'query' | 'header' | 'cookie'; required?: boolean; schema?: Schema }
type Operation = {
  operationId?: string
  parameters?: Array<Parameter | { $ref: string }>
  requestBody?: { required?: boolean; content?: Record<string, { schema?: Schema }> }
  security?: Array<Record<string, string[]>>
}
type Route = { method: string; template: string; regex: RegExp; names: string[]; operation: Operation; parameters: Parameter[] }

export type Validation = { operationId?: string; params: Record<string, string>; errors: string[]; multipart: boolean }

const METHODS = ['get', 'put', 'post', 'delete', 'patch']
const SPEC_ID = 'chatwoot-spec.json'

export const SPEC_FILE = path.join(__dirname, 'spec', 'application_swagger.json')

const formatErrors = (where: string, errors: ErrorObject[] | null | undefined) =>
  (errors ?? []).slice(0, 8).map((e) => `${where}${e.instancePath || ''} ${e.message ?? e.keyword}`)

const coerce = (value: string, schema: Schema | undefined): unknown => {
  const type = schema?.type
  if ((type === 'integer' || type === 'number') && /^-?\d+(\.\d+)?$/.test(value)) return Number(value)
  return value
}

/** Paths compared without trailing slashes: the spec writes `/inboxes/` and `/inboxes/{id}/`, Rails routes both ways. */
const trim = (p: string) => p.replace(/\/+$/, '') || '/'

export class ChatwootSpec {
  private readonly doc: { paths: Record<string, Record<string, unknown>>; components?: Record<string, unknown> }
  private readonly ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false })
  private readonly routes: Route[] = []
  private readonly compiled = new Map<string, ValidateFunction>()

  constructor(file = SPEC_FILE) {
    this.doc = JSON.parse(readFileSync(file, 'utf8'))
    addFormats(this.ajv)
    this.ajv.addSchema({ $id: SPEC_ID, components: this.doc.components ?? {} })
    for (const [template, item] of Object.entries(this.doc.paths)) {
      const names: string[] = []
      const pattern = trim(template)
        .replace(/[.*+?^$()|[\]\\]/g, '\\$&')
        .replace(/\{([^}]+)\}/g, (_, name: string) => (names.push(name), '([^/]+)'))
      const shared = ((item.parameters as Operation['parameters']) ?? []).map((p) => this.deref<Parameter>(p))
      for (const method of METHODS) {
        const operation = item[method] as Operation | undefined
        if (!operation) continue
        const own = (operation.parameters ?? []).map((p) => this.deref<Parameter>(p))
        const parameters = [...shared.filter((s) => !own.some((o) => o.name === s.name && o.in === s.in)), ...own]
        this.routes.push({ method: method.toUpperCase(), template, regex: new RegExp(`^${pattern}$`), names, operation, parameters })
      }
    }
    // Literal segments win over parameters ("/contacts/search" before "/contacts/{id}").
    this.routes.sort((a, b) => a.names.length - b.names.length || b.template.length - a.template.length)
  }

  private deref<T>(node: T | { $ref: string }): T {
    const ref = (node as { $ref?: string }).$ref
    if (!ref) return node as T
    let at: unknown = this.doc
    for (const key of ref.replace(/^#\//, '').split('/')) at = (at as Record<string, unknown> | undefined)?.[key]
    return at as T
  }

  private validator(key: string, schema: Schema): ValidateFunction {
    let fn = this.compiled.get(key)
    if (!fn) {
      fn = this.ajv.compile(JSON.parse(JSON.stringify(schema).replace(/"\$ref":"#\//g, `"$ref":"${SPEC_ID}#/`)))
      this.compiled.set(key, fn)
    }
    return fn
  }

  validate(req: { method: string; url: string; headers: Headers; body: string }): Validation {
    const url = new URL(req.url)
    const method = req.method.toUpperCase()
    const pathname = trim(url.pathname)
    const label = `${method} ${pathname}`
    const candidates = this.routes.filter((r) => r.regex.test(pathname))
    const route = candidates.find((r) => r.method === method)
    if (!route) {
      const why = candidates.length ? `method not allowed (spec has ${[...new Set(candidates.map((c) => c.method))].join(', ')})` : 'no such path in the spec'
      return { params: {}, errors: [`${label}: ${why}`], multipart: false }
    }
    const where = `${label} (${route.operation.operationId ?? route.template})`
    const errors: string[] = []
    const match = route.regex.exec(pathname)!
    const params = Object.fromEntries(route.names.map((n, i) => [n, decodeURIComponent(match[i + 1]!)]))
    for (const p of route.parameters) {
      if (p.in !== 'path' && p.in !== 'query') continue
      const raw = p.in === 'path' ? params[p.name] : (url.searchParams.get(p.name) ?? undefined)
      if (raw === undefined) {
        if (p.required || p.in === 'path') errors.push(`${where}: missing ${p.in} parameter ${p.name}`)
        continue
      }
      if (p.schema) {
        const fn = this.validator(`${route.method} ${route.template} ${p.in}:${p.name}`, p.schema)
        if (!fn(coerce(raw, p.schema))) errors.push(...formatErrors(`${where}: ${p.in} ${p.name}`, fn.errors))
      }
    }
    // Every operation of this spec is secured by an api_access_token header (userApiKey or agentBotApiKey).
    const security = route.operation.security ?? []
    if (security.length && !req.headers.get('api_access_token')) errors.push(`${where}: missing the api_access_token header`)

    const contentType = (req.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase()
    const multipart = contentType === 'multipart/form-data'
    const requestBody = route.operation.requestBody
    const hasBody = req.body.trim() !== ''
    if (multipart) return { operationId: route.operation.operationId, params, errors, multipart }
    if (!requestBody) {
      if (hasBody) errors.push(`${where}: the operation takes no body`)
    } else if (!hasBody) {
      if (requestBody.required) errors.push(`${where}: the body is required`)
    } else {
      const media = requestBody.content?.[contentType]
      if (!media) errors.push(`${where}: content-type "${contentType}" is not one of ${Object.keys(requestBody.content ?? {}).join(', ')}`)
      else if (media.schema) {
        let json: unknown
        try {
          json = JSON.parse(req.body)
        } catch {
          errors.push(`${where}: the body is not valid JSON`)
        }
        if (json !== undefined) {
          const fn = this.validator(`${route.method} ${route.template} body`, media.schema)
          if (!fn(json)) errors.push(...formatErrors(`${where}: body`, fn.errors))
        }
      }
    }
    return { operationId: route.operation.operationId, params, errors, multipart }
  }
}

let spec: ChatwootSpec | undefined
/** Parsed once per test file. */
export const chatwootSpec = () => (spec ??= new ChatwootSpec())
