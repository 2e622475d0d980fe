/**
 * What every part of the LiveChat adapter shares: the configuration, the core's dependencies, the HTTP clients, the
 * integration store (region, Redirect URI, webhooks, probe identity), and the two ways to call the Web APIs — as the
 * agent of the PAT (Agent and Configuration APIs) or as a customer (Customer Chat API), renewing the customer's token
 * when needed. Built once per adapter by ./adapter.ts.
 */
import { errorMessage, ProviderError } from '../../core/errors'
import type { ContactRef, Data, ProviderDeps, SessionRef } from '../../core/types'
import { isRecord, str } from '../shared'
import { callAction, createClients, decodeAgentToken, isLivechatError, regionOfToken, TITLE, type Clients } from './api'
import { credentialsFrom, CustomerAuth, RENEW_MARGIN_MS, type CredentialHolder, type CustomerCredentials } from './auth'
import type { LivechatConfig } from './config'

const BOTPRESS_WEBHOOK_HOST = 'https://webhook.botpress.cloud'

export type CustomerCallOptions = { idempotent?: boolean; form?: FormData }

export type Livechat = {
  readonly config: LivechatConfig
  readonly deps: ProviderDeps
  readonly clients: Clients
  readonly auth: CustomerAuth
  /** The agent token without a `Basic ` prefix. */
  readonly basic: string
  storeData(): Promise<Data>
  updateStore(patch: Data): Promise<void>
  redirectUri(): Promise<string>
  withRedirectUri<T>(grant: (uri: string) => Promise<T>): Promise<T>
  agentCall<T>(api: 'agent' | 'configuration', action: string, body: unknown, idempotent: boolean): Promise<T>
  customerCall<T>(holder: CredentialHolder, action: string, body: unknown, opts?: CustomerCallOptions): Promise<T>
  contactHolder(contact: ContactRef): CredentialHolder
  sessionHolder(session: SessionRef): CredentialHolder
  mirroredHolder(primary: CredentialHolder, session: SessionRef): CredentialHolder
}

/** What is persisted of a customer's credentials (contact data, or the `customer` entry of session data). */
export const credentialRecord = (c: CustomerCredentials): Data => ({
  customerId: c.customerId,
  token: c.token,
  expiresAt: c.expiresAt,
  ...(c.cid ? { cid: c.cid } : {}),
  ...(c.cst ? { cst: c.cst } : {}),
})

export const createLivechat = (config: LivechatConfig, deps: ProviderDeps): Livechat => {
  const { logger } = deps
  const basic = config.agentToken.trim().replace(/^Basic\s+/i, '')
  const patRegion = regionOfToken(decodeAgentToken(basic).pat)
  const clients = createClients(deps.http, config, (text) => logger.redact(text))
  const remember = (...secrets: Array<string | undefined>) => deps.secrets.add(...secrets.filter((s) => !!s && s.length >= 4))
  const auth = new CustomerAuth(config, clients, logger, remember)
  let stored: Promise<Data> | undefined

  const storeData = (): Promise<Data> => (stored ??= deps.store.get())
  const updateStore = async (patch: Data) => {
    const next = { ...(await deps.store.get()), ...patch }
    await deps.store.set(next)
    stored = Promise.resolve(next)
  }
  const learnRegion = async (region: string) => {
    if ((await storeData()).region === region) return
    logger.info(`LiveChat: the organization answers in region "${region}"; using it from now on`)
    await updateStore({ region })
  }
  const cloudRedirectUri = `${BOTPRESS_WEBHOOK_HOST}/${deps.ctx.webhookId}`
  /** The Redirect URI of the cookie grant: the webhook URL seen by `register`, else Botpress Cloud's URL for this webhook id. */
  const redirectUri = async () => str((await storeData()).redirectUri) ?? cloudRedirectUri
  /**
   * A cookie grant (`grant(redirectUri)`) without a Botpress read where none is needed. On Botpress Cloud the webhook
   * URL `register` saw and saved is Botpress Cloud's URL of this webhook id, known from the context: the grant goes
   * out with it at once (createUser then costs the Botpress user and its state only). The saved URL is read only when
   * LiveChat refuses that one as a Redirect URI (`unauthorized_client`: a webhook on another host, e.g. a tunnel), or
   * when this request has read the store already. A refused grant created nobody, so the second one is safe.
   */
  const withRedirectUri = async <T>(grant: (uri: string) => Promise<T>): Promise<T> => {
    if (stored) return grant(await redirectUri())
    try {
      return await grant(cloudRedirectUri)
    } catch (error) {
      if (!isLivechatError(error, 'unauthorized_client')) throw error
      const saved = str((await storeData()).redirectUri)
      if (!saved || saved === cloudRedirectUri) throw error
      return grant(saved)
    }
  }

  /**
   * The agent APIs' region. A PAT names its own (`dal:…`, `fra:…`): used without a Botpress read, so a webhook that
   * asks LiveChat something (an assignment's get_chat) costs no state read. The region learnt from a
   * `misdirected_request` (the store) is read when the PAT names none, or when this request has read the store anyway.
   */
  const agentRegion = async () => (stored || !patRegion ? (str((await storeData()).region) ?? patRegion) : patRegion)

  const agentCall = async <T>(api: 'agent' | 'configuration', action: string, body: unknown, idempotent: boolean): Promise<T> =>
    callAction<T>(clients, api, action, body, {
      authorization: `Basic ${basic}`,
      region: await agentRegion(),
      idempotent,
      onRegion: learnRegion,
    })

  /**
   * Customer Chat API call as the customer whose credentials `holder` keeps: renewed first when (nearly) expired, and
   * once more, then retried once, when LiveChat refuses the token (`authentication`). Renewed credentials are saved
   * through the holder; every token is registered with deps.secrets before use.
   */
  const customerCall = async <T>(holder: CredentialHolder, action: string, body: unknown, opts: CustomerCallOptions = {}): Promise<T> => {
    let credentials = await holder.load()
    if (!credentials) {
      throw new ProviderError(`${TITLE}: no customer token is stored for this user; call createUser again`, { provider: TITLE, operation: `customer ${action}` })
    }
    remember(credentials.token, credentials.cst)
    if (credentials.expiresAt - Date.now() < RENEW_MARGIN_MS) {
      try {
        credentials = await auth.renew(holder, credentials, await redirectUri(), false)
      } catch (error) {
        if (credentials.expiresAt <= Date.now() || !(error instanceof ProviderError)) throw error
        logger.warn(`${errorMessage(error)} Using the current token while it lasts.`)
      }
    }
    const call = (c: CustomerCredentials) =>
      callAction<T>(clients, 'customer', action, body, {
        authorization: `Bearer ${c.token}`,
        region: regionOfToken(c.token),
        idempotent: opts.idempotent,
        form: opts.form,
        searchParams: { organization_id: config.organizationId },
        onRegion: learnRegion,
      })
    try {
      return await call(credentials)
    } catch (error) {
      if (!isLivechatError(error, 'authentication')) throw error
      logger.info(`LiveChat refused the token of customer ${credentials.customerId} on ${action}; renewing it`)
      credentials = await auth.renew(holder, credentials, await redirectUri(), true)
      return call(credentials)
    }
  }

  const contactHolder = (contact: ContactRef): CredentialHolder => ({
    load: async () => credentialsFrom(await contact.data(), contact.id),
    save: (c) => contact.saveData(credentialRecord(c)),
  })

  /** The copy of the customer's credentials kept with the session (used for the bot's notices and for closing). */
  const sessionHolder = (session: SessionRef): CredentialHolder => ({
    load: async () => {
      const customer = (await session.data()).customer
      return isRecord(customer) ? credentialsFrom(customer, session.contactId) : undefined
    },
    save: (c) => session.saveData({ customer: credentialRecord(c) }),
  })

  /** Loads and saves through `primary`, and also saves renewed credentials into the session's copy. */
  const mirroredHolder = (primary: CredentialHolder, session: SessionRef): CredentialHolder => {
    const copy = sessionHolder(session)
    return {
      load: () => primary.load(),
      save: async (c) => {
        await primary.save(c)
        await copy.save(c).catch((error) => logger.warn(`LiveChat: could not refresh the session's copy of the customer token: ${errorMessage(error)}`))
      },
    }
  }

  return { config, deps, clients, auth, basic, storeData, updateStore, redirectUri, withRedirectUri, agentCall, customerCall, contactHolder, sessionHolder, mirroredHolder }
}
