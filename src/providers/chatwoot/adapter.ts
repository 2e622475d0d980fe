/**
 * The Chatwoot adapter (Application API, API-channel inbox). A HITL session is a conversation in the integration's
 * API inbox for the end user's contact: the end user's messages are `incoming` messages (the contact speaking), the
 * transcript and the bot's notices are private notes, and agents' replies, assignments and resolutions come back
 * through one account webhook.
 */
import { randomUUID } from 'node:crypto'
import { createCache } from '../../core/cache'
import { header } from '../../core/crypto'
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
import { asId, contentTypeFor, isRecord, isRefusedUpload, isWebUrl, str, uploadName } from '../shared'
import { createApi, TITLE, unwrap } from './api'
import type { ChatwootConfig } from './config'
import { createContacts } from './contacts'
import { botNotice, isTeamId, openingNote, piecesOf, PRIORITY, type Piece } from './render'
import { createSetup } from './setup'
import { parseWebhook, TIMESTAMP_HEADER, timeOf, urlToken, verifyWebhook } from './webhook'

/** Chatwoot's attachment size limit is an instance setting: we download and upload at most this. */
/** Switching providers: the manual cleanup steps, reached through the registry's lazy `load()` (index.ts). */
export { manualCleanup } from './setup'
export const MAX_UPLOAD_BYTES = DEFAULT_MEDIA_MAX_BYTES

const enc = encodeURIComponent
const digits = (id: string) => (/^\d{1,18}$/.test(id) ? Number(id) : undefined)

const teams = createCache<Array<{ id: string; name: string }>>({ name: 'chatwoot teams', max: 200, ttlMs: 5 * 60_000 })
const agents = createCache<Agent>({ name: 'chatwoot agents', max: 2000, ttlMs: 10 * 60_000 })

/** The registry entry's secrets (./index.ts): the webhook URL tokens derived from the access token, plain and signing. */
export const urlTokens = (config: Pick<ChatwootConfig, 'apiAccessToken' | 'accountId'>): string[] => [urlToken(config), urlToken(config, true)]

export const createChatwootAdapter = (config: ChatwootConfig, deps: ProviderDeps): ProviderAdapter => {
  const api = createApi(config, deps)
  const setup = createSetup(config, deps, api)
  const contacts = createContacts(api, () => setup.inboxId())
  const log = deps.logger
  /** The secret the last seal opened to, registered for redaction once rather than on every delivery. */
  let lastOpened: string | undefined

  /** Extras that must not cost the user the hand-off: a failure is logged, the session stays open. */
  const bestEffort = async (what: string, run: () => Promise<unknown>): Promise<boolean> => {
    try {
      await run()
      return true
    } catch (error) {
      log.warn(`Chatwoot: could not ${what}: ${errorMessage(error)}`)
      return false
    }
  }

  const listTeams = async () => {
    const cached = teams.get(api.accountId)
    if (cached) return cached
    const res = await api.call({ path: 'teams', operation: 'list teams' })
    const list = (Array.isArray(unwrap(res.body)) ? (unwrap(res.body) as unknown[]) : []).filter(isRecord)
    return teams.set(
      api.accountId,
      list.flatMap((t) => (asId(t.id) && str(t.name) ? [{ id: asId(t.id)!, name: str(t.name)! }] : []))
    )
  }

  /** `hitlSession.routing` naming a team (its id or its name) → the conversation is assigned to that team. */
  const route = async (conversationId: string, routing: string | undefined): Promise<boolean> => {
    const wanted = routing?.trim().slice(0, 200)
    if (!wanted) return false
    let teamId: string | undefined = isTeamId(wanted) ? wanted : undefined
    if (!teamId) {
      const known = await listTeams().catch((error) => {
        log.warn(`Chatwoot: could not list the teams: ${errorMessage(error)}`)
        return []
      })
      teamId = known.find((t) => t.name.toLowerCase() === wanted.toLowerCase())?.id
      if (!teamId) return false
    }
    const id = teamId
    return bestEffort(`assign the conversation to team ${id}`, () =>
      api.call({ method: 'POST', path: `conversations/${enc(conversationId)}/assignments`, json: { team_id: Number(id) }, idempotent: true, operation: 'assign team' })
    )
  }

  const post = async (conversationId: string, json: Record<string, unknown>): Promise<string | undefined> => {
    const res = await api.call({ method: 'POST', path: `conversations/${enc(conversationId)}/messages`, json, operation: 'create message' })
    return isRecord(res.body) ? asId(res.body.id) : undefined
  }

  /** A file as the contact's message: downloaded with the safe media fetcher and sent as `attachments[]`; else a titled link. */
  const upload = async (conversationId: string, piece: Extract<Piece, { kind: 'media' }>): Promise<string | undefined> => {
    const link = () => post(conversationId, { content: piece.fallback, message_type: 'incoming', private: false })
    const fetched = await deps.media(piece.url, { maxBytes: MAX_UPLOAD_BYTES })
    if (!fetched.ok) {
      log.warn(`Chatwoot: ${piece.media} ${describeUrl(piece.url)} not uploaded (${fetched.reason}); sent as a link`)
      return link()
    }
    const name = uploadName(piece.url, piece.title ?? fetched.fileName, fetched.contentType, piece.media)
    const form = new FormData()
    if (piece.title) form.append('content', piece.title)
    form.append('message_type', 'incoming')
    form.append('private', 'false')
    form.append('attachments[]', new Blob([new Uint8Array(fetched.body)], { type: contentTypeFor(name, fetched.contentType) }), name)
    try {
      const res = await api.call({ method: 'POST', path: `conversations/${enc(conversationId)}/messages`, body: form, operation: 'create message with attachment' })
      return isRecord(res.body) ? asId(res.body.id) : undefined
    } catch (error) {
      if (!isRefusedUpload(error)) throw error
      log.warn(`Chatwoot refused the ${piece.media} upload (${error.message}); sent as a link`)
      return link()
    }
  }

  const resolve = (conversationId: string) =>
    api.call({
      method: 'POST',
      path: `conversations/${enc(conversationId)}/toggle_status`,
      json: { status: 'resolved' },
      idempotent: true,
      okStatuses: [404],
      operation: 'resolve conversation',
    })

  return {
    title: TITLE,
    acceptsBloc: false,
    connect: ({ webhookUrl }: { webhookUrl: string }) => setup.connect(webhookUrl),
    disconnect: ({ webhookUrl }: { webhookUrl: string }) => setup.disconnect(webhookUrl),
    createContact: (input: CreateContactInput): Promise<CreateContactResult> => contacts.createContact(input),

    // ─── sessions ─────────────────────────────────────────────────────────────

    async openSession(input: OpenSessionInput): Promise<OpenSessionResult> {
      const inboxId = await setup.inboxId()
      const data = await input.contact.data()
      const contactId = digits(input.contact.id)
      const res = await api.call<unknown>({
        method: 'POST',
        path: 'conversations',
        json: {
          source_id: str(data.sourceId) ?? `botpress-${randomUUID()}`,
          inbox_id: Number(inboxId),
          ...(contactId !== undefined ? { contact_id: contactId } : {}),
          status: 'open',
          additional_attributes: { botpress_conversation_id: input.botpressConversationId },
        },
        operation: 'create conversation',
      })
      // The `id` of a conversation in REST answers is its display id, the one routes take ([CW] _conversation.json.jbuilder).
      const body = unwrap(res.body)
      const id = isRecord(body) ? asId(body.id) : undefined
      if (!id) throw new ProviderError(`${TITLE} created the conversation but answered without its id`, { provider: TITLE, operation: 'create conversation' })
      try {
        const teamApplied = await route(id, input.extras.routing)
        const priority = input.extras.priority && Object.prototype.hasOwnProperty.call(PRIORITY, input.extras.priority) ? PRIORITY[input.extras.priority] : undefined
        if (priority) {
          await bestEffort(`set the priority to ${priority}`, () =>
            api.call({ method: 'POST', path: `conversations/${enc(id)}/toggle_priority`, json: { priority }, idempotent: true, responseType: 'text', operation: 'set priority' })
          )
        }
        for (const note of openingNote(input, teamApplied)) await post(id, { content: note, message_type: 'outgoing', private: true })
      } catch (error) {
        // startHitl fails: do not leave a half-opened conversation waiting in the inbox.
        await bestEffort(`resolve the half-opened conversation ${id}`, () => resolve(id))
        throw error
      }
      return { id, data: { inboxId } }
    },

    async sendMessage({ session, author, message }: SendMessageInput): Promise<SendMessageResult> {
      let last: string | undefined
      for (const piece of piecesOf(message)) {
        if (author.kind === 'bot') {
          // The bot's notices are for the agent: private notes, never sent to the contact, never echoed back.
          const text = botNotice(author.name, piece.kind === 'text' ? piece.text : piece.fallback)
          last = (await post(session.id, { content: text, message_type: 'outgoing', private: true })) ?? last
        } else if (piece.kind === 'text') {
          last = (await post(session.id, { content: piece.text, message_type: 'incoming', private: false })) ?? last
        } else {
          last = (await upload(session.id, piece)) ?? last
        }
      }
      return { id: last }
    },

    async closeSession(session: SessionRef): Promise<void> {
      await resolve(session.id)
    },

    /**
     * The bot's closing notice on a resolved conversation: a private note, like every bot notice. Only an incoming
     * message reopens a resolved conversation ([CW] app/models/message.rb `reopen_conversation`), so it stays resolved.
     */
    async sendAfterClose({ session, author, message }: SendMessageInput): Promise<SendMessageResult> {
      let last: string | undefined
      for (const piece of piecesOf(message)) {
        const text = botNotice(author.kind === 'bot' ? author.name : 'Bot', piece.kind === 'text' ? piece.text : piece.fallback)
        last = (await post(session.id, { content: text, message_type: 'outgoing', private: true })) ?? last
      }
      return { id: last }
    },

    // ─── webhooks ─────────────────────────────────────────────────────────────

    /** From the request and the configuration alone (the secret is sealed in the URL): no Botpress read, warm or cold. */
    verifyWebhook: (req: WebhookRequest) =>
      verifyWebhook(req, {
        token: setup.urlToken,
        signedToken: setup.signedToken,
        key: setup.sealKey,
        known: () => setup.peek()?.webhookSecret,
        opened: (secret) => {
          if (secret === lastOpened) return
          lastOpened = secret
          deps.secrets.add(secret)
        },
      }),

    parseWebhook(req: WebhookRequest) {
      const inboxId = config.inboxId?.trim() || setup.peek()?.inboxId
      const timestamp = timeOf(header(req.headers, TIMESTAMP_HEADER)?.trim())
      return parseWebhook(req, { accountId: api.accountId, ...(inboxId ? { inboxId } : {}), ...(timestamp ? { timestamp } : {}) })
    },

    /** An agent named by id only (an assignment without `meta.assignee`): name and avatar from the account's agents. */
    async describeAgent(agentId: string): Promise<Agent> {
      const key = `${api.accountId}:${agentId}`
      const cached = agents.get(key)
      if (cached) return cached
      if (!/^\d{1,18}$/.test(agentId)) return { id: agentId }
      let res
      try {
        res = await api.call({ path: 'agents', operation: 'list agents' })
      } catch (error) {
        // Called while applying a webhook. A failure that may pass (429, 5xx, timeout, reset) propagates: the webhook is
        // answered 503 and redelivered. A refusal (403, 404…) will not pass: the agent is named by id, the event applied.
        const status = error instanceof ProviderError ? error.details.status : undefined
        if (status === undefined || status < 400 || status >= 500 || status === 408 || status === 429) throw error
        deps.logger.warn(`Chatwoot: could not describe agent ${agentId}: ${errorMessage(error)}`)
        return { id: agentId }
      }
      const list = (Array.isArray(unwrap(res.body)) ? (unwrap(res.body) as unknown[]) : []).filter(isRecord)
      let found: Agent = { id: agentId }
      for (const a of list) {
        const id = asId(a.id)
        if (!id) continue
        const name = str(a.available_name) ?? str(a.name)
        const picture = [a.thumbnail, a.avatar_url].find((u) => isWebUrl(u, 2000))
        const agent: Agent = { id, ...(name ? { name: name.slice(0, 200) } : {}), ...(typeof picture === 'string' ? { pictureUrl: picture } : {}) }
        agents.set(`${api.accountId}:${id}`, agent)
        if (id === agentId) found = agent
      }
      return found
    },
  }
}
