/** LiveChat (text.com) as a HITL provider: see hub.md for the setup and ./adapter.ts for the parts. */
import { defineProvider } from '../../core/types'
import { createLivechatAdapter } from './adapter'
import { decodeAgentToken, TITLE } from './api'
import { livechatConfigSchema } from './config'
import { manualCleanup } from './setup'

export default defineProvider({
  name: 'livechat',
  title: TITLE,
  configSchema: livechatConfigSchema,
  available: true,
  secrets: (config) => {
    const { decoded, pat } = decodeAgentToken(config.agentToken?.trim().replace(/^Basic\s+/i, ''))
    return [config.agentToken, config.agentToken?.trim(), config.webhookSecret, decoded, pat]
  },
  create: createLivechatAdapter,
  manualCleanup,
})
