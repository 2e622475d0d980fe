/** User → agent: a message of the hitl channel, resolved to its session and author, normalized and sent in order. */
import type { Conversation } from '@botpress/client'
import { contactOn, getEndUser } from './actions'
import { BOT_NAME } from './botpress'
import { ownerContext, type EngineContext } from './context'
import { HitlError } from './errors'
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
  if (conversation.tags.provider && conversation.tags.provider !== provider) {
    await emitStopped(client, ctx.events, conversation)
    throw new HitlError(
      `This HITL session was opened with provider "${conversation.tags.provider}" but the integration now uses ` +
        `"${provider}": the session was stopped; start a new one`
    )
  }
  if (conversation.tags.status === 'closed') throw new HitlError('This HITL session is closed: start a new one')
  if (!conversation.tags.externalId) throw new HitlError('This HITL session has no ticket on the provider (startHitl did not complete)')

  const session = ctx.refs.sessionRef(conversation)
  const author = await authorOf(ctx, conversation, payload.userId)
  const message = toOutbound(props.type, payload)
  const parts: OutboundMessage[] = message.type === 'bloc' && !active.adapter.acceptsBloc ? message.items : [message]
  for (const [index, part] of parts.entries()) {
    if (isEmpty(part)) continue
    const result = await active.adapter.sendMessage({
      session,
      author,
      message: part,
      // Each item of an expanded bloc has its own key, so providers' idempotency keys never merge two items.
      botpressMessageId: parts.length > 1 ? `${props.message.id}:${index}` : props.message.id,
      additionalData: typeof payload.additionalData === 'string' ? payload.additionalData : undefined,
    })
    // A secondary id Botpress cannot store as a tag cannot be looked up by either: not worth failing a sent message.
    if (result.altId && result.altId !== conversation.tags.externalAltId && result.altId.length <= LIMITS.tagValue) {
      await client.updateConversation({ id: conversation.id, tags: { externalAltId: result.altId } })
      conversation.tags.externalAltId = result.altId
    }
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
