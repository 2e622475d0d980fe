/**
 * Registration and the token's identity. `connect` checks the token with `GET /me` (naming the region that accepts it
 * when the configured one refuses it) and keeps the token's admin (who closes, notes and assigns) and workspace
 * (`app.id_code`: the only notifications this integration acts on) in the provider store. Webhook subscriptions belong
 * to the app in the Developer Hub: nothing is created by API, so `disconnect` has nothing to remove.
 */
import { createCache } from '../../core/cache'
import { sha256 } from '../../core/crypto'
import { ConfigurationError, errorMessage, ProviderError, RetryLaterError } from '../../core/errors'
import type { ProviderDeps } from '../../core/types'
import { asId, derivedOnce, str } from '../shared'
import { baseUrlOf, createApi, isTransient, REGION_HOSTS, regionOf, TITLE, type IntercomApi, type Region } from './api'
import type { IntercomConfig } from './config'

export type Identity = { adminId: string; workspaceId?: string }

/** Warm instances only: the store (written at register) and `GET /me` stay the truth. Keyed by a hash of host + token. */
const identities = createCache<Identity>({ name: 'intercom token identity', max: 100, ttlMs: 60 * 60 * 1000 })

const identityDigest = derivedOnce('intercom identity keys', (text) => sha256(text))
const identityKey = (config: IntercomConfig) => identityDigest(`${baseUrlOf(config)}\n${config.accessToken}`)

/** `GET /me`: the admin the token acts as and its workspace. */
export const identify = async (api: IntercomApi): Promise<Identity> => {
  const res = await api.me()
  const adminId = asId(res.body?.id)
  if (!adminId) throw new ProviderError(`${TITLE} answered GET /me without an admin id`, { provider: TITLE, operation: 'GET /me' })
  const workspaceId = str(res.body?.app?.id_code)
  return { adminId, ...(workspaceId ? { workspaceId } : {}) }
}

/** Which other region accepts this token, if any (a 401 is most often a token of an EU or AU workspace used on US). */
const regionAccepting = async (config: IntercomConfig, deps: ProviderDeps): Promise<Region | undefined> => {
  const others = (Object.keys(REGION_HOSTS) as Region[]).filter((r) => r !== regionOf(config))
  const answers = await Promise.all(
    others.map(async (region) => {
      try {
        const res = await createApi(deps.http, config, REGION_HOSTS[region]).me([401, 403])
        return res.status >= 200 && res.status < 300 ? region : undefined
      } catch {
        return undefined
      }
    })
  )
  return answers.find(Boolean)
}

export const createSetup = (config: IntercomConfig, deps: ProviderDeps, api: IntercomApi) => {
  const key = identityKey(config)
  const remember = async (identity: Identity) => {
    identities.set(key, identity)
    await deps.store.set({ ...(await deps.store.get()), adminId: identity.adminId, ...(identity.workspaceId ? { workspaceId: identity.workspaceId } : {}) })
  }

  return {
    async connect(): Promise<void> {
      let identity: Identity
      try {
        identity = await identify(api)
      } catch (error) {
        if (error instanceof ProviderError && error.details.status === 401) {
          const region = regionOf(config)
          const custom = !!config.apiBaseUrl?.trim()
          const other = custom ? undefined : await regionAccepting(config, deps)
          const hint = other
            ? `The token belongs to a workspace in the ${other.toUpperCase()} data region: set intercom.region to "${other}" (it is "${region}").`
            : `Copy the access token again from the Developer Hub (your app → Authentication)` +
              (custom ? ` and check intercom.apiBaseUrl (${baseUrlOf(config)}).` : ` and check that intercom.region ("${region}") is your workspace's data region.`)
          throw new ConfigurationError(`Intercom refused the access token (intercom.accessToken): ${error.message}. ${hint}`)
        }
        if (error instanceof ProviderError && error.details.status === 403) {
          throw new ConfigurationError(
            `Intercom refused to identify the access token's admin (intercom.accessToken): ${error.message}. Check the app's permissions in the Developer Hub.`
          )
        }
        throw error
      }
      await remember(identity)
      deps.logger.info(
        `Intercom: access token accepted (admin ${identity.adminId}, workspace ${identity.workspaceId ?? 'unknown'}). ` +
          'Webhook topics are subscribed in the Developer Hub, not by API; notifications of other workspaces are ignored.'
      )
    },

    async disconnect(): Promise<void> {
      // Intercom webhook subscriptions belong to the app and are managed in the Developer Hub: nothing was created here.
    },

    /** The admin the access token acts as (closes, notes, assignments): memory, else the store, else `GET /me`. */
    async tokenAdmin(): Promise<string> {
      const cached = identities.get(key)
      if (cached) return cached.adminId
      const stored = await deps.store.get()
      const adminId = asId(stored.adminId)
      if (adminId) {
        identities.set(key, { adminId, ...(str(stored.workspaceId) ? { workspaceId: str(stored.workspaceId) } : {}) })
        return adminId
      }
      const identity = await identify(api)
      await remember(identity)
      return identity.adminId
    },

    /**
     * The token's workspace, for scoping notifications. Memory, else `GET /me` (a provider request, so that a foreign
     * notification costs no Botpress request even on a cold instance), else what register stored. A transient
     * failure asks Intercom to deliver the notification again.
     */
    async workspace(): Promise<string> {
      const cached = identities.get(key)?.workspaceId
      if (cached) return cached
      try {
        const identity = await identify(api)
        if (identity.workspaceId) {
          identities.set(key, identity)
          return identity.workspaceId
        }
      } catch (error) {
        const stored = str((await deps.store.get()).workspaceId)
        if (stored) return stored
        if (isTransient(error)) throw new RetryLaterError(`Intercom could not tell the token's workspace yet: ${errorMessage(error)}`)
        throw error
      }
      const stored = str((await deps.store.get()).workspaceId)
      if (stored) return stored
      throw new RetryLaterError(`${TITLE} answered GET /me without the workspace (app.id_code)`)
    },
  }
}

export type IntercomSetup = ReturnType<typeof createSetup>
