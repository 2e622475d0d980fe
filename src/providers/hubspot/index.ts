/**
 * HubSpot Help Desk through a custom channel. See hub.md for the setup guide and adapter.ts for the parts.
 * The registry holds only names and loaders: the configuration schema and the adapter are evaluated on first use, each
 * shipped as a lazy chunk of the bundle (src/providers/README.md, scripts/lazy-chunks.mjs).
 */
import { defineProvider } from '../../core/types'

const load = (): typeof import('./adapter') => require('./adapter')
/** The configuration schema (zui) is built when first read: a cold instance builds only the sections it uses. */
const loadConfig = (): typeof import('./config') => require('./config')

export default defineProvider({
  name: 'hubspot',
  title: 'HubSpot',
  get configSchema() {
    return loadConfig().hubspotConfigSchema
  },
  available: true,
  secrets: (config) => [config.developerApiKey, config.clientSecret, config.refreshToken],
  create: (config, deps) => load().createHubspotAdapter(config, deps),
  manualCleanup: (stored, webhookUrl) => load().manualCleanup(stored, webhookUrl),
})
