/**
 * Authenticity matrix, per provider: valid, missing, forged, wrong-length, stale (where timestamps exist) and replayed
 * (a valid proof moved onto another body) → 401 for all but valid, with zero Botpress calls and zero provider calls.
 * An identical redelivery is not an attack (providers redeliver): it is accepted and creates nothing new.
 */
import { resetCaches } from '../../src/core/cache'
import { startRig, type Rig } from '../support/rig'
import type { FakeProvider } from '../conformance/fake'
import type { WebhookRequest } from '../../src/core/types'
import { eachProvider } from './fakes'
import { record } from './results'
import { oneCharOff, POSITIONS } from './proof'

const alice = { id: 'agent-alice', name: 'Alice' }

/**
 * Providers whose verification needs a secret that only Botpress state holds on a cold instance (one read, never a
 * write). Issue 13 wants none: every provider verifies from the configuration and the request alone (Chatwoot carries
 * its signing secret sealed in the webhook URL). An entry here would be reported, not hidden.
 */
const COLD_READS: Record<string, string> = {
  // Sunco generates the webhook secret (X-API-Key) when the webhook is created: it cannot be derived from the configuration.
  zendesk: 'the webhook secret Sunco generated, kept in the integration state',
}

eachProvider('authenticity: %s', (name, make) => {
  const fake: FakeProvider = make()
  let rig: Rig
  let sessionId: string
  let conversationId: string

  beforeAll(async () => {
    await fake.start()
    rig = await startRig(fake.configuration())
    const { userId } = await rig.driver.callAction('createUser', { name: 'Jane' })
    ;({ conversationId } = await rig.driver.callAction('startHitl', { userId, messageHistory: [] }))
    sessionId = rig.conversation(conversationId).tags.externalId
  })
  afterAll(async () => {
    await rig.close()
    await fake.stop()
  })

  const valid = () => fake.agentMessage(sessionId, alice, { type: 'text', text: `hello ${Math.random()}` })
  const cases: Array<[string, () => Promise<WebhookRequest | undefined>]> = [
    ['missing', async () => fake.unsigned(await valid())],
    ['forged', async () => fake.forged(await valid())],
    ['wrong-length', async () => (fake.wrongLength ? fake.wrongLength(await valid()) : undefined)],
    // Same length, same alphabet, one character changed: only a comparison of every character refuses these.
    ...POSITIONS.map((at): [string, () => Promise<WebhookRequest>] => [`one character off (${at})`, async () => oneCharOff(fake, await valid(), at)]),
    ['stale', async () => (fake.stale ? fake.stale(await valid()) : undefined)],
    [
      'replayed onto another body',
      async () => {
        if (fake.proofInBody || fake.proofSharedHeader) return undefined
        const original = await valid()
        const other = await fake.agentMessage(sessionId, alice, { type: 'text', text: 'a different message' })
        const proof = Object.fromEntries(Object.entries(original.headers).filter(([k]) => k.toLowerCase() !== 'content-type'))
        return { ...other, headers: { ...other.headers, ...proof } }
      },
    ],
  ]

    cases.push(
    // The strongest proof stripped to a weaker one the vendor also sends, on an assignment (HubSpot signs those v1 and v3).
    ['downgraded proof', async () => (fake.downgraded ? fake.downgraded(await fake.agentAssigned(sessionId, alice)) : undefined)],
    // A cold instance (every cache empty) must refuse before reading anything from Botpress or the provider.
    ['forged, cold instance', async () => fake.forged(await valid())]
  )

  const NA: Record<string, string> = {
    stale: 'n/a (the proof has no timestamp)',
    'replayed onto another body': 'n/a (the proof is inside the body)',
    'downgraded proof': 'n/a (one form of proof)',
  }

  it.each(cases)('%s → 401, no Botpress call, no provider call', async (kind, build) => {
    const req = await build()
    if (!req) {
      const shared = kind === 'replayed onto another body' && fake.proofSharedHeader
      record(name, 'authenticity', kind, shared ? 'n/a (the proof is a shared secret header, not computed over the body)' : (NA[kind] ?? 'n/a'))
      return
    }
    if (kind === 'forged, cold instance') resetCaches()
    const bp = rig.requestCount()
    const provider = fake.requestCount()
    const res = await rig.webhook(req)
    expect(res.status).toBe(401)
    const coldRead = kind === 'forged, cold instance' ? COLD_READS[name] : undefined
    if (coldRead) {
      // Known limit (reported, not hidden): exactly one Botpress read, no write, no provider call.
      expect(rig.emulator.requests.slice(bp).map((r: { method: string }) => r.method)).toEqual(['GET'])
      expect(fake.requestCount()).toBe(provider)
      record(name, 'authenticity', kind, `401, 1 Botpress read (${coldRead}) / ${fake.requestCount() - provider} provider calls`)
      return
    }
    expect(rig.requestCount()).toBe(bp)
    expect(fake.requestCount()).toBe(provider)
    record(name, 'authenticity', kind, `401, ${rig.requestCount() - bp} Botpress / ${fake.requestCount() - provider} provider calls`)
  })

  it('valid → 200 and the message is posted once, even when the same delivery is repeated', async () => {
    const fromAgent = () => rig.messagesOf(conversationId).filter((m) => m.userId !== rig.botUserId).length
    const before = fromAgent()
    const req = await valid()
    expect((await rig.webhook(req)).status).toBe(200)
    expect((await rig.webhook(req)).status).toBe(200)
    expect(fromAgent()).toBe(before + 1)
    record(name, 'authenticity', 'valid (and identical redelivery)', '200, one message')
  })
})
