import { defineProvider } from '../../core/types'
import { livechatConfigSchema, type LivechatConfig } from './config'

export default defineProvider<LivechatConfig>({
  name: 'livechat',
  title: 'LiveChat',
  configSchema: livechatConfigSchema,
  available: false,
  secrets: () => [],
  create: () => {
    throw new Error('LiveChat is not available yet')
  },
})
