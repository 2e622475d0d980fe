/**
 * The provider-neutral engine behind every SDK entry point. It owns Botpress: users and sessions linked by tags,
 * conversations found with listConversations (never created by a webhook), agents upserted by their provider id,
 * messages created idempotently by the provider's message id, hitlAssigned with the agent's user, hitlStopped.
 * Adapters only speak to their provider. The engine receives the active provider; it never knows the registry.
 *
 * Parts: refs.ts (state references), webhook.ts (verify → parse → apply), actions.ts (createUser, startHitl,
 * stopHitl), send.ts (user → agent), agents.ts, events.ts (exactly-once hitl events), botpress.ts (clients).
 */
import { createUser, startHitl, stopHitl, type CreateUserInput, type StartHitlInput } from './actions'
import type { BotClient } from './botpress'
import type { EngineContext, SessionOwners } from './context'
import type { EventClient } from './events'
import type { ActiveProvider } from './provider'
import { createRefs } from './refs'
import { sendMessage, type ChannelMessage } from './send'
import type { WebhookReply, WebhookRequest } from './types'
import { handleWebhook } from './webhook'

export { BOT_NAME, type BotClient } from './botpress'
export { STATE } from './refs'
export { classifyContactPoint } from './limits'
export { toBotpressPayload } from './webhook'

export class Engine {
  private readonly context: EngineContext

  /** `events`: the client hitl events are created with (one that never repeats a POST); defaults to `client`. */
  /** `owners`: the providers of sessions opened before a switch (see context.ts); absent: the active provider only. */
  constructor(client: BotClient, active: ActiveProvider, ctx: { botId: string; events?: EventClient; owners?: SessionOwners }) {
    this.context = { client, events: ctx.events ?? client, refs: createRefs(client, ctx.botId), active, botId: ctx.botId, owners: ctx.owners }
  }

  createUser(input: CreateUserInput) {
    return createUser(this.context, input)
  }

  startHitl(input: StartHitlInput) {
    return startHitl(this.context, input)
  }

  stopHitl(input: { conversationId: string }) {
    return stopHitl(this.context, input)
  }

  sendMessage(props: ChannelMessage): Promise<void> {
    return sendMessage(this.context, props)
  }

  handleWebhook(req: WebhookRequest): Promise<WebhookReply> {
    return handleWebhook(this.context, req)
  }
}
