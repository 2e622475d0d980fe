/**
 * Webhook authenticity: X-Freshchat-Signature, RSA PKCS#1 v1.5 SHA-256 over the raw body, base64 ([WH]
 * https://crmsupport.freshworks.com/en/support/solutions/articles/50000004461), checked from the configuration alone.
 */
import { generateKeyPairSync } from 'node:crypto'
import { MAX_SIGNATURE, normalisePem, publicKeyOf, verifySignature } from '../../../src/providers/freshchat/signature'
import { parseWebhook } from '../../../src/providers/freshchat/webhook'
import { expectWithinBudget } from '../../reliability/worst-cases'
import { FreshchatFake, keyPairs, publicPem, signBody } from './fake'
import { makeAdapter } from './harness'

const fake = new FreshchatFake()
const body = JSON.stringify({ action: 'message_create', data: { message: { id: 'm1' } } })
const key = () => {
  const parsed = publicKeyOf(publicPem())
  if (!('key' in parsed)) throw new Error(parsed.error)
  return parsed.key
}

describe('the public key, however it was pasted', () => {
  const pem = () => publicPem()
  const body64 = () => pem().split('\n').filter((l) => l && !l.startsWith('-----')).join('')
  it.each([
    ['as Freshchat shows it', () => pem()],
    ['on one line, newlines turned into spaces', () => pem().replace(/\n/g, ' ')],
    ['on one line, newlines lost', () => pem().replace(/\n/g, '')],
    ['with literal \\n', () => pem().replace(/\n/g, '\\n')],
    ['with CRLF and surrounding quotes', () => `"${pem().replace(/\n/g, '\r\n')}"`],
    ['the base64 body alone', () => body64()],
  ])('%s → the same key, and signatures verify', (_label, text) => {
    const parsed = publicKeyOf(text())
    expect('key' in parsed).toBe(true)
    if (!('key' in parsed)) return
    expect(parsed.key.export({ type: 'spki', format: 'der' }).equals(keyPairs().freshchat.publicKey.export({ type: 'spki', format: 'der' }))).toBe(true)
    expect(verifySignature(parsed.key, body, signBody(body))).toEqual({ ok: true })
  })

  it('an RSA PUBLIC KEY (PKCS#1) works too', () => {
    const pkcs1 = keyPairs().freshchat.publicKey.export({ type: 'pkcs1', format: 'pem' }).toString().replace(/\n/g, ' ')
    expect(normalisePem(pkcs1)).toMatch(/^-----BEGIN RSA PUBLIC KEY-----\n/)
    expect('key' in publicKeyOf(pkcs1)).toBe(true)
  })

  it.each([
    ['garbage', 'not a key'],
    ['a private key', keyPairs().freshchat.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()],
    ['truncated base64', publicPem().slice(0, 120) + '\n-----END PUBLIC KEY-----'],
    ['an EC key', generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }).toString()],
    ['100 kB', 'A'.repeat(100_000)],
  ])('%s is refused with a reason, never a throw', (_label, text) => {
    const parsed = publicKeyOf(text)
    expect('error' in parsed).toBe(true)
  })
})

describe('verifySignature', () => {
  it('accepts the signature of these exact bytes only', () => {
    const signature = signBody(body)
    expect(verifySignature(key(), body, signature)).toEqual({ ok: true })
    expect(verifySignature(key(), `${body} `, signature).ok).toBe(false)
    // Re-encoded: the same JSON, other bytes (escaped unicode, reordered keys) is not what was signed.
    const unicode = JSON.stringify({ text: 'café' })
    expect(verifySignature(key(), unicode.replace('é', '\\u00e9'), signBody(unicode)).ok).toBe(false)
    expect(verifySignature(key(), JSON.stringify(JSON.parse(`{"b":1,"a":2}`)), signBody('{"a":2,"b":1}')).ok).toBe(false)
  })

  it.each([
    ['missing', undefined],
    ['empty', '  '],
    ['signed by another key', signBody(body, keyPairs().stranger.privateKey)],
    ['not base64', '!!!' + signBody(body).slice(3)],
    ['base64url instead of base64', signBody(body).replace(/\+/g, '-').replace(/\//g, '_')],
    ['padding stripped', signBody(body).replace(/=+$/, '')],
    ['too long', 'A'.repeat(MAX_SIGNATURE + 4)],
    ['too short', signBody(body).slice(0, 40)],
  ])('%s → refused', (_label, signature) => {
    const result = verifySignature(key(), body, signature)
    expect(result.ok).toBe(false)
  })

  it('a 1 MB signature header is refused before anything is decoded (time bounded)', () => {
    const started = process.hrtime.bigint()
    expect(verifySignature(key(), body, 'A'.repeat(1_000_000)).ok).toBe(false)
    expect(Number(process.hrtime.bigint() - started) / 1e6).toBeLessThan(250)
  })
})

describe('the adapter', () => {
  it('verifies from the configuration alone: no store read, no request', async () => {
    await fake.start()
    try {
      const { adapter, store } = makeAdapter(fake)
      const req = fake.signed(body)
      expect(await adapter.verifyWebhook(req)).toEqual({ ok: true })
      expect((await adapter.verifyWebhook(fake.forged(req))).ok).toBe(false)
      expect((await adapter.verifyWebhook(fake.unsigned(req))).ok).toBe(false)
      expect(store.reads).toBe(0)
      expect(fake.requestCount()).toBe(0)
    } finally {
      await fake.stop()
    }
  })

  it('a configured key that is not one refuses every delivery (never accepts)', async () => {
    const { adapter } = makeAdapter(fake, { config: { webhookPublicKey: 'nonsense' } })
    expect((await adapter.verifyWebhook(fake.signed(body))).ok).toBe(false)
  })
})

describe('parsing cost (issue 12): every parser of untrusted text here answers 100 kB worst cases within the budget', () => {
  const pem = () => publicPem()
  it.each([
    ['public key normalisation', (s: string) => [normalisePem(s), normalisePem(`-----BEGIN PUBLIC KEY-----${s}-----END PUBLIC KEY-----`), normalisePem(`-----BEGIN ${s}`)]],
    ['signature check', (s: string) => verifySignature(key(), s, s.slice(0, 2_000))],
    ['webhook parsing', (s: string) => {
      try {
        parseWebhook({ method: 'POST', path: '/', query: '', headers: {}, body: JSON.stringify({ action: 'message_create', action_time: s, data: { message: { id: 'm', conversation_id: 'c', actor_type: 'agent', actor_id: 'a', channel_id: s, message_parts: [{ text: { content: s } }, { file: { url: `https://x.test/${s}`, name: s } }] } } }) }, { channelId: 'c1' })
      } catch {
        // a refusal is an answer
      }
      return pem()
    }],
  ])('%s', (name, parse) => expectWithinBudget({ name, parse }))
})
