/**
 * Issue 27 (1): a replayed request is a no-op even when its time ties with the last applied one. Agent A assigned,
 * then a transfer to B at the same time (the clock held still: one second for protocols signing in seconds, one
 * millisecond elsewhere), then A's captured request replayed: the session stays with B, two hitlAssigned in all. Time
 * cannot order a tie; the digests of the proofs applied at that time (tag `lastEventProofs`) can.
 */
import { setHttpClock } from '../../src/core/http'
import type { FakeProvider } from '../conformance/fake'
import { useFakeRig } from '../support/rig'
import { virtualClock } from './clock'
import { eachProvider } from './fakes'
import { record } from './results'

const alice = { id: 'agent-alice', name: 'Alice' }
const bob = { id: 'agent-bob', name: 'Bob' }

/**
 * The fakes keep their state changes strictly increasing (one tick apart) so that the ordinary replay test never ties.
 * Here the second change must tie with the first: the http protocol signs in whole seconds, so its requests are signed
 * by hand; the other fakes have their last change time stepped back one tick, so the next change gets the same time.
 */
// Zendesk ticks twice per assignment (the message it delivers, then the event around it).
const TICK: Record<string, [field: string, step: number]> = { intercom: ['changedAt', 1], hubspot: ['occurredAt', 1], chatwoot: ['clock', 7], freshchat: ['clock', 7], zendesk: ['clock', 14] }

const assignment = async (fake: FakeProvider, sessionId: string, agent: typeof alice, tie = false) => {
  if (fake.name === 'http') {
    return fake.signed!(JSON.stringify({ remoteConversationId: sessionId, remoteUserId: agent.id, agentName: agent.name }), { path: '/agent-assigned' })
  }
  const tick = TICK[fake.name]
  if (tie && tick) (fake as unknown as Record<string, number>)[tick[0]] -= tick[1]
  return fake.agentAssigned(sessionId, agent)
}

eachProvider('replay on a tied timestamp: %s', (name, make) => {
  const fake: FakeProvider = make()
  const rig = useFakeRig(fake, { reset: true })
  beforeAll(() => setHttpClock(virtualClock()))
  afterAll(() => setHttpClock())
  afterEach(() => jest.restoreAllMocks())

  it('A, then B at the same time, then A replayed → stays with B, 2 hitlAssigned', async () => {
    const { userId } = await rig.driver.callAction('createUser', { name: 'Jane', email: 'jane@example.com' })
    const { conversationId } = await rig.driver.callAction('startHitl', { userId, title: 'Help', messageHistory: [] })
    const sessionId = rig.conversation(conversationId).tags.externalId as string
    // Hold the clock on a whole second: every time the provider, the fake or the adapter reads now is the same.
    const now = Math.floor(Date.now() / 1000) * 1000 + 500
    jest.spyOn(Date, 'now').mockReturnValue(now)
    const a = await assignment(fake, sessionId, alice)
    expect((await rig.webhook(a)).status).toBe(200)
    const tiedAt = rig.conversation(conversationId).tags.lastEventAt
    expect((await rig.webhook(await assignment(fake, sessionId, bob, true))).status).toBe(200)
    // The two assignments really tie: the same event time is kept, both proofs remembered for it.
    expect(rig.conversation(conversationId).tags.lastEventAt).toBe(tiedAt)
    expect(String(rig.conversation(conversationId).tags.lastEventProofs).split(' ')).toHaveLength(2)
    const replay = await rig.webhook(a)
    expect(replay.status).toBe(200)
    const assigned = rig.events('hitlAssigned').filter((e) => e.conversationId === conversationId).map((e) => rig.user(e.payload.userId).name)
    expect(assigned).toEqual(['Alice', 'Bob'])
    const bobUser = rig.users().find((u) => u.name === 'Bob' && u.tags?.kind === 'agent')
    expect(rig.conversation(conversationId).tags.agentId).toBe(bobUser.tags.externalId)
    record(name, 'guarantees', 'replay on a tied timestamp', '200, ignored: stays with B, 2 hitlAssigned')
  })
})
