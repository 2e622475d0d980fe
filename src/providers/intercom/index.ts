import { defineProvider } from '../../core/types'
import { intercomConfigSchema, type IntercomConfig } from './config'

export default defineProvider<IntercomConfig>({
  name: 'intercom',
  title: 'Intercom',
  configSchema: intercomConfigSchema,
  available: false,
  secrets: () => [],
  create: () => {
    throw new Error('Intercom is not available yet')
  },
})
