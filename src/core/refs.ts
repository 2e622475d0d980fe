/**
 * The engine's references to what it keeps in Botpress states: the end user's contact (user state) and the session
 * (conversation state) an adapter reads and extends. Tests build adapters on these same references (test/support/refs.ts)
 * so that `saveData` behaves as in production: a merge into what was saved before.
 */
import { isApiError, type Client } from '@botpress/client'
import { createCache } from './cache'
import type { ContactProfile, ContactRef, Data, SessionRef } from './types'

export const STATE = { provider: 'providerData', session: 'sessionData', contact: 'contactData' } as const

export type StateClient = Pick<Client, 'getState' | 'setState'>
export type StateType = 'user' | 'conversation'
export type StatePayload = { profile?: ContactProfile; data?: Data; others?: Record<string, OtherContact> }
/**
 * The end user's contact on a provider other than the one createUser made it on (a user linked before a switch and
 * escalated after it): its id there and that adapter's data, kept apart from the first provider's.
 */
export type OtherContact = { id: string; data?: Data }
/** The parts of a Botpress conversation a session reference needs. */
export type ConversationLike = { id: string; tags: Record<string, string | undefined> }

/**
 * Session and contact data read recently on this instance. Botpress states stay the truth (another instance may have
 * written since), so entries live a few minutes and adapters treat what they hold as possibly stale: a refused token
 * is renewed and saved, which refreshes the entry. Saves one Botpress round trip per message on warm instances.
 */
const stateCache = createCache<StatePayload>({ name: 'engine.states', max: 2000, ttlMs: 5 * 60_000 })

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

const asPayload = (raw: unknown): StatePayload => {
  if (!isRecord(raw)) return {}
  return {
    ...raw,
    profile: isRecord(raw.profile) ? (raw.profile as ContactProfile) : undefined,
    data: isRecord(raw.data) ? raw.data : undefined,
    others: isRecord(raw.others) ? (raw.others as Record<string, OtherContact>) : undefined,
  }
}

export type Refs = ReturnType<typeof createRefs>

export const createRefs = (client: StateClient, botId: string) => {
  const key = (type: StateType, id: string, name: string) => `${botId}:${type}:${id}:${name}`

  const readState = async (type: StateType, id: string, name: string): Promise<StatePayload> => {
    const cached = stateCache.get(key(type, id, name))
    if (cached) return cached
    let payload: StatePayload
    try {
      const { state } = await client.getState({ type, id, name })
      payload = asPayload(state.payload)
    } catch (error) {
      if (!(isApiError(error) && error.code === 404)) throw error
      payload = {}
    }
    return stateCache.set(key(type, id, name), payload)
  }

  const writeState = async (type: StateType, id: string, name: string, payload: StatePayload) => {
    await client.setState({ type, id, name, payload })
    stateCache.set(key(type, id, name), payload)
  }

  /** The contact `other` names on `provider`, when it is one createUser did not make (see OtherContact). */
  const otherOf = (payload: StatePayload, provider: string | undefined, contactId: string): OtherContact | undefined => {
    const other = provider && payload.others && Object.prototype.hasOwnProperty.call(payload.others, provider) ? payload.others[provider] : undefined
    return isRecord(other) && other.id === contactId ? other : undefined
  }

  /** `provider`: the provider of the session the contact is used for; its own data is used when it is not createUser's. */
  const contactRef = (contactId: string, botpressUserId: string, provider?: string): ContactRef => {
    let loaded: Promise<StatePayload> | undefined
    const load = () => (loaded ??= readState('user', botpressUserId, STATE.contact))
    return {
      id: contactId,
      botpressUserId,
      profile: async () => (await load()).profile ?? {},
      data: async () => {
        const payload = await load()
        return (otherOf(payload, provider, contactId) ? otherOf(payload, provider, contactId)!.data : payload.data) ?? {}
      },
      saveData: async (data) => {
        const current = await load()
        const other = otherOf(current, provider, contactId)
        const next: StatePayload =
          other && provider
            ? { ...current, others: { ...(current.others ?? {}), [provider]: { id: contactId, data: { ...(other.data ?? {}), ...data } } } }
            : { ...current, data: { ...(current.data ?? {}), ...data } }
        loaded = Promise.resolve(next)
        await writeState('user', botpressUserId, STATE.contact, next)
      },
    }
  }

  const sessionRef = (conversation: ConversationLike): SessionRef => {
    const { tags } = conversation
    let loaded: Promise<Data> | undefined
    const load = () => (loaded ??= readState('conversation', conversation.id, STATE.session).then((p) => p.data ?? {}))
    return {
      id: tags.externalId ?? '',
      altId: tags.externalAltId || undefined,
      botpressConversationId: conversation.id,
      contactId: tags.contactId || undefined,
      contact: tags.contactId && tags.userId ? contactRef(tags.contactId, tags.userId, tags.provider) : undefined,
      data: load,
      saveData: async (data) => {
        const next = { ...(await load()), ...data }
        loaded = Promise.resolve(next)
        await writeState('conversation', conversation.id, STATE.session, { data: next })
      },
    }
  }

  return { readState, writeState, contactRef, sessionRef }
}
