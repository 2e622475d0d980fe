import * as sdk from '@botpress/sdk'
import { hitlPackage } from './src/interface/hitl'
import { configurationSchema, conversationTags, hitlSessionSchema, messageTags, states, userTags } from './src/definition'

export default new sdk.IntegrationDefinition({
  name: 'hitl-hub',
  version: '0.1.0',
  title: 'HITL Hub',
  description:
    'Hand a bot conversation to a human agent on Intercom, LiveChat, HubSpot Help Desk, Chatwoot, Zendesk, Freshchat or your own HTTP service. Pick the provider in the configuration; switch later without touching a flow.',
  readme: 'hub.md',
  icon: 'icon.svg',
  configuration: { schema: configurationSchema },
  entities: {
    hitlSession: {
      title: 'HITL session',
      description: 'A HITL session, often referred to as a ticket or conversation in external systems',
      schema: hitlSessionSchema,
    },
  },
  user: { tags: userTags },
  states,
  channels: {},
}).extend(hitlPackage, ({ entities }) => ({
  entities: { hitlSession: entities.hitlSession },
  channels: {
    hitl: {
      title: 'HITL',
      description: 'Messages between the end user and the human agent',
      conversation: { tags: conversationTags },
      message: { tags: messageTags },
    },
  },
}))
