/**
 * LiveChat (text.com) as a HITL provider: see hub.md for the setup and ./adapter.ts for the parts.
 * Only the configuration is loaded with the registry; the adapter is evaluated on first use (src/providers/README.md).
 */
import { defineProvider } from '../../core/types'
import { livechatConfigSchema } from './config'

const load = (): typeof import('./adapter') => require('./adapter')

export default defineProvider({
  name: 'livechat',
  title: 'LiveChat',
  configSchema: livechatConfigSchema,
  available: true,
  secrets: (config) => {
    const { decoded, pat } = load().decodeAgentToken(config.agentToken?.trim().replace(/^Basic\s+/i, ''))
    return [config.agentToken, config.agentToken?.trim(), config.webhookSecret, decoded, pat]
  },
  create: (config, deps) => load().createLivechatAdapter(config, deps),
  manualCleanup: (stored, webhookUrl) => load().manualCleanup(stored, webhookUrl),
})
