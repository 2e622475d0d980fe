/**
 * register / unregister: the credential checks and the webhooks.
 *
 * - The agent token is checked with a read (`list_chats`, limit 1).
 * - The customer side (Client ID, organization, Redirect URI) is checked with the cookie grant once per combination of
 *   those values. The identity cookies of that probe customer are kept in the integration state and sent with every
 *   later check, so LiveChat recognizes the same customer: saving the configuration never creates a second one.
 * - Webhooks (Configuration API v3.6, platform.text.com/docs/management/configuration-api#register-webhook) are
 *   registered with `filters.only_my_chats` (only chats whose `source.client_id` is our Client ID, i.e. chats our
 *   customers started) and `additional_data: ["chat_properties"]` (so that an event of another chat that arrives anyway
 *   is recognized from the event itself). List Webhooks does not return `secret_key`, so only webhooks whose ids this
 *   integration stored, registered with the current secret and the current definition, are reused; any other webhook
 *   of our app pointing at our URL (made by hand, or with another secret) is replaced.
 */
import { createHash } from 'node:crypto'
import { ConfigurationError, ProviderError } from '../../core/errors'
import type { ConnectInput } from '../../core/types'
import { isRecord, str } from '../shared'
import { decodeAgentToken, isLivechatError, TITLE } from './api'
import type { Livechat } from './context'
import { WEBHOOKS, webhookRequest, type WebhookSpec } from './webhook'

const WEBHOOK_DESCRIPTION = 'Botpress HITL (hitl-hub)'

type ListedWebhook = { id?: unknown; action?: unknown; url?: unknown; type?: unknown }
/** A webhook this integration registered: its id, and fingerprints of the secret and the definition it was registered with. */
type StoredWebhook = { id: string; action: string; url: string; secret: string; spec: string }

const fingerprint = (...parts: string[]) => createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 16)
const specPrint = (spec: WebhookSpec) => fingerprint(JSON.stringify(webhookRequest(spec)))

const storedWebhooks = (value: unknown): StoredWebhook[] =>
  (Array.isArray(value) ? value : []).flatMap((w): StoredWebhook[] => {
    if (!isRecord(w)) return []
    const id = str(w.id)
    const action = str(w.action)
    return id && action ? [{ id, action, url: str(w.url) ?? '', secret: str(w.secret) ?? '', spec: str(w.spec) ?? '' }] : []
  })

export const connect = async (lc: Livechat, { webhookUrl }: ConnectInput): Promise<void> => {
  await verifyAgentToken(lc)
  if (str((await lc.storeData()).redirectUri) !== webhookUrl) await lc.updateStore({ redirectUri: webhookUrl })
  await verifyCustomerGrant(lc, webhookUrl)
  await registerWebhooks(lc, webhookUrl)
}

export const disconnect = async (lc: Livechat): Promise<void> => {
  const stored = storedWebhooks((await lc.storeData()).webhooks)
  if (stored.length === 0) return
  const remaining: StoredWebhook[] = []
  for (const w of stored) if (!(await unregisterWebhook(lc, w.id))) remaining.push(w)
  await lc.updateStore({ webhooks: remaining })
  lc.deps.logger.info(`LiveChat: removed ${stored.length - remaining.length} webhook(s) registered by the integration`)
}

/** A cheap call every PAT of the guide can make (`list_chats` needs `chats--access:ro`, included in `chats--access:rw`). */
const verifyAgentToken = async (lc: Livechat) => {
  try {
    await lc.agentCall('agent', 'list_chats', { limit: 1 }, true)
  } catch (error) {
    if (isLivechatError(error, 'authentication')) {
      const looksRaw = !decodeAgentToken(lc.basic).pat
      throw new ConfigurationError(
        `LiveChat refused the agent token (livechat.agentToken): ${error.message}. ` +
          (looksRaw
            ? 'It does not decode to "<account id>:<token>": paste the Base64 value shown once when the personal access token was created (Developer Console → Settings → Authorization → Personal Access Tokens), not the token itself.'
            : 'Create a new personal access token (Developer Console → Settings → Authorization → Personal Access Tokens) and paste its Base64 value.')
      )
    }
    if (isLivechatError(error, 'authorization')) {
      throw new ConfigurationError(
        `LiveChat refused to list chats with the agent token (livechat.agentToken): ${error.message}. The personal access token needs the chats--access:rw scope (scopes cannot be changed: create a new token).`
      )
    }
    if (isLivechatError(error, 'misdirected_request')) throw new ConfigurationError(error.message)
    throw error
  }
}

/**
 * One cookie grant per combination of Client ID, organization and Redirect URI, as the probe customer of the first
 * check (its identity cookies are kept in state): a wrong Redirect URI fails the save instead of every hand-off, and
 * no save creates a new customer in the license.
 */
const verifyCustomerGrant = async (lc: Livechat, webhookUrl: string) => {
  const data = await lc.storeData()
  const check = fingerprint(lc.config.clientId, lc.config.organizationId, webhookUrl)
  if (data.customerGrantChecked === check) return
  const saved = isRecord(data.probe) ? data.probe : {}
  const cid = str(saved.cid)
  const cst = str(saved.cst)
  lc.deps.secrets.add(cst)
  let probe: { customerId: string; cid?: string; cst?: string }
  try {
    probe = await lc.auth.probe(webhookUrl, cid && cst && saved.organizationId === lc.config.organizationId ? { cid, cst } : undefined)
  } catch (error) {
    if (error instanceof ProviderError && error.details.status !== undefined) throw new ConfigurationError(error.message)
    throw error
  }
  await lc.updateStore({
    customerGrantChecked: check,
    probe: { customerId: probe.customerId, organizationId: lc.config.organizationId, ...(probe.cid ? { cid: probe.cid } : {}), ...(probe.cst ? { cst: probe.cst } : {}) },
  })
}

const manualSteps = (webhookUrl: string, reason: string) =>
  `LiveChat: the webhooks were not registered automatically (${reason}). Finish the setup by hand (hub.md, LiveChat step 6): ` +
  `in the Developer Console open your app → Blocks → Chat Webhooks and add five webhooks, each with the URL ${webhookUrl}, ` +
  'the same secret key as livechat.webhookSecret and type "license": (a) trigger incoming_chat (tells Botpress which agent the router gave the chat to); ' +
  '(b) incoming_event with the filter author_type = agent; (c) chat_deactivated; (d) chat_transferred; (e) user_added_to_chat. ' +
  'Then make sure the app is installed on your license (Private installation → Install App). ' +
  'Or create a personal access token that also has the webhooks.configuration:rw and webhooks.state:rw scopes and save again: the integration then does all of this itself, ' +
  'delivering only the chats it started (filter only_my_chats) and replacing the webhooks made by hand.'

const registerWebhooks = async (lc: Livechat, webhookUrl: string) => {
  const { logger } = lc.deps
  const owner = lc.config.clientId
  let listed: ListedWebhook[]
  try {
    const answer = await lc.agentCall<unknown>('configuration', 'list_webhooks', { owner_client_id: owner }, true)
    listed = Array.isArray(answer) ? answer.filter(isRecord) : []
  } catch (error) {
    if (isLivechatError(error, 'authorization', 'missing_access')) {
      logger.warn(manualSteps(webhookUrl, 'the agent token lacks the webhooks.configuration:rw scope'))
      return
    }
    throw error
  }

  const secret = fingerprint('webhook secret', lc.config.webhookSecret)
  const ours = new Map(storedWebhooks((await lc.storeData()).webhooks).map((w) => [w.id, w]))
  const keep: StoredWebhook[] = []
  const replaced: string[] = []
  for (const w of listed) {
    const id = str(w.id)
    if (!id) continue
    const mine = ours.get(id)
    const spec = WEBHOOKS.find((s) => s.action === w.action)
    const current = !!mine && !!spec && mine.secret === secret && mine.spec === specPrint(spec) && w.url === webhookUrl && mine.url === webhookUrl
    if (current && !keep.some((k) => k.action === spec.action)) {
      keep.push(mine)
      continue
    }
    // Ours but outdated (URL, secret or definition changed: webhooks cannot be edited), or not ours but aimed at our URL
    // with a secret we cannot see: either would deliver what Botpress refuses or duplicates. Replaced.
    if (mine || w.url === webhookUrl) {
      if (await unregisterWebhook(lc, id)) replaced.push(`${str(w.action) ?? 'webhook'}${mine ? '' : ' (not registered by this integration)'}`)
      else if (mine) keep.push(mine)
    }
  }

  const created: string[] = []
  try {
    for (const spec of WEBHOOKS) {
      if (keep.some((k) => k.action === spec.action && k.url === webhookUrl && k.secret === secret)) continue
      const answer = await lc.agentCall<{ id?: unknown }>(
        'configuration',
        'register_webhook',
        { url: webhookUrl, description: WEBHOOK_DESCRIPTION, secret_key: lc.config.webhookSecret, owner_client_id: owner, type: 'license', ...webhookRequest(spec) },
        false
      )
      const id = str(answer.id)
      if (!id) throw new ProviderError(`${TITLE} registered the ${spec.action} webhook but answered without its id`, { provider: TITLE, operation: 'configuration register_webhook' })
      keep.push({ id, action: spec.action, url: webhookUrl, secret, spec: specPrint(spec) })
      created.push(spec.action)
    }
  } catch (error) {
    await lc.updateStore({ webhooks: keep })
    if (isLivechatError(error, 'limit_reached')) {
      throw new ConfigurationError(
        `${error.message}. LiveChat allows three webhooks per action for one app: remove unused ones (Developer Console → your app → Chat Webhooks) and save again.`
      )
    }
    if (isLivechatError(error, 'authorization')) {
      logger.warn(manualSteps(webhookUrl, 'the agent token may list but not register webhooks'))
      return
    }
    throw error
  }
  await lc.updateStore({ webhooks: keep })
  const reused = WEBHOOKS.length - created.length
  logger.info(
    `LiveChat: webhooks ready (${[created.length ? `registered ${created.join(', ')}` : '', reused ? `reused ${reused}` : '', replaced.length ? `replaced ${replaced.join(', ')}` : '']
      .filter(Boolean)
      .join('; ')}); new ones take up to 2 minutes to apply`
  )
  await ensureLicenseWebhooks(lc)
}

/** License webhooks are enabled when the app is installed; they stay off only after `disable_license_webhooks`. */
const ensureLicenseWebhooks = async (lc: Livechat) => {
  const owner = { owner_client_id: lc.config.clientId }
  try {
    const state = await lc.agentCall<{ license_webhooks_enabled?: unknown }>('configuration', 'get_license_webhooks_state', owner, true)
    if (state.license_webhooks_enabled !== false) return
    await lc.agentCall('configuration', 'enable_license_webhooks', owner, true)
    lc.deps.logger.info('LiveChat: the license webhooks of the app were disabled; enabled them')
  } catch (error) {
    if (!isLivechatError(error, 'authorization', 'missing_access')) throw error
    lc.deps.logger.warn(
      "LiveChat: could not check that the app's webhooks are enabled on your license (the agent token lacks the webhooks.state:rw scope). " +
        'If the app is not installed yet, install it (Developer Console → your app → Private installation → Install App): webhooks are only delivered to licenses where it is installed.'
    )
  }
}

/**
 * Unregister Webhook documents no error for an id that is gone; the Configuration API's `validation` (and an
 * undocumented `not_found`) mean there is nothing left to remove.
 */
const unregisterWebhook = async (lc: Livechat, id: string): Promise<boolean> => {
  try {
    await lc.agentCall('configuration', 'unregister_webhook', { id, owner_client_id: lc.config.clientId }, true)
    return true
  } catch (error) {
    if (isLivechatError(error, 'not_found', 'validation')) return true
    if (isLivechatError(error, 'authorization', 'missing_access')) {
      lc.deps.logger.warn(`LiveChat: could not remove webhook ${id} (${error.message}); remove it in the Developer Console (your app → Chat Webhooks)`)
      return false
    }
    throw error
  }
}

/** Switching providers: what to remove by hand when the integration can no longer do it (the ids register stored). */
export const manualCleanup = (stored: Record<string, unknown>, webhookUrl: string): string | undefined => {
  const ids = storedWebhooks(stored.webhooks).map((w) => w.id)
  if (ids.length === 0) return undefined
  return (
    `In the LiveChat Developer Console open your app → Blocks → Chat Webhooks and delete the ${ids.length} webhook(s) ` +
    `that call ${webhookUrl} (ids ${ids.join(', ')}); or call the Configuration API's unregister_webhook with each id and ` +
    'owner_client_id = your Client ID, using a personal access token with the webhooks.configuration:rw scope.'
  )
}
