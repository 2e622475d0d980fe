import { z } from '@botpress/sdk'

export const intercomConfigSchema = z
  .object({
    accessToken: z.string().secret().title('Access token').describe('Access token of your Intercom app (Developer Hub → Authentication)'),
    clientSecret: z
      .string()
      .secret()
      .title('Client secret')
      .describe('Client secret of your Intercom app (Basic information): Intercom signs every webhook with it'),
    region: z.enum(['us', 'eu', 'au']).optional().title('Data region').describe('Region of your Intercom workspace (default us)'),
    apiBaseUrl: z.string().optional().title('API base URL (advanced)').describe('Overrides the regional API host (proxies, tests)'),
  })
  .title('Intercom')

/** Inferred from the schema: one source of truth for the section's fields. */
export type IntercomConfig = z.infer<typeof intercomConfigSchema>
