/**
 * What HubSpot posts to the integration's webhook URL, turned into provider-neutral events (pure parsing; the
 * lookups it needs come from webhook.ts through ParseContext):
 * - custom-channel deliveries, one JSON object with a `type`: `OUTGOING_CHANNEL_MESSAGE_CREATED` (an agent replied:
 *   text, rich text, inline images, attachments) and `CHANNEL_ACCOUNT_*` (acknowledged, nothing to do);
 * - app webhooks, a JSON array of events keyed by the conversation thread id: `conversation.propertyChange`
 *   (`assignedTo` → the agent took it; `status` CLOSED → closed) and `conversation.deletion` (archived → closed).
 * A batch with malformed events still delivers the good ones; each skipped event is named.
 */
import { BadRequestError } from '../../core/errors'
import type { InboundEvent, InboundMessage, ParsedWebhook } from '../../core/types'
import { expectShape, id, parseJson, z } from '../../core/validate'
import { isRecord, isWebUrl } from '../shared'
import { readRichText } from './render'

/**
 * The webhook schemas, built on first parse, not when the adapter loads: a cold instance that only refuses a forged
 * request never pays for them (src/providers/README.md, "Loaded on first use", rule 5).
 */
const buildSchemas = () => {
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
    eventTimestamp: z.optional(z.union([z.string().check(z.maxLength(40)), z.number()])),
    channelId: optionalId(),
    channelIntegrationThreadIds: z.optional(z.array(z.string().check(z.maxLength(500)))),
    message: z.object({
      id: id(),
      direction: z.optional(z.string()),
      conversationsThreadId: optionalId(),
      channelIntegrationThreadIds: z.optional(z.array(z.string().check(z.maxLength(500)))),
      createdBy: z.optional(z.string()),
      createdAt: z.optional(z.string().check(z.maxLength(40))),
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
    occurredAt: z.optional(z.number()),
    propertyName: z.optional(z.string()),
    propertyValue: z.optional(z.union([z.string(), z.number(), z.boolean(), z.literal(null)])),
  })
  return { agentMessage, accountEvent, appEvent }
}
let built: ReturnType<typeof buildSchemas> | undefined
const schemas = () => (built ??= buildSchemas())

/** A signed URL for an attachment HubSpot sent without one; undefined when it is gone for good (404, 403). Throws RetryLaterError when it may pass. */
export type AttachmentUrlResolver = (fileId: string) => Promise<string | undefined>

export type ParseContext = {
  /** The portal the app is installed in, when known: events of other portals are skipped. */
  portalId?: string
  /** Our channel account, when known (to notice that HubSpot disabled it). */
  channelAccountId?: string
  /** The signed request time (X-HubSpot-Request-Timestamp, epoch ms), for events that carry no time of their own. */
  signedAt?: number
  /** Whether a conversation thread is one this integration opened (app webhooks are portal-wide). */
  isOurThread: (threadId: string) => Promise<boolean>
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
  const e = isRecord(raw) ? raw : {}
  const id = typeof e.eventId === 'number' || typeof e.eventId === 'string' ? ` (eventId ${clip(e.eventId, 24)})` : ''
  return `event #${index}${id}`
}

export const parseHubspotWebhook = async (body: string, ctx: ParseContext): Promise<ParsedWebhook> => {
  const json = parseJson(body)
  if (Array.isArray(json)) return parseAppEvents(json, ctx)
  if (isRecord(json) && typeof json.type === 'string') return parseDelivery({ ...json, type: json.type }, ctx)
  throw new BadRequestError('the body is neither a custom-channel delivery (an object with a type) nor an array of app webhook events')
}

// ─── app webhooks ────────────────────────────────────────────────────────────

/** Epoch ms of an event time given as epoch ms or an ISO date; undefined when it is neither. */
export const eventTime = (value: unknown): number | undefined => {
  const ms = typeof value === 'number' ? value : typeof value === 'string' ? Date.parse(value) : NaN
  return Number.isFinite(ms) && ms > 0 ? ms : undefined
}

const MAX_EVENTS = 500

const parseAppEvents = async (list: unknown[], ctx: ParseContext): Promise<ParsedWebhook> => {
  if (list.length > MAX_EVENTS) throw new BadRequestError(`${list.length} app webhook events in one request (HubSpot sends at most 100)`)
  const events: InboundEvent[] = []
  const skipped: string[] = []
  let malformed = 0
  for (const [index, raw] of list.entries()) {
    let e
    try {
      e = expectShape(schemas().appEvent, raw, describeEvent(raw, index))
    } catch (error) {
      malformed++
      skipped.push(error instanceof BadRequestError ? error.reason : String(error))
      continue
    }
    const label = `${describeEvent(raw, index)} ${clip(e.subscriptionType)}${e.propertyName ? `/${clip(e.propertyName)}` : ''}`
    if (ctx.portalId && e.portalId && e.portalId !== ctx.portalId) {
      skipped.push(`${label}: portal ${clip(e.portalId, 20)} is not the one the app is installed in`)
      continue
    }
    const session = { id: e.objectId, by: 'externalAltId' as const }
    const at = eventTime(e.occurredAt) ?? ctx.signedAt
    const value = e.propertyValue === null || e.propertyValue === undefined ? '' : String(e.propertyValue).trim()
    let event: InboundEvent | undefined
    switch (e.subscriptionType) {
      case 'conversation.propertyChange':
        if (e.propertyName === 'assignedTo') {
          const actorId = agentActorId(value)
          if (!value) skipped.push(`${label}: the thread was unassigned`)
          else if (!actorId) skipped.push(`${label}: "${clip(value, 30)}" is not a HubSpot user or actor id`)
          else event = { kind: 'agentAssigned', session, agent: { id: actorId }, ...(at ? { at } : {}) }
        } else if (e.propertyName === 'status') {
          if (['CLOSED', 'ARCHIVED'].includes(value.toUpperCase())) event = { kind: 'sessionClosed', session, ...(at ? { at } : {}) }
          else skipped.push(`${label}: status ${clip(value) || '(empty)'}`)
        } else if (e.propertyName === 'isArchived' || e.propertyName === 'archived') {
          if (value.toLowerCase() === 'true') event = { kind: 'sessionClosed', session, ...(at ? { at } : {}) }
          else skipped.push(`${label}: ${clip(value) || '(empty)'}`)
        } else {
          skipped.push(`${label}: property not used`)
        }
        break
      case 'conversation.deletion':
      case 'conversation.privacyDeletion':
        event = { kind: 'sessionClosed', session, ...(at ? { at } : {}) }
        break
      default:
        // conversation.newMessage and creation: agent replies come through the custom channel instead.
        skipped.push(`${label}: not used`)
    }
    if (!event) continue
    // HubSpot's eventId is inside the signed body: it identifies the event across the batches that carry it.
    if (e.eventId !== undefined) event = { ...event, proof: `eventId ${e.eventId}` }
    // Deleted threads cannot be looked up: those few go to the engine, which ignores sessions it did not start.
    const deletion = e.subscriptionType !== 'conversation.propertyChange'
    if (!deletion && !(await ctx.isOurThread(e.objectId))) {
      skipped.push(`${label}: thread ${clip(e.objectId, 24)} was not opened by this integration`)
      continue
    }
    events.push(event)
  }
  if (list.length > 0 && malformed === list.length) {
    throw new BadRequestError(`every app webhook event is malformed: ${skipped.slice(0, 3).join(' | ')}`)
  }
  return { events, skipped }
}

// ─── custom-channel deliveries ───────────────────────────────────────────────

const parseDelivery = async (raw: Record<string, unknown> & { type: string }, ctx: ParseContext): Promise<ParsedWebhook> => {
  switch (raw.type) {
    case 'OUTGOING_CHANNEL_MESSAGE_CREATED':
      return parseAgentMessage(raw, ctx)
    case 'CHANNEL_ACCOUNT_CREATED':
    case 'CHANNEL_ACCOUNT_UPDATED':
    case 'CHANNEL_ACCOUNT_PURGED': {
      const e = expectShape(schemas().accountEvent, raw, raw.type)
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
  const e = expectShape(schemas().agentMessage, raw, 'OUTGOING_CHANNEL_MESSAGE_CREATED')
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
  const rich = readRichText(m.richText ?? '')
  const text = (m.text ?? '').trim() || rich.text
  if (text) messages.push({ type: 'text', text })
  for (const src of rich.images) messages.push({ type: 'image', url: src })
  for (const a of (m.attachments ?? []).slice(0, 50)) {
    const type = a.type.toUpperCase()
    const name = a.name?.slice(0, 200)
    if (type === 'FILE') {
      // A URL HubSpot gives is used as is; otherwise a signed one (transient failures throw RetryLaterError: redelivery).
      const url = isWebUrl(a.url) ? a.url : a.fileId ? await ctx.resolveFileUrl(a.fileId) : undefined
      if (url && isWebUrl(url)) messages.push({ type: usageKind(a.fileUsageType, name), url, ...(name ? { title: name } : {}) })
      else messages.push({ type: 'text', text: `[Attachment${name ? `: ${name}` : ''} could not be retrieved from HubSpot]` })
    } else if (type === 'LOCATION' && typeof a.latitude === 'number' && typeof a.longitude === 'number') {
      const where = (name ?? a.address)?.slice(0, 200)
      messages.push({ type: 'text', text: `[Location${where ? `: ${where}` : ''}] https://maps.google.com/?q=${a.latitude},${a.longitude}` })
    }
  }
  if (!messages.length) return { events: [], skipped: [`message ${mid}: nothing to show`] }
  const at = eventTime(e.eventTimestamp) ?? eventTime(m.createdAt) ?? ctx.signedAt
  return { events: [{ kind: 'agentMessage', session, messageId: m.id, agent: { id: actorId }, messages, ...(at ? { at } : {}) }] }
}
