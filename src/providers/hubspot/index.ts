/**
 * HubSpot Help Desk through a custom channel. See hub.md for the setup guide and adapter.ts for the parts.
 */
import { defineProvider } from '../../core/types'
import { createHubspotAdapter } from './adapter'
import { hubspotConfigSchema } from './config'
import { manualCleanup } from './setup'

export default defineProvider({
  name: 'hubspot',
  title: 'HubSpot',
  configSchema: hubspotConfigSchema,
  available: true,
  secrets: (config) => [config.developerApiKey, config.clientSecret, config.refreshToken],
  create: (config, deps) => createHubspotAdapter(config, deps),
  manualCleanup,
})
