/**
 * What HubSpot posts to the integration's webhook URL, turned into provider-neutral events:
 * - custom-channel deliveries, one JSON object with a `type`: `OUTGOING_CHANNEL_MESSAGE_CREATED` (an agent replied:
 *   text, rich text, inline images, attachments) and `CHANNEL_ACCOUNT_*` (acknowledged, nothing to do);
 * - app webhooks, a JSON array of events keyed by the conversation thread id: `conversation.propertyChange`
 *   (`assignedTo` → the agent took it; `status` CLOSED → closed) and `conversation.deletion` (archived → closed).
 * A batch with malformed events still delivers the good ones; each skipped event is named.
 */
import { BadRequestError } from '../../core/errors'
import type { InboundEvent, InboundMessage, ParsedWebhook } from '../../core/types'
import { expectShape, id, parseJson, z } from '../../core/validate'
import { htmlToText, inlineImages } from './markup'

const optionalId = () => z.optional(z.union([id(), z.literal(null)]))

const sender = z.object({
  actorId: z.optional(z.string()),
  name: z.optional(z.string()),
})

const attachment = z.object({
  type: z.string(),
  fileId: optionalId(),
  fileUsageType: z.optional(z.string()),
  name: z.optional(z.string()),
  url: z.optional(z.string()),
  latitude: z.optional(z.number()),
  longitude: z.optional(z.number()),
  address: z.optional(z.string()),
})

const agentMessage = z.object({
  type: z.literal('OUTGOING_CHANNEL_MESSAGE_CREATED'),
  portalId: optionalId(),
  channelId: optionalId(),
  channelIntegrationThreadIds: z.optional(z.array(z.string().check(z.maxLength(500)))),
  message: z.object({
    id: id(),
    direction: z.optional(z.string()),
    conversationsThreadId: optionalId(),
    channelIntegrationThreadIds: z.optional(z.array(z.string().check(z.maxLength(500)))),
    createdBy: z.optional(z.string()),
    client: z.optional(z.object({ clientType: z.optional(z.string()) })),
    senders: z.optional(z.array(sender)),
    text: z.optional(z.union([z.string(), z.literal(null)])),
    richText: z.optional(z.union([z.string(), z.literal(null)])),
    attachments: z.optional(z.array(attachment)),
  }),
})

const accountEvent = z.object({
  type: z.string(),
  channelAccountId: optionalId(),
  authorized: z.optional(z.boolean()),
})

const appEvent = z.object({
  subscriptionType: z.string().check(z.minLength(1)),
  objectId: id(),
  portalId: optionalId(),
  eventId: optionalId(),
  propertyName: z.optional(z.string()),
  propertyValue: z.optional(z.union([z.string(), z.number(), z.boolean(), z.literal(null)])),
})

export type AttachmentUrlResolver = (fileId: string) => Promise<string | undefined>

export type ParseContext = {
  /** The portal the app is installed in, when known: events of other portals are skipped. */
  portalId?: string
  /** Our channel account, when known (to notice that HubSpot disabled it). */
  channelAccountId?: string
  /** A signed URL for an attachment HubSpot sent without one. */
  resolveFileUrl: AttachmentUrlResolver
  /** Remembers an agent's display name, for describeAgent when the actors API cannot answer. */
  hintAgent: (actorId: string, name: string) => void
  warn: (message: string) => void
}

const ACTOR_ID = /^[A-Z]-[^\s/?#%\\]{1,120}$/

/**
 * HubSpot user ids come bare ("987654") in some places and as actor ids ("A-987654") in others: both become the actor
 * id. Anything else (not an actor id at all) is undefined.
 */
export const agentActorId = (value: string): string | undefined =>
  /^\d{1,20}$/.test(value) ? `A-${value}` : ACTOR_ID.test(value) ? value : undefined

/** A provider-controlled value as it may appear in a note or an error (never a whole huge field). */
export const clip = (value: unknown, max = 60) => {
  const text = String(value)
  return text.length > max ? `${text.slice(0, max)}…` : text
}

const usageKind = (usage: string | undefined, name: string | undefined): 'image' | 'audio' | 'video' | 'file' => {
  switch ((usage ?? '').toUpperCase()) {
    case 'IMAGE':
    case 'STICKER':
      return 'image'
    case 'AUDIO':
    case 'VOICE_RECORDING':
      return 'audio'
    default:
      return /\.(mp4|mov|webm|m4v|avi|mkv)$/i.test(name ?? '') ? 'video' : 'file'
  }
}

const describeEvent = (raw: unknown, index: number) => {
  const e = raw && typeof raw === 'object' ? (raw as Record<string, unknown>) : {}
  const id = typeof e.eventId === 'number' || typeof e.eventId === 'string' ? ` (eventId ${clip(e.eventId, 24)})` : ''
  return `event #${index}${id}`
}

export const parseHubspotWebhook = async (body: string, ctx: ParseContext): Promise<ParsedWebhook> => {
  const json = parseJson(body)
  if (Array.isArray(json)) return parseAppEvents(json, ctx)
  if (json && typeof json === 'object' && typeof (json as { type?: unknown }).type === 'string') return parseDelivery(json as { type: string }, ctx)
  throw new BadRequestError('the body is neither a custom-channel delivery (an object with a type) nor an array of app webhook events')
}

// ─── app webhooks ────────────────────────────────────────────────────────────

const parseAppEvents = (list: unknown[], ctx: ParseContext): ParsedWebhook => {
  const events: InboundEvent[] = []
  const skipped: string[] = []
  let malformed = 0
  list.forEach((raw, index) => {
    let e
    try {
      e = expectShape(appEvent, raw, describeEvent(raw, index))
    } catch (error) {
      malformed++
      skipped.push((error as BadRequestError).reason ?? String(error))
      return
    }
    const label = `${describeEvent(raw, index)} ${clip(e.subscriptionType)}${e.propertyName ? `/${clip(e.propertyName)}` : ''}`
    if (ctx.portalId && e.portalId && e.portalId !== ctx.portalId) {
      skipped.push(`${label}: portal ${clip(e.portalId, 20)} is not the one the app is installed in`)
      return
    }
    const session = { id: e.objectId, by: 'externalAltId' as const }
    const value = e.propertyValue === null || e.propertyValue === undefined ? '' : String(e.propertyValue).trim()
    switch (e.subscriptionType) {
      case 'conversation.propertyChange':
        if (e.propertyName === 'assignedTo') {
          const actorId = agentActorId(value)
          if (!value) skipped.push(`${label}: the thread was unassigned`)
          else if (!actorId) skipped.push(`${label}: "${clip(value, 30)}" is not a HubSpot user or actor id`)
          else events.push({ kind: 'agentAssigned', session, agent: { id: actorId } })
        } else if (e.propertyName === 'status') {
          if (['CLOSED', 'ARCHIVED'].includes(value.toUpperCase())) events.push({ kind: 'sessionClosed', session })
          else skipped.push(`${label}: status ${clip(value) || '(empty)'}`)
        } else if (e.propertyName === 'isArchived' || e.propertyName === 'archived') {
          if (value.toLowerCase() === 'true') events.push({ kind: 'sessionClosed', session })
          else skipped.push(`${label}: ${clip(value) || '(empty)'}`)
        } else {
          skipped.push(`${label}: property not used`)
        }
        return
      case 'conversation.deletion':
      case 'conversation.privacyDeletion':
        events.push({ kind: 'sessionClosed', session })
        return
      default:
        // conversation.newMessage and creation: agent replies come through the custom channel instead.
        skipped.push(`${label}: not used`)
    }
  })
  if (list.length > 0 && malformed === list.length) {
    throw new BadRequestError(`every app webhook event is malformed: ${skipped.slice(0, 3).join(' | ')}`)
  }
  return { events, skipped }
}

// ─── custom-channel deliveries ───────────────────────────────────────────────

const parseDelivery = async (raw: { type: string }, ctx: ParseContext): Promise<ParsedWebhook> => {
  switch (raw.type) {
    case 'OUTGOING_CHANNEL_MESSAGE_CREATED':
      return parseAgentMessage(raw, ctx)
    case 'CHANNEL_ACCOUNT_CREATED':
    case 'CHANNEL_ACCOUNT_UPDATED':
    case 'CHANNEL_ACCOUNT_PURGED': {
      const e = expectShape(accountEvent, raw, raw.type)
      if (ctx.channelAccountId && e.channelAccountId === ctx.channelAccountId && (raw.type === 'CHANNEL_ACCOUNT_PURGED' || e.authorized === false)) {
        ctx.warn(
          `HubSpot ${raw.type === 'CHANNEL_ACCOUNT_PURGED' ? 'deleted' : 'disabled'} the channel account ${e.channelAccountId} that connects ` +
            'the help desk: hand-offs fail until it is re-authorized (save the integration configuration again)'
        )
      }
      return { events: [], skipped: [`${raw.type}: acknowledged`] }
    }
    default:
      return { events: [], skipped: [`custom-channel delivery ${clip(raw.type)}: not used`] }
  }
}

const parseAgentMessage = async (raw: unknown, ctx: ParseContext): Promise<ParsedWebhook> => {
  const e = expectShape(agentMessage, raw, 'OUTGOING_CHANNEL_MESSAGE_CREATED')
  const m = e.message
  const mid = clip(m.id)
  if (ctx.portalId && e.portalId && e.portalId !== ctx.portalId) {
    return { events: [], skipped: [`message ${mid}: portal ${clip(e.portalId, 20)} is not the one the app is installed in`] }
  }
  if (m.direction && m.direction !== 'OUTGOING') return { events: [], skipped: [`message ${mid}: direction ${clip(m.direction)}`] }
  if (m.client?.clientType === 'INTEGRATION') {
    // What we published ourselves (e.g. a bot notice), echoed back: never posted again in Botpress.
    return { events: [], skipped: [`message ${mid}: published by the integration`] }
  }
  const threadKey = e.channelIntegrationThreadIds?.[0] ?? m.channelIntegrationThreadIds?.[0]
  const threadId = m.conversationsThreadId ?? undefined
  if (!threadKey && !threadId) throw new BadRequestError('OUTGOING_CHANNEL_MESSAGE_CREATED names no thread (channelIntegrationThreadIds or conversationsThreadId)')
  const session = threadKey ? { id: threadKey } : { id: threadId!, by: 'externalAltId' as const }

  const senders = m.senders ?? []
  const author = senders.find((s) => s.actorId?.startsWith('A-')) ?? senders.find((s) => s.actorId) ?? undefined
  const rawActor = author?.actorId ?? m.createdBy
  if (!rawActor) throw new BadRequestError('OUTGOING_CHANNEL_MESSAGE_CREATED names no sender (message.senders[].actorId or createdBy)')
  const actorId = agentActorId(rawActor)
  if (!actorId) throw new BadRequestError(`OUTGOING_CHANNEL_MESSAGE_CREATED: sender "${clip(rawActor, 30)}" is not a HubSpot actor id`)
  if (author?.name) ctx.hintAgent(actorId, author.name.slice(0, 200))

  const messages: InboundMessage[] = []
  const rich = m.richText ?? ''
  const text = (m.text ?? '').trim() || (rich ? htmlToText(rich) : '')
  if (text) messages.push({ type: 'text', text })
  for (const src of inlineImages(rich)) messages.push({ type: 'image', url: src })
  for (const a of m.attachments ?? []) {
    const type = a.type.toUpperCase()
    if (type === 'FILE') {
      const url = a.url && /^https?:\/\//i.test(a.url) ? a.url : a.fileId ? await ctx.resolveFileUrl(a.fileId).catch(() => undefined) : undefined
      if (url) messages.push({ type: usageKind(a.fileUsageType, a.name), url, ...(a.name ? { title: a.name } : {}) })
      else messages.push({ type: 'text', text: `[Attachment${a.name ? `: ${a.name}` : ''} could not be retrieved from HubSpot]` })
    } else if (type === 'LOCATION' && typeof a.latitude === 'number' && typeof a.longitude === 'number') {
      const where = a.name ?? a.address
      messages.push({ type: 'text', text: `[Location${where ? `: ${where}` : ''}] https://maps.google.com/?q=${a.latitude},${a.longitude}` })
    }
  }
  if (!messages.length) return { events: [], skipped: [`message ${mid}: nothing to show`] }
  return { events: [{ kind: 'agentMessage', session, messageId: m.id, agent: { id: actorId }, messages }] }
}
