/**
 * Chatwoot (cloud or self-hosted) as a HITL provider: see hub.md "Chatwoot" for the setup and ./adapter.ts for the mapping.
 * The registry holds only names and loaders: the configuration schema and the adapter are evaluated on first use, each
 * shipped as a lazy chunk of the bundle (src/providers/README.md, scripts/lazy-chunks.mjs).
 */
import { defineProvider } from '../../core/types'

const load = (): typeof import('./adapter') => require('./adapter')
/** The configuration schema (zui) is built when first read: a cold instance builds only the sections it uses. */
const loadConfig = (): typeof import('./config') => require('./config')

export default defineProvider({
  name: 'chatwoot',
  title: 'Chatwoot',
  get configSchema() {
    return loadConfig().chatwootConfigSchema
  },
  available: true,
  // The URL tokens are derived from the access token: redacted like it wherever it could appear (the webhook URL).
  secrets: (config) => (config.apiAccessToken ? [config.apiAccessToken, ...load().urlTokens(config)] : [config.apiAccessToken]),
  create: (config, deps) => load().createChatwootAdapter(config, deps),
  manualCleanup: (stored, webhookUrl) => load().manualCleanup(stored, webhookUrl),
})
