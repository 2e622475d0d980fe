/**
 * What the HubSpot adapter keeps in the integration's Botpress state (`ProviderStore`), with a per-process copy in
 * memory so that warm instances answer without a Botpress round trip (webhook verification in particular never
 * waits for Botpress once the instance has seen the state).
 *
 * Botpress state is the source of truth: the memory copy is refreshed whenever freshness matters (token refresh,
 * registration) and every write goes to Botpress first.
 */
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
  /** The portal (hub id) the app is installed in, from the token response. */
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
  oauth?: OAuthState
}

const memory = new Map<string, HubspotState>()
const writeChains = new Map<string, Promise<unknown>>()

export class StateStore {
  constructor(
    private readonly store: ProviderStore,
    /** One integration installation: the Botpress webhook id is unique per bot and integration. */
    private readonly scope: string
  ) {}

  /** The memory copy, without any I/O (undefined on a cold instance). */
  peek(): HubspotState | undefined {
    return memory.get(this.scope)
  }

  async load(fresh = false): Promise<HubspotState> {
    const known = memory.get(this.scope)
    if (known && !fresh) return known
    const data = ((await this.store.get()) ?? {}) as HubspotState
    memory.set(this.scope, data)
    return data
  }

  /** Merges `patch` into the stored state (undefined values delete keys). Writes of one instance are serialized. */
  async patch(patch: Partial<HubspotState> | ((current: HubspotState) => Partial<HubspotState>)): Promise<HubspotState> {
    const previous = writeChains.get(this.scope) ?? Promise.resolve()
    const run = previous
      .catch(() => undefined)
      .then(async () => {
        const current = ((await this.store.get()) ?? {}) as HubspotState
        const changes = typeof patch === 'function' ? patch(current) : patch
        const next: Record<string, unknown> = { ...current }
        for (const [key, value] of Object.entries(changes)) {
          if (value === undefined) delete next[key]
          else next[key] = value
        }
        await this.store.set(next)
        memory.set(this.scope, next as HubspotState)
        return next as HubspotState
      })
    writeChains.set(this.scope, run)
    try {
      return await run
    } finally {
      if (writeChains.get(this.scope) === run) writeChains.delete(this.scope)
    }
  }

  /** Forget the memory copy (the next load reads Botpress). */
  forget() {
    memory.delete(this.scope)
  }
}

/** Tests: forget every memory copy. */
export const resetStateMemory = () => {
  memory.clear()
  writeChains.clear()
}
