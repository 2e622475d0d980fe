/**
 * register / unregister, and what they leave behind: the API inbox the sessions live in and ONE account webhook for
 * the integration's URL. Their ids (and the webhook's signing secret, when Chatwoot returns one) are kept in the
 * provider store and, on a warm instance, in a bounded cache. Verification reads neither: a signing webhook's URL
 * carries its secret sealed (webhook.ts `sealSecret`), so any instance checks a signature from the request alone.
 */
import { createCache, createSingleFlight } from '../../core/cache'
import { ConfigurationError, errorMessage, ProviderError } from '../../core/errors'
import type { ProviderDeps } from '../../core/types'
import { asId, isRecord, storedSetup, str } from '../shared'
import { baseUrlOf, TITLE, unwrap, type ChatwootApi } from './api'
import type { ChatwootConfig } from './config'
import { carriesToken, EVENTS, openSeal, sealKey, sealOf, sealSecret, urlBase, urlToken, withToken } from './webhook'

export const INBOX_NAME = 'Botpress'

export type SetupData = { inboxId?: string; inboxCreated?: boolean; webhookId?: string; webhookSecret?: string }

type Webhook = { id: string; url: string; subscriptions: string[]; secret?: string }

/**
 * Kept briefly: another instance may register again (a new webhook, a new secret) and the store is the truth. Two
 * minutes bounds how long a warm instance can refuse the new signatures, at one store read per instance and period.
 */
const setups = createCache<SetupData>({ name: 'chatwoot setup', max: 500, ttlMs: 2 * 60_000 })
const lazySetup = createSingleFlight<SetupData>('chatwoot lazy setup', 500)

const pick = (data: Record<string, unknown>): SetupData => ({
  inboxId: asId(data.inboxId),
  inboxCreated: data.inboxCreated === true,
  webhookId: asId(data.webhookId),
  webhookSecret: str(data.webhookSecret),
})

const webhookOf = (raw: unknown): Webhook | undefined => {
  const w = unwrap(raw)
  const hook = isRecord(w) && isRecord(w.webhook) ? w.webhook : w
  if (!isRecord(hook)) return undefined
  const id = asId(hook.id)
  const url = str(hook.url)
  if (!id || !url) return undefined
  const subscriptions = Array.isArray(hook.subscriptions) ? hook.subscriptions.filter((s): s is string => typeof s === 'string') : []
  return { id, url, subscriptions, ...(str(hook.secret) ? { secret: str(hook.secret) } : {}) }
}

const listOf = (raw: unknown, key: string): unknown[] => {
  const body = unwrap(raw)
  if (Array.isArray(body)) return body
  const inner = isRecord(body) ? body[key] : undefined
  return Array.isArray(inner) ? inner : []
}

export const createSetup = (config: ChatwootConfig, deps: Pick<ProviderDeps, 'store' | 'secrets' | 'logger' | 'ctx'>, api: ChatwootApi) => {
  const token = urlToken(config)
  const signedToken = urlToken(config, true)
  const seals = sealKey(config)
  const key = `${deps.ctx.integrationId}|${baseUrlOf(config)}|${api.accountId}|${token}`

  /** What register left, from memory or the store (one Botpress read on a cold instance). */
  const { read, save } = storedSetup({ deps, cache: setups, key, pick })

  const checkToken = async () => {
    let profile: unknown
    try {
      profile = (await api.call({ root: true, path: 'profile', operation: 'GET /profile' })).body
    } catch (error) {
      if (error instanceof ProviderError && error.details.status === 401) {
        throw new ConfigurationError(
          `Chatwoot refused the access token (chatwoot.apiAccessToken) at ${baseUrlOf(config)}: ${error.message}. Copy it again from Profile settings → Access Token, and check chatwoot.baseUrl.`
        )
      }
      throw error
    }
    const accounts = isRecord(profile) && Array.isArray(profile.accounts) ? profile.accounts.filter(isRecord) : undefined
    if (!accounts) return
    const account = accounts.find((a) => asId(a.id) === api.accountId)
    if (!account) {
      throw new ConfigurationError(
        `The access token's user is not a member of Chatwoot account ${api.accountId} (chatwoot.accountId): use the number in your dashboard address (…/app/accounts/<id>/…)`
      )
    }
    if (str(account.role) && account.role !== 'administrator') {
      throw new ConfigurationError(
        `The access token (chatwoot.apiAccessToken) is an ${String(account.role).slice(0, 20)}'s: creating the inbox and the webhook needs an administrator's token`
      )
    }
  }

  const getInbox = async (id: string): Promise<Record<string, unknown> | undefined> => {
    const res = await api.call({ path: `inboxes/${encodeURIComponent(id)}/`, okStatuses: [404], operation: 'GET inbox' })
    return res.status === 404 || !isRecord(res.body) ? undefined : res.body
  }

  const resolveInbox = async (previous: SetupData): Promise<{ inboxId: string; inboxCreated: boolean }> => {
    const configured = config.inboxId?.trim()
    if (configured) {
      const inbox = await getInbox(configured)
      if (!inbox) throw new ConfigurationError(`Chatwoot has no inbox ${configured} in account ${api.accountId} (chatwoot.inboxId)`)
      if (str(inbox.channel_type) && inbox.channel_type !== 'Channel::Api') {
        throw new ConfigurationError(
          `Chatwoot inbox ${configured} (chatwoot.inboxId) is a ${String(inbox.channel_type).slice(0, 40)} inbox: choose an API inbox, or leave the field empty to let the integration create one`
        )
      }
      return { inboxId: configured, inboxCreated: false }
    }
    if (previous.inboxId && (await getInbox(previous.inboxId))) return { inboxId: previous.inboxId, inboxCreated: previous.inboxCreated === true }
    const list = await api.call({ path: 'inboxes', operation: 'list inboxes' })
    const existing = listOf(list.body, 'inboxes')
      .filter(isRecord)
      .find((i) => i.name === INBOX_NAME && i.channel_type === 'Channel::Api' && asId(i.id))
    if (existing) return { inboxId: asId(existing.id)!, inboxCreated: false }
    const created = await api.call({
      method: 'POST',
      path: 'inboxes/',
      json: { name: INBOX_NAME, channel: { type: 'api' } },
      operation: 'create inbox',
    })
    const id = isRecord(created.body) ? asId(created.body.id) : undefined
    if (!id) throw new ProviderError(`${TITLE} created the inbox but answered without its id`, { provider: TITLE, operation: 'create inbox' })
    deps.logger.info(`Chatwoot: created the API inbox "${INBOX_NAME}" (${id})`)
    return { inboxId: id, inboxCreated: true }
  }

  const webhooks = async (): Promise<Webhook[]> => {
    const res = await api.call({ path: 'webhooks', operation: 'list webhooks' })
    return listOf(res.body, 'webhooks').map(webhookOf).filter((w): w is Webhook => !!w)
  }

  const ours = (list: Webhook[], webhookUrl: string | undefined, knownId?: string) => {
    const base = webhookUrl ? urlBase(webhookUrl) : undefined
    return list.filter((w) => w.id === knownId || (base && urlBase(w.url) === base) || carriesToken(w.url, token, signedToken))
  }

  const deleteWebhook = async (id: string) => {
    await api.call({ method: 'DELETE', path: `webhooks/${encodeURIComponent(id)}`, okStatuses: [404], responseType: 'text', operation: 'delete webhook' })
  }

  /**
   * The URL Chatwoot should call: for a signing webhook the signing token and its secret sealed, reusing the seal the
   * current URL carries when it still opens to that secret (a save that changes nothing keeps the URL as it is).
   */
  const targetFor = (webhookUrl: string, current: Webhook | undefined, secret: string | undefined): string => {
    if (!secret) return withToken(webhookUrl, token)
    const sealed = current && sealOf(current.url)
    const reuse = sealed && carriesToken(current.url, signedToken) && openSeal(sealed, seals) === secret ? sealed : undefined
    return withToken(webhookUrl, signedToken, reuse ?? sealSecret(secret, seals))
  }

  const writeWebhook = async (id: string | undefined, url: string, subscriptions: string[]): Promise<Webhook> => {
    const res = await api.call({
      method: id ? 'PATCH' : 'POST',
      path: id ? `webhooks/${encodeURIComponent(id)}` : 'webhooks',
      json: { url, subscriptions },
      operation: id ? 'update webhook' : 'create webhook',
    })
    const webhook = webhookOf(res.body)
    if (!webhook) throw new ProviderError(`${TITLE} answered the webhook request without its id`, { provider: TITLE, operation: id ? 'update webhook' : 'create webhook' })
    return webhook
  }

  /**
   * One account webhook for this integration: found (by id, URL or token) and brought up to date, or created. A new
   * webhook learns its secret from Chatwoot's answer, so a signing one is created and then given its sealed URL.
   */
  const ensureWebhook = async (webhookUrl: string, knownId: string | undefined): Promise<Webhook> => {
    deps.secrets.add(token, signedToken)
    const mine = ours(await webhooks(), webhookUrl, knownId)
    const keep = mine.find((w) => w.id === knownId) ?? mine.find((w) => urlBase(w.url) === urlBase(webhookUrl)) ?? mine[0]
    for (const extra of mine.filter((w) => w !== keep)) await deleteWebhook(extra.id)
    const subscriptions = [...new Set([...(keep?.subscriptions ?? []), ...EVENTS])]
    let current = keep ?? (await writeWebhook(undefined, withToken(webhookUrl, token), subscriptions))
    deps.secrets.add(current.secret)
    // Bounded: the secret a PATCH answers with is sealed again if it differs (Chatwoot keeps it on update: the
    // controller permits only url/subscriptions/name; a version that rotated it would be caught here).
    for (let round = 0; ; round++) {
      const target = targetFor(webhookUrl, current, current.secret)
      if (current.url === target && EVENTS.every((e) => current.subscriptions.includes(e))) return current
      if (round === 3) throw new ProviderError(`${TITLE} changed the webhook's signing secret on every update`, { provider: TITLE, operation: 'update webhook' })
      const updated = await writeWebhook(current.id, target, subscriptions)
      // An update answers without the secret on some versions: the one known before stays valid (it is not rotated).
      current = { ...updated, secret: updated.secret ?? current.secret }
      deps.secrets.add(current.secret)
    }
  }

  return {
    urlToken: token,
    signedToken,
    sealKey: seals,

    /** What this instance already knows, without any request. */
    peek: (): SetupData | undefined => setups.get(key),

    read,

    /** The inbox sessions open in: configured, registered, or (never registered, e.g. a lost store) found or created now. */
    async inboxId(): Promise<string> {
      const configured = config.inboxId?.trim()
      if (configured) return configured
      const known = (await read()).inboxId
      if (known) return known
      const data = await lazySetup(key, async () => {
        const inbox = await resolveInbox({})
        const found = (await webhooks()).filter((w) => carriesToken(w.url, token, signedToken)).pop()
        const data: SetupData = { ...inbox, ...(found ? { webhookId: found.id, webhookSecret: found.secret } : {}) }
        await save(data)
        return data
      })
      return data.inboxId!
    },

    // ─── register ─────────────────────────────────────────────────────────────

    async connect(webhookUrl: string): Promise<void> {
      await checkToken()
      const previous = await read()
      const inbox = await resolveInbox(previous)
      const webhook = await ensureWebhook(webhookUrl, previous.webhookId)
      await save({ ...inbox, webhookId: webhook.id, webhookSecret: webhook.secret })
      deps.logger.info(
        `Chatwoot: inbox ${inbox.inboxId} and account webhook ${webhook.id} ready; ` +
          (webhook.secret ? 'deliveries are signed (X-Chatwoot-Signature) and carry the URL token' : 'this Chatwoot does not sign webhooks: the URL token proves them')
      )
    },

    // ─── unregister ───────────────────────────────────────────────────────────

    /**
     * Removes the webhook register made. The inbox stays: it holds the conversations agents had with your users (the
     * Application API has no inbox deletion either), and the next register reuses it.
     */
    async disconnect(webhookUrl: string): Promise<void> {
      const previous = await read()
      try {
        for (const webhook of ours(await webhooks(), webhookUrl, previous.webhookId)) await deleteWebhook(webhook.id)
      } catch (error) {
        deps.logger.warn(`Chatwoot: could not remove the account webhook: ${errorMessage(error)}`)
        throw error
      }
      await save({ ...previous, webhookId: undefined, webhookSecret: undefined })
    },
  }
}

export type ChatwootSetup = ReturnType<typeof createSetup>

/**
 * Switching providers: what to remove by hand when the integration can no longer do it. The inbox is named too when
 * register created it: it holds the conversations agents had with your users, so it is only ever removed by hand.
 */
export const manualCleanup = (stored: Record<string, unknown>, webhookUrl: string): string | undefined => {
  const { webhookId, inboxId, inboxCreated } = pick(stored)
  if (!webhookId && !(inboxId && inboxCreated)) return undefined
  return [
    webhookId ? `In Chatwoot open Settings → Integrations → Webhooks and delete webhook ${webhookId} (its URL starts with ${webhookUrl}).` : '',
    inboxId && inboxCreated
      ? `The API inbox ${inboxId} ("${INBOX_NAME}") was created by the integration; it holds the past conversations: delete it in Settings → Inboxes once you no longer need them.`
      : '',
  ]
    .filter(Boolean)
    .join(' ')
}
