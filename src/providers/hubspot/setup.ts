/**
 * Registration (connect/disconnect) and the route every publish needs (ready): the custom channel whose
 * `webhookUrl` is ours (or carries our webhook id, then repointed), the account of that channel for the configured
 * inbox, the app's webhook subscriptions, and the portal the app is installed in (token introspection). Only what
 * is missing is created. HubSpot can take over a minute before a new channel accepts accounts: registering polls
 * briefly, then says so clearly and lets the first hand-off finish the connection.
 */
import { createSingleFlight } from '../../core/cache'
import { ConfigurationError, errorMessage, ProviderError } from '../../core/errors'
import type { ProviderDeps } from '../../core/types'
import { withoutTrailingSlashes } from '../shared'
import { TITLE, type HubspotApi } from './api'
import type { Auth } from './auth'
import { sameUrl, needsUpdate, type Channel, type ChannelApi } from './channel'
import type { HubspotConfig } from './config'
import type { HubspotState, StateStore } from './state'

/** Subscriptions the app needs for assignment and closing (app webhooks). */
export const APP_SUBSCRIPTIONS = [
  { eventType: 'conversation.propertyChange', propertyName: 'assignedTo' },
  { eventType: 'conversation.propertyChange', propertyName: 'status' },
  { eventType: 'conversation.deletion' },
] as const

/** Waits between checks that a new channel is usable (tests shorten them and replace `sleep`). */
export const timing = {
  /** register: ≈15 s in all, then a clear warning and the connection finishes on first use. */
  connectPollMs: [1000, 2000, 4000, 8000],
  /** first hand-off after a lagging register: a short wait before a clear error. */
  readyPollMs: [1000, 2000],
  /** A channel created this recently and not listed yet is still being connected, not gone. */
  connectingGraceMs: 15 * 60 * 1000,
  sleep: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
}

export type Ready = { channelId: string; channelAccountId: string; inboxId: string }

const readyFlight = createSingleFlight<Ready>('hubspot channel ready')

const complete = (s: HubspotState, inboxId: string): Ready | undefined =>
  s.channelId && s.channelAccountId && s.inboxId === inboxId ? { channelId: s.channelId, channelAccountId: s.channelAccountId, inboxId } : undefined

/** The webhook URL Botpress gives this installation, when register never told us (state lost, cold verifier). */
export const defaultWebhookUrl = (webhookId: string) => `${withoutTrailingSlashes(process.env.BP_WEBHOOK_URL || 'https://webhook.botpress.cloud')}/${webhookId}`

export const createSetup = (p: { config: HubspotConfig; api: HubspotApi; channels: ChannelApi; state: StateStore; auth: Auth; deps: ProviderDeps }) => {
  const { config, api, channels, state, auth, deps } = p
  const { logger } = deps
  const webhookId = deps.ctx.webhookId
  const inboxId = config.helpDeskId.trim()

  /** Whether a channel's webhook URL belongs to this installation (it ends with our webhook id). */
  const isOurs = (url: string | undefined) => {
    if (!url) return false
    try {
      return withoutTrailingSlashes(new URL(url).pathname).endsWith(`/${webhookId}`)
    } catch {
      return false
    }
  }

  /** Our channel among the app's: exact webhook URL first, else one carrying our webhook id (Botpress changed host). */
  const findOurChannel = async (webhookUrl: string): Promise<Channel | undefined> => {
    const all = await channels.list()
    const exact = all.filter((c) => sameUrl(c.webhookUrl, webhookUrl))
    const candidates = exact.length ? exact : all.filter((c) => isOurs(c.webhookUrl))
    if (candidates.length > 1) {
      logger.warn(
        `${candidates.length} HubSpot custom channels point at this bot (${candidates.map((c) => c.id).join(', ')}); ` +
          `using ${candidates[0]!.id}. Older versions created one per save: archive the others in HubSpot if unused.`
      )
    }
    return candidates.sort((a, b) => String(a.createdAt ?? '').localeCompare(String(b.createdAt ?? '')) || Number(a.id) - Number(b.id))[0]
  }

  const connectAccount = async (channelId: string, delays: number[]): Promise<string | undefined> => {
    for (let attempt = 0; ; attempt++) {
      const id = await channels.tryAccount(channelId)
      if (id) return id
      const wait = delays[attempt]
      if (wait === undefined) return undefined
      logger.debug(`HubSpot does not accept accounts on channel ${channelId} yet; checking again in ${wait} ms`)
      await timing.sleep(wait)
    }
  }

  const checkInbox = async () => {
    if (!/^\d{1,20}$/.test(inboxId)) {
      throw new ConfigurationError(`hubspot.helpDeskId must be the numeric id of the help desk (e.g. 1431487401), not "${inboxId.slice(0, 40)}"`)
    }
    await auth.accessToken()
    const res = await api.bearer<{ id?: string; type?: string; archived?: boolean; name?: string }>({
      path: `conversations/v3/conversations/inboxes/${inboxId}`,
      okStatuses: [400, 404],
      operation: 'get help desk inbox',
    })
    if (res.status === 200 && res.body && !res.body.archived) {
      if (res.body.type && res.body.type !== 'HELP_DESK') {
        logger.warn(`hubspot.helpDeskId ${inboxId} ("${String(res.body.name ?? '').slice(0, 80)}") is an inbox of type ${String(res.body.type).slice(0, 30)}, not the help desk: hand-offs will land in that inbox`)
      }
      return
    }
    const list = await api.bearer<{ results?: Array<{ id: string; name?: string; type?: string; archived?: boolean }> }>({
      path: 'conversations/v3/conversations/inboxes',
      searchParams: { limit: 100 },
      operation: 'list inboxes',
    })
    const inboxes = (list.body?.results ?? []).filter((i) => !i.archived)
    const desks = inboxes.filter((i) => i.type === 'HELP_DESK')
    const describe = (xs: typeof inboxes) => xs.map((i) => `${i.id} (${i.name ?? i.type ?? 'inbox'})`).join(', ')
    throw new ConfigurationError(
      `hubspot.helpDeskId ${inboxId} is not ${res.status === 200 ? 'an active' : 'an'} inbox of the HubSpot portal the app is installed in. ` +
        (desks.length ? `Help desk: ${describe(desks)}.` : `The portal has no help desk; inboxes: ${describe(inboxes) || 'none'}.`)
    )
  }

  /** The app's webhook target and subscriptions (developer API key; best effort). */
  const checkAppWebhooks = async (webhookUrl: string) => {
    const appId = encodeURIComponent(config.appId)
    try {
      const settings = await api.developer<{ targetUrl?: string }>({ path: `webhooks/v3/${appId}/settings`, okStatuses: [404], operation: 'get app webhook settings' })
      let target = settings.status === 404 ? undefined : settings.body?.targetUrl
      if (!target) {
        await api.developer({ method: 'PUT', path: `webhooks/v3/${appId}/settings`, json: { targetUrl: webhookUrl, throttling: { maxConcurrentRequests: 10 } }, operation: 'set app webhook target URL' })
        target = webhookUrl
        logger.info("set the HubSpot app's webhook target URL to this bot's webhook URL")
      }
      if (!sameUrl(target, webhookUrl)) {
        logger.warn(
          `The HubSpot app's webhooks go to ${target}, not to this bot (${webhookUrl}): agent assignment and closing ` +
            "will not reach Botpress. Set the app's webhook Target URL to this bot's webhook URL (see the HubSpot guide)."
        )
        return
      }
      const subs = await api.developer<{ results?: Array<{ id: string; eventType?: string; propertyName?: string; active?: boolean }> }>({
        path: `webhooks/v3/${appId}/subscriptions`,
        operation: 'list app webhook subscriptions',
      })
      const existing = subs.body?.results ?? []
      for (const wanted of APP_SUBSCRIPTIONS) {
        const propertyName = 'propertyName' in wanted ? wanted.propertyName : undefined
        const found = existing.find((s) => s.eventType === wanted.eventType && (s.propertyName ?? undefined) === propertyName)
        const label = `${wanted.eventType}${propertyName ? ` (${propertyName})` : ''}`
        if (!found) {
          await api.developer({ method: 'POST', path: `webhooks/v3/${appId}/subscriptions`, json: { ...wanted, active: true }, operation: 'create app webhook subscription' })
          logger.info(`subscribed the HubSpot app to ${label}`)
        } else if (found.active === false) {
          await api.developer({
            method: 'PATCH',
            path: `webhooks/v3/${appId}/subscriptions/${encodeURIComponent(String(found.id))}`,
            json: { active: true },
            idempotent: true,
            operation: 'activate app webhook subscription',
          })
          logger.info(`activated the HubSpot app's subscription to ${label}`)
        }
      }
    } catch (error) {
      logger.warn(
        `Could not check the HubSpot app's webhook settings (${errorMessage(error)}). Make sure the app's webhook Target URL is ` +
          "this bot's webhook URL and that it subscribes to conversation.propertyChange (assignedTo, status) and conversation.deletion."
      )
    }
  }

  const recover = async (): Promise<Ready> => {
    const s = await state.load(true)
    const done = complete(s, inboxId)
    if (done) return done
    let webhookUrl = s.webhookUrl ?? defaultWebhookUrl(webhookId)
    let channelId = s.channelId
    let createdAt = s.channelCreatedAt
    if (!channelId) {
      const found = await findOurChannel(webhookUrl)
      if (found) {
        channelId = found.id
        webhookUrl = found.webhookUrl ?? webhookUrl
      } else {
        logger.warn('no HubSpot custom channel is registered for this bot (was the configuration saved?): creating it now')
        channelId = (await channels.create(webhookUrl)).id
        createdAt = Date.now()
      }
      await state.patch({ webhookUrl, channelId, channelCreatedAt: createdAt })
    }
    const accountId = await connectAccount(channelId, timing.readyPollMs)
    if (!accountId) {
      const age = createdAt ? ` (created ${Math.round((Date.now() - createdAt) / 1000)} s ago)` : ''
      throw new ProviderError(
        `HubSpot has not finished connecting the custom channel ${channelId}${age} to the help desk; this can take over a minute. Try again shortly.`,
        { provider: TITLE, operation: 'connect channel account' }
      )
    }
    await state.patch({ webhookUrl, channelId, channelAccountId: accountId, inboxId, channelCreatedAt: undefined })
    return { channelId, channelAccountId: accountId, inboxId }
  }

  return {
    inboxId,

    async connect(webhookUrl: string): Promise<void> {
      await checkInbox()
      const portal = await auth.learnPortal().catch((error: unknown) => {
        logger.warn(`could not learn the HubSpot portal id (${errorMessage(error)}): events are not filtered by portal until it is known`)
        return undefined
      })
      if (portal) logger.info(`the HubSpot app is installed in portal ${portal}: events of other portals are ignored`)
      const stored = await state.load(true)
      let createdAt = stored.channelCreatedAt
      let channel: Channel | undefined
      let visible = true
      if (stored.channelId) {
        channel = await channels.get(stored.channelId)
        if (!channel && createdAt && Date.now() - createdAt < timing.connectingGraceMs) {
          channel = { id: stored.channelId, webhookUrl }
          visible = false
        }
      }
      channel ??= await findOurChannel(webhookUrl)
      if (!channel) {
        channel = await channels.create(webhookUrl)
        createdAt = Date.now()
        visible = false
      } else if (visible && needsUpdate(channel, webhookUrl)) {
        await channels.update(channel.id, webhookUrl)
      }
      const same = stored.channelId === channel.id && stored.inboxId === inboxId
      await state.patch({
        webhookUrl,
        channelId: channel.id,
        channelCreatedAt: createdAt,
        channelAccountId: same ? stored.channelAccountId : undefined,
        inboxId: same ? stored.inboxId : undefined,
      })
      const accountId = await connectAccount(channel.id, timing.connectPollMs)
      if (accountId) {
        await state.patch({ channelAccountId: accountId, inboxId, channelCreatedAt: undefined })
      } else {
        logger.warn(
          `HubSpot is still connecting the new custom channel ${channel.id} (this can take over a minute). Nothing is lost: ` +
            'the help desk is connected automatically on the first hand-off, or save the configuration again in a minute.'
        )
      }
      await checkAppWebhooks(webhookUrl)
    },

    async disconnect(webhookUrl: string): Promise<void> {
      const stored = await state.load(true)
      const channelId = stored.channelId ?? (await findOurChannel(webhookUrl).catch(() => undefined))?.id
      if (channelId) {
        const channel = await channels.get(channelId)
        if (channel && !sameUrl(channel.webhookUrl, webhookUrl) && !isOurs(channel.webhookUrl)) {
          logger.warn(`HubSpot custom channel ${channelId} no longer points at this bot: left as it is`)
        } else if (channel) {
          await channels.archive(channelId)
        }
      }
      await state.patch({ channelId: undefined, channelAccountId: undefined, channelCreatedAt: undefined, inboxId: undefined })
    },

    /** Channel and account for publishing; finishes a lagging registration (or a lost state) on first use. */
    async ready(): Promise<Ready> {
      const done = complete(await state.load(), inboxId)
      return done ?? readyFlight(webhookId, recover)
    },
  }
}

export type Setup = ReturnType<typeof createSetup>

/** Switching providers: what to remove by hand when the integration can no longer do it (the channel register stored). */
export const manualCleanup = (stored: Record<string, unknown>, webhookUrl: string): string | undefined => {
  const channelId = typeof stored.channelId === 'string' && /^\d{1,20}$/.test(stored.channelId) ? stored.channelId : undefined
  if (!channelId) return undefined
  return (
    `Archive the HubSpot custom channel ${channelId} (it delivers to ${typeof stored.webhookUrl === 'string' ? stored.webhookUrl : webhookUrl}): ` +
    `DELETE https://api.hubapi.com/conversations/v3/custom-channels/${channelId} with your app's developer API key ` +
    '(query parameters hapikey and appId); its channel account in the help desk goes with it.'
  )
}
