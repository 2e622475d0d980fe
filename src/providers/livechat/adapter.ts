/**
 * The LiveChat adapter (text.com Web APIs v3.6), wired from its parts:
 * - ./setup.ts — register/unregister: credential checks, webhooks;
 * - ./contacts.ts — the end user as a LiveChat customer (cookie grant, ./auth.ts);
 * - ./sessions.ts — a HITL session as a thread of the customer's chat;
 * - ./messages.ts — the user's messages and media as customer events;
 * - ./webhook.ts — authenticity and the agent's side as normalized events;
 * - ./context.ts — configuration, clients, state and the two ways to call the APIs.
 */
import { errorMessage, RetryLaterError } from '../../core/errors'
import type { Agent, ProviderAdapter, ProviderDeps } from '../../core/types'
import { str } from '../shared'
import { isLivechatError, TITLE } from './api'
import type { LivechatConfig } from './config'
import { createContact } from './contacts'
import { createLivechat, type Livechat } from './context'
import { sendMessage } from './messages'
import { maskAgentId, normalizeAvatar } from './render'
import { closeSession, openSession } from './sessions'
import { connect, disconnect } from './setup'
import { chatNow, confirmAssignment, parseWebhook, verifyWebhook, type ChatNow } from './webhook'

/** What the registry entry (./index.ts) needs besides the configuration, loaded with the adapter. */
/** Switching providers: the manual cleanup steps, reached through the registry's lazy `load()` (index.ts). */
export { manualCleanup } from './setup'
export { decodeAgentToken } from './api'

export const createLivechatAdapter = (config: LivechatConfig, deps: ProviderDeps): ProviderAdapter => {
  const lc = createLivechat(config, deps)
  return {
    title: TITLE,
    acceptsBloc: false,
    connect: (input) => connect(lc, input),
    disconnect: () => disconnect(lc),
    createContact: (input) => createContact(lc, input),
    openSession: (input) => openSession(lc, input),
    sendMessage: (input) => sendMessage(lc, input),
    closeSession: (session) => closeSession(lc, session),
    verifyWebhook: (req) => verifyWebhook(config.webhookSecret, req),
    parseWebhook: (req) => confirmAssignment(parseWebhook(req, config), (chatId, threadId) => readChat(lc, chatId, threadId)),
    describeAgent: (agentId) => describeAgent(lc, agentId),
  }
}

/** LiveChat's documented refusals of get_chat (Agent Chat API v3.6 § Possible errors): asking again changes nothing. */
const REFUSALS = ['authentication', 'authorization', 'missing_access', 'not_found', 'validation', 'chat_inactive', 'license_expired', 'license_not_found', 'unsupported_version', 'wrong_product_version']

/**
 * The chat as it is now (Agent Chat API v3.6 `get_chat` for the thread: `thread.active`, `users` with `present`), to
 * confirm an assignment webhook. A refusal → undefined (logged; the event is ignored); anything else (429, 5xx,
 * timeout, `internal`, `service_unavailable`) → RetryLaterError, so LiveChat delivers the webhook again.
 */
const readChat = async (lc: Livechat, chatId: string, threadId: string): Promise<ChatNow | undefined> => {
  try {
    return chatNow(await lc.agentCall<unknown>('agent', 'get_chat', { chat_id: chatId, thread_id: threadId }, true))
  } catch (error) {
    if (isLivechatError(error, ...REFUSALS)) {
      lc.deps.logger.warn(`LiveChat: get_chat of chat ${chatId.slice(0, 40)} was refused (${error.errorType}); the assignment it would confirm is ignored`)
      return undefined
    }
    throw new RetryLaterError(`LiveChat: could not read chat ${chatId.slice(0, 40)} to confirm an assignment: ${errorMessage(error)}`)
  }
}

/**
 * Name and avatar of an agent known only by id (chat_transferred): Configuration `get_agent`, when the token may. A
 * refusal (scope, unknown agent) degrades to the id; anything transient throws, so the webhook is redelivered.
 */
const describeAgent = async (lc: Livechat, agentId: string): Promise<Agent> => {
  try {
    const agent = await lc.agentCall<{ name?: unknown; avatar?: unknown }>('configuration', 'get_agent', { id: agentId }, true)
    const pictureUrl = normalizeAvatar(str(agent.avatar))
    return { id: agentId, name: str(agent.name) ?? agentId, ...(pictureUrl ? { pictureUrl } : {}) }
  } catch (error) {
    if (!isLivechatError(error, 'authorization', 'missing_access', 'not_found', 'validation')) throw error
    lc.deps.logger.debug(`LiveChat: no details for agent ${maskAgentId(agentId)} (${error.errorType}); using the id as the name`)
    return { id: agentId, name: agentId }
  }
}
