/**
 * Authenticity: the URL token (every version, from the configuration alone) and X-Chatwoot-Signature (where Chatwoot
 * returned a secret), checked with the secret sealed in the URL. Refusals cost no Chatwoot request and no Botpress
 * (store) read, on a warm or a cold instance.
 */
import { openSeal, sealKey, sealSecret, urlToken, verifyWebhook, verifySignature, type VerifyContext } from '../../../src/providers/chatwoot/webhook'
import type { WebhookRequest } from '../../../src/core/types'
import { delivery, signatureOf } from './fixtures'
import { ChatwootFake } from './fake'
import { makeAdapter, memoryStore, WEBHOOK_URL } from './harness'

const SECRET = 'wh-secret-4f1d2c'
const CONFIG = { apiAccessToken: 'tok', accountId: '3' }
const TOKEN = urlToken(CONFIG)
const SIGNED_TOKEN = urlToken(CONFIG, true)
const KEY = sealKey(CONFIG)
const SEAL = sealSecret(SECRET, KEY)
const URL_ = `https://webhook.botpress.cloud/abc?bp_token=${SIGNED_TOKEN}&bp_seal=${SEAL}`
const PLAIN_URL = `https://webhook.botpress.cloud/abc?bp_token=${TOKEN}`
const NOW = Date.parse('2026-03-01T12:00:00Z')
const body = { event: 'message_created', id: 1 }
const signed = (at = NOW) => delivery(URL_, body, SECRET, at)
const ctx = (known?: string, opened: string[] = []): VerifyContext => ({
  token: TOKEN,
  signedToken: SIGNED_TOKEN,
  key: KEY,
  now: NOW,
  known: () => known,
  opened: (s) => void opened.push(s),
})
const withHeader = (req: WebhookRequest, name: string, value: string | undefined) => ({ ...req, headers: { ...req.headers, [name]: value } })
const withParam = (req: WebhookRequest, name: string, value: string | undefined) => {
  const query = new URLSearchParams(req.query)
  if (value === undefined) query.delete(name)
  else query.set(name, value)
  return { ...req, query: query.toString() }
}
const flip = (text: string, at: number) => `${text.slice(0, at)}${text[at] === 'A' ? 'B' : 'A'}${text.slice(at + 1)}`

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

describe('the sealed secret', () => {
  it('opens to the secret with the same configuration only; a fresh IV each time', () => {
    expect(openSeal(SEAL, KEY)).toBe(SECRET)
    expect(sealSecret(SECRET, KEY)).not.toBe(SEAL)
    expect(SEAL).not.toContain(SECRET)
    expect(openSeal(SEAL, sealKey({ apiAccessToken: 'tok2', accountId: '3' }))).toBeUndefined()
    expect(openSeal(SEAL, sealKey({ apiAccessToken: 'tok', accountId: '4' }))).toBeUndefined()
  })
  it.each([
    ['a changed IV byte', flip(SEAL, 2)],
    ['a changed ciphertext byte', flip(SEAL, 20)],
    ['a changed tag byte', flip(SEAL, SEAL.length - 3)],
    ['truncated', SEAL.slice(0, 30)],
    ['empty', ''],
    ['not base64url', `${SEAL.slice(0, -1)}=`],
    ['far too long', 'A'.repeat(5000)],
  ])('refuses %s (never throws)', (_what, seal) => {
    expect(openSeal(seal, KEY)).toBeUndefined()
  })
})

describe('verifyWebhook: URL token, then the sealed secret and the signature', () => {
  it('accepts a signed delivery to the sealed URL and registers the secret it opened', async () => {
    const opened: string[] = []
    expect(await verifyWebhook(signed(), ctx(undefined, opened))).toEqual({ ok: true })
    expect(opened).toEqual([SECRET])
  })
  it.each([
    ['no token', (r: WebhookRequest) => ({ ...r, query: '' }), /carries no bp_token/],
    ['a wrong token', (r: WebhookRequest) => withParam(r, 'bp_token', 'f'.repeat(40)), /bp_token is wrong/],
    ['a huge query', (r: WebhookRequest) => withParam(r, 'bp_token', 'x'.repeat(5000)), /carries no bp_token/],
    ['a tampered seal', (r: WebhookRequest) => withParam(r, 'bp_seal', flip(SEAL, 20)), /bp_seal does not open/],
    ['a seal made with another access token', (r: WebhookRequest) => withParam(r, 'bp_seal', sealSecret(SECRET, sealKey({ apiAccessToken: 'x', accountId: '3' }))), /does not open/],
    ['the seal stripped (the signing token demands it)', (r: WebhookRequest) => withParam(r, 'bp_seal', undefined), /carries no bp_seal/],
    ['the signature stripped', (r: WebhookRequest) => withHeader(withHeader(r, 'x-chatwoot-signature', undefined), 'x-chatwoot-timestamp', undefined), /missing/],
    ['a forged signature', (r: WebhookRequest) => withHeader(r, 'x-chatwoot-signature', signatureOf('other', r.headers['x-chatwoot-timestamp']!, r.body)), /mismatch/],
    ['a stale signature (10 minutes old, correctly signed)', () => delivery(URL_, body, SECRET, NOW - 600_000), /5-minute window/],
    ['the seal moved onto the plain token', (r: WebhookRequest) => withParam(r, 'bp_token', TOKEN), /does not sign/],
  ])('refuses %s', async (_what, change, reason) => {
    const opened: string[] = []
    const result = await verifyWebhook(change(signed()), ctx(undefined, opened))
    expect(result.ok).toBe(false)
    expect(!result.ok && result.reason).toMatch(reason)
  })
  it('a Chatwoot that does not sign (no secret was returned): the plain URL token alone proves the request', async () => {
    const unsigned = delivery(PLAIN_URL, body, undefined, NOW)
    expect(unsigned.headers['x-chatwoot-signature']).toBeUndefined()
    expect(await verifyWebhook(unsigned, ctx())).toEqual({ ok: true })
    expect((await verifyWebhook({ ...unsigned, query: unsigned.query.replace(/.$/, (c) => (c === '0' ? '1' : '0')) }, ctx())).ok).toBe(false)
    // Someone who saw a signing webhook's URL holds the signing token only: stripped of seal and signature, it is refused.
    expect((await verifyWebhook(delivery(`https://webhook.botpress.cloud/abc?bp_token=${SIGNED_TOKEN}`, body, undefined, NOW), ctx())).ok).toBe(false)
  })
  it('a plain-token URL of a webhook this instance knows signs (registered before seals): the signature is still required', async () => {
    expect(await verifyWebhook(delivery(PLAIN_URL, body, SECRET, NOW), ctx(SECRET))).toEqual({ ok: true })
    expect((await verifyWebhook(delivery(PLAIN_URL, body, undefined, NOW), ctx(SECRET))).ok).toBe(false)
  })
  it('the URL tokens depend on the access token and the account, and differ between signing and not', () => {
    expect(urlToken({ apiAccessToken: 'tok', accountId: '4' })).not.toBe(TOKEN)
    expect(urlToken({ apiAccessToken: 'tok2', accountId: '3' })).not.toBe(TOKEN)
    expect(urlToken({ apiAccessToken: 'tok', accountId: ' 3 ' })).toBe(TOKEN)
    expect(SIGNED_TOKEN).not.toBe(TOKEN)
  })
})

describe('the adapter on a cold instance', () => {
  const fake = new ChatwootFake()
  beforeAll(() => fake.start())
  afterAll(() => fake.stop())
  beforeEach(() => fake.wipe({ preRegistered: false }))

  it('refuses a tampered seal, a forged or a stale signature and accepts a signed delivery, with no store read and no Chatwoot request', async () => {
    const store = memoryStore()
    await makeAdapter(fake, { store }).adapter.connect({ webhookUrl: WEBHOOK_URL })
    const hook = fake.target('message_created')
    expect(new URL(hook.url).searchParams.get('bp_seal')).toBeTruthy()
    const { adapter, added } = makeAdapter(fake, { store }) // resetCaches(): a cold instance
    const reads = store.reads
    const before = fake.requestCount()
    const req = fake.agentMessage('123', { id: 'a', name: 'A' }, { type: 'text', text: 'hi' })
    expect(await adapter.verifyWebhook(fake.unsigned(req))).toMatchObject({ ok: false })
    expect(await adapter.verifyWebhook(withParam(req, 'bp_seal', flip(new URLSearchParams(req.query).get('bp_seal')!, 20)))).toMatchObject({ ok: false })
    expect(await adapter.verifyWebhook(fake.forged(req))).toMatchObject({ ok: false })
    expect(await adapter.verifyWebhook(fake.stale(req))).toMatchObject({ ok: false })
    expect(await adapter.verifyWebhook(fake.downgraded(req)!)).toMatchObject({ ok: false })
    expect(await adapter.verifyWebhook(req)).toEqual({ ok: true })
    expect(added).toContain(hook.secret)
    expect(store.reads).toBe(reads)
    expect(fake.requestCount()).toBe(before)
  })
})
