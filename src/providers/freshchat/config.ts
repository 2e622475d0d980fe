/** The `freshchat` section of the configuration (Freshchat by Freshworks, REST API v2 and conversation webhooks). */
import { z } from '@botpress/sdk'

export const freshchatConfigSchema = z
  .object({
    domain: z
      .string()
      .regex(/^\s*(https?:\/\/)?[a-z0-9][a-z0-9.-]{0,252}\/?\s*$/i, 'must be your account\'s API host, e.g. acme.freshchat.com')
      .title('Domain')
      .describe('Your account\'s API host as Freshchat shows it beside the API key (Admin › Configure › API Tokens), e.g. acme.freshchat.com'),
    apiKey: z
      .string()
      .secret()
      .title('API key')
      .describe('Admin › Configure › API Tokens › Generate token; sent as a Bearer token'),
    webhookPublicKey: z
      .string()
      .title('Webhook public key')
      .describe('The RSA public key shown beside the webhook URL (Admin › Webhooks), -----BEGIN PUBLIC KEY----- … -----END PUBLIC KEY-----; pasted on one line is fine'),
    channelId: z
      .string()
      .optional()
      .title('Topic (channel) ID (optional)')
      .describe('The topic new conversations open in; empty: the first topic of the account'),
    apiBaseUrl: z
      .string()
      .regex(/^\s*(https?:\/\/\S+)?\s*$/i, 'must be an http(s) address')
      .optional()
      .title('API base URL (advanced)')
      .describe('Replaces https://<domain>/v2 (proxies, tests)'),
  })
  .title('Freshchat')

export type FreshchatConfig = z.infer<typeof freshchatConfigSchema>
