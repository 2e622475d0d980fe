/**
 * The custom channel (app-level, developer API key) and the channel account that connects it to the help desk
 * (portal-level, OAuth). Registering reuses what exists: the channel whose `webhookUrl` is ours (or carries our
 * webhook id, then repointed), and the account of that channel for the configured inbox; only what is missing is
 * created. HubSpot can take over a minute before a new channel accepts accounts: registering polls briefly, then
 * says so clearly and lets the first hand-off finish the connection.
 */
import { ConfigurationError, errorMessage, ProviderError } from '../../core/errors'
import type { Logger } from '../../core/log'
import { TITLE, type HubspotApi } from './api'
import type { HubspotConfig } from './config'
import type { HubspotState, StateStore } from './state'

export const CHANNEL_NAME = 'Botpress HITL'
export const ACCOUNT_NAME = 'Botpress'
export const MAX_FILE_BYTES = 10_000_000

/** What the channel supports. Every delivery identifier type we publish with is declared. */
export const CAPABILITIES = {
  deliveryIdentifierTypes: ['HS_EMAIL_ADDRESS', 'HS_PHONE_NUMBER', 'CHANNEL_SPECIFIC_OPAQUE_ID'],
  threadingModel: 'INTEGRATION_THREAD_ID',
  richText: ['HYPERLINK', 'BOLD', 'ITALIC', 'LISTS'],
  allowInlineImages: true,
  allowOutgoingMessages: true,
  allowConversationStart: false,
  allowMultipleRecipients: false,
  outgoingAttachmentTypes: ['FILE'],
  allowedFileAttachmentMimeTypes: ['image/*', 'audio/*', 'video/*', 'application/pdf', 'text/plain', 'text/csv'],
  maxFileAttachmentCount: 5,
  maxFileAttachmentSizeBytes: MAX_FILE_BYTES,
  maxTotalFileAttachmentSizeBytes: 5 * MAX_FILE_BYTES,
}

/** Subscriptions the app needs for assignment and closing (app webhooks). */
export const APP_SUBSCRIPTIONS = [
  { eventType: 'conversation.propertyChange', propertyName: 'assignedTo' },
  { eventType: 'conversation.propertyChange', propertyName: 'status' },
  { eventType: 'conversation.deletion' },
] as const

/** Waits between checks that a new channel is usable (tests shorten them). */
export const timing = {
  /** register: ≈15 s in all, then a clear warning and the connection finishes on first use. */
  connectPollMs: [1000, 2000, 4000, 8000],
  /** first hand-off after a lagging register: a short wait before a clear error. */
  readyPollMs: [1000, 2000],
  /** A channel created this recently and not listed yet is still being connected, not gone. */
  connectingGraceMs: 15 * 60 * 1000,
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

type Channel = { id: string; name?: string; webhookUrl?: string; capabilities?: unknown; createdAt?: string }
type Account = { id: string; inboxId?: string; authorized?: boolean; archived?: boolean }
type Page<T> = { results?: T[]; paging?: { next?: { after?: string } } }
export type Ready = { channelId: string; channelAccountId: string; inboxId: string }

const normUrl = (url: string | undefined) => (url ?? '').trim().replace(/\/+$/, '').toLowerCase()
export const sameUrl = (a: string | undefined, b: string | undefined) => !!a && !!b && normUrl(a) === normUrl(b)

/** HubSpot documents `capabilities` as an object but renders it as a JSON string in places: accept both. */
const capabilitiesOf = (value: unknown): Record<string, unknown> | undefined => {
  if (typeof value === 'string') {
    try {
      return JSON.parse(value) as Record<string, unknown>
    } catch {
      return undefined
    }
  }
  return value && typeof value === 'object' ? (value as Record<string, unknown>) : undefined
}

const canonical = (value: unknown): string =>
  Array.isArray(value)
    ? `[${value.map(canonical).sort().join(',')}]`
    : value && typeof value === 'object'
      ? `{${Object.keys(value)
          .sort()
          .map((k) => `${k}:${canonical((value as Record<string, unknown>)[k])}`)
          .join(',')}}`
      : JSON.stringify(value)

const readyInflight = new Map<string, Promise<Ready>>()

export class ChannelManager {
  constructor(
    private readonly api: HubspotApi,
    private readonly state: StateStore,
    private readonly config: HubspotConfig,
    private readonly logger: Logger,
    private readonly webhookId: string
  ) {}

  get inboxId() {
    return this.config.helpDeskId.trim()
  }

  /** The webhook URL Botpress Cloud gives this installation, when register never told us (state lost). */
  defaultWebhookUrl() {
    const base = (process.env.BP_WEBHOOK_URL || 'https://webhook.botpress.cloud').replace(/\/+$/, '')
    return `${base}/${this.webhookId}`
  }

  /** Whether a channel's webhook URL belongs to this installation (it ends with our webhook id). */
  private isOurs(url: string | undefined) {
    if (!url) return false
    try {
      return new URL(url).pathname.replace(/\/+$/, '').endsWith(`/${this.webhookId}`)
    } catch {
      return false
    }
  }

  // ─── custom channel (developer API key) ──────────────────────────────────────

  private async listChannels(): Promise<Channel[]> {
    const all: Channel[] = []
    let after: string | undefined
    for (let page = 0; page < 50; page++) {
      const res = await this.api.developer<Page<Channel>>({
        path: 'conversations/v3/custom-channels',
        searchParams: { limit: 100, after },
        operation: 'list custom channels',
      })
      all.push(...(res.body?.results ?? []).map((c) => ({ ...c, id: String(c.id) })))
      after = res.body?.paging?.next?.after
      if (!after) break
    }
    return all
  }

  private async getChannel(id: string): Promise<Channel | undefined> {
    const res = await this.api.developer<Channel>({
      path: `conversations/v3/custom-channels/${encodeURIComponent(id)}`,
      okStatuses: [404],
      operation: 'get custom channel',
    })
    return res.status === 404 ? undefined : { ...res.body, id: String(res.body.id ?? id) }
  }

  /** Our channel among the app's: exact webhook URL first, else one carrying our webhook id (Botpress changed host). */
  private async findOurChannel(webhookUrl: string): Promise<Channel | undefined> {
    const channels = await this.listChannels()
    const exact = channels.filter((c) => sameUrl(c.webhookUrl, webhookUrl))
    const candidates = exact.length ? exact : channels.filter((c) => this.isOurs(c.webhookUrl))
    if (candidates.length > 1) {
      this.logger.warn(
        `${candidates.length} HubSpot custom channels point at this bot (${candidates.map((c) => c.id).join(', ')}); ` +
          `using ${candidates[0]!.id}. Older versions created one per save: archive the others in HubSpot if unused.`
      )
    }
    return candidates.sort((a, b) => String(a.createdAt ?? '').localeCompare(String(b.createdAt ?? '')) || Number(a.id) - Number(b.id))[0]
  }

  private channelBody(webhookUrl: string) {
    return {
      name: CHANNEL_NAME,
      webhookUrl,
      channelDescription: 'Conversations handed over by a Botpress bot to a human agent.',
      capabilities: CAPABILITIES,
    }
  }

  private async createChannel(webhookUrl: string): Promise<Channel> {
    const res = await this.api.developer<Channel>({
      method: 'POST',
      path: 'conversations/v3/custom-channels',
      json: this.channelBody(webhookUrl),
      operation: 'create custom channel',
    })
    const channel = { ...res.body, id: String(res.body?.id ?? '') }
    if (!channel.id) throw new ProviderError(`${TITLE} created the custom channel without answering its id`, { provider: TITLE, operation: 'create custom channel' })
    this.logger.info(`created the HubSpot custom channel ${channel.id}`)
    return channel
  }

  private async updateChannel(id: string, webhookUrl: string) {
    await this.api.developer({
      method: 'PATCH',
      path: `conversations/v3/custom-channels/${encodeURIComponent(id)}`,
      json: this.channelBody(webhookUrl),
      idempotent: true,
      operation: 'update custom channel',
    })
    this.logger.info(`updated the HubSpot custom channel ${id} (webhook URL and capabilities)`)
  }

  private needsUpdate(channel: Channel, webhookUrl: string) {
    if (!sameUrl(channel.webhookUrl, webhookUrl)) return true
    const remote = capabilitiesOf(channel.capabilities)
    return !remote || canonical(remote) !== canonical(CAPABILITIES)
  }

  // ─── channel account (OAuth) ─────────────────────────────────────────────────

  /** The account connecting our inbox, reused or created; undefined while HubSpot does not know the channel yet. */
  private async tryAccount(channelId: string): Promise<string | undefined> {
    const base = `conversations/v3/custom-channels/${encodeURIComponent(channelId)}/channel-accounts`
    let after: string | undefined
    const accounts: Account[] = []
    for (let page = 0; page < 20; page++) {
      const res = await this.api.bearer<Page<Account>>({ path: base, searchParams: { limit: 100, after }, okStatuses: [404], operation: 'list channel accounts' })
      if (res.status === 404) return undefined
      accounts.push(...(res.body?.results ?? []))
      after = res.body?.paging?.next?.after
      if (!after) break
    }
    const existing = accounts.find((a) => String(a.inboxId) === this.inboxId && !a.archived)
    if (existing) {
      const id = String(existing.id)
      if (existing.authorized === false) {
        await this.api.bearer({ method: 'PATCH', path: `${base}/${encodeURIComponent(id)}`, json: { authorized: true }, idempotent: true, operation: 'authorize channel account' })
        this.logger.info(`re-authorized the HubSpot channel account ${id}`)
      }
      return id
    }
    const res = await this.api.bearer<Account>({
      method: 'POST',
      path: base,
      json: {
        name: ACCOUNT_NAME,
        inboxId: this.inboxId,
        authorized: true,
        deliveryIdentifier: { type: 'CHANNEL_SPECIFIC_OPAQUE_ID', value: this.accountIdentifier() },
      },
      okStatuses: [404],
      operation: 'create channel account',
    })
    if (res.status === 404) return undefined
    const id = String(res.body?.id ?? '')
    if (!id) throw new ProviderError(`${TITLE} created the channel account without answering its id`, { provider: TITLE, operation: 'create channel account' })
    this.logger.info(`connected the HubSpot custom channel ${channelId} to inbox ${this.inboxId} (channel account ${id})`)
    return id
  }

  /** The business side's own identity on the channel (the recipient of the end user's messages). */
  accountIdentifier() {
    return `botpress-${this.inboxId}`
  }

  private async connectAccount(channelId: string, delays: number[]): Promise<string | undefined> {
    for (let attempt = 0; ; attempt++) {
      const id = await this.tryAccount(channelId)
      if (id) return id
      const wait = delays[attempt]
      if (wait === undefined) return undefined
      this.logger.debug(`HubSpot does not accept accounts on channel ${channelId} yet; checking again in ${wait} ms`)
      await sleep(wait)
    }
  }

  // ─── help desk ─────────────────────────────────────────────────────────────

  private checkInboxFormat() {
    const id = this.inboxId
    if (!/^\d+$/.test(id)) {
      throw new ConfigurationError(`hubspot.helpDeskId must be the numeric id of the help desk (e.g. 1431487401), not "${id.slice(0, 40)}"`)
    }
  }

  private async checkInbox() {
    const id = this.inboxId
    const res = await this.api.bearer<{ id?: string; type?: string; archived?: boolean; name?: string }>({
      path: `conversations/v3/conversations/inboxes/${id}`,
      okStatuses: [400, 404],
      operation: 'get help desk inbox',
    })
    if (res.status === 200 && res.body && !res.body.archived) {
      if (res.body.type && res.body.type !== 'HELP_DESK') {
        this.logger.warn(`hubspot.helpDeskId ${id} ("${res.body.name ?? ''}") is an inbox of type ${res.body.type}, not the help desk: hand-offs will land in that inbox`)
      }
      return
    }
    const list = await this.api.bearer<Page<{ id: string; name?: string; type?: string; archived?: boolean }>>({
      path: 'conversations/v3/conversations/inboxes',
      searchParams: { limit: 100 },
      operation: 'list inboxes',
    })
    const inboxes = (list.body?.results ?? []).filter((i) => !i.archived)
    const desks = inboxes.filter((i) => i.type === 'HELP_DESK')
    const describe = (xs: typeof inboxes) => xs.map((i) => `${i.id} (${i.name ?? i.type ?? 'inbox'})`).join(', ')
    throw new ConfigurationError(
      `hubspot.helpDeskId ${id} is not ${res.status === 200 ? 'an active' : 'an'} inbox of the HubSpot portal the app is installed in. ` +
        (desks.length ? `Help desk: ${describe(desks)}.` : `The portal has no help desk; inboxes: ${describe(inboxes) || 'none'}.`)
    )
  }

  // ─── app webhooks (developer API key; best effort) ─────────────────────────────

  private async checkAppWebhooks(webhookUrl: string) {
    const appId = encodeURIComponent(this.config.appId)
    try {
      const settings = await this.api.developer<{ targetUrl?: string }>({ path: `webhooks/v3/${appId}/settings`, okStatuses: [404], operation: 'get app webhook settings' })
      let target = settings.status === 404 ? undefined : settings.body?.targetUrl
      if (!target) {
        await this.api.developer({
          method: 'PUT',
          path: `webhooks/v3/${appId}/settings`,
          json: { targetUrl: webhookUrl, throttling: { maxConcurrentRequests: 10 } },
          operation: 'set app webhook target URL',
        })
        target = webhookUrl
        this.logger.info("set the HubSpot app's webhook target URL to this bot's webhook URL")
      }
      if (!sameUrl(target, webhookUrl)) {
        this.logger.warn(
          `The HubSpot app's webhooks go to ${target}, not to this bot (${webhookUrl}): agent assignment and closing ` +
            "will not reach Botpress. Set the app's webhook Target URL to this bot's webhook URL (see the HubSpot guide)."
        )
        return
      }
      const subs = await this.api.developer<{ results?: Array<{ id: string; eventType?: string; propertyName?: string; active?: boolean }> }>({
        path: `webhooks/v3/${appId}/subscriptions`,
        operation: 'list app webhook subscriptions',
      })
      const existing = subs.body?.results ?? []
      for (const wanted of APP_SUBSCRIPTIONS) {
        const propertyName = 'propertyName' in wanted ? wanted.propertyName : undefined
        const found = existing.find((s) => s.eventType === wanted.eventType && (s.propertyName ?? undefined) === propertyName)
        const label = `${wanted.eventType}${propertyName ? ` (${propertyName})` : ''}`
        if (!found) {
          await this.api.developer({
            method: 'POST',
            path: `webhooks/v3/${appId}/subscriptions`,
            json: { ...wanted, active: true },
            operation: 'create app webhook subscription',
          })
          this.logger.info(`subscribed the HubSpot app to ${label}`)
        } else if (found.active === false) {
          await this.api.developer({
            method: 'PATCH',
            path: `webhooks/v3/${appId}/subscriptions/${encodeURIComponent(String(found.id))}`,
            json: { active: true },
            idempotent: true,
            operation: 'activate app webhook subscription',
          })
          this.logger.info(`activated the HubSpot app's subscription to ${label}`)
        }
      }
    } catch (error) {
      this.logger.warn(
        `Could not check the HubSpot app's webhook settings (${errorMessage(error)}). Make sure the app's webhook Target URL is ` +
          "this bot's webhook URL and that it subscribes to conversation.propertyChange (assignedTo, status) and conversation.deletion."
      )
    }
  }

  // ─── entry points ─────────────────────────────────────────────────────────────

  async connect(webhookUrl: string): Promise<void> {
    this.checkInboxFormat()
    await this.api.accessToken()
    await this.checkInbox()
    const stored = await this.state.load(true)
    let createdAt = stored.channelCreatedAt
    let channel: Channel | undefined
    let visible = true
    if (stored.channelId) {
      channel = await this.getChannel(stored.channelId)
      if (!channel && createdAt && Date.now() - createdAt < timing.connectingGraceMs) {
        channel = { id: stored.channelId, webhookUrl }
        visible = false
      }
    }
    channel ??= await this.findOurChannel(webhookUrl)
    if (!channel) {
      channel = await this.createChannel(webhookUrl)
      createdAt = Date.now()
      visible = false
    } else if (visible && this.needsUpdate(channel, webhookUrl)) {
      await this.updateChannel(channel.id, webhookUrl)
    }
    const sameChannel = stored.channelId === channel.id
    await this.state.patch({
      webhookUrl,
      channelId: channel.id,
      channelCreatedAt: createdAt,
      channelAccountId: sameChannel && stored.inboxId === this.inboxId ? stored.channelAccountId : undefined,
      inboxId: sameChannel && stored.inboxId === this.inboxId ? stored.inboxId : undefined,
    })

    const accountId = await this.connectAccount(channel.id, timing.connectPollMs)
    if (accountId) {
      await this.state.patch({ channelAccountId: accountId, inboxId: this.inboxId, channelCreatedAt: undefined })
    } else {
      this.logger.warn(
        `HubSpot is still connecting the new custom channel ${channel.id} (this can take over a minute). Nothing is lost: ` +
          'the help desk is connected automatically on the first hand-off, or save the configuration again in a minute.'
      )
    }
    await this.checkAppWebhooks(webhookUrl)
  }

  async disconnect(webhookUrl: string): Promise<void> {
    const stored = await this.state.load(true)
    let channelId = stored.channelId
    if (!channelId) channelId = (await this.findOurChannel(webhookUrl).catch(() => undefined))?.id
    if (channelId) {
      const channel = await this.getChannel(channelId)
      if (channel && !sameUrl(channel.webhookUrl, webhookUrl) && !this.isOurs(channel.webhookUrl)) {
        this.logger.warn(`HubSpot custom channel ${channelId} no longer points at this bot: left as it is`)
      } else if (channel) {
        await this.api.developer({
          method: 'DELETE',
          path: `conversations/v3/custom-channels/${encodeURIComponent(channelId)}`,
          okStatuses: [404],
          operation: 'archive custom channel',
        })
        this.logger.info(`archived the HubSpot custom channel ${channelId} (and with it its channel account)`)
      }
    }
    await this.state.patch({ channelId: undefined, channelAccountId: undefined, channelCreatedAt: undefined, inboxId: undefined })
  }

  /** Channel and account for publishing; finishes a lagging registration (or a lost state) on first use. */
  async ready(): Promise<Ready> {
    const s = await this.state.load()
    const done = complete(s, this.inboxId)
    if (done) return done
    const key = this.webhookId
    const running = readyInflight.get(key)
    if (running) return running
    const run = this.recover().finally(() => readyInflight.delete(key))
    readyInflight.set(key, run)
    return run
  }

  private async recover(): Promise<Ready> {
    const s = await this.state.load(true)
    const done = complete(s, this.inboxId)
    if (done) return done
    let webhookUrl = s.webhookUrl ?? this.defaultWebhookUrl()
    let channelId = s.channelId
    let createdAt = s.channelCreatedAt
    if (!channelId) {
      const found = await this.findOurChannel(webhookUrl)
      if (found) {
        channelId = found.id
        webhookUrl = found.webhookUrl ?? webhookUrl
      } else {
        this.logger.warn('no HubSpot custom channel is registered for this bot (was the configuration saved?): creating it now')
        channelId = (await this.createChannel(webhookUrl)).id
        createdAt = Date.now()
      }
      await this.state.patch({ webhookUrl, channelId, channelCreatedAt: createdAt })
    }
    const accountId = await this.connectAccount(channelId, timing.readyPollMs)
    if (!accountId) {
      const age = createdAt ? ` (created ${Math.round((Date.now() - createdAt) / 1000)} s ago)` : ''
      throw new ProviderError(
        `HubSpot has not finished connecting the custom channel ${channelId}${age} to the help desk; this can take over a minute. Try again shortly.`,
        { provider: TITLE, operation: 'connect channel account' }
      )
    }
    await this.state.patch({ webhookUrl, channelId, channelAccountId: accountId, inboxId: this.inboxId, channelCreatedAt: undefined })
    return { channelId, channelAccountId: accountId, inboxId: this.inboxId }
  }
}

const complete = (s: HubspotState, inboxId: string): Ready | undefined =>
  s.channelId && s.channelAccountId && s.inboxId === inboxId ? { channelId: s.channelId, channelAccountId: s.channelAccountId, inboxId } : undefined

export const resetReadyInflight = () => readyInflight.clear()
