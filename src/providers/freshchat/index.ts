/**
 * Freshchat (Freshworks) as a HITL provider: see hub.md "Freshchat" for the setup and ./adapter.ts for the mapping.
 * Only the configuration is loaded with the registry; the adapter is evaluated on first use (src/providers/README.md).
 */
import { defineProvider } from '../../core/types'
import { freshchatConfigSchema } from './config'

const load = (): typeof import('./adapter') => require('./adapter')

export default defineProvider({
  name: 'freshchat',
  title: 'Freshchat',
  configSchema: freshchatConfigSchema,
  available: true,
  // The public key is public: only the API key is a secret.
  secrets: (config) => [config.apiKey],
  create: (config, deps) => load().createFreshchatAdapter(config, deps),
})
