/** The generic HTTP section of the configuration (shown in Studio); its type is inferred from the schema. */
import { z } from '@botpress/sdk'

export const httpConfigSchema = z
  .object({
    endpointBaseUrl: z
      .string()
      .title('Endpoint base URL')
      .describe('Base URL of your service; Botpress calls <base>/ping, /createRemoteUser, /createRemoteConversation, /botSendsMessage, /closeRemoteTicket'),
    webhookSecret: z
      .string()
      .secret()
      .optional()
      .title('Webhook secret')
      .describe(
        'Signs both directions: x-hitl-timestamp and x-hitl-signature (HMAC-SHA256 of "<timestamp>.<body>"). Without it, webhooks are refused unless "Accept unsigned webhooks" is on'
      ),
    allowUnsignedWebhooks: z
      .boolean()
      .optional()
      .title('Accept unsigned webhooks (insecure)')
      .describe(
        'Off by default. Only for desks built for the original unsigned protocol: anyone who knows the webhook URL can then write to your users as an agent. Ignored when a webhook secret is set'
      ),
  })
  .title('Generic HTTP service')

export type HttpConfig = z.infer<typeof httpConfigSchema>

/** How webhooks are authenticated with this configuration. `refused`: neither a secret nor the opt-in (register fails). */
export type WebhookMode = 'signed' | 'unsigned' | 'refused'

export const webhookModeOf = (config: HttpConfig): WebhookMode =>
  config.webhookSecret ? 'signed' : config.allowUnsignedWebhooks === true ? 'unsigned' : 'refused'
