/**
 * LiveChat webhooks (v3.6): authenticity, which webhooks the integration registers, and the mapping to normalized
 * events. Shapes: platform.text.com/docs/management/webhooks (v3.6) and the Agent Chat API v3.6 data structures.
 *
 * Body: `{webhook_id, secret_key, action, organization_id, payload, additional_data}`. The only authenticity proof is
 * `secret_key`, equal to the secret given at registration: compared in constant time and never logged. A body that is
 * not JSON carries no secret, so it is refused as unauthenticated (401) rather than malformed (400).
 *
 * Sessions: a LiveChat customer has one chat whose threads are the successive hand-offs, so events name their session
 * by thread (conversation tag `externalAltId`). An event without a thread id is never mapped to the chat id (which
 * every session of that customer shares): `chat_transferred` of an archived chat carries none ("present if the chat is
 * active"), and it is dropped.
 *
 * Chats Botpress did not start: webhooks are registered with `only_my_chats` and `additional_data: chat_properties`;
 * an event whose chat properties name another app as its source (`source.client_id` / `source.customer_client_id`,
 * platform.text.com/docs/messaging/references/default-properties#source) is skipped here, so it costs Botpress nothing.
 *
 * Replays: `secret_key` is static and `user_added_to_chat` / `chat_transferred` carry no event time (Webhooks v3.6), so
 * a captured assignment could be delivered again after a later transfer. Both are therefore confirmed against the chat
 * as it is now (Agent Chat API v3.6 `get_chat`, whose `users` say who is `present`), only for chats whose properties
 * name this app (so a foreign chat still costs nothing): an agent no longer present is not reported, and one who is
 * is reported with `at` = now, which the engine orders after anything the session applied before.
 */
import { safeEqual } from '../../core/crypto'
import { BadRequestError } from '../../core/errors'
import type { Agent, InboundMessage, ParsedWebhook, SessionKey, VerifyResult, WebhookRequest } from '../../core/types'
import { expectShape, id, parseJson, z, type output } from '../../core/validate'
import { dropNulls, isRecord, isWebUrl, kindOf, requestProof, str } from '../shared'
import { maskAgentId, normalizeAvatar, richText } from './render'

export type WebhookSpec = { action: string; filters?: Record<string, unknown> }

/** The webhooks the integration needs. `incoming_chat` is the webhook of Start Chat and Resume Chat: it carries the routed agent. */
export const WEBHOOKS: readonly WebhookSpec[] = [
  { action: 'incoming_chat' },
  { action: 'incoming_event', filters: { author_type: 'agent' } },
  { action: 'user_added_to_chat' },
  { action: 'chat_transferred' },
  { action: 'chat_deactivated' },
]

/**
 * What register_webhook is given for a spec: every action above accepts `only_my_chats` and `additional_data`
 * (Configuration API v3.6 § Register Webhook, "Triggering actions").
 */
export const webhookRequest = (spec: WebhookSpec) => ({
  action: spec.action,
  filters: { ...spec.filters, only_my_chats: true },
  additional_data: ['chat_properties'],
})

/** Customer ids are UUIDs; agent ids are e-mail addresses and bot ids hex strings. */
const CUSTOMER_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

const parseBody = (body: string): unknown => {
  try {
    return JSON.parse(body)
  } catch {
    return undefined
  }
}

export const verifyWebhook = (secret: string, req: WebhookRequest): VerifyResult => {
  const body = parseBody(req.body)
  if (!isRecord(body)) return { ok: false, reason: 'the body is not a JSON object, so it carries no secret_key' }
  const received = body.secret_key
  if (typeof received !== 'string' || !received) return { ok: false, reason: 'secret_key is missing' }
  return safeEqual(received, secret) ? { ok: true } : { ok: false, reason: 'secret_key does not match livechat.webhookSecret' }
}

const envelope = z.object({
  action: z.string().check(z.minLength(1), z.maxLength(100)),
  organization_id: z.optional(z.string()),
  webhook_id: z.optional(z.string()),
  payload: z.record(z.string(), z.unknown()),
  additional_data: z.optional(z.unknown()),
})

const threadRef = { chat_id: id(), thread_id: z.optional(id()) }
const event = z.object({
  id: id(),
  type: z.string().check(z.minLength(1), z.maxLength(100)),
  author_id: z.optional(z.string()),
  created_at: z.optional(z.string()),
  visibility: z.optional(z.string()),
  deleted: z.optional(z.boolean()),
  text: z.optional(z.string()),
  url: z.optional(z.string()),
  name: z.optional(z.string()),
  content_type: z.optional(z.string()),
  alternative_text: z.optional(z.string()),
  elements: z.optional(z.array(z.unknown())),
})
const user = z.object({
  id: id(),
  type: z.optional(z.string()),
  name: z.optional(z.string()),
  avatar: z.optional(z.string()),
  visibility: z.optional(z.string()),
  present: z.optional(z.boolean()),
})
const incomingEvent = z.object({ ...threadRef, event })
const userAdded = z.object({ ...threadRef, user_type: z.optional(z.string()), reason: z.optional(z.string()), user })
const transferred = z.object({
  ...threadRef,
  reason: z.optional(z.string()),
  transferred_to: z.optional(z.object({ agent_ids: z.optional(z.array(id())), group_ids: z.optional(z.array(z.number())) })),
})
const deactivated = z.object({ ...threadRef, user_id: z.optional(z.string()) })
const incomingChat = z.object({
  chat: z.object({
    id: id(),
    users: z.optional(z.array(z.unknown())),
    properties: z.optional(z.unknown()),
    thread: z.optional(z.object({ id: id(), created_at: z.optional(z.string()) })),
  }),
})

/** An ISO time of LiveChat (`2019-12-17T07:57:41.512000Z`) as epoch ms. */
const timeOf = (value: string | undefined): number | undefined => {
  if (!value || value.length > 40) return undefined
  const at = Date.parse(value)
  return Number.isFinite(at) ? at : undefined
}

/** The chat's `source` properties: from the chat itself (incoming_chat) or the webhook's additional data. */
const sourceOf = (...candidates: unknown[]): Record<string, unknown> | undefined => {
  for (const properties of candidates) if (isRecord(properties) && isRecord(properties.source)) return properties.source
  return undefined
}

/** The agent an event names, with name and avatar when the payload has them. */
const agentOf = (u: { id: string; name?: string; avatar?: string }): Agent => {
  const agent: Agent = { id: u.id }
  const name = str(u.name)
  const pictureUrl = normalizeAvatar(u.avatar)
  if (name) agent.name = name
  if (pictureUrl) agent.pictureUrl = pictureUrl
  return agent
}

/** The agent the router gave the chat to: an agent user who is present in it (not a supervisor visible to agents only). */
const MAX_CHAT_USERS = 100

const routedAgent = (users: unknown[] | undefined): Agent | undefined => {
  for (const entry of (users ?? []).slice(0, MAX_CHAT_USERS)) {
    if (!isRecord(entry) || entry.type !== 'agent' || entry.present !== true) continue
    const parsed = z.safeParse(user, entry)
    if (!parsed.success) continue
    const u = parsed.data
    if (u.type === 'agent' && u.present === true && u.visibility !== 'agents') return agentOf(u)
  }
  return undefined
}

const session = (threadId: string): SessionKey => ({ id: threadId, by: 'externalAltId' })

/** The chat as LiveChat has it now: whether the thread is active, and the agents present in it. */
export type ChatNow = { active: boolean; agents: Agent[] }
/**
 * Reads the chat now (Agent Chat API `get_chat` for the thread). `undefined`: LiveChat refused (documented error, logged
 * by the caller); a transient failure throws RetryLaterError.
 */
export type ReadChat = (chatId: string, threadId: string) => Promise<ChatNow | undefined>

const getChatAnswer = z.object({
  thread: z.optional(z.object({ id: z.optional(z.string()), active: z.optional(z.boolean()) })),
  users: z.optional(z.array(z.unknown())),
})

/** The `get_chat` answer → the chat now: agents present and visible to the customer (not supervisors). */
export const chatNow = (answer: unknown): ChatNow => {
  const parsed = z.safeParse(getChatAnswer, isRecord(answer) ? answer : {})
  const data = parsed.success ? parsed.data : {}
  const agents: Agent[] = []
  for (const entry of (data.users ?? []).slice(0, MAX_CHAT_USERS)) {
    const u = z.safeParse(user, entry)
    if (u.success && u.data.type === 'agent' && u.data.present === true && u.data.visibility !== 'agents') agents.push(agentOf(u.data))
  }
  return { active: data.thread?.active === true, agents }
}

/** An assignment a webhook names without a time: to confirm against the chat now before it is reported. */
export type Unconfirmed = { action: string; chatId: string; threadId: string; agent: Agent; ours: boolean }

/** What the pure parse gives: the events, or an assignment still to confirm (`confirm`). */
export type Parsed = ParsedWebhook & { confirm?: Unconfirmed }

/**
 * The assignment `parsed.confirm` names, checked against the chat now: reported (at now) only when the agent is present
 * in the thread, which is still active. Asked for our own chats only (`ours`), so a foreign one costs no request.
 */
export const confirmAssignment = async (parsed: Parsed, readChat: ReadChat): Promise<ParsedWebhook> => {
  const c = parsed.confirm
  if (!c) return parsed
  const skip = (note: string): ParsedWebhook => ({ events: [], skipped: [`${c.action}: ${note}`], proof: parsed.proof })
  if (!c.ours) return skip('the chat properties do not say the chat is a Botpress hand-off, so the assignment cannot be confirmed')
  const now = await readChat(c.chatId, c.threadId)
  if (!now) return skip('LiveChat refused to describe the chat, so the assignment cannot be confirmed')
  if (!now.active) return skip('the thread is no longer active')
  if (!now.agents.some((a) => a.id === c.agent.id)) return skip(`agent ${maskAgentId(c.agent.id.slice(0, 200))} is not in the chat now (a replay, or they already left)`)
  return { events: [{ kind: 'agentAssigned', session: session(c.threadId), agent: c.agent, at: Date.now() }], proof: parsed.proof }
}

/** A verified webhook → events. Its proof is a static secret inside the body: only an identical body replays it. */
export const parseWebhook = (req: WebhookRequest, config: { organizationId: string; clientId: string }): Parsed => ({
  ...parseAction(req, config),
  proof: requestProof(req.body),
})

const parseAction = (req: WebhookRequest, config: { organizationId: string; clientId: string }): Parsed => {
  const body = dropNulls(parseJson(req.body))
  const hook = expectShape(envelope, body, 'the LiveChat webhook')
  const skip = (note: string): ParsedWebhook => ({ events: [], skipped: [note] })
  if (hook.organization_id && config.organizationId && hook.organization_id.toLowerCase() !== config.organizationId.trim().toLowerCase()) {
    return skip(`${hook.action} of another organization`)
  }
  const additional = isRecord(hook.additional_data) ? hook.additional_data : {}
  const chat = hook.action === 'incoming_chat' && isRecord(hook.payload.chat) ? hook.payload.chat : {}
  const source = sourceOf(chat.properties, additional.chat_properties)
  if (source && source.client_id !== config.clientId && source.customer_client_id !== config.clientId) {
    return skip(`${hook.action} of a chat another app started (not a Botpress hand-off)`)
  }
  const ours = !!source && !!config.clientId

  switch (hook.action) {
    case 'incoming_chat': {
      const p = expectShape(incomingChat, hook.payload, 'incoming_chat payload')
      if (!p.chat.thread) return skip('incoming_chat without a thread')
      const agent = routedAgent(p.chat.users)
      if (!agent) return skip('incoming_chat: no agent is in the chat yet (queued or waiting for routing)')
      const at = timeOf(p.chat.thread.created_at)
      return { events: [{ kind: 'agentAssigned', session: session(p.chat.thread.id), agent, ...(at !== undefined ? { at } : {}) }] }
    }
    case 'incoming_event':
      return agentMessage(expectShape(incomingEvent, hook.payload, 'incoming_event payload'))
    case 'user_added_to_chat': {
      const p = expectShape(userAdded, hook.payload, 'user_added_to_chat payload')
      const type = p.user_type ?? p.user.type
      if (type !== 'agent') return skip(`user_added_to_chat of a ${type ?? 'user of unknown type'}, not an agent`)
      if (p.user.visibility === 'agents') return skip('user_added_to_chat of an agent visible to agents only (a supervisor), not the assignee')
      if (p.user.present === false) return skip('user_added_to_chat of an agent who writes without joining (present: false), not an assignment')
      if (!p.thread_id) return skip('user_added_to_chat without a thread (the chat is not active)')
      return { events: [], confirm: { action: hook.action, chatId: p.chat_id, threadId: p.thread_id, agent: agentOf(p.user), ours } }
    }
    case 'chat_transferred': {
      const p = expectShape(transferred, hook.payload, 'chat_transferred payload')
      // Webhooks v3.6: thread_id is "present if the chat is active". An archived chat has no session to assign.
      if (!p.thread_id) return skip('chat_transferred of an archived chat (no thread_id): no session to assign')
      const agentId = p.transferred_to?.agent_ids?.[0]
      if (!agentId) {
        const groups = p.transferred_to?.group_ids?.slice(0, 5)
        return skip(`chat_transferred to ${groups?.length ? `group ${groups.join(', ')}` : 'nobody in particular'}: no agent yet`)
      }
      // Named by id only: the core asks describeAgent for the name and avatar when it does not know them.
      return { events: [], confirm: { action: hook.action, chatId: p.chat_id, threadId: p.thread_id, agent: { id: agentId }, ours } }
    }
    case 'chat_deactivated': {
      const p = expectShape(deactivated, hook.payload, 'chat_deactivated payload')
      if (!p.thread_id) return skip('chat_deactivated without a thread id')
      return { events: [{ kind: 'sessionClosed', session: session(p.thread_id) }] }
    }
    default:
      return skip(`action ${hook.action} is not used by the integration`)
  }
}

const agentMessage = (p: { chat_id: string; thread_id?: string; event: output<typeof event> }): ParsedWebhook => {
  const e = p.event
  const what = `incoming_event ${e.id.slice(0, 100)} (${e.type})`
  const skip = (note: string): ParsedWebhook => ({ events: [], skipped: [`${what}: ${note}`] })
  if (e.visibility === 'agents') return skip('an internal note (visibility "agents") is never shown to the user')
  if (e.deleted) return skip('deleted')
  if (e.type === 'system_message' || e.type === 'system') return skip("system events are LiveChat's own notices")
  if (!['message', 'file', 'rich_message'].includes(e.type)) return skip('not a message or a file')
  if (!e.author_id) throw new BadRequestError(`incoming_event payload is malformed: event.author_id is missing for a ${e.type} event`)
  if (CUSTOMER_ID.test(e.author_id)) return skip('written by the customer (our own message echoed back)')
  if (!p.thread_id) return skip(`no thread id (agent ${maskAgentId(e.author_id.slice(0, 200))})`)
  let messages: InboundMessage[]
  if (e.type === 'message') {
    if (e.text === undefined) throw new BadRequestError('incoming_event payload is malformed: event.text is missing for a message event')
    if (!e.text.trim()) return skip('empty text')
    messages = [{ type: 'text', text: e.text }]
  } else if (e.type === 'file') {
    if (!isWebUrl(e.url)) throw new BadRequestError('incoming_event payload is malformed: event.url must be an http(s) URL for a file event')
    const title = str(e.name) ?? str(e.alternative_text)
    messages = [{ type: kindOf(e.content_type, e.name), url: e.url, ...(title ? { title } : {}) }]
  } else {
    const text = richText(e.elements)
    if (!text) return skip('a rich message without readable content')
    messages = [{ type: 'text', text }]
  }
  const at = timeOf(e.created_at)
  return {
    events: [{ kind: 'agentMessage', session: session(p.thread_id), messageId: e.id, agent: { id: e.author_id }, messages, ...(at !== undefined ? { at } : {}) }],
  }
}
