/**
 * Edges of the core helpers that test/core/primitives.test.ts left open, each found by the mutation run (a change of
 * the helper no test noticed): surrogate bounds of `cut`, untrimmed contact points, phone digits counted without the
 * `+`, brackets separated by values, and a proofs tag too long to read.
 */
import { classifyContactPoint, cut } from '../../src/core/limits'
import { orderTags, proofDigest } from '../../src/core/order'
import { nestsDeeperThan } from '../../src/core/validate'

describe('core helper edges', () => {
  it('cut keeps a surrogate pair whole at both ends of the high-surrogate range (U+D800, U+DBFF)', () => {
    expect(cut('ab\uD800\uDC00def', 4)).toBe('ab…')
    expect(cut('ab\uDBFF\uDFFFdef', 4)).toBe('ab…')
    // Just outside the range: an ordinary character, kept.
    expect(cut('ab\uD7FFdef', 4)).toBe('ab\uD7FF…')
    expect(cut('ab\uDC00def', 4)).toBe('ab\uDC00…')
  })

  it('a contact point is trimmed before it is classified', () => {
    expect(classifyContactPoint('  Jane@Example.com \n')).toEqual({ email: 'jane@example.com' })
    expect(classifyContactPoint(' +33 612345678 ')).toEqual({ phone: '+33612345678' })
  })

  it('a phone number needs six digits; its "+" is not one', () => {
    expect(classifyContactPoint('+12345')).toEqual({})
    // Six characters of the phone alphabet after the "+", five of them digits.
    expect(classifyContactPoint('+1 2345')).toEqual({})
    expect(classifyContactPoint('+123456')).toEqual({ phone: '+123456' })
  })

  it('nestsDeeperThan: values between brackets do not close anything', () => {
    expect(nestsDeeperThan('[1,[2,[3', 2)).toBe(true)
    expect(nestsDeeperThan('{"a":{"b":{"c":1', 2)).toBe(true)
  })

  it('a proofs tag longer than a tag value is not read: only the new proof is kept', () => {
    const tooLong = `${proofDigest('p1')}${' '.repeat(500)}`
    expect(orderTags({ lastEventAt: '1000', lastEventProofs: tooLong }, 1000, 'p2')).toEqual({ lastEventAt: '1000', lastEventProofs: proofDigest('p2') })
  })
})
