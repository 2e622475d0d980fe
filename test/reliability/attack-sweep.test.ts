/**
 * Issue 27 (5): the same classes of defect on the other paths, as an attacker looks for them: values from a webhook or
 * an API answer that are walked, compared, used as a key or echoed in an error.
 * - A request path is not covered by most signatures: a captured request re-sent with 50,000 slashes in its path used to
 *   cost seconds of CPU in a trailing-slash regex (`/\/+$/` is quadratic); now one backward scan, every provider.
 * - A refusal reason quotes what the request carried: cut to 300 characters, no control characters, before it is
 *   logged or echoed in the 400.
 * - HubSpot's channel `capabilities` (an API answer) was compared by a recursive walk without a depth limit.
 * - A LiveChat error `type` was a key into the hints table (`constructor` found Object's source) and was kept whole.
 */
import { needsUpdate, sameUrl, type Channel } from '../../src/providers/hubspot/channel'
import type { FakeProvider } from '../conformance/fake'
import { LivechatFake } from '../providers/livechat/fake'
import { harness } from '../providers/livechat/harness'
import { useFakeRig } from '../support/rig'
import { eachProvider } from './fakes'
import { record } from './results'

const SLASHES = '/'.repeat(50_000)

eachProvider('attacker sweep: %s', (name, make) => {
  const fake: FakeProvider = make()
  const rig = useFakeRig(fake, { reset: true })

  it('a signed request re-sent with 50,000 slashes in its path is answered at once, never 5xx', async () => {
    const { userId } = await rig.driver.callAction('createUser', { name: 'Jane', email: 'jane@example.com' })
    const { conversationId } = await rig.driver.callAction('startHitl', { userId, title: 'Help', messageHistory: [] })
    const sessionId = rig.conversation(conversationId).tags.externalId as string
    const sample = await fake.agentMessage(sessionId, { id: 'agent-alice', name: 'Alice' }, { type: 'text', text: 'hello' })
    const started = process.hrtime.bigint()
    const res = await rig.webhook({ ...sample, path: `${sample.path}${SLASHES}x` })
    const ms = Number(process.hrtime.bigint() - started) / 1e6
    expect(res.status).toBeLessThan(500)
    expect(ms).toBeLessThan(1500)
    record(name, 'guarantees', 'signed request, path padded with 50,000 slashes', `${res.status} in ${ms < 100 ? 'under 100' : 'under 1,500'} ms`)
  })

  if (name === 'http') {
    it('a refusal quoting a 100,000-character field is cut to 300 characters, without control characters', async () => {
      const body = JSON.stringify({ remoteConversationId: 'c1', remoteUserId: 'a1', messageType: `evil\n[ERROR] forged line ${'x'.repeat(100_000)}`, payload: { text: 'hi' } })
      const res = await rig.webhook(fake.signed!(body, { path: '/message-from-agent' }))
      expect(res.status).toBe(400)
      const reason = JSON.parse(res.body).error as string
      expect(reason.length).toBeLessThanOrEqual(300)
      expect(reason).not.toMatch(/[\n\r]/)
    })
  }
})

describe('attacker sweep: provider answers', () => {
  it('HubSpot: capabilities nested 50,000 deep in a channel answer read as "needs an update", not a stack overflow', () => {
    const deep = '['.repeat(50_000) + ']'.repeat(50_000)
    const channel = { id: '1', name: 'Botpress HITL', webhookUrl: 'https://example.com/hook', capabilities: deep } as unknown as Channel
    expect(needsUpdate(channel, 'https://example.com/hook')).toBe(true)
    expect(needsUpdate({ ...channel, capabilities: JSON.parse(deep) } as unknown as Channel, 'https://example.com/hook')).toBe(true)
  })

  it('HubSpot: a webhook URL of 50,000 slashes in an answer is compared at once', () => {
    const started = process.hrtime.bigint()
    expect(sameUrl(`https://example.com${SLASHES}x`, 'https://example.com/x')).toBe(false)
    expect(Number(process.hrtime.bigint() - started) / 1e6).toBeLessThan(500)
  })

  describe('LiveChat error types', () => {
    const fake = new LivechatFake()
    beforeAll(() => fake.start())
    afterAll(() => fake.stop())
    beforeEach(() => fake.reset())

    it.each([
      ['an inherited key ("constructor")', 'constructor'],
      ['a 1 MB type', 'x'.repeat(1_000_000)],
    ])('an error whose type is %s names no hint and is not echoed whole', async (_label, type) => {
      fake.inject('customer update_customer', { status: 400, body: { error: { type, message: 'refused' } } })
      const error = (await harness(fake).adapter.createContact({ name: 'Jane Doe', email: 'jane@example.com' }).catch((e: Error) => e)) as Error
      expect(error).toBeInstanceOf(Error)
      expect(error.message).not.toContain('native code')
      expect(error.message.length).toBeLessThan(1000)
    })
  })
})
