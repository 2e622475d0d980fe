/**
 * An assignment or a close applied by exactly one delivery, across instances. Botpress Cloud runs several instances
 * of the integration at once, so one webhook (a provider's duplicate delivery, two subscriptions announcing one
 * change, a redelivery while the first try still runs) can reach two of them at the same moment; the in-process lock
 * (lock.ts) cannot see the other one, and reading the events before creating one is a check-then-act race.
 *
 * Botpress has no idempotency key for events, but `getOrCreateUser` with `discriminateByTags` is atomic: of two calls
 * with the same tags, one creates the user and both get that same user. So each transition claims a small user tagged
 * `kind: claim` and `claim: <key>`, where the key names the session, the transition and the session state it starts
 * from (its agent and ordering tags): two deliveries of one change compute the same key; the next change of the session
 * starts from another state and gets another key. The delivery whose name (a random nonce) the claim carries applies
 * the transition; it emits the hitl event and writes the session tags in parallel. Paid only on assignments and closes
 * (one round trip, alongside the agent's user on an assignment), never on messages.
 *
 * A delivery that finds the claim taken by another looks at the session's last event of that type: emitted since the
 * claim → the transition happened (its tags are written again, in case the owner failed before) and nothing is
 * emitted; not emitted and the claim is recent → the owner is still at work: 503, the provider delivers again later;
 * not emitted and the claim older than the lease → the owner is gone (a crash, a cut connection): the delivery claims
 * the successor of that claim, so that again only one takes over.
 */
import { randomBytes } from 'node:crypto'
import type { Conversation, Event } from '@botpress/client'
import type { BotClient } from './botpress'
import type { EngineContext } from './context'
import { sha256 } from './crypto'
import { RetryLaterError } from './errors'
import type { HitlEventType } from './events'

/** User tag values of a claim (see the definition's user tags). */
export const CLAIM_KIND = 'claim'
/** How long the owner of a claim has to finish before another delivery may take over. */
export const CLAIM_LEASE_MS = 60_000
/** Successive takeovers one delivery tries before asking for a later redelivery. */
const MAX_TAKEOVERS = 3

export type Transition = {
  type: HitlEventType
  conversation: Pick<Conversation, 'id' | 'tags'>
  /** What the transition is about besides its type: the agent's provider id for an assignment. */
  subject: string
  /** The agent's Botpress user (hitlAssigned): already known, or the write that stores it (run alongside the claim). */
  agent?: () => Promise<{ id: string }>
  /** The conversation tags the transition writes. */
  tags: Record<string, string>
}

type Claim = { id: string; won: boolean; createdAt: number }

/** The claim key: the session, the transition and the state it starts from. */
export const claimKey = (t: Pick<Transition, 'type' | 'conversation' | 'subject'>): string => {
  const { tags } = t.conversation
  const from = [tags.status, tags.agentId, tags.lastEventAt, tags.lastEventProofs].map((v) => v ?? '')
  return sha256(JSON.stringify([t.conversation.id, t.type, t.subject, ...from])).slice(0, 40)
}

const CLAIM_NAME = 'hitl claim'

const takeClaim = async (client: Pick<BotClient, 'getOrCreateUser'>, key: string): Promise<Claim> => {
  const nonce = randomBytes(9).toString('base64url')
  const { user } = await client.getOrCreateUser({
    name: `${CLAIM_NAME} ${nonce}`,
    tags: { kind: CLAIM_KIND, claim: key },
    discriminateByTags: ['claim'],
  })
  return { id: user.id, won: user.name === `${CLAIM_NAME} ${nonce}`, createdAt: Date.parse(user.createdAt) }
}

type Found = Pick<Event, 'id' | 'createdAt' | 'payload'>

/** The session's latest event of `type`, or undefined. */
const latestEvent = async (ctx: EngineContext, type: HitlEventType, conversationId: string): Promise<Found | undefined> => {
  const { events } = await ctx.events.listEvents({ type, conversationId })
  return [...events].sort((a, b) => b.createdAt.localeCompare(a.createdAt))[0]
}

/** Whether the transition's event exists, created since the claim (a close happens once: any hitlStopped counts). */
const emittedSince = async (ctx: EngineContext, t: Transition, claim: Claim, agentUserId: string | undefined) => {
  const last = await latestEvent(ctx, t.type, t.conversation.id)
  if (!last) return false
  if (t.type === 'hitlStopped') return true
  return last.payload?.userId === agentUserId && Date.parse(last.createdAt) >= claim.createdAt
}

/** Tags as they were before the transition, to put back when its event could not be emitted ('' removes a tag). */
const previous = (t: Transition) => Object.fromEntries(Object.keys(t.tags).map((k) => [k, t.conversation.tags[k] ?? '']))

/**
 * Applies the transition once across deliveries and instances: emits its hitl event and writes its tags. Returns
 * whether this delivery emitted the event (false: another one did).
 */
export const applyOnce = async (ctx: EngineContext, t: Transition): Promise<boolean> => {
  let key = claimKey(t)
  const [first, agent] = await Promise.all([takeClaim(ctx.client, key), t.agent?.()])
  let claim = first
  for (let takeovers = 0; !claim.won; takeovers++) {
    if (await emittedSince(ctx, t, claim, agent?.id)) {
      // Emitted by the owner: make sure the session says so (the owner may have failed after the event), emit nothing.
      await ctx.client.updateConversation({ id: t.conversation.id, tags: t.tags })
      return false
    }
    if (Date.now() - claim.createdAt < CLAIM_LEASE_MS || takeovers >= MAX_TAKEOVERS) {
      throw new RetryLaterError(`this ${t.type === 'hitlStopped' ? 'close' : 'assignment'} is being applied by another delivery`)
    }
    key = `${key}>${claim.id}`
    claim = await takeClaim(ctx.client, key)
  }
  const conversationId = t.conversation.id
  const payload: Record<string, string> = agent ? { conversationId, userId: agent.id } : { conversationId }
  const [event, tags] = await Promise.allSettled([
    ctx.events.createEvent({ type: t.type, conversationId, payload }),
    ctx.client.updateConversation({ id: conversationId, tags: t.tags }),
  ])
  if (event.status === 'rejected') {
    // Botpress may have committed the event before failing (a 502 after the commit): then it is emitted.
    const committed = await emittedSince(ctx, t, claim, agent?.id).catch(() => false)
    if (!committed) {
      // Not emitted: undo what this delivery wrote, so that the redelivery finds the session as it was and claims again.
      await Promise.allSettled([
        tags.status === 'fulfilled' ? ctx.client.updateConversation({ id: conversationId, tags: previous(t) }) : undefined,
        deleteClaim(ctx.client, claim.id),
      ])
      throw event.reason
    }
  }
  // Emitted but the tags not written: the redelivery finds the claim and the event, and writes them.
  if (tags.status === 'rejected') throw tags.reason
  return true
}

const deleteClaim = (client: Pick<BotClient, 'deleteUser'>, id: string) => client.deleteUser({ id })

/**
 * How long a claim is kept. A claim matters while its transition may still be in flight (the lease) or be delivered
 * again after a partial failure (the event emitted, the tags not written): providers stop redelivering within hours,
 * and after the transition the session starts from another state, so no later delivery computes that claim's key.
 */
export const CLAIM_RETENTION_MS = 24 * 3_600_000
/** At most this many claims are removed per sweep: a save stays fast, the rest goes on the next one. */
const SWEEP_MAX = 200

/**
 * Removes claims older than the retention (one small user per assignment or close would otherwise pile up). Run on
 * register, bounded; always from the first page again, since deleting shifts the listing. Returns how many it removed.
 */
export const sweepClaims = async (
  client: Pick<BotClient, 'listUsers' | 'deleteUser'>,
  options: { now?: number; max?: number } = {}
): Promise<number> => {
  const beforeDate = new Date((options.now ?? Date.now()) - CLAIM_RETENTION_MS).toISOString()
  const max = options.max ?? SWEEP_MAX
  let removed = 0
  while (removed < max) {
    const { users } = await client.listUsers({ tags: { kind: CLAIM_KIND }, rangeField: 'createdAt', beforeDate })
    // Only what the listing proves is an old claim (a client that ignores a filter must not make us delete others).
    const old = users.filter((u) => u.tags.kind === CLAIM_KIND && !!u.tags.claim && u.createdAt < beforeDate).slice(0, max - removed)
    if (!old.length) break
    await Promise.all(old.map((u) => deleteClaim(client, u.id)))
    removed += old.length
  }
  return removed
}
