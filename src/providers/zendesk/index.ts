/** Zendesk (Messaging, through Sunshine Conversations) as a HITL provider: see hub.md "Zendesk" and ./adapter.ts. */
import { defineProvider } from '../../core/types'
import { createZendeskAdapter } from './adapter'
import { basicAuth, TITLE } from './api'
import { zendeskConfigSchema } from './config'

export default defineProvider({
  name: 'zendesk',
  title: TITLE,
  configSchema: zendeskConfigSchema,
  available: true,
  // The Authorization header is the key in base64: redacted like the secret itself.
  secrets: (config) => [config.keySecret, config.keySecret ? basicAuth(config).slice('Basic '.length) : undefined],
  create: (config, deps) => createZendeskAdapter(config, deps),
})
