/**
 * User → agent: the end user's messages are customer events (`send_event`); media are downloaded through the core's
 * safe media fetcher (capped at LiveChat's 10 MB upload limit) and uploaded to LiveChat's CDN (`upload_file`), or sent
 * as a titled link when that is impossible (the reason is logged, never the URL's query string). Notices of the bot
 * are customer messages prefixed "[Bot] " (a `system_message` written by a customer is not documented as shown to agents).
 */
import { ProviderError } from '../../core/errors'
import { describeUrl } from '../../core/media'
import { renderOutbound } from '../../core/transcript'
import type { OutboundMessage, SendMessageInput, SendMessageResult, SessionRef } from '../../core/types'
import { contentTypeFor, isWebUrl, str, uploadName, type MediaKind } from '../shared'
import { isLivechatError, TITLE } from './api'
import type { CredentialHolder } from './auth'
import type { Livechat } from './context'
import { splitMessage } from './render'

/** LiveChat's upload limit (Customer Chat API v3.6 § Upload File; error `entity_too_large`: "Upload limit exceeded (10MB)"). */
export const MAX_UPLOAD_BYTES = 10 * 1024 * 1024
const MEDIA_TIMEOUT_MS = 10_000

type Event = { type: 'message'; text: string } | { type: 'file'; url: string; alternative_text?: string }

export const sendMessage = async (lc: Livechat, { session, author, message }: SendMessageInput): Promise<SendMessageResult> => {
  const own = author.kind === 'user' && (!session.contactId || author.contact.id === session.contactId)
  // The user's own messages use (and renew) the contact's credentials, and keep the session's copy fresh with them.
  const holder = own && author.kind === 'user' ? lc.mirroredHolder(lc.contactHolder(author.contact), session) : lc.sessionHolder(session)
  // Only the session's customer can write in its chat: the bot's notices (and, rarely, another user) are marked.
  const prefix =
    author.kind === 'bot' ? `[${author.name}] ` : own ? '' : `[${(await author.contact.profile().catch((): { name?: string } => ({}))).name ?? 'User'}] `

  let id: string | undefined
  let altId: string | undefined
  for (const event of await eventsOf(lc, message, prefix, holder)) {
    const sent = await sendEvent(lc, session, holder, event)
    id = sent.id ?? id
    altId = sent.altId ?? altId
  }
  return { ...(id ? { id } : {}), ...(altId ? { altId } : {}) }
}

const eventsOf = async (lc: Livechat, message: OutboundMessage, prefix: string, holder: CredentialHolder): Promise<Event[]> => {
  const texts = (text: string): Event[] => splitMessage(prefix + text).map((t) => ({ type: 'message', text: t }))
  switch (message.type) {
    case 'text':
      return texts(message.text)
    case 'markdown':
      return texts(message.markdown)
    case 'location':
      return texts(renderOutbound(message))
    case 'bloc': {
      const all: Event[] = []
      for (const item of message.items) all.push(...(await eventsOf(lc, item, prefix, holder)))
      return all
    }
    default: {
      const link = () => texts(renderOutbound(message))
      // Files in the chat are the customer's own; the bot's media go as marked links.
      if (prefix || !isWebUrl(message.url)) return link()
      const url = await upload(lc, message.url, message.title, message.type, holder)
      if (!url) return link()
      return [{ type: 'file', url, ...(message.type === 'image' && message.title ? { alternative_text: message.title } : {}) }]
    }
  }
}

/** Downloads a medium (deps.media, the only way) and uploads it to LiveChat's CDN; undefined, with the reason logged, when impossible. */
const upload = async (lc: Livechat, url: string, title: string | undefined, kind: MediaKind, holder: CredentialHolder): Promise<string | undefined> => {
  const { logger } = lc.deps
  const fetched = await lc.deps.media(url, { maxBytes: MAX_UPLOAD_BYTES, timeoutMs: MEDIA_TIMEOUT_MS })
  if (!fetched.ok) {
    logger.info(`LiveChat: the ${kind} ${describeUrl(url)} was not uploaded (${fetched.reason}); sending its link`)
    return undefined
  }
  if (fetched.body.length === 0) {
    logger.info(`LiveChat: the ${kind} ${describeUrl(url)} is empty; sending its link`)
    return undefined
  }
  const name = uploadName(url, title ?? fetched.fileName, fetched.contentType, kind)
  const form = new FormData()
  form.append('file', new Blob([new Uint8Array(fetched.body)], { type: contentTypeFor(name, fetched.contentType) }), name)
  try {
    const res = await lc.customerCall<{ url?: unknown }>(holder, 'upload_file', undefined, { form, idempotent: true })
    const cdn = str(res.url)
    if (!isWebUrl(cdn)) throw new ProviderError(`${TITLE} accepted the upload but answered without a URL`, { provider: TITLE, operation: 'customer upload_file' })
    return cdn
  } catch (error) {
    if (!(error instanceof ProviderError)) throw error
    logger.warn(`LiveChat: could not upload the ${kind} (${error.message}); sending its link`)
    return undefined
  }
}

const sendEvent = async (lc: Livechat, session: SessionRef, holder: CredentialHolder, event: Event): Promise<{ id?: string; altId?: string }> => {
  try {
    const res = await lc.customerCall<{ event_id?: unknown }>(holder, 'send_event', { chat_id: session.id, event })
    return { id: str(res.event_id) }
  } catch (error) {
    if (!isLivechatError(error, 'chat_inactive')) throw error
  }
  // The thread was closed on LiveChat but Botpress was not told (yet): a new thread carries the message, so it is not lost.
  const data = await session.data()
  const groupId = typeof data.groupId === 'number' ? data.groupId : lc.config.groupId
  const res = await lc.customerCall<{ thread_id?: unknown; event_ids?: unknown }>(holder, 'resume_chat', {
    chat: { id: session.id, access: { group_ids: [groupId] }, thread: { events: [event] } },
    continuous: true,
  })
  const threadId = str(res.thread_id)
  if (threadId) await session.saveData({ threadId })
  lc.deps.logger.info(`LiveChat: chat ${session.id} was inactive; the message opened a new thread`)
  return { id: Array.isArray(res.event_ids) ? str(res.event_ids[0]) : undefined, altId: threadId }
}
