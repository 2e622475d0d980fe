import { defineProvider } from '../../core/types'
import { hubspotConfigSchema, type HubspotConfig } from './config'

export default defineProvider<HubspotConfig>({
  name: 'hubspot',
  title: 'HubSpot',
  configSchema: hubspotConfigSchema,
  available: false,
  secrets: () => [],
  create: () => {
    throw new Error('HubSpot is not available yet')
  },
})
