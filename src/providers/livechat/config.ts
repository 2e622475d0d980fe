import { z } from '@botpress/sdk'

export const livechatConfigSchema = z
  .object({
    clientId: z.string().title('Client ID').describe('Client ID of your LiveChat app (Developer Console → App Authorization)'),
    organizationId: z.string().title('Organization ID').describe('Your LiveChat organization id'),
    webhookSecret: z.string().secret().title('Webhook secret').describe('Secret key LiveChat sends with every webhook'),
    agentToken: z
      .string()
      .secret()
      .title('Agent token')
      .describe('Base64 of "<accountId>:<personal access token>" of the agent the integration acts as'),
    groupId: z.number().title('Group ID').describe('LiveChat group that receives the chats'),
    apiBaseUrl: z.string().optional().title('API base URL (advanced)').describe('Overrides https://api.livechatinc.com'),
    accountsBaseUrl: z
      .string()
      .optional()
      .title('Accounts base URL (advanced)')
      .describe('Overrides https://accounts.livechat.com'),
  })
  .title('LiveChat')

/** Inferred from the schema: one source of truth for the section's fields. */
export type LivechatConfig = z.infer<typeof livechatConfigSchema>
