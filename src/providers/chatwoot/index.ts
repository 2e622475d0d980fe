/** Chatwoot (cloud or self-hosted) as a HITL provider: see hub.md "Chatwoot" for the setup and ./adapter.ts for the mapping. */
import { defineProvider } from '../../core/types'
import { createChatwootAdapter } from './adapter'
import { TITLE } from './api'
import { chatwootConfigSchema } from './config'
import { manualCleanup } from './setup'
import { urlToken } from './webhook'

export default defineProvider({
  name: 'chatwoot',
  title: TITLE,
  configSchema: chatwootConfigSchema,
  available: true,
  // The URL tokens are derived from the access token: redacted like it wherever it could appear (the webhook URL).
  secrets: (config) => (config.apiAccessToken ? [config.apiAccessToken, urlToken(config), urlToken(config, true)] : [config.apiAccessToken]),
  create: (config, deps) => createChatwootAdapter(config, deps),
  manualCleanup,
})
