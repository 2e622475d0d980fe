/** Intercom as a HITL provider: see ../../../hub.md for the setup and ./adapter.ts for how the parts are wired. */
import { defineProvider } from '../../core/types'
import { createIntercomAdapter } from './adapter'
import { TITLE } from './api'
import { intercomConfigSchema } from './config'

export default defineProvider({
  name: 'intercom',
  title: TITLE,
  configSchema: intercomConfigSchema,
  available: true,
  secrets: (config) => [config.accessToken, config.clientSecret],
  create: (config, deps) => createIntercomAdapter(config, deps),
})
