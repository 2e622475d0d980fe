/**
 * The Freshchat adapter (REST API v2, https://developers.freshchat.com/api/). A HITL session is a Freshchat
 * conversation in the configured topic (channel) for the end user's Freshchat user: the end user's messages are
 * `actor_type: user` messages, the transcript and the bot's notices are the bot's private notes, and agents' replies,
 * assignments and resolutions come back through the conversation webhooks set in Admin › Webhooks.
 */
import { createCache } from '../../core/cache'
import { errorMessage, ProviderError } from '../../core/errors'
import { DEFAULT_MEDIA_MAX_BYTES, describeUrl } from '../../core/media'
import type {
  Agent,
  CreateContactInput,
  CreateContactResult,
  OpenSessionInput,
  OpenSessionResult,
  ProviderAdapter,
  ProviderDeps,
  SendMessageInput,
  SendMessageResult,
  SessionRef,
  WebhookRequest,
} from '../../core/types'
import { asId, contentTypeFor, isRecord, isRefusedUpload, isWebUrl, own, str, uploadName } from '../shared'
import { apiBaseOf, createApi, TITLE } from './api'
import type { FreshchatConfig } from './config'
import { botNotice, openingNotes, openingRequest, piecesOf, PRIORITY, textPart, type MessagePart, type Piece } from './render'
import { createSetup } from './setup'
import { publicKeyOf } from './signature'
import { parseWebhook, verifyWebhook } from './webhook'

/** Freshchat documents no upload limit we could rely on: we download and upload at most this. */
export const MAX_UPLOAD_BYTES = DEFAULT_MEDIA_MAX_BYTES
/** Freshchat ids are UUIDs (agents, users, conversations, groups); anything else is not looked up. */
const SAFE_ID = /^[A-Za-z0-9_-]{1,100}$/

const enc = encodeURIComponent

const agents = createCache<Agent>({ name: 'freshchat agents', max: 2000, ttlMs: 10 * 60_000 })
const groups = createCache<Array<{ id: string; name: string }>>({ name: 'freshchat groups', max: 200, ttlMs: 5 * 60_000 })

type Message = { message_parts: MessagePart[]; actor_type: 'user' | 'bot'; actor_id?: string; user_id?: string; message_type: 'normal' | 'private' }

/** The end user's message: `actor_type: user` with the user as `actor_id` and `user_id` (as github:botpress/botpress integrations/freshchat/src/client.ts `sendMessage` posts it). */
const userMessage = (contactId: string, parts: MessagePart[]): Message => ({ message_parts: parts, actor_type: 'user', actor_id: contactId, user_id: contactId, message_type: 'normal' })
/** A note of the bot: `actor_type: bot`, `message_type: private` (as Freshworks' own client posts private notes, github:freshworks/jaya-lib packages/freshchat-api/src/index.ts `postMessage`). */
const botNote = (content: string): Message => ({ message_parts: [textPart(content)], actor_type: 'bot', message_type: 'private' })

const transient = (error: unknown) => {
  const status = error instanceof ProviderError ? error.details.status : undefined
  return status === undefined || status >= 500 || status === 408 || status === 429
}

export const createFreshchatAdapter = (config: FreshchatConfig, deps: ProviderDeps): ProviderAdapter => {
  const api = createApi(config, deps)
  const setup = createSetup(config, deps, api)
  const log = deps.logger
  const parsedKey = publicKeyOf(config.webhookPublicKey)
  const key = 'key' in parsedKey ? parsedKey.key : undefined
  const base = apiBaseOf(config)

  /** Freshchat users by e-mail or reference id (GET /users?email= / ?reference_id=, answer `{ users: [...] }`). */
  const findUser = async (by: 'email' | 'reference_id', value: string): Promise<string | undefined> => {
    const res = await api.request({ path: 'users', searchParams: { [by]: value }, okStatuses: [404], operation: 'search users' })
    const users = isRecord(res.body) && Array.isArray(res.body.users) ? res.body.users.filter(isRecord) : []
    const match = users.find((u) => {
      const actual = str(u[by])
      return !!actual && (by === 'email' ? actual.toLowerCase() === value : actual === value) && asId(u.id)
    })
    return match ? asId(match.id) : undefined
  }

  /** `hitlSession.routing` naming a group (its id or its name, GET /groups) → the conversation's `assigned_group_id`. */
  const groupFor = async (routing: string | undefined): Promise<string | undefined> => {
    const wanted = routing?.trim().slice(0, 200)
    if (!wanted) return undefined
    let list = groups.get(base)
    if (!list) {
      try {
        const res = await api.request({ path: 'groups', searchParams: { items_per_page: 100 }, operation: 'list groups' })
        const raw = isRecord(res.body) && Array.isArray(res.body.groups) ? res.body.groups.filter(isRecord) : []
        list = groups.set(
          base,
          raw.flatMap((g) => (asId(g.id) && str(g.name) ? [{ id: asId(g.id)!, name: str(g.name)! }] : []))
        )
      } catch (error) {
        log.warn(`Freshchat: could not list the groups: ${errorMessage(error)}; routing "${wanted.slice(0, 60)}" left in the note`)
        return undefined
      }
    }
    return list.find((g) => g.id === wanted || g.name.toLowerCase() === wanted.toLowerCase())?.id
  }

  const post = async (conversationId: string, message: Message): Promise<string | undefined> => {
    const res = await api.request({ method: 'POST', path: `conversations/${enc(conversationId)}/messages`, json: message, operation: 'send message' })
    return isRecord(res.body) ? asId(res.body.id) : undefined
  }

  /**
   * A file as the user's message: downloaded with the safe media fetcher, uploaded (POST /images/upload for images,
   * POST /files/upload otherwise, multipart field `file`: github:api-evangelist/freshchat
   * collections/freshchat-files-api.opencollection.json), then posted as an image, video or file part. Else a titled link.
   */
  const upload = async (piece: Extract<Piece, { kind: 'media' }>): Promise<MessagePart[]> => {
    const link = [textPart(piece.fallback)]
    const fetched = await deps.media(piece.url, { maxBytes: MAX_UPLOAD_BYTES })
    if (!fetched.ok) {
      log.warn(`Freshchat: ${piece.media} ${describeUrl(piece.url)} not uploaded (${fetched.reason}); sent as a link`)
      return link
    }
    const name = uploadName(piece.url, piece.title ?? fetched.fileName, fetched.contentType, piece.media)
    const type = contentTypeFor(name, fetched.contentType)
    const image = piece.media === 'image' && type.startsWith('image/')
    const form = new FormData()
    form.append('file', new Blob([new Uint8Array(fetched.body)], { type }), name)
    let body: unknown
    try {
      body = (await api.request({ method: 'POST', path: image ? 'images/upload' : 'files/upload', body: form, operation: image ? 'upload image' : 'upload file' })).body
    } catch (error) {
      if (!isRefusedUpload(error)) throw error
      log.warn(`Freshchat refused the ${piece.media} upload (${error.message}); sent as a link`)
      return link
    }
    const url = isRecord(body) ? [body.url, body.file_url].find((u) => isWebUrl(u, 4000)) : undefined
    if (typeof url !== 'string') {
      log.warn(`Freshchat answered the ${piece.media} upload without a URL; sent as a link`)
      return link
    }
    const caption = piece.title && piece.media !== 'file' ? [textPart(piece.title)] : []
    if (image) return [...caption, { image: { url } }]
    if (piece.media === 'video') return [...caption, { video: { url, content_type: type } }]
    return [...caption, { file: { url, name, content_type: type, file_size_in_bytes: fetched.body.length } }]
  }

  const resolve = (conversationId: string) =>
    api.request({
      method: 'PUT',
      path: `conversations/${enc(conversationId)}`,
      json: { status: 'resolved' },
      okStatuses: [404],
      operation: 'resolve conversation',
    })

  return {
    title: TITLE,
    acceptsBloc: false,
    connect: ({ webhookUrl }) => setup.connect(webhookUrl),
    disconnect: ({ webhookUrl }) => setup.disconnect(webhookUrl),

    /** The same e-mail reuses its Freshchat user; without one, the Botpress user id is the user's `reference_id`. */
    async createContact(input: CreateContactInput): Promise<CreateContactResult> {
      const email = input.email?.trim().toLowerCase() || undefined
      const reference = input.botpressUserId?.trim() || undefined
      const found = email ? await findUser('email', email) : reference ? await findUser('reference_id', reference) : undefined
      if (found) return { id: found }
      const res = await api.request({
        method: 'POST',
        path: 'users',
        json: {
          first_name: input.name.slice(0, 255),
          ...(email ? { email } : {}),
          ...(input.phone ? { phone: input.phone } : {}),
          ...(reference ? { reference_id: reference } : {}),
          ...(isWebUrl(input.pictureUrl, 2000) ? { avatar: { url: input.pictureUrl } } : {}),
        },
        okStatuses: [409],
        operation: 'create user',
      })
      // Created meanwhile by another instance: reuse it.
      const id = res.status === 409 ? (email ? await findUser('email', email) : undefined) : isRecord(res.body) ? asId(res.body.id) : undefined
      if (!id) throw new ProviderError(`${TITLE} did not answer the new user's id`, { provider: TITLE, status: res.status, operation: 'create user' })
      return { id }
    },

    async openSession(input: OpenSessionInput): Promise<OpenSessionResult> {
      const channelId = await setup.channelId()
      const groupId = await groupFor(input.extras.routing)
      const priority = own(PRIORITY, input.extras.priority)
      const contactId = input.contact.id
      const res = await api.request({
        method: 'POST',
        path: 'conversations',
        json: {
          channel_id: channelId,
          users: [{ id: contactId }],
          messages: [userMessage(contactId, [textPart(openingRequest(input))]), ...openingNotes(input, !!groupId).map(botNote)],
          ...(groupId ? { assigned_group_id: groupId } : {}),
          ...(priority ? { properties: { priority } } : {}),
        },
        operation: 'create conversation',
      })
      const id = isRecord(res.body) ? asId(res.body.conversation_id) : undefined
      if (!id) throw new ProviderError(`${TITLE} created the conversation but answered without its conversation_id`, { provider: TITLE, operation: 'create conversation' })
      return { id, data: { channelId } }
    },

    async sendMessage({ session, author, message }: SendMessageInput): Promise<SendMessageResult> {
      let last: string | undefined
      for (const piece of piecesOf(message)) {
        if (author.kind === 'bot') {
          // The bot's notices are for the agent: private notes, never the user's words, never echoed back.
          last = (await post(session.id, botNote(botNotice(author.name, piece.kind === 'text' ? piece.text : piece.fallback)))) ?? last
          continue
        }
        const parts = piece.kind === 'text' ? [textPart(piece.text)] : await upload(piece)
        last = (await post(session.id, userMessage(session.contactId ?? author.contact.id, parts))) ?? last
      }
      return { id: last }
    },

    async closeSession(session: SessionRef): Promise<void> {
      await resolve(session.id)
    },

    /** From the configuration and the request alone: no Botpress read, no Freshchat request, warm or cold. */
    verifyWebhook: (req: WebhookRequest) => verifyWebhook(req, key),

    parseWebhook: (req: WebhookRequest) => {
      const channelId = setup.knownChannelId()
      return parseWebhook(req, channelId ? { channelId } : {})
    },

    /** Webhooks name agents by id only: name and avatar from GET /agents/{id} (first_name, last_name, avatar.url), cached. */
    async describeAgent(agentId: string): Promise<Agent> {
      const cacheKey = `${base}:${agentId}`
      const cached = agents.get(cacheKey)
      if (cached) return cached
      if (!SAFE_ID.test(agentId)) return { id: agentId }
      let res
      try {
        res = await api.request({ path: `agents/${enc(agentId)}`, operation: 'get agent' })
      } catch (error) {
        // Called while applying a webhook: a failure that may pass propagates (the webhook is answered 503 and
        // redelivered); a refusal (404 AGENT_NOT_FOUND, 403) will not pass: the agent is known by id only.
        if (transient(error)) throw error
        log.warn(`Freshchat: could not describe agent ${agentId}: ${errorMessage(error)}`)
        return { id: agentId }
      }
      const a = isRecord(res.body) ? res.body : {}
      const name = [str(a.first_name), str(a.last_name)].filter(Boolean).join(' ').slice(0, 200)
      const avatar = isRecord(a.avatar) ? a.avatar.url : undefined
      return agents.set(cacheKey, { id: agentId, ...(name ? { name } : {}), ...(isWebUrl(avatar, 2000) ? { pictureUrl: avatar } : {}) })
    },
  }
}
