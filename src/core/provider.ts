/**
 * Resolves the active provider adapter from the configuration and a registry it is given (the core never imports
 * one: src/runtime.ts composes them): checks the chosen section is complete (naming every missing field), builds the
 * redactor from its secrets, and hands the adapter its shared dependencies.
 */
import type * as sdk from '@botpress/sdk'
import { createCache } from './cache'
import { ConfigurationError } from './errors'
import { createHttpClientFactory, httpSettingsFromEnv, type HttpSettings } from './http'
import { fetchMedia } from './media'
import { createLogger, Redactor, type LogSink, type Logger } from './log'
import type { Data, ProviderAdapter, ProviderDefinition, ProviderStore } from './types'

export type Configuration = { provider?: string } & Record<string, unknown>

/** Providers by configuration key. */
export type ProviderRegistry = Readonly<Record<string, ProviderDefinition>>

export type ActiveProvider = {
  name: string
  definition: ProviderDefinition
  adapter: ProviderAdapter
  logger: Logger
  redactor: Redactor
  /** The configuration section the adapter was built from (kept by register so a cleared section can still be cleaned up). */
  section?: Record<string, unknown>
}

export type ResolveDeps = {
  configuration: Configuration
  logger: LogSink
  store: (provider: string) => ProviderStore
  ctx: { botId: string; integrationId: string; webhookId: string }
  http?: HttpSettings
}

const isBlank = (v: unknown) => v === undefined || v === null || (typeof v === 'string' && v.trim() === '')

/** Required fields of a zui object schema whose value is absent or blank in `section`. */
const missingFields = (schema: sdk.z.ZodTypeAny, section: Record<string, unknown>): string[] => {
  const shape = (schema as unknown as { shape?: Record<string, sdk.z.ZodTypeAny> }).shape ?? {}
  return Object.entries(shape)
    .filter(([key, field]) => !field.isOptional() && isBlank(section[key]))
    .map(([key]) => key)
}

export const knownProvider = (registry: ProviderRegistry, name: unknown): name is string =>
  typeof name === 'string' && Object.prototype.hasOwnProperty.call(registry, name)

type CheckedSection = { definition: ProviderDefinition; section: Record<string, unknown> }

/**
 * Sections already found complete and valid, by provider and content: on a warm instance every request carries the
 * same configuration, so the schema (zui) checks each section once, not once per webhook. A section that fails is
 * never kept (its error is raised again each time). Only in memory; the key holds secrets and is never logged.
 */
const checkedSections = createCache<CheckedSection>({ name: 'checked configuration sections', max: 16 })
const MAX_CACHED_SECTION_CHARS = 16_384

/** The provider's configuration section, checked complete and well-typed, or a ConfigurationError naming what is wrong. */
export const checkSection = (registry: ProviderRegistry, configuration: Configuration, name: string): CheckedSection => {
  const definition = registry[name]!
  const raw = Object.prototype.hasOwnProperty.call(configuration, name) ? configuration[name] : undefined
  const section = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>
  let key: string | undefined = `${name}\u0000${JSON.stringify(section)}`
  if (key.length > MAX_CACHED_SECTION_CHARS) key = undefined
  const known = key === undefined ? undefined : checkedSections.get(key)
  if (known && known.definition === definition) return { definition, section: { ...known.section } }
  const missing = missingFields(definition.configSchema, section)
  if (missing.length) {
    throw new ConfigurationError(
      `The ${definition.title} configuration ("${name}") is incomplete: missing ${missing.map((m) => `${name}.${m}`).join(', ')}`
    )
  }
  const parsed = definition.configSchema.safeParse(section)
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${name}.${i.path.join('.')}: ${i.message}`).join('; ')
    throw new ConfigurationError(`The ${definition.title} configuration ("${name}") is invalid: ${issues}`)
  }
  const checked = { definition, section: parsed.data as Record<string, unknown> }
  if (key !== undefined) checkedSections.set(key, { definition, section: { ...checked.section } })
  return checked
}

export const resolveProvider = (
  registry: ProviderRegistry,
  deps: ResolveDeps,
  name: unknown = deps.configuration.provider
): ActiveProvider => {
  if (!knownProvider(registry, name)) {
    throw new ConfigurationError(
      `Unknown provider "${String(name)}": choose one of ${Object.keys(registry).join(', ')} in the configuration`
    )
  }
  const { definition, section } = checkSection(registry, deps.configuration, name)
  if (!definition.available) {
    throw new ConfigurationError(`The ${definition.title} provider ("${name}") is not available yet in this version`)
  }
  const redactor = new Redactor(definition.secrets(section))
  const logger = createLogger(deps.logger, redactor)
  const adapter = definition.create(section, {
    http: createHttpClientFactory(redactor, deps.http ?? httpSettingsFromEnv),
    media: fetchMedia,
    secrets: { add: (...values) => redactor.add(values) },
    logger,
    store: deps.store(name),
    ctx: deps.ctx,
  })
  return { name, definition, adapter, logger, redactor, section }
}

export type { Data }
