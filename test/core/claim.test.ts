/**
 * One delivery applies an assignment or a close (src/core/claim.ts), path by path, against a Botpress stand-in whose
 * `getOrCreateUser` is atomic on the claim tag like Botpress's, and whose event and tag writes can fail before or after
 * they commit. What each path must leave: the events emitted (once), the tags written or put back, the claims kept or
 * removed, and the answer (applied, already applied, or "deliver again later").
 */
import { applyOnce, CLAIM_KIND, CLAIM_LEASE_MS, CLAIM_RETENTION_MS, claimKey, sweepClaims, type Transition } from '../../src/core/claim'
import type { EngineContext } from '../../src/core/context'
import { RetryLaterError } from '../../src/core/errors'

type User = { id: string; name: string; createdAt: string; tags: Record<string, string> }
type Event = { id: string; type: string; conversationId: string; createdAt: string; payload: Record<string, string> }

const T0 = Date.parse('2026-12-07T12:00:00.000Z')
const iso = (ms: number) => new Date(ms).toISOString()

const botpress = () => {
  let now = T0
  let ids = 0
  const users: User[] = []
  const events: Event[] = []
  const tagWrites: Array<{ id: string; tags: Record<string, string> }> = []
  const deleted: string[] = []
  const fail = { createEvent: undefined as 'before' | 'after' | undefined, updateConversation: 0, listEvents: false }
  const client = {
    getOrCreateUser: async (req: { name: string; tags: Record<string, string>; discriminateByTags: string[] }) => {
      expect(req.discriminateByTags).toEqual(['claim'])
      const found = users.find((u) => u.tags.claim === req.tags.claim)
      if (found) return { user: found }
      const user = { id: `user_${++ids}`, name: req.name, createdAt: iso(now), tags: req.tags }
      users.push(user)
      return { user }
    },
    updateConversation: async (req: { id: string; tags: Record<string, string> }) => {
      if (fail.updateConversation > 0) {
        fail.updateConversation--
        throw new Error('tags not written')
      }
      tagWrites.push(req)
      return { conversation: {} }
    },
    deleteUser: async ({ id }: { id: string }) => {
      deleted.push(id)
      users.splice(users.findIndex((u) => u.id === id), 1)
      return {}
    },
  }
  const eventClient = {
    listEvents: async (q: { type: string; conversationId: string }) => {
      if (fail.listEvents) throw new Error('cannot list')
      return { events: events.filter((e) => e.type === q.type && e.conversationId === q.conversationId) }
    },
    createEvent: async (req: { type: string; conversationId: string; payload: Record<string, string> }) => {
      const mode = fail.createEvent
      fail.createEvent = undefined
      if (mode === 'before') throw new Error('event refused')
      const event = { id: `evt_${++ids}`, createdAt: iso(now), ...req }
      events.push(event)
      if (mode === 'after') throw new Error('502 after commit')
      return { event }
    },
  }
  const ctx = { client, events: eventClient, botId: 'bot' } as unknown as EngineContext
  return {
    ctx,
    users,
    events,
    tagWrites,
    deleted,
    fail,
    tick: (ms: number) => (now += ms),
    setNow: (ms: number) => (now = ms),
    /** A claim another delivery took on `key`, `ageMs` old. */
    foreign: (key: string, ageMs: number) => {
      const user = { id: `user_${++ids}`, name: 'hitl claim someone-else', createdAt: iso(now - ageMs), tags: { kind: CLAIM_KIND, claim: key } }
      users.push(user)
      return user
    },
    /** An event another delivery emitted, `ageMs` ago. */
    emitted: (type: string, conversationId: string, payload: Record<string, string>, ageMs: number) =>
      events.push({ id: `evt_${++ids}`, type, conversationId, createdAt: iso(now - ageMs), payload }),
  }
}

const conversation = (tags: Record<string, string> = {}) => ({ id: 'conv_1', tags: { status: 'open', ...tags } })
const assign = (agentUserId = 'user_agent', tags: Record<string, string> = {}): Transition => ({
  type: 'hitlAssigned',
  conversation: conversation(tags),
  subject: 'agent-7',
  agent: async () => ({ id: agentUserId }),
  tags: { agentId: 'agent-7', lastEventAt: '5000' },
})
const close = (tags: Record<string, string> = {}): Transition => ({
  type: 'hitlStopped',
  conversation: conversation(tags),
  subject: '',
  tags: { status: 'closed', closedBy: 'agent' },
})

describe('claimKey', () => {
  const base = { type: 'hitlAssigned' as const, subject: 'a1', conversation: { id: 'c1', tags: { status: 'open', agentId: 'a0', lastEventAt: '1', lastEventProofs: 'p' } } }
  it('40 hex characters, the same for the same transition from the same state', () => {
    expect(claimKey(base)).toMatch(/^[0-9a-f]{40}$/)
    expect(claimKey({ ...base, conversation: { ...base.conversation, tags: { ...base.conversation.tags, unrelated: 'x' } } })).toBe(claimKey(base))
  })

  it('another session, transition, subject or starting state is another key', () => {
    const keys = [
      claimKey(base),
      claimKey({ ...base, conversation: { ...base.conversation, id: 'c2' } }),
      claimKey({ ...base, type: 'hitlStopped' }),
      claimKey({ ...base, subject: 'a2' }),
      ...(['status', 'agentId', 'lastEventAt', 'lastEventProofs'] as const).map((tag) =>
        claimKey({ ...base, conversation: { ...base.conversation, tags: { ...base.conversation.tags, [tag]: 'changed' } } })
      ),
    ]
    expect(new Set(keys).size).toBe(keys.length)
  })

  it('a missing tag is the same state as an empty one (Botpress removes a tag set to "")', () => {
    const empty = { ...base, conversation: { id: 'c1', tags: { status: '', agentId: '', lastEventAt: '', lastEventProofs: '' } } }
    expect(claimKey({ ...base, conversation: { id: 'c1', tags: {} } })).toBe(claimKey(empty))
  })
})

describe('applyOnce', () => {
  // Botpress's clock (the stand-in's) and ours agree.
  beforeEach(() => jest.spyOn(Date, 'now').mockReturnValue(T0))
  afterEach(() => jest.restoreAllMocks())

  it('the first delivery claims, emits the event with the agent and writes the tags', async () => {
    const bp = botpress()
    const t = assign()
    expect(await applyOnce(bp.ctx, t)).toBe(true)
    expect(bp.events.map((e) => [e.type, e.conversationId, e.payload])).toEqual([['hitlAssigned', 'conv_1', { conversationId: 'conv_1', userId: 'user_agent' }]])
    expect(bp.tagWrites).toEqual([{ id: 'conv_1', tags: t.tags }])
    expect(bp.users).toEqual([expect.objectContaining({ tags: { kind: CLAIM_KIND, claim: claimKey(t) } })])
    expect(bp.users[0]!.name).toMatch(/^hitl claim [A-Za-z0-9_-]{12}$/)
  })

  it('a close carries only the conversation', async () => {
    const bp = botpress()
    expect(await applyOnce(bp.ctx, close())).toBe(true)
    expect(bp.events.map((e) => e.payload)).toEqual([{ conversationId: 'conv_1' }])
  })

  it('two deliveries of one change: the second emits nothing, writes the tags again and says so', async () => {
    const bp = botpress()
    expect(await applyOnce(bp.ctx, assign())).toBe(true)
    bp.tick(10)
    expect(await applyOnce(bp.ctx, assign())).toBe(false)
    expect(bp.events).toHaveLength(1)
    expect(bp.tagWrites).toHaveLength(2)
    expect(bp.tagWrites[1]).toEqual(bp.tagWrites[0])
  })

  it('a claim held by another delivery that has not emitted yet: deliver again later, nothing written', async () => {
    const bp = botpress()
    bp.foreign(claimKey(assign()), 0)
    await expect(applyOnce(bp.ctx, assign())).rejects.toThrow(new RetryLaterError('this assignment is being applied by another delivery'))
    bp.foreign(claimKey(close()), 0)
    await expect(applyOnce(bp.ctx, close())).rejects.toThrow(new RetryLaterError('this close is being applied by another delivery'))
    expect(bp.events).toEqual([])
    expect(bp.tagWrites).toEqual([])
  })

  it('an assignment counts as emitted only for this agent, at or after the claim; the latest event decides', async () => {
    const bp = botpress()
    jest.spyOn(Date, 'now').mockReturnValue(T0)
    try {
      const claim = bp.foreign(claimKey(assign()), 0)
      // Before the claim: an earlier assignment, not this one.
      bp.emitted('hitlAssigned', 'conv_1', { conversationId: 'conv_1', userId: 'user_agent' }, 1)
      await expect(applyOnce(bp.ctx, assign())).rejects.toBeInstanceOf(RetryLaterError)
      // Another agent since the claim.
      bp.emitted('hitlAssigned', 'conv_1', { conversationId: 'conv_1', userId: 'user_other' }, 0)
      await expect(applyOnce(bp.ctx, assign())).rejects.toBeInstanceOf(RetryLaterError)
      // This agent, exactly when the claim was taken (and in another conversation, which does not count).
      bp.emitted('hitlAssigned', 'conv_2', { conversationId: 'conv_2', userId: 'user_agent' }, -5)
      bp.events.push({ id: 'evt_mine', type: 'hitlAssigned', conversationId: 'conv_1', createdAt: claim.createdAt.replace('.000Z', '.001Z'), payload: { conversationId: 'conv_1', userId: 'user_agent' } })
      expect(await applyOnce(bp.ctx, assign())).toBe(false)
      expect(bp.tagWrites).toEqual([{ id: 'conv_1', tags: assign().tags }])
      // The latest is another agent's again: not this one's.
      bp.emitted('hitlAssigned', 'conv_1', { conversationId: 'conv_1', userId: 'user_other' }, -10)
      await expect(applyOnce(bp.ctx, assign())).rejects.toBeInstanceOf(RetryLaterError)
    } finally {
      jest.restoreAllMocks()
    }
  })

  it('an assignment event at the very millisecond of the claim counts', async () => {
    const bp = botpress()
    jest.spyOn(Date, 'now').mockReturnValue(T0)
    try {
      bp.foreign(claimKey(assign()), 0)
      bp.emitted('hitlAssigned', 'conv_1', { conversationId: 'conv_1', userId: 'user_agent' }, 0)
      expect(await applyOnce(bp.ctx, assign())).toBe(false)
    } finally {
      jest.restoreAllMocks()
    }
  })

  it('any close of the session counts, even one older than the claim (a session closes once)', async () => {
    const bp = botpress()
    bp.foreign(claimKey(close()), 0)
    bp.emitted('hitlStopped', 'conv_1', { conversationId: 'conv_1' }, 60_000)
    expect(await applyOnce(bp.ctx, close())).toBe(false)
    expect(bp.events).toHaveLength(1)
    expect(bp.tagWrites).toEqual([{ id: 'conv_1', tags: close().tags }])
  })

  it('the lease: a claim younger than it holds; at its age the owner is gone and its successor is claimed', async () => {
    const bp = botpress()
    const key = claimKey(close())
    const stale = bp.foreign(key, CLAIM_LEASE_MS - 1)
    jest.spyOn(Date, 'now').mockReturnValue(T0)
    try {
      await expect(applyOnce(bp.ctx, close())).rejects.toBeInstanceOf(RetryLaterError)
      stale.createdAt = iso(T0 - CLAIM_LEASE_MS)
      expect(await applyOnce(bp.ctx, close())).toBe(true)
    } finally {
      jest.restoreAllMocks()
    }
    expect(bp.events).toHaveLength(1)
    expect(bp.users.map((u) => u.tags.claim)).toEqual([key, `${key}>${stale.id}`])
  })

  it('three takeovers at most: a fourth stale claim in the chain means deliver again later', async () => {
    const chain = (length: number) => {
      const bp = botpress()
      let key = claimKey(close())
      for (let i = 0; i < length; i++) key = `${key}>${bp.foreign(key, 2 * CLAIM_LEASE_MS).id}`
      return bp
    }
    jest.spyOn(Date, 'now').mockReturnValue(T0)
    try {
      const three = chain(3)
      expect(await applyOnce(three.ctx, close())).toBe(true)
      expect(three.users).toHaveLength(4)
      const four = chain(4)
      await expect(applyOnce(four.ctx, close())).rejects.toBeInstanceOf(RetryLaterError)
      expect(four.events).toEqual([])
      expect(four.users).toHaveLength(4)
    } finally {
      jest.restoreAllMocks()
    }
  })

  it('the event refused: the tags put back as they were, the claim removed, the error passed on; the redelivery applies it', async () => {
    const bp = botpress()
    bp.fail.createEvent = 'before'
    const t = assign('user_agent', { agentId: 'agent-0' })
    await expect(applyOnce(bp.ctx, t)).rejects.toThrow('event refused')
    expect(bp.tagWrites).toEqual([
      { id: 'conv_1', tags: t.tags },
      { id: 'conv_1', tags: { agentId: 'agent-0', lastEventAt: '' } },
    ])
    expect(bp.users).toEqual([])
    expect(bp.deleted).toHaveLength(1)
    expect(await applyOnce(bp.ctx, t)).toBe(true)
    expect(bp.events).toHaveLength(1)
  })

  it('the event refused and the tags not written either: nothing to put back, the claim removed', async () => {
    const bp = botpress()
    bp.fail.createEvent = 'before'
    bp.fail.updateConversation = 1
    await expect(applyOnce(bp.ctx, close())).rejects.toThrow('event refused')
    expect(bp.tagWrites).toEqual([])
    expect(bp.users).toEqual([])
  })

  it('the event refused and its check failing too: taken as not emitted (put back, passed on)', async () => {
    const bp = botpress()
    bp.fail.createEvent = 'before'
    bp.fail.listEvents = true
    await expect(applyOnce(bp.ctx, close())).rejects.toThrow('event refused')
    expect(bp.users).toEqual([])
    expect(bp.tagWrites.at(-1)).toEqual({ id: 'conv_1', tags: { status: 'open', closedBy: '' } })
  })

  it('the event committed before a 502: applied, nothing put back, the claim kept', async () => {
    const bp = botpress()
    bp.fail.createEvent = 'after'
    expect(await applyOnce(bp.ctx, close())).toBe(true)
    expect(bp.events).toHaveLength(1)
    expect(bp.tagWrites).toEqual([{ id: 'conv_1', tags: close().tags }])
    expect(bp.users).toHaveLength(1)
    expect(bp.deleted).toEqual([])
  })

  it('the event emitted but the tags not written: the error passed on; the redelivery writes them and emits nothing', async () => {
    const bp = botpress()
    bp.fail.updateConversation = 1
    await expect(applyOnce(bp.ctx, close())).rejects.toThrow('tags not written')
    expect(bp.events).toHaveLength(1)
    expect(bp.users).toHaveLength(1)
    expect(await applyOnce(bp.ctx, close())).toBe(false)
    expect(bp.events).toHaveLength(1)
    expect(bp.tagWrites).toEqual([{ id: 'conv_1', tags: close().tags }])
  })
})

describe('sweepClaims bounds', () => {
  const listing = (users: Array<{ id: string; createdAt: string; tags: Record<string, string> }>) => {
    const left = new Map(users.map((u) => [u.id, u]))
    return {
      left,
      listUsers: async () => ({ users: [...left.values()].slice(0, 50), meta: {} }),
      deleteUser: async ({ id }: { id: string }) => void left.delete(id),
    }
  }
  it('removes at most 200 per sweep by default, and none created exactly at the retention limit', async () => {
    const now = Date.now()
    const old = Array.from({ length: 201 }, (_, i) => ({ id: `c${i}`, createdAt: iso(now - CLAIM_RETENTION_MS - 60_000), tags: { kind: CLAIM_KIND, claim: `k${i}` } }))
    const client = listing(old)
    expect(await sweepClaims(client as never)).toBe(200)
    expect(client.left.size).toBe(1)
    const edge = listing([{ id: 'edge', createdAt: iso(T0 - CLAIM_RETENTION_MS), tags: { kind: CLAIM_KIND, claim: 'k' } }])
    expect(await sweepClaims(edge as never, { now: T0 })).toBe(0)
    const claimless = listing([{ id: 'u', createdAt: iso(T0 - 2 * CLAIM_RETENTION_MS), tags: { kind: CLAIM_KIND, claim: '' } }])
    expect(await sweepClaims(claimless as never, { now: T0 })).toBe(0)
  })
})
