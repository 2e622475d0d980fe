/**
 * The hitl actions: createUser, startHitl, stopHitl. Every value with a Botpress limit is brought within it before the
 * provider is called, so that Botpress never refuses what the provider already created.
 */
import { isApiError, type Conversation, type User } from '@botpress/client'
import { BOT_NAME, HITL_CHANNEL } from './botpress'
import { ambientClock } from './clock'
import { clean, ownerContext, type EngineContext } from './context'
import { errorMessage, HitlError } from './errors'
import { classifyContactPoint, LIMITS, pictureUrl as avatar, userName } from './limits'
import { STATE } from './refs'
import { buildTranscript, type HistoryMessage } from './transcript'
import type { ContactProfile, Data, HitlSessionExtras } from './types'

export type CreateUserInput = { name?: string; email?: string; pictureUrl?: string }
export type StartHitlInput = {
  userId: string
  title?: string
  description?: string
  hitlSession?: HitlSessionExtras
  messageHistory?: HistoryMessage[]
}

export const createUser = async (ctx: EngineContext, input: CreateUserInput): Promise<{ userId: string }> => {
  const { adapter, name: provider } = ctx.active
  const name = userName(input.name) ?? 'Unknown User'
  const point = classifyContactPoint(input.email)
  const pictureUrl = avatar(input.pictureUrl)
  const contact = await adapter.createContact({ name, ...point, pictureUrl })
  const { user } = await ctx.client.getOrCreateUser({
    name,
    pictureUrl,
    tags: { externalId: contact.id, provider, kind: 'end-user' },
    discriminateByTags: ['externalId', 'provider', 'kind'],
  })
  if (user.name !== name || (pictureUrl && user.pictureUrl !== pictureUrl)) {
    await ctx.client.updateUser({ id: user.id, name, pictureUrl })
  }
  const profile: ContactProfile = clean({ name, ...point, pictureUrl })
  await ctx.refs.writeState('user', user.id, STATE.contact, { profile, data: contact.data ?? {} })
  return { userId: user.id }
}

export const startHitl = async (ctx: EngineContext, input: StartHitlInput): Promise<{ conversationId: string }> => {
  if (!input.userId) throw new HitlError('startHitl needs the userId returned by createUser')
  const { adapter, name: provider } = ctx.active
  const user = await getEndUser(ctx, input.userId, { anyProvider: true })
  const contact = await contactOn(ctx, user)

  const history = Array.isArray(input.messageHistory) ? input.messageHistory : []
  const names = await userNames(ctx, history, user)
  const transcript = buildTranscript(history, { user: (id) => names.get(id) ?? 'User', bot: BOT_NAME })

  // The conversation exists before the provider ticket so the ticket can carry its id; on failure both are undone.
  const { conversation } = await ctx.client.createConversation({
    channel: HITL_CHANNEL,
    tags: { provider, contactId: contact.id, userId: user.id, status: 'opening' },
  })
  let opened: { id: string; altId?: string; data?: Data } | undefined
  try {
    const extras = input.hitlSession ?? {}
    opened = await adapter.openSession({
      botpressConversationId: conversation.id,
      contact,
      title: input.title?.trim() || undefined,
      description: input.description?.trim() || undefined,
      extras: clean({ priority: extras.priority, routing: extras.routing, subject: extras.subject }) as HitlSessionExtras,
      transcript,
    })
    if (opened.data && Object.keys(opened.data).length) {
      await ctx.refs.writeState('conversation', conversation.id, STATE.session, { data: opened.data })
    }
    await ctx.client.updateConversation({
      id: conversation.id,
      tags: clean({ externalId: opened.id, externalAltId: opened.altId, status: 'open' }),
    })
  } catch (error) {
    await undoStart(ctx, conversation, opened)
    throw error
  }
  return { conversationId: conversation.id }
}

const undoStart = async (ctx: EngineContext, conversation: Conversation, opened: { id: string; altId?: string } | undefined) => {
  const warn = (e: unknown) => ctx.active.logger.warn(`startHitl cleanup: ${errorMessage(e)}`)
  if (opened) {
    const session = ctx.refs.sessionRef({ ...conversation, tags: { ...conversation.tags, externalId: opened.id } })
    await ctx.active.adapter.closeSession(session).catch(warn)
  }
  await ctx.client.deleteConversation({ id: conversation.id }).catch(warn)
}

export const stopHitl = async (engine: EngineContext, input: { conversationId: string }): Promise<Record<string, never>> => {
  const { conversation } = await engine.client.getConversation({ id: input.conversationId })
  if (conversation.channel !== HITL_CHANNEL || !conversation.tags.provider) {
    throw new HitlError(`Conversation ${input.conversationId} is not a HITL session of this integration`)
  }
  if (conversation.tags.status === 'closed') return {}
  // Opened before a switch on a provider still configured: closed there, by its own adapter.
  const ctx = ownerContext(engine, conversation.tags.provider)
  const { client, active } = ctx
  // Marked closed first: the provider's own "closed" webhook for this close must not emit a second hitlStopped.
  // Who closed it and when ride on the same update: a bot message arriving just after is the plugin's closing notice (send.ts).
  await client.updateConversation({ id: conversation.id, tags: { status: 'closed', ...closedTags('bot') } })
  if (conversation.tags.provider !== active.name) {
    // Opened on a provider used before a switch whose section is gone: nothing to close it with any more.
    active.logger.info(`stopHitl: session ${conversation.id} belongs to provider ${conversation.tags.provider}; closed locally`)
  } else if (conversation.tags.externalId) {
    try {
      await active.adapter.closeSession(ctx.refs.sessionRef(conversation))
    } catch (error) {
      await client
        .updateConversation({ id: conversation.id, tags: { status: conversation.tags.status || 'open' } })
        .catch(() => undefined)
      throw error
    }
  }
  if (active !== engine.active) await drained(ctx, active)
  return {}
}

/** Conversation tags `closedBy` / `closedAt`, written with the close itself. */
export const closedTags = (by: 'bot' | 'agent'): { closedBy: string; closedAt: string } => ({
  closedBy: by,
  closedAt: String(Math.trunc(ambientClock.now())),
})

/** After a session of a draining provider closed: let the composition remove that provider once it has none left. */
const drained = async (ctx: EngineContext, provider: EngineContext['active']) => {
  try {
    await ctx.owners?.closed?.(provider)
  } catch (error) {
    provider.logger.warn(`after closing a session of ${provider.definition.title}: ${errorMessage(error)}`)
  }
}

/**
 * The end user's contact on the active provider. A user createUser made on another provider (linked before a switch:
 * the HITL plugin keeps using the user it linked) gets a contact on the active one, created once from the profile
 * createUser kept and remembered with the user, apart from the first provider's data.
 */
export const contactOn = async (ctx: EngineContext, user: User) => {
  const provider = ctx.active.name
  if (user.tags.provider === provider) return ctx.refs.contactRef(user.tags.externalId!, user.id)
  const state = await ctx.refs.readState('user', user.id, STATE.contact)
  const known = state.others && Object.prototype.hasOwnProperty.call(state.others, provider) ? state.others[provider] : undefined
  if (known?.id) return ctx.refs.contactRef(known.id, user.id, provider)
  const profile = state.profile ?? {}
  const name = profile.name ?? user.name ?? 'Unknown User'
  const created = await ctx.active.adapter.createContact({ botpressUserId: user.id, name, ...clean({ email: profile.email, phone: profile.phone, pictureUrl: profile.pictureUrl }) })
  if (!created.id || created.id.length > LIMITS.tagValue) throw new HitlError(`${ctx.active.definition.title} answered createContact with an id Botpress cannot store`)
  await ctx.refs.writeState('user', user.id, STATE.contact, { ...state, others: { ...(state.others ?? {}), [provider]: { id: created.id, data: created.data ?? {} } } })
  ctx.active.logger.info(`user ${user.id} was linked on provider ${user.tags.provider}: contact ${created.id} created on ${ctx.active.definition.title}`)
  return ctx.refs.contactRef(created.id, user.id, provider)
}

export const getEndUser = async (ctx: EngineContext, userId: string, options: { anyProvider?: boolean } = {}): Promise<User> => {
  const provider = ctx.active.name
  const { user } = await ctx.client.getUser({ id: userId }).catch((error: unknown) => {
    if (isApiError(error) && error.code === 404) throw new HitlError(`User ${userId} does not exist: call createUser first`)
    throw error
  })
  const ours = user.tags.kind !== 'agent' && !!user.tags.provider && !!user.tags.externalId
  if (options.anyProvider ? !ours : user.tags.provider !== provider || !user.tags.externalId || user.tags.kind === 'agent') {
    throw new HitlError(
      `User ${userId} was not created by this integration's createUser for provider "${provider}": call createUser first`
    )
  }
  return user
}

const userNames = async (ctx: EngineContext, history: HistoryMessage[], known: User): Promise<Map<string, string>> => {
  const names = new Map<string, string>([[known.id, known.name || 'User']])
  const others = [...new Set(history.flatMap((m) => (m.source?.type === 'user' ? [m.source.userId] : [])))].filter(
    (id) => id && !names.has(id)
  )
  await Promise.all(
    others.map(async (id) => {
      const user = await ctx.client.getUser({ id }).then((r) => r.user).catch(() => undefined)
      names.set(id, user?.name || 'User')
    })
  )
  return names
}
