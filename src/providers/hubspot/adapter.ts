/**
 * HubSpot Help Desk through a custom channel: the wiring of the parts. Registration in setup.ts (channel, account,
 * portal), OAuth in auth.ts, contacts in contacts.ts, what the end user says in messages.ts, webhooks in webhook.ts
 * (verification) and events.ts (payloads); agents' replies come back as custom-channel deliveries, assignment and
 * closing as app webhooks.
 */
import { errorMessage, ProviderError } from '../../core/errors'
import type { Agent, ProviderAdapter, ProviderDeps } from '../../core/types'
import { str } from '../shared'
import { createClient, createHubspotApi, TITLE } from './api'
import { createAuth } from './auth'
import { createChannelApi } from './channel'
import type { HubspotConfig } from './config'
import { createContacts } from './contacts'
import { agentActorId } from './events'
import { createMessages } from './messages'
import { createSetup } from './setup'
import { createStateStore } from './state'
import { createWebhook, isTransient } from './webhook'

/** Switching providers: the manual cleanup steps, reached through the registry's lazy `load()` (index.ts). */
export { manualCleanup } from './setup'
export const createHubspotAdapter = (config: HubspotConfig, deps: ProviderDeps): ProviderAdapter => {
  const { logger, ctx } = deps
  const scope = ctx.webhookId || `${ctx.botId}:${ctx.integrationId}`
  const state = createStateStore(deps.store, scope)
  const client = createClient(config, deps)
  const auth = createAuth(config, client, state, deps, scope)
  const api = createHubspotApi(config, client, auth, deps)
  const channels = createChannelApi(api, logger, config.helpDeskId.trim())
  const setup = createSetup({ config, api, channels, state, auth, deps })
  const contacts = createContacts(config, api, deps, scope)
  const messages = createMessages({ api, channels, setup, contacts, deps, scope })
  const webhook = createWebhook({ clientSecret: config.clientSecret, api, auth, state, deps, scope })

  return {
    title: TITLE,
    // Bloc items are published here one by one, each with its own idempotency id (the core would give them one id).
    acceptsBloc: true,
    connect: ({ webhookUrl }) => setup.connect(webhookUrl),
    disconnect: ({ webhookUrl }) => setup.disconnect(webhookUrl),
    createContact: (input) => contacts.createContact(input),
    openSession: (input) => messages.openSession(input),
    sendMessage: (input) => messages.sendMessage(input),
    closeSession: (session) => messages.closeSession(session),
    verifyWebhook: (req) => webhook.verifyWebhook(req),
    parseWebhook: (req) => webhook.parseWebhook(req),

    async describeAgent(agentId: string): Promise<Agent> {
      const actorId = agentActorId(agentId)
      if (!actorId) return { id: agentId, name: 'HubSpot agent' }
      const hint = webhook.agentName(actorId)
      try {
        const res = await api.bearer<{ name?: unknown; avatar?: unknown }>({
          path: `conversations/v3/conversations/actors/${encodeURIComponent(actorId)}`,
          okStatuses: [403, 404],
          operation: 'get agent',
        })
        if (res.status === 200) {
          const avatar = str(res.body?.avatar)
          return { id: agentId, name: str(res.body?.name)?.slice(0, 200) || hint || 'HubSpot agent', ...(avatar ? { pictureUrl: avatar } : {}) }
        }
        logger.warn(`HubSpot could not describe agent ${actorId} (${res.status}${res.status === 403 ? ': the app needs the conversations.read scope' : ''})`)
      } catch (error) {
        // Temporary (429 after retries, 5xx, network): fail so HubSpot redelivers rather than naming the agent for good.
        if (isTransient(error) || !(error instanceof ProviderError)) throw error
        logger.warn(`HubSpot could not describe agent ${actorId}: ${errorMessage(error)}`)
      }
      return { id: agentId, name: hint ?? 'HubSpot agent' }
    },
  }
}
