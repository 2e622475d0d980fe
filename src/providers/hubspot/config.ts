import { z } from '@botpress/sdk'

export const hubspotConfigSchema = z
  .object({
    developerApiKey: z.string().secret().title('Developer API key').describe('Developer API key of your HubSpot developer account'),
    appId: z.string().title('App ID').describe('Id of your HubSpot public app'),
    clientId: z.string().title('Client ID').describe('Client ID of your HubSpot app'),
    clientSecret: z.string().secret().title('Client secret').describe('Client secret of your HubSpot app (also signs webhooks)'),
    refreshToken: z.string().secret().title('Refresh token').describe('OAuth refresh token of the installed app'),
    helpDeskId: z.string().title('Help desk ID').describe('Id of the Help Desk (inbox) that receives the conversations'),
    defaultPhoneCountry: z
      .string()
      .regex(/^[A-Za-z]{2}$/, 'an ISO 3166 alpha-2 country code such as US or FR')
      .optional()
      .title('Default phone country')
      .describe(
        'ISO 3166 alpha-2 country (e.g. US) of phone numbers written without a country code. Unset: such numbers are not used (a country code is never guessed)'
      ),
    apiBaseUrl: z.string().optional().title('API base URL (advanced)').describe('Overrides https://api.hubapi.com'),
  })
  .title('HubSpot Help Desk')

export type HubspotConfig = z.infer<typeof hubspotConfigSchema>
