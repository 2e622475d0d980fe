/**
 * Freshchat's REST API v2 through the shared HTTP client: `https://<domain>/v2`, every request with
 * `Authorization: Bearer <API key>` (https://developers.freshchat.com/api/ "Header Parameters"). Errors are
 * `{ code, status, message }` (same page, "Response error message").
 */
import type { HttpClient } from '../../core/http'
import { maskEmailsIn } from '../../core/log'
import type { ProviderDeps } from '../../core/types'
import { isRecord, str, withoutTrailingSlashes } from '../shared'
import type { FreshchatConfig } from './config'
import { freshchatRateLimit } from './ratelimit'

export const TITLE = 'Freshchat'

/** The account's API host: `acme.freshchat.com` as given (a scheme or a trailing slash dropped); a bare `acme` is completed. */
export const hostOf = (config: Pick<FreshchatConfig, 'domain'>): string => {
  const host = withoutTrailingSlashes(config.domain.trim().replace(/^https?:\/\//i, '')).toLowerCase()
  return host.includes('.') ? host : `${host}.freshchat.com`
}

export const apiBaseOf = (config: Pick<FreshchatConfig, 'domain' | 'apiBaseUrl'>): string =>
  withoutTrailingSlashes(str(config.apiBaseUrl) ?? `https://${hostOf(config)}/v2`)

/** `{ code, status, message }` → "STATUS: message", with e-mail addresses masked (an error may name the user's). */
export const describeError = (body: unknown): string | undefined => {
  const text = typeof body === 'string' ? str(body) : isRecord(body) ? [str(body.status), str(body.message)].filter(Boolean).join(': ') : undefined
  return text ? maskEmailsIn(text.slice(0, 200)) : undefined
}

export const createApi = (config: FreshchatConfig, deps: Pick<ProviderDeps, 'http'>): HttpClient =>
  deps.http({
    provider: TITLE,
    baseUrl: apiBaseOf(config),
    headers: { authorization: `Bearer ${config.apiKey.trim()}`, accept: 'application/json' },
    describeError,
    rateLimit: freshchatRateLimit,
  })
