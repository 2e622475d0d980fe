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
import { ProviderError } from '../../core/errors'
import type { Logger } from '../../core/log'
import type { LivechatConfig } from './config'
import { ANSWER_STATUSES, errorOf, describeLivechatError, LivechatError, TITLE, type Clients } from './api'

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

const cookieValue = (setCookie: string | string[] | undefined, name: string): string | undefined => {
  for (const line of Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : []) {
    // Several cookies may be folded in one header line: split at the commas that start a new "name=".
    for (const part of line.split(/,(?=\s*[A-Za-z0-9_]+=)/)) {
      const match = new RegExp(`^\\s*${name}=([^;]*)`).exec(part)
      if (match && match[1]) return decodeURIComponent(match[1].trim())
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

export class CustomerAuth {
  private readonly renewing = new Map<string, Promise<CustomerCredentials>>()

  constructor(
    private readonly config: LivechatConfig,
    private readonly clients: Clients,
    private readonly logger: Logger,
    /** Registers run-time secrets (tokens, identity cookies) so that errors and logs redact them. */
    private readonly remember: (...secrets: Array<string | undefined>) => void
  ) {}

  /** Redirect URIs must match exactly; the error names what to fix. */
  private grantError(error: LivechatError, redirectUri: string): LivechatError {
    const type = error.errorType ?? ''
    const hint =
      type === 'unauthorized_client' || /redirect/i.test(error.message)
        ? ` Add the Botpress webhook URL (${redirectUri}) to the Redirect URIs of your app's App Authorization block (Developer Console), exactly as shown, and check livechat.clientId.`
        : type === 'invalid_client'
          ? ' Check livechat.clientId (the Client ID of the App Authorization block).'
          : ` Check livechat.clientId, livechat.organizationId and that ${redirectUri} is one of the app's Redirect URIs.`
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
    const token = typeof answer.access_token === 'string' && answer.access_token ? answer.access_token : undefined
    const entity = typeof answer.entity_id === 'string' && answer.entity_id ? answer.entity_id : undefined
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
    const key = `${current.customerId}:${current.token.slice(-12)}`
    const running = this.renewing.get(key)
    if (running) return running
    const job = this.doRenew(holder, current, redirectUri, invalid).finally(() => this.renewing.delete(key))
    this.renewing.set(key, job)
    return job
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
