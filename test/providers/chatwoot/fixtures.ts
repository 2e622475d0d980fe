/**
 * Webhook payloads as Chatwoot sends them, built from the documented shapes (markers as in spec/README.md and the
 * team's spec README: [CW] = path in chatwoot/chatwoot, [DOCS] = path in chatwoot/docs), and the request around them
 * (headers, signature). Used by the fake and by the unit tests.
 */
import { createHmac, randomUUID } from 'node:crypto'
import type { WebhookRequest } from '../../../src/core/types'

export type UserJson = { id: number; name: string; email: string; avatar_url?: string }
export type ContactJson = { id: number; name: string; email?: string; phone_number?: string; identifier?: string; thumbnail?: string }
export type AttachmentJson = {
  id: number
  message_id: number
  file_type: string
  account_id: number
  extension: string | null
  data_url: string
  thumb_url: string
  file_size: number
  width: number | null
  height: number | null
}
/** What the fixtures need of a conversation. */
export type ConversationState = {
  displayId: number
  tableId: number
  accountId: number
  inboxId: number
  contact: ContactJson
  sourceId: string
  status: string
  priority: string | null
  assignee: UserJson | null
  teamId: number | null
  createdAt: number
  updatedAt: number
  /** The last chat message (not private, not activity), as `push_event_data`, if any. */
  lastChat?: Record<string, unknown>
}

/** Contact `push_event_data` ([CW] app/models/contact.rb). */
export const contactPush = (c: ContactJson) => ({
  additional_attributes: {},
  custom_attributes: {},
  email: c.email ?? null,
  id: c.id,
  identifier: c.identifier ?? null,
  name: c.name,
  phone_number: c.phone_number ?? null,
  thumbnail: c.thumbnail ?? '',
  type: 'contact',
})

/** User `push_event_data` ([CW] app/models/user.rb): what `meta.assignee` carries. */
export const userPush = (u: UserJson) => ({
  id: u.id,
  name: u.name,
  available_name: u.name,
  avatar_url: u.avatar_url ?? '',
  type: 'user',
  availability_status: 'online',
  thumbnail: u.avatar_url ?? '',
})

/** User `webhook_data` ([CW] app/models/user.rb): the `sender` of a message_created. */
export const userWebhook = (u: UserJson) => ({ id: u.id, name: u.name, email: u.email, type: 'user', ...(u.avatar_url ? { avatar_url: u.avatar_url } : {}) })

/**
 * Conversation `webhook_data`: `push_data` of [CW] app/presenters/conversations/event_data_presenter.rb, whose `id` is
 * the display id ([DOCS] docs/product/others/webhook-events.md "the ID you see in the dashboard"). `tableIdVariant`:
 * the variant of [CW] app/models/concerns/push_data_helper.rb that puts the table id in `id` instead.
 */
export const conversationWebhook = (c: ConversationState, opts: { tableIdVariant?: boolean } = {}) => ({
  additional_attributes: {},
  can_reply: true,
  channel: 'Channel::Api',
  contact_inbox: { id: c.tableId + 1000, contact_id: c.contact.id, inbox_id: c.inboxId, source_id: c.sourceId, hmac_verified: false, pubsub_token: 'pst_fake' },
  id: opts.tableIdVariant ? c.tableId : c.displayId,
  inbox_id: c.inboxId,
  messages: c.lastChat ? [c.lastChat] : [],
  labels: [],
  meta: {
    sender: contactPush(c.contact),
    assignee: c.assignee ? userPush(c.assignee) : null,
    ...(c.assignee ? { assignee_type: 'User' } : {}),
    team: c.teamId ? { id: c.teamId, name: 'team' } : null,
    hmac_verified: false,
  },
  status: c.status,
  custom_attributes: {},
  snoozed_until: null,
  unread_count: 0,
  first_reply_created_at: null,
  priority: c.priority,
  waiting_since: 0,
  agent_last_seen_at: 0,
  contact_last_seen_at: 0,
  last_activity_at: Math.floor(c.updatedAt),
  timestamp: Math.floor(c.updatedAt),
  created_at: c.createdAt,
  updated_at: c.updatedAt,
  account_id: c.accountId,
})

export type MessageFields = {
  id: number | string
  content: string | null
  messageType: 'incoming' | 'outgoing' | 'template'
  private: boolean
  sender: Record<string, unknown> | null
  createdAt: Date
  attachments?: AttachmentJson[]
}

/**
 * message_created: message `webhook_data` at top level + `event` ([CW] app/models/message.rb `webhook_data`,
 * app/listeners/webhook_listener.rb): `message_type` is a string, `created_at` a date-time string, `attachments` only
 * when there are some.
 */
export const messageCreated = (m: MessageFields, c: ConversationState, opts: { tableIdVariant?: boolean } = {}) => ({
  account: { id: c.accountId, name: 'Acme Support' },
  additional_attributes: {},
  content_attributes: {},
  content_type: 'text',
  content: m.content,
  conversation: conversationWebhook(c, opts),
  created_at: m.createdAt.toISOString(),
  id: m.id,
  inbox: { id: c.inboxId, name: 'Botpress' },
  message_type: m.messageType,
  private: m.private,
  sender: m.sender,
  source_id: null,
  ...(m.attachments?.length ? { attachments: m.attachments } : {}),
  event: 'message_created',
})

/** conversation_updated / conversation_status_changed: conversation `webhook_data` + `changed_attributes` ([CW] base_listener.rb). */
export const conversationChanged = (
  event: 'conversation_updated' | 'conversation_status_changed',
  c: ConversationState,
  changes: Record<string, { previous_value: unknown; current_value: unknown }>,
  opts: { tableIdVariant?: boolean } = {}
) => ({
  ...conversationWebhook(c, opts),
  event,
  changed_attributes: Object.entries(changes).map(([key, change]) => ({ [key]: change })),
})

/** `X-Chatwoot-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>` ([DOCS] api-reference/webhook-verification.mdx). */
export const signatureOf = (secret: string, timestamp: string, body: string) =>
  `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`

/**
 * The POST Chatwoot makes to a webhook URL: JSON body; on signing versions X-Chatwoot-Timestamp (Unix seconds),
 * X-Chatwoot-Signature and X-Chatwoot-Delivery ([DOCS] api-reference/webhook-verification.mdx; PR chatwoot#13573).
 */
export const delivery = (url: string, payload: unknown, secret: string | undefined, nowMs = Date.now()): WebhookRequest => {
  const body = JSON.stringify(payload)
  const target = new URL(url)
  const timestamp = String(Math.floor(nowMs / 1000))
  return {
    method: 'POST',
    path: target.pathname,
    query: target.search.replace(/^\?/, ''),
    headers: {
      'content-type': 'application/json',
      'user-agent': 'rest-client/2.1.0 (linux x86_64) ruby/3.3.3p89',
      ...(secret
        ? { 'x-chatwoot-timestamp': timestamp, 'x-chatwoot-signature': signatureOf(secret, timestamp, body), 'x-chatwoot-delivery': randomUUID() }
        : {}),
    },
    body,
  }
}
