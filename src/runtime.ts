/**
 * Where the registry and the core are composed: the active provider (and the draining ones, core/switching.ts) are
 * resolved here from the configuration and the registry, and handed to the engine. Layering: src/core knows no provider; src/providers build on src/core; this file
 * (with src/index.ts) is the only one that knows both.
 */
import type * as sdk from '@botpress/sdk'
import { isApiError, type Client } from '@botpress/client'
import { carefulClient, onFirstUse, type BotClient } from './core/botpress'
import { Engine } from './core/engine'
import type { SessionOwners } from './core/context'
import { errorMessage } from './core/errors'
import { resolveProvider, type ActiveProvider, type Configuration } from './core/provider'
import { createRefs, STATE } from './core/refs'
import { createProviderSet, finishDrain, routeWebhook, type Registration, type RegistrationBook, type SwitchDeps } from './core/switching'
import type { Data, ProviderStore, WebhookReply, WebhookRequest } from './core/types'
import type { HitlIntegration } from './definition'
import { providers } from './providers'

export type HitlClient = sdk.IntegrationSpecificClient<HitlIntegration>
export type HandlerProps = { ctx: sdk.IntegrationContext<HitlIntegration>; client: HitlClient; logger: sdk.IntegrationLogger }

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/** The integration state every provider's data lives in: `byProvider` (adapters' stores) and `registrations` (switching.ts). */
const integrationState = (client: BotClient, integrationId: string) => {
  const read = async (): Promise<Record<string, unknown>> => {
    try {
      const { state } = await client.getState({ type: 'integration', id: integrationId, name: STATE.provider })
      return isRecord(state.payload) ? state.payload : {}
    } catch (error) {
      if (isApiError(error) && error.code === 404) return {}
      throw error
    }
  }
  const records = (payload: Record<string, unknown>, key: string): Record<string, Data> => {
    const value = payload[key]
    return isRecord(value) ? (value as Record<string, Data>) : {}
  }
  /** One key of one record replaced (or removed), everything else in the state kept. */
  const write = async (key: 'byProvider' | 'registrations', provider: string, data: Data | undefined) => {
    const payload = await read()
    const next = { ...records(payload, key) }
    if (data === undefined) delete next[provider]
    else next[provider] = data
    await client.setState({
      type: 'integration',
      id: integrationId,
      name: STATE.provider,
      payload: { ...payload, byProvider: records(payload, 'byProvider'), [key]: next },
    })
  }
  return { read, records, write }
}

/** One provider's integration-wide data, one record per provider in the `providerData` state. */
const providerStore = (client: BotClient, integrationId: string) => (provider: string): ProviderStore => {
  const state = integrationState(client, integrationId)
  return {
    async get() {
      const own = state.records(await state.read(), 'byProvider')
      const data = Object.prototype.hasOwnProperty.call(own, provider) ? own[provider] : undefined
      return isRecord(data) ? data : {}
    },
    set: (data) => state.write('byProvider', provider, data),
  }
}

/** What register keeps about each provider it connected (switching.ts `Registration`), in the same state. */
const registrationBook = (client: BotClient, integrationId: string): RegistrationBook => {
  const state = integrationState(client, integrationId)
  return {
    async read() {
      const payload = await state.read()
      const registrations: Record<string, Registration> = {}
      for (const [name, value] of Object.entries(state.records(payload, 'registrations'))) {
        if (isRecord(value) && typeof value.webhookUrl === 'string') registrations[name] = value as Registration
      }
      return { registrations, stored: state.records(payload, 'byProvider') }
    },
    write: (name, registration) => state.write('registrations', name, registration),
  }
}

/** The installation's webhook URL, for a provider register never recorded one for. */
const installationWebhookUrl = (webhookId: string) =>
  `${(process.env.BP_WEBHOOK_URL || 'https://webhook.botpress.cloud').replace(/\/+$/, '')}/${webhookId}`

/**
 * The active provider, the draining ones (built on first use) and an engine for one operation. Webhooks run entirely
 * on the careful client (a 429 or a 502 after a commit is never repeated blindly); hitl events always do. Touches no
 * Botpress API by itself: a webhook is verified before anything reads a state.
 */
export const activate = ({ ctx, client, logger }: HandlerProps, options: { webhook?: boolean } = {}) => {
  // The SDK's wrapper keeps the raw Botpress client in `_inner`; a stand-in client (bench, tests) may be that client itself.
  const inner: Client = client._inner ?? (client as unknown as Client)
  const careful = onFirstUse(() => carefulClient(inner))
  const bp: BotClient = options.webhook ? careful : inner
  const deps = {
    configuration: ctx.configuration as Configuration,
    logger,
    store: providerStore(bp, ctx.integrationId),
    ctx: { botId: ctx.botId, integrationId: ctx.integrationId, webhookId: ctx.webhookId },
  }
  const active = resolveProvider(providers, deps)
  const set = createProviderSet(providers, deps, active)
  const switching: SwitchDeps = {
    client: bp,
    events: careful,
    refs: createRefs(bp, ctx.botId),
    set,
    book: registrationBook(bp, ctx.integrationId),
    // Read only where a drain or a cut needs it: most webhooks never do (and the environment is slow to read).
    get webhookUrl() {
      return installationWebhookUrl(ctx.webhookId)
    },
  }
  const owners: SessionOwners = { of: (name) => set.of(name), closed: (provider) => finishDrain(switching, provider) }
  const engineFor = (provider: ActiveProvider) => new Engine(bp, provider, { botId: ctx.botId, events: careful, owners })
  return { active, set, switching, client: bp, engine: engineFor(active), engineFor }
}

/** A webhook, routed to the provider whose proof it carries; a close that ends a drain removes that provider's registrations. */
export const handleWebhook = async (props: HandlerProps, req: WebhookRequest): Promise<WebhookReply> => {
  const { set, switching, engineFor } = activate(props, { webhook: true })
  const route = await routeWebhook(set, req)
  if ('reply' in route) return route.reply
  const reply = await engineFor(route.provider).handleWebhook(req)
  if (route.provider.name !== set.active.name && reply.status === 200 && route.closes() > 0) {
    await finishDrain(switching, route.provider).catch((error: unknown) =>
      route.provider.logger.warn(`after a close on ${route.provider.definition.title}: ${errorMessage(error)}`)
    )
  }
  return reply
}
