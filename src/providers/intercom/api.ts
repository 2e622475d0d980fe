/** Intercom REST API 2.15: hosts, headers and error text, shared by the adapter. */
import type { HttpClient, HttpClientFactory } from '../../core/http'
import type { IntercomConfig } from './config'
import { INTERCOM_PACE, intercomRateLimit } from './ratelimit'

export const TITLE = 'Intercom'
export const API_VERSION = '2.15'

export const REGION_HOSTS = {
  us: 'https://api.intercom.io',
  eu: 'https://api.eu.intercom.io',
  au: 'https://api.au.intercom.io',
} as const

export type Region = keyof typeof REGION_HOSTS

export const regionOf = (config: IntercomConfig): Region => config.region ?? 'us'

export const baseUrlOf = (config: IntercomConfig): string => config.apiBaseUrl?.trim() || REGION_HOSTS[regionOf(config)]

/** `{type: 'error.list', errors: [{code, message}]}` → "code: message; …". */
export const describeIntercomError = (body: unknown): string | undefined => {
  if (!body || typeof body !== 'object') return typeof body === 'string' && body.trim() ? body.trim().slice(0, 200) : undefined
  const errors = (body as { errors?: unknown }).errors
  if (Array.isArray(errors) && errors.length) {
    return errors
      .map((e: { code?: unknown; message?: unknown }) =>
        [typeof e?.code === 'string' ? e.code : undefined, typeof e?.message === 'string' ? e.message : undefined].filter(Boolean).join(': ')
      )
      .filter(Boolean)
      .join('; ')
      .slice(0, 300) || undefined
  }
  const message = (body as { message?: unknown }).message
  return typeof message === 'string' ? message.slice(0, 300) : undefined
}

export const createClient = (http: HttpClientFactory, config: IntercomConfig, baseUrl = baseUrlOf(config)): HttpClient =>
  http({
    provider: TITLE,
    baseUrl,
    headers: {
      authorization: `Bearer ${config.accessToken}`,
      'intercom-version': API_VERSION,
      accept: 'application/json',
    },
    describeError: describeIntercomError,
    rateLimit: intercomRateLimit,
    pace: INTERCOM_PACE,
  })
