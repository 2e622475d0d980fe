/** User → agent: a message of the hitl channel, resolved to its session and author, normalized and sent in order. */
import type { Conversation } from '@botpress/client'
import { contactOn, getEndUser } from './actions'
import { BOT_NAME } from './botpress'
import { ownerContext, type EngineContext } from './context'
import { ambientClock } from './clock'
import { errorMessage, HitlError } from './errors'
import { emitStopped } from './events'
import { LIMITS } from './limits'
import { toOutbound } from './transcript'
import type { OutboundMessage, SendMessageInput } from './types'

export type ChannelMessage = {
  conversation: Pick<Conversation, 'id' | 'tags'>
  message: { id: string }
  type: string
  payload: Record<string, unknown>
}

export const sendMessage = async (engine: EngineContext, props: ChannelMessage): Promise<void> => {
  // A session opened before a switch goes on with the provider it was opened on while that one is configured.
  const ctx = ownerContext(engine, props.conversation.tags.provider)
  const { client, active } = ctx
  const { conversation, payload } = props
  const provider = active.name
  // Before the provider check: a notice for a session the bot stopped after a provider switch is not a new session's message.
  if (conversation.tags.status === 'closed' && isClosingNotice(conversation, payload)) return sendClosingNotice(ctx, props)
  if (conversation.tags.provider && conversation.tags.provider !== provider) {
    await emitStopped(client, ctx.events, conversation)
    throw new HitlError(
      `This HITL session was opened with provider "${conversation.tags.provider}" but the integration now uses ` +
        `"${provider}": the session was stopped; start a new one`
    )
  }
  if (conversation.tags.status === 'closed') throw new HitlError('This HITL session is closed: start a new one')
  if (!conversation.tags.externalId) throw new HitlError('This HITL session has no ticket on the provider (startHitl did not complete)')

  const author = await authorOf(ctx, conversation, payload.userId)
  for (const input of inputsOf(ctx, props, author)) {
    const result = await active.adapter.sendMessage(input)
    // A secondary id Botpress cannot store as a tag cannot be looked up by either: not worth failing a sent message.
    if (result.altId && result.altId !== conversation.tags.externalAltId && result.altId.length <= LIMITS.tagValue) {
      await client.updateConversation({ id: conversation.id, tags: { externalAltId: result.altId } })
      conversation.tags.externalAltId = result.altId
    }
  }
}

/** The adapter inputs of one Botpress message: one per bloc item unless the adapter takes whole blocs; empty text skipped. */
const inputsOf = (ctx: EngineContext, props: ChannelMessage, author: SendMessageInput['author']): SendMessageInput[] => {
  const { payload } = props
  const session = ctx.refs.sessionRef(props.conversation)
  const message = toOutbound(props.type, payload)
  const parts: OutboundMessage[] = message.type === 'bloc' && !ctx.active.adapter.acceptsBloc ? message.items : [message]
  return parts.flatMap((part, index) =>
    isEmpty(part)
      ? []
      : [
          {
            session,
            author,
            message: part,
            // Each item of an expanded bloc has its own key, so providers' idempotency keys never merge two items.
            botpressMessageId: parts.length > 1 ? `${props.message.id}:${index}` : props.message.id,
            additionalData: typeof payload.additionalData === 'string' ? payload.additionalData : undefined,
          },
        ]
  )
}

/**
 * How long after a bot-initiated close (stopHitl) a bot message is still taken as the HITL plugin's closing notice: the
 * plugin posts it just before calling stopHitl, and Botpress delivers messages asynchronously, so it may arrive after.
 */
export const CLOSING_NOTICE_GRACE_MS = 5 * 60_000

/** A bot message (no end user named in `payload.userId`) shortly after the bot itself closed the session. */
const isClosingNotice = (conversation: ChannelMessage['conversation'], payload: Record<string, unknown>): boolean => {
  if (typeof payload.userId === 'string' && payload.userId) return false
  if (conversation.tags.closedBy !== 'bot') return false
  const elapsed = ambientClock.now() - Number(conversation.tags.closedAt)
  return Number.isFinite(elapsed) && Math.abs(elapsed) <= CLOSING_NOTICE_GRACE_MS
}

/** The closing notice: added to the closed ticket where the adapter can do so without reopening it, otherwise dropped. */
const sendClosingNotice = async (ctx: EngineContext, props: ChannelMessage): Promise<void> => {
  const { adapter, logger } = ctx.active
  const { conversation } = props
  // A session opened with the provider used before a switch has no ticket on the active one.
  const switched = conversation.tags.provider !== undefined && conversation.tags.provider !== ctx.active.name
  if (switched || !adapter.sendAfterClose || !conversation.tags.externalId) {
    const why = switched ? `it was opened with provider "${conversation.tags.provider}"` : `${adapter.title} cannot add it to a closed ticket`
    logger.info(`closing notice for session ${conversation.id} arrived after the bot closed it; ${why}: dropped`)
    return
  }
  try {
    for (const input of inputsOf(ctx, props, { kind: 'bot', name: BOT_NAME })) await adapter.sendAfterClose(input)
  } catch (error) {
    // The ticket is closed already: the notice is information for the agent, not worth a failed delivery.
    logger.warn(`closing notice for session ${conversation.id} not added to the closed ticket: ${errorMessage(error)}`)
  }
}

const authorOf = async (
  ctx: EngineContext,
  conversation: ChannelMessage['conversation'],
  userId: unknown
): Promise<SendMessageInput['author']> => {
  if (typeof userId !== 'string' || !userId) return { kind: 'bot', name: BOT_NAME }
  if (userId === conversation.tags.userId && conversation.tags.contactId) {
    return { kind: 'user', contact: ctx.refs.contactRef(conversation.tags.contactId, userId, ctx.active.name) }
  }
  const user = await getEndUser(ctx, userId, { anyProvider: true })
  return { kind: 'user', contact: await contactOn(ctx, user) }
}

const isEmpty = (m: OutboundMessage) =>
  (m.type === 'text' && !m.text.trim()) || (m.type === 'markdown' && !m.markdown.trim())
