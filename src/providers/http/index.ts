/**
 * Generic HTTP provider: wire-compatible with the "HITL API" protocol (an existing external service keeps working
 * unchanged), with its defects fixed by additive fields only — see README "Generic HTTP protocol" and hub.md.
 * The registry holds only names and loaders: the configuration schema and the adapter are evaluated on first use, each
 * shipped as a lazy chunk of the bundle (src/providers/README.md, scripts/lazy-chunks.mjs).
 */
import { defineProvider } from '../../core/types'

const load = (): typeof import('./adapter') => require('./adapter')
/** The configuration schema (zui) is built when first read: a cold instance builds only the sections it uses. */
const loadConfig = (): typeof import('./config') => require('./config')

export default defineProvider({
  name: 'http',
  title: 'HTTP service',
  get configSchema() {
    return loadConfig().httpConfigSchema
  },
  available: true,
  secrets: (config) => [config.webhookSecret],
  create: (config, deps) => load().createHttpAdapter(config, deps),
})
