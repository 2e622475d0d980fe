/**
 * Request validation against an OpenAPI 3.0 description with ajv, for the providers' test doubles: path and method,
 * path/query/header parameters, the security schemes the operation requires (an apiKey header or an HTTP bearer
 * token, as the description's `components.securitySchemes` declares them) and the JSON body.
 * The description (YAML or JSON, by file name) is parsed once per validator (a YAML one read from a JSON cache after the
 * first parse, see parseYamlCached); each operation's schemas are compiled on first use. A provider's file makes one validator per test file (module cache) and passes what is its own: extra
 * format names, and whether multipart bodies are checked by hand.
 */
import { createHash } from 'node:crypto'
import { readFileSync, renameSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv'
import addFormats from 'ajv-formats'
import YAML from 'yaml'

type Schema = Record<string, unknown>
type Parameter = { name: string; in: 'path' | 'query' | 'header' | 'cookie'; required?: boolean; schema?: Schema }
type Operation = {
  operationId?: string
  parameters?: Array<Parameter | { $ref: string }>
  requestBody?: { required?: boolean; content?: Record<string, { schema?: Schema }> }
  security?: Array<Record<string, string[]>>
}
type SecurityScheme = { type?: string; in?: string; name?: string; scheme?: string }
type Route = { method: string; template: string; regex: RegExp; names: string[]; operation: Operation; parameters: Parameter[] }

export type IncomingRequest = {
  method: string
  url: string
  headers: Headers | Record<string, string | undefined>
  /** Raw body text ('' when none). */
  body: string
}

export type Validation = {
  operationId?: string
  template?: string
  params: Record<string, string>
  errors: string[]
  /** The request is multipart/form-data (its body is left to the caller when `multipartByHand`). */
  multipart: boolean
}

export type OpenApiOptions = {
  /** Vendor format names accepted as their declared type (e.g. Intercom's `timestamp`). */
  formats?: string[]
  /**
   * Multipart bodies are not validated here: the spec does not describe them (it declares only JSON) and the fake
   * checks them by hand. Without it a multipart body on a JSON-only operation is a content-type error.
   */
  multipartByHand?: boolean
}

/**
 * A YAML description parsed to plain JSON, cached in the temp directory under the hash of its text: parsing Intercom's
 * 0.9 MB description costs over a second in every test file that starts its double, reading the JSON a few
 * milliseconds. Written to a unique name then renamed, so parallel jest workers never read half a file.
 */
const parseYamlCached = (text: string): unknown => {
  const cached = path.join(os.tmpdir(), `hitl-hub-openapi-${createHash('sha256').update(text).digest('hex').slice(0, 32)}.json`)
  try {
    return JSON.parse(readFileSync(cached, 'utf8'))
  } catch {
    const doc: unknown = YAML.parse(text)
    try {
      const partial = `${cached}.${process.pid}.${Date.now()}`
      writeFileSync(partial, JSON.stringify(doc))
      renameSync(partial, cached)
    } catch {
      // A read-only temp directory only costs the parse next time.
    }
    return doc
  }
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options']
const SPEC_ID = 'openapi-spec.json'

const headerOf = (headers: IncomingRequest['headers'], name: string): string | undefined => {
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined
  const wanted = name.toLowerCase()
  for (const [k, v] of Object.entries(headers as Record<string, string | undefined>)) if (k.toLowerCase() === wanted) return v
  return undefined
}

const formatErrors = (where: string, errors: ErrorObject[] | null | undefined) =>
  (errors ?? []).slice(0, 8).map((e) => `${where}${e.instancePath || ''} ${e.message ?? e.keyword}${e.params && 'allowedValues' in e.params ? ` (${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')})` : ''}`)

/** A parameter's string value coerced to what its schema expects, so that "42" validates as an integer. */
const coerce = (value: string, schema: Schema | undefined): unknown => {
  const type = schema?.type
  if ((type === 'integer' || type === 'number') && /^-?\d+(\.\d+)?$/.test(value)) return Number(value)
  if (type === 'boolean' && (value === 'true' || value === 'false')) return value === 'true'
  return value
}

/** Paths compared without trailing slashes: a spec may write `/inboxes/` and `/inboxes/{id}/` while servers route both ways. */
const trim = (p: string) => p.replace(/\/+$/, '') || '/'

export class OpenApiValidator {
  private readonly doc: {
    paths: Record<string, Record<string, unknown>>
    components?: { securitySchemes?: Record<string, SecurityScheme> } & Record<string, unknown>
    security?: Operation['security']
  }
  private readonly ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false })
  private readonly routes: Route[] = []
  private readonly compiled = new Map<string, ValidateFunction>()

  constructor(
    file: string,
    private readonly options: OpenApiOptions = {}
  ) {
    const text = readFileSync(file, 'utf8')
    this.doc = (file.endsWith('.json') ? JSON.parse(text) : parseYamlCached(text)) as OpenApiValidator['doc']
    addFormats(this.ajv)
    for (const name of options.formats ?? []) this.ajv.addFormat(name, true)
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
    for (const key of ref.replace(/^#\//, '').split('/')) at = (at as Record<string, unknown> | undefined)?.[key.replace(/~1/g, '/').replace(/~0/g, '~')]
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

  /** What a security scheme needs that the request lacks (undefined when satisfied or not checkable here). */
  private missingCredential(req: IncomingRequest, name: string): string | undefined {
    const scheme = this.doc.components?.securitySchemes?.[name]
    if (!scheme) return undefined
    if (scheme.type === 'apiKey' && scheme.in === 'header' && scheme.name) return headerOf(req.headers, scheme.name) ? undefined : `the ${scheme.name} header`
    if (scheme.type === 'http' && scheme.scheme?.toLowerCase() === 'bearer') return /^Bearer \S+$/.test(headerOf(req.headers, 'authorization') ?? '') ? undefined : 'Authorization: Bearer <token>'
    return undefined
  }

  validate(req: IncomingRequest): Validation {
    const url = new URL(req.url)
    const method = req.method.toUpperCase()
    const pathname = trim(url.pathname)
    const label = `${method} ${pathname}`
    const contentType = (headerOf(req.headers, 'content-type') ?? '').split(';')[0]!.trim().toLowerCase()
    const multipart = contentType === 'multipart/form-data'
    const candidates = this.routes.filter((r) => r.regex.test(pathname))
    const route = candidates.find((r) => r.method === method)
    if (!route) {
      const why = candidates.length ? `method not allowed (spec has ${[...new Set(candidates.map((c) => c.method))].join(', ')})` : 'no such path in the spec'
      return { params: {}, errors: [`${label}: ${why}`], multipart }
    }
    const where = `${label} (${route.operation.operationId ?? route.template})`
    const errors: string[] = []
    const match = route.regex.exec(pathname)!
    const params = Object.fromEntries(route.names.map((n, i) => [n, decodeURIComponent(match[i + 1]!)]))
    const result = () => ({ operationId: route.operation.operationId, template: route.template, params, errors, multipart })

    for (const p of route.parameters) {
      let raw: string | undefined
      if (p.in === 'path') raw = params[p.name]
      else if (p.in === 'query') raw = url.searchParams.get(p.name) ?? undefined
      else if (p.in === 'header') raw = headerOf(req.headers, p.name)
      else continue
      if (raw === undefined) {
        if (p.required || p.in === 'path') errors.push(`${where}: missing ${p.in} parameter ${p.name}`)
        continue
      }
      if (p.schema) {
        const fn = this.validator(`${route.method} ${route.template} ${p.in}:${p.name}`, p.schema)
        if (!fn(coerce(raw, this.deref<Schema>(p.schema)))) errors.push(...formatErrors(`${where}: ${p.in} ${p.name}`, fn.errors))
      }
    }

    // Security: alternatives (any one requirement suffices), each naming schemes that must all be satisfied.
    const security = route.operation.security ?? this.doc.security ?? []
    if (security.length) {
      const lacks = security.map((requirement) => Object.keys(requirement).map((name) => this.missingCredential(req, name)).filter((m): m is string => m !== undefined))
      if (lacks.every((l) => l.length > 0)) errors.push(`${where}: missing ${lacks[0]!.join(' and ')}`)
    }

    const requestBody = route.operation.requestBody
    const hasBody = req.body.trim() !== ''
    if (multipart && this.options.multipartByHand) return result()
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
    return result()
  }
}
