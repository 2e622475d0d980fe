/**
 * Authenticity: the URL token (every version, from the configuration alone) and X-Chatwoot-Signature (where Chatwoot
 * returned a secret). Refusals cost no Chatwoot request, and no Botpress (store) read when the URL token is wrong.
 */
import { urlToken, verifyWebhook, verifySignature } from '../../../src/providers/chatwoot/webhook'
import type { WebhookRequest } from '../../../src/core/types'
import { delivery, signatureOf } from './fixtures'
import { ChatwootFake } from './fake'
import { makeAdapter, memoryStore } from './harness'

const SECRET = 'wh-secret-4f1d2c'
const TOKEN = urlToken({ apiAccessToken: 'tok', accountId: '3' })
const URL_ = `https://webhook.botpress.cloud/abc?bp_token=${TOKEN}`
const NOW = Date.parse('2026-03-01T12:00:00Z')
const body = { event: 'message_created', id: 1 }
const signed = (at = NOW) => delivery(URL_, body, SECRET, at)
const ctx = (secret: string | undefined, reads = { n: 0 }) => ({
  token: TOKEN,
  now: NOW,
  secret: async () => {
    reads.n++
    return secret
  },
})
const withHeader = (req: WebhookRequest, name: string, value: string | undefined) => ({ ...req, headers: { ...req.headers, [name]: value } })

describe('verifySignature ([DOCS] api-reference/webhook-verification.mdx)', () => {
  it('accepts a valid signature over "<timestamp>.<raw body>"', () => {
    expect(verifySignature(SECRET, signed(), NOW)).toEqual({ ok: true })
  })
  it('accepts an upper-case hex digest (hex is case-insensitive)', () => {
    const req = signed()
    expect(verifySignature(SECRET, withHeader(req, 'x-chatwoot-signature', req.headers['x-chatwoot-signature']!.replace(/[a-f]/g, (c) => c.toUpperCase())), NOW).ok).toBe(true)
  })
  it.each([
    ['forged (another secret)', (r: WebhookRequest) => withHeader(r, 'x-chatwoot-signature', signatureOf('other', r.headers['x-chatwoot-timestamp']!, r.body)), /mismatch/],
    ['body changed', (r: WebhookRequest) => ({ ...r, body: r.body.replace('1', '2') }), /mismatch/],
    ['timestamp changed (the signature covers it)', (r: WebhookRequest) => withHeader(r, 'x-chatwoot-timestamp', String(Number(r.headers['x-chatwoot-timestamp']) - 1)), /mismatch/],
    ['wrong length', (r: WebhookRequest) => withHeader(r, 'x-chatwoot-signature', `${r.headers['x-chatwoot-signature']}0`), /64 hex/],
    ['last digit changed', (r: WebhookRequest) => withHeader(r, 'x-chatwoot-signature', r.headers['x-chatwoot-signature']!.replace(/.$/, (c) => (c === '0' ? '1' : '0'))), /mismatch/],
    ['no signature', (r: WebhookRequest) => withHeader(r, 'x-chatwoot-signature', undefined), /missing/],
    ['no timestamp', (r: WebhookRequest) => withHeader(r, 'x-chatwoot-timestamp', undefined), /missing/],
    ['a timestamp that is not a number', (r: WebhookRequest) => withHeader(r, 'x-chatwoot-timestamp', '12abc'), /Unix time/],
  ])('refuses %s', (_what, change, reason) => {
    const result = verifySignature(SECRET, change(signed()), NOW)
    expect(result.ok).toBe(false)
    expect(!result.ok && result.reason).toMatch(reason)
  })
  it('refuses a signature older or newer than 5 minutes, accepts one just inside', () => {
    expect(verifySignature(SECRET, signed(NOW - 301_000), NOW).ok).toBe(false)
    expect(verifySignature(SECRET, signed(NOW + 301_000), NOW).ok).toBe(false)
    expect(verifySignature(SECRET, signed(NOW - 299_000), NOW).ok).toBe(true)
  })
})

describe('verifyWebhook: URL token, then signature', () => {
  it('a request without the URL token is refused before the secret is even looked up', async () => {
    const reads = { n: 0 }
    const req = { ...signed(), query: '' }
    expect((await verifyWebhook(req, ctx(SECRET, reads))).ok).toBe(false)
    expect((await verifyWebhook({ ...req, query: 'bp_token=' + 'f'.repeat(40) }, ctx(SECRET, reads))).ok).toBe(false)
    expect((await verifyWebhook({ ...req, query: 'bp_token=' + 'x'.repeat(5000) }, ctx(SECRET, reads))).ok).toBe(false)
    expect(reads.n).toBe(0)
  })
  it('a signing webhook: token and signature both required (a stripped signature is not downgraded to the token)', async () => {
    expect(await verifyWebhook(signed(), ctx(SECRET))).toEqual({ ok: true })
    const stripped = withHeader(withHeader(signed(), 'x-chatwoot-signature', undefined), 'x-chatwoot-timestamp', undefined)
    expect((await verifyWebhook(stripped, ctx(SECRET))).ok).toBe(false)
  })
  it('a Chatwoot that does not sign (no secret was returned): the URL token alone proves the request', async () => {
    const unsigned = delivery(URL_, body, undefined, NOW)
    expect(unsigned.headers['x-chatwoot-signature']).toBeUndefined()
    expect(await verifyWebhook(unsigned, ctx(undefined))).toEqual({ ok: true })
    expect((await verifyWebhook({ ...unsigned, query: unsigned.query.replace(/.$/, (c) => (c === '0' ? '1' : '0')) }, ctx(undefined))).ok).toBe(false)
  })
  it('the URL token depends on the access token and the account', () => {
    expect(urlToken({ apiAccessToken: 'tok', accountId: '4' })).not.toBe(TOKEN)
    expect(urlToken({ apiAccessToken: 'tok2', accountId: '3' })).not.toBe(TOKEN)
    expect(urlToken({ apiAccessToken: 'tok', accountId: ' 3 ' })).toBe(TOKEN)
  })
})

describe('the adapter on a cold instance', () => {
  const fake = new ChatwootFake()
  beforeAll(() => fake.start())
  afterAll(() => fake.stop())

  it('reads the stored secret once the token matched (never before), and no Chatwoot request at all', async () => {
    const hook = fake.target('message_created')
    const store = memoryStore({ webhookSecret: hook.secret, inboxId: '1' })
    const { adapter } = makeAdapter(fake, { store })
    const before = fake.requestCount()
    const req = fake.agentMessage('123', { id: 'a', name: 'A' }, { type: 'text', text: 'hi' })
    expect(await adapter.verifyWebhook(fake.unsigned(req))).toMatchObject({ ok: false })
    expect(store.reads).toBe(0)
    expect(await adapter.verifyWebhook(fake.forged(req))).toMatchObject({ ok: false })
    expect(store.reads).toBe(1)
    expect(await adapter.verifyWebhook(req)).toEqual({ ok: true })
    expect(await adapter.verifyWebhook(fake.stale(req))).toMatchObject({ ok: false })
    expect(store.reads).toBe(1)
    expect(fake.requestCount()).toBe(before)
  })
})
