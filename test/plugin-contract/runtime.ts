/**
 * A Botpress runtime stand-in for the plugin-contract suite: it sits between the HITL plugin (./plugin.ts) and the
 * integration (the rig: emulator + the integration's SDK handler) and validates, like a runtime would, every action
 * input and output, every message and every event against the JSON schemas our integration declares (the CLI's
 * mapping of integration.definition.ts, test/support/integration-body.ts `toJsonSchema`).
 *
 * - An action input the schema refuses is answered 400 to the plugin without reaching the integration.
 * - Message payloads: the declared zui objects are strip objects (`z.object`), so a key they do not declare is dropped,
 *   not refused; the JSON schema's `additionalProperties: false` is how the transform renders them. The plugin relies on
 *   it: it sends `{ type, ...payload, userId }` (plugins/hitl/src/hooks/before-incoming-message/all.ts:91-94,170 and
 *   conv-manager.ts:97-104 `payload: messagePayload`) to every hitl integration. Every key dropped is recorded in
 *   `stripped`, so a test can assert that the plugin's `type` is the only one.
 * - Messages and events the integration creates are validated as they are created, and queued in `inbox` in creation
 *   order: what the runtime then hands to the plugin's hooks.
 */
import Ajv, { type ValidateFunction } from 'ajv'
import definition from '../../integration.definition'
import { toJsonSchema } from '../support/integration-body'
import type { Rig } from '../support/rig'

type Json = any

/** Botpress refused the request (the plugin gets an error before the integration is called). */
export class RuntimeRefusal extends Error {
  readonly status = 400
}

export type Delivery =
  | { kind: 'event'; type: string; conversationId: string; payload: Json }
  | { kind: 'message'; id: string; conversationId: string; userId: string; type: string; payload: Json }

const jsonSchemaOf = (holder: Json): Json => JSON.parse(JSON.stringify(toJsonSchema(holder)))
const def = definition as Json

export class SchemaRuntime {
  /** Every validation failure, whoever sent it ("<what>: <errors>"). A test expects it empty unless it provoked one. */
  readonly violations: string[] = []
  /** Top-level keys dropped from message payloads the bot sent, as "<message type>.<key>". */
  readonly stripped: string[] = []
  /** What the integration created for the bot (hitl events, agent messages), in order, not yet handed to the plugin. */
  readonly inbox: Delivery[] = []

  private readonly ajv = new Ajv({ allErrors: true, strict: false })
  private readonly actions = new Map<string, { input: ValidateFunction; output: ValidateFunction }>()
  private readonly messages = new Map<string, { validate: ValidateFunction; declared: Set<string> }>()
  private readonly events = new Map<string, ValidateFunction>()

  constructor(private readonly rig: Rig) {
    for (const [name, action] of Object.entries<Json>(def.actions)) {
      this.actions.set(name, { input: this.ajv.compile(jsonSchemaOf(action.input)), output: this.ajv.compile(jsonSchemaOf(action.output)) })
    }
    for (const [type, message] of Object.entries<Json>(def.channels.hitl.messages)) {
      const schema = jsonSchemaOf(message)
      this.messages.set(type, { validate: this.ajv.compile(schema), declared: new Set(Object.keys(schema.properties)) })
    }
    for (const [type, event] of Object.entries<Json>(def.events)) this.events.set(type, this.ajv.compile(jsonSchemaOf(event)))
  }

  /** Listens to the emulator: what the integration creates is validated and queued. Call once per rig. */
  listen() {
    this.rig.emulator.on('message', ({ message }: Json) => {
      // The bot's own messages are stored `outgoing` (dev/emulator/driver.ts sendMessage); the integration's `incoming`.
      if (message.direction === 'outgoing') return
      const checked = this.messages.get(message.type)
      if (!checked) this.violations.push(`message ${message.type}: not a message type of the hitl channel`)
      else this.check(`message ${message.type} from the integration`, checked.validate, message.payload)
      this.inbox.push({ kind: 'message', id: message.id, conversationId: message.conversationId, userId: message.userId, type: message.type, payload: message.payload })
    })
    this.rig.emulator.on('event', (event: Json) => {
      const validate = this.events.get(event.type)
      if (!validate) this.violations.push(`event ${event.type}: not an event of the integration`)
      else this.check(`event ${event.type}`, validate, event.payload)
      this.inbox.push({ kind: 'event', type: event.type, conversationId: event.conversationId, payload: event.payload })
    })
  }

  reset() {
    this.violations.length = this.stripped.length = this.inbox.length = 0
  }

  /** The plugin's `props.actions.hitl.<name>(input)`. */
  async callAction<T = Json>(name: string, input: Json): Promise<T> {
    const schemas = this.actions.get(name)
    if (!schemas) throw new RuntimeRefusal(`no action ${name}`)
    const sent = JSON.parse(JSON.stringify(input)) // what goes over the wire: keys holding undefined are not sent
    if (!this.check(`action ${name} input`, schemas.input, sent)) throw new RuntimeRefusal(`action ${name}: input refused by its schema`)
    const output = await this.rig.driver.callAction<T>(name, sent)
    this.check(`action ${name} output`, schemas.output, output)
    return output
  }

  /** The plugin's `conversation.createMessage({ type, userId: botId, payload })` in a conversation of the integration. */
  async createMessage(opts: { conversationId: string; type: string; payload: Json }) {
    const checked = this.messages.get(opts.type)
    if (!checked) throw new RuntimeRefusal(`message type ${opts.type} is not declared by the hitl channel`)
    const kept: Json = {}
    for (const [key, value] of Object.entries<Json>(opts.payload)) {
      if (checked.declared.has(key)) kept[key] = value
      else this.stripped.push(`${opts.type}.${key}`)
    }
    if (!this.check(`message ${opts.type} from the bot`, checked.validate, JSON.parse(JSON.stringify(kept)))) {
      throw new RuntimeRefusal(`message ${opts.type}: payload refused by its schema`)
    }
    return this.rig.driver.sendMessage({ conversationId: opts.conversationId, type: opts.type, payload: opts.payload })
  }

  /** The deliveries queued so far, handed over (the runtime calls the plugin's hooks with them, in order). */
  take(): Delivery[] {
    return this.inbox.splice(0)
  }

  private check(what: string, validate: ValidateFunction, value: Json): boolean {
    if (validate(value)) return true
    this.violations.push(`${what}: ${(validate.errors ?? []).map((e) => `${e.instancePath || '(root)'} ${e.message}`).join('; ')}`)
    return false
  }
}
