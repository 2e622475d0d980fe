/**
 * Customer identities and tokens (Customer Accounts API v2).
 *
 * A PAT cannot act as a customer and the documented backend grant (`agent_token`) excludes PATs, so the end user's
 * LiveChat customer is created with the **cookie grant** (`client_id`, `organization_id`, `redirect_uri` = a Redirect
 * URI of the app: the Botpress webhook URL, as the setup guide says). Its answer sets the identity cookies
 * `__lc_cid`/`__lc_cst`; they are kept with the contact (Botpress user state) so that a new token for the **same**
 * customer can be obtained later. Tokens live 8 hours, so a longer session renews them:
 *   1. while the token is still valid: identity transfer (`bearer_type: customer`) then `grant_type: identity_token`;
 *   2. otherwise (or if 1 fails): the cookie grant again, sending the saved identity cookies.
 * A renewed token must name the same customer (`entity_id`); anything else is refused, never silently used.
 * Credentials are always persisted through the holder (contact or session state), never only in memory.
 */
import { createSingleFlight } from '../../core/cache'
import { ProviderError } from '../../core/errors'
import type { Logger } from '../../core/log'
import { str } from '../shared'
import { ANSWER_STATUSES, errorOf, describeLivechatError, LivechatError, TITLE, type Clients } from './api'
import type { LivechatConfig } from './config'

export type CustomerCredentials = {
  customerId: string
  token: string
  /** Epoch milliseconds. */
  expiresAt: number
  /** Identity cookies of the cookie grant (`__lc_cid`, `__lc_cst`). */
  cid?: string
  cst?: string
}

/** Where one copy of a customer's credentials is persisted (the contact's user state, or the session's conversation state). */
export type CredentialHolder = {
  load(): Promise<CustomerCredentials | undefined>
  save(credentials: CustomerCredentials): Promise<void>
}

/** Renew this long before the token expires. */
export const RENEW_MARGIN_MS = 5 * 60_000
const DEFAULT_LIFETIME_S = 28_800

type TokenAnswer = { access_token?: unknown; entity_id?: unknown; expires_in?: unknown; organization_id?: unknown }

const MAX_COOKIE_LINE = 8192

/**
 * The value of cookie `name` in Set-Cookie lines (several may be folded in one line, separated by commas). Cookie
 * values contain neither `;` nor `,` (RFC 6265 cookie-octet), so one indexOf scan per line finds it.
 */
export const cookieValue = (setCookie: string | string[] | undefined, name: string): string | undefined => {
  const needle = `${name}=`
  for (const raw of Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : []) {
    const line = raw.slice(0, MAX_COOKIE_LINE)
    for (let at = line.indexOf(needle); at >= 0; at = line.indexOf(needle, at + needle.length)) {
      let before = at - 1
      while (before >= 0 && line[before] === ' ') before--
      // Only at the start of the line or of a folded cookie (after a comma): `x__lc_cid=` or `Path=…; __lc_cid=` do not count.
      if (before >= 0 && line[before] !== ',') continue
      const start = at + needle.length
      let end = start
      while (end < line.length && line[end] !== ';' && line[end] !== ',') end++
      const value = line.slice(start, end).trim()
      if (!value) continue
      try {
        return decodeURIComponent(value)
      } catch {
        return value
      }
    }
  }
  return undefined
}

/** Reads credentials from a plain record (contact data, or the `customer` entry of session data). */
export const credentialsFrom = (data: Record<string, unknown> | undefined, customerId?: string): CustomerCredentials | undefined => {
  if (!data) return undefined
  const id = typeof data.customerId === 'string' ? data.customerId : customerId
  const token = data.token
  if (!id || typeof token !== 'string' || !token) return undefined
  const expiresAt = typeof data.expiresAt === 'number' && Number.isFinite(data.expiresAt) ? data.expiresAt : 0
  return {
    customerId: id,
    token,
    expiresAt,
    ...(typeof data.cid === 'string' && data.cid ? { cid: data.cid } : {}),
    ...(typeof data.cst === 'string' && data.cst ? { cst: data.cst } : {}),
  }
}

/** Concurrent renewals of one customer's token share one request (bounded, reset with the other caches). */
const renewing = createSingleFlight<CustomerCredentials>('livechat customer token renewal', 500)

export class CustomerAuth {
  constructor(
    private readonly config: LivechatConfig,
    private readonly clients: Clients,
    private readonly logger: Logger,
    /** Registers run-time secrets (tokens, identity cookies) so that errors and logs redact them. */
    private readonly remember: (...secrets: Array<string | undefined>) => void
  ) {}

  /**
   * What to fix when the cookie grant is refused. The grant needs an app with the App Authorization block of a
   * **Server-side app** whose Redirect URIs include the Botpress webhook URL: scheme and host must match exactly, the
   * configured path must be a prefix of ours, no query (platform.text.com/docs/authorization/oauth-authorization#redirect-uris;
   * errors: platform.text.com/docs/authorization/troubleshooting — `unauthorized_client` / `invalid_redirect_uri`,
   * `redirect_uri_not_set`, `invalid_client`, `client_id_not_found`).
   */
  private grantError(error: LivechatError, redirectUri: string): LivechatError {
    const type = error.errorType ?? ''
    const text = error.message.toLowerCase()
    const fix =
      `In the Developer Console open the app whose Client ID is livechat.clientId → Blocks → App Authorization (a Server-side app) ` +
      `and add ${redirectUri} to its Redirect URIs (exactly this scheme and host; no query), then save the configuration again.`
    const hint =
      type === 'unauthorized_client' || text.includes('redirect')
        ? ` The Redirect URIs of the app do not allow ${redirectUri}. ${fix}`
        : type === 'invalid_client' || text.includes('client_id_not_found')
          ? ' livechat.clientId is not the Client ID of an app of this organization (Developer Console → your app → App Authorization → Client ID).'
          : ` Check livechat.clientId and livechat.organizationId. ${fix}`
    return new LivechatError(`${error.message}.${hint}`, error.details, error.errorType, error.data)
  }

  private async tokenRequest(body: Record<string, unknown>, headers: Record<string, string>, idempotent: boolean, operation: string) {
    const res = await this.clients.accounts.request<TokenAnswer>({
      method: 'POST',
      path: 'v2/customer/token',
      json: body,
      headers,
      idempotent,
      okStatuses: ANSWER_STATUSES,
      operation,
    })
    if (res.status >= 300) throw this.accountsError(operation, res.status, res.body)
    const answer = res.body ?? {}
    const token = str(answer.access_token)
    const entity = str(answer.entity_id)
    if (!token || !entity) {
      throw new ProviderError(`${TITLE} accounts answered ${operation} without access_token or entity_id`, { provider: TITLE, operation })
    }
    this.remember(token)
    const lifetime = typeof answer.expires_in === 'number' && answer.expires_in > 0 ? answer.expires_in : DEFAULT_LIFETIME_S
    const setCookie = res.headers['set-cookie']
    const cid = cookieValue(setCookie, '__lc_cid')
    const cst = cookieValue(setCookie, '__lc_cst')
    this.remember(cst)
    return { token, customerId: entity, expiresAt: Date.now() + lifetime * 1000, cid, cst }
  }

  private accountsError(operation: string, status: number, body: unknown) {
    const error = errorOf(body)
    return new LivechatError(
      this.clients.scrub(`${TITLE} accounts answered ${status} on ${operation}: ${describeLivechatError(body) ?? 'no error details'}`),
      { provider: TITLE, status, operation },
      error?.type,
      error?.data
    )
  }

  private cookieGrantBody(redirectUri: string) {
    return {
      grant_type: 'cookie',
      client_id: this.config.clientId,
      response_type: 'token',
      organization_id: this.config.organizationId,
      redirect_uri: redirectUri,
    }
  }

  /** A brand-new customer identity (no cookies sent), with its first token. */
  async mint(redirectUri: string): Promise<CustomerCredentials> {
    try {
      const minted = await this.tokenRequest(this.cookieGrantBody(redirectUri), {}, false, 'create customer token')
      if (!minted.cid || !minted.cst) {
        this.logger.warn(
          'LiveChat: the customer token answer set no identity cookies; the token can still be renewed by identity transfer while it is valid'
        )
      }
      return { customerId: minted.customerId, token: minted.token, expiresAt: minted.expiresAt, cid: minted.cid ?? minted.customerId, cst: minted.cst }
    } catch (error) {
      if (error instanceof LivechatError && error.details.status !== undefined) throw this.grantError(error, redirectUri)
      throw error
    }
  }

  /**
   * Checks the customer side of the configuration (client id, organization, Redirect URI) with the cookie grant. With
   * the identity cookies of an earlier check, LiveChat recognizes that customer ("Case: Existing customer",
   * platform.text.com/docs/authorization/customer-authorization#cookie-grant): saving again creates nobody new.
   */
  async probe(redirectUri: string, known?: { cid: string; cst: string }): Promise<{ customerId: string; cid?: string; cst?: string }> {
    try {
      const headers: Record<string, string> = known ? { cookie: `__lc_cid=${known.cid}; __lc_cst=${known.cst}` } : {}
      const answer = await this.tokenRequest(this.cookieGrantBody(redirectUri), headers, !!known, 'check customer grant')
      return { customerId: answer.customerId, cid: answer.cid ?? (known && answer.customerId === known.cid ? known.cid : undefined), cst: answer.cst ?? known?.cst }
    } catch (error) {
      if (error instanceof LivechatError && error.details.status !== undefined) throw this.grantError(error, redirectUri)
      throw error
    }
  }

  private async byIdentityTransfer(current: CustomerCredentials) {
    const res = await this.clients.accounts.request<{ identity_transfer_token?: unknown }>({
      method: 'POST',
      path: 'v2/customer/identity_transfer',
      json: { bearer_type: 'customer', client_id: this.config.clientId },
      headers: { authorization: `Bearer ${current.token}` },
      idempotent: true,
      okStatuses: ANSWER_STATUSES,
      operation: 'identity transfer',
    })
    if (res.status >= 300) throw this.accountsError('identity transfer', res.status, res.body)
    const code = res.body?.identity_transfer_token
    if (typeof code !== 'string' || !code) {
      throw new ProviderError(`${TITLE} accounts answered identity transfer without a token`, { provider: TITLE, operation: 'identity transfer' })
    }
    this.remember(code)
    return this.tokenRequest({ grant_type: 'identity_token', client_id: this.config.clientId, code }, {}, false, 'exchange identity transfer token')
  }

  private byCookies(current: CustomerCredentials, redirectUri: string) {
    const cookie = `__lc_cid=${current.cid ?? current.customerId}; __lc_cst=${current.cst}`
    return this.tokenRequest(this.cookieGrantBody(redirectUri), { cookie }, true, 'renew customer token')
  }

  /**
   * A new token for the same customer, persisted through `holder`. `invalid`: LiveChat refused the current token,
   * so only the identity cookies can help. Concurrent renewals of one customer share one request.
   */
  renew(holder: CredentialHolder, current: CustomerCredentials, redirectUri: string, invalid: boolean): Promise<CustomerCredentials> {
    const key = `${this.config.clientId}:${current.customerId}:${current.token.slice(-12)}`
    return renewing(key, () => this.doRenew(holder, current, redirectUri, invalid))
  }

  private async doRenew(holder: CredentialHolder, current: CustomerCredentials, redirectUri: string, invalid: boolean) {
    const failures: string[] = []
    const attempts: Array<[string, () => Promise<Awaited<ReturnType<CustomerAuth['tokenRequest']>>>]> = []
    if (!invalid && current.expiresAt > Date.now()) attempts.push(['identity transfer', () => this.byIdentityTransfer(current)])
    if (current.cst) attempts.push(['identity cookies', () => this.byCookies(current, redirectUri)])
    for (const [how, attempt] of attempts) {
      try {
        const next = await attempt()
        if (next.customerId !== current.customerId) {
          failures.push(`${how}: LiveChat issued a token for another customer (the saved identity was not recognized)`)
          continue
        }
        const renewed: CustomerCredentials = {
          customerId: current.customerId,
          token: next.token,
          expiresAt: next.expiresAt,
          ...(current.cid || next.cid ? { cid: next.cid ?? current.cid } : {}),
          ...(current.cst || next.cst ? { cst: next.cst ?? current.cst } : {}),
        }
        await holder.save(renewed)
        this.logger.debug(`LiveChat: renewed the token of customer ${current.customerId} (${how})`)
        return renewed
      } catch (error) {
        if (!(error instanceof ProviderError)) throw error
        failures.push(`${how}: ${error.message}`)
      }
    }
    throw new ProviderError(
      this.clients.scrub(
        `${TITLE}: the token of customer ${current.customerId} ${invalid || current.expiresAt <= Date.now() ? 'expired' : 'expires soon'} and could not be renewed` +
          (failures.length ? ` (${failures.join('; ')})` : ' (no identity cookies were saved for it)') +
          '. Start a new session: createUser then startHitl.'
      ),
      { provider: TITLE, operation: 'renew customer token' }
    )
  }
}
