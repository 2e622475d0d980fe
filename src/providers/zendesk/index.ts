/**
 * Zendesk (Messaging, through Sunshine Conversations) as a HITL provider: see hub.md "Zendesk" and ./adapter.ts.
 * Only the configuration is loaded with the registry; the adapter is evaluated on first use (src/providers/README.md).
 */
import { defineProvider } from '../../core/types'
import { zendeskConfigSchema } from './config'

const load = (): typeof import('./adapter') => require('./adapter')

export default defineProvider({
  name: 'zendesk',
  title: 'Zendesk',
  configSchema: zendeskConfigSchema,
  available: true,
  // The Authorization header is the key in base64: redacted like the secret itself.
  secrets: (config) => [config.keySecret, config.keySecret ? load().basicAuth(config).slice('Basic '.length) : undefined],
  create: (config, deps) => load().createZendeskAdapter(config, deps),
  manualCleanup: (stored, webhookUrl) => load().manualCleanup(stored, webhookUrl),
})
