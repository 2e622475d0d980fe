/**
 * Generic HTTP provider: wire-compatible with the "HITL API" protocol (an existing external service keeps working
 * unchanged), with its defects fixed by additive fields only — see README "Generic HTTP protocol" and hub.md.
 * Only the configuration is loaded with the registry; the adapter is evaluated on first use (src/providers/README.md).
 */
import { defineProvider } from '../../core/types'
import { httpConfigSchema } from './config'

const load = (): typeof import('./adapter') => require('./adapter')

export default defineProvider({
  name: 'http',
  title: 'HTTP service',
  configSchema: httpConfigSchema,
  available: true,
  secrets: (config) => [config.webhookSecret],
  create: (config, deps) => load().createHttpAdapter(config, deps),
})
