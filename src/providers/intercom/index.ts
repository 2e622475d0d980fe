/**
 * Intercom as a HITL provider: see ../../../hub.md for the setup and ./adapter.ts for how the parts are wired.
 * Only the configuration is loaded with the registry; the adapter is evaluated on first use (src/providers/README.md).
 */
import { defineProvider } from '../../core/types'
import { intercomConfigSchema } from './config'

const load = (): typeof import('./adapter') => require('./adapter')

export default defineProvider({
  name: 'intercom',
  title: 'Intercom',
  configSchema: intercomConfigSchema,
  available: true,
  secrets: (config) => [config.accessToken, config.clientSecret],
  create: (config, deps) => load().createIntercomAdapter(config, deps),
})
