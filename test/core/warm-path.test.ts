/**
 * What a webhook no longer pays on every request (issue 26): the careful Botpress client is built only when the webhook
 * gets past verification and touches Botpress (`onFirstUse`, src/core/botpress.ts), and HMAC keys are prepared once
 * per secret (`hmac`, src/core/crypto.ts) with the same digests as before.
 */
import { createHmac } from 'node:crypto'
import { onFirstUse } from '../../src/core/botpress'
import { hmac } from '../../src/core/crypto'

class Counter {
  #count = 0
  label = 'counter'
  add(n: number) {
    this.#count += n
    return this.#count
  }
}

describe('onFirstUse', () => {
  it('makes nothing until a member is read, then makes once', () => {
    const make = jest.fn(() => new Counter())
    const lazy = onFirstUse(make)
    expect(make).not.toHaveBeenCalled()
    expect(lazy.label).toBe('counter')
    expect(lazy.add(2)).toBe(2)
    expect(lazy.add(3)).toBe(5)
    expect(make).toHaveBeenCalledTimes(1)
  })

  it('binds methods to the made object (private fields work), the same function each time, rebound when replaced', () => {
    const lazy = onFirstUse(() => new Counter())
    const add = lazy.add
    expect(add(4)).toBe(4)
    expect(lazy.add).toBe(add)
    lazy.add = function (this: Counter, n: number) {
      return n * 100
    }
    expect(lazy.add(2)).toBe(200)
    expect('label' in lazy).toBe(true)
    expect('missing' in lazy).toBe(false)
  })
})

describe('hmac with prepared keys', () => {
  const plain = (algorithm: 'sha1' | 'sha256', key: string, data: string, encoding: 'hex' | 'base64') => createHmac(algorithm, key).update(data).digest(encoding)

  it('gives the digest of a text key, for every algorithm and encoding, repeated and after 40 other keys', () => {
    const keys = ['secret', 'k€y-ünïcode', 'x'.repeat(200), '', ...Array.from({ length: 40 }, (_, i) => `key-${i}`)]
    for (let round = 0; round < 2; round++) {
      for (const key of keys) {
        for (const algorithm of ['sha1', 'sha256'] as const) {
          for (const encoding of ['hex', 'base64'] as const) {
            expect(hmac(algorithm, key, 'body', encoding)).toBe(plain(algorithm, key, 'body', encoding))
          }
        }
      }
    }
    expect(hmac('sha256', 'secret', Buffer.from('body'))).toBe(plain('sha256', 'secret', 'body', 'hex'))
    expect(hmac('sha256', 'secret', 'body')).not.toBe(hmac('sha256', 'secreT', 'body'))
  })
})

describe('derivedOnce (src/providers/shared/derived.ts)', () => {
  it('derives each input once and answers the same after, per input', () => {
    const { derivedOnce } = require('../../src/providers/shared') as typeof import('../../src/providers/shared')
    const derive = jest.fn((text: string) => `d(${text})`)
    const once = derivedOnce('test derivations', derive, 2)
    expect([once('a'), once('a'), once('b'), once('a')]).toEqual(['d(a)', 'd(a)', 'd(b)', 'd(a)'])
    expect(derive.mock.calls.map(([t]) => t)).toEqual(['a', 'b'])
    // Bounded: a third input evicts the oldest written, which is then derived again.
    once('c')
    once('a')
    expect(derive.mock.calls.map(([t]) => t)).toEqual(['a', 'b', 'c', 'a'])
  })
})
