/**
 * HITL sessions as threads of the customer's chat (one chat per customer, platform.text.com/docs/messaging "Chatting
 * as customer"): the first hand-off starts the chat, later ones resume it (a new thread). The session id is the chat
 * id and its secondary id the thread id, which webhooks use to tell successive sessions of one customer apart.
 *
 * Errors are read by their documented types (Customer Chat API v3.6 § Possible errors; `not_found` is listed by the
 * Agent Chat API v3.6 § Possible errors, "The requested resource wasn't found", and is what `resume_chat` answers for a
 * deleted chat). A chat the customer can no longer resume — `chat_anonymized`, deleted (`not_found`), or refused as
 * `validation`/`authorization` while Get Chat cannot read it either — is stale: a new chat is started and used from then
 * on, and if LiveChat refuses that too, the contact continues as a new customer. A stale chat never makes startHitl
 * fail again for that user.
 */
import { ProviderError } from '../../core/errors'
import type { OpenSessionInput, OpenSessionResult, SessionRef } from '../../core/types'
import { str } from '../shared'
import { isLivechatError, TITLE } from './api'
import type { CredentialHolder } from './auth'
import { replaceCustomer } from './contacts'
import { credentialRecord, type Livechat } from './context'
import { groupFor, openingText, splitMessage } from './render'

type Opened = { chatId: string; threadId: string }
type ChatAnswer = { thread?: { id?: unknown; active?: unknown } }

/** Errors that say the request cannot succeed for any chat of this customer: never worked around. */
const FATAL = ['authentication', 'group_not_found', 'customer_banned', 'license_expired', 'license_not_found', 'misdirected_request', 'wrong_product_version', 'unsupported_version']
/** Errors of a resume that may mean the chat is unusable (checked with Get Chat). */
const CHAT_REFUSED = ['validation', 'authorization', 'chat_anonymized', 'not_found']
/** Errors that say the chat itself is gone for good: a new chat is started without asking further. */
const CHAT_GONE = ['chat_anonymized', 'not_found']

const isFatal = (error: unknown) => !isLivechatError(error) || isLivechatError(error, ...FATAL)

export const openSession = async (lc: Livechat, input: OpenSessionInput): Promise<OpenSessionResult> => {
  const { contact } = input
  const holder = lc.contactHolder(contact)
  const groupId = groupFor(input.extras.routing, lc.config.groupId)
  const events = splitMessage(openingText(input)).map((text) => ({ type: 'message', text }))
  const chat = { access: { group_ids: [groupId] }, thread: { events } }
  const known = str((await contact.data()).chatId)

  let opened: Opened | undefined
  let stale = false
  try {
    if (known) {
      opened = await resume(lc, holder, known, chat)
      stale = !opened
    }
    opened ??= await start(lc, holder, chat, stale ? known : undefined)
  } catch (error) {
    if (isFatal(error) || !(stale || isLivechatError(error, 'chat_anonymized'))) throw error
    lc.deps.logger.info(`LiveChat: the customer's chat can no longer be used (${(error as Error).message}); starting over with a new customer`)
    await replaceCustomer(lc, contact)
    opened = await start(lc, holder, chat, undefined)
  }
  if (opened.chatId !== known) await contact.saveData({ chatId: opened.chatId })
  const credentials = await holder.load()
  return {
    id: opened.chatId,
    altId: opened.threadId,
    data: { threadId: opened.threadId, groupId, ...(credentials ? { customer: credentialRecord(credentials) } : {}) },
  }
}

const start = async (lc: Livechat, holder: CredentialHolder, chat: Record<string, unknown>, exclude: string | undefined): Promise<Opened> => {
  try {
    const res = await lc.customerCall<{ chat_id?: unknown; thread_id?: unknown }>(holder, 'start_chat', { chat, continuous: true })
    const chatId = str(res.chat_id)
    const threadId = str(res.thread_id)
    if (!chatId || !threadId) throw new ProviderError(`${TITLE} started a chat but answered without chat_id or thread_id`, { provider: TITLE, operation: 'customer start_chat' })
    return { chatId, threadId }
  } catch (error) {
    // A customer has one chat per license: one who already has a chat (not known here) resumes it.
    if (isFatal(error) || isLivechatError(error, 'authorization', 'chat_anonymized')) throw error
    const existing = await existingChat(lc, holder)
    const opened = existing && existing !== exclude ? await resume(lc, holder, existing, chat) : undefined
    if (!opened) throw error
    return opened
  }
}

const existingChat = async (lc: Livechat, holder: CredentialHolder): Promise<string | undefined> => {
  const res = await lc.customerCall<{ chats_summary?: unknown }>(holder, 'list_chats', { limit: 1 }, { idempotent: true })
  const first = Array.isArray(res.chats_summary) ? (res.chats_summary[0] as { id?: unknown } | undefined) : undefined
  return str(first?.id)
}

/**
 * A new thread in the customer's chat. If the previous thread is still active (its session ended without LiveChat
 * knowing), it is deactivated first: that session is over, and LiveChat tells Botpress so with chat_deactivated.
 * Answers undefined when the chat can no longer be resumed (stale).
 */
const resume = async (lc: Livechat, holder: CredentialHolder, chatId: string, chat: Record<string, unknown>): Promise<Opened | undefined> => {
  const attempt = async () => {
    const res = await lc.customerCall<{ thread_id?: unknown }>(holder, 'resume_chat', { chat: { id: chatId, ...chat }, continuous: true })
    const threadId = str(res.thread_id)
    if (!threadId) throw new ProviderError(`${TITLE} resumed chat ${chatId} but answered without thread_id`, { provider: TITLE, operation: 'customer resume_chat' })
    return { chatId, threadId }
  }
  try {
    return await attempt()
  } catch (error) {
    if (isFatal(error)) throw error
    if (isLivechatError(error, ...CHAT_GONE)) {
      lc.deps.logger.info(`LiveChat: chat ${chatId} can no longer be resumed (${error.errorType}); starting a new one`)
      return undefined
    }
    let current: ChatAnswer
    try {
      current = await lc.customerCall<ChatAnswer>(holder, 'get_chat', { chat_id: chatId }, { idempotent: true })
    } catch (lookup) {
      if (isLivechatError(lookup, ...CHAT_REFUSED)) {
        lc.deps.logger.info(`LiveChat: chat ${chatId} can no longer be resumed (${lookup.errorType}); starting a new one`)
        return undefined
      }
      throw error
    }
    if (current.thread?.active !== true) throw error
    lc.deps.logger.info(`LiveChat: chat ${chatId} still had an active thread from an earlier hand-off; closing it before starting the new one`)
    await deactivate(lc, holder, chatId)
    return attempt()
  }
}

const deactivate = async (lc: Livechat, holder: CredentialHolder, chatId: string) => {
  try {
    await lc.customerCall(holder, 'deactivate_chat', { id: chatId }, { idempotent: true })
  } catch (error) {
    if (!isLivechatError(error, 'chat_inactive')) throw error
  }
}

export const closeSession = async (lc: Livechat, session: SessionRef): Promise<void> => {
  const { logger } = lc.deps
  const threadId = session.altId ?? str((await session.data()).threadId)
  const holder = lc.sessionHolder(session)
  if (await holder.load()) {
    try {
      const chat = await lc.customerCall<ChatAnswer>(holder, 'get_chat', { chat_id: session.id }, { idempotent: true })
      const current = str(chat.thread?.id)
      if (threadId && current && current !== threadId) {
        logger.info(`LiveChat: thread ${threadId} of chat ${session.id} is already over (the chat continues in a later thread)`)
        return
      }
      if (chat.thread && chat.thread.active === false) return
    } catch (error) {
      if (isLivechatError(error, 'chat_anonymized')) {
        logger.info(`LiveChat: chat ${session.id} was anonymized; nothing to close`)
        return
      }
      if (!(error instanceof ProviderError)) throw error
      logger.debug(`LiveChat: could not read chat ${session.id} before closing it: ${error.message}`)
    }
    try {
      await deactivate(lc, holder, session.id)
      return
    } catch (error) {
      if (!(error instanceof ProviderError)) throw error
      logger.warn(`LiveChat: the customer could not close chat ${session.id} (${error.message}); closing it with the agent token`)
    }
  }
  try {
    await lc.agentCall('agent', 'deactivate_chat', { id: session.id, ignore_requester_presence: true }, true)
  } catch (error) {
    if (isLivechatError(error, 'chat_inactive')) return
    // Agent Chat API v3.6 documents not_found.
    if (isLivechatError(error, 'not_found')) {
      logger.warn(`LiveChat: chat ${session.id} was not found; nothing to close`)
      return
    }
    throw error
  }
}
