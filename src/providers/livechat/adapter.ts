/**
 * The LiveChat adapter (text.com Web APIs v3.6).
 *
 * - The end user is a LiveChat **customer** (cookie grant, see ./auth.ts) whose credentials live in the contact's
 *   Botpress state; a copy is kept with each session so that the bot's own notices can be posted too.
 * - A HITL session is a **thread** of the customer's chat: the first hand-off starts the chat (`start_chat`) in the
 *   configured group, later ones resume it (`resume_chat`, a new thread). The session id is the chat id and its
 *   secondary id the thread id, which webhooks use to tell successive sessions of one customer apart.
 * - The end user's messages are customer events (`send_event`); media are uploaded to LiveChat's CDN (`upload_file`)
 *   and sent as file events, or as a titled link when that is impossible. Notices of the bot are customer messages
 *   prefixed "[Bot] " (a `system_message` written by a customer is not documented as shown to agents).
 * - The agent token (PAT) verifies the setup, registers the webhooks where it has the scope, and looks agents up.
 */
import { createHash } from 'node:crypto'
import { safeEqual } from '../../core/crypto'
import { ConfigurationError, errorMessage, ProviderError } from '../../core/errors'
import { renderOutbound } from '../../core/transcript'
import type {
  Agent,
  ConnectInput,
  ContactRef,
  CreateContactInput,
  CreateContactResult,
  Data,
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
import {
  ANSWER_STATUSES,
  callAction,
  createClients,
  decodeAgentToken,
  isLivechatError,
  regionOfToken,
  TITLE,
  type Clients,
} from './api'
import { credentialsFrom, CustomerAuth, RENEW_MARGIN_MS, type CredentialHolder, type CustomerCredentials } from './auth'
import type { LivechatConfig } from './config'
import { contentTypeFor, groupFor, normalizeAvatar, openingText, splitText, uploadName, type MediaKind } from './text'
import { parseWebhookBody, verifySecret, WEBHOOKS } from './webhook'

/** LiveChat's upload limit. */
export const MAX_UPLOAD_BYTES = 10 * 1024 * 1024
const BOTPRESS_WEBHOOK_HOST = 'https://webhook.botpress.cloud'
const WEBHOOK_DESCRIPTION = 'Botpress HITL (hitl-hub)'

type Event = { type: 'message'; text: string } | { type: 'file'; url: string; alternative_text?: string }
type ListedWebhook = { id?: unknown; action?: unknown; url?: unknown; type?: unknown; secret_key?: unknown; owner_client_id?: unknown }
type StoredWebhook = { id: string; action: string; url: string }
type ChatAnswer = { thread?: { id?: unknown; active?: unknown } }

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() ? v.trim() : undefined)
const isWebUrl = (url: string | undefined): url is string => !!url && /^https?:\/\/\S+$/i.test(url)
const fingerprint = (...parts: string[]) => createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 16)

const credentialRecord = (c: CustomerCredentials): Data => ({
  token: c.token,
  expiresAt: c.expiresAt,
  ...(c.cid ? { cid: c.cid } : {}),
  ...(c.cst ? { cst: c.cst } : {}),
})

export class LivechatAdapter implements ProviderAdapter {
  readonly title = TITLE
  readonly acceptsBloc = false
  private readonly clients: Clients
  private readonly auth: CustomerAuth
  private readonly basic: string
  private readonly patRegion: string | undefined
  /** Run-time secrets (customer tokens, identity cookies) to redact; persisted elsewhere, kept here only for redaction. */
  private readonly runtime = new Set<string>()
  private stored: Promise<Data> | undefined

  constructor(
    private readonly config: LivechatConfig,
    private readonly deps: ProviderDeps
  ) {
    this.basic = config.agentToken.trim().replace(/^Basic\s+/i, '')
    this.patRegion = regionOfToken(decodeAgentToken(this.basic).pat)
    this.clients = createClients(deps.http, config, () => [...this.runtime], (text) => this.scrub(text))
    this.auth = new CustomerAuth(config, this.clients, deps.logger, (...s) => this.remember(...s))
  }

  private get logger() {
    return this.deps.logger
  }

  private remember(...secrets: Array<string | undefined>) {
    for (const secret of secrets) {
      if (!secret || secret.length < 4) continue
      this.runtime.add(secret)
      if (this.runtime.size > 500) this.runtime.delete(this.runtime.values().next().value!)
    }
  }

  private scrub(text: string): string {
    let out = text
    for (const secret of [...this.runtime].sort((a, b) => b.length - a.length)) if (out.includes(secret)) out = out.split(secret).join('[redacted]')
    return this.logger.redact(out)
  }

  // ─── integration store (region, redirect URI, webhooks) ─────────────────────

  private storeData(): Promise<Data> {
    return (this.stored ??= this.deps.store.get())
  }

  private async updateStore(patch: Data) {
    const next = { ...(await this.deps.store.get()), ...patch }
    await this.deps.store.set(next)
    this.stored = Promise.resolve(next)
  }

  private async learnRegion(region: string) {
    const current = (await this.storeData()).region
    if (current === region) return
    this.logger.info(`LiveChat: the organization answers in region "${region}"; using it from now on`)
    await this.updateStore({ region })
  }

  /** The Redirect URI of the cookie grant: the webhook URL seen by `register`, else Botpress Cloud's URL for this webhook id. */
  private async redirectUri(): Promise<string> {
    return str((await this.storeData()).redirectUri) ?? `${BOTPRESS_WEBHOOK_HOST}/${this.deps.ctx.webhookId}`
  }

  // ─── Web API calls ───────────────────────────────────────────────────────────

  /** Agent or Configuration API call with the PAT; region learned before, else the PAT's own prefix. */
  private async agentCall<T>(api: 'agent' | 'configuration', action: string, body: unknown, idempotent: boolean): Promise<T> {
    const region = str((await this.storeData()).region) ?? this.patRegion
    return callAction<T>(this.clients, api, action, body, {
      authorization: `Basic ${this.basic}`,
      region,
      idempotent,
      onRegion: (r) => this.learnRegion(r),
    })
  }

  /**
   * Customer API call as the customer whose credentials `holder` keeps: renewed first when (nearly) expired, and once
   * more, then retried once, when LiveChat refuses the token. Renewed credentials are saved through the holder.
   */
  private async customerCall<T>(
    holder: CredentialHolder,
    action: string,
    body: unknown,
    opts: { idempotent?: boolean; form?: FormData } = {}
  ): Promise<T> {
    let credentials = await holder.load()
    if (!credentials) {
      throw new ProviderError(`${TITLE}: no customer token is stored for this user; call createUser again`, { provider: TITLE, operation: `customer ${action}` })
    }
    this.remember(credentials.token, credentials.cst)
    if (credentials.expiresAt - Date.now() < RENEW_MARGIN_MS) {
      try {
        credentials = await this.auth.renew(holder, credentials, await this.redirectUri(), false)
      } catch (error) {
        if (credentials.expiresAt <= Date.now() || !(error instanceof ProviderError)) throw error
        this.logger.warn(`${errorMessage(error)} Using the current token while it lasts.`)
      }
    }
    const call = (c: CustomerCredentials) =>
      callAction<T>(this.clients, 'customer', action, body, {
        authorization: `Bearer ${c.token}`,
        region: regionOfToken(c.token),
        idempotent: opts.idempotent,
        form: opts.form,
        searchParams: { organization_id: this.config.organizationId },
        onRegion: (r) => this.learnRegion(r),
      })
    try {
      return await call(credentials)
    } catch (error) {
      if (!isLivechatError(error, 'authentication')) throw error
      this.logger.info(`LiveChat refused the token of customer ${credentials.customerId} on ${action}; renewing it`)
      credentials = await this.auth.renew(holder, credentials, await this.redirectUri(), true)
      return call(credentials)
    }
  }

  private contactHolder(contact: ContactRef): CredentialHolder {
    return {
      load: async () => credentialsFrom(await contact.data(), contact.id),
      save: (c) => contact.saveData(credentialRecord(c)),
    }
  }

  /** The copy of the customer's credentials kept with the session (used for the bot's notices and for closing). */
  private sessionHolder(session: SessionRef): CredentialHolder {
    return {
      load: async () => {
        const customer = (await session.data()).customer
        return customer && typeof customer === 'object' ? credentialsFrom(customer as Record<string, unknown>, session.contactId) : undefined
      },
      save: (c) => session.saveData({ customer: { customerId: c.customerId, ...credentialRecord(c) } }),
    }
  }

  /** Loads and saves through `primary`, and also saves renewed credentials into the session's copy. */
  private mirroredHolder(primary: CredentialHolder, session: SessionRef): CredentialHolder {
    const copy = this.sessionHolder(session)
    return {
      load: () => primary.load(),
      save: async (c) => {
        await primary.save(c)
        await copy.save(c).catch((error) => this.logger.warn(`LiveChat: could not refresh the session's copy of the customer token: ${errorMessage(error)}`))
      },
    }
  }

  // ─── register / unregister ───────────────────────────────────────────────────

  async connect({ webhookUrl }: ConnectInput): Promise<void> {
    await this.verifyAgentToken()
    if (str((await this.storeData()).redirectUri) !== webhookUrl) await this.updateStore({ redirectUri: webhookUrl })
    await this.verifyCustomerGrant(webhookUrl)
    await this.registerWebhooks(webhookUrl)
  }

  /** A cheap call every PAT of the guide can make (`list_chats` needs `chats--access:ro`, included in `chats--access:rw`). */
  private async verifyAgentToken() {
    try {
      await this.agentCall('agent', 'list_chats', { limit: 1 }, true)
    } catch (error) {
      if (isLivechatError(error, 'authentication')) {
        const looksRaw = !decodeAgentToken(this.basic).pat
        throw new ConfigurationError(
          `LiveChat refused the agent token (livechat.agentToken): ${error.message}. ` +
            (looksRaw
              ? 'It does not decode to "<account id>:<token>": paste the Base64 value shown once when the personal access token was created (Developer Console → Settings → Authorization → Personal Access Tokens), not the token itself.'
              : 'Create a new personal access token (Developer Console → Settings → Authorization → Personal Access Tokens) and paste its Base64 value.')
        )
      }
      if (isLivechatError(error, 'authorization')) {
        throw new ConfigurationError(
          `LiveChat refused to list chats with the agent token (livechat.agentToken): ${error.message}. The personal access token needs the chats--access:rw scope (scopes cannot be changed: create a new token).`
        )
      }
      if (isLivechatError(error, 'misdirected_request')) throw new ConfigurationError(error.message)
      throw error
    }
  }

  /**
   * The customer side (client id, organization id, Redirect URI) is checked with one cookie grant, once per combination
   * of those values: it creates one unused customer identity, but a wrong Redirect URI fails the save instead of every
   * hand-off.
   */
  private async verifyCustomerGrant(webhookUrl: string) {
    const check = fingerprint(this.config.clientId, this.config.organizationId, webhookUrl)
    if ((await this.storeData()).customerGrantChecked === check) return
    try {
      const probe = await this.auth.mint(webhookUrl)
      this.remember(probe.token, probe.cst)
    } catch (error) {
      if (error instanceof ProviderError && error.details.status !== undefined) throw new ConfigurationError(error.message)
      throw error
    }
    await this.updateStore({ customerGrantChecked: check })
  }

  private manualSteps(webhookUrl: string, reason: string) {
    return (
      `LiveChat: the webhooks were not registered automatically (${reason}). Finish the setup by hand (hub.md, LiveChat step 6): ` +
      `in the Developer Console open your app → Blocks → Chat Webhooks and add four webhooks, each with the URL ${webhookUrl}, ` +
      'the same secret key as livechat.webhookSecret and type "license": (a) trigger incoming_event with the filter author_type = agent; ' +
      '(b) chat_deactivated; (c) chat_transferred; (d) user_added_to_chat (tells Botpress which agent took the chat). ' +
      'Then make sure the app is installed on your license (Private installation → Install App). ' +
      'Or create a personal access token that also has the webhooks.configuration:rw and webhooks.state:rw scopes and save again: the integration then does all of this itself.'
    )
  }

  private async registerWebhooks(webhookUrl: string) {
    const owner = this.config.clientId
    let listed: ListedWebhook[]
    try {
      const answer = await this.agentCall<unknown>('configuration', 'list_webhooks', { owner_client_id: owner }, true)
      listed = Array.isArray(answer) ? (answer as ListedWebhook[]) : []
    } catch (error) {
      if (isLivechatError(error, 'authorization', 'missing_access')) {
        this.logger.warn(this.manualSteps(webhookUrl, 'the agent token lacks the webhooks.configuration:rw scope'))
        return
      }
      throw error
    }

    const data = await this.storeData()
    const secretCheck = fingerprint('webhook secret', this.config.webhookSecret)
    const secretChanged = str(data.webhookSecretCheck) !== undefined && data.webhookSecretCheck !== secretCheck
    const ours = new Map(((Array.isArray(data.webhooks) ? data.webhooks : []) as StoredWebhook[]).map((w) => [w.id, w]))

    // Ours that no longer fit (the webhook URL or the secret changed) are replaced: webhooks cannot be edited.
    const stale = listed.filter((w) => typeof w.id === 'string' && ours.has(w.id) && (w.url !== webhookUrl || secretChanged))
    for (const w of stale) await this.unregisterWebhook(w.id as string)
    const staleIds = new Set(stale.map((w) => w.id))
    const usable = listed.filter(
      (w) =>
        typeof w.id === 'string' &&
        !staleIds.has(w.id) &&
        w.url === webhookUrl &&
        (w.type === undefined || w.type === 'license') &&
        (typeof w.secret_key !== 'string' || safeEqual(w.secret_key, this.config.webhookSecret))
    )

    const keep: StoredWebhook[] = []
    const created: string[] = []
    const reused: string[] = []
    try {
      for (const spec of WEBHOOKS) {
        const existing = usable.find((w) => w.action === spec.action)
        if (existing) {
          const id = existing.id as string
          if (ours.has(id)) keep.push({ id, action: spec.action, url: webhookUrl })
          reused.push(spec.action)
          continue
        }
        const answer = await this.agentCall<{ id?: unknown }>(
          'configuration',
          'register_webhook',
          {
            url: webhookUrl,
            description: WEBHOOK_DESCRIPTION,
            action: spec.action,
            secret_key: this.config.webhookSecret,
            owner_client_id: owner,
            type: 'license',
            ...('filters' in spec ? { filters: spec.filters } : {}),
          },
          false
        )
        const id = str(answer.id)
        if (!id) throw new ProviderError(`${TITLE} registered the ${spec.action} webhook but answered without its id`, { provider: TITLE, operation: 'configuration register_webhook' })
        keep.push({ id, action: spec.action, url: webhookUrl })
        created.push(spec.action)
      }
    } catch (error) {
      await this.updateStore({ webhooks: keep, webhookSecretCheck: secretCheck })
      if (isLivechatError(error, 'limit_reached')) {
        throw new ConfigurationError(
          `${error.message}. LiveChat allows three webhooks per action for one app: remove unused ones (Developer Console → your app → Chat Webhooks) and save again.`
        )
      }
      if (isLivechatError(error, 'authorization')) {
        this.logger.warn(this.manualSteps(webhookUrl, 'the agent token may list but not register webhooks'))
        return
      }
      throw error
    }
    await this.updateStore({ webhooks: keep, webhookSecretCheck: secretCheck })
    this.logger.info(
      `LiveChat: webhooks ready (${[created.length ? `registered ${created.join(', ')}` : '', reused.length ? `reused ${reused.join(', ')}` : ''].filter(Boolean).join('; ')}); new ones take up to 2 minutes to apply`
    )
    await this.ensureLicenseWebhooks()
  }

  /** License webhooks are enabled when the app is installed; they stay off only after `disable_license_webhooks`. */
  private async ensureLicenseWebhooks() {
    const owner = { owner_client_id: this.config.clientId }
    try {
      const state = await this.agentCall<{ license_webhooks_enabled?: unknown }>('configuration', 'get_license_webhooks_state', owner, true)
      if (state.license_webhooks_enabled !== false) return
      await this.agentCall('configuration', 'enable_license_webhooks', owner, true)
      this.logger.info('LiveChat: the license webhooks of the app were disabled; enabled them')
    } catch (error) {
      if (!isLivechatError(error, 'authorization', 'missing_access')) throw error
      this.logger.warn(
        'LiveChat: could not check that the app\'s webhooks are enabled on your license (the agent token lacks the webhooks.state:rw scope). ' +
          'If the app is not installed yet, install it (Developer Console → your app → Private installation → Install App): webhooks are only delivered to licenses where it is installed.'
      )
    }
  }

  private async unregisterWebhook(id: string): Promise<boolean> {
    try {
      await this.agentCall('configuration', 'unregister_webhook', { id, owner_client_id: this.config.clientId }, true)
      return true
    } catch (error) {
      if (isLivechatError(error, 'not_found')) return true
      if (isLivechatError(error, 'authorization', 'missing_access')) {
        this.logger.warn(`LiveChat: could not remove webhook ${id} (${error.message}); remove it in the Developer Console (your app → Chat Webhooks)`)
        return false
      }
      throw error
    }
  }

  async disconnect(): Promise<void> {
    const stored = ((await this.storeData()).webhooks ?? []) as StoredWebhook[]
    if (!Array.isArray(stored) || stored.length === 0) return
    const remaining: StoredWebhook[] = []
    for (const w of stored) if (!(await this.unregisterWebhook(w.id))) remaining.push(w)
    await this.updateStore({ webhooks: remaining })
    this.logger.info(`LiveChat: removed ${stored.length - remaining.length} webhook(s) registered by the integration`)
  }

  // ─── contacts and sessions ──────────────────────────────────────────────────

  async createContact(input: CreateContactInput): Promise<CreateContactResult> {
    let credentials = await this.auth.mint(await this.redirectUri())
    this.remember(credentials.token, credentials.cst)
    // Not persisted yet: the core saves `data` with the contact once this returns.
    const holder: CredentialHolder = { load: async () => credentials, save: async (c) => void (credentials = c) }
    await this.customerCall(
      holder,
      'update_customer',
      {
        name: input.name,
        ...(input.email ? { email: input.email } : {}),
        ...(isWebUrl(input.pictureUrl) ? { avatar: input.pictureUrl } : {}),
        ...(input.phone ? { session_fields: [{ phone: input.phone }] } : {}),
      },
      { idempotent: true }
    )
    return { id: credentials.customerId, data: credentialRecord(credentials) }
  }

  async openSession(input: OpenSessionInput): Promise<OpenSessionResult> {
    const { contact } = input
    const holder = this.contactHolder(contact)
    const groupId = groupFor(input.extras.routing, this.config.groupId)
    const events: Event[] = splitText(openingText(input)).map((text) => ({ type: 'message', text }))
    const chat = { access: { group_ids: [groupId] }, thread: { events } }
    const known = str((await contact.data()).chatId)

    let opened: { chatId: string; threadId: string } | undefined
    if (known) opened = await this.resume(holder, known, chat)
    if (!opened) {
      try {
        const res = await this.customerCall<{ chat_id?: unknown; thread_id?: unknown }>(holder, 'start_chat', { chat, continuous: true })
        const chatId = str(res.chat_id)
        const threadId = str(res.thread_id)
        if (!chatId || !threadId) throw new ProviderError(`${TITLE} started a chat but answered without chat_id or thread_id`, { provider: TITLE, operation: 'customer start_chat' })
        opened = { chatId, threadId }
      } catch (error) {
        // A customer has one chat per license: a customer who already has one (not known here) resumes it.
        if (!isLivechatError(error) || isLivechatError(error, 'authentication', 'authorization', 'group_not_found', 'customer_banned')) throw error
        const existing = await this.existingChat(holder)
        opened = existing ? await this.resume(holder, existing, chat) : undefined
        if (!opened) throw error
      }
    }
    if (opened.chatId !== known) await contact.saveData({ chatId: opened.chatId })
    const credentials = await holder.load()
    return {
      id: opened.chatId,
      altId: opened.threadId,
      data: {
        threadId: opened.threadId,
        groupId,
        ...(credentials ? { customer: { customerId: credentials.customerId, ...credentialRecord(credentials) } } : {}),
      },
    }
  }

  private async existingChat(holder: CredentialHolder): Promise<string | undefined> {
    const res = await this.customerCall<{ chats_summary?: Array<{ id?: unknown }> }>(holder, 'list_chats', { limit: 1 }, { idempotent: true })
    return str(Array.isArray(res.chats_summary) ? res.chats_summary[0]?.id : undefined)
  }

  /**
   * A new thread in the customer's chat. If the previous thread is still active (its session ended without LiveChat
   * knowing), it is deactivated first: that session is over, and LiveChat tells Botpress so with chat_deactivated.
   * Answers undefined when the chat no longer exists.
   */
  private async resume(holder: CredentialHolder, chatId: string, chat: Record<string, unknown>): Promise<{ chatId: string; threadId: string } | undefined> {
    const attempt = async () => {
      const res = await this.customerCall<{ thread_id?: unknown }>(holder, 'resume_chat', { chat: { id: chatId, ...chat }, continuous: true })
      const threadId = str(res.thread_id)
      if (!threadId) throw new ProviderError(`${TITLE} resumed chat ${chatId} but answered without thread_id`, { provider: TITLE, operation: 'customer resume_chat' })
      return { chatId, threadId }
    }
    try {
      return await attempt()
    } catch (error) {
      if (isLivechatError(error, 'not_found')) return undefined
      if (!isLivechatError(error) || isLivechatError(error, 'authentication', 'authorization', 'group_not_found', 'customer_banned')) throw error
      let current: ChatAnswer
      try {
        current = await this.customerCall<ChatAnswer>(holder, 'get_chat', { chat_id: chatId }, { idempotent: true })
      } catch (lookup) {
        if (isLivechatError(lookup, 'not_found')) return undefined
        throw error
      }
      if (current.thread?.active !== true) throw error
      this.logger.info(`LiveChat: chat ${chatId} still had an active thread from an earlier hand-off; closing it before starting the new one`)
      await this.deactivate(holder, chatId)
      return attempt()
    }
  }

  private async deactivate(holder: CredentialHolder, chatId: string) {
    try {
      await this.customerCall(holder, 'deactivate_chat', { id: chatId }, { idempotent: true })
    } catch (error) {
      if (!isLivechatError(error, 'chat_inactive')) throw error
    }
  }

  async closeSession(session: SessionRef): Promise<void> {
    const data = await session.data()
    const threadId = session.altId ?? str(data.threadId)
    const holder = this.sessionHolder(session)
    if (await holder.load()) {
      try {
        const chat = await this.customerCall<ChatAnswer>(holder, 'get_chat', { chat_id: session.id }, { idempotent: true })
        const current = str(chat.thread?.id)
        if (threadId && current && current !== threadId) {
          this.logger.info(`LiveChat: thread ${threadId} of chat ${session.id} is already over (the chat continues in a later thread)`)
          return
        }
        if (chat.thread && chat.thread.active === false) return
      } catch (error) {
        if (isLivechatError(error, 'not_found')) {
          this.logger.warn(`LiveChat: chat ${session.id} was not found; nothing to close`)
          return
        }
        if (!(error instanceof ProviderError)) throw error
        this.logger.debug(`LiveChat: could not read chat ${session.id} before closing it: ${error.message}`)
      }
      try {
        await this.deactivate(holder, session.id)
        return
      } catch (error) {
        if (!(error instanceof ProviderError)) throw error
        this.logger.warn(`LiveChat: the customer could not close chat ${session.id} (${error.message}); closing it with the agent token`)
      }
    }
    try {
      await this.agentCall('agent', 'deactivate_chat', { id: session.id, ignore_requester_presence: true }, true)
    } catch (error) {
      if (isLivechatError(error, 'chat_inactive')) return
      if (isLivechatError(error, 'not_found')) {
        this.logger.warn(`LiveChat: chat ${session.id} was not found; nothing to close`)
        return
      }
      throw error
    }
  }

  // ─── user → agent ────────────────────────────────────────────────────────────

  async sendMessage({ session, author, message }: SendMessageInput): Promise<SendMessageResult> {
    const own = author.kind === 'user' && (!session.contactId || author.contact.id === session.contactId)
    // The user's own messages use (and renew) the contact's credentials, and keep the session's copy fresh with them.
    const holder = own && author.kind === 'user' ? this.mirroredHolder(this.contactHolder(author.contact), session) : this.sessionHolder(session)
    // Only the session's customer can write in its chat: the bot's notices (and, rarely, another user) are marked.
    const prefix =
      author.kind === 'bot' ? `[${author.name}] ` : own ? '' : `[${(await author.contact.profile().catch(() => ({}) as { name?: string })).name ?? 'User'}] `

    let id: string | undefined
    let altId: string | undefined
    for (const event of await this.eventsOf(message, prefix, holder)) {
      const sent = await this.sendEvent(session, holder, event)
      id = sent.id ?? id
      altId = sent.altId ?? altId
    }
    return { ...(id ? { id } : {}), ...(altId ? { altId } : {}) }
  }

  private async eventsOf(message: OutboundMessage, prefix: string, holder: CredentialHolder): Promise<Event[]> {
    const texts = (text: string): Event[] => splitText(prefix + text).map((t) => ({ type: 'message', text: t }))
    switch (message.type) {
      case 'text':
        return texts(message.text)
      case 'markdown':
        return texts(message.markdown)
      case 'location':
        return texts(renderOutbound(message))
      case 'bloc': {
        const all: Event[] = []
        for (const item of message.items) all.push(...(await this.eventsOf(item, prefix, holder)))
        return all
      }
      default: {
        const link = () => texts(renderOutbound(message))
        // Files in the chat are the customer's own; the bot's media go as marked links.
        if (prefix || !isWebUrl(message.url)) return link()
        const url = await this.upload(message.url, message.title, message.type, holder)
        if (!url) return link()
        return [{ type: 'file', url, ...(message.type === 'image' && message.title ? { alternative_text: message.title } : {}) }]
      }
    }
  }

  /** Fetches a medium and uploads it to LiveChat's CDN; undefined (with a log line) when that is impossible. */
  private async upload(url: string, title: string | undefined, kind: MediaKind, holder: CredentialHolder): Promise<string | undefined> {
    const { media } = this.clients
    try {
      const head = await media.request({ method: 'HEAD', path: url, responseType: 'buffer', okStatuses: ANSWER_STATUSES, operation: 'HEAD media' })
      const length = Number(head.headers['content-length'])
      if (head.status < 300 && Number.isFinite(length) && length > MAX_UPLOAD_BYTES) {
        this.logger.info(`LiveChat: the ${kind} is ${length} bytes, over LiveChat's 10 MB limit; sending its link`)
        return undefined
      }
    } catch (error) {
      if (!(error instanceof ProviderError)) throw error
      this.logger.info(`LiveChat: could not fetch the ${kind} to upload it (${error.message}); sending its link`)
      return undefined
    }
    let bytes: Buffer
    let contentType: string | undefined
    try {
      const res = await media.request<Buffer>({ path: url, responseType: 'buffer', operation: 'GET media' })
      bytes = res.body
      const type = res.headers['content-type']
      contentType = Array.isArray(type) ? type[0] : type
    } catch (error) {
      if (!(error instanceof ProviderError)) throw error
      this.logger.info(`LiveChat: could not fetch the ${kind} to upload it (${error.message}); sending its link`)
      return undefined
    }
    if (!bytes?.length || bytes.length > MAX_UPLOAD_BYTES) {
      this.logger.info(`LiveChat: the ${kind} is ${bytes?.length ? 'over LiveChat\'s 10 MB limit' : 'empty'}; sending its link`)
      return undefined
    }
    const name = uploadName(url, title, contentType, kind)
    const form = new FormData()
    form.append('file', new Blob([new Uint8Array(bytes)], { type: contentTypeFor(name, contentType) }), name)
    try {
      const res = await this.customerCall<{ url?: unknown }>(holder, 'upload_file', undefined, { form, idempotent: true })
      const cdn = str(res.url)
      if (!isWebUrl(cdn)) throw new ProviderError(`${TITLE} accepted the upload but answered without a URL`, { provider: TITLE, operation: 'customer upload_file' })
      return cdn
    } catch (error) {
      if (!(error instanceof ProviderError)) throw error
      this.logger.warn(`LiveChat: could not upload the ${kind} (${error.message}); sending its link`)
      return undefined
    }
  }

  private async sendEvent(session: SessionRef, holder: CredentialHolder, event: Event): Promise<{ id?: string; altId?: string }> {
    try {
      const res = await this.customerCall<{ event_id?: unknown }>(holder, 'send_event', { chat_id: session.id, event })
      return { id: str(res.event_id) }
    } catch (error) {
      if (!isLivechatError(error, 'chat_inactive')) throw error
    }
    // The thread was closed on LiveChat but Botpress was not told (yet): a new thread carries the message, so it is not lost.
    const data = await session.data()
    const groupId = typeof data.groupId === 'number' ? data.groupId : this.config.groupId
    const res = await this.customerCall<{ thread_id?: unknown; event_ids?: unknown }>(holder, 'resume_chat', {
      chat: { id: session.id, access: { group_ids: [groupId] }, thread: { events: [event] } },
      continuous: true,
    })
    const threadId = str(res.thread_id)
    if (threadId) await session.saveData({ threadId })
    this.logger.info(`LiveChat: chat ${session.id} was inactive; the message opened a new thread`)
    return { id: Array.isArray(res.event_ids) ? str(res.event_ids[0]) : undefined, altId: threadId }
  }

  // ─── webhooks ────────────────────────────────────────────────────────────────

  verifyWebhook(req: WebhookRequest) {
    return verifySecret(this.config.webhookSecret, req)
  }

  parseWebhook(req: WebhookRequest) {
    return parseWebhookBody(req, this.config.organizationId)
  }

  /** Name and avatar of an agent known only by id (chat_transferred): Configuration `get_agent`, when the token may. */
  async describeAgent(agentId: string): Promise<Agent> {
    try {
      const agent = await this.agentCall<{ name?: unknown; avatar?: unknown }>('configuration', 'get_agent', { id: agentId }, true)
      const pictureUrl = normalizeAvatar(str(agent.avatar))
      return { id: agentId, name: str(agent.name) ?? agentId, ...(pictureUrl ? { pictureUrl } : {}) }
    } catch (error) {
      if (!isLivechatError(error, 'authorization', 'missing_access', 'not_found', 'validation')) throw error
      this.logger.debug(`LiveChat: no details for agent ${agentId} (${error.message}); using the id as the name`)
      return { id: agentId, name: agentId }
    }
  }
}

