/**
 * Zendesk (Messaging, through Sunshine Conversations) as a HITL provider: see hub.md "Zendesk" and ./adapter.ts.
 * The registry holds only names and loaders: the configuration schema and the adapter are evaluated on first use, each
 * shipped as a lazy chunk of the bundle (src/providers/README.md, scripts/lazy-chunks.mjs).
 */
import { defineProvider } from '../../core/types'

const load = (): typeof import('./adapter') => require('./adapter')
/** The configuration schema (zui) is built when first read: a cold instance builds only the sections it uses. */
const loadConfig = (): typeof import('./config') => require('./config')

export default defineProvider({
  name: 'zendesk',
  title: 'Zendesk',
  get configSchema() {
    return loadConfig().zendeskConfigSchema
  },
  available: true,
  // The Authorization header is the key in base64: redacted like the secret itself.
  secrets: (config) => [config.keySecret, config.keySecret ? load().basicAuth(config).slice('Basic '.length) : undefined],
  create: (config, deps) => load().createZendeskAdapter(config, deps),
  manualCleanup: (stored, webhookUrl) => load().manualCleanup(stored, webhookUrl),
})
