/**
 * A warm instance derives Chatwoot's URL tokens and seal key once per configuration and opens the webhook URL's seal
 * once (src/providers/chatwoot/webhook.ts): every webhook carries the same seal. Answers are those of the plain
 * derivation; a seal that does not open is never remembered.
 */
import crypto from 'node:crypto'
import { resetCaches } from '../../../src/core/cache'
import { openSeal, sealKey, sealSecret, urlToken } from '../../../src/providers/chatwoot/webhook'

const config = { apiAccessToken: 'cw-token-123456', accountId: '7' }

describe('chatwoot derivations on a warm instance', () => {
  beforeEach(() => resetCaches())
  afterEach(() => jest.restoreAllMocks())

  it('URL tokens are the HMAC of the label, per token and per signing mode', () => {
    const expected = (signed: boolean) =>
      crypto.createHmac('sha256', config.apiAccessToken).update(`botpress-hitl:chatwoot-webhook${signed ? '-signed' : ''}:7`).digest('hex').slice(0, 40)
    for (let i = 0; i < 2; i++) {
      expect(urlToken(config)).toBe(expected(false))
      expect(urlToken(config, true)).toBe(expected(true))
    }
    expect(urlToken({ ...config, apiAccessToken: 'other-token' })).not.toBe(expected(false))
  })

  it('opens a seal once; a forged one is tried (and refused) every time', () => {
    const key = sealKey(config)
    expect(sealKey(config)).toBe(key)
    const seal = sealSecret('webhook-secret', key)
    const decipher = jest.spyOn(crypto, 'createDecipheriv')
    expect(openSeal(seal, key)).toBe('webhook-secret')
    expect(openSeal(seal, key)).toBe('webhook-secret')
    expect(decipher).toHaveBeenCalledTimes(1)
    const forged = seal.slice(0, -2) + (seal.endsWith('AA') ? 'BB' : 'AA')
    expect(openSeal(forged, key)).toBeUndefined()
    expect(openSeal(forged, key)).toBeUndefined()
    expect(decipher).toHaveBeenCalledTimes(3)
    // Another account's key does not open it, even once this one is remembered.
    expect(openSeal(seal, sealKey({ ...config, accountId: '8' }))).toBeUndefined()
  })
})
