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
      .describe('When set, both directions are signed: x-hitl-timestamp and x-hitl-signature (HMAC-SHA256 of "<timestamp>.<body>")'),
  })
  .title('Generic HTTP service')

/** Inferred from the schema: one source of truth for the section's fields. */
export type HttpConfig = z.infer<typeof httpConfigSchema>
