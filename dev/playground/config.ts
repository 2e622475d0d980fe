/**
 * `npm start -- --config my-intercom.json`: the integration's configuration from a file, checked just enough to give a
 * clear message before anything starts (the integration's own `register` then names each missing field and checks
 * the credentials).
 */
import { readFileSync } from 'node:fs'
import { providers } from '../../src/providers'

/** The providers a file may choose: the registry's, so that a new provider needs no change here. */
export const PROVIDERS: readonly string[] = Object.keys(providers)

export const PROVIDER_TITLES: Record<string, string> = Object.fromEntries(Object.entries(providers).map(([name, def]) => [name, def.title]))

export interface ProviderConfiguration {
  provider: string
  [section: string]: unknown
}

/** Reads and checks a configuration file; throws an Error whose message says what to fix. */
export function loadConfigFile(file: string): ProviderConfiguration {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    throw new Error(`cannot read the configuration file ${file}: ${(error as Error).message}`)
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (error) {
    throw new Error(`${file} is not valid JSON: ${(error as Error).message}`)
  }
  return checkConfiguration(parsed, file)
}

export function checkConfiguration(parsed: unknown, where = 'the configuration'): ProviderConfiguration {
  const example = '{ "provider": "intercom", "intercom": { "accessToken": "…", "clientSecret": "…", "region": "us" } }'
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error(`${where} must be a JSON object such as ${example}`)
  const config = parsed as Record<string, unknown>
  const provider = config.provider
  if (typeof provider !== 'string' || !PROVIDERS.includes(provider)) {
    throw new Error(`${where}: "provider" must be one of ${PROVIDERS.join(', ')} (got ${JSON.stringify(provider)}), e.g. ${example}`)
  }
  const section = config[provider]
  if (typeof section !== 'object' || section === null || Array.isArray(section)) {
    throw new Error(`${where}: provider is "${provider}" but the "${provider}" section is missing; add "${provider}": { … } with its settings (see README "Configuration")`)
  }
  return config as ProviderConfiguration
}
