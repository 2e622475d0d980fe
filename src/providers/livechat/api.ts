/**
 * LiveChat (text.com) Web APIs v3.6 — Agent, Customer and Configuration — and the Customer Accounts API v2: hosts,
 * authorization headers, regions, and LiveChat's error objects turned into clear errors.
 *
 * Every Web API call is `POST <api>/v3.6/<agent|customer|configuration>/action/<action>` with a JSON body (multipart for
 * `upload_file`). LiveChat answers errors as `{error: {type, message, data?}}` with undocumented HTTP statuses, so the
 * adapter branches on `error.type`, never on the status. 429 and 5xx are left to the shared client (bounded retries,
 * Retry-After honoured).
 */
import { ProviderError } from '../../core/errors'
import type { HttpClient, HttpClientFactory, HttpResponse } from '../../core/http'
import { isRecord, own } from '../shared'
import type { LivechatConfig } from './config'
import { livechatRateLimit } from './ratelimit'

export const TITLE = 'LiveChat'
export const API_VERSION = '3.6'
export const DEFAULT_API_URL = 'https://api.livechatinc.com'
export const DEFAULT_ACCOUNTS_URL = 'https://accounts.livechat.com'

export type WebApi = 'agent' | 'customer' | 'configuration'

/** Client errors are LiveChat answers to inspect (by `error.type`); 408/429/5xx stay failures the shared client retries. */
export const ANSWER_STATUSES = Array.from({ length: 100 }, (_, i) => 400 + i).filter((s) => s !== 408 && s !== 429)

/** `dal:…`, `fra:…`, `fra-a:…` → the region (data center) a LiveChat token belongs to. */
export const regionOfToken = (token: string | undefined): string | undefined => {
  const match = /^([a-z]{2,5}(?:-[a-z0-9]{1,3})?):\S/i.exec((token ?? '').slice(0, 16))
  return match ? match[1]!.toLowerCase() : undefined
}

/** The agent token is Base64 of `<accountId>:<personal access token>`; the PAT itself usually starts with its region. */
export const decodeAgentToken = (agentToken: string | undefined): { accountId?: string; pat?: string; decoded?: string } => {
  const raw = agentToken?.trim()
  if (!raw || raw.length > 4096 || !/^[A-Za-z0-9+/=_-]+$/.test(raw)) return {}
  const decoded = Buffer.from(raw, 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  // Anything that does not decode to printable "account:token" is not what the Developer Console shows.
  if (colon <= 0 || colon === decoded.length - 1 || /[^\x21-\x7e]/.test(decoded)) return {}
  return { accountId: decoded.slice(0, colon), pat: decoded.slice(colon + 1), decoded }
}

export type LivechatErrorBody = { type?: string; message?: string; data?: Record<string, unknown> }

/** An error type as LiveChat names them (`not_found`, `oauth_exception` values…): a short token; anything else is none. */
const typeOf = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' && value.length <= 64 ? value : undefined)

/** `{error: {type, message, data}}` (Web APIs) or `{oauth_exception, exception_description}` (accounts) → normalized. */
export const errorOf = (body: unknown): LivechatErrorBody | undefined => {
  if (!isRecord(body)) return undefined
  const error = body.error
  if (isRecord(error)) {
    return {
      type: typeOf(error.type),
      message: typeof error.message === 'string' ? error.message : undefined,
      data: isRecord(error.data) ? error.data : undefined,
    }
  }
  // The accounts service names `oauth_exception` (+ `exception_details`, e.g. invalid_redirect_uri: authorization/troubleshooting);
  // an RFC 6749 `{error, error_description}` answer is read the same way.
  const type = typeOf(body.oauth_exception) ?? typeOf(error)
  if (type) {
    const details = [body.exception_description, body.exception_details, body.error_description].filter((d): d is string => typeof d === 'string' && d !== '')
    return { type, message: details.length ? details.join(' — ') : undefined }
  }
  return undefined
}

/** Text of a LiveChat error body for messages ("authorization: Insufficient scopes"). */
export const describeLivechatError = (body: unknown): string | undefined => {
  const e = errorOf(body)
  if (e?.type || e?.message) return [e.type, e.message?.slice(0, 300)].filter(Boolean).join(': ')
  if (typeof body === 'string' && body.trim()) return body.trim().slice(0, 200)
  return undefined
}

/** A LiveChat error answer: the message is readable and secret-free. */
export class LivechatError extends ProviderError {
  constructor(
    message: string,
    details: ProviderError['details'],
    /** LiveChat's `error.type` (or the accounts API's `oauth_exception`). */
    readonly errorType?: string,
    readonly data?: Record<string, unknown>
  ) {
    super(message, details)
    this.name = 'LivechatError'
  }
}

export const isLivechatError = (error: unknown, ...types: string[]): error is LivechatError =>
  error instanceof LivechatError && (types.length === 0 || (error.errorType !== undefined && types.includes(error.errorType)))

const HINTS: Record<string, string> = {
  authentication: 'the token was refused (invalid, revoked or expired)',
  authorization: 'the token lacks the scope (or role) this action needs',
  missing_access: "the token's agent has no access to this chat's group",
  misdirected_request: 'the request went to the wrong region (data center)',
  entity_too_large: 'the file is larger than LiveChat accepts (10 MB)',
  group_not_found: 'check livechat.groupId (or the numeric hitlSession.routing): LiveChat has no such group',
  groups_offline: 'no agent of the group can take a chat now',
  group_offline: 'no agent of the group can take a chat now',
  group_unavailable: 'no agent of the group can take a chat now',
  customer_banned: 'an agent banned this customer',
}

export type CallOptions = {
  /** Authorization header value (`Basic …` or `Bearer …`). */
  authorization: string
  /** X-Region to send; learned again from `misdirected_request`. */
  region?: string
  idempotent?: boolean
  searchParams?: Record<string, string>
  /** Multipart body (upload_file); otherwise `body` is sent as JSON. */
  form?: FormData
  /** Called after a call succeeded in another region than the one asked for. */
  onRegion?: (region: string) => void | Promise<void>
}

export type Clients = {
  api: HttpClient
  accounts: HttpClient
  /** Redacts configured and run-time secrets (the same redactor as the logs). */
  scrub: (text: string) => string
}

/** Run-time secrets are registered with `deps.secrets`, whose redactor the shared client applies to every error. */
export const createClients = (http: HttpClientFactory, config: LivechatConfig, scrub: (text: string) => string): Clients => ({
  api: http({
    provider: TITLE,
    baseUrl: config.apiBaseUrl?.trim() || DEFAULT_API_URL,
    headers: { accept: 'application/json' },
    describeError: describeLivechatError,
    rateLimit: livechatRateLimit,
  }),
  accounts: http({
    provider: `${TITLE} accounts`,
    baseUrl: config.accountsBaseUrl?.trim() || DEFAULT_ACCOUNTS_URL,
    headers: { accept: 'application/json' },
    describeError: describeLivechatError,
    rateLimit: livechatRateLimit,
  }),
  scrub,
})

/** One Web API action, with one retry in the region LiveChat names when it answers `misdirected_request`. */
export const callAction = async <T>(clients: Clients, api: WebApi, action: string, body: unknown, opts: CallOptions): Promise<T> => {
  const operation = `${api} ${action}`
  let region = opts.region
  for (let attempt = 0; ; attempt++) {
    const res: HttpResponse<unknown> = await clients.api.request({
      method: 'POST',
      path: `v${API_VERSION}/${api}/action/${action}`,
      ...(opts.form ? { body: opts.form } : { json: body ?? {} }),
      headers: { authorization: opts.authorization, ...(region ? { 'x-region': region } : {}) },
      searchParams: opts.searchParams,
      idempotent: opts.idempotent,
      okStatuses: ANSWER_STATUSES,
      operation,
    })
    if (res.status < 300) {
      if (region !== opts.region && region) await opts.onRegion?.(region)
      return (res.body && typeof res.body === 'object' ? res.body : {}) as T
    }
    const error = errorOf(res.body)
    if (error?.type === 'misdirected_request' && attempt === 0) {
      const right = typeof error.data?.region === 'string' && error.data.region.trim() ? error.data.region.trim() : undefined
      if (right && right !== region) {
        region = right
        continue
      }
    }
    throw toError(clients, operation, res.status, error, res.body, region, attempt > 0)
  }
}

const toError = (
  clients: Clients,
  operation: string,
  status: number,
  error: LivechatErrorBody | undefined,
  body: unknown,
  region: string | undefined,
  retried: boolean
): LivechatError => {
  const type = error?.type
  let detail = describeLivechatError(body) ?? 'no error details'
  if (type === 'misdirected_request') {
    const named = typeof error?.data?.region === 'string' ? error.data.region : undefined
    detail =
      `misdirected_request: ${HINTS.misdirected_request}` +
      (region ? ` (sent to region "${region}")` : ' (sent without X-Region, i.e. to the default region "dal")') +
      (retried
        ? '; it was already a retry in the region LiveChat named'
        : named
          ? `; LiveChat names "${named}", the region it was sent to`
          : '; LiveChat did not say which region is right') +
      '. Check that the agent token and the organization ID belong to the same LiveChat organization' +
      (error?.message ? ` (LiveChat: ${error.message.slice(0, 200)})` : '')
  } else if (own(HINTS, type)) {
    // Own keys only: a `constructor` or `toString` type from the answer names no hint.
    detail = `${detail} — ${own(HINTS, type)}`
  }
  return new LivechatError(
    clients.scrub(`${TITLE} answered ${status} on ${operation}: ${detail}`),
    { provider: TITLE, status, operation },
    type,
    error?.data
  )
}
