/**
 * Generic HTTP provider: wire-compatible with the "HITL API" protocol (an existing external service keeps working
 * unchanged), with its defects fixed by additive fields only — see README "Generic HTTP protocol" and hub.md.
 */
import { defineProvider } from '../../core/types'
import { createHttpAdapter } from './adapter'
import { TITLE } from './api'
import { httpConfigSchema } from './config'

export default defineProvider({
  name: 'http',
  title: TITLE,
  configSchema: httpConfigSchema,
  available: true,
  secrets: (config) => [config.webhookSecret],
  create: (config, deps) => createHttpAdapter(config, deps),
})
