/**
 * The Botpress integration: every SDK entry point resolves the active provider adapter from the configuration
 * (src/runtime.ts) and delegates to the provider-neutral engine. Typed by HitlIntegration (src/definition.ts).
 */
import * as sdk from '@botpress/sdk'
import { errorMessage } from './core/errors'
import type { HitlIntegration } from './definition'
import type { ChannelMessage } from './core/send'
import { activate, type HandlerProps } from './runtime'

type MessageProps = HandlerProps & ChannelMessage

/** One handler for the six message types of the hitl channel: the engine normalizes by `type`. */
const message = async (props: MessageProps) => {
  const { engine } = activate(props)
  await engine.sendMessage({ conversation: props.conversation, message: props.message, type: props.type, payload: props.payload })
}

export default new sdk.Integration<HitlIntegration>({
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
      props.logger.warn(`unregister: nothing to remove (${errorMessage(error)})`)
      return
    }
    await resolved.active.adapter.disconnect({ webhookUrl: props.webhookUrl })
  },
  actions: {
    createUser: async (props) => activate(props).engine.createUser(props.input),
    startHitl: async (props) => activate(props).engine.startHitl(props.input),
    stopHitl: async (props) => activate(props).engine.stopHitl(props.input),
  },
  channels: {
    hitl: {
      messages: { text: message, image: message, audio: message, video: message, file: message, bloc: message },
    },
  },
  handler: async (props) => {
    const { engine } = activate(props, { webhook: true })
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
