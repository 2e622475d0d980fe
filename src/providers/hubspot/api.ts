/**
 * HubSpot's two kinds of authentication behind one client:
 * - the app's **developer API key** (`?hapikey=…&appId=…`) for the app-level custom-channel and webhook settings;
 * - the portal's **OAuth access token** (Bearer, from auth.ts) for everything else; after a 401 the token is
 *   refreshed once and the request repeated once.
 * Errors name the operation and HubSpot's own explanation; keys, tokens and e-mail addresses never appear in them.
 */
import { ProviderError } from '../../core/errors'
import type { HttpClient, HttpRequest, HttpResponse } from '../../core/http'
import type { ProviderDeps } from '../../core/types'
import { isRecord, str, withoutTrailingSlashes } from '../shared'
import type { HubspotConfig } from './config'
import { HUBSPOT_PACE, hubspotRateLimit } from './ratelimit'

export const TITLE = 'HubSpot'
export const DEFAULT_BASE_URL = 'https://api.hubapi.com'

/** HubSpot's explanation of an error answer: category (or RFC 6749 error), message, missing scopes, correlation id. */
export const describeHubspotError = (body: unknown): string | undefined => {
  if (typeof body === 'string') return str(body)?.slice(0, 200)
  if (!isRecord(body)) return undefined
  const kind = [str(body.category) ?? str(body.errorType) ?? str(body.error) ?? (body.status !== 'error' ? str(body.status) : undefined), str(body.subCategory)]
    .filter(Boolean)
    .join('/')
  const message = (str(body.message) ?? str(body.error_description))?.slice(0, 300)
  const scopes = new Set<string>()
  const collect = (context: unknown) => {
    if (!isRecord(context)) return
    for (const key of ['requiredGranularScopes', 'requiredScopes', 'missingScopes']) {
      const list = context[key]
      if (Array.isArray(list)) for (const s of list) if (typeof s === 'string') scopes.add(s.slice(0, 100))
    }
  }
  collect(body.context)
  if (Array.isArray(body.errors)) for (const e of body.errors.slice(0, 20)) if (isRecord(e)) collect(e.context)
  const parts = [kind && message ? `${kind}: ${message}` : kind || message]
  if (scopes.size) parts.push(`missing scopes: ${[...scopes].join(', ')}`)
  const correlation = str(body.correlationId)
  if (correlation) parts.push(`correlationId ${correlation.slice(0, 60)}`)
  return parts.filter(Boolean).join('; ') || undefined
}

/** The one HTTP client of the adapter (HubSpot's API host). */
export const createClient = (config: HubspotConfig, deps: ProviderDeps): HttpClient =>
  deps.http({
    provider: TITLE,
    baseUrl: withoutTrailingSlashes(config.apiBaseUrl?.trim() || DEFAULT_BASE_URL),
    headers: { accept: 'application/json' },
    describeError: (body) => describeHubspotError(body),
    rateLimit: hubspotRateLimit,
    pace: HUBSPOT_PACE,
  })

/** Where bearer requests get their token (auth.ts). */
export type TokenSource = { accessToken(): Promise<string>; refresh(stale?: string): Promise<string> }

export type HubspotApi = {
  /** A request with the portal's OAuth access token. */
  bearer<T>(req: HttpRequest): Promise<HttpResponse<T>>
  /** A request authenticated with the developer API key (app-level settings: custom channels, webhook settings). */
  developer<T>(req: HttpRequest): Promise<HttpResponse<T>>
}

export const createHubspotApi = (config: HubspotConfig, client: HttpClient, tokens: TokenSource, deps: ProviderDeps): HubspotApi => {
  const send = <T>(req: HttpRequest, token: string) =>
    client.request<T>({ ...req, headers: { ...req.headers, authorization: `Bearer ${token}` }, okStatuses: [...(req.okStatuses ?? []), 401] })

  return {
    async bearer<T>(req: HttpRequest): Promise<HttpResponse<T>> {
      const operation = req.operation ?? `${req.method ?? 'GET'} /${req.path.split('?')[0]}`
      const token = await tokens.accessToken()
      const first = await send<T>(req, token)
      if (first.status !== 401 || req.okStatuses?.includes(401)) return first
      deps.logger.info(`${TITLE} refused the access token on ${operation} (401): refreshing it once`)
      const renewed = await tokens.refresh(token)
      const second = await send<T>(req, renewed)
      if (second.status !== 401 || req.okStatuses?.includes(401)) return second
      const detail = describeHubspotError(second.body)
      // Built here, not by the HTTP client: redacted here (HubSpot may echo the token it refused).
      throw new ProviderError(
        deps.logger.redact(
          `${TITLE} answered 401 on ${operation} even with a freshly refreshed access token${detail ? ` (${detail})` : ''}: ` +
            'the app may have been uninstalled from the portal or its refresh token revoked; authorize the app again and update hubspot.refreshToken'
        ),
        { provider: TITLE, status: 401, operation }
      )
    },

    async developer<T>(req: HttpRequest): Promise<HttpResponse<T>> {
      try {
        return await client.request<T>({ ...req, searchParams: { ...req.searchParams, hapikey: config.developerApiKey, appId: config.appId } })
      } catch (error) {
        if (error instanceof ProviderError && (error.details.status === 401 || error.details.status === 403)) {
          throw new ProviderError(
            `${error.message}. Check hubspot.developerApiKey (developer account → Keys → Developer API key) and hubspot.appId (the id of the public app)`,
            error.details
          )
        }
        throw error
      }
    },
  }
}
