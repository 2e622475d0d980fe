/**
 * HubSpot Help Desk through a custom channel. See hub.md for the setup guide and adapter.ts for the parts.
 * Only the configuration is loaded with the registry; the adapter is evaluated on first use (src/providers/README.md).
 */
import { defineProvider } from '../../core/types'
import { hubspotConfigSchema } from './config'

const load = (): typeof import('./adapter') => require('./adapter')

export default defineProvider({
  name: 'hubspot',
  title: 'HubSpot',
  configSchema: hubspotConfigSchema,
  available: true,
  secrets: (config) => [config.developerApiKey, config.clientSecret, config.refreshToken],
  create: (config, deps) => load().createHubspotAdapter(config, deps),
  manualCleanup: (stored, webhookUrl) => load().manualCleanup(stored, webhookUrl),
})
