/**
 * Issue 27 (4), the paths the two-process test cannot reach on demand: an assignment or close whose claim another
 * delivery holds (src/core/claim.ts). A young claim with no event yet: the owner is at work, 503 and nothing applied.
 * The same claim once older than the lease: the owner is gone (a crashed or cut-off instance), this delivery takes
 * over and applies it once. A claim whose owner emitted the event but failed before the tags: the redelivery writes the
 * tags and emits nothing.
 */
import { CLAIM_KIND, CLAIM_LEASE_MS, claimKey } from '../../src/core/claim'
import { HttpFake } from '../providers/http/fake'
import { useFakeRig } from '../support/rig'

const fake = new HttpFake()
const rig = useFakeRig(fake, { reset: true, strict: true })
const alice = { id: 'agent-alice', name: 'Alice' }

const open = async () => {
  const { userId } = await rig.driver.callAction('createUser', { name: 'Jane', email: 'jane@example.com' })
  const { conversationId } = await rig.driver.callAction('startHitl', { userId, title: 'Help', messageHistory: [] })
  return { conversationId: conversationId as string, sessionId: rig.conversation(conversationId).tags.externalId as string }
}

/** A claim of another delivery on the transition the session is about to make, created `ageMs` ago. */
const foreignClaim = (conversationId: string, type: 'hitlAssigned' | 'hitlStopped', subject: string, ageMs: number) => {
  const conversation = rig.conversation(conversationId)
  const key = claimKey({ type, conversation: { id: conversation.id, tags: conversation.tags }, subject })
  const user = rig.emulator.store.insertUser({ name: 'hitl claim of-another-instance', tags: { kind: CLAIM_KIND, claim: key } })
  user.createdAt = new Date(Date.now() - ageMs).toISOString()
  return user
}

const count = (type: string, conversationId: string) => rig.events(type).filter((e) => e.conversationId === conversationId).length

describe('a claim held by another delivery', () => {
  it('young and nothing emitted → 503, nothing applied; older than the lease → taken over, applied once', async () => {
    const { conversationId, sessionId } = await open()
    const claim = foreignClaim(conversationId, 'hitlAssigned', alice.id, 0)
    const req = await fake.agentAssigned(sessionId, alice)
    expect((await rig.webhook(req)).status).toBe(503)
    expect(count('hitlAssigned', conversationId)).toBe(0)
    expect(rig.conversation(conversationId).tags.agentId).toBeUndefined()

    claim.createdAt = new Date(Date.now() - CLAIM_LEASE_MS - 1000).toISOString()
    expect((await rig.webhook(req)).status).toBe(200)
    expect((await rig.webhook(req)).status).toBe(200)
    expect(count('hitlAssigned', conversationId)).toBe(1)
    expect(rig.conversation(conversationId).tags.agentId).toBe(alice.id)
  })

  it('the owner emitted the event but not the tags → the redelivery writes the tags and emits nothing', async () => {
    const { conversationId, sessionId } = await open()
    foreignClaim(conversationId, 'hitlStopped', '', 0)
    rig.emulator.store.createEvent({ params: {}, query: {}, body: { type: 'hitlStopped', conversationId, payload: { conversationId } } })
    expect((await rig.webhook(await fake.sessionClosed(sessionId))).status).toBe(200)
    expect(count('hitlStopped', conversationId)).toBe(1)
    expect(rig.conversation(conversationId).tags.status).toBe('closed')
  })
})
