/**
 * Chatwoot's Application API through the shared HTTP client: every call carries the `api_access_token` header
 * (spec `components.securitySchemes.userApiKey`) and lives under /api/v1/accounts/<accountId>/ except the profile.
 * Several answers are wrapped in `payload` on the server though the spec shows them bare: `unwrap` reads both.
 */
import type { HttpClient, HttpRequest, HttpResponse } from '../../core/http'
import type { ProviderDeps } from '../../core/types'
import { isRecord, str, withoutTrailingSlashes } from '../shared'
import { DEFAULT_BASE_URL, type ChatwootConfig } from './config'
import { chatwootRateLimit } from './ratelimit'

export const TITLE = 'Chatwoot'

/** The configured address without trailing slashes, or the cloud's. */
export const baseUrlOf = (config: Pick<ChatwootConfig, 'baseUrl'>): string =>
  withoutTrailingSlashes(str(config.baseUrl) ?? DEFAULT_BASE_URL)

export const accountIdOf = (config: Pick<ChatwootConfig, 'accountId'>): string => config.accountId.trim()

/** Chatwoot's error bodies: `{error}`, `{message}`, `{errors:[…]}` or `{message, attributes}` (validation). */
export const describeError = (body: unknown): string | undefined => {
  if (typeof body === 'string') return str(body)?.slice(0, 200)
  if (!isRecord(body)) return undefined
  const errors = Array.isArray(body.errors) ? body.errors.map((e) => (isRecord(e) ? str(e.message) : str(e))).filter(Boolean) : []
  const text = str(body.error) ?? str(body.message) ?? (errors.length ? errors.join('; ') : undefined)
  return text?.slice(0, 200)
}

/** `{payload: X}` → X; anything else as it is. */
export const unwrap = (body: unknown): unknown => (isRecord(body) && 'payload' in body ? body.payload : body)

export type ChatwootApi = {
  /** A request under /api/v1/accounts/<accountId>/ (or /api/v1/ with `root`). */
  call<T = unknown>(req: HttpRequest & { root?: boolean }): Promise<HttpResponse<T>>
  readonly accountId: string
}

export const createApi = (config: ChatwootConfig, deps: Pick<ProviderDeps, 'http'>): ChatwootApi => {
  const client: HttpClient = deps.http({
    provider: TITLE,
    baseUrl: `${baseUrlOf(config)}/api/v1`,
    headers: { api_access_token: config.apiAccessToken, accept: 'application/json' },
    describeError,
    rateLimit: chatwootRateLimit,
  })
  const accountId = accountIdOf(config)
  return {
    accountId,
    call: ({ root, path, ...req }) => client.request({ ...req, path: root ? path : `accounts/${encodeURIComponent(accountId)}/${path}` }),
  }
}
