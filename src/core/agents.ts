/**
 * The Botpress user of an agent, created on first sight with name and avatar, refreshed when they change. Looked up
 * only once the session is known (an event for a foreign chat creates nothing); warm instances answer from memory.
 */
import type { BotClient } from './botpress'
import { createCache } from './cache'
import { sanitizeAgent } from './limits'
import type { Agent, ProviderAdapter } from './types'

type KnownAgent = { id: string; name?: string; pictureUrl?: string }

/** Agents already known to Botpress, by bot, provider and agent id: saves a round trip per webhook on warm instances. */
const agentCache = createCache<KnownAgent>({ name: 'engine.agents', max: 1000 })

const remember = (key: string, user: KnownAgent) =>
  agentCache.set(key, { id: user.id, name: user.name, pictureUrl: user.pictureUrl })

type AgentCtx = { client: BotClient; botId: string; provider: string; adapter: Pick<ProviderAdapter, 'describeAgent'> }

/**
 * The agent's Botpress user in two steps: `resolveAgent` does every read and provider lookup (nothing written, so a
 * provider failure there leaves Botpress untouched), and gives either the known user or the write that creates or
 * refreshes it, which the engine may run alongside another write (the assignment's claim).
 */
export const resolveAgent = async (ctx: AgentCtx, raw: Agent): Promise<{ known: KnownAgent } | { write: () => Promise<KnownAgent> }> => {
  const { client, adapter } = ctx
  const agent = sanitizeAgent(raw)
  const cacheKey = `${ctx.botId}:${ctx.provider}:${agent.id}`
  const cached = agentCache.get(cacheKey)
  const fresh = (u: KnownAgent) =>
    (!agent.name || u.name === agent.name) && (!agent.pictureUrl || u.pictureUrl === agent.pictureUrl)
  if (cached && fresh(cached)) return { known: cached }

  const tags = { externalId: agent.id, provider: ctx.provider, kind: 'agent' }
  let profile = agent
  if (!agent.name && !cached) {
    const { users } = await client.listUsers({ tags })
    const known = users[0]
    if (known) return { known: remember(cacheKey, known) }
    if (adapter.describeAgent) profile = { ...sanitizeAgent(await adapter.describeAgent(agent.id)), id: agent.id }
  }
  const write = async () => {
    const { user } = await client.getOrCreateUser({
      name: profile.name,
      pictureUrl: profile.pictureUrl,
      tags,
      discriminateByTags: ['externalId', 'provider', 'kind'],
    })
    // Some providers name the agent in events but never send the avatar: fetch it once for a user that has none.
    if (!user.pictureUrl && !profile.pictureUrl && profile === agent && adapter.describeAgent) {
      const described = await adapter.describeAgent(agent.id).then(sanitizeAgent, () => undefined)
      if (described?.pictureUrl) profile = { ...agent, name: agent.name ?? described.name, pictureUrl: described.pictureUrl }
    }
    const stale = (profile.name && user.name !== profile.name) || (profile.pictureUrl && user.pictureUrl !== profile.pictureUrl)
    if (stale) {
      const { user: updated } = await client.updateUser({ id: user.id, name: profile.name, pictureUrl: profile.pictureUrl })
      return remember(cacheKey, updated)
    }
    return remember(cacheKey, user)
  }
  return { write }
}

export const upsertAgent = async (ctx: AgentCtx, raw: Agent): Promise<KnownAgent> => {
  const resolved = await resolveAgent(ctx, raw)
  return 'known' in resolved ? resolved.known : resolved.write()
}
