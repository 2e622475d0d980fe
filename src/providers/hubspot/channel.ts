/**
 * The custom channel (app-level, developer API key) and the channel account that connects it to the help desk
 * (portal-level, OAuth): the requests, their bodies and what we declare. setup.ts decides when to make them.
 */
import { ProviderError } from '../../core/errors'
import type { Logger } from '../../core/log'
import { MAX_JSON_DEPTH } from '../../core/validate'
import { asId, isRecord, withoutTrailingSlashes } from '../shared'
import { TITLE, type HubspotApi } from './api'

export const CHANNEL_NAME = 'Botpress HITL'
export const ACCOUNT_NAME = 'Botpress'
export const CHANNEL_DESCRIPTION = 'Conversations handed over by a Botpress bot to a human agent.'
/** Shown by HubSpot next to the channel. */
export const CHANNEL_LOGO_URL = 'https://botpress.com/favicon.ico'
/** Where HubSpot sends someone who connects the channel from its own settings page (we connect it by API). */
export const CHANNEL_CONNECTION_REDIRECT_URL = 'https://app.botpress.cloud'
/** The channel's attachment cap, also the download cap of the media we upload to HubSpot's Files API. */
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

export type Channel = {
  id: string
  name?: string
  webhookUrl?: string
  capabilities?: unknown
  createdAt?: string
  channelLogoUrl?: string
  channelAccountConnectionRedirectUrl?: string
  channelDescription?: string
}
type Account = { id: string; inboxId?: string; authorized?: boolean; archived?: boolean }
type Page<T> = { results?: T[]; paging?: { next?: { after?: string } } }

const normUrl = (url: string | undefined) => withoutTrailingSlashes((url ?? '').trim()).toLowerCase()
export const sameUrl = (a: string | undefined, b: string | undefined) => !!a && !!b && normUrl(a) === normUrl(b)

/** HubSpot documents `capabilities` as an object but renders it as a JSON string in places: accept both. */
const capabilitiesOf = (value: unknown): Record<string, unknown> | undefined => {
  if (typeof value === 'string') {
    try {
      const parsed: unknown = JSON.parse(value)
      return isRecord(parsed) ? parsed : undefined
    } catch {
      return undefined
    }
  }
  return isRecord(value) ? value : undefined
}

/** Order-free text of a capabilities value HubSpot answered: deeper than any real one (MAX_JSON_DEPTH) reads as unknown. */
const canonical = (value: unknown, depth = 0): string =>
  depth >= MAX_JSON_DEPTH
    ? '…'
    : Array.isArray(value)
      ? `[${value.map((v) => canonical(v, depth + 1)).sort().join(',')}]`
      : isRecord(value)
        ? `{${Object.keys(value)
            .sort()
            .map((k) => `${k}:${canonical(value[k], depth + 1)}`)
            .join(',')}}`
        : String(JSON.stringify(value))

/**
 * Every field of a channel, as both create and update send it. The update (PATCH) schema requires all six:
 * `PublicChannelIntegrationChannelPatch` in HubSpot's generated client (HubSpot/hubspot-sdk-typescript,
 * src/resources/conversations/custom-channels/custom-channels.ts).
 */
export const channelBody = (webhookUrl: string) => ({
  name: CHANNEL_NAME,
  webhookUrl,
  channelDescription: CHANNEL_DESCRIPTION,
  channelLogoUrl: CHANNEL_LOGO_URL,
  channelAccountConnectionRedirectUrl: CHANNEL_CONNECTION_REDIRECT_URL,
  capabilities: CAPABILITIES,
})

export const needsUpdate = (channel: Channel, webhookUrl: string) => {
  if (!sameUrl(channel.webhookUrl, webhookUrl)) return true
  if (channel.channelLogoUrl !== CHANNEL_LOGO_URL || channel.channelAccountConnectionRedirectUrl !== CHANNEL_CONNECTION_REDIRECT_URL) return true
  const remote = capabilitiesOf(channel.capabilities)
  return !remote || canonical(remote) !== canonical(CAPABILITIES)
}

const asChannel = (raw: unknown, fallbackId = ''): Channel => {
  const c = isRecord(raw) ? raw : {}
  const text = (v: unknown) => (typeof v === 'string' ? v : undefined)
  return {
    id: asId(c.id) ?? fallbackId,
    name: text(c.name),
    webhookUrl: text(c.webhookUrl),
    capabilities: c.capabilities,
    createdAt: text(c.createdAt),
    channelLogoUrl: text(c.channelLogoUrl),
    channelAccountConnectionRedirectUrl: text(c.channelAccountConnectionRedirectUrl),
    channelDescription: text(c.channelDescription),
  }
}

export const createChannelApi = (api: HubspotApi, logger: Logger, inboxId: string) => {
  const accountsPath = (channelId: string) => `conversations/v3/custom-channels/${encodeURIComponent(channelId)}/channel-accounts`

  return {
    /** The business side's own identity on the channel (the recipient of the end user's messages). */
    accountIdentifier: () => `botpress-${inboxId}`,

    async list(): Promise<Channel[]> {
      const all: Channel[] = []
      let after: string | undefined
      for (let page = 0; page < 50; page++) {
        const res = await api.developer<Page<unknown>>({ path: 'conversations/v3/custom-channels', searchParams: { limit: 100, after }, operation: 'list custom channels' })
        all.push(...(res.body?.results ?? []).map((c) => asChannel(c)).filter((c) => c.id))
        after = res.body?.paging?.next?.after
        if (!after) break
      }
      return all
    },

    async get(id: string): Promise<Channel | undefined> {
      const res = await api.developer<unknown>({ path: `conversations/v3/custom-channels/${encodeURIComponent(id)}`, okStatuses: [404], operation: 'get custom channel' })
      return res.status === 404 ? undefined : asChannel(res.body, id)
    },

    async create(webhookUrl: string): Promise<Channel> {
      const res = await api.developer<unknown>({ method: 'POST', path: 'conversations/v3/custom-channels', json: channelBody(webhookUrl), operation: 'create custom channel' })
      const channel = asChannel(res.body)
      if (!channel.id) throw new ProviderError(`${TITLE} created the custom channel without answering its id`, { provider: TITLE, operation: 'create custom channel' })
      logger.info(`created the HubSpot custom channel ${channel.id}`)
      return channel
    },

    async update(id: string, webhookUrl: string) {
      await api.developer({
        method: 'PATCH',
        path: `conversations/v3/custom-channels/${encodeURIComponent(id)}`,
        json: channelBody(webhookUrl),
        idempotent: true,
        operation: 'update custom channel',
      })
      logger.info(`updated the HubSpot custom channel ${id} (webhook URL, logo, redirect URL and capabilities)`)
    },

    async archive(id: string) {
      await api.developer({ method: 'DELETE', path: `conversations/v3/custom-channels/${encodeURIComponent(id)}`, okStatuses: [404], operation: 'archive custom channel' })
      logger.info(`archived the HubSpot custom channel ${id} (and with it its channel account)`)
    },

    /** The account connecting our inbox, reused or created; undefined while HubSpot does not know the channel yet. */
    async tryAccount(channelId: string): Promise<string | undefined> {
      const base = accountsPath(channelId)
      let after: string | undefined
      const accounts: Account[] = []
      for (let page = 0; page < 20; page++) {
        const res = await api.bearer<Page<Account>>({ path: base, searchParams: { limit: 100, after }, okStatuses: [404], operation: 'list channel accounts' })
        if (res.status === 404) return undefined
        accounts.push(...(res.body?.results ?? []))
        after = res.body?.paging?.next?.after
        if (!after) break
      }
      const existing = accounts.find((a) => String(a.inboxId) === inboxId && !a.archived)
      if (existing) {
        const id = String(existing.id)
        if (existing.authorized === false) {
          await api.bearer({ method: 'PATCH', path: `${base}/${encodeURIComponent(id)}`, json: { authorized: true }, idempotent: true, operation: 'authorize channel account' })
          logger.info(`re-authorized the HubSpot channel account ${id}`)
        }
        return id
      }
      const res = await api.bearer<{ id?: unknown }>({
        method: 'POST',
        path: base,
        json: { name: ACCOUNT_NAME, inboxId, authorized: true, deliveryIdentifier: { type: 'CHANNEL_SPECIFIC_OPAQUE_ID', value: `botpress-${inboxId}` } },
        okStatuses: [404],
        operation: 'create channel account',
      })
      if (res.status === 404) return undefined
      const id = asId(res.body?.id)
      if (!id) throw new ProviderError(`${TITLE} created the channel account without answering its id`, { provider: TITLE, operation: 'create channel account' })
      logger.info(`connected the HubSpot custom channel ${channelId} to inbox ${inboxId} (channel account ${id})`)
      return id
    },
  }
}

export type ChannelApi = ReturnType<typeof createChannelApi>
