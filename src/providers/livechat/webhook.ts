/**
 * LiveChat webhooks (v3.6): authenticity and the mapping to normalized events.
 *
 * Body: `{webhook_id, secret_key, action, organization_id, payload, additional_data}`. The only authenticity proof is
 * `secret_key`, equal to the secret given at registration: compared in constant time and never logged. A body that is
 * not JSON carries no secret, so it is refused as unauthenticated (401) rather than malformed (400): nothing of an
 * unauthenticated request is looked at further.
 *
 * Sessions: a LiveChat customer has one chat whose threads are the successive hand-offs, so events name their session
 * by thread (conversation tag `externalAltId`) and fall back to the chat id (`externalId`) when a payload has no thread.
 * Delivery is at least once (about 3 retries a minute): an agent message is keyed by its event id, so replays dedupe.
 */
import { safeEqual } from '../../core/crypto'
import { BadRequestError } from '../../core/errors'
import type { Agent, InboundEvent, InboundMessage, ParsedWebhook, SessionKey, VerifyResult, WebhookRequest } from '../../core/types'
import { expectShape, id, parseJson, z } from '../../core/validate'
import { kindOf, normalizeAvatar } from './text'

/** The webhooks the integration needs, and how `register` creates them. */
export const WEBHOOKS = [
  { action: 'incoming_event', filters: { author_type: 'agent' } },
  { action: 'user_added_to_chat' },
  { action: 'chat_transferred' },
  { action: 'chat_deactivated' },
] as const satisfies ReadonlyArray<{ action: string; filters?: Record<string, unknown> }>

/** Customer ids are UUIDs; agent ids are e-mail addresses and bot ids hex strings. */
const CUSTOMER_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

const parseBody = (body: string): unknown => {
  try {
    return JSON.parse(body)
  } catch {
    return undefined
  }
}

export const verifySecret = (secret: string, req: WebhookRequest): VerifyResult => {
  const body = parseBody(req.body)
  if (!body || typeof body !== 'object' || Array.isArray(body)) return { ok: false, reason: 'the body is not a JSON object, so it carries no secret_key' }
  const received = (body as { secret_key?: unknown }).secret_key
  if (typeof received !== 'string' || !received) return { ok: false, reason: 'secret_key is missing' }
  return safeEqual(received, secret) ? { ok: true } : { ok: false, reason: 'secret_key does not match livechat.webhookSecret' }
}

const dropNulls = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(dropNulls)
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null).map(([k, v]) => [k, dropNulls(v)]))
  }
  return value
}

const envelope = z.object({
  action: z.string().check(z.minLength(1)),
  organization_id: z.optional(z.string()),
  webhook_id: z.optional(z.string()),
  payload: z.record(z.string(), z.unknown()),
})

const event = z.object({
  id: id(),
  type: z.string().check(z.minLength(1)),
  author_id: z.optional(z.string()),
  visibility: z.optional(z.string()),
  deleted: z.optional(z.boolean()),
  text: z.optional(z.string()),
  url: z.optional(z.string()),
  name: z.optional(z.string()),
  content_type: z.optional(z.string()),
  alternative_text: z.optional(z.string()),
  elements: z.optional(z.array(z.unknown())),
})
const incomingEvent = z.object({ chat_id: id(), thread_id: z.optional(id()), event })
const userAdded = z.object({
  chat_id: id(),
  thread_id: z.optional(id()),
  user_type: z.optional(z.string()),
  reason: z.optional(z.string()),
  user: z.object({
    id: id(),
    type: z.optional(z.string()),
    name: z.optional(z.string()),
    avatar: z.optional(z.string()),
    visibility: z.optional(z.string()),
  }),
})
const transferred = z.object({
  chat_id: id(),
  thread_id: z.optional(id()),
  reason: z.optional(z.string()),
  transferred_to: z.optional(z.object({ agent_ids: z.optional(z.array(id())), group_ids: z.optional(z.array(z.number())) })),
})
const deactivated = z.object({ chat_id: id(), thread_id: z.optional(id()), user_id: z.optional(z.string()) })

const sessionOf = (p: { chat_id: string; thread_id?: string }): SessionKey =>
  p.thread_id ? { id: p.thread_id, by: 'externalAltId' } : { id: p.chat_id }

const str = (v: unknown) => (typeof v === 'string' && v.trim() ? v.trim() : undefined)

/** A rich message (cards with buttons, quick replies) as readable text: titles, subtitles and button labels. */
const richText = (elements: unknown[] | undefined): string | undefined => {
  const lines: string[] = []
  for (const element of elements ?? []) {
    const e = (element ?? {}) as Record<string, unknown>
    const head = [str(e.title), str(e.subtitle)].filter(Boolean).join(' — ')
    if (head) lines.push(head)
    const image = (e.image ?? {}) as Record<string, unknown>
    if (str(image.url)) lines.push(str(image.url)!)
    const buttons = (Array.isArray(e.buttons) ? e.buttons : []).map((b) => str((b as Record<string, unknown>)?.text)).filter(Boolean)
    if (buttons.length) lines.push(buttons.map((b, i) => `${i + 1}. ${b}`).join('\n'))
  }
  return lines.length ? lines.join('\n') : undefined
}

const isWebUrl = (url: string | undefined): url is string => !!url && /^https?:\/\/\S+$/i.test(url)

export const parseWebhookBody = (req: WebhookRequest, organizationId: string): ParsedWebhook => {
  const body = dropNulls(parseJson(req.body))
  const hook = expectShape(envelope, body, 'the LiveChat webhook')
  const skipped: string[] = []
  if (hook.organization_id && organizationId && hook.organization_id.toLowerCase() !== organizationId.trim().toLowerCase()) {
    return { events: [], skipped: [`${hook.action} of another organization (${hook.organization_id})`] }
  }
  const events: InboundEvent[] = []
  switch (hook.action) {
    case 'incoming_event': {
      const p = expectShape(incomingEvent, hook.payload, 'incoming_event payload')
      const e = p.event
      const what = `incoming_event ${e.id} (${e.type})`
      if (e.visibility === 'agents') {
        skipped.push(`${what}: an internal note (visibility "agents") is never shown to the user`)
        break
      }
      if (e.deleted) {
        skipped.push(`${what}: deleted`)
        break
      }
      if (e.type === 'system_message' || e.type === 'system') {
        skipped.push(`${what}: system events are LiveChat's own notices`)
        break
      }
      if (!['message', 'file', 'rich_message'].includes(e.type)) {
        skipped.push(`${what}: not a message or a file`)
        break
      }
      if (!e.author_id) throw new BadRequestError(`incoming_event payload is malformed: event.author_id is missing for a ${e.type} event`)
      if (CUSTOMER_ID.test(e.author_id)) {
        skipped.push(`${what}: written by the customer (our own message echoed back)`)
        break
      }
      let messages: InboundMessage[]
      if (e.type === 'message') {
        if (e.text === undefined) throw new BadRequestError('incoming_event payload is malformed: event.text is missing for a message event')
        if (!e.text.trim()) {
          skipped.push(`${what}: empty text`)
          break
        }
        messages = [{ type: 'text', text: e.text }]
      } else if (e.type === 'file') {
        if (!isWebUrl(e.url)) throw new BadRequestError('incoming_event payload is malformed: event.url must be an http(s) URL for a file event')
        const title = str(e.name) ?? str(e.alternative_text)
        messages = [{ type: kindOf(e.content_type, e.name), url: e.url, ...(title ? { title } : {}) }]
      } else {
        const text = richText(e.elements)
        if (!text) {
          skipped.push(`${what}: a rich message without readable content`)
          break
        }
        messages = [{ type: 'text', text }]
      }
      events.push({ kind: 'agentMessage', session: sessionOf(p), messageId: e.id, agent: { id: e.author_id }, messages })
      break
    }
    case 'user_added_to_chat': {
      const p = expectShape(userAdded, hook.payload, 'user_added_to_chat payload')
      const type = p.user_type ?? p.user.type
      if (type !== 'agent') {
        skipped.push(`user_added_to_chat of a ${type ?? 'user of unknown type'}, not an agent`)
        break
      }
      if (p.user.visibility === 'agents') {
        skipped.push('user_added_to_chat of an agent visible to agents only (a supervisor), not the assignee')
        break
      }
      const agent: Agent = { id: p.user.id }
      const name = str(p.user.name)
      const pictureUrl = normalizeAvatar(p.user.avatar)
      if (name) agent.name = name
      if (pictureUrl) agent.pictureUrl = pictureUrl
      events.push({ kind: 'agentAssigned', session: sessionOf(p), agent })
      break
    }
    case 'chat_transferred': {
      const p = expectShape(transferred, hook.payload, 'chat_transferred payload')
      const agentId = p.transferred_to?.agent_ids?.[0]
      if (!agentId) {
        skipped.push(`chat_transferred to ${p.transferred_to?.group_ids?.length ? `group ${p.transferred_to.group_ids.join(', ')}` : 'nobody in particular'}: no agent yet`)
        break
      }
      // The payload names the agent by id only: the core asks describeAgent for the name and avatar when it does not know them.
      events.push({ kind: 'agentAssigned', session: sessionOf(p), agent: { id: agentId } })
      break
    }
    case 'chat_deactivated': {
      const p = expectShape(deactivated, hook.payload, 'chat_deactivated payload')
      events.push({ kind: 'sessionClosed', session: sessionOf(p) })
      break
    }
    default:
      skipped.push(`action ${hook.action} is not used by the integration`)
  }
  return { events, ...(skipped.length ? { skipped } : {}) }
}
