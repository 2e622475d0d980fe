/**
 * Intercom webhooks: authenticity (X-Hub-Signature) and the notification → normalized events mapping.
 *
 * Body: `{type: 'notification_event', id, topic, app_id, created_at, data: {type: 'notification_event_data', item:
 * <conversation>}}`. The conversation's new parts are in `item.conversation_parts.conversation_parts[]`. Delivery is
 * at least once, and one part may come under two topics (a reply that also assigns the conversation is sent under
 * both `conversation.admin.replied` and `conversation.admin.assigned`, same part id, different notification ids):
 * every agent message is keyed by its part id, so the core creates it once.
 *
 * A Developer Hub app receives the notifications of every workspace that installed it, and part ids are not unique
 * across workspaces: a notification whose `app_id` is not the token's workspace is ignored.
 */
import { hmac, header, safeEqual } from '../../core/crypto'
import { BadRequestError, errorMessage, RetryLaterError } from '../../core/errors'
import type { Agent, InboundEvent, InboundMessage, ParsedWebhook, SessionKey, VerifyResult, WebhookRequest } from '../../core/types'
import { expectShape, id, parseJson, z } from '../../core/validate'
import { dropNulls, isWebUrl, kindOf, requestProof, str, urlBaseName } from '../shared'
import { htmlToSegments, looksLikeHtml, MAX_HTML_CHARS } from './html'

export const SIGNATURE_HEADER = 'x-hub-signature'

export const TOPICS = {
  replied: 'conversation.admin.replied',
  assigned: 'conversation.admin.assigned',
  closed: 'conversation.admin.closed',
} as const

const HANDLED: readonly string[] = Object.values(TOPICS)

/** `sha1=<hex HMAC-SHA1(client secret, raw body)>`, as Intercom signs its notifications. */
export const signature = (clientSecret: string, body: string) => `sha1=${hmac('sha1', clientSecret, body)}`

export const verifyWebhook = (clientSecret: string, req: WebhookRequest): VerifyResult => {
  const received = header(req.headers, SIGNATURE_HEADER)?.trim()
  if (!received) return { ok: false, reason: 'missing X-Hub-Signature header' }
  // Hex digests are case-insensitive; the comparison itself is constant time and never throws on a length mismatch.
  return safeEqual(received.toLowerCase(), signature(clientSecret, req.body)) ? { ok: true } : { ok: false, reason: 'X-Hub-Signature mismatch' }
}

const author = z.object({ type: z.string(), id: z.optional(id()), name: z.optional(z.string()) })
const attachment = z.object({ url: z.string().check(z.minLength(1)), name: z.optional(z.string()), content_type: z.optional(z.string()) })
const quickReplyOption = z.object({ text: z.optional(z.string()) })
const part = z.object({
  id: id(),
  part_type: z.string(),
  body: z.optional(z.string()),
  author: z.optional(author),
  attachments: z.optional(z.array(attachment)),
  assigned_to: z.optional(z.object({ type: z.optional(z.string()), id: z.optional(id()) })),
  redacted: z.optional(z.boolean()),
  created_at: z.optional(z.number()),
  metadata: z.optional(z.object({ quick_reply_options: z.optional(z.array(quickReplyOption)) })),
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
  app_id: z.optional(z.string()),
  created_at: z.optional(z.number()),
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
  metadata?: { quick_reply_options?: Array<{ text?: string }> }
}

/** Parts in the order they happened (Intercom lists them chronologically; the sort is stable for equal times). */
const chronological = (parts: Part[]) =>
  parts
    .map((p, i) => ({ p, i }))
    .sort((a, b) => (a.p.created_at ?? 0) - (b.p.created_at ?? 0) || a.i - b.i)
    .map(({ p }) => p)

/**
 * A part's body as the end user should read it. Webhooks of API 2.15+ send plain text, kept exactly as the agent
 * wrote it (line breaks, `<SAVE10>`, `&amp;`); older webhook versions and the REST API send HTML, converted to text
 * with its inline images.
 */
const bodyMessages = (body: string | undefined): InboundMessage[] => {
  if (!body?.trim()) return []
  if (!looksLikeHtml(body)) {
    const text = body.replace(/\r\n?/g, '\n').slice(0, MAX_HTML_CHARS).trim()
    return text ? [{ type: 'text', text }] : []
  }
  return htmlToSegments(body).map((s) => (s.type === 'text' ? s : { type: 'image', url: s.url, ...(s.title ? { title: s.title } : {}) }))
}

/** One agent part → the messages the end user sees: text and inline images in order (quick replies with their options), then the attachments. */
export const partMessages = (p: Pick<Part, 'body' | 'attachments' | 'part_type' | 'metadata'>): InboundMessage[] => {
  const messages = bodyMessages(p.body)
  const options = (p.metadata?.quick_reply_options ?? []).flatMap((o) => (str(o.text) ? [str(o.text)!] : []))
  if (options.length) {
    const list = options.map((o) => `- ${o}`).join('\n')
    const last = messages[messages.length - 1]
    if (last?.type === 'text') messages[messages.length - 1] = { type: 'text', text: `${last.text}\n${list}` }
    else messages.push({ type: 'text', text: list })
  }
  for (const a of p.attachments ?? []) {
    // Only web URLs reach a person: javascript:, data: and the like are dropped.
    if (!isWebUrl(a.url)) continue
    const title = str(a.name) ?? urlBaseName(a.url)
    messages.push({ type: kindOf(a.content_type, title ?? urlBaseName(a.url)), url: a.url, ...(title ? { title } : {}) })
  }
  return messages
}

/** Internal notes (`note`, `note_and_reopen`, …) are for teammates only. */
const isNote = (p: Part) => p.part_type.toLowerCase().includes('note')
const byAdmin = (p: Part) => p.author?.type === 'admin' && !!p.author.id
const agentOf = (p: Part): Agent => ({ id: p.author!.id!, ...(str(p.author?.name) ? { name: str(p.author?.name) } : {}) })
const secondsToMs = (seconds: number | undefined) => (seconds !== undefined && Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : undefined)

/** An admin id that means "nobody": null, empty, 0 (Intercom 2.16 uses 0 for unassigned). */
const realAdminId = (value: string | null | undefined) => (value && value !== '0' && value !== 'null' ? value : undefined)

export type ParseContext = {
  /** The token's workspace (`GET /me` → app.id_code); called only for a notification this adapter would act on. */
  workspace: () => Promise<string>
}

/** A verified notification → events; its proof is the X-Hub-Signature (HMAC of the body, no timestamp). */
export const parseWebhook = async (req: WebhookRequest, ctx: ParseContext): Promise<ParsedWebhook> => ({
  ...(await parseNotification(req, ctx)),
  proof: requestProof(req.body, header(req.headers, SIGNATURE_HEADER)),
})

const parseNotification = async (req: WebhookRequest, ctx: ParseContext): Promise<ParsedWebhook> => {
  const body = expectShape(envelope, dropNulls(parseJson(req.body)), 'the Intercom notification')
  const topic = body.topic
  if (topic === 'ping') return { events: [], skipped: ['ping notification (webhook URL check)'] }
  if (!HANDLED.includes(topic)) return { events: [], skipped: [`topic ${topic} (subscribe only to ${HANDLED.join(', ')})`] }
  if (!body.data?.item) throw new BadRequestError(`the Intercom notification "${topic}" has no data.item`)
  const item = expectShape(conversation, body.data.item, `data.item of "${topic}"`)
  const appId = str(body.app_id)
  if (!appId) throw new BadRequestError(`the Intercom notification "${topic}" has no app_id (the workspace it comes from)`)
  let workspace: string
  try {
    workspace = await ctx.workspace()
  } catch (error) {
    if (!(error instanceof RetryLaterError)) throw error
    // Not known yet and Intercom briefly unavailable: 503, so that Intercom delivers the notification again.
    return {
      events: [],
      reply: { status: 503, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ error: 'temporarily unavailable, please retry' }) },
      skipped: [`${topic}: ${errorMessage(error)}`],
    }
  }
  if (appId !== workspace) return { events: [], skipped: [`notification of another workspace (${appId.slice(0, 40)})`] }

  const session: SessionKey = { id: item.id }
  const notifiedAt = secondsToMs(body.created_at)
  const parts = chronological((item.conversation_parts?.conversation_parts ?? []) as Part[])
  const events: InboundEvent[] = []
  const skipped: string[] = []
  const at = (p?: Part) => secondsToMs(p?.created_at) ?? notifiedAt
  const withAt = <E extends InboundEvent>(event: E, when: number | undefined): E => (when ? { ...event, at: when } : event)

  /** Every admin-authored public part with something to show, whatever its part_type; notes never. */
  const agentMessages = () => {
    for (const p of parts) {
      if (isNote(p)) skipped.push(`internal note ${p.id}`)
      else if (!byAdmin(p)) skipped.push(`part ${p.id} written by ${p.author?.type ?? 'nobody'}`)
      else if (p.redacted) skipped.push(`redacted part ${p.id}`)
      else {
        const messages = partMessages(p)
        if (messages.length) events.push(withAt({ kind: 'agentMessage', session, messageId: p.id, agent: agentOf(p), messages }, at(p)))
        else if (p.part_type === 'comment' || p.part_type === 'quick_reply') skipped.push(`empty part ${p.id}`)
      }
    }
  }

  switch (topic) {
    case TOPICS.replied: {
      if (parts.length === 0) skipped.push(`${topic} without conversation parts`)
      agentMessages()
      break
    }
    case TOPICS.assigned: {
      const assignment = [...parts].reverse().find((p) => p.part_type.toLowerCase().includes('assign') && p.assigned_to)
      // The part names whom the conversation went to; a team or "nobody" leaves no admin to announce.
      const assignee = assignment?.assigned_to
        ? assignment.assigned_to.type === 'admin'
          ? realAdminId(assignment.assigned_to.id)
          : undefined
        : realAdminId(item.admin_assignee_id)
      if (assignee) {
        // The author of the assignment part is whoever assigned it; their name only helps when they took it themselves.
        const self = assignment?.author?.type === 'admin' && assignment.author.id === assignee ? str(assignment.author.name) : undefined
        events.push(withAt({ kind: 'agentAssigned', session, agent: { id: assignee, ...(self ? { name: self } : {}) } }, at(assignment)))
      } else skipped.push(`conversation ${item.id} unassigned from any admin`)
      // "Reply and assign": the reply is in the assignment part; the same part under conversation.admin.replied is
      // the same message (same part id), created once.
      agentMessages()
      break
    }
    case TOPICS.closed: {
      // Closing with a message: the end user sees that message, so it is delivered before the session ends.
      agentMessages()
      const close = [...parts].reverse().find((p) => p.part_type === 'close')
      events.push(withAt({ kind: 'sessionClosed', session }, at(close)))
      break
    }
  }
  return { events, skipped }
}
