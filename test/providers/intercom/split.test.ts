import { splitText } from '../../../src/providers/intercom/split'

describe('intercom body splitting', () => {
  it('leaves short text alone', () => {
    expect(splitText('hello', 100)).toEqual(['hello'])
    expect(splitText('', 100)).toEqual([''])
  })

  it('cuts at paragraph, then line, then word boundaries, within the limit, losing only the whitespace at a cut', () => {
    const text = `${'a'.repeat(60)}\n\n${'b'.repeat(30)}\n${'c '.repeat(40)}end`
    const chunks = splitText(text, 80)
    for (const c of chunks) expect(c.length).toBeLessThanOrEqual(80)
    expect(chunks[0]).toBe('a'.repeat(60))
    expect(chunks.join(' ').replace(/\s+/g, ' ')).toBe(text.replace(/\s+/g, ' '))
  })

  it('hard-cuts a word longer than the limit without splitting a surrogate pair', () => {
    const text = 'x'.repeat(49) + '😀' + 'y'.repeat(60)
    const chunks = splitText(text, 50)
    expect(chunks.join('')).toBe(text)
    for (const c of chunks) {
      expect(c.length).toBeLessThanOrEqual(50)
      expect(c).not.toMatch(/^[\uDC00-\uDFFF]|[\uD800-\uDBFF]$/)
    }
  })
})
