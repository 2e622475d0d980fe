/**
 * The Freshchat API's behaviour for ./fake.ts: each endpoint validated by the documented rules (sources as cited in
 * fake.ts: [API], [JAYA], [PEER], [FILES]) and answered as Freshchat answers.
 */
import { randomUUID } from 'node:crypto'
import { HttpResponse } from 'msw'
import { APP_ID, CDN, CHANNELS, EMAIL, error, GROUPS, isObject, sha, type Conversation, type FreshchatFake, type Message, type Part, type Upload, type User } from './fake'

/** A message as the create-conversation and send-message endpoints take it ([PEER] client.ts, [JAYA] index.ts). */
export const checkMessage = (fake: FreshchatFake, raw: unknown, conversation: { users: string[] }): string | Message => {
  if (!isObject(raw)) return 'a message must be an object'
  const parts = raw.message_parts
  if (!Array.isArray(parts) || !parts.length) return 'message_parts must be a non-empty array'
  for (const part of parts) {
    if (!isObject(part) || Object.keys(part).length !== 1) return 'each message part holds exactly one of text, image, video, file'
    const [kind, value] = Object.entries(part)[0]!
    if (!isObject(value)) return `message part ${kind} must be an object`
    if (kind === 'text') {
      if (typeof value.content !== 'string' || !value.content.trim()) return 'text.content must be a non-empty string'
    } else if (kind === 'image' || kind === 'video' || kind === 'file') {
      // Media are Freshchat's own uploads (POST /images/upload, /files/upload), then referenced by URL.
      if (typeof value.url !== 'string' || !fake.internals.uploads.has(value.url)) return `${kind}.url must be the URL an upload answered`
      if (kind === 'file' && (typeof value.name !== 'string' || !value.name)) return 'file.name is required'
    } else return `unknown message part ${kind}`
  }
  const actor = raw.actor_type
  if (actor !== 'user' && actor !== 'agent' && actor !== 'bot') return `actor_type must be user, agent or bot, not ${String(actor)}`
  const type = raw.message_type ?? 'normal'
  if (type !== 'normal' && type !== 'private') return `message_type must be normal or private, not ${String(type)}`
  if (actor === 'user') {
    if (typeof raw.actor_id !== 'string' || !conversation.users.includes(raw.actor_id)) return "a user's message needs actor_id: a user of the conversation"
    if (type === 'private') return 'a user cannot write a private note'
    if (raw.user_id !== undefined && raw.user_id !== raw.actor_id) return "a user's message names one user: user_id must be its actor_id"
  }
  if (actor === 'agent' && (typeof raw.actor_id !== 'string' || !fake.agents.has(raw.actor_id))) return "an agent's message needs actor_id: an agent of the account"
  return { id: randomUUID(), actor_type: actor, ...(typeof raw.actor_id === 'string' ? { actor_id: raw.actor_id } : {}), message_type: String(type), message_parts: parts as Part[], created_time: fake.internals.tick(), opening: false }
}

export const operate = async (fake: FreshchatFake, op: string, s: string[], url: URL, body: Record<string, unknown>, form?: FormData): Promise<Response> => {
  switch (op) {
    case 'list-channels': {
      const page = Number(url.searchParams.get('page') ?? 1)
      const size = Number(url.searchParams.get('items_per_page') ?? 10)
      return HttpResponse.json({ channels: CHANNELS.slice((page - 1) * size, page * size), pagination: { total_items: CHANNELS.length, current_page: page } })
    }
    case 'list-groups':
      return HttpResponse.json({ groups: GROUPS, pagination: { total_items: GROUPS.length, current_page: 1 } })
    case 'search-users': {
      const email = url.searchParams.get('email')
      const reference = url.searchParams.get('reference_id')
      if (!email && !reference) return fake.internals.violation('GET /users needs a filter (email or reference_id)')
      const users = [...fake.users.values()].filter((u) => (email ? u.email === email.toLowerCase() : u.reference_id === reference))
      return HttpResponse.json({ users, pagination: { total_items: users.length, current_page: 1 } })
    }
    case 'create-user': {
      if (body.email !== undefined && (typeof body.email !== 'string' || !EMAIL.test(body.email))) return fake.internals.violation('email is not an e-mail address')
      if (body.first_name !== undefined && typeof body.first_name !== 'string') return fake.internals.violation('first_name must be a string')
      if (body.avatar !== undefined && !(isObject(body.avatar) && typeof body.avatar.url === 'string' && /^https?:\/\//.test(body.avatar.url))) return fake.internals.violation('avatar.url must be an http(s) URL')
      const user: User = {
        id: randomUUID(),
        ...(typeof body.first_name === 'string' ? { first_name: body.first_name } : {}),
        ...(typeof body.email === 'string' ? { email: body.email.toLowerCase() } : {}),
        ...(typeof body.phone === 'string' ? { phone: body.phone } : {}),
        ...(typeof body.reference_id === 'string' ? { reference_id: body.reference_id } : {}),
      }
      fake.users.set(user.id, user)
      return HttpResponse.json({ ...user, created_time: fake.internals.tick() })
    }
    case 'create-conversation': {
      const channel = CHANNELS.find((c) => c.id === body.channel_id)
      if (!channel) return fake.internals.violation(`channel_id ${String(body.channel_id)} is not a topic of the account`)
      const users = Array.isArray(body.users) ? body.users.map((u) => (isObject(u) ? u.id : undefined)) : []
      if (!users.length || !users.every((u) => typeof u === 'string' && fake.users.has(u))) return fake.internals.violation('users must list existing users by id')
      const priority = isObject(body.properties) ? body.properties.priority : undefined
      if (priority !== undefined && !['Low', 'Medium', 'High', 'Urgent'].includes(String(priority))) return fake.internals.violation(`properties.priority ${String(priority)} is not Low, Medium, High or Urgent`)
      if (body.assigned_group_id !== undefined && !GROUPS.some((g) => g.id === body.assigned_group_id)) return fake.internals.violation('assigned_group_id is not a group of the account')
      if (!Array.isArray(body.messages) || !body.messages.length) return fake.internals.violation('messages must be a non-empty array')
      const conversation: Conversation = {
        conversation_id: randomUUID(), channel_id: channel.id, users: users as string[], status: 'new',
        properties: isObject(body.properties) ? body.properties : {},
        ...(typeof body.assigned_group_id === 'string' ? { assigned_group_id: body.assigned_group_id } : {}),
        messages: [],
      }
      for (const raw of body.messages) {
        const message = checkMessage(fake, raw, conversation)
        if (typeof message === 'string') return fake.internals.violation(`messages: ${message}`)
        conversation.messages.push({ ...message, opening: true })
      }
      fake.conversations.set(conversation.conversation_id, conversation)
      return HttpResponse.json({ conversation_id: conversation.conversation_id, app_id: APP_ID, channel_id: channel.id, status: 'new', users: users.map((id) => ({ id })) })
    }
    case 'get-conversation':
    case 'update-conversation': {
      const conversation = fake.conversations.get(s[1]!)
      if (!conversation) return error(404, 'CONVERSATION_NOT_FOUND', 'conversation not found')
      if (op === 'update-conversation') {
        // [JAYA] conversationStatusUpdate / conversationAssign: status new, assigned, resolved (and reopened).
        if (body.status !== undefined && !['new', 'assigned', 'resolved', 'reopened'].includes(String(body.status))) return fake.internals.violation(`status ${String(body.status)} is not a conversation status`)
        if (typeof body.status === 'string') conversation.status = body.status
      }
      const { messages: _m, ...json } = conversation
      return HttpResponse.json({ ...json, app_id: APP_ID, users: conversation.users.map((id) => ({ id })) })
    }
    case 'send-message': {
      const conversation = fake.conversations.get(s[1]!)
      if (!conversation) return error(404, 'CONVERSATION_NOT_FOUND', 'conversation not found')
      const message = checkMessage(fake, body, conversation)
      if (typeof message === 'string') return fake.internals.violation(message)
      conversation.messages.push(message)
      return HttpResponse.json({ ...message, opening: undefined, conversation_id: conversation.conversation_id, channel_id: conversation.channel_id, app_id: APP_ID })
    }
    case 'get-agent': {
      const agent = fake.agents.get(s[1]!)
      // [API] "Response error message": the documented example is exactly this 404.
      if (!agent) return error(404, 'AGENT_NOT_FOUND', 'agent not found')
      return HttpResponse.json({ ...agent, groups: [], is_deactivated: false })
    }
    case 'upload-image':
    case 'upload-file': {
      const file = form?.get('file')
      if (!(file instanceof Blob)) return fake.internals.violation(`${op}: multipart/form-data with a "file" part is required ([FILES])`)
      const bytes = new Uint8Array(await file.arrayBuffer())
      const name = file instanceof File ? file.name : 'upload'
      if (op === 'upload-image' && !file.type.startsWith('image/')) return error(400, 'BAD_REQUEST', 'only images can be uploaded here')
      const uploaded: Upload = { url: `${CDN}/${op === 'upload-image' ? 'images' : 'files'}/${randomUUID()}/${encodeURIComponent(name)}`, sourceUrl: fake.internals.served.get(sha(bytes)), name, contentType: file.type, size: bytes.length }
      fake.internals.uploads.set(uploaded.url, uploaded)
      return op === 'upload-image'
        ? HttpResponse.json({ url: uploaded.url, content_type: file.type })
        : HttpResponse.json({ url: uploaded.url, file_name: name, file_size_in_bytes: bytes.length, file_content_type: file.type })
    }
  }
  return fake.internals.violation(`unhandled ${op}`)
}
