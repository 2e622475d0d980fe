/**
 * OAuth against HubSpot's date-versioned OAuth API (2026-03), which replaces v1 (retired on 2027-02-16):
 * - refresh: `POST /oauth/2026-03/token`, form-encoded `grant_type=refresh_token`, `client_id`, `client_secret`,
 *   `refresh_token` (https://developers.hubspot.com/docs/api-reference/legacy/authentication/oauth-tokens/v1/migration-guide,
 *   step 3; the guide goes straight from v1 to 2026-03, without the intermediate v3 paths);
 * - introspection: `POST /oauth/2026-03/token/introspect`, form `client_id`, `client_secret`, `token`,
 *   `token_type_hint`, answering `hub_id` (the portal) among others
 *   (https://developers.hubspot.com/docs/api-reference/2026-03/authentication/oauth-tokens/token-introspect).
 * Refresh tokens issued under v1 are refresh tokens of the same app: the stored state (access token, rotated
 * refresh token) is kept across the switch. The access token is cached in the state with its expiry, refreshed a
 * few minutes early or once after a 401, with a single refresh in flight per process however many requests race,
 * and the refresh token HubSpot returns kept. Every token is registered with `deps.secrets` as soon as it is known.
 */
import { createHash } from 'node:crypto'
import { createSingleFlight } from '../../core/cache'
import { ProviderError } from '../../core/errors'
import type { HttpClient } from '../../core/http'
import type { ProviderDeps } from '../../core/types'
import { asId, derivedOnce, isRecord, str } from '../shared'
import { TITLE, type TokenSource } from './api'
import type { HubspotConfig } from './config'
import type { OAuthState, StateStore } from './state'

export const TOKEN_PATH = 'oauth/2026-03/token'
export const INTROSPECT_PATH = 'oauth/2026-03/token/introspect'

/** One refresh in flight per installation and credentials, shared by every adapter instance of the process. */
const refreshFlight = createSingleFlight<string>('hubspot token refresh')

const digest = derivedOnce('hubspot credential fingerprints', (text) => createHash('sha256').update(text).digest('hex').slice(0, 16))
const fingerprint = (config: HubspotConfig) => digest(`${config.clientId}\n${config.refreshToken}`)

export type Auth = TokenSource & {
  /** The portal the app is installed in, as stored (no HubSpot request). */
  portalId(): Promise<string | undefined>
  /** Asks HubSpot (token introspection) which portal the access token belongs to, and stores it. */
  learnPortal(): Promise<string | undefined>
}

export const createAuth = (config: HubspotConfig, client: HttpClient, state: StateStore, deps: ProviderDeps, scope: string): Auth => {
  const key = fingerprint(config)
  const { logger } = deps

  const usable = (o: OAuthState | undefined, now = Date.now()): o is OAuthState & { accessToken: string } =>
    !!o && o.key === key && !!o.accessToken && (o.refreshAt ?? 0) > now

  const introspect = async (token: string): Promise<string | undefined> => {
    const res = await client.request<unknown>({
      method: 'POST',
      path: INTROSPECT_PATH,
      form: { client_id: config.clientId, client_secret: config.clientSecret, token, token_type_hint: 'access_token' },
      idempotent: true,
      okStatuses: [400, 401, 403],
      operation: 'introspect OAuth token',
    })
    const body = isRecord(res.body) ? res.body : {}
    if (res.status >= 400 || body.active === false) {
      logger.warn(`${TITLE} could not tell which portal the app is installed in (introspection answered ${res.status}): events are not filtered by portal`)
      return undefined
    }
    const portal = asId(body.hub_id)
    if (portal) await state.patch({ portalId: portal })
    return portal
  }

  const doRefresh = async (stale: string | undefined): Promise<string> => {
    const current = await state.load(true)
    const oauth = current.oauth
    if (usable(oauth) && oauth.accessToken !== stale) {
      deps.secrets.add(oauth.accessToken, oauth.refreshToken)
      return oauth.accessToken
    }
    const rotated = oauth?.key === key && oauth.refreshToken && oauth.refreshToken !== config.refreshToken ? oauth.refreshToken : undefined
    const candidates = rotated ? [rotated, config.refreshToken] : [config.refreshToken]
    let refusal: ProviderError | undefined
    for (const refreshToken of candidates) {
      deps.secrets.add(refreshToken)
      const res = await client.request<unknown>({
        method: 'POST',
        path: TOKEN_PATH,
        form: { grant_type: 'refresh_token', client_id: config.clientId, client_secret: config.clientSecret, refresh_token: refreshToken },
        // Repeating a refresh is harmless: it may be retried after a 5xx or a timeout.
        idempotent: true,
        okStatuses: [400, 401, 403],
        operation: 'refresh OAuth token',
      })
      if (res.status >= 400) {
        refusal = tokenRefusal(res.status, res.body, logger.redact)
        if (refreshToken === rotated) logger.warn('HubSpot refused the stored (rotated) refresh token; trying the configured one')
        continue
      }
      const body = isRecord(res.body) ? res.body : {}
      const accessToken = str(body.access_token)
      const expiresIn = Number(body.expires_in)
      if (!accessToken || !Number.isFinite(expiresIn) || expiresIn <= 0) {
        throw new ProviderError(`${TITLE} answered the token refresh without an access_token/expires_in`, {
          provider: TITLE,
          operation: 'refresh OAuth token',
          status: res.status,
        })
      }
      const returned = str(body.refresh_token)
      deps.secrets.add(accessToken, returned)
      const now = Date.now()
      const next: OAuthState = {
        key,
        accessToken,
        expiresAt: now + expiresIn * 1000,
        // Refresh five minutes early (or half-way through for very short tokens).
        refreshAt: now + Math.max(expiresIn - 300, expiresIn / 2) * 1000,
        refreshToken: returned && returned !== config.refreshToken ? returned : undefined,
      }
      if (returned && returned !== refreshToken) logger.info('HubSpot rotated the refresh token; the new one is kept in the integration state')
      const saved = await state.patch({ oauth: next })
      // An installation registered before the portal was learnt learns it now, once.
      if (!saved.portalId) await introspect(accessToken).catch(() => undefined)
      return accessToken
    }
    throw refusal ?? new ProviderError(`${TITLE} refused to refresh the OAuth access token`, { provider: TITLE, operation: 'refresh OAuth token' })
  }

  const auth: Auth = {
    async accessToken() {
      const { oauth } = await state.load()
      if (usable(oauth)) {
        deps.secrets.add(oauth.accessToken, oauth.refreshToken)
        return oauth.accessToken
      }
      return auth.refresh(oauth?.key === key ? oauth.accessToken : undefined)
    },

    /**
     * Exchanges the refresh token for a new access token, once per process however many callers ask together.
     * `stale` is the token the caller found unusable: when another instance already replaced it in the state, that
     * replacement is used without asking HubSpot again.
     */
    refresh: (stale) => refreshFlight(`${scope}:${key}`, () => doRefresh(stale)),

    async portalId() {
      const s = await state.load()
      return s.portalId ?? (s.oauth?.key === key ? s.oauth.hubId : undefined)
    },

    async learnPortal() {
      return introspect(await auth.accessToken())
    },
  }
  return auth
}

/** HubSpot's refusal of a refresh as a clear error. Its text is redacted here: HubSpot may echo what it refused. */
const tokenRefusal = (status: number, body: unknown, redact: (text: string) => string): ProviderError => {
  const b = isRecord(body) ? body : {}
  // The 2026-03 API answers RFC 6749 `error`/`error_description` and keeps `status`/`message` for compatibility.
  const code = str(b.status) ?? str(b.error) ?? str(b.category) ?? ''
  const message = (str(b.message) ?? str(b.error_description))?.slice(0, 300)
  const what = [code.slice(0, 60), message].filter(Boolean).join(': ')
  const hint =
    code === 'BAD_CLIENT_ID'
      ? 'check hubspot.clientId (the Client ID of the app, under Auth)'
      : code === 'BAD_CLIENT_SECRET' || code === 'invalid_client'
        ? 'check hubspot.clientId and hubspot.clientSecret (the Client ID and secret of the app, under Auth)'
        : code === 'BAD_REFRESH_TOKEN' || code === 'invalid_grant' || status === 400
          ? 'the app was uninstalled from the portal or the refresh token revoked or mistyped: authorize the app again and paste the new refresh token in hubspot.refreshToken'
          : 'check hubspot.clientId, hubspot.clientSecret and hubspot.refreshToken'
  return new ProviderError(redact(`${TITLE} refused to refresh the OAuth access token (${status}${what ? ` ${what}` : ''}): ${hint}`), {
    provider: TITLE,
    status,
    operation: 'refresh OAuth token',
  })
}
