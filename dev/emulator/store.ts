/**
 * The emulator's in-memory Botpress: users, conversations (+ participants), messages, events and states, with the
 * semantics of the runtime API operations (tag merge/unset, getOrCreate lookups, filters, pagination, state expiry).
 * Every operation takes the validated request `{ params, query, body }` and returns the response body, or throws ApiError.
 */
import { randomBytes } from 'node:crypto'
import type { Conversation, Event, Message, State, User } from '@botpress/client'
import { ApiError, notFound } from './errors'

type Tags = Record<string, string>
type Json = any

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'

/** ULID-like 26-char Crockford base32 (10 time + 16 random), as in real ids such as `user_01J…`: 31 chars with the prefix. */
export const newId = (prefix: string): string => {
  let time = Date.now()
  let out = ''
  for (let i = 0; i < 10; i++, time = Math.floor(time / 32)) out = CROCKFORD[time % 32] + out
  for (const b of randomBytes(16)) out += CROCKFORD[b % 32]
  return prefix + out
}

/** Merges tags the API way: an empty string unsets a key. */
const mergeTags = (current: Tags, update: Tags | undefined): Tags => {
  const next = { ...current }
  for (const [k, v] of Object.entries(update ?? {})) {
    if (v === '') delete next[k]
    else next[k] = v
  }
  return next
}
const cleanTags = (tags: Tags | undefined) => mergeTags({}, tags)
const hasTags = (tags: Tags, wanted: Tags | undefined) => Object.entries(wanted ?? {}).every(([k, v]) => tags[k] === v)

/**
 * getOrCreate lookup key: with `discriminateByTags` only those keys' values count, otherwise all given tags.
 * An empty key never matches (nothing to identify an existing record by), so the call creates.
 */
const lookupKey = (tags: Tags, discriminateByTags?: string[]): Tags | undefined => {
  const key: Tags = discriminateByTags ? Object.fromEntries(discriminateByTags.map((k) => [k, tags[k]!])) : cleanTags(tags)
  return Object.keys(key).length ? key : undefined
}

const page = <T>(items: T[], nextToken: string | undefined, size: number): { items: T[]; meta: { nextToken?: string } } => {
  let offset = 0
  if (nextToken) {
    offset = Number(Buffer.from(nextToken, 'base64url').toString())
    if (!Number.isInteger(offset) || offset < 0) throw new ApiError('InvalidQuery', `invalid nextToken "${nextToken}"`)
  }
  const slice = items.slice(offset, offset + size)
  const more = offset + size < items.length
  return { items: slice, meta: more ? { nextToken: Buffer.from(String(offset + size)).toString('base64url') } : {} }
}

const sortBy = <T extends { createdAt: string; updatedAt?: string }>(items: T[], field: 'createdAt' | 'updatedAt' = 'createdAt', direction: 'asc' | 'desc' = 'desc') =>
  [...items].sort((a, b) => (direction === 'asc' ? 1 : -1) * String(a[field] ?? a.createdAt).localeCompare(String(b[field] ?? b.createdAt)))

const inRange = (date: string, after?: string, before?: string) => (!after || date >= after) && (!before || date <= before)

export interface OperationInput {
  params: Record<string, string>
  query: Record<string, Json>
  body: Json
}

interface StoredState {
  state: State
  /** Idle expiry in milliseconds (the spec's unit), refreshed by every read and write. */
  expiry?: number
  expiresAt?: number
}

/** What the store announces (as EventEmitter argument tuples). */
export type StoreEvents = {
  user: [user: User]
  conversation: [conversation: Conversation]
  message: [created: { message: Message; conversation: Conversation; user: User }]
  event: [event: Event]
}

export interface StoreOptions {
  botId: string
  integrationId: string
  integrationName: string
  pageSize: number
  emit: <K extends keyof StoreEvents>(name: K, ...args: StoreEvents[K]) => void
}

export class Store {
  private readonly _users = new Map<string, User>()
  private readonly _conversations = new Map<string, Conversation>()
  private readonly _participants = new Map<string, Set<string>>()
  private readonly _messages = new Map<string, Message>()
  private readonly _events = new Map<string, Event>()
  private readonly _states = new Map<string, StoredState>()
  private lastTime = 0

  constructor(private readonly opts: StoreOptions) {}

  // ── accessors (snapshots, insertion order) ────────────────────────────────
  get users(): User[] {
    return [...this._users.values()]
  }
  get conversations(): Conversation[] {
    return [...this._conversations.values()]
  }
  get messages(): Message[] {
    return [...this._messages.values()]
  }
  get events(): Event[] {
    return [...this._events.values()]
  }
  get states(): State[] {
    this.sweepStates()
    return [...this._states.values()].map((s) => s.state)
  }
  participantsOf(conversationId: string): User[] {
    return [...(this._participants.get(conversationId) ?? [])].map((id) => this._users.get(id)).filter((u): u is User => !!u)
  }

  clear() {
    for (const m of [this._users, this._conversations, this._participants, this._messages, this._events, this._states]) m.clear()
  }

  /** Strictly increasing ISO timestamps, so "newest first" is deterministic even within one millisecond. */
  now(): string {
    this.lastTime = Math.max(Date.now(), this.lastTime + 1)
    return new Date(this.lastTime).toISOString()
  }

  // ── direct helpers (used by the driver and tests) ─────────────────────────
  user(id: string): User {
    return this._users.get(id) ?? throwIt(notFound('User', id))
  }
  conversation(id: string): Conversation {
    return this._conversations.get(id) ?? throwIt(notFound('Conversation', id))
  }
  message(id: string): Message {
    return this._messages.get(id) ?? throwIt(notFound('Message', id))
  }

  insertUser(fields: { id?: string; tags?: Tags; name?: string; pictureUrl?: string }): User {
    const at = this.now()
    const user: User = { id: fields.id ?? newId('user_'), createdAt: at, updatedAt: at, tags: cleanTags(fields.tags) }
    if (fields.name !== undefined) user.name = fields.name
    if (fields.pictureUrl !== undefined) user.pictureUrl = fields.pictureUrl
    this._users.set(user.id, user)
    this.opts.emit('user', user)
    return user
  }

  insertMessage(fields: { conversationId: string; userId: string; type: string; payload: Json; tags?: Tags; direction: Message['direction']; origin?: 'synthetic' }): Message {
    const conversation = this.conversation(fields.conversationId)
    const user = this.user(fields.userId)
    const at = this.now()
    const message: Message = {
      id: newId('msg_'),
      createdAt: at,
      updatedAt: at,
      type: fields.type,
      payload: fields.payload,
      direction: fields.direction,
      userId: user.id,
      conversationId: conversation.id,
      tags: cleanTags(fields.tags),
    }
    if (fields.origin) message.origin = fields.origin
    this._messages.set(message.id, message)
    this.addParticipantId(conversation.id, user.id)
    this.opts.emit('message', { message, conversation, user })
    return message
  }

  private addParticipantId(conversationId: string, userId: string) {
    let set = this._participants.get(conversationId)
    if (!set) this._participants.set(conversationId, (set = new Set()))
    set.add(userId)
  }

  private insertConversation(body: { channel: string; tags?: Tags; integrationName?: string }): Conversation {
    const at = this.now()
    const conversation: Conversation = {
      id: newId('conv_'),
      createdAt: at,
      updatedAt: at,
      channel: body.channel,
      integration: body.integrationName ?? this.opts.integrationName,
      tags: cleanTags(body.tags),
    }
    this._conversations.set(conversation.id, conversation)
    this.opts.emit('conversation', conversation)
    return conversation
  }

  // ── users ──────────────────────────────────────────────────────────────────
  createUser = ({ body }: OperationInput) => ({ user: this.insertUser(body) })
  getUser = ({ params }: OperationInput) => ({ user: this.user(params.id!) })
  listUsers = ({ query }: OperationInput) => {
    const members = query.conversationId ? this._participants.get(query.conversationId) ?? new Set<string>() : undefined
    const field = query.rangeField ?? 'createdAt'
    const users = this.users.filter(
      (u) => hasTags(u.tags, query.tags) && (!members || members.has(u.id)) && inRange(u[field as 'createdAt'], query.afterDate, query.beforeDate)
    )
    const { items, meta } = page(sortBy(users, query.sortField, query.sortDirection), query.nextToken, this.opts.pageSize)
    return { users: items, meta }
  }
  updateUser = ({ params, body }: OperationInput) => {
    const user: User = { ...this.user(params.id!), updatedAt: this.now() }
    if (body.tags) user.tags = mergeTags(user.tags, body.tags)
    for (const key of ['name', 'pictureUrl'] as const) {
      if (body[key] === null) delete user[key]
      else if (body[key] !== undefined) user[key] = body[key]
    }
    this._users.set(user.id, user)
    return { user }
  }
  getOrCreateUser = ({ body }: OperationInput) => {
    const key = lookupKey(body.tags, body.discriminateByTags)
    const found = key && this.users.find((u) => hasTags(u.tags, key))
    return { user: found || this.insertUser(body) }
  }
  deleteUser = ({ params }: OperationInput) => {
    this.user(params.id!)
    this._users.delete(params.id!)
    for (const set of this._participants.values()) set.delete(params.id!)
    return {}
  }

  // ── conversations ──────────────────────────────────────────────────────────
  createConversation = ({ body }: OperationInput) => ({ conversation: this.insertConversation(body) })
  getConversation = ({ params }: OperationInput) => ({ conversation: this.conversation(params.id!) })
  listConversations = ({ query }: OperationInput) => {
    const conversations = this.conversations.filter(
      (c) =>
        hasTags(c.tags, query.tags) &&
        (!query.channel || c.channel === query.channel) &&
        (!query.integrationName || c.integration === query.integrationName) &&
        ((query.participantIds as string[] | undefined) ?? []).every((id) => this._participants.get(c.id)?.has(id)) &&
        inRange(c.createdAt, query.afterDate, query.beforeDate)
    )
    const { items, meta } = page(sortBy(conversations, query.sortField, query.sortDirection), query.nextToken, this.opts.pageSize)
    return { conversations: items, meta }
  }
  getOrCreateConversation = ({ body }: OperationInput) => {
    const key = lookupKey(body.tags, body.discriminateByTags)
    const integration = body.integrationName ?? this.opts.integrationName
    const found = key && this.conversations.find((c) => c.channel === body.channel && c.integration === integration && hasTags(c.tags, key))
    return { conversation: found || this.insertConversation(body) }
  }
  updateConversation = ({ params, body }: OperationInput) => {
    const conversation: Conversation = { ...this.conversation(params.id!), updatedAt: this.now() }
    if (body.tags) conversation.tags = mergeTags(conversation.tags, body.tags)
    if (body.currentTaskId !== undefined) conversation.currentTaskId = body.currentTaskId
    this._conversations.set(conversation.id, conversation)
    return { conversation }
  }
  deleteConversation = ({ params }: OperationInput) => {
    const { id } = this.conversation(params.id!)
    this._conversations.delete(id)
    this._participants.delete(id)
    for (const m of this._messages.values()) if (m.conversationId === id) this._messages.delete(m.id)
    for (const [k, s] of this._states) if (s.state.type === 'conversation' && s.state.conversationId === id) this._states.delete(k)
    return {}
  }
  listParticipants = ({ params, query }: OperationInput) => {
    const { items, meta } = page(this.participantsOf(this.conversation(params.id!).id), query.nextToken, this.opts.pageSize)
    return { participants: items, meta }
  }
  addParticipant = ({ params, body }: OperationInput) => {
    const conversation = this.conversation(params.id!)
    const participant = this.user(body.userId)
    this.addParticipantId(conversation.id, participant.id)
    return { participant }
  }
  getParticipant = ({ params }: OperationInput) => {
    if (!this._participants.get(this.conversation(params.id!).id)?.has(params.userId!)) throw notFound('Participant', params.userId!)
    return { participant: this.user(params.userId!) }
  }
  removeParticipant = ({ params }: OperationInput) => {
    this._participants.get(this.conversation(params.id!).id)?.delete(params.userId!)
    return {}
  }

  // ── messages ───────────────────────────────────────────────────────────────
  /** Messages the integration creates come into the bot: `incoming`. */
  createMessage = ({ body }: OperationInput) => ({ message: this.insertMessage({ ...body, direction: 'incoming' }) })
  getOrCreateMessage = ({ body }: OperationInput) => {
    const conversation = this.conversation(body.conversationId)
    const key = lookupKey(body.tags, body.discriminateByTags)
    const found = key && this.messages.find((m) => m.conversationId === conversation.id && hasTags(m.tags, key))
    return { message: found || this.insertMessage({ ...body, direction: 'incoming' }) }
  }
  getMessage = ({ params }: OperationInput) => ({ message: this.message(params.id!) })
  updateMessage = ({ params, body }: OperationInput) => {
    const current = this.message(params.id!)
    const message: Message = { ...current, tags: mergeTags(current.tags, body.tags), updatedAt: this.now() }
    if (body.payload) message.payload = body.payload
    this._messages.set(message.id, message)
    return { message }
  }
  listMessages = ({ query }: OperationInput) => {
    const messages = this.messages.filter(
      (m) => (!query.conversationId || m.conversationId === query.conversationId) && hasTags(m.tags, query.tags) && inRange(m.createdAt, query.afterDate, query.beforeDate)
    )
    const { items, meta } = page(sortBy(messages), query.nextToken, this.opts.pageSize)
    return { messages: items, meta }
  }
  deleteMessage = ({ params }: OperationInput) => {
    this._messages.delete(this.message(params.id!).id)
    return {}
  }

  // ── events ─────────────────────────────────────────────────────────────────
  createEvent = ({ body }: OperationInput) => {
    if (body.conversationId) this.conversation(body.conversationId)
    if (body.userId) this.user(body.userId)
    if (body.messageId) this.message(body.messageId)
    // No bot runs here to process events: they stay `pending` (or `scheduled`).
    const event: Event = { id: newId('evt_'), createdAt: this.now(), type: body.type, payload: body.payload, status: body.schedule ? 'scheduled' : 'pending', failureReason: null }
    for (const k of ['conversationId', 'userId', 'messageId'] as const) if (body[k]) event[k] = body[k]
    this._events.set(event.id, event)
    this.opts.emit('event', event)
    return { event }
  }
  getEvent = ({ params }: OperationInput) => ({ event: this._events.get(params.id!) ?? throwIt(notFound('Event', params.id!)) })
  listEvents = ({ query }: OperationInput) => {
    const events = this.events.filter((e) => (['type', 'conversationId', 'userId', 'messageId', 'status'] as const).every((k) => !query[k] || e[k] === query[k]))
    const { items, meta } = page(sortBy(events), query.nextToken, this.opts.pageSize)
    return { events: items, meta }
  }
  cancelScheduledEvent = ({ params }: OperationInput) => {
    const event = this._events.get(params.id!)
    if (!event || event.status !== 'scheduled') throw notFound('Scheduled event', params.id!)
    this._events.set(event.id, { ...event, status: 'canceled' })
    return {}
  }

  // ── states ─────────────────────────────────────────────────────────────────
  private stateKey({ type, id, name }: Record<string, string>) {
    if (type === 'user') this.user(id!)
    if (type === 'conversation') this.conversation(id!)
    return `${type}/${id}/${name}`
  }
  private sweepStates() {
    const now = Date.now()
    for (const [k, s] of this._states) if (s.expiresAt !== undefined && s.expiresAt <= now) this._states.delete(k)
  }
  /** A live state, its idle expiry refreshed. */
  private liveState(key: string): StoredState | undefined {
    this.sweepStates()
    const stored = this._states.get(key)
    if (stored?.expiry) stored.expiresAt = Date.now() + stored.expiry
    return stored
  }
  private writeState(params: Record<string, string>, key: string, payload: Json, expiry: number | null | undefined): State {
    const current = this.liveState(key)
    const at = this.now()
    const state: State = current
      ? { ...current.state, payload, updatedAt: at }
      : { id: newId('state_'), createdAt: at, updatedAt: at, botId: this.opts.botId, name: params.name!, type: params.type as State['type'], payload }
    if (!current && params.type === 'user') state.userId = params.id
    if (!current && params.type === 'conversation') state.conversationId = params.id
    const stored: StoredState = { state, expiry: current?.expiry }
    if (expiry !== undefined) stored.expiry = expiry ?? undefined
    if (stored.expiry) stored.expiresAt = Date.now() + stored.expiry
    this._states.set(key, stored)
    return state
  }
  getState = ({ params }: OperationInput) => {
    const stored = this.liveState(this.stateKey(params))
    if (!stored) throw notFound('State', `${params.type}/${params.id}/${params.name}`)
    return { state: stored.state, meta: { cached: false } }
  }
  setState = ({ params, body }: OperationInput) => {
    const key = this.stateKey(params)
    if (body.payload === null) {
      // null deletes; answer with the last state (payload emptied) to honour the response schema
      const stored = this.liveState(key)
      this._states.delete(key)
      const at = this.now()
      return { state: { ...(stored?.state ?? { id: newId('state_'), createdAt: at, botId: this.opts.botId, name: params.name!, type: params.type as State['type'] }), payload: {}, updatedAt: at } }
    }
    return { state: this.writeState(params, key, body.payload, body.expiry) }
  }
  getOrSetState = ({ params, body }: OperationInput) => {
    const key = this.stateKey(params)
    const stored = this.liveState(key)
    return { state: stored ? stored.state : this.writeState(params, key, body.payload, body.expiry), meta: { cached: false } }
  }
  patchState = ({ params, body }: OperationInput) => {
    const key = this.stateKey(params)
    const stored = this.liveState(key)
    if (!stored) throw notFound('State', `${params.type}/${params.id}/${params.name}`)
    return { state: this.writeState(params, key, { ...stored.state.payload, ...body.payload }, undefined) }
  }
  setStateExpiry = ({ params, body }: OperationInput) => {
    const key = this.stateKey(params)
    const stored = this.liveState(key)
    if (!stored) throw notFound('State', `${params.type}/${params.id}/${params.name}`)
    return { state: this.writeState(params, key, stored.state.payload, body.expiry) }
  }
}

function throwIt(error: Error): never {
  throw error
}

/** The operations the store implements; everything else in the spec answers 501. */
export const IMPLEMENTED = [
  'createUser', 'getUser', 'listUsers', 'updateUser', 'getOrCreateUser', 'deleteUser',
  'createConversation', 'getConversation', 'listConversations', 'getOrCreateConversation', 'updateConversation', 'deleteConversation',
  'listParticipants', 'addParticipant', 'getParticipant', 'removeParticipant',
  'createMessage', 'getOrCreateMessage', 'getMessage', 'updateMessage', 'listMessages', 'deleteMessage',
  'createEvent', 'getEvent', 'listEvents', 'cancelScheduledEvent',
  'getState', 'setState', 'getOrSetState', 'patchState', 'setStateExpiry',
] as const satisfies ReadonlyArray<keyof Store>
