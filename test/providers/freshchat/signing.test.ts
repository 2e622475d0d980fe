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

const B64_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
describe('each refusal names its cause (a check removed would fall through to another refusal)', () => {
  const reason = (signature: string | undefined) => {
    const result = verifySignature(key(), body, signature)
    return result.ok ? 'accepted' : result.reason
  }
  it.each([
    ['missing', () => undefined, 'X-Freshchat-Signature missing'],
    ['blank', () => ' \t ', 'X-Freshchat-Signature missing'],
    ['one character over the limit', () => 'A'.repeat(MAX_SIGNATURE + 1), 'X-Freshchat-Signature is too long to be an RSA signature'],
    ['exactly the limit (canonical base64, wrong length)', () => 'A'.repeat(MAX_SIGNATURE), 'X-Freshchat-Signature has the wrong length for the configured key'],
    ['a character outside base64', () => `${signBody(body).slice(0, 10)}-${signBody(body).slice(11)}`, 'X-Freshchat-Signature is not base64'],
    ['a space inside', () => `${signBody(body).slice(0, 10)} ${signBody(body).slice(10)}`, 'X-Freshchat-Signature is not base64'],
    ['three padding characters', () => `${signBody(body)}=`, 'X-Freshchat-Signature is not base64'],
    ['padding stripped', () => signBody(body).replace(/=+$/, ''), 'X-Freshchat-Signature is not canonical base64'],
    // 256 bytes: the character before '==' carries 2 bits and 4 zero bits; setting the lowest is another spelling.
    ['stray bits before the padding', () => signBody(body).replace(/.==$/, (m) => `${B64_ALPHABET[B64_ALPHABET.indexOf(m[0]!) + 1]}==`), 'X-Freshchat-Signature is not canonical base64'],
    ['one byte short', () => Buffer.from(signBody(body), 'base64').subarray(1).toString('base64'), 'X-Freshchat-Signature has the wrong length for the configured key'],
    ['signed by another key', () => signBody(body, keyPairs().stranger.privateKey), 'X-Freshchat-Signature does not verify with the configured public key'],
    ['one byte off (same length)', () => { const b = Buffer.from(signBody(body), 'base64'); b[100] = b[100]! ^ 1; return b.toString('base64') }, 'X-Freshchat-Signature does not verify with the configured public key'],
  ])('%s', (_label, signature, expected) => {
    expect(reason(signature())).toBe(expected)
  })

  it('a key that makes the verification throw (not RSA) refuses, never throws', () => {
    const ed = generateKeyPairSync('ed25519').publicKey
    expect(verifySignature(ed, body, Buffer.alloc(64, 1).toString('base64'))).toEqual({ ok: false, reason: 'X-Freshchat-Signature does not verify with the configured public key' })
  })

  it('surrounding whitespace of the header is not part of the signature', () => {
    expect(verifySignature(key(), body, ` ${signBody(body)}\t`)).toEqual({ ok: true })
  })
})

describe('the key text: bounds and shapes', () => {
  const pem = () => publicPem()
  const base64 = () => pem().split('\n').filter((l) => l && !l.startsWith('-----')).join('')
  const expectKey = (text: string) => expect(publicKeyOf(text)).toEqual({ key: expect.anything() })
  it('16,384 characters are read (a key padded with blanks), one more is refused', () => {
    const padded = (n: number) => `${pem()}${' '.repeat(n - pem().length)}`
    expect(normalisePem(padded(16_384))).toBe(normalisePem(pem()))
    expect(normalisePem(padded(16_385))).toBeUndefined()
  })
  it('the canonical PEM: 64-character lines between the armour, one final newline', () => {
    const lines = base64().match(/.{1,64}/g)!
    expect(normalisePem(base64())).toBe(`-----BEGIN PUBLIC KEY-----\n${lines.join('\n')}\n-----END PUBLIC KEY-----\n`)
    expect(normalisePem(`'${pem()}'`)).toBe(normalisePem(pem()))
    expect(normalisePem(`  ${pem().replace(/\n/g, '\\n')}  `)).toBe(normalisePem(pem()))
  })
  it('quotes and blanks around a bare base64 body are dropped; a quote inside is not base64', () => {
    expect(normalisePem(`  "${base64()}" \n`)).toBe(normalisePem(pem()))
    expect(normalisePem(`'${base64()}'`)).toBe(normalisePem(pem()))
    expect(normalisePem(`${base64().slice(0, 30)}"${base64().slice(30)}`)).toBeUndefined()
    expect(normalisePem(`${base64().slice(0, 30)}'${base64().slice(30)}`)).toBeUndefined()
  })
  it('blanks around the armour label are tolerated', () => {
    expect(normalisePem(pem().replace('-----BEGIN PUBLIC KEY-----', '-----BEGIN PUBLIC KEY -----'))).toBe(normalisePem(pem()))
  })
  it.each([
    ['an armour never closed', () => `-----BEGIN PUBLIC KEY-----\n${base64()}`],
    ['a begin line never closed', () => `-----BEGIN PUBLIC KEY ${base64()}`],
    ['a certificate label', () => pem().replace(/PUBLIC KEY/g, 'CERTIFICATE')],
    ['a mismatched end label', () => pem().replace('-----END PUBLIC KEY-----', '-----END RSA PUBLIC KEY-----')],
    ['an empty body', () => '-----BEGIN PUBLIC KEY----------END PUBLIC KEY-----'],
    ['a body with a character outside base64', () => `${base64().slice(0, 20)}#${base64().slice(20)}`],
    ['not a string', () => 42 as unknown as string],
  ])('%s → not a PEM', (_label, text) => {
    expect(normalisePem(text())).toBeUndefined()
  })
  it('the refusal says what is wrong: not PEM, not a key, not RSA', () => {
    expect(publicKeyOf('not a key!')).toEqual({ error: 'it is not a PEM public key (-----BEGIN PUBLIC KEY----- … -----END PUBLIC KEY-----)' })
    expect(publicKeyOf(base64().slice(0, 100))).toEqual({ error: 'the PEM text does not hold a valid public key (copy it again, whole)' })
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }).toString()
    expect(publicKeyOf(ec)).toEqual({ error: 'it is a ec key, not the RSA key Freshchat signs with' })
    expectKey(pem())
  })
  it('a key is parsed once and then answered from the cache (same object)', () => {
    const first = publicKeyOf(pem())
    const second = publicKeyOf(pem().replace(/\n/g, ' '))
    expect('key' in first && 'key' in second && first.key === second.key).toBe(true)
  })
})
