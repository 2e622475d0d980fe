/**
 * The Botpress `hitl` interface, version 2.1.0, defined in the project (no `bp add` needed).
 * Contract: actions createUser / startHitl / stopHitl, events hitlAssigned / hitlStopped, entity hitlSession,
 * channel `hitl` with text, image, audio, video, file and bloc. Every hitl message payload also carries
 * `userId` (the end user the message is really from) and `additionalData` (opaque, ≤ 500 chars).
 */
import * as sdk from '@botpress/sdk'

const { z } = sdk
const defaults = sdk.messages.defaults
const hidden = sdk.WELL_KNOWN_ATTRIBUTES.HIDDEN_IN_STUDIO

const messageSource = z.union([
  z.object({ type: z.literal('user'), userId: z.string() }),
  z.object({ type: z.literal('bot') }),
])

// Every default Botpress message type (plus the legacy markdown one) may appear in the history.
const historyPayloads = { ...defaults, markdown: sdk.messages.markdown } as Record<string, { schema: sdk.z.AnyZodObject }>
/** One message of `messageHistory`, as the schema below accepts it. */
export type HistoryEntry = {
  source: { type: 'user'; userId: string } | { type: 'bot' }
  type: string
  payload: Record<string, unknown>
}
const historyMessage = z.union(
  Object.entries(historyPayloads).map(([type, def]) =>
    z.object({ source: messageSource, type: z.literal(type), payload: def.schema })
  ) as unknown as [sdk.z.AnyZodObject, sdk.z.AnyZodObject, ...sdk.z.AnyZodObject[]]
) as unknown as sdk.z.ZodType<HistoryEntry>

const hitlExtras = {
  userId: z.string().optional().describe('The Botpress user the message is really from (the end user)'),
  additionalData: z.string().max(500).optional().describe('Opaque data for custom integrations'),
}
const withExtras = <S extends sdk.z.AnyZodObject>(schema: S) => schema.extend(hitlExtras)

/** The interface's schemas, exported so that the integration's type is inferred from them (src/definition.ts). */
export const hitlSchemas = {
  hitlAssigned: z.object({
    conversationId: z.string().describe('The Botpress HITL conversation'),
    userId: z.string().describe('The Botpress user that represents the human agent'),
  }),
  hitlStopped: z.object({ conversationId: z.string().describe('The Botpress HITL conversation') }),
  createUserInput: z.object({
    name: z.string().describe('Display name of the end user'),
    pictureUrl: z.string().optional().describe('Avatar of the end user'),
    email: z.string().optional().describe('E-mail address (or, where the provider allows, a phone number)'),
  }),
  createUserOutput: z.object({ userId: z.string().describe('The Botpress user representing the end user') }),
  startHitlInput: <S extends sdk.z.ZodTypeAny>(hitlSession: S) =>
    z.object({
      userId: z.string().describe('The Botpress user created by createUser'),
      title: z.string().optional().describe('Title of the ticket'),
      description: z.string().optional().describe('Description of the ticket'),
      hitlSession: hitlSession.optional().describe('Extra settings of the session'),
      messageHistory: z.array(historyMessage).describe('The conversation so far, oldest first'),
    }),
  startHitlOutput: z.object({ conversationId: z.string().describe('The Botpress HITL conversation') }),
  stopHitlInput: z.object({ conversationId: z.string().describe('The Botpress HITL conversation') }),
  stopHitlOutput: z.object({}),
  messages: {
    text: withExtras(defaults.text.schema),
    image: withExtras(defaults.image.schema),
    audio: withExtras(defaults.audio.schema),
    video: withExtras(defaults.video.schema),
    file: withExtras(defaults.file.schema),
    bloc: withExtras(sdk.messages.markdownBloc.schema),
  },
}

export const hitlInterface = new sdk.InterfaceDefinition({
  name: 'hitl',
  version: '2.1.0',
  entities: {
    hitlSession: {
      title: 'HITL session',
      description: 'A HITL session, often referred to as a ticket or conversation in external systems',
      schema: z.object({}),
    },
  },
  events: {
    hitlAssigned: {
      attributes: { ...hidden },
      schema: () => hitlSchemas.hitlAssigned,
    },
    hitlStopped: {
      attributes: { ...hidden },
      schema: () => hitlSchemas.hitlStopped,
    },
  },
  actions: {
    createUser: {
      title: 'Create external user',
      attributes: { ...hidden },
      input: { schema: () => hitlSchemas.createUserInput },
      output: { schema: () => hitlSchemas.createUserOutput },
    },
    startHitl: {
      title: 'Start new HITL session',
      attributes: { ...hidden },
      input: { schema: (entities) => hitlSchemas.startHitlInput(entities.hitlSession) },
      output: { schema: () => hitlSchemas.startHitlOutput },
    },
    stopHitl: {
      title: 'Stop HITL session',
      attributes: { ...hidden },
      input: { schema: () => hitlSchemas.stopHitlInput },
      output: { schema: () => hitlSchemas.stopHitlOutput },
    },
  },
  channels: {
    hitl: {
      messages: {
        text: { schema: () => hitlSchemas.messages.text },
        image: { schema: () => hitlSchemas.messages.image },
        audio: { schema: () => hitlSchemas.messages.audio },
        video: { schema: () => hitlSchemas.messages.video },
        file: { schema: () => hitlSchemas.messages.file },
        bloc: { schema: () => hitlSchemas.messages.bloc },
      },
    },
  },
})

export const hitlPackage = {
  type: 'interface',
  name: hitlInterface.name,
  version: hitlInterface.version,
  definition: hitlInterface,
} satisfies sdk.InterfacePackage
