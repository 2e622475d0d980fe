/**
 * hitlAssigned / hitlStopped exactly once, whatever the Botpress API answers. Botpress has no idempotency key for
 * events, so: look for the event before creating it (a redelivery after a later failure finds it), create it with a
 * client that never repeats the POST (see botpress.ts), and when that POST fails, look again before giving up: a
 * commit followed by a 502 is then recognised and not repeated by anyone.
 */
import type { Client, Event } from '@botpress/client'
import type { BotClient } from './botpress'

export type HitlEventType = 'hitlAssigned' | 'hitlStopped'
export type EventClient = Pick<Client, 'createEvent' | 'listEvents'>

type Found = Pick<Event, 'id' | 'createdAt' | 'payload'>

export const lastEvent = async (client: Pick<Client, 'listEvents'>, type: HitlEventType, conversationId: string) => {
  const { events } = await client.listEvents({ type, conversationId })
  return [...events].sort((a, b) => b.createdAt.localeCompare(a.createdAt))[0] as Found | undefined
}

/**
 * Emits `type` for the conversation unless its latest event of that type already `matches` (returns false then).
 * `events` is the client that does not repeat POSTs.
 */
export const emitOnce = async (
  events: EventClient,
  type: HitlEventType,
  conversationId: string,
  payload: Record<string, string>,
  matches: (existing: Found) => boolean
): Promise<boolean> => {
  const before = await lastEvent(events, type, conversationId)
  if (before && matches(before)) return false
  try {
    await events.createEvent({ type, conversationId, payload })
  } catch (error) {
    // Botpress may have committed the event before failing: if it did, it is emitted, and must not be repeated.
    const after = await lastEvent(events, type, conversationId).catch(() => undefined)
    if (after && after.id !== before?.id && matches(after)) return true
    throw error
  }
  return true
}

/** hitlStopped once per session, even when a failure between the event and the tag update causes a redelivery. */
export const emitStopped = async (
  client: Pick<BotClient, 'updateConversation'>,
  events: EventClient,
  conversation: { id: string },
  tags: Record<string, string> = {}
): Promise<boolean> => {
  const emitted = await emitOnce(events, 'hitlStopped', conversation.id, { conversationId: conversation.id }, () => true)
  await client.updateConversation({ id: conversation.id, tags: { ...tags, status: 'closed' } })
  return emitted
}
