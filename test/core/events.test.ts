/**
 * hitlAssigned / hitlStopped exactly once (src/core/events.ts), as rules of their own: a scripted Botpress event API
 * (listed in any order, failing or committing-then-failing on demand), no emulator, no timing.
 */
import { emitOnce, emitStopped, lastEvent, type EventClient } from '../../src/core/events'

type Ev = { id: string; type: string; conversationId: string; createdAt: string; payload: Record<string, string> }

const scripted = (initial: Ev[] = []) => {
  const events = [...initial]
  const calls: string[] = []
  let failCreate: 'before' | 'after' | undefined
  let seq = 0
  const client = {
    listEvents: async ({ type, conversationId }: { type: string; conversationId: string }) => {
      calls.push('list')
      // Botpress does not promise an order: newest in the middle.
      const found = events.filter((e) => e.type === type && e.conversationId === conversationId)
      return { events: [...found.slice(1), ...found.slice(0, 1)].reverse(), meta: {} }
    },
    createEvent: async ({ type, conversationId, payload }: { type: string; conversationId: string; payload: Record<string, string> }) => {
      calls.push('create')
      if (failCreate === 'before') throw new Error('502 before commit')
      const event = { id: `evt_${++seq}`, type, conversationId, payload, createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, 10 + seq)).toISOString() }
      events.push(event)
      if (failCreate === 'after') throw new Error('502 after commit')
      return { event }
    },
  }
  return {
    client: client as unknown as EventClient,
    events,
    calls,
    failCreate: (when: 'before' | 'after' | undefined) => (failCreate = when),
  }
}

const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString()
const assigned = (id: string, userId: string, s: number): Ev => ({ id, type: 'hitlAssigned', conversationId: 'c1', createdAt: at(s), payload: { conversationId: 'c1', userId } })
const sameUser = (userId: string) => (e: { payload: Record<string, string> }) => e.payload.userId === userId

describe('lastEvent', () => {
  it('is the newest of the type for the conversation, whatever order Botpress lists them in', async () => {
    const api = scripted([assigned('e1', 'u1', 1), assigned('e3', 'u3', 3), assigned('e2', 'u2', 2), { ...assigned('x', 'u9', 9), conversationId: 'c2' }])
    expect((await lastEvent(api.client, 'hitlAssigned', 'c1'))?.id).toBe('e3')
    expect(await lastEvent(api.client, 'hitlStopped', 'c1')).toBeUndefined()
  })
})

describe('emitOnce', () => {
  it('creates the event when there is none, with its type, conversation and payload', async () => {
    const api = scripted()
    await expect(emitOnce(api.client, 'hitlAssigned', 'c1', { conversationId: 'c1', userId: 'u1' }, sameUser('u1'))).resolves.toBe(true)
    expect(api.events.map((e) => [e.type, e.conversationId, e.payload])).toEqual([['hitlAssigned', 'c1', { conversationId: 'c1', userId: 'u1' }]])
  })

  it('does not repeat the event when the newest one already matches', async () => {
    const api = scripted([assigned('e1', 'u2', 1), assigned('e2', 'u1', 2)])
    await expect(emitOnce(api.client, 'hitlAssigned', 'c1', { conversationId: 'c1', userId: 'u1' }, sameUser('u1'))).resolves.toBe(false)
    expect(api.calls).toEqual(['list'])
  })

  it('emits again when only an older one matches (assigned to A, then B, then A again)', async () => {
    const api = scripted([assigned('e1', 'u1', 1), assigned('e2', 'u2', 2)])
    await expect(emitOnce(api.client, 'hitlAssigned', 'c1', { conversationId: 'c1', userId: 'u1' }, sameUser('u1'))).resolves.toBe(true)
    expect(api.events.map((e) => e.payload.userId)).toEqual(['u1', 'u2', 'u1'])
  })

  it('a creation committed and then failed is recognised as emitted, not repeated, not reported', async () => {
    const api = scripted([assigned('e1', 'u2', 1)])
    api.failCreate('after')
    await expect(emitOnce(api.client, 'hitlAssigned', 'c1', { conversationId: 'c1', userId: 'u1' }, sameUser('u1'))).resolves.toBe(true)
    expect(api.calls).toEqual(['list', 'create', 'list'])
    expect(api.events.map((e) => e.payload.userId)).toEqual(['u2', 'u1'])
  })

  it('a creation that did not commit is reported (the redelivery repeats it), never hidden', async () => {
    const api = scripted([assigned('e1', 'u2', 1)])
    api.failCreate('before')
    await expect(emitOnce(api.client, 'hitlAssigned', 'c1', { conversationId: 'c1', userId: 'u1' }, sameUser('u1'))).rejects.toThrow('502 before commit')
    expect(api.calls).toEqual(['list', 'create', 'list'])
  })

  it('the event that was newest before a failed creation is not taken for the one that failed', async () => {
    // Nothing new after the failure: whatever matches() now says of the old event, it is not this emission.
    const api = scripted([assigned('e1', 'u1', 1)])
    api.failCreate('before')
    let asked = 0
    const changesItsMind = () => ++asked > 1
    await expect(emitOnce(api.client, 'hitlAssigned', 'c1', { conversationId: 'c1', userId: 'u1' }, changesItsMind)).rejects.toThrow('502 before commit')
    expect(api.events.map((e) => e.id)).toEqual(['e1'])
  })

  it('a new event found after a failure that is not ours is not taken for it', async () => {
    const api = scripted()
    api.failCreate('after')
    await expect(emitOnce(api.client, 'hitlAssigned', 'c1', { conversationId: 'c1', userId: 'u1' }, sameUser('someone else'))).rejects.toThrow('502 after commit')
  })

  it('when looking again fails too, the original error is reported', async () => {
    const api = scripted()
    api.failCreate('after')
    const client = {
      listEvents: async (x: never) => {
        if (api.calls.includes('create')) throw new Error('list failed')
        return (api.client as unknown as { listEvents: (x: never) => Promise<unknown> }).listEvents(x)
      },
      createEvent: api.client.createEvent,
    } as unknown as EventClient
    await expect(emitOnce(client, 'hitlAssigned', 'c1', { conversationId: 'c1', userId: 'u1' }, sameUser('u1'))).rejects.toThrow('502 after commit')
  })
})

describe('emitStopped', () => {
  it('emits hitlStopped once and marks the conversation closed, keeping the tags it is given, on every call', async () => {
    const api = scripted()
    const updates: unknown[] = []
    const client = { updateConversation: async (x: unknown) => (updates.push(x), {}) } as never
    await expect(emitStopped(client, api.client, { id: 'c1' }, { lastEventAt: '5000' })).resolves.toBe(true)
    await expect(emitStopped(client, api.client, { id: 'c1' })).resolves.toBe(false)
    expect(api.events.map((e) => [e.type, e.payload])).toEqual([['hitlStopped', { conversationId: 'c1' }]])
    expect(updates).toEqual([
      { id: 'c1', tags: { lastEventAt: '5000', status: 'closed' } },
      { id: 'c1', tags: { status: 'closed' } },
    ])
  })

  it('a failed event leaves the conversation as it was (the redelivery closes it)', async () => {
    const api = scripted()
    api.failCreate('before')
    const updates: unknown[] = []
    const client = { updateConversation: async (x: unknown) => (updates.push(x), {}) } as never
    await expect(emitStopped(client, api.client, { id: 'c1' })).rejects.toThrow('502 before commit')
    expect(updates).toEqual([])
  })
})
