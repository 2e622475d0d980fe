/**
 * What the fake Chatwoot does with each valid request, operation by operation (operationIds of the spec). Answers
 * follow the server, with the source of each rule: [CW] = path in chatwoot/chatwoot, [DOCS] = path in chatwoot/docs,
 * "README" = the team's spec README (shared/specs/chatwoot/README.md).
 */
import { createHash, randomUUID } from 'node:crypto'
import { HttpResponse } from 'msw'
import { ACCOUNT_ID, ADMIN, TEAMS, type ChatwootFake, type Contact, type Conversation, type Message } from './fake'

type Body = Record<string, unknown>
const error = (status: number, message: string) => HttpResponse.json({ error: message }, { status })
const invalid = (message: string, attributes: string[] = []) => HttpResponse.json({ message, attributes }, { status: 422 })
const E164 = /^\+[1-9]\d{1,14}$/
/** [CW] app/models/webhook.rb ALLOWED_WEBHOOK_EVENTS (recent list; an unknown or empty list is refused). */
const ALLOWED_EVENTS = new Set([
  'conversation_created', 'conversation_status_changed', 'conversation_updated', 'message_created', 'message_updated',
  'contact_created', 'contact_updated', 'webwidget_triggered', 'conversation_typing_on', 'conversation_typing_off',
])
/** [CW] app/models/message.rb NUMBER_OF_PERMITTED_ATTACHMENTS. */
const MAX_ATTACHMENTS = 15

const inboxJson = (i: { id: number; name: string; channel_type: string }) => ({
  id: i.id, name: i.name, channel_type: i.channel_type, channel_id: i.id + 300, avatar_url: '', webhook_url: null,
  greeting_enabled: false, greeting_message: null, enable_auto_assignment: true, working_hours_enabled: false,
})

const contactJson = (c: Contact, inboxes: ChatwootFake['inboxes']) => ({
  id: c.id, name: c.name, email: c.email ?? null, phone_number: c.phone_number ?? null, identifier: c.identifier ?? null,
  thumbnail: '', additional_attributes: {}, custom_attributes: {}, availability_status: 'offline', created_at: 1_700_000_000,
  contact_inboxes: c.links.map((l) => ({ source_id: l.sourceId, inbox: inboxJson(inboxes.get(l.inboxId)!) })),
})

/** REST message JSON ([CW] app/views/api/v1/accounts/conversations/messages/create.json.jbuilder): integer message_type. */
const messageJson = (c: Conversation, m: Message) => ({
  id: m.id, content: m.content, inbox_id: c.inboxId, conversation_id: c.displayId, message_type: { incoming: 0, outgoing: 1, activity: 2 }[m.type],
  content_type: 'text', content_attributes: {}, created_at: Math.floor(m.createdAt.getTime() / 1000), private: m.private, source_id: null,
  sender: { id: m.sender.id, type: m.sender.type }, attachments: m.attachments.map(({ sourceUrl: _s, fileName: _f, contentType: _c, ...a }) => a),
})

/** REST conversation JSON: `id` is the display id ([CW] app/views/api/v1/conversations/partials/_conversation.json.jbuilder). */
const conversationJson = (c: Conversation) => ({
  id: c.displayId, account_id: c.accountId, inbox_id: c.inboxId, status: c.status, priority: c.priority, team_id: c.teamId,
  contact_inbox: { source_id: c.sourceId }, meta: { sender: { id: c.contact.id, name: c.contact.name }, assignee: null },
  messages: [], created_at: c.createdAt, timestamp: Math.floor(c.updatedAt), unread_count: 0, additional_attributes: {},
})

const webhookJson = (w: { id: number; url: string; subscriptions: string[]; secret?: string }) => ({
  id: w.id, url: w.url, account_id: ACCOUNT_ID, subscriptions: w.subscriptions, name: null,
  // Since v4.11.2 the API returns each webhook's signing secret (README "Account webhooks API"; chatwoot#13862).
  ...(w.secret ? { secret: w.secret } : {}),
})

const checkSubscriptions = (list: unknown): string | undefined => {
  if (!Array.isArray(list) || list.length === 0) return 'Subscriptions cannot be blank'
  return list.every((e) => typeof e === 'string' && ALLOWED_EVENTS.has(e)) ? undefined : 'Subscriptions Invalid events'
}

export const operate = async (fake: ChatwootFake, operationId: string, params: Record<string, string>, url: URL, body: Body, form: FormData | undefined): Promise<Response> => {
  const $ = fake.internals
  const conversation = () => $.conversations.get(Number(params.conversation_id))
  switch (operationId) {
    case 'fetchProfile':
      return HttpResponse.json({
        ...ADMIN, available_name: ADMIN.name, role: fake.options.role, confirmed: true, account_id: ACCOUNT_ID,
        accounts: [{ id: ACCOUNT_ID, name: 'Acme Support', role: fake.options.role, status: 'active' }],
      })
    case 'listAllInboxes':
      return HttpResponse.json({ payload: [...fake.inboxes.values()].map(inboxJson) })
    case 'GetInbox': {
      const inbox = fake.inboxes.get(Number(params.id))
      return inbox ? HttpResponse.json(inboxJson(inbox)) : error(404, 'Resource could not be found')
    }
    case 'inboxCreation': {
      if (fake.options.role !== 'administrator') return error(401, 'You are not authorized to do this action')
      const channel = (body.channel ?? {}) as Body
      if (channel.type !== 'api') $.problems.push(`create inbox: the fake only makes API inboxes (got ${String(channel.type)})`)
      const inbox = { id: $.nextId(), name: String(body.name ?? 'Inbox'), channel_type: 'Channel::Api' }
      fake.inboxes.set(inbox.id, inbox)
      return HttpResponse.json(inboxJson(inbox))
    }
    // Wrapped answers: [CW] app/views/api/v1/accounts/webhooks/*.json.jbuilder (README "Account webhooks API").
    case 'list-all-webhooks':
      return HttpResponse.json({ payload: { webhooks: [...fake.webhooks.values()].map(webhookJson) } })
    case 'create-a-webhook': {
      if (fake.options.role !== 'administrator') return error(401, 'You are not authorized to do this action')
      const why = checkSubscriptions(body.subscriptions)
      if (why) return invalid(why, ['subscriptions'])
      if (typeof body.url !== 'string' || !/^https?:\/\//.test(body.url)) return invalid('Url is invalid', ['url'])
      // [CW] app/models/webhook.rb: `validates :url, uniqueness: { scope: [:account_id] }`.
      if ([...fake.webhooks.values()].some((w) => w.url === body.url)) return invalid('Url has already been taken', ['url'])
      return HttpResponse.json({ payload: { webhook: webhookJson(fake.addWebhook(body.url, body.subscriptions as string[])) } })
    }
    case 'update-a-webhook': {
      const hook = fake.webhooks.get(Number(params.webhook_id))
      if (!hook) return error(404, 'Resource could not be found')
      if (body.subscriptions !== undefined) {
        const why = checkSubscriptions(body.subscriptions)
        if (why) return invalid(why, ['subscriptions'])
        hook.subscriptions = body.subscriptions as string[]
      }
      // [CW] app/controllers/api/v1/accounts/webhooks_controller.rb `webhook_params` permits url, subscriptions, name (and
      // inbox_id), never `secret`; the model sets it only when the webhook is created (README "Account webhooks API",
      // chatwoot#13862): an update keeps the secret, and the answer carries it as the create answer does.
      if (typeof body.url === 'string') {
        // [CW] app/models/webhook.rb: the url's uniqueness in the account is validated on update too.
        if ([...fake.webhooks.values()].some((w) => w !== hook && w.url === body.url)) return invalid('Url has already been taken', ['url'])
        hook.url = body.url
      }
      hook.touched = $.tick()
      return HttpResponse.json({ payload: { webhook: webhookJson(hook) } })
    }
    case 'delete-a-webhook':
      return fake.webhooks.delete(Number(params.webhook_id)) ? new HttpResponse(null, { status: 200 }) : error(404, 'Resource could not be found')
    case 'contactSearch': {
      const q = (url.searchParams.get('q') ?? '').toLowerCase()
      const found = [...$.contacts.values()].filter((c) => q && [c.name, c.email, c.phone_number, c.identifier].some((v) => v?.toLowerCase().includes(q)))
      return HttpResponse.json({ meta: { count: found.length, current_page: 1 }, payload: found.map((c) => contactJson(c, fake.inboxes)) })
    }
    case 'contactCreate': {
      const inbox = fake.inboxes.get(Number(body.inbox_id))
      if (!inbox) return error(404, 'Resource could not be found')
      const email = typeof body.email === 'string' ? body.email.toLowerCase() : undefined
      // [CW] app/models/contact.rb: unique e-mail and identifier per account, E.164 phone numbers.
      if (email && [...$.contacts.values()].some((c) => c.email === email)) return invalid('Email has already been taken', ['email'])
      if (body.identifier && [...$.contacts.values()].some((c) => c.identifier === body.identifier)) return invalid('Identifier has already been taken', ['identifier'])
      if (body.phone_number !== undefined && !E164.test(String(body.phone_number))) return invalid('Phone number should be in e164 format', ['phone_number'])
      const contact: Contact = {
        id: $.nextId() + 500, name: String(body.name ?? ''), email, phone_number: body.phone_number as string | undefined,
        identifier: body.identifier as string | undefined, links: [{ inboxId: inbox.id, sourceId: randomUUID() }],
      }
      $.contacts.set(contact.id, contact)
      // The real answer is wrapped: {payload:{contact, contact_inbox}} ([CW] app/views/api/v1/accounts/contacts/create.json.jbuilder).
      return HttpResponse.json({ payload: { contact: contactJson(contact, fake.inboxes), contact_inbox: { inbox: inboxJson(inbox), source_id: contact.links[0]!.sourceId } } })
    }
    case 'newConversation': {
      const inbox = fake.inboxes.get(Number(body.inbox_id))
      if (!inbox) return error(404, 'Resource could not be found')
      const sourceId = String(body.source_id)
      let contact: Contact | undefined
      if (body.contact_id !== undefined) {
        // contact_id + inbox_id: the contact_inbox is found or created with that source_id ([CW] conversations_controller.rb `build_contact_inbox`).
        contact = $.contacts.get(Number(body.contact_id))
        if (!contact) return error(404, 'Resource could not be found')
        const taken = [...$.contacts.values()].some((c) => c !== contact && c.links.some((l) => l.inboxId === inbox.id && l.sourceId === sourceId))
        if (taken) return HttpResponse.json({ error: 'source_id should be unique' }, { status: 422 })
        if (!contact.links.some((l) => l.inboxId === inbox.id && l.sourceId === sourceId)) contact.links.push({ inboxId: inbox.id, sourceId })
      } else {
        contact = [...$.contacts.values()].find((c) => c.links.some((l) => l.sourceId === sourceId))
        if (!contact) return error(404, 'Resource could not be found')
      }
      const displayId = $.nextDisplayId()
      const c: Conversation = {
        displayId, tableId: displayId + 50_000, accountId: ACCOUNT_ID, inboxId: inbox.id,
        contact: { id: contact.id, name: contact.name, email: contact.email }, sourceId,
        status: typeof body.status === 'string' ? body.status : 'open', priority: null, assignee: null, teamId: null,
        createdAt: Math.floor(Date.now() / 1000), updatedAt: $.tick() / 1000, messages: [],
      }
      $.conversations.set(displayId, c)
      return HttpResponse.json(conversationJson(c))
    }
    case 'create-a-new-message-in-a-conversation': {
      const c = conversation()
      if (!c) return error(404, 'Resource could not be found')
      const inbox = fake.inboxes.get(c.inboxId)!
      const fields = form ? readForm(form, $.problems) : (body as { content?: string; message_type?: string; private?: boolean })
      if (!fields) return invalid('the multipart message is malformed')
      // [CW] app/models/message.rb: `validates :content, length: { maximum: 150_000 }`.
      if ((fields.content?.length ?? 0) > 150_000) return invalid('Content is too long (maximum is 150000 characters)', ['content'])
      const type = fields.message_type ?? 'outgoing'
      // [CW] app/builders/messages/message_builder.rb #message_type.
      if (type === 'incoming' && inbox.channel_type !== 'Channel::Api') return invalid('Incoming messages are only allowed in Api inboxes')
      const id = $.nextId() + 80_000
      const files = form ? (form.getAll('attachments[]') as File[]) : []
      const attachments = await Promise.all(
        files.map(async (file) => {
          const bytes = new Uint8Array(await file.arrayBuffer())
          const source = $.served.get(createHash('sha256').update(bytes).digest('hex'))
          const kind = file.type.startsWith('image/') ? 'image' : file.type.startsWith('audio/') ? 'audio' : file.type.startsWith('video/') ? 'video' : 'file'
          return $.attachment(id, kind, `https://chatwoot.acme.test/rails/active_storage/blobs/redirect/${id}/${encodeURIComponent(file.name)}`, file.name, file.type, source)
        })
      )
      const m: Message = {
        id, content: fields.content ?? null, type: type as Message['type'], private: fields.private === true,
        sender: type === 'incoming' ? { type: 'contact', id: c.contact.id } : { type: 'user', id: ADMIN.id }, attachments, createdAt: new Date($.tick()),
      }
      // An incoming message reopens a resolved conversation ([CW] app/models/message.rb `reopen_conversation`).
      if (type === 'incoming' && c.status === 'resolved') c.status = 'open'
      $.record(c, m)
      return HttpResponse.json(messageJson(c, m))
    }
    case 'toggle-status-of-a-conversation': {
      const c = conversation()
      if (!c) return error(404, 'Resource could not be found')
      c.status = String(body.status)
      return HttpResponse.json({ meta: {}, payload: { success: true, current_status: c.status, conversation_id: c.displayId } })
    }
    case 'toggle-priority-of-a-conversation': {
      const c = conversation()
      if (!c) return error(404, 'Resource could not be found')
      c.priority = body.priority === 'none' ? null : String(body.priority)
      return new HttpResponse(null, { status: 200 })
    }
    case 'assign-a-conversation': {
      const c = conversation()
      if (!c) return error(404, 'Resource could not be found')
      const team = TEAMS.find((t) => t.id === Number(body.team_id))
      if (body.assignee_id === undefined && !team) return error(404, 'Resource could not be found')
      if (team) c.teamId = team.id
      return HttpResponse.json(team ?? {})
    }
    case 'list-all-teams':
      return HttpResponse.json(TEAMS.map((t) => ({ ...t, description: '', allow_auto_assign: true, account_id: ACCOUNT_ID, is_member: true })))
    case 'get-account-agents':
      return HttpResponse.json(
        [...$.agents.values()].map((u) => ({ ...$.userPush(u), account_id: ACCOUNT_ID, email: u.email, role: 'agent', confirmed: true, auto_offline: true }))
      )
    default:
      $.problems.push(`the fake does not implement ${operationId}`)
      return error(501, `${operationId} is not implemented by the fake`)
  }
}

/**
 * A multipart message, checked by hand: the spec declares only JSON for this operation, but files travel as
 * `attachments[]` parts of multipart/form-data next to `content`, `message_type` and `private` (README "Attachments";
 * maintainers in chatwoot#1636 and #1801).
 */
const readForm = (form: FormData, problems: string[]): { content?: string; message_type?: string; private?: boolean } | undefined => {
  const where = 'POST messages (multipart)'
  const known = new Set(['content', 'message_type', 'private', 'attachments[]', 'content_type', 'content_attributes'])
  form.forEach((_value, key) => {
    if (!known.has(key)) problems.push(`${where}: unexpected part "${key}"`)
  })
  const files = form.getAll('attachments[]')
  if (files.length === 0) problems.push(`${where}: no attachments[] part (send JSON for text)`)
  if (files.length > MAX_ATTACHMENTS) problems.push(`${where}: more than ${MAX_ATTACHMENTS} attachments`)
  for (const file of files) {
    if (typeof file === 'string') problems.push(`${where}: attachments[] must be a file part, got a field`)
    else if (!file.name || file.size === 0) problems.push(`${where}: attachments[] needs a file name and content`)
  }
  const content = form.get('content')
  const type = form.get('message_type')
  const priv = form.get('private')
  if (content !== null && typeof content !== 'string') problems.push(`${where}: content must be a field`)
  if (type !== null && type !== 'incoming' && type !== 'outgoing') problems.push(`${where}: message_type must be incoming or outgoing (spec enum)`)
  if (priv !== null && priv !== 'true' && priv !== 'false') problems.push(`${where}: private must be true or false`)
  if (problems.length && files.some((f) => typeof f === 'string')) return undefined
  return {
    ...(typeof content === 'string' ? { content } : {}),
    ...(typeof type === 'string' ? { message_type: type } : {}),
    private: priv === 'true',
  }
}
