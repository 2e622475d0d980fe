/**
 * The browser playground's server (dev only, loopback only): a tiny node:http server with a JSON API, a server-sent
 * event stream and the static page built by scripts/build.mjs (.botpress/dev/playground/).
 *
 * It plays what the Botpress HITL plugin does for one end user: an echo "bot" before the hand-off, `createUser` once,
 * `startHitl` with the pre-escalation chat as `messageHistory`, user messages in the hitl conversation with
 * `payload.userId`, `/end` → `stopHitl`. Agent messages, `hitlAssigned` and `hitlStopped` are read from what the
 * Botpress emulator receives, never guessed. With a local agent desk it also drives the agent side (reply, assign,
 * transfer, close); with a real provider the agent answers in the provider's own UI.
 *
 *   GET  /                     the page            GET /api/state    the snapshot    GET /api/events   SSE (snapshot, then deltas)
 *   POST /api/user/message     {type:"text", text} | {type:"image"|"file", url}     ("/end" ends the session)
 *   POST /api/user/escalate    {title, description?}
 *   POST /api/user/end
 *   POST /api/desk/tickets/:id/reply     {agent, type:"text", text} | {agent, type:"image"|"file", url}
 *   POST /api/desk/tickets/:id/assign    {agent}        /transfer {agent}        /close
 *
 * Errors answer `{ error }` with a sentence meant for the person at the keyboard (400 bad input, 404 unknown ticket,
 * 409 refused in the current state, 502 the integration or the provider failed).
 */
import { readFile } from 'node:fs/promises'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import type { AgentDesk, DeskMessage, Ticket } from '../agent-desk'
import type { Emulator, IntegrationDriver, RequestRecord } from '../emulator'
import { PROVIDER_TITLES } from './config'
import type { ChatItem, Mode, SessionState, SessionView, Snapshot, StreamEvents, StripItem, TicketMessageView, TicketView } from './types'
import { agentNameProblem, attachmentUrlProblem, escalationProblem, textProblem, titleFromUrl } from './validate'
import { allowMediaHost } from './media-hosts'

export interface PlaygroundOptions {
  emulator: Emulator
  driver: IntegrationDriver
  /** The configured provider (configuration.provider). */
  provider: string
  /** The local agent desk (provider http): the agent pane drives it. Without it the agent answers in the provider's UI. */
  desk?: AgentDesk
  /** Where index.html, app.js and style.css are (scripts/build.mjs writes them to .botpress/dev/playground). */
  staticDir: string
  /** Default 0 (any free port). */
  port?: number
  /** Default 127.0.0.1. Keep it on loopback: the API acts on the integration without authentication. */
  host?: string
  /** Who the end user is (createUser input). */
  endUser?: { name: string; email?: string }
  /** Shown in the provider note; default the driver's webhook URL. */
  webhookUrl?: string
}

/** An error meant for the person at the keyboard, with the HTTP status the API answers. */
export class PlaygroundError extends Error {
  constructor(
    readonly status: number,
    message: string
  ) {
    super(message)
  }
}

type HistoryItem = { from: 'user' | 'bot'; type: string; payload: Record<string, unknown> }
type UserMessage = { type: 'text'; text: string } | { type: 'image' | 'file'; url: string; title: string }

const MAX_STRIP = 500
const MAX_CHAT = 1000
const MAX_BODY = 64 * 1024
const BOT = 'Echo bot'
const GREETING = 'Hi! I am a tiny echo bot. Write anything, or fill in “Talk to a human” to hand this conversation to an agent.'

const STATIC: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/index.html': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/app.js.map': { file: 'app.js.map', type: 'application/json; charset=utf-8' },
  '/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
}
/** A sample image served by the playground itself, so attachments work without the internet. */
const SAMPLE_SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="240" height="160" viewBox="0 0 240 160"><rect width="240" height="160" rx="12" fill="#fef3c7"/><rect x="24" y="20" width="192" height="120" rx="6" fill="#fff" stroke="#d97706"/><text x="40" y="52" font-family="sans-serif" font-size="18" fill="#92400e">RECEIPT #42</text><text x="40" y="84" font-family="sans-serif" font-size="14" fill="#78350f">1 × parcel ........ 19.90</text><text x="40" y="112" font-family="sans-serif" font-size="14" fill="#78350f">Total .............. 19.90</text></svg>`
const CSP = "default-src 'self'; img-src 'self' http: https: data:; media-src 'self' http: https:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

const now = () => new Date().toISOString()
const isObject = (v: unknown): v is Record<string, any> => typeof v === 'object' && v !== null && !Array.isArray(v)
const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error))

/** Readable content of a Botpress message payload: text, or a media URL and title. */
export const describePayload = (type: string, payload: Record<string, any> | undefined): Pick<ChatItem, 'type' | 'text' | 'url' | 'title'> => {
  const p = payload ?? {}
  const media = { image: 'imageUrl', file: 'fileUrl', audio: 'audioUrl', video: 'videoUrl' } as const
  if (type === 'text' && typeof p.text === 'string') return { type: 'text', text: p.text }
  if (type === 'markdown' && typeof p.markdown === 'string') return { type: 'text', text: p.markdown }
  if (type in media) {
    const url = p[media[type as keyof typeof media]]
    if (typeof url === 'string') return { type: type as keyof typeof media, url, title: typeof p.title === 'string' ? p.title : titleFromUrl(url) }
  }
  if (type === 'bloc' && Array.isArray(p.items)) {
    const parts = p.items.map((i: any) => describePayload(i?.type, i?.payload)).map((d: any) => d.text ?? d.url ?? '')
    return { type: 'other', text: parts.join(' · ') }
  }
  const text = typeof p.text === 'string' ? p.text : JSON.stringify(p)
  return { type: 'other', text: `[${type}] ${text}` }
}

const summarize = (d: Pick<ChatItem, 'text' | 'url' | 'type'>) => (d.type === 'text' || d.type === 'other' ? (d.text ?? '') : `[${d.type}] ${d.url}`)
const clip = (s: string, n = 140) => (s.length > n ? `${s.slice(0, n - 1)}…` : s)

/** A stable agent id from a display name ("Alice (support)" → agent_alice-support). */
export const agentOf = (name: string) => {
  const clean = name.trim()
  const slug = clean
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
  let hash = 0
  for (const ch of clean) hash = (hash * 31 + ch.codePointAt(0)!) >>> 0
  return { id: `agent_${slug || hash.toString(36)}`, name: clean }
}

export class Playground {
  url = ''
  readonly mode: Mode
  private readonly server: http.Server
  private readonly clients = new Set<http.ServerResponse>()
  private readonly heartbeat: NodeJS.Timeout
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

  constructor(private readonly opts: PlaygroundOptions) {
    this.mode = opts.desk ? 'local' : 'provider'
    this.endUser = opts.endUser ?? { name: 'Jane Doe', email: 'jane.doe@example.com' }
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((error) => this.json(res, 500, { error: `playground failure: ${errorText(error)}` }))
    })
    this.heartbeat = setInterval(() => this.clients.forEach((c) => c.write(': keep-alive\n\n')), 15_000).unref()
    opts.desk?.tickets.forEach((t) => t.status === 'closed' && this.hidden.add(t.id))
    this.say({ from: 'bot', author: BOT, type: 'text', text: GREETING })
    this.history.push({ from: 'bot', type: 'text', payload: { text: GREETING } })
    this.subscribe()
  }

  async listen(port = this.opts.port ?? 0) {
    const host = this.opts.host ?? '127.0.0.1'
    await new Promise<void>((resolve, reject) => {
      const fail = (error: Error) => reject(error)
      this.server.once('error', fail).listen(port, host, () => {
        this.server.off('error', fail)
        resolve()
      })
    })
    const { port: bound } = this.server.address() as AddressInfo
    const hostPort = `${host.includes(':') ? `[${host}]` : host}:${bound}`
    this.url = `http://${hostPort}/`
    // Its sample media (/samples/…) are fetched by the integration in this process: allow exactly this host:port.
    this.unsubscribe.push(allowMediaHost(hostPort))
    return this
  }

  async close() {
    this.unsubscribe.splice(0).forEach((off) => off())
    clearInterval(this.heartbeat)
    this.clients.forEach((c) => c.end())
    this.clients.clear()
    this.server.closeAllConnections()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
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

  private ticketView(t: Ticket): TicketView {
    const agentName = (id?: string) => (id && (this.agentNames.get(id) ?? (t.assignedTo?.id === id ? t.assignedTo.name : undefined))) || id
    const userName = (id?: string) => this.opts.desk?.users.find((u) => u.id === id)?.name
    const message = (m: DeskMessage): TicketMessageView => ({
      id: m.id,
      from: m.from,
      author: m.from === 'agent' ? agentName(m.authorId) : m.from === 'user' ? (userName(m.authorId) ?? 'User') : 'Bot',
      at: m.at,
      ...(m.delivered !== undefined ? { delivered: m.delivered } : {}),
      ...describePayload(m.type, m.payload as Record<string, any>),
    })
    return {
      id: t.id,
      title: t.title,
      description: t.description,
      status: t.status,
      closedBy: t.closedBy,
      assignedTo: t.assignedTo ? { id: t.assignedTo.id, name: t.assignedTo.name ?? t.assignedTo.id } : undefined,
      botpressConversationId: t.botpressConversationId,
      createdAt: t.createdAt,
      transcript: t.transcript.map((text, i) => ({ author: (t.history?.[i] as { authorName?: string } | undefined)?.authorName, text })),
      messages: t.messages.map(message),
    }
  }

  private publish<K extends keyof StreamEvents>(event: K, data: StreamEvents[K]) {
    const chunk = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`
    this.clients.forEach((c) => c.write(chunk))
  }

  // ── the end user ───────────────────────────────────────────────────────────

  private parseUserMessage(body: Record<string, any>): UserMessage {
    const type = body.type ?? 'text'
    if (type === 'text') {
      const problem = textProblem(body.text)
      if (problem) throw new PlaygroundError(400, problem)
      return { type: 'text', text: body.text.trim() }
    }
    if (type === 'image' || type === 'file') {
      const problem = attachmentUrlProblem(body.url)
      if (problem) throw new PlaygroundError(400, problem)
      const url = String(body.url).trim()
      return { type, url, title: titleFromUrl(url) }
    }
    throw new PlaygroundError(400, `Unknown message type “${String(type)}”: use text, image or file.`)
  }

  private toPayload(m: UserMessage): Record<string, unknown> {
    if (m.type === 'text') return { text: m.text }
    return m.type === 'image' ? { imageUrl: m.url, title: m.title } : { fileUrl: m.url, title: m.title }
  }

  async userMessage(body: Record<string, any>) {
    const message = this.parseUserMessage(body)
    if (message.type === 'text' && message.text.toLowerCase() === '/end') return this.end()
    if (this.escalating) throw new PlaygroundError(409, 'Please wait: you are being connected to an agent. Send your message once the hand-off is done.')
    if (this.ending) throw new PlaygroundError(409, 'Please wait: the session is being ended.')

    const session = this.session?.status === 'open' ? this.session : null
    if (session && this.userId) {
      const payload = { ...this.toPayload(message), userId: this.userId }
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
    const payload = this.toPayload(message)
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
          const message = this.parseUserMessage(body)
          result = await desk.reply(ticketId, agent, { type: message.type, payload: this.toPayload(message) })
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

  // ── HTTP ───────────────────────────────────────────────────────────────────

  private async handle(req: http.IncomingMessage, res: http.ServerResponse) {
    // Loopback only, and only under its own name: a page from another site cannot drive the API (DNS rebinding, CSRF).
    const { port } = this.server.address() as AddressInfo
    const host = req.headers.host ?? ''
    if (![`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`].includes(host)) {
      return this.json(res, 403, { error: `unexpected Host header “${host}”: open the playground at ${this.url}` })
    }
    const url = new URL(req.url ?? '/', 'http://playground')
    const method = req.method ?? 'GET'

    if (method === 'GET' || method === 'HEAD') {
      if (url.pathname === '/api/state') return this.json(res, 200, this.snapshot())
      if (url.pathname === '/api/events') return this.stream(req, res)
      if (url.pathname === '/samples/receipt.svg') {
        return res.writeHead(200, { 'content-type': 'image/svg+xml', 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' }).end(SAMPLE_SVG)
      }
      if (url.pathname === '/favicon.ico') return res.writeHead(204).end()
      const entry = STATIC[url.pathname]
      if (entry) return this.file(res, entry)
      return this.json(res, 404, { error: `no page ${url.pathname}` })
    }
    if (method !== 'POST') return this.json(res, 405, { error: `${method} is not supported` }, { allow: 'GET, POST' })

    if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) return this.json(res, 415, { error: 'send JSON (content-type: application/json)' })
    let body: Record<string, any>
    try {
      body = await readJson(req)
    } catch (error) {
      return this.json(res, error instanceof PlaygroundError ? error.status : 400, { error: errorText(error) })
    }
    try {
      const desk = /^\/api\/desk\/tickets\/([^/]+)\/(reply|assign|transfer|close)$/.exec(url.pathname)
      let answer: unknown
      if (url.pathname === '/api/user/message') answer = await this.userMessage(body)
      else if (url.pathname === '/api/user/escalate') answer = await this.escalate(body)
      else if (url.pathname === '/api/user/end') answer = await this.end()
      else if (desk) answer = await this.deskAction(decodeURIComponent(desk[1]!), desk[2] as 'reply', body)
      else return this.json(res, 404, { error: `no API route POST ${url.pathname}` })
      return this.json(res, 200, answer)
    } catch (error) {
      if (error instanceof PlaygroundError) return this.json(res, error.status, { error: error.message })
      throw error
    }
  }

  private stream(req: http.IncomingMessage, res: http.ServerResponse) {
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform', connection: 'keep-alive' })
    res.write('retry: 1000\n\n')
    res.write(`event: snapshot\ndata: ${JSON.stringify(this.snapshot())}\n\n`)
    this.clients.add(res)
    req.on('close', () => this.clients.delete(res))
  }

  private async file(res: http.ServerResponse, entry: { file: string; type: string }) {
    let content: Buffer
    try {
      content = await readFile(path.join(this.opts.staticDir, entry.file))
    } catch {
      return this.json(res, 404, { error: `${entry.file} is missing from ${this.opts.staticDir}: run “npm run build” first` })
    }
    const headers: Record<string, string> = { 'content-type': entry.type, 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' }
    if (entry.file === 'index.html') Object.assign(headers, { 'content-security-policy': CSP, 'referrer-policy': 'no-referrer' })
    res.writeHead(200, headers).end(content)
  }

  private json(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
    if (res.headersSent) return void res.end()
    const text = JSON.stringify(body)
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'content-length': String(Buffer.byteLength(text)), ...headers }).end(text)
  }
}

const readJson = async (req: http.IncomingMessage): Promise<Record<string, any>> => {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > MAX_BODY) throw new PlaygroundError(413, 'the request body is larger than 64 KB')
    chunks.push(chunk as Buffer)
  }
  const raw = Buffer.concat(chunks).toString('utf8')
  if (!raw.trim()) return {}
  let parsed: unknown
  try {
    parsed = JSON.parse(raw)
  } catch {
    throw new PlaygroundError(400, 'the body is not valid JSON')
  }
  if (!isObject(parsed)) throw new PlaygroundError(400, 'the body must be a JSON object')
  return parsed
}

/** Starts the playground server on loopback. */
export async function startPlayground(opts: PlaygroundOptions): Promise<Playground> {
  const playground = new Playground(opts)
  try {
    return await playground.listen()
  } catch (error) {
    await playground.close() // drop its emulator and desk listeners
    throw error
  }
}
