/**
 * register / unregister. Freshchat has no API to create conversation webhooks: the administrator pastes the URL in
 * Admin › Webhooks (hub.md "Freshchat"). So register only reads: the public key is parsed locally, the API key and
 * the topic (channel) are checked with GET /channels; nothing is written, on Freshchat or in Botpress. It logs the
 * exact URL to paste.
 */
import { createCache } from '../../core/cache'
import { ConfigurationError, ProviderError } from '../../core/errors'
import type { HttpClient } from '../../core/http'
import type { ProviderDeps } from '../../core/types'
import { asId, isRecord, str } from '../shared'
import { apiBaseOf, TITLE } from './api'
import type { FreshchatConfig } from './config'
import { publicKeyOf } from './signature'
import { EVENTS } from './webhook'

type Channel = { id: string; name?: string; enabled: boolean }

const PAGE_SIZE = 100
const MAX_PAGES = 10

/** The default topic per account, on a warm instance: conversations open there, and webhooks of other topics are ignored. */
const defaults = createCache<string>({ name: 'freshchat default channel', max: 200, ttlMs: 10 * 60_000 })

export const createSetup = (config: FreshchatConfig, deps: Pick<ProviderDeps, 'logger'>, api: HttpClient) => {
  const configured = config.channelId?.trim() || undefined
  const cacheKey = apiBaseOf(config)

  /** GET /channels, page by page (`page`, `items_per_page`), bounded. */
  const listChannels = async (): Promise<Channel[]> => {
    const all: Channel[] = []
    for (let page = 1; page <= MAX_PAGES; page++) {
      const res = await api.request({ path: 'channels', searchParams: { page, items_per_page: PAGE_SIZE }, operation: 'list topics (GET /channels)' })
      const list = isRecord(res.body) && Array.isArray(res.body.channels) ? res.body.channels.filter(isRecord) : []
      for (const c of list) {
        const id = asId(c.id)
        if (id) all.push({ id, name: str(c.name)?.slice(0, 100), enabled: c.enabled !== false })
      }
      if (list.length < PAGE_SIZE) break
    }
    return all
  }

  const refused = (error: unknown) => error instanceof ProviderError && (error.details.status === 401 || error.details.status === 403)

  return {
    /** The topic new conversations open in: configured, else the account's first (one GET on a cold instance). */
    async channelId(): Promise<string> {
      if (configured) return configured
      const known = defaults.get(cacheKey)
      if (known) return known
      const first = (await listChannels()).find((c) => c.enabled)
      if (!first) throw new ProviderError(`${TITLE} has no topic to open conversations in (GET /channels listed none)`, { provider: TITLE, operation: 'list topics' })
      return defaults.set(cacheKey, first.id)
    },

    /** What this instance knows without a request: the configured topic, or the default one seen here. */
    knownChannelId: (): string | undefined => configured ?? defaults.get(cacheKey),

    async connect(webhookUrl: string): Promise<void> {
      const key = publicKeyOf(config.webhookPublicKey)
      if ('error' in key) {
        throw new ConfigurationError(
          `The webhook public key (freshchat.webhookPublicKey) is not usable: ${key.error}. Copy the RSA public key shown in Freshchat under Admin › Webhooks.`
        )
      }
      let channels: Channel[]
      try {
        channels = await listChannels()
      } catch (error) {
        if (refused(error)) {
          throw new ConfigurationError(
            `Freshchat refused the API key (freshchat.apiKey) at ${apiBaseOf(config)}: ${(error as Error).message}. Generate a token under Admin › Configure › API Tokens and check freshchat.domain.`
          )
        }
        throw error
      }
      if (configured && !channels.some((c) => c.id === configured)) {
        throw new ConfigurationError(
          `Freshchat has no topic ${configured.slice(0, 80)} (freshchat.channelId): leave it empty to use the first topic, or copy an id from GET /channels (${channels.length} topic(s) found)`
        )
      }
      const channel = configured ? channels.find((c) => c.id === configured)! : channels.find((c) => c.enabled)
      if (!channel) throw new ConfigurationError('Freshchat lists no enabled topic (freshchat.channelId): create one under Admin › Topics')
      if (!configured) defaults.set(cacheKey, channel.id)
      deps.logger.info(
        `Freshchat: API key and topic "${channel.name ?? channel.id}" (${channel.id}) checked. Freshchat has no API for conversation webhooks: ` +
          `in Freshchat, Admin › Webhooks, enable webhooks, paste ${webhookUrl} and subscribe to ${EVENTS.join(', ')}.` +
          (configured ? '' : ` Tip: set freshchat.channelId to ${channel.id} so that every instance ignores other topics' events without a Botpress request.`)
      )
    },

    /** Nothing to remove: the integration created nothing. The administrator may disable the webhook in Admin › Webhooks. */
    async disconnect(webhookUrl: string): Promise<void> {
      deps.logger.info(`Freshchat: nothing to remove. To stop deliveries, remove ${webhookUrl} under Admin › Webhooks in Freshchat.`)
    },
  }
}

export type FreshchatSetup = ReturnType<typeof createSetup>
