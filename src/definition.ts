/**
 * Everything the integration declares besides the hitl interface: configuration (a provider selector plus one
 * optional section per provider, built from the registry), the hitlSession entity, provider-neutral tags and states.
 * Shared by integration.definition.ts and by tests; not needed at run time.
 */
import { z } from '@botpress/sdk'
import { providerNames, providers } from './providers'
import { STATE } from './core/engine'

export const configurationSchema = z.object({
  provider: z
    .enum(providerNames)
    .title('Provider')
    .describe('The live-chat platform your agents use. Switching it and saving moves new sessions to that platform.'),
  ...(Object.fromEntries(
    Object.entries(providers).map(([name, def]) => [name, def.configSchema.optional()])
  ) as Record<keyof typeof providers, z.ZodOptional<z.ZodTypeAny>>),
})

export const hitlSessionSchema = z.object({
  priority: z.enum(['low', 'normal', 'high', 'urgent']).optional().title('Priority').describe('Priority of the ticket, where the provider has one'),
  routing: z
    .string()
    .optional()
    .title('Routing target')
    .describe('Team, group or inbox to route the session to, in the provider\'s own ids (overrides the configured default)'),
  subject: z.string().optional().title('Subject').describe('Overrides the title as the ticket subject'),
})

export const userTags = {
  externalId: { title: 'External ID', description: "The user's id on the live-chat platform (contact or agent)" },
  provider: { title: 'Provider', description: 'Which provider the user belongs to' },
  kind: { title: 'Kind', description: '"end-user" or "agent"' },
}

export const conversationTags = {
  externalId: { title: 'External ID', description: "The session's id on the live-chat platform (ticket, chat, conversation)" },
  externalAltId: { title: 'External secondary ID', description: 'A second id the platform uses for the session (e.g. a thread id)' },
  provider: { title: 'Provider', description: 'Which provider the session was opened with' },
  contactId: { title: 'Contact ID', description: "The end user's id on the platform" },
  userId: { title: 'End user', description: 'The Botpress user the session is for' },
  agentId: { title: 'Agent ID', description: 'The platform id of the agent currently assigned' },
  status: { title: 'Status', description: 'opening, open or closed' },
}

export const messageTags = {
  externalId: { title: 'External ID', description: "The message's id on the live-chat platform" },
}

const data = z.object({ data: z.record(z.unknown()).optional() }).passthrough()

export const states = {
  [STATE.provider]: {
    type: 'integration' as const,
    schema: z.object({ byProvider: z.record(z.record(z.unknown())) }).passthrough(),
  },
  [STATE.session]: { type: 'conversation' as const, schema: data },
  [STATE.contact]: { type: 'user' as const, schema: data },
}
