import { CLAIM_KIND, CLAIM_RETENTION_MS, sweepClaims } from '../../src/core/claim'

type U = { id: string; createdAt: string; tags: Record<string, string> }

const NOW = Date.parse('2026-12-07T12:00:00.000Z')
const at = (msAgo: number) => new Date(NOW - msAgo).toISOString()

/** A Botpress stand-in for the two operations, paging by 2 like a small page size; `honourFilters: false` returns everything. */
const client = (users: U[], honourFilters = true) => {
  const store = new Map(users.map((u) => [u.id, u]))
  const deleted: string[] = []
  return {
    deleted,
    left: () => [...store.keys()].sort(),
    listUsers: async (q: { tags?: Record<string, string>; beforeDate?: string }) => {
      const all = [...store.values()].filter(
        (u) => !honourFilters || (Object.entries(q.tags ?? {}).every(([k, v]) => u.tags[k] === v) && (!q.beforeDate || u.createdAt < q.beforeDate))
      )
      return { users: all.slice(0, 2), meta: {} }
    },
    deleteUser: async ({ id }: { id: string }) => {
      deleted.push(id)
      store.delete(id)
      return {}
    },
  }
}

const claim = (id: string, msAgo: number): U => ({ id, createdAt: at(msAgo), tags: { kind: CLAIM_KIND, claim: `k-${id}` } })
const day = CLAIM_RETENTION_MS

describe('sweepClaims (claim users removed once past their retention)', () => {
  it('removes every claim older than the retention, page after page, and nothing else', async () => {
    const c = client([
      claim('old1', day + 1), claim('old2', 2 * day), claim('old3', 3 * day), claim('old4', day + 60_000), claim('old5', 10 * day),
      claim('young1', day - 1_000), claim('young2', 1_000),
      { id: 'agent', createdAt: at(5 * day), tags: { kind: 'agent' } },
    ])
    expect(await sweepClaims(c as never, { now: NOW })).toBe(5)
    expect(c.left()).toEqual(['agent', 'young1', 'young2'])
  })

  it('stops at its bound (a save stays fast); the next sweep takes the rest', async () => {
    const c = client([claim('a', 2 * day), claim('b', 2 * day), claim('c', 2 * day)])
    expect(await sweepClaims(c as never, { now: NOW, max: 2 })).toBe(2)
    expect(c.left()).toHaveLength(1)
    expect(await sweepClaims(c as never, { now: NOW, max: 2 })).toBe(1)
    expect(c.left()).toEqual([])
  })

  it('deletes only what it can see is an old claim, even when the listing ignores its filters', async () => {
    const c = client([{ id: 'user', createdAt: at(9 * day), tags: { kind: 'agent' } }, claim('young', 1_000), claim('old', 2 * day)], false)
    expect(await sweepClaims(c as never, { now: NOW })).toBe(0)
    expect(c.deleted).toEqual([])
  })
})

describe('register sweeps expired claims (through the SDK handler and the Botpress emulator)', () => {
  // Required here so that the unit tests above stay free of the rig.
  const { HttpFake } = require('../providers/http/fake') as typeof import('../providers/http/fake')
  const { useFakeRig } = require('../support/rig') as typeof import('../support/rig')
  const rig = useFakeRig(new HttpFake(), { reset: true })

  it('a save removes claim users older than the retention and keeps young claims and every other user', async () => {
    const store = rig.emulator.store
    const insert = (tags: Record<string, string>, msAgo: number) => {
      const user = store.insertUser({ tags })
      user.createdAt = new Date(Date.now() - msAgo).toISOString() // the store keeps this very object
      return user.id
    }
    const old = [insert({ kind: CLAIM_KIND, claim: 'k1' }, 2 * day), insert({ kind: CLAIM_KIND, claim: 'k2' }, day + 60_000)]
    const young = insert({ kind: CLAIM_KIND, claim: 'k3' }, 60_000)
    const agent = insert({ kind: 'agent', externalId: 'a1', provider: 'http' }, 5 * day)
    await rig.driver.register()
    const left = rig.users().map((u: { id: string }) => u.id)
    expect(left).toEqual(expect.arrayContaining([young, agent]))
    for (const id of old) expect(left).not.toContain(id)
  })
})
