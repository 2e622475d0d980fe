/**
 * Fuzzing every provider's webhook handler with fast-check: valid-shaped bodies with random fields, truncated JSON,
 * huge strings, wrong types, unicode, random headers. The handler must never throw or answer 5xx, and a refused
 * request (4xx) must not write anything to Botpress. Bodies are correctly signed (so parsing is reached) unless the
 * case is about headers. One file per provider under fuzz/ (so jest runs them in parallel), each calling `runFuzz`.
 */
import fc from 'fast-check'
import { startRig, type Rig } from '../support/rig'
import type { FakeProvider } from '../conformance/fake'
import type { WebhookRequest } from '../../src/core/types'
import { eachProvider } from './fakes'
import { record } from './results'

/** 1,000 per provider by default (`npx jest test/reliability/fuzz`); `npm run test:stress` (called by CI) runs 25,000 (7 providers × 50,000 took CI past 15 minutes). FUZZ_RUNS overrides both. */
const RUNS = Number(process.env.FUZZ_RUNS ?? (process.env.STRESS ? 25_000 : 1_000))
const alice = { id: 'agent-alice', name: 'Alice' }

/** Replaces one random leaf (or adds one key) of a JSON value. */
const mutate = (value: unknown, path: number[], replacement: unknown): unknown => {
  if (path.length === 0 || value === null || typeof value !== 'object') return replacement
  const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value)
  if (entries.length === 0) return replacement
  const [key, child] = entries[path[0]! % entries.length]!
  const next = mutate(child, path.slice(1), replacement)
  if (Array.isArray(value)) return value.map((v, i) => (String(i) === key ? next : v))
  return { ...(value as object), [key]: next }
}

const weird = fc.oneof(
  { arbitrary: fc.string(), weight: 4 },
  { arbitrary: fc.string({ unit: 'grapheme', maxLength: 50 }), weight: 3 },
  { arbitrary: fc.integer(), weight: 2 },
  { arbitrary: fc.double(), weight: 1 },
  { arbitrary: fc.boolean(), weight: 1 },
  { arbitrary: fc.constant(null), weight: 1 },
  { arbitrary: fc.constant(undefined), weight: 1 },
  { arbitrary: fc.jsonValue({ maxDepth: 2 }), weight: 2 },
  // huge strings: rarer, they are slow to sign and parse
  { arbitrary: fc.nat({ max: 100_000 }).map((n) => 'x'.repeat(n)), weight: 1 },
  { arbitrary: fc.constant('\u0000\uffff\ud83d\ude00<script>'), weight: 1 },
  { arbitrary: fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 5 }), weight: 1 }
)

export const runFuzz = (provider: string) =>
  eachProvider('fuzz: %s', (name, make) => {
    const fake: FakeProvider = make()
    let rig: Rig
    let samples: WebhookRequest[]

    beforeAll(async () => {
      await fake.start()
      rig = await startRig(fake.configuration())
      const { userId } = await rig.driver.callAction('createUser', { name: 'Jane' })
      const { conversationId } = await rig.driver.callAction('startHitl', { userId, messageHistory: [] })
      const sessionId = rig.conversation(conversationId).tags.externalId
      samples = [
        await fake.agentMessage(sessionId, alice, { type: 'text', text: 'hi' }),
        await fake.agentMessage(sessionId, alice, { type: 'image', url: 'https://example.com/i.png' }),
        await fake.agentAssigned(sessionId, alice),
        await fake.sessionClosed('unknown-session'),
      ]
    })
    afterAll(async () => {
      await rig.close()
      await fake.stop()
    })

    const hasSigner = !!make().signed
    ;(hasSigner ? it : it.skip)(`${RUNS} generated requests: only 2xx/4xx, never a Botpress write for a refused one`, async () => {
      const statuses = new Map<number, number>()
      let writesOnRefused = 0
      const body = fc.oneof(
        // valid-shaped, one field replaced
        fc.tuple(fc.nat(3), fc.array(fc.nat(20), { minLength: 1, maxLength: 5 }), weird).map(([i, path, v]) => {
          const sample = samples[i]!
          return { path: sample.path, raw: JSON.stringify(mutate(JSON.parse(sample.body), path, v)) ?? 'null' }
        }),
        // truncated JSON
        fc.tuple(fc.nat(3), fc.nat()).map(([i, cut]) => {
          const sample = samples[i]!
          return { path: sample.path, raw: sample.body.slice(0, cut % Math.max(1, sample.body.length)) }
        }),
        // any JSON, any string
        fc.jsonValue({ maxDepth: 3 }).map((v) => ({ path: samples[0]!.path, raw: JSON.stringify(v) ?? 'null' })),
        fc.string({ unit: 'binary', maxLength: 300 }).map((raw) => ({ path: samples[0]!.path, raw }))
      )
      const headers = fc.dictionary(fc.string({ minLength: 1, maxLength: 20 }).filter((k) => /^[a-z-]+$/.test(k)), fc.string({ maxLength: 100 }), { maxKeys: 3 })
      await fc.assert(
        fc.asyncProperty(body, headers, fc.boolean(), async ({ path, raw }, extra, unsignedCase) => {
          const signed = fake.signed!(raw, { path })
          const req: WebhookRequest = unsignedCase
            ? { ...signed, headers: { ...extra, 'content-type': 'application/json' } }
            : { ...signed, headers: { ...extra, ...signed.headers } }
          const writes = rig.writeCount()
          const res = await rig.webhook(req)
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1)
          if (res.status >= 500 || res.status < 200) throw new Error(`status ${res.status} for ${JSON.stringify(req).slice(0, 500)}: ${JSON.stringify(res.body).slice(0, 300)}`)
          if (res.status >= 400 && rig.writeCount() !== writes) {
            writesOnRefused++
            throw new Error(`${res.status} after ${rig.writeCount() - writes} Botpress write(s) for ${JSON.stringify(req).slice(0, 800)}: ${JSON.stringify(res.body).slice(0, 300)}`)
          }
        }),
        { numRuns: RUNS }
      )
      const summary = [...statuses.entries()].sort().map(([s, n]) => `${s}×${n}`).join(', ')
      record(name, 'fuzz', 'generated requests', RUNS)
      record(name, 'fuzz', 'statuses', summary)
      record(name, 'fuzz', 'Botpress writes for refused input', writesOnRefused)
      expect(writesOnRefused).toBe(0)
    }, Math.max(300_000, RUNS * 30))
  }, [provider])
