/**
 * The HITL plugin's side of the contract, written for this suite from reading its source (not a copy of it):
 * github.com/botpress/botpress plugins/hitl, version 1.4.2 (plugin.definition.ts:104-105), on SDK 7.2.2, commit
 * 4f4a05a0c4. Every call the plugin makes to a hitl integration, and every reaction to what the integration emits, is
 * played here through the validating runtime stand-in (./runtime.ts), with the plugin file and lines it follows.
 *
 * The "upstream" side (the end user's own conversation, e.g. webchat) is modelled in memory: the messages the plugin
 * says there are recorded in `said`, the tags it writes there in `upstreamTags`. Its writes to bot-level tags of the
 * integration's users and conversations (user-linker.ts:66-81, start-hitl.ts:131-146) concern the bot only and are
 * kept here too, not sent to the integration.
 */
import type { Rig } from '../support/rig'
import type { Delivery, SchemaRuntime } from './runtime'

/** The plugin's default texts, plugin.definition.ts:5-16. */
export const TEXT = {
  handoff: 'I have escalated this conversation to a human agent. They should be with you shortly.',
  assigned: 'A human agent has joined the conversation.',
  stopped: 'The human agent closed the conversation. I will continue assisting you.',
  cancelled: '( The user has ended the session. )',
  closeCommand: '/end',
  closedByUser: 'You have ended the session with the human agent. I will continue assisting you.',
  timeout: 'No human agent is available at the moment. Please try again later. I will continue assisting you for the time being.',
} as const

/** consts.ts:3-10 */
const SUPPORTED_MESSAGE_TYPES = ['text', 'image', 'video', 'audio', 'file', 'bloc']

export type UpstreamUser = { id: string; name?: string; pictureUrl?: string; tags: Record<string, string> }
export type UpstreamMessage = { id: string; direction: 'incoming' | 'outgoing'; userId: string; type: string; payload: Record<string, unknown>; createdAt: string }
type Upstream = { id: string; messages: UpstreamMessage[]; tags: Record<string, string>; hitlActive: boolean; endReason?: string; initiatingUserId?: string }
type Downstream = { id: string; upstreamId: string; hitlActive: boolean; humanAgentId?: string; endReason?: string }

/** When the bot's closing notice reaches the integration relative to stopHitl (message delivery is asynchronous). */
export type NoticeOrder = 'notice-first' | 'stop-first'

export class HitlPlugin {
  readonly upstreamUsers = new Map<string, UpstreamUser>()
  readonly upstreams = new Map<string, Upstream>()
  readonly downstreams = new Map<string, Downstream>()
  /** What the plugin said or relayed in each upstream conversation, in order ("bot: …" or "agent <userId>: <type> …"). */
  readonly said = new Map<string, string[]>()
  /** Message tags the plugin wrote upstream with relayed agent messages (all.ts:84-87). */
  readonly relayedTags: Array<Record<string, string | undefined>> = []
  /** Every createUser the plugin made, with its input. */
  readonly createdUsers: Array<{ input: Record<string, unknown>; userId: string }> = []
  private seq = 0

  constructor(
    private readonly runtime: SchemaRuntime,
    private readonly rig: Rig,
    private readonly config: { agentAssignedTimeoutSeconds?: number } = {}
  ) {}

  /** The bot id as the plugin reads it (`props.ctx.botId`), e.g. for the placeholder e-mail. */
  get botId(): string {
    return this.rig.emulator.botId
  }

  // ── the upstream conversation (not the integration's) ──────────────────────

  addUser(user: Omit<UpstreamUser, 'tags'> & { tags?: Record<string, string> }): UpstreamUser {
    const stored = { ...user, tags: { ...(user.tags ?? {}) } }
    this.upstreamUsers.set(user.id, stored)
    return stored
  }

  openUpstream(id: string, messages: Array<Omit<UpstreamMessage, 'id' | 'createdAt'>>): void {
    const base = Date.parse('2026-01-01T10:00:00.000Z')
    this.upstreams.set(id, {
      id,
      tags: {},
      hitlActive: false,
      messages: messages.map((m, i) => ({ ...m, id: `up_msg_${++this.seq}`, createdAt: new Date(base + i * 1000).toISOString() })),
    })
    this.said.set(id, [])
  }

  private say(upstreamId: string, line: string) {
    this.said.get(upstreamId)!.push(line)
  }

  // ── user-linker.ts ─────────────────────────────────────────────────────────

  /** user-linker.ts:11-33: reuse the linked downstream user, else create one (createUser). */
  async downstreamUserId(upstreamUserId: string, overrides?: { name?: string; email?: string; pictureUrl?: string }): Promise<string> {
    const user = this.upstreamUsers.get(upstreamUserId)
    if (!user) throw new Error(`no upstream user ${upstreamUserId}`)
    // user-linker.ts:35-52: linked to this integration (its alias) and still found by users.getById.
    const linked = user.tags.downstream
    if (linked && user.tags.integrationAlias === this.integrationAlias && this.rig.users().some((u) => u.id === linked)) return linked
    // user-linker.ts:59-63: the createUser input; the e-mail falls back on a placeholder (89-92).
    const input = {
      name: overrides?.name ?? user.tags.name ?? user.name ?? 'Unknown User',
      pictureUrl: overrides?.pictureUrl ?? user.tags.pictureUrl ?? user.pictureUrl,
      email: overrides?.email ?? user.tags.email ?? this.placeholderEmail(user.id),
    }
    const { userId } = await this.runtime.callAction<{ userId: string }>('createUser', input)
    this.createdUsers.push({ input, userId })
    // user-linker.ts:64: the plugin reads the new user back; it must exist in Botpress.
    this.rig.user(userId)
    // user-linker.ts:66-81: the link, as bot-level tags.
    user.tags = { ...user.tags, downstream: userId, integrationName: this.integrationAlias, integrationAlias: this.integrationAlias }
    return userId
  }

  /** `props.interfaces.hitl.integrationAlias`: the integration implementing hitl, as the bot installed it. */
  private get integrationAlias(): string {
    return this.rig.emulator.integrationName
  }

  /** user-linker.ts:89-92 */
  placeholderEmail(upstreamUserId: string): string {
    return `${upstreamUserId}@no-reply.${this.botId.replaceAll('_', '-')}.botpress.com`
  }

  // ── actions/start-hitl.ts ──────────────────────────────────────────────────

  /** start-hitl.ts:13-77, with the action's own input (conversationId, userId, userEmail, title, description, hitlSession). */
  async startHitl(input: {
    conversationId: string
    userId: string
    userEmail?: string
    title?: string
    description?: string
    hitlSession?: Record<string, unknown>
  }): Promise<string> {
    const upstream = this.upstreams.get(input.conversationId)!
    if (upstream.hitlActive) return '' // start-hitl.ts:37-39
    this.say(upstream.id, `bot: ${TEXT.handoff}`) // start-hitl.ts:54, 79-82
    const downstreamUserId = await this.downstreamUserId(input.userId, { email: input.userEmail }) // start-hitl.ts:56-57
    // start-hitl.ts:84-111: the upstream messages, oldest first; a user's message names its downstream user.
    const sorted = [...upstream.messages].sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt))
    const messageHistory = []
    for (const message of sorted) {
      messageHistory.push({
        source: message.direction === 'outgoing' ? { type: 'bot' } : { type: 'user', userId: await this.downstreamUserId(message.userId) },
        type: message.type,
        payload: message.payload,
      })
    }
    // start-hitl.ts:120-126
    const { conversationId } = await this.runtime.callAction<{ conversationId: string }>('startHitl', {
      title: input.title,
      description: input.description,
      hitlSession: input.hitlSession,
      userId: downstreamUserId,
      messageHistory,
    })
    this.rig.conversation(conversationId) // start-hitl.ts:128: read back, must exist
    // start-hitl.ts:69-73, 131-149: link both sides, HITL active on both.
    upstream.initiatingUserId = input.userId
    upstream.tags.downstream = conversationId
    upstream.hitlActive = true
    delete upstream.endReason
    delete upstream.tags.humanAgentId
    this.downstreams.set(conversationId, { id: conversationId, upstreamId: upstream.id, hitlActive: true })
    return conversationId
  }

  // ── hooks/before-incoming-message/all.ts: the end user writes ──────────────

  /**
   * all.ts:105-173: a message of the end user while HITL is active is relayed to the ticket as
   * `{ type, ...payload, userId: <downstream user> }` (all.ts:91-94, 170; conv-manager.ts:88-104, author: the bot).
   * The close command is all.ts:158-167 (see `closeCommand`).
   */
  async userWrites(upstreamId: string, message: { type: string; payload: Record<string, unknown> }): Promise<void> {
    const upstream = this.upstreams.get(upstreamId)!
    if (!upstream.hitlActive) throw new Error('HITL is not active: the bot would handle this message (all.ts:110-113)')
    if (!SUPPORTED_MESSAGE_TYPES.includes(message.type)) throw new Error(`the plugin answers the user itself for a ${message.type} (all.ts:122-131)`)
    const downstreamId = upstream.tags.downstream!
    const patient = this.upstreamUsers.get(upstream.initiatingUserId!)!
    await this.runtime.createMessage({ conversationId: downstreamId, type: message.type, payload: { type: message.type, ...message.payload, userId: patient.tags.downstream } })
  }

  // ── the three closes the plugin initiates ──────────────────────────────────

  /**
   * The closing notice, `maybeRespondText` on the ticket (conv-manager.ts:80-86: `{ type: 'text', text }`, no userId),
   * then both sides inactive and stopHitl. The notice is stored first, but the runtime may deliver it to the integration
   * after stopHitl ran: `order` says which one the integration sees first.
   */
  private async closeWithNotice(upstreamId: string, reason: string, order: NoticeOrder): Promise<void> {
    const upstream = this.upstreams.get(upstreamId)!
    const downstream = this.downstreams.get(upstream.tags.downstream!)!
    const notice = () => this.runtime.createMessage({ conversationId: downstream.id, type: 'text', payload: { type: 'text', text: TEXT.cancelled } })
    if (order === 'notice-first') await notice()
    upstream.hitlActive = downstream.hitlActive = false
    upstream.endReason = downstream.endReason = reason
    await this.runtime.callAction('stopHitl', { conversationId: downstream.id })
    if (order === 'stop-first') await notice()
  }

  /** all.ts:158-167 and 205-235: the user typed the close command. */
  async closeCommand(upstreamId: string, order: NoticeOrder): Promise<void> {
    await this.closeWithNotice(upstreamId, 'patient-used-termination-command', order) // all.ts:217-232
    this.say(upstreamId, `bot: ${TEXT.closedByUser}`) // all.ts:234
  }

  /** actions/stop-hitl.ts:6-46: the Studio "Stop HITL" card (the action's input names the upstream conversation). */
  async stopHitlAction(upstreamId: string, order: NoticeOrder): Promise<void> {
    const upstream = this.upstreams.get(upstreamId)!
    if (!upstream.hitlActive) return // stop-hitl.ts:12-15
    await this.closeWithNotice(upstreamId, 'close-action-called', order) // stop-hitl.ts:33-41
  }

  /**
   * hooks/before-incoming-event/human-agent-assigned-timeout.ts:7-98: the event start-hitl.ts:164-173 scheduled fires;
   * ignored when an agent is assigned (21-24), HITL is inactive (29-34) or the timeout has not elapsed (41-44).
   */
  async agentAssignedTimeout(upstreamId: string, elapsedSeconds: number, order: NoticeOrder): Promise<'ignored' | 'closed'> {
    const upstream = this.upstreams.get(upstreamId)!
    if (upstream.tags.humanAgentId?.length) return 'ignored'
    const downstream = this.downstreams.get(upstream.tags.downstream!)!
    if (!upstream.hitlActive || !downstream.hitlActive) return 'ignored'
    if (!this.config.agentAssignedTimeoutSeconds || elapsedSeconds < this.config.agentAssignedTimeoutSeconds) return 'ignored'
    await this.closeWithNotice(upstreamId, 'agent-assignment-timeout', order) // 76-95
    this.say(upstreamId, `bot: ${TEXT.timeout}`) // 97
    return 'closed'
  }

  // ── what the integration emits, handed to the plugin's hooks in order ──────

  /** Hands everything the integration created since the last call to the plugin's hooks, in creation order. */
  async receive(): Promise<Delivery[]> {
    const deliveries = this.runtime.take()
    for (const delivery of deliveries) {
      if (delivery.kind === 'event' && delivery.type === 'hitlAssigned') await this.onAssigned(delivery.payload)
      else if (delivery.kind === 'event' && delivery.type === 'hitlStopped') this.onStopped(delivery.payload)
      else if (delivery.kind === 'message') await this.onAgentMessage(delivery)
    }
    return deliveries
  }

  /** hitl-assigned.ts:6-24: when the ticket is active, assignAgent (it does not look at an agent already assigned). */
  private async onAssigned(payload: { conversationId: string; userId: string }) {
    const downstream = this.downstreams.get(payload.conversationId)
    if (!downstream?.hitlActive) return // hitl-assigned.ts:12-15
    this.assignAgent(downstream, payload.userId)
  }

  /** hooks/operations.ts:21-58: the agent's user is read back (38-39), both sides tagged, and the user told (46-55). */
  private assignAgent(downstream: Downstream, humanAgentUserId: string) {
    const agent = this.rig.user(humanAgentUserId)
    const name = agent.name?.length ? agent.name : 'A Human Agent'
    downstream.humanAgentId = humanAgentUserId
    this.upstreams.get(downstream.upstreamId)!.tags.humanAgentId = humanAgentUserId
    this.say(downstream.upstreamId, `bot: ${TEXT.assigned} (${name})`)
  }

  /** hitl-stopped.ts:7-46: the agent closed the ticket; the user is told and HITL ends on both sides. */
  private onStopped(payload: { conversationId: string }) {
    const downstream = this.downstreams.get(payload.conversationId)
    if (!downstream?.hitlActive) return // hitl-stopped.ts:13-16
    const upstream = this.upstreams.get(downstream.upstreamId)!
    this.say(upstream.id, `bot: ${TEXT.stopped}`)
    upstream.hitlActive = downstream.hitlActive = false
    upstream.endReason = downstream.endReason = 'agent-closed-ticket'
  }

  /**
   * all.ts:28-89: an agent's message on an active ticket; an agent is assigned first when none is (75-82), then the
   * message is relayed upstream with the message's `additionalData` as a tag (84-87, 96-103).
   */
  private async onAgentMessage(message: Extract<Delivery, { kind: 'message' }>) {
    const downstream = this.downstreams.get(message.conversationId)
    if (!downstream?.hitlActive) return // all.ts:33-36
    this.rig.user(message.userId) // all.ts:38-39
    if (!SUPPORTED_MESSAGE_TYPES.includes(message.type)) throw new Error(`the plugin refuses a ${message.type} from the agent (all.ts:57-66)`)
    if (!downstream.humanAgentId?.length) this.assignAgent(downstream, message.userId)
    const { additionalData, ...payload } = message.payload
    this.relayedTags.push({ downstream: message.id, additionalData: typeof additionalData === 'string' ? additionalData : undefined })
    this.say(downstream.upstreamId, `agent ${message.userId}: ${message.type} ${JSON.stringify(payload)}`)
  }
}
