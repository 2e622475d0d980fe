/**
 * The engine's own session and contact references (src/core/refs.ts) over an in-memory Botpress state store, for
 * tests that drive an adapter without Botpress: `saveData` merges exactly as in production.
 */
import { ResourceNotFoundError, type Client } from '@botpress/client'
import { createRefs, STATE, type StateClient, type StatePayload, type StateType } from '../../src/core/refs'
import type { ContactProfile, Data } from '../../src/core/types'

type GetState = Awaited<ReturnType<Client['getState']>>
type SetState = Awaited<ReturnType<Client['setState']>>

let instances = 0

export type MemoryStates = ReturnType<typeof memoryStates>

/** Botpress states in memory, served through getState/setState as the runtime API answers them (404 when absent). */
export const memoryStates = () => {
  const states = new Map<string, StatePayload>()
  const key = (type: string, id: string, name: string) => `${type}:${id}:${name}`
  const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T
  const state = (type: string, id: string, name: string, payload: StatePayload) => {
    const now = new Date().toISOString()
    return { state: { id: `state_${id}`, botId: 'bot_memory', conversationId: null, userId: null, name, type, payload, createdAt: now, updatedAt: now } }
  }
  const client: StateClient = {
    getState: async ({ type, id, name }) => {
      const payload = states.get(key(type, id, name))
      if (!payload) throw new ResourceNotFoundError(`No state ${name} for ${type} ${id}`)
      return state(type, id, name, clone(payload)) as unknown as GetState
    },
    setState: async ({ type, id, name, payload }) => {
      states.set(key(type, id, name), clone((payload ?? {}) as StatePayload))
      return state(type, id, name, clone((payload ?? {}) as StatePayload)) as unknown as SetState
    },
  }
  return {
    client,
    /** Unique per store: the engine's state cache is keyed by bot id, so stores never see each other's entries. */
    botId: `bot_memory_${++instances}`,
    seed: (type: StateType, id: string, name: string, payload: StatePayload) => void states.set(key(type, id, name), clone(payload)),
    peek: (type: StateType, id: string, name: string): StatePayload | undefined => states.get(key(type, id, name)),
  }
}

/** References built by the engine's own code over a fresh in-memory store. */
export const engineRefs = (store: MemoryStates = memoryStates()) => {
  const refs = createRefs(store.client, store.botId)
  return {
    store,
    /** A contact as createUser leaves it: profile and adapter data in the user state. */
    contact: (id: string, opts: { botpressUserId?: string; profile?: ContactProfile; data?: Data } = {}) => {
      const botpressUserId = opts.botpressUserId ?? 'user_01'
      store.seed('user', botpressUserId, STATE.contact, { profile: opts.profile ?? {}, data: opts.data ?? {} })
      const ref = refs.contactRef(id, botpressUserId)
      return Object.assign(ref, { state: (): Data => store.peek('user', botpressUserId, STATE.contact)?.data ?? {} })
    },
    /** A session as startHitl leaves it: provider ids in the conversation tags, adapter data in its state. */
    session: (id: string, opts: { altId?: string; contactId?: string; userId?: string; conversationId?: string; data?: Data } = {}) => {
      const conversationId = opts.conversationId ?? 'conv_01'
      store.seed('conversation', conversationId, STATE.session, { data: opts.data ?? {} })
      const ref = refs.sessionRef({
        id: conversationId,
        tags: { externalId: id, externalAltId: opts.altId, contactId: opts.contactId, userId: opts.userId },
      })
      return Object.assign(ref, { state: (): Data => store.peek('conversation', conversationId, STATE.session)?.data ?? {} })
    },
  }
}
