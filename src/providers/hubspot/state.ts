/**
 * What the HubSpot adapter keeps in the integration's Botpress state (`ProviderStore`), with a per-process copy
 * (core cache) so that warm instances answer without a Botpress round trip.
 *
 * Botpress state is the source of truth: the memory copy is refreshed whenever freshness matters (token refresh,
 * registration) and every write goes to Botpress first. Webhook verification never reads it (see webhook.ts).
 */
import { createCache } from '../../core/cache'
import type { ProviderStore } from '../../core/types'

export type OAuthState = {
  /** Fingerprint of the configuration the tokens belong to (client id + configured refresh token): a new one discards them. */
  key: string
  accessToken?: string
  /** Epoch ms after which the access token is refreshed proactively (a few minutes before it expires). */
  refreshAt?: number
  expiresAt?: number
  /** The refresh token HubSpot returned last, when it differs from the configured one (rotation). */
  refreshToken?: string
  /** Written by versions before the portal was learnt by introspection (read as a fallback only). */
  hubId?: string
}

export type HubspotState = {
  /** The public webhook URL Botpress gave at register: HubSpot signs its deliveries against it. */
  webhookUrl?: string
  channelId?: string
  /** When we created the channel (epoch ms): HubSpot can take over a minute before it can be used. */
  channelCreatedAt?: number
  channelAccountId?: string
  /** Inbox (help desk) the channel account connects. */
  inboxId?: string
  /** The portal (hub id) the app is installed in, learnt by token introspection at register. */
  portalId?: string
  oauth?: OAuthState
}

const memory = createCache<HubspotState>({ name: 'hubspot provider state', max: 100 })
const writeChains = createCache<Promise<unknown>>({ name: 'hubspot state writes', max: 100 })

export type StateStore = {
  /** The memory copy, without any I/O (undefined on a cold instance). */
  peek(): HubspotState | undefined
  load(fresh?: boolean): Promise<HubspotState>
  /** Merges `patch` into the stored state (undefined values delete keys). Writes of one instance are serialized. */
  patch(patch: Partial<HubspotState> | ((current: HubspotState) => Partial<HubspotState>)): Promise<HubspotState>
}

/** `scope`: one integration installation (the Botpress webhook id is unique per bot and integration). */
export const createStateStore = (store: ProviderStore, scope: string): StateStore => ({
  peek: () => memory.get(scope),

  async load(fresh = false) {
    const known = memory.get(scope)
    if (known && !fresh) return known
    const data = ((await store.get()) ?? {}) as HubspotState
    return memory.set(scope, data)
  },

  async patch(patch) {
    const previous = writeChains.get(scope) ?? Promise.resolve()
    const run = previous
      .catch(() => undefined)
      .then(async () => {
        const current = ((await store.get()) ?? {}) as HubspotState
        const changes = typeof patch === 'function' ? patch(current) : patch
        const next: Record<string, unknown> = { ...current }
        for (const [key, value] of Object.entries(changes)) {
          if (value === undefined) delete next[key]
          else next[key] = value
        }
        await store.set(next)
        return memory.set(scope, next as HubspotState)
      })
    writeChains.set(scope, run)
    try {
      return await run
    } finally {
      if (writeChains.get(scope) === run) writeChains.delete(scope)
    }
  },
})
