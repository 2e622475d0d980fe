/**
 * The Sunshine Conversations API v2 through the shared HTTP client. Every call is under
 * `<base>/v2/apps/<appId>/` (spec zendesk/sunshine-conversations-api-spec openapi.yaml `paths`), authenticated with
 * HTTP Basic: key id as user name, secret as password (spec `info.description` "Basic Authentication",
 * `components.securitySchemes.basicAuth`). The base is https://<subdomain>.zendesk.com/sc (spec `servers[0]`), or
 * `apiBaseUrl` as a whole.
 */
import type { HttpClient, HttpRequest, HttpResponse } from '../../core/http'
import { maskEmailsIn } from '../../core/log'
import type { ProviderDeps } from '../../core/types'
import { isRecord, str, withoutTrailingSlashes } from '../shared'
import type { ZendeskConfig } from './config'
import { zendeskRateLimit } from './ratelimit'

export const TITLE = 'Zendesk'

export const apiBaseOf = (config: Pick<ZendeskConfig, 'subdomain' | 'apiBaseUrl'>): string =>
  withoutTrailingSlashes(str(config.apiBaseUrl) ?? `https://${config.subdomain.trim().toLowerCase()}.zendesk.com/sc`)

export const appIdOf = (config: Pick<ZendeskConfig, 'appId'>): string => config.appId.trim()

/** The Authorization header value (also redacted: it is the key in base64). */
export const basicAuth = (config: Pick<ZendeskConfig, 'keyId' | 'keySecret'>): string =>
  `Basic ${Buffer.from(`${config.keyId.trim()}:${config.keySecret}`, 'utf8').toString('base64')}`

/**
 * Sunco's error body: `{errors: [{code, title}]}` (spec `info.description` "Errors", `components.schemas.errorResponse`),
 * with any e-mail address in it masked (a title may quote the profile it refused).
 */
export const describeError = (body: unknown): string | undefined => {
  const text = errorText(body)
  return text === undefined ? undefined : maskEmailsIn(text)
}

const errorText = (body: unknown): string | undefined => {
  if (typeof body === 'string') return str(body)?.slice(0, 200)
  if (!isRecord(body) || !Array.isArray(body.errors)) return undefined
  const text = body.errors
    .slice(0, 3)
    .filter(isRecord)
    .map((e) => [str(e.code), str(e.title)].filter(Boolean).join(': '))
    .filter(Boolean)
    .join('; ')
  return text ? text.slice(0, 200) : undefined
}

export type ZendeskApi = {
  /** A request under `<base>/v2/apps/<appId>/` (path without a leading slash; '' is the app itself). */
  call<T = unknown>(req: HttpRequest): Promise<HttpResponse<T>>
  readonly appId: string
}

export const createApi = (config: ZendeskConfig, deps: Pick<ProviderDeps, 'http'>): ZendeskApi => {
  const appId = appIdOf(config)
  const client: HttpClient = deps.http({
    provider: TITLE,
    baseUrl: `${apiBaseOf(config)}/v2/apps/${encodeURIComponent(appId)}`,
    headers: { authorization: basicAuth(config), accept: 'application/json' },
    describeError,
    rateLimit: zendeskRateLimit,
  })
  const appUrl = `${apiBaseOf(config)}/v2/apps/${encodeURIComponent(appId)}`
  // '' is the app itself (GetApp), asked without a trailing slash.
  return { appId, call: (req) => client.request(req.path === '' ? { ...req, path: appUrl } : req) }
}
