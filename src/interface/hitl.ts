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
const historyMessage = z.union(
  Object.entries(historyPayloads).map(([type, def]) =>
    z.object({ source: messageSource, type: z.literal(type), payload: def.schema })
  ) as unknown as [sdk.z.AnyZodObject, sdk.z.AnyZodObject, ...sdk.z.AnyZodObject[]]
)

const hitlExtras = {
  userId: z.string().optional().describe('The Botpress user the message is really from (the end user)'),
  additionalData: z.string().max(500).optional().describe('Opaque data for custom integrations'),
}
const withExtras = (schema: sdk.z.AnyZodObject) => () => schema.extend(hitlExtras)

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
      schema: () =>
        z.object({
          conversationId: z.string().describe('The Botpress HITL conversation'),
          userId: z.string().describe('The Botpress user that represents the human agent'),
        }),
    },
    hitlStopped: {
      attributes: { ...hidden },
      schema: () => z.object({ conversationId: z.string().describe('The Botpress HITL conversation') }),
    },
  },
  actions: {
    createUser: {
      title: 'Create external user',
      attributes: { ...hidden },
      input: {
        schema: () =>
          z.object({
            name: z.string().describe('Display name of the end user'),
            pictureUrl: z.string().optional().describe('Avatar of the end user'),
            email: z.string().optional().describe('E-mail address (or, where the provider allows, a phone number)'),
          }),
      },
      output: { schema: () => z.object({ userId: z.string().describe('The Botpress user representing the end user') }) },
    },
    startHitl: {
      title: 'Start new HITL session',
      attributes: { ...hidden },
      input: {
        schema: (entities) =>
          z.object({
            userId: z.string().describe('The Botpress user created by createUser'),
            title: z.string().optional().describe('Title of the ticket'),
            description: z.string().optional().describe('Description of the ticket'),
            hitlSession: entities.hitlSession.optional().describe('Extra settings of the session'),
            messageHistory: z.array(historyMessage).describe('The conversation so far, oldest first'),
          }),
      },
      output: { schema: () => z.object({ conversationId: z.string().describe('The Botpress HITL conversation') }) },
    },
    stopHitl: {
      title: 'Stop HITL session',
      attributes: { ...hidden },
      input: { schema: () => z.object({ conversationId: z.string().describe('The Botpress HITL conversation') }) },
      output: { schema: () => z.object({}) },
    },
  },
  channels: {
    hitl: {
      messages: {
        text: { schema: withExtras(defaults.text.schema) },
        image: { schema: withExtras(defaults.image.schema) },
        audio: { schema: withExtras(defaults.audio.schema) },
        video: { schema: withExtras(defaults.video.schema) },
        file: { schema: withExtras(defaults.file.schema) },
        bloc: { schema: withExtras(sdk.messages.markdownBloc.schema) },
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
