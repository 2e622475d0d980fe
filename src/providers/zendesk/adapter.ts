/**
 * The Zendesk adapter (Zendesk Messaging through Sunshine Conversations v2 and its switchboard). A HITL session is a
 * Sunco conversation opened for the end user's Sunco user; the transcript is posted into it, then control is passed
 * to Zendesk's agent workspace, which creates the ticket. The end user's messages are posted as the user; the agent's
 * replies, and the agent workspace giving the conversation back, come through the webhook of our custom integration.
 */
import { createCache } from '../../core/cache'
import { errorMessage, ProviderError } from '../../core/errors'
import type {
  CreateContactInput,
  CreateContactResult,
  OpenSessionInput,
  OpenSessionResult,
  ProviderAdapter,
  ProviderDeps,
  SendMessageInput,
  SendMessageResult,
  SessionRef,
  WebhookRequest,
} from '../../core/types'
import { asId, isRecord } from '../shared'
import { createApi, TITLE } from './api'
import type { ZendeskConfig } from './config'
import { createContact, createSessionUser } from './contacts'
import { contentsOf, handOffMetadata, label, openingMessages, type Content } from './render'
import { createSetup, tagOf } from './setup'
import { ORIGIN_KEY, OWNER_KEY, parseWebhook, verifyWebhook } from './webhook'

const enc = encodeURIComponent
/** The author of our own notes (spec `components.schemas.author`: `business` is "sent on behalf of the business"). */
const BOT_AUTHOR = 'Botpress'

/**
 * Per conversation and agent, the message that carried the agent's first reply (the assignment signal): a redelivery
 * of that message repeats the assignment (the engine applies it once), a later message does not. A cold instance
 * repeats it once more and the engine finds the session already with that agent.
 */
const firstReplies = createCache<string>({ name: 'zendesk first replies', max: 10_000, ttlMs: 24 * 3_600_000 })

export { basicAuth } from './api'
/** Switching providers: the manual cleanup steps, reached through the registry's lazy `load()` (index.ts). */
export { manualCleanup } from './setup'

export const createZendeskAdapter = (config: ZendeskConfig, deps: ProviderDeps): ProviderAdapter => {
  const api = createApi(config, deps)
  const setup = createSetup(config, deps, api)
  const owner = tagOf(config)
  const log = deps.logger

  const post = async (conversationId: string, author: Record<string, unknown>, content: Content, metadata?: Record<string, string>) => {
    // POST …/conversations/{conversationId}/messages (operationId PostMessage): `author` and `content` required.
    const res = await api.call({
      method: 'POST',
      path: `conversations/${enc(conversationId)}/messages`,
      json: { author, content, ...(metadata ? { metadata } : {}) },
      operation: 'PostMessage',
    })
    const messages = isRecord(res.body) && Array.isArray(res.body.messages) ? res.body.messages : []
    return isRecord(messages[0]) ? asId(messages[0].id) : undefined
  }

  /** POST …/passControl, …/offerControl (operationIds PassControl, OfferControl): `switchboardIntegration` required. */
  const switchboard = (conversationId: string, action: 'passControl' | 'offerControl', switchboardIntegration: string, metadata: Record<string, string>) =>
    api.call({
      method: 'POST',
      path: `conversations/${enc(conversationId)}/${action}`,
      json: { switchboardIntegration, metadata },
      idempotent: true,
      operation: action === 'passControl' ? 'PassControl' : 'OfferControl',
    })

  /** POST …/releaseControl (operationId ReleaseControl), marked as ours so that its webhook is not read as the agent's. */
  const release = (conversationId: string) =>
    api.call({
      method: 'POST',
      path: `conversations/${enc(conversationId)}/releaseControl`,
      json: { metadata: { [ORIGIN_KEY]: 'stop' } },
      idempotent: true,
      okStatuses: [404],
      operation: 'ReleaseControl',
    })

  return {
    title: TITLE,
    acceptsBloc: false,
    connect: ({ webhookUrl }) => setup.connect(webhookUrl),
    disconnect: ({ webhookUrl }) => setup.disconnect(webhookUrl),
    createContact: (input: CreateContactInput): Promise<CreateContactResult> => createContact(api, input),

    async openSession(input: OpenSessionInput): Promise<OpenSessionResult> {
      const ready = await setup.ready()
      // The requester's name and e-mail for the ticket (one Botpress read), fetched while the conversation is created.
      const profile = input.contact.profile().catch(() => ({}) as { name?: string; email?: string })
      // POST …/conversations (operationId CreateConversation): a `personal` conversation has exactly one participant.
      // Multi-conversation accounts keep each session apart; the metadata marks it as ours for the webhook filter.
      // Without multi-conversations, a conversation of its own needs a user of its own (contacts.ts).
      const participant = ready.multiConvo ? input.contact.id : await createSessionUser(api, input.botpressConversationId, await profile)
      const title = label(input.title ?? input.extras.subject)
      const description = label(input.description)
      const created = await api.call({
        method: 'POST',
        path: 'conversations',
        json: {
          type: 'personal',
          participants: [{ userId: participant }],
          ...(title ? { displayName: title } : {}),
          ...(description ? { description } : {}),
          metadata: { [OWNER_KEY]: owner, botpress_conversation_id: input.botpressConversationId },
        },
        operation: 'CreateConversation',
      })
      const id = isRecord(created.body) && isRecord(created.body.conversation) ? asId(created.body.conversation.id) : undefined
      if (!id) throw new ProviderError(`${TITLE} created the conversation but answered without its id`, { provider: TITLE, operation: 'CreateConversation' })
      let handed = false
      try {
        // Control to us first: the transcript must not make the account's default responder (an AI agent, or the agent
        // workspace without our ticket fields) take the conversation (Zendesk switchboard guide, "Pass control").
        await switchboard(id, 'passControl', ready.switchboardIntegrationId, { [ORIGIN_KEY]: 'open' })
        let first: string | undefined
        for (const text of openingMessages(input)) {
          const messageId = await post(id, { type: 'business', displayName: BOT_AUTHOR }, { type: 'text', text }, { [ORIGIN_KEY]: 'transcript' })
          first ??= messageId
        }
        await switchboard(id, 'passControl', ready.agentWorkspaceId, handOffMetadata(first, { title: input.title, extras: input.extras, requester: await profile }))
        handed = true
        // Offered control back: a pending switchboard integration receives the conversation's events while the agent
        // workspace is active, without standby delivery for every conversation of the account (as Botpress's
        // zendesk-messaging-hitl does: src/actions/hitl.ts, startHitl).
        await switchboard(id, 'offerControl', ready.switchboardIntegrationId, { [ORIGIN_KEY]: 'listen' })
      } catch (error) {
        // startHitl fails: leave no half-open conversation waiting in the agent workspace.
        await release(id).catch((e) => log.warn(`Zendesk: could not release the half-opened conversation ${id}: ${errorMessage(e)}`))
        if (handed) log.warn(`Zendesk: conversation ${id} was handed to the agent workspace, then could not be followed: released`)
        throw error
      }
      return { id, ...(participant !== input.contact.id ? { altId: participant } : {}) }
    },

    async sendMessage({ session, author, message }: SendMessageInput): Promise<SendMessageResult> {
      let last: string | undefined
      for (const content of contentsOf(message)) {
        last =
          author.kind === 'user'
            ? ((await post(session.id, { type: 'user', userId: session.altId ?? author.contact.id }, content)) ?? last)
            : ((await post(session.id, { type: 'business', displayName: `${author.name} (bot)`.slice(0, 100) }, content, { [ORIGIN_KEY]: 'bot' })) ?? last)
      }
      return { id: last }
    },

    /** stopHitl: the conversation is taken away from the agent workspace (Zendesk ends the messaging session). */
    async closeSession(session: SessionRef): Promise<void> {
      await release(session.id)
    },

    /** One store read on a cold instance, none on a warm one; never a Zendesk request. */
    verifyWebhook: (req: WebhookRequest) => verifyWebhook(req, setup.webhookSecret),

    parseWebhook: (req: WebhookRequest) =>
      parseWebhook(req, {
        appId: api.appId,
        owner,
        firstReply: (conversationId, agentId, messageId) => {
          const key = `${api.appId}:${conversationId}:${agentId}`
          const known = firstReplies.get(key)
          if (known === undefined) firstReplies.set(key, messageId)
          return known === undefined || known === messageId
        },
      }),
  }
}
