/**
 * The webhook entry points. `verifyWebhook` is pure: it checks the v3 signature against the webhook URLs this
 * process knows without any I/O (no Botpress state read, no HubSpot request), so a forged request costs nothing,
 * warm or cold. `parseWebhook` then drops what is not for us before any Botpress request: events of another portal,
 * and app webhooks about threads this integration did not open (threads.ts).
 */
import { createCache } from '../../core/cache'
import { RetryLaterError, ProviderError } from '../../core/errors'
import type { ParsedWebhook, ProviderDeps, VerifyResult, WebhookRequest } from '../../core/types'
import { header } from '../../core/crypto'
import { asId, requestProof, str } from '../shared'
import type { HubspotApi } from './api'
import type { Auth } from './auth'
import { parseHubspotWebhook } from './events'
import { defaultWebhookUrl } from './setup'
import { TIMESTAMP_HEADER, V3_HEADER, verifySignature } from './signature'
import type { StateStore } from './state'
import { threadOwnership } from './threads'

/** Display names of agents seen in webhooks (describeAgent uses them when the actors API cannot answer). */
const agentNames = createCache<string>({ name: 'hubspot agent names', max: 2000 })

/** Lifetime of the signed URL of an agent attachment HubSpot sent without a URL. */
const SIGNED_URL_SECONDS = 24 * 3600

/** A failure that may pass (rate limit, 5xx, timeout, reset): the webhook is answered 503 and HubSpot redelivers. */
export const isTransient = (error: unknown) =>
  error instanceof ProviderError && (error.details.status === undefined || error.details.status === 429 || error.details.status >= 500)

/** Webhook URLs built from the request's own Host (Botpress Cloud's `/<webhookId>`, the local emulator's `/webhook/<webhookId>`). */
const hostBases = (req: WebhookRequest, webhookId: string): string[] => {
  const host = header(req.headers, 'x-forwarded-host') ?? header(req.headers, 'host')
  if (!host || !/^[A-Za-z0-9.-]{1,253}(:\d{1,5})?$/.test(host)) return []
  const forwarded = header(req.headers, 'x-forwarded-proto')
  const schemes = forwarded === 'http' ? ['http'] : ['https', 'http']
  return schemes.flatMap((scheme) => [`${scheme}://${host}/${webhookId}`, `${scheme}://${host}/webhook/${webhookId}`])
}

export const createWebhook = (p: { clientSecret: string; api: HubspotApi; auth: Auth; state: StateStore; deps: ProviderDeps; scope: string }) => {
  const { api, auth, state, deps, scope } = p
  const { logger } = deps
  const owned = threadOwnership(scope)

  const verifyWebhook = (req: WebhookRequest): VerifyResult => {
    // Only what this process knows without I/O: the URL register stored (warm), the URL Botpress gives every
    // installation, and the public URL the request itself names (Host): an extra URI to check the HMAC against,
    // harmless since only the client secret can sign it.
    const webhookId = deps.ctx.webhookId
    const bases = [state.peek()?.webhookUrl, defaultWebhookUrl(webhookId), `https://webhook.botpress.cloud/${webhookId}`, ...hostBases(req, webhookId)]
    return verifySignature(req, { secret: p.clientSecret, bases: [...new Set(bases.filter((b): b is string => !!b))] })
  }

  /** Whether HubSpot says the thread started on our channel; the verdict is kept for the process. */
  const isOurThread = async (threadId: string): Promise<boolean> => {
    const known = owned.get(threadId)
    if (known) return known === 'ours'
    const { channelId, channelAccountId } = await state.load()
    if (!channelId) return true // not registered yet: the engine decides (it ignores sessions it did not start)
    let res
    try {
      res = await api.bearer<{ originalChannelId?: unknown; originalChannelAccountId?: unknown }>({
        path: `conversations/v3/conversations/threads/${encodeURIComponent(threadId)}`,
        okStatuses: [403, 404],
        operation: 'get thread',
      })
    } catch (error) {
      if (isTransient(error)) throw new RetryLaterError(`HubSpot could not say whether thread ${threadId.slice(0, 24)} is ours (${error instanceof Error ? error.message : 'error'})`)
      throw error
    }
    if (res.status === 403) {
      logger.warn('HubSpot refused to read a conversation thread (the app needs the conversations.read scope): foreign threads cannot be filtered out')
      return true
    }
    const ours =
      res.status === 200 &&
      (asId(res.body?.originalChannelId) === channelId || (!!channelAccountId && asId(res.body?.originalChannelAccountId) === channelAccountId))
    owned.set(threadId, ours ? 'ours' : 'foreign')
    return ours
  }

  const resolveFileUrl = async (fileId: string): Promise<string | undefined> => {
    try {
      const res = await api.bearer<{ url?: unknown }>({
        path: `files/v3/files/${encodeURIComponent(fileId)}/signed-url`,
        searchParams: { expirationSeconds: SIGNED_URL_SECONDS },
        okStatuses: [403, 404, 410],
        operation: 'get attachment URL',
      })
      if (res.status !== 200) logger.warn(`HubSpot attachment ${fileId.slice(0, 24)} cannot be retrieved (${res.status}): the agent's message says so`)
      return res.status === 200 ? str(res.body?.url) : undefined
    } catch (error) {
      if (isTransient(error)) throw new RetryLaterError(`HubSpot could not sign the URL of attachment ${fileId.slice(0, 24)} (${error instanceof Error ? error.message : 'error'})`)
      throw error
    }
  }

  const parseWebhook = async (req: WebhookRequest): Promise<ParsedWebhook> => {
    const known = await state.load()
    const signed = Number(header(req.headers, TIMESTAMP_HEADER))
    const parsed = await parseHubspotWebhook(req.body, {
      portalId: await auth.portalId(),
      channelAccountId: known.channelAccountId,
      signedAt: Number.isFinite(signed) && signed > 0 ? signed : undefined,
      isOurThread,
      resolveFileUrl,
      hintAgent: (actorId, name) => agentNames.set(`${scope}:${actorId}`, name),
      warn: (text) => logger.warn(text),
    })
    // The v3 signature covers the method, URL, body and timestamp; app events also carry their own signed eventId.
    return { ...parsed, proof: requestProof(req.body, header(req.headers, V3_HEADER)) }
  }

  return { verifyWebhook, parseWebhook, agentName: (actorId: string) => agentNames.get(`${scope}:${actorId}`) }
}
