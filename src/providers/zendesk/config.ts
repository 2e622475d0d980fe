/** The `zendesk` section of the configuration: Zendesk Messaging through the Sunshine Conversations (Sunco) API v2. */
import { z } from '@botpress/sdk'

export const zendeskConfigSchema = z
  .object({
    subdomain: z
      .string()
      .regex(/^\s*[a-z0-9][a-z0-9-]{0,62}\s*$/i, 'must be your Zendesk subdomain: "acme" for https://acme.zendesk.com')
      .title('Zendesk subdomain')
      .describe('Your Zendesk account: "acme" for https://acme.zendesk.com (the API base is https://acme.zendesk.com/sc)'),
    appId: z
      .string()
      .regex(/^\s*[A-Za-z0-9_-]{1,64}\s*$/, 'must be the app id shown with your Conversations API key')
      .title('App ID')
      .describe('The Sunshine Conversations app id (Admin Center → Apps and integrations → APIs → Conversations API)'),
    keyId: z
      .string()
      .regex(/^\s*\S{1,200}\s*$/, 'must be the key id of a Conversations API key (it starts with app_)')
      .title('Key ID')
      .describe('The id of a Conversations API key ("app_…"); sent as the HTTP Basic user name'),
    keySecret: z.string().secret().title('Secret key').describe('The secret of that API key; sent as the HTTP Basic password'),
    apiBaseUrl: z
      .string()
      .regex(/^\s*(https?:\/\/\S+)?\s*$/i, 'must be an http(s) address, e.g. https://acme.zendesk.com/sc')
      .optional()
      .title('API base URL (advanced)')
      .describe('Replaces https://<subdomain>.zendesk.com/sc as a whole (requests go to <apiBaseUrl>/v2/apps/<appId>/…)'),
  })
  .title('Zendesk')

export type ZendeskConfig = z.infer<typeof zendeskConfigSchema>
