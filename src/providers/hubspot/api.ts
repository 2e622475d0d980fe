/**
 * HubSpot's two kinds of authentication behind one client:
 * - the app's **developer API key** (`?hapikey=…&appId=…`) for the app-level custom-channel and webhook settings;
 * - the portal's **OAuth access token** (Bearer) for everything else, obtained from the refresh token, cached in the
 *   integration state with its expiry, refreshed a few minutes before it expires or once after a 401, with a single
 *   refresh in flight per process however many requests race, and the refresh token HubSpot returns kept.
 * Errors name the operation and HubSpot's own explanation; the key and tokens never appear in them.
 */
import { createHash } from 'node:crypto'
import { ProviderError } from '../../core/errors'
import type { HttpClient, HttpClientFactory, HttpRequest, HttpResponse } from '../../core/http'
import type { Logger } from '../../core/log'
import type { HubspotConfig } from './config'
import type { OAuthState, StateStore } from './state'
import { HUBSPOT_PACE, hubspotRateLimit } from './ratelimit'

export const TITLE = 'HubSpot'
export const DEFAULT_BASE_URL = 'https://api.hubapi.com'
export const TOKEN_PATH = 'oauth/v1/token'

/** One refresh in flight per installation and credentials, shared by every adapter instance of the process. */
const inflight = new Map<string, Promise<string>>()
export const resetTokenInflight = () => inflight.clear()

const str = (v: unknown) => (typeof v === 'string' && v.trim() ? v.trim() : undefined)

/** HubSpot's explanation of an error answer: category, message, missing scopes and correlation id. */
export const describeHubspotError = (body: unknown): string | undefined => {
  if (typeof body === 'string') return body.trim() ? body.trim().slice(0, 200) : undefined
  if (!body || typeof body !== 'object') return undefined
  const b = body as Record<string, any>
  const kinds = [str(b.category) ?? str(b.errorType) ?? (b.status !== 'error' ? str(b.status) : undefined), str(b.subCategory)]
  const kind = kinds.filter(Boolean).join('/')
  const message = str(b.message)?.slice(0, 300)
  const scopes = new Set<string>()
  const collect = (context: unknown) => {
    if (!context || typeof context !== 'object') return
    for (const key of ['requiredGranularScopes', 'requiredScopes', 'missingScopes']) {
      const list = (context as Record<string, unknown>)[key]
      if (Array.isArray(list)) for (const s of list) if (typeof s === 'string') scopes.add(s)
    }
  }
  collect(b.context)
  if (Array.isArray(b.errors)) for (const e of b.errors) collect(e?.context)
  const parts = [kind && message ? `${kind}: ${message}` : kind || message]
  if (scopes.size) parts.push(`missing scopes: ${[...scopes].join(', ')}`)
  if (str(b.correlationId)) parts.push(`correlationId ${str(b.correlationId)}`)
  const text = parts.filter(Boolean).join('; ')
  return text || undefined
}

const fingerprint = (config: HubspotConfig) =>
  createHash('sha256').update(`${config.clientId}\n${config.refreshToken}`).digest('hex').slice(0, 16)

type TokenAnswer = { access_token?: unknown; refresh_token?: unknown; expires_in?: unknown; hub_id?: unknown }

export class HubspotApi {
  readonly baseUrl: string
  private readonly client: HttpClient
  /** Downloads of Botpress files (other hosts, no HubSpot credentials). */
  private readonly files: HttpClient
  private readonly key: string
  /** Tokens this instance has seen, redacted from every error. */
  private readonly runtimeSecrets = new Set<string>()

  constructor(
    private readonly config: HubspotConfig,
    http: HttpClientFactory,
    private readonly logger: Logger,
    private readonly state: StateStore,
    private readonly scope: string
  ) {
    this.baseUrl = (config.apiBaseUrl?.trim() || DEFAULT_BASE_URL).replace(/\/+$/, '')
    this.key = fingerprint(config)
    this.client = http({
      provider: TITLE,
      baseUrl: this.baseUrl,
      headers: { accept: 'application/json' },
      describeError: (body) => describeHubspotError(body),
      rateLimit: hubspotRateLimit,
      pace: HUBSPOT_PACE,
      secrets: () => [...this.runtimeSecrets],
    })
    this.files = http({ provider: 'The file host', baseUrl: 'https://files.invalid' })
  }

  private remember(...secrets: Array<string | undefined>) {
    for (const s of secrets) if (s) this.runtimeSecrets.add(s)
  }

  // ─── OAuth ─────────────────────────────────────────────────────────────────

  private usable(o: OAuthState | undefined, now = Date.now()): o is OAuthState & { accessToken: string } {
    return !!o && o.key === this.key && !!o.accessToken && (o.refreshAt ?? 0) > now
  }

  /** A valid access token: the cached one, or a fresh one when it is about to expire. */
  async accessToken(): Promise<string> {
    const { oauth } = await this.state.load()
    if (this.usable(oauth)) {
      this.remember(oauth.accessToken, oauth.refreshToken)
      return oauth.accessToken
    }
    return this.refresh(oauth?.key === this.key ? oauth.accessToken : undefined)
  }

  /** The portal id the app is installed in, when HubSpot told us (token answer). */
  async hubId(): Promise<string | undefined> {
    const { oauth } = await this.state.load()
    return oauth?.key === this.key ? oauth.hubId : undefined
  }

  /**
   * Exchanges the refresh token for a new access token, once per process however many callers ask together.
   * `stale` is the token the caller found unusable: when another instance already replaced it in the state, that
   * replacement is used without asking HubSpot again.
   */
  refresh(stale?: string): Promise<string> {
    const id = `${this.scope}:${this.key}`
    const running = inflight.get(id)
    if (running) return running
    const run = this.doRefresh(stale).finally(() => {
      if (inflight.get(id) === run) inflight.delete(id)
    })
    inflight.set(id, run)
    return run
  }

  private async doRefresh(stale: string | undefined): Promise<string> {
    const { oauth } = await this.state.load(true)
    if (this.usable(oauth) && oauth.accessToken !== stale) {
      this.remember(oauth.accessToken, oauth.refreshToken)
      return oauth.accessToken
    }
    const rotated = oauth?.key === this.key && oauth.refreshToken && oauth.refreshToken !== this.config.refreshToken ? oauth.refreshToken : undefined
    const candidates = rotated ? [rotated, this.config.refreshToken] : [this.config.refreshToken]
    let refusal: ProviderError | undefined
    for (const refreshToken of candidates) {
      this.remember(refreshToken)
      const res = await this.client.request<TokenAnswer>({
        method: 'POST',
        path: TOKEN_PATH,
        form: {
          grant_type: 'refresh_token',
          client_id: this.config.clientId,
          client_secret: this.config.clientSecret,
          refresh_token: refreshToken,
        },
        // Repeating a refresh is harmless: it may be retried after a 5xx or a timeout.
        idempotent: true,
        okStatuses: [400, 401, 403],
        operation: 'refresh OAuth token',
      })
      if (res.status >= 400) {
        refusal = tokenRefusal(res.status, res.body)
        if (refreshToken === rotated) this.logger.warn('HubSpot refused the stored (rotated) refresh token; trying the configured one')
        continue
      }
      const body = res.body ?? {}
      const accessToken = str(body.access_token)
      const expiresIn = typeof body.expires_in === 'number' ? body.expires_in : Number(body.expires_in)
      if (!accessToken || !Number.isFinite(expiresIn) || expiresIn <= 0) {
        throw new ProviderError(`${TITLE} answered the token refresh without an access_token/expires_in`, {
          provider: TITLE,
          operation: 'refresh OAuth token',
          status: res.status,
        })
      }
      const returned = str(body.refresh_token)
      this.remember(accessToken, returned)
      const now = Date.now()
      const next: OAuthState = {
        key: this.key,
        accessToken,
        expiresAt: now + expiresIn * 1000,
        // Refresh five minutes early (or half-way through for very short tokens).
        refreshAt: now + Math.max(expiresIn - 300, expiresIn / 2) * 1000,
        refreshToken: returned && returned !== this.config.refreshToken ? returned : undefined,
        hubId: body.hub_id !== undefined && body.hub_id !== null ? String(body.hub_id) : oauth?.key === this.key ? oauth.hubId : undefined,
      }
      if (returned && returned !== refreshToken) this.logger.info('HubSpot rotated the refresh token; the new one is kept in the integration state')
      await this.state.patch({ oauth: next })
      return accessToken
    }
    throw refusal!
  }

  // ─── requests ──────────────────────────────────────────────────────────────

  private send<T>(req: HttpRequest, token: string) {
    return this.client.request<T>({
      ...req,
      headers: { ...req.headers, authorization: `Bearer ${token}` },
      okStatuses: [...(req.okStatuses ?? []), 401],
    })
  }

  /** A request with the portal's OAuth access token; after a 401 the token is refreshed once and the request repeated once. */
  async bearer<T = any>(req: HttpRequest): Promise<HttpResponse<T>> {
    const operation = req.operation ?? `${req.method ?? 'GET'} /${req.path.split('?')[0]}`
    const token = await this.accessToken()
    const first = await this.send<T>(req, token)
    if (first.status !== 401 || req.okStatuses?.includes(401)) return first
    this.logger.info(`${TITLE} refused the access token on ${operation} (401): refreshing it once`)
    const renewed = await this.refresh(token)
    const second = await this.send<T>(req, renewed)
    if (second.status !== 401 || req.okStatuses?.includes(401)) return second
    const detail = describeHubspotError(second.body)
    throw new ProviderError(
      `${TITLE} answered 401 on ${operation} even with a freshly refreshed access token${detail ? ` (${detail})` : ''}: ` +
        'the app may have been uninstalled from the portal or its refresh token revoked; authorize the app again and update hubspot.refreshToken',
      { provider: TITLE, status: 401, operation }
    )
  }

  /** A request authenticated with the developer API key (app-level settings: custom channels, webhook settings). */
  async developer<T = any>(req: HttpRequest): Promise<HttpResponse<T>> {
    try {
      return await this.client.request<T>({
        ...req,
        searchParams: { ...req.searchParams, hapikey: this.config.developerApiKey, appId: this.config.appId },
      })
    } catch (error) {
      if (error instanceof ProviderError && (error.details.status === 401 || error.details.status === 403)) {
        throw new ProviderError(
          `${error.message}. Check hubspot.developerApiKey (developer account → Keys → Developer API key) and hubspot.appId (the id of the public app)`,
          error.details
        )
      }
      throw error
    }
  }

  /** A request to another host (downloading a Botpress file, absolute URL): no HubSpot credentials. */
  async external<T = any>(req: HttpRequest): Promise<HttpResponse<T>> {
    return this.files.request<T>(req)
  }
}

const tokenRefusal = (status: number, body: unknown): ProviderError => {
  const b = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>
  const code = str(b.status) ?? str(b.category) ?? ''
  const message = str(b.message)
  const what = [code, message].filter(Boolean).join(': ')
  const hint =
    code === 'BAD_CLIENT_ID'
      ? 'check hubspot.clientId (the Client ID of the app, under Auth)'
      : code === 'BAD_CLIENT_SECRET'
        ? 'check hubspot.clientSecret (the Client secret of the app, under Auth)'
        : code === 'BAD_REFRESH_TOKEN' || status === 400
          ? 'the app was uninstalled from the portal or the refresh token revoked or mistyped: authorize the app again and paste the new refresh token in hubspot.refreshToken'
          : 'check hubspot.clientId, hubspot.clientSecret and hubspot.refreshToken'
  return new ProviderError(`${TITLE} refused to refresh the OAuth access token (${status}${what ? ` ${what}` : ''}): ${hint}`, {
    provider: TITLE,
    status,
    operation: 'refresh OAuth token',
  })
}
