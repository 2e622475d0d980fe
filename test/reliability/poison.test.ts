/**
 * Issue 27 (2): no poison webhook. The same hostile bodies, correctly signed (each fake's `signed`), on every provider:
 * nested 50,000 levels deep (arrays, objects), a 1 MB string, prototype keys. A request that can never succeed is
 * answered 4xx (too deep: 400) or 2xx-ignored, never 5xx (the provider would deliver it forever), writes nothing to
 * Botpress when refused, and pollutes no prototype.
 */
import type { FakeProvider } from '../conformance/fake'
import type { WebhookRequest } from '../../src/core/types'
import { useFakeRig } from '../support/rig'
import { eachProvider } from './fakes'
import { record } from './results'

const DEPTH = 50_000
const HOSTILE: Array<{ name: string; value: string; expect: 'refused' | 'no 5xx' }> = [
  { name: 'arrays nested 50,000 deep', value: '['.repeat(DEPTH) + ']'.repeat(DEPTH), expect: 'refused' },
  { name: 'objects nested 50,000 deep', value: '{"a":'.repeat(DEPTH) + '1' + '}'.repeat(DEPTH), expect: 'refused' },
  { name: 'a 1 MB string', value: JSON.stringify('x'.repeat(1024 * 1024)), expect: 'no 5xx' },
  { name: 'prototype keys', value: '{"__proto__":{"polluted":"yes","event":"x"},"constructor":{"prototype":{"polluted":"yes"}},"prototype":{"polluted":"yes"}}', expect: 'no 5xx' },
]

/** `sample` (a valid JSON object or array as the provider sends it) with `value` added as one more field / item. */
const inject = (sample: string, key: string, value: string): string => {
  const body = sample.trimEnd()
  const end = body.length - 1
  if (body[end] === ']') return `${body.slice(0, end)},${value}]`
  if (body[end] !== '}') throw new Error('the sample webhook is not a JSON object or array')
  return `${body.slice(0, end)},${JSON.stringify(key)}:${value}}`
}

eachProvider('poison webhooks: %s', (name, make) => {
  const fake: FakeProvider = make()
  const rig = useFakeRig(fake, { reset: true })

  it('deep, huge and prototype-keyed bodies, signed: 4xx or 2xx, never 5xx; refused ones write nothing', async () => {
    const { userId } = await rig.driver.callAction('createUser', { name: 'Jane', email: 'jane@example.com' })
    const { conversationId } = await rig.driver.callAction('startHitl', { userId, title: 'Help', messageHistory: [] })
    const sessionId = rig.conversation(conversationId).tags.externalId as string
    const samples: WebhookRequest[] = [
      await fake.agentMessage(sessionId, { id: 'agent-alice', name: 'Alice' }, { type: 'text', text: 'hello' }),
      await fake.agentAssigned(sessionId, { id: 'agent-bob', name: 'Bob' }),
    ]
    const seen: string[] = []
    for (const hostile of HOSTILE) {
      for (const sample of samples) {
        for (const where of ['added', 'alone'] as const) {
          // "alone": the hostile value is the whole body (a provider whose proof is inside the body refuses it as 401).
          const raw = where === 'alone' ? hostile.value : inject(sample.body, 'hostile', hostile.value)
          const req = fake.signed!(raw, { path: sample.path })
          const writes = rig.writeCount()
          const res = await rig.webhook(req)
          const label = `${hostile.name} (${where}, ${sample.path}): ${res.status} ${res.body.slice(0, 200)}`
          expect(res.status >= 200 && res.status < 500 ? 'not 5xx' : label).toBe('not 5xx')
          if (hostile.expect === 'refused') expect(res.status >= 400 ? 'refused' : label).toBe('refused')
          if (res.status >= 400) expect(rig.writeCount()).toBe(writes)
          expect(({} as Record<string, unknown>).polluted).toBeUndefined()
          seen.push(`${res.status}`)
        }
      }
    }
    const tally = [...new Set(seen)].sort().map((s) => `${s}×${seen.filter((x) => x === s).length}`).join(', ')
    record(name, 'guarantees', 'poison bodies (50,000 deep, 1 MB, prototype keys), signed', `${tally}: never 5xx, 0 Botpress writes when refused`)
  }, 60_000)
})
