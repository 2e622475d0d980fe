/**
 * Where the registry and the core are composed: the active provider is resolved here from the configuration and the
 * registry, and handed to the engine. Layering: src/core knows no provider; src/providers build on src/core; this file
 * (with src/index.ts) is the only one that knows both.
 */
import type * as sdk from '@botpress/sdk'
import { isApiError, type Client } from '@botpress/client'
import { carefulClient, type BotClient } from './core/botpress'
import { Engine } from './core/engine'
import { resolveProvider, type Configuration } from './core/provider'
import { STATE } from './core/refs'
import type { Data, ProviderStore } from './core/types'
import type { HitlIntegration } from './definition'
import { providers } from './providers'

export type HitlClient = sdk.IntegrationSpecificClient<HitlIntegration>
export type HandlerProps = { ctx: sdk.IntegrationContext<HitlIntegration>; client: HitlClient; logger: sdk.IntegrationLogger }

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/** The active provider's integration-wide data, one record per provider in the `providerData` state. */
const providerStore = (client: BotClient, integrationId: string) => (provider: string): ProviderStore => {
  const readAll = async (): Promise<Record<string, Data>> => {
    try {
      const { state } = await client.getState({ type: 'integration', id: integrationId, name: STATE.provider })
      const byProvider: unknown = state.payload?.byProvider
      return isRecord(byProvider) ? (byProvider as Record<string, Data>) : {}
    } catch (error) {
      if (isApiError(error) && error.code === 404) return {}
      throw error
    }
  }
  return {
    async get() {
      const all = await readAll()
      const own = Object.prototype.hasOwnProperty.call(all, provider) ? all[provider] : undefined
      return isRecord(own) ? own : {}
    },
    async set(data) {
      const byProvider = await readAll()
      await client.setState({
        type: 'integration',
        id: integrationId,
        name: STATE.provider,
        payload: { byProvider: { ...byProvider, [provider]: data } },
      })
    },
  }
}

/**
 * The active provider and an engine for one operation. Webhooks run entirely on the careful client (a 429 or a 502
 * after a commit is never repeated blindly); hitl events always do. Touches no Botpress API by itself: a webhook is
 * verified before anything reads a state.
 */
export const activate = ({ ctx, client, logger }: HandlerProps, options: { webhook?: boolean } = {}) => {
  // The SDK's wrapper keeps the raw Botpress client in `_inner`; a stand-in client (bench, tests) may be that client itself.
  const inner: Client = client._inner ?? (client as unknown as Client)
  const careful = carefulClient(inner)
  const bp: BotClient = options.webhook ? careful : inner
  const active = resolveProvider(providers, {
    configuration: ctx.configuration as Configuration,
    logger,
    store: providerStore(bp, ctx.integrationId),
    ctx: { botId: ctx.botId, integrationId: ctx.integrationId, webhookId: ctx.webhookId },
  })
  return { active, engine: new Engine(bp, active, { botId: ctx.botId, events: careful }) }
}
