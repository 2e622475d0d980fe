/**
 * Chatwoot (cloud or self-hosted) as a HITL provider: see hub.md "Chatwoot" for the setup and ./adapter.ts for the mapping.
 * Only the configuration is loaded with the registry; the adapter is evaluated on first use (src/providers/README.md).
 */
import { defineProvider } from '../../core/types'
import { chatwootConfigSchema } from './config'

const load = (): typeof import('./adapter') => require('./adapter')

export default defineProvider({
  name: 'chatwoot',
  title: 'Chatwoot',
  configSchema: chatwootConfigSchema,
  available: true,
  // The URL tokens are derived from the access token: redacted like it wherever it could appear (the webhook URL).
  secrets: (config) => (config.apiAccessToken ? [config.apiAccessToken, ...load().urlTokens(config)] : [config.apiAccessToken]),
  create: (config, deps) => load().createChatwootAdapter(config, deps),
  manualCleanup: (stored, webhookUrl) => load().manualCleanup(stored, webhookUrl),
})
