/**
 * LiveChat (text.com) as a HITL provider: see hub.md for the setup and ./adapter.ts for the parts.
 * The registry holds only names and loaders: the configuration schema and the adapter are evaluated on first use, each
 * shipped as a lazy chunk of the bundle (src/providers/README.md, scripts/lazy-chunks.mjs).
 */
import { defineProvider } from '../../core/types'

const load = (): typeof import('./adapter') => require('./adapter')
/** The configuration schema (zui) is built when first read: a cold instance builds only the sections it uses. */
const loadConfig = (): typeof import('./config') => require('./config')

export default defineProvider({
  name: 'livechat',
  title: 'LiveChat',
  get configSchema() {
    return loadConfig().livechatConfigSchema
  },
  available: true,
  secrets: (config) => {
    const { decoded, pat } = load().decodeAgentToken(config.agentToken?.trim().replace(/^Basic\s+/i, ''))
    return [config.agentToken, config.agentToken?.trim(), config.webhookSecret, decoded, pat]
  },
  create: (config, deps) => load().createLivechatAdapter(config, deps),
  manualCleanup: (stored, webhookUrl) => load().manualCleanup(stored, webhookUrl),
})
