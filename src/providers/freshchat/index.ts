/**
 * Freshchat (Freshworks) as a HITL provider: see hub.md "Freshchat" for the setup and ./adapter.ts for the mapping.
 * The registry holds only names and loaders: the configuration schema and the adapter are evaluated on first use, each
 * shipped as a lazy chunk of the bundle (src/providers/README.md, scripts/lazy-chunks.mjs).
 */
import { defineProvider } from '../../core/types'

const load = (): typeof import('./adapter') => require('./adapter')
/** The configuration schema (zui) is built when first read: a cold instance builds only the sections it uses. */
const loadConfig = (): typeof import('./config') => require('./config')

export default defineProvider({
  name: 'freshchat',
  title: 'Freshchat',
  get configSchema() {
    return loadConfig().freshchatConfigSchema
  },
  available: true,
  // The public key is public: only the API key is a secret.
  secrets: (config) => [config.apiKey],
  create: (config, deps) => load().createFreshchatAdapter(config, deps),
})
