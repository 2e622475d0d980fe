/**
 * Switching providers without cutting a conversation in progress.
 *
 * - Several providers at once: the active one (every new escalation) and each other provider whose configuration
 *   section is still complete ("draining": the sessions opened on it finish on it). Draining adapters are built only
 *   when a request needs one, so the hot path and cold start cost what they cost with one provider.
 * - Webhooks are routed by the proof they carry, never guessed (`routeWebhook`): the active provider's verifier first
 *   (the common case costs nothing more), then each draining one's. Verifiers are pure, so a request that none accepts
 *   is 401 with no Botpress and no provider request. A verifier that accepts a request carrying no proof at all (an
 *   opt-in unsigned mode) cannot tell its requests from another provider's: it gets a request only when no verifier
 *   that checks a proof accepts it.
 * - register (`registerProviders`) connects the active provider, keeps the draining ones connected, removes what
 *   register created on a provider once it has no open session left (and after the last one closes: `finishDrain`),
 *   and cuts a provider whose section was cleared (or whose credentials are refused): its open sessions are stopped
 *   (hitlStopped once each, through the engine's close path), within a time budget, the rest lazily.
 *
 * What is kept per provider, in the integration state next to the adapters' own data: see `Registration`.
 */
import type { Conversation } from '@botpress/client'
import { closedTags } from './actions'
import { HITL_CHANNEL, type BotClient } from './botpress'
import { ConfigurationError, errorMessage, ProviderError } from './errors'
import { emitStopped, type EventClient } from './events'
import { checkSection, knownProvider, resolveProvider, type ActiveProvider, type ProviderRegistry, type ResolveDeps } from './provider'
import type { Refs } from './refs'
import type { Data, ParsedWebhook, ProviderAdapter, ProviderDefinition, VerifyResult, WebhookReply, WebhookRequest } from './types'
import { json } from './webhook'

/**
 * What register keeps about a provider it connected, until what it created there is removed:
 * - `webhookUrl`: the URL its registrations point at (needed to find and remove them);
 * - `section`: a copy of its configuration section, so that what it created can still be removed (and its open
 *   sessions closed on it) after the owner clears the section. This keeps credentials in the integration state: only
 *   while the provider has registrations of ours; deleted as soon as they are removed (see hub.md, Switching providers).
 * - `removed`: what register created is gone (a tombstone: later saves skip the provider until it is connected again).
 */
export type Registration = { webhookUrl: string; at: string; section?: Record<string, unknown>; removed?: boolean; pending?: boolean }

export type RegistrationBook = {
  /** Every provider's registration, and which providers have adapter data in the store. */
  read(): Promise<{ registrations: Record<string, Registration>; stored: Record<string, Data> }>
  write(name: string, registration: Registration | undefined): Promise<void>
}

/** The active provider and, built on first use, the draining ones. */
export type ProviderSet = {
  readonly active: ActiveProvider
  /** The provider named: the active one, a configured one (complete and available section), else undefined. */
  of(name: string): ActiveProvider | undefined
  /** Every provider configured besides the active one, in registry order. */
  draining(): string[]
  /** A provider built from a section register kept (its configuration section was cleared since). */
  fromSection(name: string, section: Record<string, unknown>): ActiveProvider | undefined
  /** The registry's definition of a provider, configured or not. */
  definition(name: string): ProviderDefinition | undefined
}

const own = <T>(record: Readonly<Record<string, T>>, key: string): T | undefined =>
  Object.prototype.hasOwnProperty.call(record, key) ? record[key] : undefined

export const createProviderSet = (registry: ProviderRegistry, deps: ResolveDeps, active: ActiveProvider): ProviderSet => {
  const built = new Map<string, ActiveProvider | undefined>([[active.name, active]])
  const verdicts = new Map<string, boolean>()
  const configured = (name: string) => {
    if (!knownProvider(registry, name)) return false
    // No section at all: not configured, without building that provider's schema (a cold instance builds only its own).
    const raw = Object.prototype.hasOwnProperty.call(deps.configuration, name) ? deps.configuration[name] : undefined
    if (!raw || typeof raw !== 'object') return false
    const known = verdicts.get(name)
    if (known !== undefined) return known
    let verdict = false
    try {
      checkSection(registry, deps.configuration, name)
      verdict = registry[name]!.available
    } catch {
      verdict = false
    }
    verdicts.set(name, verdict)
    return verdict
  }
  return {
    active,
    of(name) {
      if (built.has(name)) return built.get(name)
      const provider = configured(name) ? resolveProvider(registry, deps, name) : undefined
      built.set(name, provider)
      return provider
    },
    draining: () => Object.keys(registry).filter((name) => name !== active.name && configured(name)),
    definition: (name) => (knownProvider(registry, name) ? registry[name] : undefined),
    fromSection(name, section) {
      if (!knownProvider(registry, name) || !registry[name]!.available) return undefined
      try {
        return resolveProvider(registry, { ...deps, configuration: { [name]: section } }, name)
      } catch {
        return undefined
      }
    },
  }
}

// ─── webhooks ──────────────────────────────────────────────────────────────────

/** A request carrying no proof at all: a verifier that accepts it checks nothing. */
const NO_PROOF: WebhookRequest = { method: 'POST', path: '/', query: '', headers: {}, body: '' }
const openDoors = new WeakMap<ProviderAdapter, boolean>()

const checksNothing = async (adapter: ProviderAdapter): Promise<boolean> => {
  const known = openDoors.get(adapter)
  if (known !== undefined) return known
  let open = false
  try {
    open = (await adapter.verifyWebhook(NO_PROOF)).ok
  } catch {
    open = false
  }
  openDoors.set(adapter, open)
  return open
}

type Verdict = { provider: ActiveProvider; result?: VerifyResult; error?: unknown }

const verdictOf = async (provider: ActiveProvider, req: WebhookRequest): Promise<Verdict> => {
  try {
    return { provider, result: await provider.adapter.verifyWebhook(req) }
  } catch (error) {
    return { provider, error }
  }
}

export type RoutedWebhook = {
  /** The provider the request belongs to, its adapter answering this request's verification with the verdict found. */
  provider: ActiveProvider
  /** How many sessionClosed events the request carried (after parsing). */
  closes(): number
}

/** The adapter of `verdict.provider`, for this one request: verified once, and its closes counted. */
const routed = (verdict: Verdict, req: WebhookRequest): RoutedWebhook => {
  const { provider, result } = verdict
  const inner = provider.adapter
  let closes = 0
  const own: Pick<ProviderAdapter, 'verifyWebhook' | 'parseWebhook'> = {
    verifyWebhook: (r) => (r === req && result ? result : inner.verifyWebhook(r)),
    parseWebhook: async (r): Promise<ParsedWebhook> => {
      const parsed = await inner.parseWebhook(r)
      closes += parsed.events.filter((e) => e.kind === 'sessionClosed').length
      return parsed
    },
  }
  // Every other member is the adapter's own, its methods bound to it (an adapter may be a class with private fields).
  const adapter = new Proxy(inner, {
    get: (target, key, receiver) => {
      if (key === 'verifyWebhook' || key === 'parseWebhook') return own[key]
      const value: unknown = Reflect.get(target, key, receiver)
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value
    },
  })
  return { provider: { ...provider, adapter }, closes: () => closes }
}

/**
 * The provider a webhook belongs to, by the proof it carries, or the answer when none: 401 when no configured
 * provider accepts its proof (or more than one does: never guessed), 503 when a proof could not be checked yet.
 * Only pure verifiers run here: no Botpress and no provider request.
 */
export const routeWebhook = async (set: ProviderSet, req: WebhookRequest): Promise<RoutedWebhook | { reply: WebhookReply }> => {
  const log = set.active.logger
  const first = await verdictOf(set.active, req)
  const draining = set.draining()
  // Alone, the active provider takes what it accepts; beside draining ones, only with a proof that checks something.
  if (first.result?.ok && (!draining.length || !(await checksNothing(set.active.adapter)))) return routed(first, req)
  const others: Verdict[] = []
  for (const name of draining) {
    const provider = set.of(name)
    if (provider) others.push(await verdictOf(provider, req))
  }
  const accepted = [first, ...others].filter((v) => v.result?.ok)
  const strict: Verdict[] = []
  const open: Verdict[] = []
  for (const v of accepted) ((await checksNothing(v.provider.adapter)) ? open : strict).push(v)
  const pick = strict.length ? strict : open
  if (pick.length === 1) return routed(pick[0]!, req)
  if (pick.length > 1) {
    log.warn(`webhook refused (401): its proof is accepted by ${pick.map((v) => v.provider.name).join(' and ')}; a request is never guessed`)
    return { reply: json(401, { error: 'unauthorized' }) }
  }
  const failed = [first, ...others].find((v) => v.error !== undefined)
  if (failed) {
    log.warn(`webhook not verified yet (503): ${errorMessage(failed.error)}`)
    return { reply: json(503, { error: 'temporarily unavailable, please retry' }) }
  }
  const reasons = [first, ...others].map((v) => `${others.length ? `${v.provider.name}: ` : ''}${v.result && !v.result.ok ? v.result.reason : 'refused'}`)
  log.warn(`webhook refused (401): ${reasons.join('; ')}`)
  return { reply: json(401, { error: 'unauthorized' }) }
}

// ─── register: drain, cut, remove ──────────────────────────────────────────────

export type SwitchDeps = {
  client: Pick<BotClient, 'listConversations' | 'updateConversation'>
  events: EventClient
  refs: Pick<Refs, 'sessionRef'>
  set: ProviderSet
  book: RegistrationBook
  /** The webhook URL when register never recorded one (the installation's URL). */
  webhookUrl: string
  now?: () => number
  /** How long a save may spend stopping a cut provider's sessions; the rest are stopped lazily. */
  budgetMs?: number
}

/** A save must stay fast: sessions a cut provider still has after this are stopped on the next save or lazily. */
export const CUT_BUDGET_MS = 10_000
const OPEN_STATUSES = ['open', 'opening'] as const

const hasOpenSessions = async (client: SwitchDeps['client'], provider: string): Promise<boolean> => {
  for (const status of OPEN_STATUSES) {
    const { conversations } = await client.listConversations({ channel: HITL_CHANNEL, tags: { provider, status } })
    if (conversations.length) return true
  }
  return false
}

/** Credentials the provider refuses: the provider cannot be used (nor cleaned up) with them any more. */
const refused = (error: unknown) =>
  error instanceof ConfigurationError || (error instanceof ProviderError && (error.details.status === 401 || error.details.status === 403))

const stamp = (deps: SwitchDeps) => new Date((deps.now ?? Date.now)()).toISOString()

/**
 * Stops every open session of `name` (hitlStopped once each: the engine's emitStopped), and closes it on the provider
 * when an adapter is at hand (best effort). Pages through, within the deadline. Returns whether sessions are left.
 */
const stopSessions = async (deps: SwitchDeps, name: string, provider: ActiveProvider | undefined, deadline: number) => {
  const now = deps.now ?? Date.now
  const log = (provider ?? deps.set.active).logger
  let stopped = 0
  // Each stopped session leaves the listing: the first page is read again until it holds only sessions already
  // tried (one that failed to close stays listed), and only then is the next page followed.
  const tried = new Set<string>()
  try {
    for (const status of OPEN_STATUSES) {
      let nextToken: string | undefined
      for (;;) {
        if (now() > deadline) return { stopped, left: true }
        const page = await deps.client.listConversations({ channel: HITL_CHANNEL, tags: { provider: name, status }, nextToken })
        const fresh = (page.conversations as Conversation[]).filter((c) => !tried.has(c.id))
        for (const conversation of fresh) {
          if (now() > deadline) return { stopped, left: true }
          tried.add(conversation.id)
          // Closed like a close on the platform: the bot gets the user back (hitlStopped), no closing notice is expected.
          await emitStopped(deps.client, deps.events, conversation, closedTags('agent'))
          stopped++
          if (provider && conversation.tags.externalId) {
            await provider.adapter
              .closeSession(deps.refs.sessionRef(conversation))
              .catch((error: unknown) => log.warn(`could not close session ${conversation.id} on ${provider.definition.title}: ${errorMessage(error)}`))
          }
        }
        if (fresh.length) nextToken = undefined
        else if (page.meta?.nextToken) nextToken = page.meta.nextToken
        else break
      }
    }
  } catch (error) {
    log.warn(`stopping the sessions of provider "${name}": ${errorMessage(error)}; the rest are stopped on the next save or when their user writes`)
    return { stopped, left: true }
  }
  return { stopped, left: false }
}

const manualStep = (deps: SwitchDeps, name: string, stored: Data, webhookUrl: string, why: string) => {
  const definition = deps.set.definition(name)
  const title = definition?.title ?? name
  // A provider whose connect creates nothing has nothing to remove by hand.
  if (!definition?.manualCleanup) return
  const steps = definition.manualCleanup(stored, webhookUrl)
  if (steps === undefined) return
  deps.set.active.logger.warn(`${title}: what register created could not be removed (${why}). ${steps}`)
}

/**
 * Removes what register created on `name` (the adapter's disconnect, which only removes what it created), and then
 * the section kept for it. When that is impossible, logs the exact manual step; the save goes on.
 */
const remove = async (deps: SwitchDeps, name: string, provider: ActiveProvider | undefined, ctx: { webhookUrl: string; stored: Data; configured: boolean; left?: boolean; section?: Record<string, unknown> }) => {
  const tombstone = (section?: Record<string, unknown>): Registration => ({
    webhookUrl: ctx.webhookUrl,
    at: stamp(deps),
    removed: true,
    ...(ctx.left ? { pending: true } : {}),
    ...(section ? { section } : {}),
  })
  if (!provider) {
    manualStep(deps, name, ctx.stored, ctx.webhookUrl, 'its configuration section is cleared and register kept no copy of it')
    await deps.book.write(name, tombstone())
    return
  }
  try {
    await provider.adapter.disconnect({ webhookUrl: ctx.webhookUrl })
    provider.logger.info(`${provider.definition.title}: no session left open there; what register created there is removed`)
  } catch (error) {
    manualStep(deps, name, ctx.stored, ctx.webhookUrl, errorMessage(error))
    // Configured: the next save (or the next close) tries again. Cleared: nothing kept could do better.
    if (ctx.configured && !refused(error)) return
  }
  // The kept section stays only while sessions remain to be closed on the provider.
  await deps.book.write(name, tombstone(ctx.left ? ctx.section : undefined))
}

/** register: the active provider connected, every other provider drained, removed or cut. */
export const registerProviders = async (deps: SwitchDeps, webhookUrl: string): Promise<void> => {
  const { set, book } = deps
  const active = set.active
  await active.adapter.connect({ webhookUrl })
  await book.write(active.name, { webhookUrl, at: stamp(deps), ...(active.section ? { section: active.section } : {}) })
  const { registrations, stored } = await book.read()
  const names = [...new Set([...Object.keys(registrations), ...Object.keys(stored)])].filter((n) => n !== active.name)
  const deadline = (deps.now ?? Date.now)() + (deps.budgetMs ?? CUT_BUDGET_MS)
  for (const name of names) {
    try {
      await settle(deps, { name, registration: own(registrations, name), data: own(stored, name) ?? {}, webhookUrl, deadline })
    } catch (error) {
      // The active provider is connected: the save succeeds; this provider is looked at again on the next save.
      active.logger.warn(`provider "${name}" (not active) could not be drained or cut now: ${errorMessage(error)}`)
    }
  }
}

/** One provider besides the active one, on a save: drained (still configured), removed (nothing open) or cut. */
const settle = async (
  deps: SwitchDeps,
  p: { name: string; registration: Registration | undefined; data: Data; webhookUrl: string; deadline: number }
): Promise<void> => {
  const { set, book } = deps
  const active = set.active
  const { name, registration, data, webhookUrl, deadline } = p
  const url = registration?.webhookUrl ?? webhookUrl
  const provider = set.of(name)
  if (provider) {
    const open = await hasOpenSessions(deps.client, name)
    if (!open) {
      if (!registration?.removed) await remove(deps, name, provider, { webhookUrl: url, stored: data, configured: true })
      return
    }
    try {
      // Draining: its webhooks must stay, and its credentials must still work.
      await provider.adapter.connect({ webhookUrl: url })
      await book.write(name, { webhookUrl: url, at: stamp(deps), ...(provider.section ? { section: provider.section } : {}) })
      provider.logger.info(`${provider.definition.title}: sessions opened on it finish on it; new sessions go to ${active.definition.title}`)
    } catch (error) {
      if (!refused(error)) {
        provider.logger.warn(`${provider.definition.title} (draining) could not be checked: ${errorMessage(error)}; its sessions go on`)
        return
      }
      provider.logger.warn(`${provider.definition.title} refuses its credentials (${errorMessage(error)}): its open sessions are stopped`)
      const result = await stopSessions(deps, name, undefined, deadline)
      await remove(deps, name, provider, { webhookUrl: url, stored: data, configured: true, left: result.left })
    }
    return
  }
  // The section is cleared (or incomplete): cut.
  if (registration?.removed && !registration.pending) return
  if (!registration && !(await hasOpenSessions(deps.client, name))) {
    // Connected before registrations were recorded, section cleared, nothing open: only what it created remains.
    await remove(deps, name, undefined, { webhookUrl: url, stored: data, configured: false })
    return
  }
  const kept = registration?.section ? set.fromSection(name, registration.section) : undefined
  const result = await stopSessions(deps, name, kept, deadline)
  if (result.stopped) active.logger.info(`provider "${name}" is no longer configured: stopped ${result.stopped} open session(s)${result.left ? ' (the rest on the next save, or when their user writes)' : ''}`)
  await remove(deps, name, kept, { webhookUrl: url, stored: data, configured: false, left: result.left, section: registration?.section })
}

/**
 * After a session of a draining provider closed: once it has no open session left, what register created there is
 * removed (its section stays: switching back reconnects it). One Botpress read per close of a draining session.
 */
export const finishDrain = async (deps: SwitchDeps, provider: ActiveProvider): Promise<void> => {
  if (provider.name === deps.set.active.name) return
  if (await hasOpenSessions(deps.client, provider.name)) return
  const { registrations, stored } = await deps.book.read()
  const registration = own(registrations, provider.name)
  if (registration?.removed) return
  await remove(deps, provider.name, provider, {
    webhookUrl: registration?.webhookUrl ?? deps.webhookUrl,
    stored: own(stored, provider.name) ?? {},
    configured: true,
  })
}
