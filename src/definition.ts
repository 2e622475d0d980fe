/**
 * Everything the integration declares besides the hitl interface: configuration (a provider selector plus one
 * optional section per provider, built from the registry), the hitlSession entity, provider-neutral tags and states.
 * Shared by integration.definition.ts and by tests; not needed at run time.
 */
import { z } from '@botpress/sdk'
import { providerNames, providers } from './providers'
import { STATE } from './core/refs'
import { hitlSchemas } from './interface/hitl'

type Sections<P extends Record<string, { configSchema: z.ZodTypeAny }>> = { [K in keyof P]: z.ZodOptional<P[K]['configSchema']> }

/** One optional section per provider, each typed by its provider's schema. */
const optionalSections = <P extends Record<string, { configSchema: z.ZodTypeAny }>>(registry: P): Sections<P> => {
  const sections = {} as Sections<P>
  for (const name of Object.keys(registry) as Array<keyof P & string>) {
    sections[name] = registry[name]!.configSchema.optional() as Sections<P>[typeof name]
  }
  return sections
}

export const configurationSchema = z.object({
  provider: z
    .enum(providerNames)
    .title('Provider')
    .describe('The live-chat platform your agents use. Switching it and saving moves new sessions to that platform.'),
  ...optionalSections(providers),
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
  kind: { title: 'Kind', description: '"end-user", "agent", or "claim" (the marker that one delivery applies an assignment or close)' },
  claim: { title: 'Claim', description: 'Which assignment or close a claim marker stands for (a digest)' },
}

export const conversationTags = {
  externalId: { title: 'External ID', description: "The session's id on the live-chat platform (ticket, chat, conversation)" },
  externalAltId: { title: 'External secondary ID', description: 'A second id the platform uses for the session (e.g. a thread id)' },
  provider: { title: 'Provider', description: 'Which provider the session was opened with' },
  contactId: { title: 'Contact ID', description: "The end user's id on the platform" },
  userId: { title: 'End user', description: 'The Botpress user the session is for' },
  agentId: { title: 'Agent ID', description: 'The platform id of the agent currently assigned' },
  status: { title: 'Status', description: 'opening, open or closed' },
  closedBy: { title: 'Closed by', description: '"bot" (stopHitl) or "agent" (the platform closed it)' },
  closedAt: { title: 'Closed at', description: 'When the session was closed (epoch ms)' },
  lastEventAt: {
    title: 'Last event time',
    description: 'When the last assignment or close the session applied happened (provider time, epoch ms): older replays are ignored',
  },
  lastEventProofs: {
    title: 'Last event proofs',
    description: 'Digests of the proofs applied at that time: a replay tied with it is ignored',
  },
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

type Tags<T> = { [K in keyof T]: string }

/**
 * The integration's type for the SDK (what `bp gen` would generate into .botpress), inferred from the same schemas the
 * definition declares: `new sdk.Integration<HitlIntegration>` types every entry point and the client.
 */
export type HitlIntegration = {
  name: 'hitl-hub'
  version: '0.1.0'
  configuration: z.infer<typeof configurationSchema>
  configurations: Record<string, never>
  actions: {
    createUser: { input: z.infer<typeof hitlSchemas.createUserInput>; output: z.infer<typeof hitlSchemas.createUserOutput> }
    startHitl: { input: z.infer<ReturnType<typeof hitlSchemas.startHitlInput<typeof hitlSessionSchema>>>; output: z.infer<typeof hitlSchemas.startHitlOutput> }
    stopHitl: { input: z.infer<typeof hitlSchemas.stopHitlInput>; output: z.infer<typeof hitlSchemas.stopHitlOutput> }
  }
  channels: {
    hitl: {
      messages: { [K in keyof typeof hitlSchemas.messages]: z.infer<(typeof hitlSchemas.messages)[K]> }
      message: { tags: Tags<typeof messageTags> }
      conversation: { tags: Tags<typeof conversationTags> }
    }
  }
  events: {
    hitlAssigned: z.infer<typeof hitlSchemas.hitlAssigned>
    hitlStopped: z.infer<typeof hitlSchemas.hitlStopped>
  }
  states: { [K in keyof typeof states]: { type: (typeof states)[K]['type']; payload: z.infer<(typeof states)[K]['schema']> } }
  user: { tags: Tags<typeof userTags> }
  entities: { hitlSession: z.infer<typeof hitlSessionSchema> }
}
