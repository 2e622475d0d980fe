/**
 * The Botpress `hitl` interface, version 2.1.0, defined in the project (no `bp add` needed).
 * Contract: actions createUser / startHitl / stopHitl, events hitlAssigned / hitlStopped, entity hitlSession,
 * channel `hitl` with text, image, audio, video, file and bloc. Every hitl message payload also carries
 * `userId` (the end user the message is really from) and `additionalData` (opaque, ≤ 500 chars).
 *
 * Field for field the official definition: botpress/botpress interfaces/hitl/interface.definition.ts at commit
 * 4f4a05a0c4 (same titles, descriptions, history union and bloc items). test/core/hitl-interface-golden.test.ts
 * compares the JSON schemas produced here with test/core/golden/hitl-2.1.0.json, written from that source.
 */
import * as sdk from '@botpress/sdk'

const { z } = sdk
const defaults = sdk.messages.defaults
const hidden = sdk.WELL_KNOWN_ATTRIBUTES.HIDDEN_IN_STUDIO

/** Botpress's limit on a message tag value, which the plugin stores `additionalData` in (interface.definition.ts:3). */
export const MAX_ADDITIONAL_DATA = 500

const messageSource = z.union([
  z.object({ type: z.literal('user'), userId: z.string() }),
  z.object({ type: z.literal('bot') }),
])

// Every default Botpress message type plus the legacy markdown one; the bloc is the one whose items may be markdown
// (the official interface overrides the default bloc the same way, interface.definition.ts:26-30).
const historyPayloads = { ...defaults, markdown: sdk.messages.markdown, bloc: sdk.messages.markdownBloc } as Record<
  string,
  { schema: sdk.z.AnyZodObject }
>
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
  userId: z.string().optional().describe('Allows sending a message pretending to be a certain user'),
  additionalData: z
    .string()
    .max(MAX_ADDITIONAL_DATA)
    .optional()
    .describe('Additional data to send with the message, useful for custom integrations. Must be encoded in a string.'),
}
const withExtras = <S extends sdk.z.AnyZodObject>(schema: S) => schema.extend(hitlExtras)

const sessionId = () =>
  z.string().title('HITL session ID').describe('ID of the Botpress conversation representing the HITL session')

/** The interface's schemas, exported so that the integration's type is inferred from them (src/definition.ts). */
export const hitlSchemas = {
  hitlAssigned: z.object({
    conversationId: sessionId(),
    userId: z
      .string()
      .title('Human agent user ID')
      .describe('ID of the Botpress user representing the human agent assigned to the HITL session'),
  }),
  hitlStopped: z.object({ conversationId: sessionId() }),
  createUserInput: z.object({
    name: z.string().title('Display name').describe('Display name of the end user'),
    pictureUrl: z.string().title('Picture URL').describe("URL of the end user's avatar").optional(),
    email: z.string().title('Email address').describe('Email address of the end user').optional(),
  }),
  createUserOutput: z.object({
    userId: z.string().title('Botpress user ID').describe('ID of the Botpress user representing the end user'),
  }),
  startHitlInput: <S extends sdk.z.ZodTypeAny>(hitlSession: S) =>
    z.object({
      userId: z.string().title('User ID').describe('ID of the Botpress user representing the end user'),
      title: z
        .string()
        .title('Title')
        .describe('Title of the HITL session. This corresponds to a ticket title in systems that use tickets.')
        .optional(),
      description: z
        .string()
        .title('Description')
        .describe('Description of the HITL session. This corresponds to a ticket description in systems that use tickets.')
        .optional(),
      hitlSession: hitlSession.optional().title('Extra configuration').describe('Configuration of the HITL session'),
      messageHistory: z
        .array(historyMessage)
        .title('Conversation history')
        .describe(
          'History of all messages in the conversation up to this point. Should be displayed to the human agent in the external service.'
        ),
    }),
  startHitlOutput: z.object({ conversationId: sessionId() }),
  stopHitlInput: z.object({ conversationId: sessionId() }),
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
      attributes: { ...hidden },
      title: 'Create external user',
      description: 'Create an end user in the external service and in Botpress',
      input: { schema: () => hitlSchemas.createUserInput },
      output: { schema: () => hitlSchemas.createUserOutput },
    },
    startHitl: {
      attributes: { ...hidden },
      title: 'Start new HITL session',
      description: 'Create a new HITL session in the external service and in Botpress',
      input: { schema: (entities) => hitlSchemas.startHitlInput(entities.hitlSession) },
      output: { schema: () => hitlSchemas.startHitlOutput },
    },
    stopHitl: {
      attributes: { ...hidden },
      title: 'Stop HITL session',
      description: 'Stop an existing HITL session in the external service',
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
  __advanced: { useLegacyZuiTransformer: true },
})

export const hitlPackage = {
  type: 'interface',
  name: hitlInterface.name,
  version: hitlInterface.version,
  definition: hitlInterface,
} satisfies sdk.InterfacePackage
