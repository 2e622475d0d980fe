/**
 * The provider-neutral pipeline behind every SDK entry point. It owns Botpress: users and sessions linked by tags,
 * conversations found with listConversations (never created by a webhook), agents upserted by their provider id,
 * messages created idempotently by the provider's message id, hitlAssigned with the agent's user, hitlStopped.
 * Adapters only speak to their provider.
 */
import { createHash } from 'node:crypto'
import { isApiError, type Client, type Conversation, type User } from '@botpress/client'
import { BadRequestError, errorMessage, HitlError, ProviderError } from './errors'
import type { ActiveProvider } from './provider'
import { withKeyLock } from './lock'
import { buildTranscript, toOutbound, type HistoryMessage } from './transcript'
import type {
  Agent,
  ContactProfile,
  ContactRef,
  Data,
  HitlSessionExtras,
  InboundEvent,
  InboundMessage,
  OutboundMessage,
  SessionKey,
  SessionRef,
  WebhookReply,
  WebhookRequest,
} from './types'

export type BotClient = Pick<
  Client,
  | 'getUser'
  | 'listUsers'
  | 'getOrCreateUser'
  | 'updateUser'
  | 'createConversation'
  | 'getConversation'
  | 'listConversations'
  | 'updateConversation'
  | 'deleteConversation'
  | 'getOrCreateMessage'
  | 'createEvent'
  | 'listEvents'
  | 'getState'
  | 'setState'
>

export const STATE = { provider: 'providerData', session: 'sessionData', contact: 'contactData' } as const
export const BOT_NAME = 'Bot'
const HITL_CHANNEL = 'hitl'

type Tags = Record<string, string>

/**
 * Session and contact data read recently on this instance. Botpress states stay the truth (another instance may have
 * written since), so entries live a few minutes and adapters treat what they hold as possibly stale: a refused token
 * is renewed and saved, which refreshes the entry. Saves one Botpress round trip per message on warm instances.
 */
const stateCache = new Map<string, { payload: Record<string, any>; at: number }>()
const STATE_CACHE_TTL_MS = 5 * 60_000
const STATE_CACHE_MAX = 2000
const cacheState = (key: string, payload: Record<string, any>) => {
  stateCache.delete(key)
  if (stateCache.size >= STATE_CACHE_MAX) stateCache.delete(stateCache.keys().next().value!)
  stateCache.set(key, { payload, at: Date.now() })
}

/** Agents already known to Botpress, by provider and agent id: saves a round trip per webhook on warm instances. */
const agentCache = new Map<string, { id: string; name?: string; pictureUrl?: string }>()
const AGENT_CACHE_MAX = 1000

const PLACEHOLDER_EMAIL = /@no-reply\.[^@\s]+\.botpress\.com$/i
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/
const PHONE = /^\+?[\d\s().-]{6,20}$/

/** Splits the `email` input of createUser into a real address, a phone number, or nothing (placeholders). */
export const classifyContactPoint = (raw: string | undefined): { email?: string; phone?: string } => {
  const value = raw?.trim()
  if (!value) return {}
  if (EMAIL.test(value)) return PLACEHOLDER_EMAIL.test(value) ? {} : { email: value.toLowerCase() }
  if (PHONE.test(value) && value.replace(/\D/g, '').length >= 6) return { phone: value.replace(/[^\d+]/g, '') }
  return {}
}

const clean = (tags: Record<string, string | undefined>): Tags =>
  Object.fromEntries(Object.entries(tags).filter(([, v]) => v !== undefined)) as Tags

export class Engine {
  constructor(
    private readonly client: BotClient,
    private readonly active: ActiveProvider,
    private readonly ctx: { botId: string }
  ) {}

  private get adapter() {
    return this.active.adapter
  }

  private get provider() {
    return this.active.name
  }

  // ─── states ────────────────────────────────────────────────────────────────

  private async readState(type: 'user' | 'conversation', id: string, name: string): Promise<Record<string, any>> {
    const key = `${this.ctx.botId}:${type}:${id}:${name}`
    const cached = stateCache.get(key)
    if (cached && Date.now() - cached.at < STATE_CACHE_TTL_MS) return cached.payload
    let payload: Record<string, any>
    try {
      const { state } = await this.client.getState({ type, id, name })
      payload = (state.payload ?? {}) as Record<string, any>
    } catch (error) {
      if (!(isApiError(error) && error.code === 404)) throw error
      payload = {}
    }
    cacheState(key, payload)
    return payload
  }

  private async writeState(type: 'user' | 'conversation', id: string, name: string, payload: Record<string, unknown>) {
    await this.client.setState({ type, id, name, payload })
    cacheState(`${this.ctx.botId}:${type}:${id}:${name}`, payload)
  }

  private contactRef(contactId: string, botpressUserId: string): ContactRef {
    let loaded: Promise<Record<string, any>> | undefined
    const load = () => (loaded ??= this.readState('user', botpressUserId, STATE.contact))
    return {
      id: contactId,
      botpressUserId,
      profile: async () => ((await load()).profile ?? {}) as ContactProfile,
      data: async () => ((await load()).data ?? {}) as Data,
      saveData: async (data) => {
        const current = await load()
        const next = { ...current, data: { ...(current.data ?? {}), ...data } }
        loaded = Promise.resolve(next)
        await this.writeState('user', botpressUserId, STATE.contact, next)
      },
    }
  }

  private sessionRef(conversation: Conversation): SessionRef {
    let loaded: Promise<Data> | undefined
    const load = () =>
      (loaded ??= this.readState('conversation', conversation.id, STATE.session).then((p) => (p.data ?? {}) as Data))
    return {
      id: conversation.tags.externalId ?? '',
      altId: conversation.tags.externalAltId || undefined,
      botpressConversationId: conversation.id,
      contactId: conversation.tags.contactId || undefined,
      contact:
        conversation.tags.contactId && conversation.tags.userId
          ? this.contactRef(conversation.tags.contactId, conversation.tags.userId)
          : undefined,
      data: load,
      saveData: async (data) => {
        const next = { ...(await load()), ...data }
        loaded = Promise.resolve(next)
        await this.writeState('conversation', conversation.id, STATE.session, { data: next })
      },
    }
  }

  // ─── actions ───────────────────────────────────────────────────────────────

  async createUser(input: { name?: string; email?: string; pictureUrl?: string }): Promise<{ userId: string }> {
    const name = input.name?.trim() || 'Unknown User'
    const point = classifyContactPoint(input.email)
    const pictureUrl = input.pictureUrl?.trim() || undefined
    const contact = await this.adapter.createContact({ name, ...point, pictureUrl })
    const { user } = await this.client.getOrCreateUser({
      name,
      pictureUrl,
      tags: { externalId: contact.id, provider: this.provider, kind: 'end-user' },
      discriminateByTags: ['externalId', 'provider', 'kind'],
    })
    if (user.name !== name || (pictureUrl && user.pictureUrl !== pictureUrl)) {
      await this.client.updateUser({ id: user.id, name, pictureUrl })
    }
    const profile: ContactProfile = clean({ name, ...point, pictureUrl })
    await this.writeState('user', user.id, STATE.contact, { profile, data: contact.data ?? {} })
    return { userId: user.id }
  }

  async startHitl(input: {
    userId: string
    title?: string
    description?: string
    hitlSession?: HitlSessionExtras
    messageHistory?: HistoryMessage[]
  }): Promise<{ conversationId: string }> {
    if (!input.userId) throw new HitlError('startHitl needs the userId returned by createUser')
    const user = await this.getEndUser(input.userId)
    const contact = this.contactRef(user.tags.externalId!, user.id)

    const history = Array.isArray(input.messageHistory) ? input.messageHistory : []
    const names = await this.userNames(history, user)
    const transcript = buildTranscript(history, { user: (id) => names.get(id) ?? 'User', bot: BOT_NAME })

    // The conversation exists before the provider ticket so the ticket can carry its id; on failure both are undone.
    const { conversation } = await this.client.createConversation({
      channel: HITL_CHANNEL,
      tags: { provider: this.provider, contactId: contact.id, userId: user.id, status: 'opening' },
    })
    let opened: { id: string; altId?: string; data?: Data } | undefined
    try {
      opened = await this.adapter.openSession({
        botpressConversationId: conversation.id,
        contact,
        title: input.title?.trim() || undefined,
        description: input.description?.trim() || undefined,
        extras: clean((input.hitlSession ?? {}) as Record<string, string | undefined>) as HitlSessionExtras,
        transcript,
      })
      if (opened.data && Object.keys(opened.data).length) {
        await this.writeState('conversation', conversation.id, STATE.session, { data: opened.data })
      }
      await this.client.updateConversation({
        id: conversation.id,
        tags: clean({ externalId: opened.id, externalAltId: opened.altId, status: 'open' }),
      })
    } catch (error) {
      await this.undoStart(conversation, opened)
      throw error
    }
    return { conversationId: conversation.id }
  }

  private async undoStart(conversation: Conversation, opened: { id: string; altId?: string } | undefined) {
    if (opened) {
      const session = this.sessionRef({ ...conversation, tags: { ...conversation.tags, externalId: opened.id } })
      await this.adapter.closeSession(session).catch((e) => this.active.logger.warn(`startHitl cleanup: ${errorMessage(e)}`))
    }
    await this.client
      .deleteConversation({ id: conversation.id })
      .catch((e) => this.active.logger.warn(`startHitl cleanup: ${errorMessage(e)}`))
  }

  async stopHitl(input: { conversationId: string }): Promise<Record<string, never>> {
    const { conversation } = await this.client.getConversation({ id: input.conversationId })
    if (conversation.channel !== HITL_CHANNEL || !conversation.tags.provider) {
      throw new HitlError(`Conversation ${input.conversationId} is not a HITL session of this integration`)
    }
    if (conversation.tags.status === 'closed') return {}
    // Marked closed first: the provider's own "closed" webhook for this close must not emit a second hitlStopped.
    await this.client.updateConversation({ id: conversation.id, tags: { status: 'closed' } })
    if (conversation.tags.provider !== this.provider) {
      // Opened on the provider used before a switch: nothing to close here any more.
      this.active.logger.info(`stopHitl: session ${conversation.id} belongs to provider ${conversation.tags.provider}; closed locally`)
    } else if (conversation.tags.externalId) {
      try {
        await this.adapter.closeSession(this.sessionRef(conversation))
      } catch (error) {
        await this.client
          .updateConversation({ id: conversation.id, tags: { status: conversation.tags.status || 'open' } })
          .catch(() => undefined)
        throw error
      }
    }
    return {}
  }

  // ─── user → agent ──────────────────────────────────────────────────────────

  async sendMessage(props: {
    conversation: Conversation
    message: { id: string }
    type: string
    payload: Record<string, any>
  }): Promise<void> {
    const { conversation, payload } = props
    if (conversation.tags.provider && conversation.tags.provider !== this.provider) {
      await this.emitStopped(conversation)
      throw new HitlError(
        `This HITL session was opened with provider "${conversation.tags.provider}" but the integration now uses ` +
          `"${this.provider}": the session was stopped; start a new one`
      )
    }
    if (conversation.tags.status === 'closed') throw new HitlError('This HITL session is closed: start a new one')
    if (!conversation.tags.externalId) throw new HitlError('This HITL session has no ticket on the provider (startHitl did not complete)')

    const session = this.sessionRef(conversation)
    const author = await this.author(conversation, payload.userId)
    const message = toOutbound(props.type, payload)
    const parts: OutboundMessage[] = message.type === 'bloc' && !this.adapter.acceptsBloc ? message.items : [message]
    for (const [index, part] of parts.entries()) {
      if (isEmpty(part)) continue
      const result = await this.adapter.sendMessage({
        session,
        author,
        message: part,
        // Each item of an expanded bloc has its own key, so providers' idempotency keys never merge two items.
        botpressMessageId: parts.length > 1 ? `${props.message.id}:${index}` : props.message.id,
        additionalData: typeof payload.additionalData === 'string' ? payload.additionalData : undefined,
      })
      if (result.altId && result.altId !== conversation.tags.externalAltId) {
        await this.client.updateConversation({ id: conversation.id, tags: { externalAltId: result.altId } })
        conversation.tags.externalAltId = result.altId
      }
    }
  }

  private async author(conversation: Conversation, userId: unknown) {
    if (typeof userId !== 'string' || !userId) return { kind: 'bot' as const, name: BOT_NAME }
    if (userId === conversation.tags.userId && conversation.tags.contactId) {
      return { kind: 'user' as const, contact: this.contactRef(conversation.tags.contactId, userId) }
    }
    const user = await this.getEndUser(userId)
    return { kind: 'user' as const, contact: this.contactRef(user.tags.externalId!, user.id) }
  }

  private async getEndUser(userId: string): Promise<User> {
    const { user } = await this.client.getUser({ id: userId }).catch((error) => {
      if (isApiError(error) && error.code === 404) throw new HitlError(`User ${userId} does not exist: call createUser first`)
      throw error
    })
    if (user.tags.provider !== this.provider || !user.tags.externalId || user.tags.kind === 'agent') {
      throw new HitlError(
        `User ${userId} was not created by this integration's createUser for provider "${this.provider}": call createUser first`
      )
    }
    return user
  }

  private async userNames(history: HistoryMessage[], known: User): Promise<Map<string, string>> {
    const names = new Map<string, string>([[known.id, known.name || 'User']])
    const others = [...new Set(history.flatMap((m) => (m.source?.type === 'user' ? [m.source.userId] : [])))].filter(
      (id) => id && !names.has(id)
    )
    await Promise.all(
      others.map(async (id) => {
        const user = await this.client.getUser({ id }).then((r) => r.user).catch(() => undefined)
        names.set(id, user?.name || 'User')
      })
    )
    return names
  }

  // ─── agent → user ──────────────────────────────────────────────────────────

  async handleWebhook(req: WebhookRequest): Promise<WebhookReply> {
    const log = this.active.logger
    const verdict = await this.adapter.verifyWebhook(req)
    if (!verdict.ok) {
      log.warn(`webhook refused (401): ${verdict.reason}`)
      return json(401, { error: 'unauthorized' })
    }
    let parsed
    try {
      parsed = await this.adapter.parseWebhook(req)
    } catch (error) {
      if (error instanceof BadRequestError) {
        log.warn(`webhook rejected (400): ${error.reason}`)
        return json(400, { error: error.reason })
      }
      throw error
    }
    for (const note of parsed.skipped ?? []) log.debug(`webhook: ignored ${note}`)
    let applied = 0
    try {
      for (const event of parsed.events) if (await this.apply(event)) applied++
    } catch (error) {
      if (error instanceof BadRequestError) return json(400, { error: error.reason })
      const fromBotpress = isApiError(error) && !(error instanceof ProviderError) && error.type !== 'Runtime'
      if (fromBotpress && error.code >= 400 && error.code < 500 && error.code !== 429) {
        // Botpress refused what the event asks for (too large, invalid): a redelivery would fail the same way.
        log.error(`webhook refused by Botpress, not retryable: ${errorMessage(error)}`)
        return json(400, { error: `the event could not be applied: ${errorMessage(error)}` })
      }
      if (error instanceof RetryLater) {
        log.info(`webhook deferred (503): ${error.message}`)
        return json(503, { error: 'not ready yet, please retry' })
      }
      // Botpress (or the provider, for an agent lookup) failed: answer 5xx so the provider redelivers; replays are idempotent.
      log.error(`webhook processing failed, asking the provider to retry: ${errorMessage(error)}`)
      return json(503, { error: 'temporarily unavailable, please retry' })
    }
    return parsed.reply ?? json(200, { ok: true, events: parsed.events.length, applied })
  }

  private apply(event: InboundEvent): Promise<boolean> {
    const key = `${this.ctx.botId}:${this.provider}:${event.session.by ?? 'externalId'}:${event.session.id}`
    return withKeyLock(key, () => this.applyNow(event))
  }

  private async applyNow(event: InboundEvent): Promise<boolean> {
    const log = this.active.logger
    // An agent id becomes a user tag: one Botpress cannot store is malformed input, refused before any Botpress call.
    if (event.kind !== 'sessionClosed' && (!event.agent.id || event.agent.id.length > MAX_TAG)) {
      throw new BadRequestError(`the agent id must be 1 to ${MAX_TAG} characters`)
    }
    const conversation = await this.findConversation(event.session)
    if (!conversation) {
      if (event.kind !== 'sessionClosed' && (await this.sessionBeingOpened())) {
        // The provider can be faster than startHitl: its event may name a session we are still tagging. Ask for a redelivery.
        throw new RetryLater(`${event.kind} for a session not known yet while another one is being opened`)
      }
      log.debug(`webhook: ${event.kind} for a session Botpress did not start; ignored`)
      return false
    }
    switch (event.kind) {
      case 'agentMessage': {
        if (conversation.tags.status === 'closed') {
          log.debug('webhook: agent message for a closed session; ignored')
          return false
        }
        if (conversation.tags.contactId && event.agent.id === conversation.tags.contactId) {
          log.debug("webhook: the end user's own message came back as an agent message; ignored")
          return false
        }
        const agent = await this.upsertAgent(event.agent)
        const many = event.messages.length > 1
        for (const [i, message] of event.messages.entries()) {
          const { type, payload } = toBotpressPayload(message)
          await this.client.getOrCreateMessage({
            conversationId: conversation.id,
            userId: agent.id,
            type,
            payload,
            tags: { externalId: tagValue(many ? `${event.messageId}#${i}` : event.messageId) },
            discriminateByTags: ['externalId'],
          })
        }
        return true
      }
      case 'agentAssigned': {
        if (conversation.tags.agentId === event.agent.id) return false
        // The event is the commit point: a redelivery after a failure further down finds it and does not repeat it.
        const [agent, last] = await Promise.all([this.upsertAgent(event.agent), this.lastEvent('hitlAssigned', conversation.id)])
        const emitted = last?.payload?.userId !== agent.id
        if (emitted) {
          await this.client.createEvent({
            type: 'hitlAssigned',
            conversationId: conversation.id,
            payload: { conversationId: conversation.id, userId: agent.id },
          })
        }
        await this.client.updateConversation({ id: conversation.id, tags: { agentId: event.agent.id } })
        return emitted
      }
      case 'sessionClosed': {
        if (conversation.tags.status === 'closed') return false
        return this.emitStopped(conversation)
      }
    }
  }

  /** hitlStopped once per session, even when a failure between the event and the tag update causes a redelivery. */
  private async emitStopped(conversation: Conversation): Promise<boolean> {
    const emitted = !(await this.lastEvent('hitlStopped', conversation.id))
    if (emitted) {
      await this.client.createEvent({
        type: 'hitlStopped',
        conversationId: conversation.id,
        payload: { conversationId: conversation.id },
      })
    }
    await this.client.updateConversation({ id: conversation.id, tags: { status: 'closed' } })
    return emitted
  }

  private async lastEvent(type: string, conversationId: string): Promise<{ payload: Record<string, any> } | undefined> {
    const { events } = await this.client.listEvents({ type, conversationId })
    return [...events].sort((a, b) => b.createdAt.localeCompare(a.createdAt))[0]
  }

  /** Whether a session of this provider was created in the last two minutes and is still waiting for its provider id. */
  private async sessionBeingOpened(): Promise<boolean> {
    const { conversations } = await this.client.listConversations({
      channel: HITL_CHANNEL,
      tags: { provider: this.provider, status: 'opening' },
    })
    return conversations.some((c) => Date.now() - Date.parse(c.createdAt) < OPENING_GRACE_MS)
  }

  private async findConversation(key: SessionKey): Promise<Conversation | undefined> {
    // Tag values are at most 500 characters: a longer id cannot be one of ours.
    if (!key.id || key.id.length > MAX_TAG) return undefined
    const by = key.by ?? 'externalId'
    const { conversations } = await this.client.listConversations({
      channel: HITL_CHANNEL,
      tags: { [by]: key.id, provider: this.provider },
    })
    return conversations[0]
  }

  /**
   * The Botpress user of an agent, created on first sight with name and avatar, refreshed when they change.
   * Looked up only once the session is known (an event for a foreign chat creates nothing); warm instances answer
   * from memory, so a known agent's message costs two Botpress round trips.
   */
  private async upsertAgent(raw: Agent): Promise<{ id: string }> {
    const agent = sanitizeAgent(raw)
    const cacheKey = `${this.ctx.botId}:${this.provider}:${agent.id}`
    const cached = agentCache.get(cacheKey)
    const fresh = (u: { name?: string; pictureUrl?: string }) =>
      (!agent.name || u.name === agent.name) && (!agent.pictureUrl || u.pictureUrl === agent.pictureUrl)
    if (cached && fresh(cached)) return cached

    const tags = { externalId: agent.id, provider: this.provider, kind: 'agent' }
    let profile = agent
    if (!agent.name && !cached) {
      const { users } = await this.client.listUsers({ tags })
      const known = users[0]
      if (known) return remember(cacheKey, known)
      if (this.adapter.describeAgent) profile = { ...(await this.adapter.describeAgent(agent.id)), id: agent.id }
    }
    const { user } = await this.client.getOrCreateUser({
      name: profile.name,
      pictureUrl: profile.pictureUrl,
      tags,
      discriminateByTags: ['externalId', 'provider', 'kind'],
    })
    // Some providers name the agent in events but never send the avatar: fetch it once for a user that has none.
    if (!user.pictureUrl && !profile.pictureUrl && profile === agent && this.adapter.describeAgent) {
      const described = await this.adapter.describeAgent(agent.id).catch(() => undefined)
      if (described?.pictureUrl) profile = { ...agent, name: agent.name ?? described.name, pictureUrl: described.pictureUrl }
    }
    const stale = (profile.name && user.name !== profile.name) || (profile.pictureUrl && user.pictureUrl !== profile.pictureUrl)
    if (stale) {
      const { user: updated } = await this.client.updateUser({ id: user.id, name: profile.name, pictureUrl: profile.pictureUrl })
      return remember(cacheKey, updated)
    }
    return remember(cacheKey, user)
  }
}

const OPENING_GRACE_MS = 120_000

/** A transient condition: the webhook is answered 503 so that the provider delivers it again later. */
class RetryLater extends Error {}

const MAX_TAG = 500
const MAX_NAME = 200
const MAX_URL = 2000

/** A provider id as a tag value: ids longer than a tag allows are hashed (stable, so dedupe still works). */
const tagValue = (id: string) => (id.length <= MAX_TAG ? id : `sha256:${createHash('sha256').update(id).digest('hex')}`)

/** Agent details as Botpress accepts them: names cut to 200 characters, avatars only as reasonable http(s) URLs. */
const sanitizeAgent = (agent: Agent): Agent => {
  const name = agent.name?.trim()
  const pictureUrl = agent.pictureUrl?.trim()
  return {
    id: agent.id,
    name: name ? (name.length > MAX_NAME ? `${name.slice(0, MAX_NAME - 1)}…` : name) : undefined,
    pictureUrl: pictureUrl && pictureUrl.length <= MAX_URL && /^https?:\/\/\S+$/i.test(pictureUrl) ? pictureUrl : undefined,
  }
}

const remember = (key: string, user: { id: string; name?: string; pictureUrl?: string }) => {
  if (agentCache.size >= AGENT_CACHE_MAX) agentCache.delete(agentCache.keys().next().value!)
  const entry = { id: user.id, name: user.name, pictureUrl: user.pictureUrl }
  agentCache.set(key, entry)
  return entry
}

/** Forget cached agents and states (tests). */
export const resetAgentCache = () => {
  agentCache.clear()
  stateCache.clear()
}

const isEmpty = (m: OutboundMessage) =>
  (m.type === 'text' && !m.text.trim()) || (m.type === 'markdown' && !m.markdown.trim())

const json = (status: number, body: unknown): WebhookReply => ({
  status,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
})

export const toBotpressPayload = (m: InboundMessage): { type: string; payload: Record<string, string> } => {
  switch (m.type) {
    case 'text':
      return { type: 'text', payload: { text: m.text } }
    case 'image':
      return { type: 'image', payload: clean({ imageUrl: m.url, title: m.title }) }
    case 'audio':
      return { type: 'audio', payload: clean({ audioUrl: m.url, title: m.title }) }
    case 'video':
      return { type: 'video', payload: clean({ videoUrl: m.url, title: m.title }) }
    case 'file':
      return { type: 'file', payload: clean({ fileUrl: m.url, title: m.title }) }
  }
}
