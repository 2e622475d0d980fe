/**
 * The playground's session logic, without HTTP (./server.ts routes the API here and streams what `publish` reports):
 * what one end user and, with a local desk, the agents do, and the snapshot the page shows. It plays the Botpress HITL
 * plugin for one end user: an echo "bot" before the hand-off, `createUser` once, `startHitl` with the pre-escalation
 * chat as `messageHistory`, user messages in the hitl conversation with `payload.userId`, `/end` → `stopHitl`. Agent
 * messages, `hitlAssigned` and `hitlStopped` are read from what the Botpress emulator receives, never guessed. With a
 * local desk it also drives the agent side (reply, assign, transfer, close); else the agent answers in the provider's
 * UI. Refusals throw PlaygroundError (./input.ts): a sentence for the person at the keyboard and the HTTP status.
 */
import type { AgentDesk, Ticket } from '../agent-desk'
import type { Emulator, IntegrationDriver, RequestRecord } from '../emulator'
import { PROVIDER_TITLES } from './config'
import { agentOf, parseUserMessage, PlaygroundError, toPayload } from './input'
import type { ChatItem, Mode, SessionState, SessionView, Snapshot, StreamEvents, StripItem } from './types'
import { agentNameProblem, escalationProblem } from './validate'
import { clip, describePayload, summarize, ticketView } from './views'

export interface SessionOptions {
  emulator: Emulator
  driver: IntegrationDriver
  /** The configured provider (configuration.provider). */
  provider: string
  /** The local agent desk (provider http): the agent pane drives it. Without it the agent answers in the provider's UI. */
  desk?: AgentDesk
  /** Who the end user is (createUser input). */
  endUser?: { name: string; email?: string }
  /** Shown in the provider note; default the driver's webhook URL. */
  webhookUrl?: string
}

/** Where the session reports each change the page should see (the server streams it as server-sent events). */
export type Publish = <K extends keyof StreamEvents>(event: K, data: StreamEvents[K]) => void

type HistoryItem = { from: 'user' | 'bot'; type: string; payload: Record<string, unknown> }

const MAX_STRIP = 500
const MAX_CHAT = 1000
const BOT = 'Echo bot'
const GREETING = 'Hi! I am a tiny echo bot. Write anything, or fill in “Talk to a human” to hand this conversation to an agent.'

const now = () => new Date().toISOString()
const isObject = (v: unknown): v is Record<string, any> => typeof v === 'object' && v !== null && !Array.isArray(v)
const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error))

export class PlaygroundSession {
  readonly mode: Mode
  private readonly unsubscribe: Array<() => void> = []
  private readonly endUser: { name: string; email?: string }
  private seq = 0
  private userId?: string
  private chat: ChatItem[] = []
  /** The chat with the echo bot since the last session: the next startHitl's messageHistory. */
  private history: HistoryItem[] = []
  private session: SessionView | null = null
  private escalating = false
  private ending = false
  /** hitl conversations of this playground's end user. */
  private readonly conversations = new Set<string>()
  private strip: StripItem[] = []
  /** Tickets already closed when the playground started (e.g. the scripted session's): not listed. */
  private readonly hidden = new Set<string>()
  private readonly closing = new Set<string>()
  private readonly agentNames = new Map<string, string>()

  constructor(
    private readonly opts: SessionOptions,
    private readonly publish: Publish
  ) {
    this.mode = opts.desk ? 'local' : 'provider'
    this.endUser = opts.endUser ?? { name: 'Jane Doe', email: 'jane.doe@example.com' }
    opts.desk?.tickets.forEach((t) => t.status === 'closed' && this.hidden.add(t.id))
    this.say({ from: 'bot', author: BOT, type: 'text', text: GREETING })
    this.history.push({ from: 'bot', type: 'text', payload: { text: GREETING } })
    this.subscribe()
  }

  /** Stop listening to the emulator and the desk. */
  dispose() {
    this.unsubscribe.splice(0).forEach((off) => off())
  }

  snapshot(): Snapshot {
    const desk = this.opts.desk
    return {
      mode: this.mode,
      provider: this.opts.provider,
      providerTitle: PROVIDER_TITLES[this.opts.provider] ?? this.opts.provider,
      webhookUrl: this.opts.webhookUrl ?? this.opts.driver.webhookUrl,
      endUser: { name: this.endUser.name, ...(this.userId ? { userId: this.userId } : {}) },
      state: this.sessionState(),
      chat: [...this.chat],
      tickets: desk ? desk.tickets.filter((t) => !this.hidden.has(t.id)).map((t) => this.ticketView(t)) : [],
      strip: [...this.strip],
    }
  }

  // ── what Botpress and the desk report ──────────────────────────────────────

  private subscribe() {
    const { emulator, desk } = this.opts
    type Listener = (...args: any[]) => void
    const on = (emitter: { on(event: string, fn: Listener): unknown; off(event: string, fn: Listener): unknown }, event: string, fn: Listener) => {
      emitter.on(event, fn)
      this.unsubscribe.push(() => emitter.off(event, fn))
    }
    on(emulator as any, 'conversation', (conversation: any) => {
      if (this.userId && conversation.channel === 'hitl' && conversation.tags?.userId === this.userId) this.conversations.add(conversation.id)
    })
    on(emulator as any, 'message', ({ message, conversation, user }: any) => this.onMessage(message, conversation, user))
    on(emulator as any, 'event', (event: any) => this.onEvent(event))
    on(emulator as any, 'request', (record: RequestRecord) => this.onRequest(record))
    if (desk) {
      for (const name of ['ticket', 'message', 'assigned', 'closed']) {
        on(desk, name, (data: any) => {
          const id = data?.ticketId ?? data?.id
          const ticket = desk.tickets.find((t) => t.id === id)
          if (ticket && !this.hidden.has(ticket.id)) this.publish('ticket', this.ticketView(ticket))
        })
      }
    }
  }

  private userName(id: string | undefined) {
    if (!id) return undefined
    try {
      return this.opts.emulator.store.user(id).name
    } catch {
      return undefined
    }
  }

  private onMessage(message: any, conversation: any, user: any) {
    const content = describePayload(message.type, message.payload)
    if (this.conversations.has(conversation.id)) {
      const fromUser = this.userId !== undefined && message.payload?.userId === this.userId
      const fromBot = !fromUser && message.userId === this.opts.emulator.botUserId
      this.say({
        id: message.id,
        from: fromUser ? 'user' : fromBot ? 'bot' : 'agent',
        author: fromUser ? this.endUser.name : fromBot ? 'Bot' : (user?.name ?? 'Agent'),
        ...content,
      })
    }
    // What Botpress *received* from the integration: messages it created (the bot's own outgoing ones are not news).
    if (message.direction === 'incoming') {
      this.addStrip({ kind: 'message', summary: `message from ${user?.name ?? message.userId}: ${clip(summarize(content))}  (${conversation.id})` })
    }
  }

  private onEvent(event: any) {
    const conversationId: string | undefined = event.conversationId ?? event.payload?.conversationId
    const agentName = this.userName(event.payload?.userId)
    this.addStrip({ kind: 'event', summary: `event ${event.type}${agentName ? ` → agent “${agentName}”` : ''}${conversationId ? `  (${conversationId})` : ''}` })
    if (!conversationId || !this.conversations.has(conversationId)) return
    const current = this.session?.conversationId === conversationId ? this.session : null
    if (event.type === 'hitlAssigned') {
      const name = agentName ?? 'An agent'
      if (current) current.agent = name
      this.say({ from: 'notice', type: 'text', text: `${name} joined the conversation.`, tone: 'success' })
      this.publish('session', this.sessionState())
    } else if (event.type === 'hitlStopped') {
      if (current?.status === 'open') {
        current.status = 'closed'
        this.history = []
      }
      this.say({ from: 'notice', type: 'text', text: 'The agent ended the session. You are back with the echo bot.', tone: 'info' })
      this.publish('session', this.sessionState())
    }
  }

  private onRequest(record: RequestRecord) {
    this.addStrip({
      kind: 'request',
      summary: `${record.method} ${record.path} → ${record.status} ${record.operationId}`,
      valid: record.valid,
      status: record.status,
      ...(record.errors?.length ? { errors: record.errors } : {}),
    })
  }

  private addStrip(item: Omit<StripItem, 'id' | 'at'>) {
    const full: StripItem = { id: `s_${++this.seq}`, at: now(), ...item }
    this.strip.push(full)
    if (this.strip.length > MAX_STRIP) this.strip.splice(0, this.strip.length - MAX_STRIP)
    this.publish('strip', full)
  }

  private say(item: Omit<ChatItem, 'id' | 'at'> & { id?: string }) {
    const full: ChatItem = { ...item, id: item.id ?? `c_${++this.seq}`, at: now() }
    this.chat.push(full)
    if (this.chat.length > MAX_CHAT) this.chat.splice(0, this.chat.length - MAX_CHAT)
    this.publish('chat', full)
  }

  private sessionState(): SessionState {
    return { session: this.session ? { ...this.session } : null, escalating: this.escalating }
  }

  private ticketView(t: Ticket) {
    return ticketView(t, this.agentNames, this.opts.desk?.users)
  }

  // ── the end user ───────────────────────────────────────────────────────────

  async userMessage(body: Record<string, any>) {
    const message = parseUserMessage(body)
    if (message.type === 'text' && message.text.toLowerCase() === '/end') return this.end()
    if (this.escalating) throw new PlaygroundError(409, 'Please wait: you are being connected to an agent. Send your message once the hand-off is done.')
    if (this.ending) throw new PlaygroundError(409, 'Please wait: the session is being ended.')

    const session = this.session?.status === 'open' ? this.session : null
    if (session && this.userId) {
      const payload = { ...toPayload(message), userId: this.userId }
      try {
        await this.opts.driver.sendMessage({ conversationId: session.conversationId, type: message.type, payload })
      } catch (error) {
        const text = `Your message was not delivered to the agent: ${errorText(error)}`
        this.say({ from: 'notice', type: 'text', text, tone: 'error' })
        throw new PlaygroundError(502, text)
      }
      return { ok: true, to: 'agent' }
    }

    // Before the hand-off: the echo bot answers, and the exchange becomes the next escalation's messageHistory.
    const payload = toPayload(message)
    this.say({ from: 'user', author: this.endUser.name, ...describePayload(message.type, payload) })
    this.history.push({ from: 'user', type: message.type, payload })
    const reply = message.type === 'text' ? `You said: “${clip(message.text, 200)}”` : `Thanks for the ${message.type}: “${message.title}”.`
    this.say({ from: 'bot', author: BOT, type: 'text', text: reply })
    this.history.push({ from: 'bot', type: 'text', payload: { text: reply } })
    return { ok: true, to: 'bot' }
  }

  async escalate(body: Record<string, any>) {
    if (this.escalating) throw new PlaygroundError(409, 'An escalation is already in progress: wait for it to finish.')
    if (this.session?.status === 'open') {
      throw new PlaygroundError(409, `You are already in a session with an agent (“${this.session.title}”): type /end to finish it before escalating again.`)
    }
    const problem = escalationProblem(body.title, body.description)
    if (problem) throw new PlaygroundError(400, problem)
    const title = String(body.title).trim()
    const description = typeof body.description === 'string' && body.description.trim() ? body.description.trim() : undefined

    this.escalating = true
    this.publish('session', this.sessionState())
    try {
      const userId = await this.ensureUser()
      const messageHistory = this.history.map((h) => ({ source: h.from === 'user' ? { type: 'user', userId } : { type: 'bot' }, type: h.type, payload: h.payload }))
      const { conversationId } = await this.opts.driver.callAction<{ conversationId: string }>('startHitl', {
        userId,
        title,
        ...(description ? { description } : {}),
        messageHistory,
      })
      this.conversations.add(conversationId)
      this.session = { conversationId, title, status: 'open' }
      this.history = []
      const where = this.mode === 'local' ? 'the agent desk' : (PROVIDER_TITLES[this.opts.provider] ?? this.opts.provider)
      this.say({ from: 'notice', type: 'text', text: `Handed over to a human on ${where}: “${title}”. Waiting for an agent to join…`, tone: 'info' })
      return { ok: true, conversationId }
    } catch (error) {
      const text = `The escalation failed: ${errorText(error)}`
      this.say({ from: 'notice', type: 'text', text, tone: 'error' })
      throw new PlaygroundError(502, text)
    } finally {
      this.escalating = false
      this.publish('session', this.sessionState())
    }
  }

  /** createUser, once per playground (what the HITL plugin does for a user it has not seen). */
  private async ensureUser(): Promise<string> {
    if (this.userId) return this.userId
    const { userId } = await this.opts.driver.callAction<{ userId: string }>('createUser', { name: this.endUser.name, ...(this.endUser.email ? { email: this.endUser.email } : {}) })
    this.userId = userId
    return userId
  }

  async end() {
    if (this.ending) throw new PlaygroundError(409, 'The session is already being ended.')
    if (this.escalating) throw new PlaygroundError(409, 'Wait for the escalation to finish before ending the session.')
    const session = this.session
    if (!session || session.status !== 'open') throw new PlaygroundError(409, 'There is no open session to end: “/end” finishes a session with an agent.')
    this.ending = true
    try {
      await this.opts.driver.callAction('stopHitl', { conversationId: session.conversationId })
    } catch (error) {
      throw new PlaygroundError(502, `Could not end the session: ${errorText(error)}`)
    } finally {
      this.ending = false
    }
    if (session.status === 'open') {
      session.status = 'closed'
      this.history = []
      this.say({ from: 'notice', type: 'text', text: 'You ended the session. You are back with the echo bot.', tone: 'info' })
      this.publish('session', this.sessionState())
    }
    return { ok: true }
  }

  // ── the agent (local desk only) ────────────────────────────────────────────

  async deskAction(ticketId: string, action: 'reply' | 'assign' | 'transfer' | 'close', body: Record<string, any>) {
    const desk = this.opts.desk
    if (!desk) {
      throw new PlaygroundError(409, `There is no local agent desk: the provider is “${this.opts.provider}”. Answer in its own agent interface.`)
    }
    const ticket = desk.tickets.find((t) => t.id === ticketId)
    if (!ticket || this.hidden.has(ticketId)) throw new PlaygroundError(404, `There is no ticket ${ticketId}.`)

    let result: { status: number; body: unknown }
    try {
      if (action === 'close') {
        if (ticket.status === 'closed') {
          const by = ticket.closedBy === 'integration' ? ' (the end user ended the session)' : ''
          throw new PlaygroundError(409, `Ticket ${ticketId} is already closed${by}.`)
        }
        if (this.closing.has(ticketId)) throw new PlaygroundError(409, `Ticket ${ticketId} is already being closed.`)
        this.closing.add(ticketId)
        try {
          result = await desk.close(ticketId)
        } finally {
          this.closing.delete(ticketId)
        }
      } else {
        if (ticket.status === 'closed') {
          const verb = { reply: 'answered', assign: 'assigned', transfer: 'transferred' }[action]
          throw new PlaygroundError(409, `Ticket ${ticketId} is closed: it cannot be ${verb} any more.`)
        }
        const problem = agentNameProblem(body.agent)
        if (problem) throw new PlaygroundError(400, problem)
        const agent = agentOf(body.agent)
        this.agentNames.set(agent.id, agent.name)
        if (action === 'reply') {
          const message = parseUserMessage(body)
          result = await desk.reply(ticketId, agent, { type: message.type, payload: toPayload(message) })
        } else if (action === 'assign') {
          if (ticket.assignedTo?.id === agent.id) throw new PlaygroundError(409, `Ticket ${ticketId} is already assigned to ${agent.name}.`)
          result = await desk.assign(ticketId, agent)
        } else {
          if (!ticket.assignedTo) throw new PlaygroundError(409, `Ticket ${ticketId} is not assigned yet: assign it before transferring it.`)
          if (ticket.assignedTo.id === agent.id) throw new PlaygroundError(409, `Ticket ${ticketId} is already assigned to ${agent.name}: name another agent to transfer to.`)
          result = await desk.transfer(ticketId, agent)
        }
      }
    } catch (error) {
      if (error instanceof PlaygroundError) throw error
      const status = (error as { status?: unknown }).status
      if (typeof status === 'number' && status >= 400 && status < 500) throw new PlaygroundError(status, errorText(error))
      throw new PlaygroundError(502, `Could not reach the integration's webhook: ${errorText(error)}`)
    }
    if (result.status < 200 || result.status >= 300) {
      const reason = isObject(result.body) && typeof result.body.error === 'string' ? `: ${result.body.error}` : ''
      throw new PlaygroundError(502, `The integration refused the ${action} (HTTP ${result.status}${reason}).`)
    }
    return { ok: true, ticket: this.ticketView(desk.ticket(ticketId)) }
  }
}
