/**
 * The Intercom adapter (REST API 2.15). A HITL session is an Intercom conversation started by the end user's contact;
 * the end user's messages are replies as that contact, notices of the bot are internal notes (teammates only), and
 * agents' replies, assignments and closes come back through the app's webhooks.
 */
import { ConfigurationError, errorMessage, ProviderError } from '../../core/errors'
import type { HttpClient } from '../../core/http'
import { renderOutbound, openingText as coreOpeningText } from '../../core/transcript'
import type {
  Agent,
  ContactRef,
  CreateContactInput,
  CreateContactResult,
  OpenSessionInput,
  OpenSessionResult,
  OutboundMessage,
  ProviderAdapter,
  ProviderDeps,
  SendMessageInput,
  SendMessageResult,
  SessionRef,
  WebhookRequest,
} from '../../core/types'
import { baseUrlOf, createClient, REGION_HOSTS, regionOf, TITLE, type Region } from './api'
import type { IntercomConfig } from './config'
import { textToHtml } from './html'
import { MAX_BODY_CHARS, splitText } from './split'
import { parseNotification, verifySignature } from './webhook'

type Contact = { id?: unknown; role?: unknown; email?: unknown }
type Role = 'user' | 'lead'
type FoundContact = { id: string; role: Role }
type ConversationAnswer = { conversation_parts?: { conversation_parts?: Array<{ id?: unknown }> } }

/** Room kept in each part for the "[Bot]" or "(continued 2/3)" prefixes. */
const PREFIX_ROOM = 60
/** After a 409 without an id: how long to wait before each new search (search is eventually consistent). */
const CONFLICT_SEARCH_DELAYS_MS = [0, 750, 2000]

const asId = (value: unknown): string | undefined => {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value)
  return typeof value === 'string' && value.trim() ? value.trim() : undefined
}

const roleOf = (contact: Contact): Role => (contact.role === 'lead' ? 'lead' : 'user')

const isWebUrl = (url: string | undefined): url is string => !!url && /^https?:\/\/[^\s]+$/i.test(url)

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const enc = encodeURIComponent

/** "A contact matching those details already exists with id=…" → the id. */
export const conflictContactId = (body: unknown): string | undefined => {
  const errors = (body as { errors?: Array<{ message?: unknown }> } | undefined)?.errors
  for (const e of Array.isArray(errors) ? errors : []) {
    const match = typeof e?.message === 'string' ? /\bid=([A-Za-z0-9_-]+)/.exec(e.message) : null
    if (match) return match[1]
  }
  return undefined
}

/** What one outbound message becomes on Intercom: text, optionally with one attachment URL. */
type Piece = { text: string; attachment?: { url: string; fallback: string } }

const piecesOf = (message: OutboundMessage): Piece[] => {
  switch (message.type) {
    case 'text':
      return [{ text: message.text }]
    case 'markdown':
      return [{ text: message.markdown }]
    case 'location':
      return [{ text: renderOutbound(message) }]
    case 'bloc':
      return message.items.flatMap(piecesOf)
    default: {
      if (!isWebUrl(message.url)) return [{ text: renderOutbound(message) }]
      // The caption is the title; without one, the original link (Intercom re-hosts attachments, so the agent keeps
      // the source, and a message body cannot be empty).
      const caption = message.title?.trim() || message.url
      return [{ text: caption, attachment: { url: message.url, fallback: renderOutbound(message) } }]
    }
  }
}

export const openingText = (input: Pick<OpenSessionInput, 'title' | 'description' | 'extras' | 'transcript'>): string =>
  coreOpeningText(input, isTeamId)

const isTeamId = (routing: string) => /^\d{1,18}$/.test(routing.trim())

export class IntercomAdapter implements ProviderAdapter {
  readonly title = TITLE
  readonly acceptsBloc = false
  private readonly client: HttpClient
  private adminId: string | undefined

  constructor(
    private readonly config: IntercomConfig,
    private readonly deps: ProviderDeps
  ) {
    this.client = createClient(deps.http, config)
  }

  private get logger() {
    return this.deps.logger
  }

  // ─── the token's admin ──────────────────────────────────────────────────────

  private async identify(): Promise<string> {
    const res = await this.client.request<{ id?: unknown }>({ path: 'me', operation: 'GET /me' })
    const id = asId(res.body?.id)
    if (!id) throw new ProviderError(`${TITLE} answered GET /me without an admin id`, { provider: TITLE, operation: 'GET /me' })
    return id
  }

  /** The admin the access token acts as (closes, notes, assignments): from the store, else `GET /me`. */
  private async tokenAdmin(): Promise<string> {
    if (this.adminId) return this.adminId
    const stored = await this.deps.store.get()
    const known = asId(stored.adminId)
    if (known) return (this.adminId = known)
    const id = await this.identify()
    await this.deps.store.set({ ...(await this.deps.store.get()), adminId: id })
    return (this.adminId = id)
  }

  /** Which other region accepts this token, if any (a 401 is most often a token of an EU or AU workspace used on US). */
  private async regionAccepting(): Promise<Region | undefined> {
    const others = (Object.keys(REGION_HOSTS) as Region[]).filter((r) => r !== regionOf(this.config))
    const answers = await Promise.all(
      others.map(async (region) => {
        try {
          const res = await createClient(this.deps.http, this.config, REGION_HOSTS[region]).request({
            path: 'me',
            okStatuses: [401, 403],
            operation: 'GET /me',
          })
          return res.status >= 200 && res.status < 300 ? region : undefined
        } catch {
          return undefined
        }
      })
    )
    return answers.find(Boolean)
  }

  async connect(): Promise<void> {
    let adminId: string
    try {
      adminId = await this.identify()
    } catch (error) {
      if (error instanceof ProviderError && error.details.status === 401) {
        const region = regionOf(this.config)
        const custom = !!this.config.apiBaseUrl?.trim()
        const other = custom ? undefined : await this.regionAccepting()
        const hint = other
          ? `The token belongs to a workspace in the ${other.toUpperCase()} data region: set intercom.region to "${other}" (it is "${region}").`
          : `Copy the access token again from the Developer Hub (your app → Authentication)` +
            (custom ? ` and check intercom.apiBaseUrl (${baseUrlOf(this.config)}).` : ` and check that intercom.region ("${region}") is your workspace's data region.`)
        throw new ConfigurationError(`Intercom refused the access token (intercom.accessToken): ${error.message}. ${hint}`)
      }
      if (error instanceof ProviderError && error.details.status === 403) {
        throw new ConfigurationError(
          `Intercom refused to identify the access token's admin (intercom.accessToken): ${error.message}. Check the app's permissions in the Developer Hub.`
        )
      }
      throw error
    }
    this.adminId = adminId
    await this.deps.store.set({ ...(await this.deps.store.get()), adminId })
    this.logger.info(
      `Intercom: access token accepted (admin ${adminId}). Webhook topics are subscribed in the Developer Hub, not by API.`
    )
  }

  async disconnect(): Promise<void> {
    // Intercom webhook subscriptions belong to the app and are managed in the Developer Hub: nothing was created here.
  }

  // ─── contacts ───────────────────────────────────────────────────────────────

  private async search(field: 'email' | 'external_id' | 'phone', value: string): Promise<FoundContact | undefined> {
    const res = await this.client.request<{ data?: Contact[] }>({
      method: 'POST',
      path: 'contacts/search',
      json: { query: { field, operator: '=', value } },
      idempotent: true,
      operation: 'search contacts',
    })
    const list = (Array.isArray(res.body?.data) ? res.body.data : []).filter((c) => asId(c.id))
    const matching =
      field === 'email' ? list.filter((c) => typeof c.email !== 'string' || c.email.toLowerCase() === value.toLowerCase()) : list
    const best = matching.find((c) => c.role === 'user') ?? matching[0]
    return best ? { id: asId(best.id)!, role: roleOf(best) } : undefined
  }

  /** POST /contacts; a 409 (the contact exists, search had not indexed it yet) ends in reusing that contact. */
  private async create(body: Record<string, unknown>, findAgain?: () => Promise<FoundContact | undefined>): Promise<FoundContact> {
    const res = await this.client.request<Contact>({
      method: 'POST',
      path: 'contacts',
      json: body,
      okStatuses: [409],
      operation: 'create contact',
    })
    if (res.status !== 409) {
      const id = asId(res.body?.id)
      if (!id) throw new ProviderError(`${TITLE} created a contact but answered without its id`, { provider: TITLE, operation: 'create contact' })
      return { id, role: roleOf(res.body) }
    }
    const existing = conflictContactId(res.body)
    if (existing) {
      this.logger.debug(`Intercom: the contact already exists (${existing}); reusing it`)
      return { id: existing, role: 'user' }
    }
    for (const delay of findAgain ? CONFLICT_SEARCH_DELAYS_MS : []) {
      if (delay) await sleep(delay)
      const found = await findAgain!()
      if (found) return found
    }
    throw new ProviderError(
      `${TITLE} answered 409 Conflict on create contact (the contact already exists) but its search does not find it yet: try again in a minute`,
      { provider: TITLE, status: 409, operation: 'create contact' }
    )
  }

  async createContact(input: CreateContactInput): Promise<CreateContactResult> {
    const email = input.email?.trim().toLowerCase() || undefined
    const externalId = input.botpressUserId?.trim() || undefined
    const profile = {
      role: 'user',
      name: input.name,
      ...(input.phone ? { phone: input.phone } : {}),
      ...(isWebUrl(input.pictureUrl) ? { avatar: input.pictureUrl } : {}),
    }
    let contact: FoundContact
    if (email) {
      const lookup = () => this.search('email', email)
      contact = (await lookup()) ?? (await this.create({ ...profile, email }, lookup))
    } else if (externalId) {
      const lookup = () => this.search('external_id', externalId)
      contact = (await lookup()) ?? (await this.create({ ...profile, external_id: externalId }, lookup))
    } else {
      // No address: a contact of its own (phone numbers are shared too often to merge people by them).
      contact = await this.create(profile)
    }
    return { id: contact.id, data: { role: contact.role } }
  }

  private async roleOf(contact: ContactRef): Promise<Role> {
    const data = await contact.data().catch(() => ({}) as Record<string, unknown>)
    return data.role === 'lead' ? 'lead' : 'user'
  }

  // ─── sessions ───────────────────────────────────────────────────────────────

  private async replyAsContact(conversationId: string, contactId: string, body: string, attachmentUrls?: string[]) {
    const res = await this.client.request<ConversationAnswer>({
      method: 'POST',
      path: `conversations/${enc(conversationId)}/reply`,
      json: {
        message_type: 'comment',
        type: 'user',
        intercom_user_id: contactId,
        body,
        ...(attachmentUrls?.length ? { attachment_urls: attachmentUrls } : {}),
      },
      operation: 'reply as the contact',
    })
    return lastPartId(res.body)
  }

  private async note(conversationId: string, body: string, attachmentUrls?: string[]) {
    const res = await this.client.request<ConversationAnswer>({
      method: 'POST',
      path: `conversations/${enc(conversationId)}/reply`,
      json: {
        message_type: 'note',
        type: 'admin',
        admin_id: await this.tokenAdmin(),
        body: textToHtml(body),
        ...(attachmentUrls?.length ? { attachment_urls: attachmentUrls } : {}),
      },
      operation: 'add a note',
    })
    return lastPartId(res.body)
  }

  async openSession(input: OpenSessionInput): Promise<OpenSessionResult> {
    const { contact } = input
    const chunks = splitText(openingText(input), MAX_BODY_CHARS - PREFIX_ROOM)
    const res = await this.client.request<{ conversation_id?: unknown; id?: unknown }>({
      method: 'POST',
      path: 'conversations',
      json: { from: { type: await this.roleOf(contact), id: contact.id }, body: chunks[0] },
      operation: 'create conversation',
    })
    // Intercom answers with the *message* that started the conversation; its conversation_id is the session.
    const conversationId = asId(res.body?.conversation_id) ?? asId(res.body?.id)
    if (!conversationId) {
      throw new ProviderError(`${TITLE} created the conversation but answered without its id`, { provider: TITLE, operation: 'create conversation' })
    }
    // The rest of a long transcript follows as the contact's own replies, in order (the opening message is theirs too).
    try {
      for (const [i, chunk] of chunks.slice(1).entries()) {
        await this.replyAsContact(conversationId, contact.id, `(continued ${i + 2}/${chunks.length})\n${chunk}`)
      }
    } catch (error) {
      // startHitl fails: do not leave a half-opened conversation waiting in the Inbox.
      await this.bestEffort(`close the half-opened conversation ${conversationId}`, () => this.close(conversationId))
      throw error
    }
    // The subject, when given, is the Inbox title; the opening message keeps the title the bot gave.
    const title = input.extras.subject ?? input.title
    if (title) {
      await this.bestEffort('set the conversation title', () =>
        this.client.request({
          method: 'PUT',
          path: `conversations/${enc(conversationId)}`,
          json: { title: title.slice(0, 250) },
          operation: 'update conversation',
        })
      )
    }
    const routing = input.extras.routing?.trim()
    if (routing && isTeamId(routing)) {
      await this.bestEffort(`assign the conversation to team ${routing}`, async () =>
        this.client.request({
          method: 'POST',
          path: `conversations/${enc(conversationId)}/parts`,
          json: { message_type: 'assignment', type: 'team', admin_id: await this.tokenAdmin(), assignee_id: routing },
          idempotent: true,
          operation: 'assign conversation',
        })
      )
    }
    return { id: conversationId }
  }

  /** Extras that must not cost the user the hand-off: a failure is logged, the session stays open. */
  private async bestEffort(what: string, run: () => Promise<unknown>) {
    try {
      await run()
    } catch (error) {
      this.logger.warn(`Intercom: could not ${what}: ${errorMessage(error)}`)
    }
  }

  async sendMessage({ session, author, message }: SendMessageInput): Promise<SendMessageResult> {
    let last: string | undefined
    for (const piece of piecesOf(message)) {
      const id =
        author.kind === 'user'
          ? await this.deliver(piece, (body, urls) => this.replyAsContact(session.id, author.contact.id, body, urls))
          : await this.deliver(piece, (body, urls) => this.note(session.id, `[${author.name}] ${body}`, urls))
      last = id ?? last
    }
    return { id: last }
  }

  /**
   * Sends one piece: long text as several parts in order; an attachment as `attachment_urls` with its caption. When
   * Intercom cannot take the file (it fetches the URL itself and refuses what it cannot read), it goes as a link.
   */
  private async deliver(piece: Piece, send: (body: string, attachmentUrls?: string[]) => Promise<string | undefined>) {
    if (piece.attachment) {
      try {
        return await send(piece.text, [piece.attachment.url])
      } catch (error) {
        if (!(error instanceof ProviderError) || ![400, 422].includes(error.details.status ?? 0)) throw error
        this.logger.warn(`Intercom refused an attachment (${errorMessage(error)}); sending it as a link`)
        return send(piece.attachment.fallback)
      }
    }
    let id: string | undefined
    for (const chunk of splitText(piece.text, MAX_BODY_CHARS - PREFIX_ROOM)) id = (await send(chunk)) ?? id
    return id
  }

  async closeSession(session: SessionRef): Promise<void> {
    await this.close(session.id)
  }

  private async close(conversationId: string) {
    const res = await this.client.request({
      method: 'POST',
      path: `conversations/${enc(conversationId)}/parts`,
      json: { message_type: 'close', type: 'admin', admin_id: await this.tokenAdmin() },
      // Closing twice is harmless: safe to retry after a 5xx.
      idempotent: true,
      okStatuses: [404],
      operation: 'close conversation',
    })
    if (res.status === 404) this.logger.warn(`Intercom: conversation ${conversationId} was not found; nothing to close`)
  }

  // ─── webhooks ───────────────────────────────────────────────────────────────

  verifyWebhook(req: WebhookRequest) {
    return verifySignature(this.config.clientSecret, req)
  }

  parseWebhook(req: WebhookRequest) {
    return parseNotification(req)
  }

  async describeAgent(agentId: string): Promise<Agent> {
    const res = await this.client.request<{ name?: unknown; avatar?: unknown }>({
      path: `admins/${enc(agentId)}`,
      okStatuses: [404],
      operation: 'GET /admins/{id}',
    })
    if (res.status === 404) return { id: agentId }
    const name = typeof res.body?.name === 'string' && res.body.name.trim() ? res.body.name.trim() : undefined
    const avatar = res.body?.avatar
    const pictureUrl =
      typeof avatar === 'string' ? avatar : typeof (avatar as { image_url?: unknown })?.image_url === 'string' ? (avatar as { image_url: string }).image_url : undefined
    return { id: agentId, ...(name ? { name } : {}), ...(isWebUrl(pictureUrl) ? { pictureUrl } : {}) }
  }
}

const lastPartId = (body: ConversationAnswer | undefined): string | undefined => {
  const parts = body?.conversation_parts?.conversation_parts
  return Array.isArray(parts) && parts.length ? asId(parts[parts.length - 1]?.id) : undefined
}
