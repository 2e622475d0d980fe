/**
 * Webhook authenticity at the adapter: the X-API-Key header against the secret Sunco generated for the webhook, read
 * from the provider store once on a cold instance and never again on a warm one, compared in constant time.
 */
import type { WebhookRequest } from '../../../src/core/types'
import { ZendeskFake } from './fake'
import { makeAdapter, memoryStore, WEBHOOK_URL } from './harness'

const fake = new ZendeskFake()
beforeAll(() => fake.start())
afterAll(() => fake.stop())
beforeEach(() => fake.wipe({ preRegistered: false }))
afterEach(() => jest.restoreAllMocks())

const delivery = (): WebhookRequest => fake.deliver([fake.event('switchboard:releaseControl', { conversation: { id: 'c1', type: 'personal' } })])

it('a cold instance reads the stored secret once; a warm one never again, even long after (forged deliveries cost nothing)', async () => {
  const store = memoryStore()
  await makeAdapter(fake, { store }).adapter.connect({ webhookUrl: WEBHOOK_URL })
  const { adapter } = makeAdapter(fake, { store })
  const reads = store.reads
  const calls = fake.requestCount()
  const good = delivery()
  expect(await adapter.verifyWebhook(fake.forged(good))).toMatchObject({ ok: false })
  expect(store.reads).toBe(reads + 1)
  expect(await adapter.verifyWebhook(good)).toEqual({ ok: true })
  const later = Date.now() + 60 * 60_000
  jest.spyOn(Date, 'now').mockReturnValue(later)
  expect(await adapter.verifyWebhook(fake.forged(good))).toMatchObject({ ok: false })
  expect(await adapter.verifyWebhook(good)).toEqual({ ok: true })
  expect(store.reads).toBe(reads + 1)
  expect(fake.requestCount()).toBe(calls)
})

it.each([
  ['missing', (req: WebhookRequest) => fake.unsigned(req)],
  ['another secret', (req: WebhookRequest) => fake.forged(req)],
  ['one character off, same length', (req: WebhookRequest) => {
    const off = fake.wrongLength(req)
    expect(off.headers['x-api-key']!.length).toBe(req.headers['x-api-key']!.length)
    return off
  }],
  ['the secret with a suffix', (req: WebhookRequest) => ({ ...req, headers: { ...req.headers, 'x-api-key': `${req.headers['x-api-key']}x` } })],
])('%s → refused', async (_, change) => {
  const store = memoryStore()
  const { adapter } = makeAdapter(fake, { store })
  await adapter.connect({ webhookUrl: WEBHOOK_URL })
  const good = delivery()
  const bad = change(good)
  expect(bad.headers['x-api-key']).not.toBe(good.headers['x-api-key'])
  expect(await adapter.verifyWebhook(bad)).toMatchObject({ ok: false })
  expect(await adapter.verifyWebhook(good)).toEqual({ ok: true })
})

it('before any register nothing is accepted, and the missing secret is not remembered: once registered, deliveries pass', async () => {
  const store = memoryStore()
  const before = makeAdapter(fake, { store }).adapter
  fake.wipe()
  const good = delivery()
  expect(await before.verifyWebhook(good)).toMatchObject({ ok: false, reason: expect.stringMatching(/register/) })
  await makeAdapter(fake, { store, fresh: false }).adapter.connect({ webhookUrl: WEBHOOK_URL })
  expect(await before.verifyWebhook(good)).toEqual({ ok: true })
})
