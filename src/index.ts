/**
 * The Botpress integration: every SDK entry point resolves the active provider adapter from the configuration
 * (src/runtime.ts) and delegates to the provider-neutral engine. Typed by HitlIntegration (src/definition.ts).
 */
import * as sdk from '@botpress/sdk'
import { errorMessage } from './core/errors'
import type { HitlIntegration } from './definition'
import type { ChannelMessage } from './core/send'
import { sweepClaims } from './core/claim'
import { registerProviders } from './core/switching'
import { activate, handleWebhook, type HandlerProps } from './runtime'

type MessageProps = HandlerProps & ChannelMessage

/** One handler for the six message types of the hitl channel: the engine normalizes by `type`. */
const message = async (props: MessageProps) => {
  // A session opened on a provider before a switch goes on there (the engine picks its owner by the tag `provider`).
  const { engine } = activate(props)
  await engine.sendMessage({ conversation: props.conversation, message: props.message, type: props.type, payload: props.payload })
}

export default new sdk.Integration<HitlIntegration>({
  register: async (props) => {
    // The active provider connected; the others drained, removed or cut (core/switching.ts).
    const { active, switching, client } = activate(props)
    await registerProviders(switching, props.webhookUrl)
    active.logger.info(`registered with provider ${active.definition.title}`)
    // Claims of assignments and closes applied over a day ago are litter (core/claim.ts): a bounded sweep per save.
    await sweepClaims(client)
      .then((removed) => removed && active.logger.info(`removed ${removed} expired exactly-once claims`))
      .catch((error: unknown) => active.logger.warn(`expired exactly-once claims not removed this time: ${errorMessage(error)}`))
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
    // Providers still draining when the integration is removed: what register created there goes too (best effort).
    try {
      const { registrations } = await resolved.switching.book.read()
      for (const name of resolved.set.draining()) {
        const registration = Object.prototype.hasOwnProperty.call(registrations, name) ? registrations[name] : undefined
        if (!registration || registration.removed) continue
        await resolved.set
          .of(name)
          ?.adapter.disconnect({ webhookUrl: registration.webhookUrl })
          .catch((error: unknown) => props.logger.warn(`unregister: ${name}: ${errorMessage(error)}`))
      }
    } catch (error) {
      props.logger.warn(`unregister: draining providers not checked (${errorMessage(error)})`)
    }
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
    const { req } = props
    return handleWebhook(props, {
      method: req.method,
      path: req.path,
      query: req.query,
      headers: req.headers,
      body: req.body ?? '',
    })
  },
})
