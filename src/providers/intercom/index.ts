/**
 * Intercom as a HITL provider: see ../../../hub.md for the setup and ./adapter.ts for how the parts are wired.
 * The registry holds only names and loaders: the configuration schema and the adapter are evaluated on first use, each
 * shipped as a lazy chunk of the bundle (src/providers/README.md, scripts/lazy-chunks.mjs).
 */
import { defineProvider } from '../../core/types'

const load = (): typeof import('./adapter') => require('./adapter')
/** The configuration schema (zui) is built when first read: a cold instance builds only the sections it uses. */
const loadConfig = (): typeof import('./config') => require('./config')

export default defineProvider({
  name: 'intercom',
  title: 'Intercom',
  get configSchema() {
    return loadConfig().intercomConfigSchema
  },
  available: true,
  secrets: (config) => [config.accessToken, config.clientSecret],
  create: (config, deps) => load().createIntercomAdapter(config, deps),
})
