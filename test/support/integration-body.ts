/**
 * The create-integration request body exactly as the current Botpress CLI builds it on `bp deploy`, from our
 * integration.definition.ts, so that a test can validate what deploying sends against the admin API's OpenAPI.
 *
 * Source (botpress/botpress, packages/cli/src):
 * - api/integration-body.ts `prepareCreateIntegrationBody`: name, version, title, description, user; events, actions
 *   (input and output), channel messages, states and entities with their zui schemas as JSON Schema (spread over the
 *   definition's own fields: titles, descriptions, attributes, conversation/message tags); attributes; extraOperations.
 * - command-implementations/project-command.ts `prepareCreateIntegrationBody`: code (the built bundle when present),
 *   icon and readme read as base64, identifier scripts, the configuration schema (+ identifier), configurations.
 *   `prepareIntegrationDependencies`: each interface resolved by name and version to its id (`getPublicInterface`).
 * - utils/schema-utils.ts `mapZodToJsonSchema`: `sdk.transforms.toJSONSchema(schema)`, then local $refs
 *   dereferenced, then `ui` titles/examples copied onto properties.
 * - command-implementations/deploy-command.ts: the icon must be .svg and the readme .md (checked before anything is
 *   sent); the body gets `visibility` (default "private"), `sdkVersion` (the definition's metadata), `url`, `secrets`.
 * - @botpress/client: a request sends only the operation's declared top-level body fields.
 * - api/client.ts `findPreviousIntegrationVersion`: the version must be valid semver; command-implementations/
 *   project-command.ts `_parseHandledName`: a name holds at most one "/" (workspace handle / name).
 */
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import * as sdk from '@botpress/sdk'

type Json = Record<string, unknown>
type ZuiSchema = Parameters<typeof sdk.transforms.toJSONSchema>[0]
type SchemaHolder = { schema: ZuiSchema; ui?: Record<string, { title?: string; examples?: unknown[] } | undefined> }

/** How an interface named by name@version resolves to its id on Botpress (the CLI asks the API; tests pass a table). */
export type InterfaceResolver = (ref: { name: string; version: string }) => string

const mapValues = <T, U>(record: Record<string, T> | undefined, fn: (value: T, key: string) => U): Record<string, U> | undefined =>
  record ? Object.fromEntries(Object.entries(record).map(([key, value]) => [key, fn(value, key)])) : undefined

/** Local `#/…` pointers replaced by what they point at (the CLI's dereference, with external resolution off). */
const dereference = (node: unknown, root: unknown, seen: string[] = []): unknown => {
  if (Array.isArray(node)) return node.map((n) => dereference(n, root, seen))
  if (!node || typeof node !== 'object') return node
  const ref = (node as Json).$ref
  if (typeof ref === 'string') {
    if (!ref.startsWith('#/')) throw new Error(`external $ref ${ref} cannot be dereferenced`)
    if (seen.includes(ref)) throw new Error(`circular $ref ${ref}`)
    const target = ref
      .slice(2)
      .split('/')
      .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
      .reduce<unknown>((at, key) => (at && typeof at === 'object' ? (at as Json)[key] : undefined), root)
    if (target === undefined) throw new Error(`unresolved $ref ${ref}`)
    return dereference(target, root, [...seen, ref])
  }
  return Object.fromEntries(Object.entries(node as Json).map(([k, v]) => [k, dereference(v, root, seen)]))
}

export const toJsonSchema = (holder: SchemaHolder): Json => {
  const raw = sdk.transforms.toJSONSchema(holder.schema) as Json
  const schema = dereference(raw, raw) as Json
  const properties = schema.type === 'object' ? (schema.properties as Record<string, Json> | undefined) : undefined
  for (const [key, ui] of Object.entries(holder.ui ?? {})) {
    const property = properties?.[key]
    if (!property) continue
    if (ui?.title) property.title = ui.title
    if (ui?.examples) property.examples = ui.examples
  }
  return schema
}

/** Problems the CLI itself reports before sending anything. Empty when the definition would deploy. */
export const cliChecks = (definition: sdk.IntegrationDefinition, semverValid: (v: string) => string | null): string[] => {
  const problems: string[] = []
  if (definition.icon && !definition.icon.toLowerCase().endsWith('.svg')) problems.push('Icon must be an SVG file')
  if (definition.readme && !definition.readme.toLowerCase().endsWith('.md')) problems.push('Readme must be a Markdown file')
  if (definition.name.split('/').length > 2) problems.push(`Invalid name "${definition.name}": a single forward slash is allowed`)
  if (!semverValid(definition.version)) problems.push(`Invalid version "${definition.version}" for integration "${definition.name}"`)
  return problems
}

export type DeployOptions = {
  /** The project directory (icon, readme and the built bundle are read relative to it). */
  root: string
  resolveInterface: InterfaceResolver
  visibility?: 'public' | 'private' | 'unlisted'
}

/** The body of `POST /v1/admin/integrations` (createIntegration) as `bp deploy` sends it, JSON round-tripped. */
export const buildCreateIntegrationBody = (definition: sdk.IntegrationDefinition, options: DeployOptions): Json => {
  const read = (file: string | undefined, encoding: BufferEncoding) => (file ? readFileSync(path.resolve(options.root, file), encoding) : undefined)
  const bundle = path.resolve(options.root, '.botpress/dist/index.cjs')
  const body = {
    name: definition.name,
    version: definition.version,
    title: definition.title,
    description: definition.description,
    user: definition.user,
    events: mapValues(definition.events, (event) => ({ ...event, schema: toJsonSchema(event) })),
    actions: mapValues(definition.actions, (action) => ({
      ...action,
      input: { ...action.input, schema: toJsonSchema(action.input) },
      output: { ...action.output, schema: toJsonSchema(action.output) },
    })),
    channels: mapValues(definition.channels, (channel) => ({
      ...channel,
      messages: mapValues(channel.messages, (message) => ({ ...message, schema: toJsonSchema(message) })),
    })),
    states: mapValues(definition.states, (state) => ({ ...state, schema: toJsonSchema(state) })),
    entities: mapValues(definition.entities, (entity) => ({ ...entity, schema: toJsonSchema(entity) })),
    attributes: definition.attributes,
    extraOperations: definition.__advanced?.extraOperations,
    code: existsSync(bundle) ? readFileSync(bundle, 'utf8') : undefined,
    icon: read(definition.icon, 'base64'),
    readme: read(definition.readme, 'base64'),
    identifier: { extractScript: read(definition.identifier?.extractScript, 'utf8'), fallbackHandlerScript: read(definition.identifier?.fallbackHandlerScript, 'utf8') },
    configuration: definition.configuration
      ? {
          schema: toJsonSchema(definition.configuration),
          identifier: { required: definition.configuration.identifier?.required, linkTemplateScript: read(definition.configuration.identifier?.linkTemplateScript, 'utf8') },
        }
      : undefined,
    configurations: mapValues(definition.configurations, (configuration) => ({
      title: configuration.title,
      description: configuration.description,
      schema: toJsonSchema(configuration),
      identifier: { required: configuration.identifier?.required, linkTemplateScript: read(configuration.identifier?.linkTemplateScript, 'utf8') },
    })),
    // The CLI spreads the whole dependency ({ ...dep, id }); the admin API declares only the id and the alias maps
    // (additionalProperties: false), which is what is kept here: name and version serve to find the id.
    interfaces: mapValues(definition.interfaces, ({ name, version, entities, actions, events, channels }) => ({
      id: options.resolveInterface({ name, version }),
      entities,
      actions,
      events,
      channels,
    })),
    visibility: options.visibility ?? 'private',
    sdkVersion: definition.metadata?.sdkVersion,
    // promptSecrets answers one value per declared secret ({} when none are declared).
    secrets: mapValues(definition.secrets ?? {}, () => ''),
  }
  return JSON.parse(JSON.stringify(body)) as Json
}

/** The same deploy to an integration version that already exists (updateIntegration): the operation's declared fields only. */
export const toUpdateBody = (create: Json, declared: string[]): Json => Object.fromEntries(Object.entries(create).filter(([key]) => declared.includes(key)))
