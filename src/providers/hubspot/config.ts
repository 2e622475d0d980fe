import { z } from '@botpress/sdk'

export const hubspotConfigSchema = z
  .object({
    developerApiKey: z.string().secret().title('Developer API key').describe('Developer API key of your HubSpot developer account'),
    appId: z.string().title('App ID').describe('Id of your HubSpot public app'),
    clientId: z.string().title('Client ID').describe('Client ID of your HubSpot app'),
    clientSecret: z.string().secret().title('Client secret').describe('Client secret of your HubSpot app (also signs webhooks)'),
    refreshToken: z.string().secret().title('Refresh token').describe('OAuth refresh token of the installed app'),
    helpDeskId: z.string().title('Help desk ID').describe('Id of the Help Desk (inbox) that receives the conversations'),
    apiBaseUrl: z.string().optional().title('API base URL (advanced)').describe('Overrides https://api.hubapi.com'),
  })
  .title('HubSpot Help Desk')

/** Inferred from the schema: one source of truth for the section's fields. */
export type HubspotConfig = z.infer<typeof hubspotConfigSchema>
