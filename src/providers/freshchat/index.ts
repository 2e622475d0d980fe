/** Freshchat (Freshworks) as a HITL provider: see hub.md "Freshchat" for the setup and ./adapter.ts for the mapping. */
import { defineProvider } from '../../core/types'
import { createFreshchatAdapter } from './adapter'
import { TITLE } from './api'
import { freshchatConfigSchema } from './config'

export default defineProvider({
  name: 'freshchat',
  title: TITLE,
  configSchema: freshchatConfigSchema,
  available: true,
  // The public key is public: only the API key is a secret.
  secrets: (config) => [config.apiKey],
  create: (config, deps) => createFreshchatAdapter(config, deps),
})
