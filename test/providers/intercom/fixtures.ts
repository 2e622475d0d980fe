/**
 * Intercom notifications shaped like real captured ones.
 *
 * Source of the shapes: notifications Intercom delivered to the Hull connector and kept as its test fixtures
 * (hull/hull-connectors, MIT), packages/connectors/hull-intercom/test/unit/purplefusion/fixtures/:
 * - webhook-conversation-admin-replied.js  (commit 0437f1af84cd918c5f14cf01170f1cf31b50b68b): topic
 *   conversation.admin.replied whose only part is `part_type: "open"` with a body: an admin reopening with a reply;
 * - webhook-conversation-admin-assigned.js (commit 0437f1af…): an `assignment` part, body null, assigned_to an admin;
 * - webhook-conversation-admin-noted.js    (commit 81eda387ae17eb8b88d343f4b934ec59910317c3): a `note` part;
 * - webhook-conversation-admin-closed.js   (commit cdbb01befdbffc1e76504adeb8d01fcb43a9b6ae): a `close` part, body null.
 * https://github.com/hull/hull-connectors/tree/master/packages/connectors/hull-intercom/test/unit/purplefusion/fixtures
 * The envelope (type, app_id, data.item, links, id, topic, delivery_status, delivery_attempts, delivered_at,
 * first_sent_at, created_at, self) and the parts (type, id, part_type, body, created_at, updated_at, notified_at,
 * assigned_to, author, attachments, external_id) are theirs, with their values (e-mail addresses moved to example.com,
 * and the closed capture's notification id, which the capture does not keep, made up); those captures come from an older
 * webhook API version (item with `user`, `assignee`, `conversation_message`; HTML bodies).
 *
 * The 2.15 notifications below keep the same envelope with the conversation model of API 2.15 (spec,
 * components/schemas/conversation: source, contacts, teammates, admin_assignee_id) and plain-text bodies (spec,
 * conversation_part.body: "In webhook payloads for API version 2.15+, this field returns plain text"). Quick replies
 * follow conversation_part.metadata.quick_reply_options (spec: quick_reply_option {text, uuid}); a reply that assigns
 * is one `assignment` part with a body, delivered under conversation.admin.replied and conversation.admin.assigned
 * (same part id, different notification ids), as issue 15 reports from a real workspace.
 */
import { sign } from './fake'
import type { WebhookRequest } from '../../../src/core/types'

/** The workspace of the captures (app_id "lkqcyt9t") and its conversation. */
export const CAPTURED_WORKSPACE = 'lkqcyt9t'
export const OTHER_WORKSPACE = 'q9x8w7v6'
export const CAPTURED_CONVERSATION = '137324500000000'
const ANDY = { type: 'admin', id: '3330619', name: 'Andy' }

type Json = Record<string, unknown>

/** The captured item of the older webhook version, with the given parts. */
const legacyItem = (parts: Json[], updatedAt: number): Json => ({
  type: 'conversation',
  id: CAPTURED_CONVERSATION,
  created_at: 1596634805,
  updated_at: updatedAt,
  user: { type: 'user', id: '5ee3d479d1cf3dedbee23d68', user_id: '234523452345345', name: 'Bob Dylan', email: 'bob.dylan@example.com', do_not_track: null },
  assignee: { type: 'admin', id: '3330619', name: 'Andy', email: 'andy@example.com' },
  conversation_message: {
    type: 'conversation_message',
    id: '608953158',
    url: null,
    subject: '',
    body: '<p>hi Bob</p>',
    author: { type: 'admin', id: '3330619' },
    attachments: [],
  },
  conversation_parts: { type: 'conversation_part.list', conversation_parts: parts, total_count: parts.length },
  conversation_rating: {},
  open: true,
  state: 'open',
  snoozed_until: null,
  read: false,
  metadata: {},
  tags: { type: 'tag.list', tags: [] },
  tags_added: { type: 'tag.list', tags: [] },
  links: { conversation_web: `https://app.intercom.com/a/apps/${CAPTURED_WORKSPACE}/conversations/${CAPTURED_CONVERSATION}` },
})

/** An API 2.15 conversation item with the given parts. */
const item215 = (parts: Json[], patch: Json = {}): Json => ({
  type: 'conversation',
  id: CAPTURED_CONVERSATION,
  title: null,
  created_at: 1717000000,
  updated_at: 1717000300,
  waiting_since: null,
  snoozed_until: null,
  open: true,
  state: 'open',
  read: false,
  priority: 'not_priority',
  admin_assignee_id: null,
  team_assignee_id: null,
  tags: { type: 'tag.list', tags: [] },
  source: {
    type: 'conversation',
    id: '608953158',
    delivered_as: 'customer_initiated',
    subject: '',
    body: 'Refund request',
    author: { type: 'user', id: '5ee3d479d1cf3dedbee23d68', name: 'Bob Dylan', email: 'bob.dylan@example.com' },
    attachments: [],
    redacted: false,
  },
  contacts: { type: 'contact.list', contacts: [{ type: 'contact', id: '5ee3d479d1cf3dedbee23d68' }] },
  teammates: { type: 'admin.list', admins: [] },
  custom_attributes: {},
  conversation_parts: { type: 'conversation_part.list', conversation_parts: parts, total_count: parts.length },
  ...patch,
})

const part = (fields: Json & { id: string; part_type: string; created_at: number }): Json => ({
  type: 'conversation_part',
  body: null,
  updated_at: fields.created_at,
  notified_at: fields.created_at,
  assigned_to: null,
  author: ANDY,
  attachments: [],
  external_id: null,
  redacted: false,
  ...fields,
})

const envelope = (topic: string, item: Json, id: string, createdAt: number, appId = CAPTURED_WORKSPACE): Json => ({
  type: 'notification_event',
  app_id: appId,
  data: { type: 'notification_event_data', item },
  links: {},
  id,
  topic,
  delivery_status: 'pending',
  delivery_attempts: 1,
  delivered_at: 0,
  first_sent_at: createdAt,
  created_at: createdAt,
  self: null,
})

/** The notification as Intercom posts it: raw JSON body, signed with the app's client secret. */
export const asRequest = (body: Json, secret?: string): WebhookRequest => {
  const raw = JSON.stringify(body)
  return {
    method: 'POST',
    path: '/',
    query: '',
    headers: { 'content-type': 'application/json', 'user-agent': 'intercom-parrot-service-client/1.0', 'x-hub-signature': sign(raw, secret) },
    body: raw,
  }
}

// ─── captured (older webhook version, HTML bodies) ───────────────────────────

/** webhook-conversation-admin-replied.js: the admin's reply is an `open` part with a body. */
export const capturedReplied = () =>
  envelope(
    'conversation.admin.replied',
    legacyItem([part({ id: '6073780765', part_type: 'open', body: '<p>hi Bob</p>', created_at: 1596635049 })], 1596635049),
    'notif_e94f2e3a-95e5-4419-af52-ad0ee1cc7de4',
    1596635051
  )

/** webhook-conversation-admin-assigned.js: Andy assigned the conversation to himself. */
export const capturedAssigned = () =>
  envelope(
    'conversation.admin.assigned',
    legacyItem(
      [part({ id: '6073773149', part_type: 'assignment', created_at: 1596635008, assigned_to: { type: 'admin', id: '3330619', name: 'Andy' } })],
      1596635008
    ),
    'notif_193c5c58-eec2-4bb6-88da-62c9db80a994',
    1596635010
  )

/** webhook-conversation-admin-noted.js: an internal note. */
export const capturedNoted = () =>
  envelope(
    'conversation.admin.noted',
    legacyItem([part({ id: '6073788584', part_type: 'note', body: '<p>this is a note</p>', created_at: 1596635094 })], 1596635094),
    'notif_34a83d84-960d-4825-b3c0-78bb90b207f2',
    1596635095
  )

/** webhook-conversation-admin-closed.js: closed without a message. */
export const capturedClosed = () =>
  envelope(
    'conversation.admin.closed',
    { ...legacyItem([part({ id: '6073838784', part_type: 'close', created_at: 1596635368 })], 1596635368), open: false, state: 'closed' },
    'notif_5d1b0f3c-2a6e-4c1b-9a34-1f0e8e7f6a21',
    1596635370
  )

// ─── API 2.15 webhooks (plain-text bodies) ───────────────────────────────────

/** A plain-text reply exactly as the agent typed it. */
export const PLAIN_REPLY = 'Hi Bob,\nuse the code <SAVE10> at checkout.\n\nFish &amp; chips stays as typed & so does 5 < 6.'

export const replied215 = (body = PLAIN_REPLY, partId = '7100000001') =>
  envelope(
    'conversation.admin.replied',
    item215([part({ id: partId, part_type: 'comment', body, created_at: 1717000100 })]),
    'notif_0b7c1e9e-1d0f-4b55-8f39-4a6a2b2d8c01',
    1717000101
  )

/** "Reply and assign": one assignment part with the reply's body, under both topics. */
export const replyAndAssign = () => {
  const assignment = part({
    id: '7100000002',
    part_type: 'assignment',
    body: 'I will take care of your refund.',
    created_at: 1717000200,
    assigned_to: { type: 'admin', id: '3330619' },
  })
  const item = item215([assignment], { admin_assignee_id: 3330619, teammates: { type: 'admin.list', admins: [{ type: 'admin', id: '3330619' }] } })
  return [
    envelope('conversation.admin.replied', item, 'notif_6f1d2c3b-0000-4000-8000-000000000001', 1717000201),
    envelope('conversation.admin.assigned', item, 'notif_6f1d2c3b-0000-4000-8000-000000000002', 1717000201),
  ] as const
}

/** An `open` part with a body (the agent reopens the conversation with a reply). */
export const openWithBody = () =>
  envelope(
    'conversation.admin.replied',
    item215([part({ id: '7100000003', part_type: 'open', body: 'Reopening: your parcel has arrived.', created_at: 1717000250 })]),
    'notif_6f1d2c3b-0000-4000-8000-000000000003',
    1717000251
  )

/** A quick reply: the text and the options the end user can pick from. */
export const quickReply = () =>
  envelope(
    'conversation.admin.replied',
    item215([
      part({
        id: '7100000004',
        part_type: 'quick_reply',
        body: 'Did that solve it?',
        created_at: 1717000260,
        metadata: {
          quick_reply_options: [
            { text: 'Yes, thanks', uuid: '0c5e6f9a-6b1d-4a8e-9b4c-2f1e3d4c5b6a', translations: null },
            { text: 'No', uuid: '7d2a1b3c-4e5f-4a6b-8c7d-9e0f1a2b3c4d', translations: null },
          ],
        },
      }),
    ]),
    'notif_6f1d2c3b-0000-4000-8000-000000000004',
    1717000261
  )

/** Two workspaces that installed the same app: same conversation and part ids, different app_id. */
export const workspacePair = () => {
  const item = item215([part({ id: '7100000005', part_type: 'comment', body: 'Message for a customer of workspace A', created_at: 1717000270 })])
  return [
    envelope('conversation.admin.replied', item, 'notif_6f1d2c3b-0000-4000-8000-000000000005', 1717000271, CAPTURED_WORKSPACE),
    envelope('conversation.admin.replied', item, 'notif_6f1d2c3b-0000-4000-8000-000000000006', 1717000271, OTHER_WORKSPACE),
  ] as const
}
