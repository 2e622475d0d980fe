/**
 * The small core helpers every provider's verification and parsing stands on (crypto.ts, validate.ts, order.ts,
 * limits.ts), pinned value by value: each case is one a mutation of the helper (a boundary moved, an anchor dropped, a
 * guard removed) turned into a wrong answer that no end-to-end test noticed.
 */
import { z as zod } from 'zod/mini'
import { BadRequestError } from '../../src/core/errors'
import { hmac, header, isFresh, safeEqual, sha256 } from '../../src/core/crypto'
import { classifyContactPoint, cut, LIMITS, pictureUrl, sanitizeAgent, tagValue, userName } from '../../src/core/limits'
import { isReplay, MAX_TIED_PROOFS, orderTags, proofDigest } from '../../src/core/order'
import { dropNulls, expectShape, id, MAX_JSON_DEPTH, nestsDeeperThan, parseJson, withoutTrailingSlashes, z } from '../../src/core/validate'

const badRequest = (run: () => unknown): string => {
  try {
    run()
  } catch (error) {
    if (error instanceof BadRequestError) return error.reason
    throw error
  }
  throw new Error('no BadRequestError was thrown')
}

describe('crypto.ts', () => {
  // Published vectors (the "quick brown fox" HMACs of Wikipedia's HMAC article, SHA-256 of "abc" from FIPS 180-2).
  const fox = 'The quick brown fox jumps over the lazy dog'
  it('hmac and sha256 give the published digests, hex by default, base64 when asked', () => {
    expect(hmac('sha256', 'key', fox)).toBe('f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8')
    expect(hmac('sha1', 'key', fox)).toBe('de7c9b85b8b78aa6bc8a7a36f70a90701c9db4d9')
    expect(hmac('sha256', 'key', Buffer.from(fox), 'base64')).toBe(Buffer.from('f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8', 'hex').toString('base64'))
    expect(sha256('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')
    expect(sha256('abc', 'base64')).toBe('ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=')
  })

  it('safeEqual: true only for the same string; false (never a throw) for a missing side or another byte length', () => {
    expect(safeEqual('abc', 'abc')).toBe(true)
    expect(safeEqual('abc', 'abd')).toBe(false)
    expect(safeEqual('abc', 'abcd')).toBe(false)
    // Same UTF-16 length, different UTF-8 length: timingSafeEqual itself would throw.
    expect(safeEqual('é', 'e')).toBe(false)
    expect(safeEqual(undefined, 'abc')).toBe(false)
    expect(safeEqual('abc', undefined)).toBe(false)
    expect(safeEqual(undefined, undefined)).toBe(false)
  })

  it('isFresh: seconds below 1e12, milliseconds from it; the window is inclusive, in both directions', () => {
    const now = 1_700_000_000_000
    expect(isFresh(now / 1000, 300, now)).toBe(true)
    expect(isFresh(now, 300, now)).toBe(true)
    expect(isFresh(now / 1000 - 300, 300, now)).toBe(true)
    expect(isFresh(now / 1000 - 301, 300, now)).toBe(false)
    expect(isFresh(now - 300_000, 300, now)).toBe(true)
    expect(isFresh(now - 300_001, 300, now)).toBe(false)
    expect(isFresh(now + 300_000, 300, now)).toBe(true)
    expect(isFresh(now + 300_001, 300, now)).toBe(false)
    expect(isFresh(now / 1000 + 301, 300, now)).toBe(false)
    // 999,999,999,999 is read as seconds (year 33658), far from now; 1e12 as milliseconds (2001).
    expect(isFresh(1e12 - 1, 300, (1e12 - 1) * 1000)).toBe(true)
    expect(isFresh(1e12, 300, 1e12)).toBe(true)
    expect(isFresh(Number.NaN, 300, now)).toBe(false)
    expect(isFresh(Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY, now)).toBe(false)
    // Without `now`, the current time.
    expect(isFresh(Date.now(), 5)).toBe(true)
    expect(isFresh(Date.now() - 60_000, 5)).toBe(false)
  })

  it('header: any case, the first match, undefined when absent', () => {
    expect(header({ 'X-Hub-Signature': 'a', other: 'b' }, 'x-hub-signature')).toBe('a')
    expect(header({ 'x-hub-signature': 'a' }, 'X-Hub-Signature')).toBe('a')
    expect(header({ other: 'b' }, 'x-hub-signature')).toBeUndefined()
    expect(header({}, 'x')).toBeUndefined()
  })
})

describe('validate.ts', () => {
  it('nestsDeeperThan counts open brackets of both kinds, minus the closed ones, strictly above the limit', () => {
    expect(nestsDeeperThan('['.repeat(MAX_JSON_DEPTH))).toBe(false)
    expect(nestsDeeperThan('['.repeat(MAX_JSON_DEPTH + 1))).toBe(true)
    expect(nestsDeeperThan('{'.repeat(MAX_JSON_DEPTH + 1))).toBe(true)
    expect(nestsDeeperThan('[[', 2)).toBe(false)
    expect(nestsDeeperThan('[[[', 2)).toBe(true)
    expect(nestsDeeperThan('{[', 1)).toBe(true)
    // Closed brackets, of either kind, no longer count.
    expect(nestsDeeperThan('[][][]', 1)).toBe(false)
    expect(nestsDeeperThan('{}{}{}', 1)).toBe(false)
    expect(nestsDeeperThan('[{}]{[]}', 2)).toBe(false)
  })

  it('nestsDeeperThan skips strings, escaped quotes included', () => {
    expect(nestsDeeperThan(`"${'['.repeat(100)}"`, 2)).toBe(false)
    expect(nestsDeeperThan(`["\\"${'['.repeat(100)}"]`, 2)).toBe(false)
    expect(nestsDeeperThan(`["\\\\"${'['.repeat(3)}`, 2)).toBe(true)
    expect(nestsDeeperThan(`"x"${'['.repeat(3)}`, 2)).toBe(true)
    expect(nestsDeeperThan(`${'['.repeat(3)}"`, 2)).toBe(true)
  })

  it('parseJson: empty, too deep and malformed bodies are 400s naming what was read', () => {
    expect(parseJson('{"a":[1,null]}')).toEqual({ a: [1, null] })
    expect(badRequest(() => parseJson(undefined))).toBe('the body is empty')
    expect(badRequest(() => parseJson(' \n ', 'answer'))).toBe('the answer is empty')
    expect(badRequest(() => parseJson('['.repeat(65) + ']'.repeat(65)))).toBe('the body nests deeper than 64 levels')
    expect(parseJson('['.repeat(64) + ']'.repeat(64))).toBeInstanceOf(Array)
    expect(badRequest(() => parseJson('{"a":', 'answer'))).toBe('the answer is not valid JSON')
  })

  it('withoutTrailingSlashes drops only the trailing run', () => {
    expect(withoutTrailingSlashes('https://a.example/x///')).toBe('https://a.example/x')
    expect(withoutTrailingSlashes('a/b')).toBe('a/b')
    expect(withoutTrailingSlashes('///')).toBe('')
    expect(withoutTrailingSlashes('')).toBe('')
  })

  it('dropNulls removes null properties at every depth, keeps array positions, copies own properties only', () => {
    const proto = { inherited: 1 }
    const value = Object.assign(Object.create(proto) as object, { a: null, b: { c: null, d: 0, e: [null, { f: null, g: '' }] } })
    expect(dropNulls(value)).toEqual({ b: { d: 0, e: [null, { g: '' }] } })
    expect(Object.keys(dropNulls(value) as object)).toEqual(['b'])
    expect(dropNulls(null)).toBeNull()
    expect(dropNulls('x')).toBe('x')
  })

  it('dropNulls keeps a __proto__ key as an own, ordinary property, never as the prototype', () => {
    const out = dropNulls(JSON.parse('{"__proto__":{"polluted":true},"a":1}')) as Record<string, unknown>
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype)
    expect((out as { polluted?: boolean }).polluted).toBeUndefined()
    expect(Object.getOwnPropertyDescriptor(out, '__proto__')).toEqual({ value: { polluted: true }, enumerable: true, writable: true, configurable: true })
    expect(Object.keys(out)).toEqual(['__proto__', 'a'])
  })

  it('dropNulls refuses a structure deeper than the limit (400), accepts one at it', () => {
    const nest = (levels: number): unknown => {
      let value: unknown = {}
      for (let i = 1; i < levels; i++) value = i % 2 ? { a: value } : [value]
      return value
    }
    expect(() => dropNulls(nest(MAX_JSON_DEPTH))).not.toThrow()
    expect(badRequest(() => dropNulls(nest(MAX_JSON_DEPTH + 1)))).toBe('the body nests deeper than 64 levels')
    expect(badRequest(() => dropNulls([[[]]], MAX_JSON_DEPTH - 2))).toBe('the body nests deeper than 64 levels')
  })

  it('expectShape names each offending field (at most 5, 8 keys of 40 characters, 200 characters of message)', () => {
    expect(expectShape(z.object({ a: z.string() }), { a: 'x' }, 'the body')).toEqual({ a: 'x' })
    expect(badRequest(() => expectShape(z.string(), 5, 'the body'))).toMatch(/^the body is malformed: \(root\): \S/)
    expect(badRequest(() => expectShape(z.object({ a: z.object({ b: z.string() }) }), { a: { b: 1 } }, 'x'))).toMatch(/^x is malformed: a\.b: \S/)
    const six = z.object({ a: z.string(), b: z.string(), c: z.string(), d: z.string(), e: z.string(), f: z.string() })
    const reason = badRequest(() => expectShape(six, {}, 'x'))
    expect(reason.split('; ').map((part) => part.replace(/^x is malformed: /, '').split(':')[0])).toEqual(['a', 'b', 'c', 'd', 'e'])
    const long = 'k'.repeat(100)
    const deep = 'abcdefghij'.split('')
    let schema: zod.ZodMiniType = z.string().check(z.minLength(1, { error: 'm'.repeat(300) }))
    for (const key of [...deep].reverse()) schema = z.object({ [key]: schema })
    let value: unknown = ''
    for (const key of [...deep].reverse()) value = { [key]: value }
    expect(badRequest(() => expectShape(schema, value, 'x'))).toBe(`x is malformed: a.b.c.d.e.f.g.h: ${'m'.repeat(200)}`)
    expect(badRequest(() => expectShape(z.object({ [long]: z.string() }), {}, 'x'))).toMatch(new RegExp(`^x is malformed: ${'k'.repeat(40)}: `))
  })

  it('id(): a non-empty string of at most 500 characters, or a number, always read as a string', () => {
    const shape = z.object({ id: id() })
    expect(expectShape(shape, { id: 42 }, 'x')).toEqual({ id: '42' })
    expect(expectShape(shape, { id: 'a'.repeat(500) }, 'x')).toEqual({ id: 'a'.repeat(500) })
    expect(badRequest(() => expectShape(shape, { id: '' }, 'x'))).toMatch(/^x is malformed: id/)
    expect(badRequest(() => expectShape(shape, { id: 'a'.repeat(501) }, 'x'))).toMatch(/^x is malformed: id/)
  })
})

describe('order.ts', () => {
  const d = (proof: string) => proofDigest(proof)!

  it('proofDigest: the first 16 hex characters of the SHA-256, nothing for no proof', () => {
    expect(proofDigest('abc')).toBe('ba7816bf8f01cfea')
    expect(proofDigest('')).toBeUndefined()
    expect(proofDigest(undefined)).toBeUndefined()
  })

  it('isReplay: older is a replay, newer is not, a tie only with a proof already applied', () => {
    const tags = { lastEventAt: '1000', lastEventProofs: `${d('p1')} ${d('p2')}` }
    expect(isReplay(tags, 999, 'new')).toBe(true)
    expect(isReplay(tags, 999, undefined)).toBe(true)
    expect(isReplay(tags, 1001, 'p1')).toBe(false)
    expect(isReplay(tags, 1000, 'p1')).toBe(true)
    expect(isReplay(tags, 1000, 'p2')).toBe(true)
    expect(isReplay(tags, 1000, 'p3')).toBe(false)
    expect(isReplay(tags, 1000, undefined)).toBe(false)
    // Milliseconds are whole: 1000.9 is the same tick as 1000.
    expect(isReplay(tags, 1000.9, 'p1')).toBe(true)
    expect(isReplay(tags, 1000.9, 'p3')).toBe(false)
  })

  it('isReplay: no time, or no readable last time, is never a replay', () => {
    const tags = { lastEventAt: '1000', lastEventProofs: d('p1') }
    expect(isReplay(tags, undefined, 'p1')).toBe(false)
    expect(isReplay(tags, Number.NaN, 'p1')).toBe(false)
    expect(isReplay(tags, Number.NEGATIVE_INFINITY, 'p1')).toBe(false)
    expect(isReplay({}, 5, 'p1')).toBe(false)
    for (const bad of ['', 'abc', '1e3', ' 1000', '1000 ', '-1000', '1'.repeat(17)]) {
      expect(isReplay({ lastEventAt: bad, lastEventProofs: d('p1') }, 0, 'p1')).toBe(false)
    }
    expect(isReplay({ lastEventAt: '9'.repeat(16) }, 0, undefined)).toBe(true)
  })

  it('isReplay trusts only digests of ours in the proofs tag, and no tag longer than a tag value', () => {
    expect(isReplay({ lastEventAt: '1000', lastEventProofs: `x${d('p1')}` }, 1000, 'p1')).toBe(false)
    const padded = (length: number) => d('p1').padEnd(length, ' ')
    expect(isReplay({ lastEventAt: '1000', lastEventProofs: padded(LIMITS.tagValue) }, 1000, 'p1')).toBe(true)
    expect(isReplay({ lastEventAt: '1000', lastEventProofs: padded(LIMITS.tagValue + 1) }, 1000, 'p1')).toBe(false)
  })

  it('orderTags: a new tick resets the proofs, the same tick adds one once, at most 24 kept, oldest dropped', () => {
    expect(orderTags({}, 1000.7, 'p1')).toEqual({ lastEventAt: '1000', lastEventProofs: d('p1') })
    expect(orderTags({}, 1000, undefined)).toEqual({ lastEventAt: '1000', lastEventProofs: '' })
    const tags = { lastEventAt: '1000', lastEventProofs: d('p1') }
    expect(orderTags(tags, 1000, 'p2')).toEqual({ lastEventAt: '1000', lastEventProofs: `${d('p1')} ${d('p2')}` })
    expect(orderTags(tags, 1000, 'p1')).toEqual({ lastEventAt: '1000', lastEventProofs: d('p1') })
    expect(orderTags(tags, 1000, undefined)).toEqual({ lastEventAt: '1000', lastEventProofs: d('p1') })
    expect(orderTags(tags, 1001, 'p2')).toEqual({ lastEventAt: '1001', lastEventProofs: d('p2') })
    expect(orderTags(tags, 1001, undefined)).toEqual({ lastEventAt: '1001', lastEventProofs: '' })
    // Hand-edited or foreign entries are dropped, never carried over.
    expect(orderTags({ lastEventAt: '1000', lastEventProofs: `junk x${d('p1')} ${d('p1')}` }, 1000, 'p2').lastEventProofs).toBe(`${d('p1')} ${d('p2')}`)
    const many = Array.from({ length: MAX_TIED_PROOFS }, (_, i) => d(`p${i}`))
    const full = orderTags({ lastEventAt: '1000', lastEventProofs: many.join(' ') }, 1000, 'new')
    expect(full.lastEventProofs).toBe([...many.slice(1), d('new')].join(' '))
    expect(full.lastEventProofs?.length).toBeLessThanOrEqual(LIMITS.tagValue)
  })

  it('orderTags: without a usable time, the time it is applied', () => {
    const before = Date.now()
    for (const at of [undefined, Number.NaN]) {
      const { lastEventAt } = orderTags({}, at, 'p1')
      expect(Number(lastEventAt)).toBeGreaterThanOrEqual(before)
      expect(Number(lastEventAt)).toBeLessThanOrEqual(Date.now())
    }
  })
})

describe('limits.ts', () => {
  it('cut: unchanged up to the limit, then max units ending in "…", never splitting a surrogate pair', () => {
    expect(cut('abcde', 5)).toBe('abcde')
    expect(cut('abcdef', 5)).toBe('abcd…')
    expect(cut('abc😀def', 5)).toBe('abc…')
    expect(cut('ab😀def', 5)).toBe('ab😀…')
    expect(cut('😀', 1)).toBe('…')
  })

  it('tagValue: ids up to 500 characters as they are, longer ones as their SHA-256', () => {
    expect(tagValue('a'.repeat(500))).toBe('a'.repeat(500))
    expect(tagValue('a'.repeat(501))).toBe(`sha256:${sha256('a'.repeat(501))}`)
  })

  it('pictureUrl: trimmed http(s) URLs without spaces, up to 2,000 characters', () => {
    expect(pictureUrl(' https://cdn.example/a.png ')).toBe('https://cdn.example/a.png')
    expect(pictureUrl('HTTP://cdn.example/a.png')).toBe('HTTP://cdn.example/a.png')
    const at = (length: number) => `https://cdn.example/${'a'.repeat(length - 20)}`
    expect(pictureUrl(at(LIMITS.pictureUrl))).toBe(at(LIMITS.pictureUrl))
    expect(pictureUrl(at(LIMITS.pictureUrl + 1))).toBeUndefined()
    for (const bad of [undefined, '', '  ', 'ftp://cdn.example/a', 'javascript:alert(1)', 'xhttps://cdn.example/a', 'https://cdn.example/a b', 'https://'])
      expect(pictureUrl(bad)).toBeUndefined()
  })

  it('userName: trimmed, cut to 200, nothing for blank', () => {
    expect(userName('  Jane  ')).toBe('Jane')
    expect(userName('   ')).toBeUndefined()
    expect(userName(undefined)).toBeUndefined()
    expect(userName('x'.repeat(201))).toBe(`${'x'.repeat(199)}…`)
    expect(sanitizeAgent({ id: 'a1', name: ' Ann ', pictureUrl: 'javascript:x' })).toEqual({ id: 'a1', name: 'Ann', pictureUrl: undefined })
    expect(sanitizeAgent({ id: 'a1', pictureUrl: 'https://cdn.example/a.png' })).toEqual({ id: 'a1', name: undefined, pictureUrl: 'https://cdn.example/a.png' })
  })

  it('classifyContactPoint: an address (lowercased), a phone (digits and +), or nothing', () => {
    expect(classifyContactPoint(undefined)).toEqual({})
    expect(classifyContactPoint('   ')).toEqual({})
    expect(classifyContactPoint('Jane@Example.COM')).toEqual({ email: 'jane@example.com' })
    const longest = `${'a'.repeat(LIMITS.email - 12)}@example.com`
    expect(classifyContactPoint(longest)).toEqual({ email: longest })
    expect(classifyContactPoint(`a${longest}`)).toEqual({})
    expect(classifyContactPoint('x@no-reply.abc.botpress.com')).toEqual({})
    expect(classifyContactPoint('X@NO-REPLY.ABC.BOTPRESS.COM')).toEqual({})
    expect(classifyContactPoint('x@no-reply.abc.botpress.com.evil.example')).toEqual({ email: 'x@no-reply.abc.botpress.com.evil.example' })
    for (const bad of ['a b@example.com', 'a@b@example.com', 'a@example', '@example.com', 'a@.']) expect(classifyContactPoint(bad)).toEqual({})
    expect(classifyContactPoint('+33 1 23 45 67 89')).toEqual({ phone: '+33123456789' })
    expect(classifyContactPoint('123456')).toEqual({ phone: '123456' })
    expect(classifyContactPoint('12345')).toEqual({})
    expect(classifyContactPoint('1'.repeat(21))).toEqual({})
    expect(classifyContactPoint('x123456')).toEqual({})
    expect(classifyContactPoint('123456x')).toEqual({})
    // Six characters of the phone alphabet but fewer than six digits.
    expect(classifyContactPoint('(12) 3-4')).toEqual({})
    expect(classifyContactPoint('++12345')).toEqual({})
  })
})
