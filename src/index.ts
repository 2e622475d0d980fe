/**
 * The Botpress integration: every SDK entry point resolves the active provider adapter from the configuration
 * and delegates to the provider-neutral engine.
 */
import * as sdk from '@botpress/sdk'
import { Engine, STATE, type BotClient } from './core/engine'
import { resolveProvider, type Configuration } from './core/provider'
import type { Data, ProviderStore } from './core/types'

type Common = { ctx: sdk.IntegrationContext; client: unknown; logger: sdk.IntegrationLogger }
type Action = Common & { input: any }

const providerStore = (client: BotClient, integrationId: string) => (provider: string): ProviderStore => ({
  async get() {
    try {
      const { state } = await client.getState({ type: 'integration', id: integrationId, name: STATE.provider })
      return ((state.payload?.byProvider ?? {})[provider] ?? {}) as Data
    } catch (error) {
      if (sdk.isApiError(error) && error.code === 404) return {}
      throw error
    }
  },
  async set(data) {
    let byProvider: Record<string, Data> = {}
    try {
      const { state } = await client.getState({ type: 'integration', id: integrationId, name: STATE.provider })
      byProvider = (state.payload?.byProvider ?? {}) as Record<string, Data>
    } catch (error) {
      if (!(sdk.isApiError(error) && error.code === 404)) throw error
    }
    await client.setState({
      type: 'integration',
      id: integrationId,
      name: STATE.provider,
      payload: { byProvider: { ...byProvider, [provider]: data } },
    })
  },
})

const activate = ({ ctx, client, logger }: Common) => {
  const bp = client as BotClient
  const active = resolveProvider({
    configuration: ctx.configuration as Configuration,
    logger,
    store: providerStore(bp, ctx.integrationId),
    ctx: { botId: ctx.botId, integrationId: ctx.integrationId, webhookId: ctx.webhookId },
  })
  return { active, engine: new Engine(bp, active, { botId: ctx.botId }) }
}

const message = async (props: Common & { conversation: any; message: any; type: string; payload: any }) => {
  const { engine } = activate(props)
  await engine.sendMessage({ conversation: props.conversation, message: props.message, type: props.type, payload: props.payload })
}

export default new sdk.Integration({
  register: async (props) => {
    const { active } = activate(props)
    await active.adapter.connect({ webhookUrl: props.webhookUrl })
    active.logger.info(`registered with provider ${active.definition.title}`)
  },
  unregister: async (props) => {
    let resolved
    try {
      resolved = activate(props)
    } catch (error) {
      props.logger.warn(`unregister: nothing to remove (${(error as Error).message})`)
      return
    }
    await resolved.active.adapter.disconnect({ webhookUrl: props.webhookUrl })
  },
  actions: {
    createUser: async (props: Action) => activate(props).engine.createUser(props.input),
    startHitl: async (props: Action) => activate(props).engine.startHitl(props.input),
    stopHitl: async (props: Action) => activate(props).engine.stopHitl(props.input),
  },
  channels: {
    hitl: {
      messages: { text: message, image: message, audio: message, video: message, file: message, bloc: message },
    },
  },
  handler: async (props) => {
    const { engine } = activate(props)
    const { req } = props
    return engine.handleWebhook({
      method: req.method,
      path: req.path,
      query: req.query,
      headers: req.headers,
      body: req.body ?? '',
    })
  },
})
