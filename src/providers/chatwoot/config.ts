/** The `chatwoot` section of the configuration (cloud or any self-hosted Chatwoot). */
import { z } from '@botpress/sdk'

export const DEFAULT_BASE_URL = 'https://app.chatwoot.com'

/** Chatwoot ids are database integers; the configuration takes them as text (Studio fields), digits only. */
const NUMERIC_ID = /^\s*\d{1,12}\s*$/

export const chatwootConfigSchema = z
  .object({
    baseUrl: z
      .string()
      .regex(/^\s*(https?:\/\/\S+)?\s*$/i, 'must be the http(s) address of your Chatwoot, e.g. https://chat.example.com')
      .default(DEFAULT_BASE_URL)
      .title('Chatwoot URL')
      .describe(`Address of your Chatwoot: ${DEFAULT_BASE_URL} (cloud, the default) or your self-hosted installation`),
    accountId: z
      .string()
      .regex(NUMERIC_ID, 'must be the number in your dashboard address (…/app/accounts/<id>/…)')
      .title('Account ID')
      .describe('The number in your Chatwoot dashboard address: …/app/accounts/<id>/dashboard'),
    apiAccessToken: z
      .string()
      .secret()
      .title('Access token')
      .describe("An administrator's access token (Profile settings → Access Token); sent as the api_access_token header"),
    inboxId: z
      .string()
      .regex(NUMERIC_ID, 'must be the number of an API inbox (Settings → Inboxes → the inbox → its address ends with /inboxes/<id>)')
      .optional()
      .title('Inbox ID (optional)')
      .describe('An existing API inbox to use; empty: the integration creates the "Botpress" API inbox and reuses it'),
  })
  .title('Chatwoot')

export type ChatwootConfig = z.infer<typeof chatwootConfigSchema>
