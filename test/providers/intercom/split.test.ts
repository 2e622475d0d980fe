/** Long bodies: Intercom parts are cut with the shared splitter, and escaping never pushes a part past the limit. */
import { splitText } from '../../../src/providers/shared'
import { textToHtml } from '../../../src/providers/intercom/html'
import { bodyChunks, MAX_BODY_CHARS, PREFIX_ROOM } from '../../../src/providers/intercom/render'

describe('intercom body splitting', () => {
  it('leaves short text alone', () => {
    expect(splitText('hello', { maxChars: 100 })).toEqual(['hello'])
    expect(bodyChunks('')).toEqual([''])
  })

  it('cuts at paragraph, then line, then word boundaries, within the limit, losing only the whitespace at a cut', () => {
    const text = `${'a'.repeat(60)}\n\n${'b'.repeat(30)}\n${'c '.repeat(40)}end`
    const chunks = splitText(text, { maxChars: 80 })
    for (const c of chunks) expect(c.length).toBeLessThanOrEqual(80)
    expect(chunks[0]).toBe('a'.repeat(60))
    expect(chunks.join(' ').replace(/\s+/g, ' ')).toBe(text.replace(/\s+/g, ' '))
  })

  it('hard-cuts a word longer than the limit without splitting a surrogate pair', () => {
    const text = 'x'.repeat(49) + '😀' + 'y'.repeat(60)
    const chunks = splitText(text, { maxChars: 50 })
    expect(chunks.join('')).toBe(text)
    for (const c of chunks) {
      expect(c.length).toBeLessThanOrEqual(50)
      expect(c).not.toMatch(/^[\uDC00-\uDFFF]|[\uD800-\uDBFF]$/)
    }
  })

  it('text that escaping makes longer (& → &amp;) is cut smaller, so that every HTML part fits, nothing lost', () => {
    const text = '&"<>'.repeat(3000)
    const chunks = bodyChunks(text)
    expect(chunks.length).toBeGreaterThan(1)
    for (const c of chunks) expect(textToHtml(c).length).toBeLessThanOrEqual(MAX_BODY_CHARS - PREFIX_ROOM)
    expect(chunks.join('')).toBe(text)
  })
})
