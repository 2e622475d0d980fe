/**
 * Intercom webhooks: authenticity (X-Hub-Signature) and the notification → normalized events mapping.
 *
 * Body: `{type: 'notification_event', id, topic, app_id, data: {type: 'notification_event_data', item: <conversation>}}`.
 * The conversation's new parts are in `item.conversation_parts.conversation_parts[]`. Delivery is at least once: every
 * agent message is keyed by its part id, so the core dedupes replays.
 */
import { hmac, header, safeEqual } from '../../core/crypto'
import { BadRequestError } from '../../core/errors'
import type { Agent, InboundEvent, InboundMessage, ParsedWebhook, VerifyResult, WebhookRequest } from '../../core/types'
import { expectShape, id, parseJson, z } from '../../core/validate'
import { htmlToSegments } from './html'

export const SIGNATURE_HEADER = 'x-hub-signature'

export const TOPICS = {
  replied: 'conversation.admin.replied',
  assigned: 'conversation.admin.assigned',
  closed: 'conversation.admin.closed',
} as const

/** `sha1=<hex HMAC-SHA1(client secret, raw body)>`, as Intercom signs its notifications. */
export const signature = (clientSecret: string, body: string) => `sha1=${hmac('sha1', clientSecret, body)}`

export const verifySignature = (clientSecret: string, req: WebhookRequest): VerifyResult => {
  const received = header(req.headers, SIGNATURE_HEADER)?.trim()
  if (!received) return { ok: false, reason: 'missing X-Hub-Signature header' }
  // Hex digests are case-insensitive; the comparison itself is constant time and never throws on a length mismatch.
  return safeEqual(received.toLowerCase(), signature(clientSecret, req.body)) ? { ok: true } : { ok: false, reason: 'X-Hub-Signature mismatch' }
}

/**
 * Intercom sends `null` for absent values. Nulls are dropped from objects before validation so that the schemas say
 * "optional" and a real error names the exact field (a union with null would only say "invalid input" at its parent).
 */
const dropNulls = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(dropNulls)
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null).map(([k, v]) => [k, dropNulls(v)]))
  }
  return value
}

const author = z.object({
  type: z.string(),
  id: z.optional(id()),
  name: z.optional(z.string()),
})
const attachment = z.object({
  url: z.string().check(z.minLength(1)),
  name: z.optional(z.string()),
  content_type: z.optional(z.string()),
})
const part = z.object({
  id: id(),
  part_type: z.string(),
  body: z.optional(z.string()),
  author: z.optional(author),
  attachments: z.optional(z.array(attachment)),
  assigned_to: z.optional(z.object({ type: z.optional(z.string()), id: z.optional(id()) })),
  redacted: z.optional(z.boolean()),
  created_at: z.optional(z.number()),
})
const conversation = z.object({
  id: id(),
  admin_assignee_id: z.optional(id()),
  conversation_parts: z.optional(z.object({ conversation_parts: z.optional(z.array(part)) })),
})
const envelope = z.object({
  type: z.optional(z.string()),
  topic: z.string().check(z.minLength(1)),
  id: z.optional(id()),
  data: z.optional(z.object({ item: z.optional(z.record(z.string(), z.unknown())) })),
})

type Part = {
  id: string
  part_type: string
  body?: string
  author?: { type: string; id?: string; name?: string }
  attachments?: Array<{ url: string; name?: string; content_type?: string }>
  assigned_to?: { type?: string; id?: string }
  redacted?: boolean
  created_at?: number
}

/** Parts in the order they happened (Intercom lists them chronologically; the sort is stable for equal times). */
const chronological = (parts: Part[]) =>
  parts
    .map((p, i) => ({ p, i }))
    .sort((a, b) => (a.p.created_at ?? 0) - (b.p.created_at ?? 0) || a.i - b.i)
    .map(({ p }) => p)

const fileName = (url: string) => {
  try {
    const last = new URL(url).pathname.split('/').filter(Boolean).pop()
    return last ? decodeURIComponent(last) : undefined
  } catch {
    return undefined
  }
}

const mediaKind = (contentType: string | null | undefined, url: string): 'image' | 'audio' | 'video' | 'file' => {
  const type = (contentType ?? '').toLowerCase()
  if (type.startsWith('image/')) return 'image'
  if (type.startsWith('audio/')) return 'audio'
  if (type.startsWith('video/')) return 'video'
  if (!type) {
    const ext = /\.([a-z0-9]{2,5})$/i.exec(fileName(url) ?? '')?.[1]?.toLowerCase()
    if (ext && ['png', 'jpg', 'jpeg', 'gif', 'webp', 'bmp', 'svg'].includes(ext)) return 'image'
    if (ext && ['mp3', 'wav', 'ogg', 'oga', 'm4a', 'aac', 'flac'].includes(ext)) return 'audio'
    if (ext && ['mp4', 'mov', 'webm', 'mkv', 'avi', 'm4v'].includes(ext)) return 'video'
  }
  return 'file'
}

/** One agent part → the messages the end user sees: text and inline images in order, then the attachments. */
export const partMessages = (p: Pick<Part, 'body' | 'attachments'>): InboundMessage[] => {
  const messages: InboundMessage[] = []
  for (const segment of htmlToSegments(p.body ?? '')) {
    messages.push(segment.type === 'text' ? segment : { type: 'image', url: segment.url, ...(segment.title ? { title: segment.title } : {}) })
  }
  for (const a of p.attachments ?? []) {
    if (!/^https?:\/\//i.test(a.url)) continue
    const title = a.name?.trim() || fileName(a.url)
    messages.push({ type: mediaKind(a.content_type, a.url), url: a.url, ...(title ? { title } : {}) })
  }
  return messages
}

const isNote = (p: Part) => /note/i.test(p.part_type)
const byAdmin = (p: Part) => p.author?.type === 'admin' && !!p.author.id
const agentOf = (p: Part): Agent => ({ id: p.author!.id!, ...(p.author?.name?.trim() ? { name: p.author.name.trim() } : {}) })

/** An admin id that means "nobody": null, empty, 0 (Intercom 2.16 uses 0 for unassigned). */
const realAdminId = (value: string | null | undefined) => (value && value !== '0' && value !== 'null' ? value : undefined)

const ASSIGNMENT = /assign/i

export const parseNotification = (req: WebhookRequest): ParsedWebhook => {
  const body = expectShape(envelope, dropNulls(parseJson(req.body)), 'the Intercom notification')
  const topic = body.topic
  if (topic === 'ping') return { events: [], skipped: ['ping notification (webhook URL check)'] }
  if (!(Object.values(TOPICS) as string[]).includes(topic)) {
    return { events: [], skipped: [`topic ${topic} (subscribe only to ${Object.values(TOPICS).join(', ')})`] }
  }
  if (!body.data?.item) throw new BadRequestError(`the Intercom notification "${topic}" has no data.item`)
  const item = expectShape(conversation, body.data.item, `data.item of "${topic}"`)
  const session = { id: item.id }
  const parts = chronological((item.conversation_parts?.conversation_parts ?? []) as Part[])
  const events: InboundEvent[] = []
  const skipped: string[] = []

  const agentMessages = (accept: (p: Part) => boolean) => {
    for (const p of parts) {
      if (!accept(p)) continue
      if (isNote(p)) {
        skipped.push(`internal note ${p.id}`)
        continue
      }
      if (!byAdmin(p)) {
        skipped.push(`part ${p.id} written by ${p.author?.type ?? 'nobody'}`)
        continue
      }
      if (p.redacted) {
        skipped.push(`redacted part ${p.id}`)
        continue
      }
      const messages = partMessages(p)
      if (messages.length === 0) {
        skipped.push(`empty part ${p.id}`)
        continue
      }
      events.push({ kind: 'agentMessage', session, messageId: p.id, agent: agentOf(p), messages })
    }
  }

  switch (topic) {
    case TOPICS.replied: {
      agentMessages((p) => p.part_type === 'comment' || isNote(p))
      for (const p of parts) if (p.part_type !== 'comment' && !isNote(p)) skipped.push(`${p.part_type} part ${p.id}`)
      if (parts.length === 0) skipped.push(`${topic} without conversation parts`)
      break
    }
    case TOPICS.assigned: {
      const assignment = [...parts].reverse().find((p) => ASSIGNMENT.test(p.part_type) && p.assigned_to)
      let assignee: string | undefined
      if (assignment?.assigned_to) {
        // The part names whom the conversation went to; a team or "nobody" leaves no admin to announce.
        assignee = assignment.assigned_to.type === 'admin' ? realAdminId(assignment.assigned_to.id) : undefined
      } else {
        assignee = realAdminId(item.admin_assignee_id)
      }
      if (!assignee) {
        skipped.push(`conversation ${item.id} unassigned from any admin`)
        break
      }
      // The author of the assignment part is whoever assigned it; their name only helps when they took it themselves.
      const selfAssigned = assignment?.author?.type === 'admin' && assignment.author.id === assignee && assignment.author.name?.trim()
      events.push({ kind: 'agentAssigned', session, agent: { id: assignee, ...(selfAssigned ? { name: assignment!.author!.name!.trim() } : {}) } })
      break
    }
    case TOPICS.closed: {
      // Closing with a message: the end user sees that message, so it is delivered before the session ends.
      agentMessages((p) => p.part_type === 'close' && !!(p.body?.trim() || p.attachments?.length))
      events.push({ kind: 'sessionClosed', session })
      break
    }
  }
  return { events, skipped }
}
