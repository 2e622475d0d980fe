/**
 * Splitting long text for providers that refuse or clip long messages. One implementation for every adapter: cut at
 * paragraph, then line, then word boundaries when one lies in the second half of the window, never inside a
 * character (surrogate pair), nothing dropped, in time linear in the text.
 */
export type SplitLimit = {
  /** At most this many UTF-16 code units per piece. */
  maxChars?: number
  /** At most this many UTF-8 bytes per piece. */
  maxBytes?: number
}

const utf8Size = (code: number) => (code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4)

/** The length in code units of the longest prefix of `text` from `start` within the limits, ending on a code point boundary. */
const windowEnd = (text: string, start: number, limit: SplitLimit): number => {
  const maxChars = limit.maxChars ?? Infinity
  const maxBytes = limit.maxBytes ?? Infinity
  let i = start
  let bytes = 0
  while (i < text.length) {
    const code = text.codePointAt(i)!
    const units = code > 0xffff ? 2 : 1
    const size = utf8Size(code)
    if (i + units - start > maxChars || bytes + size > maxBytes) break
    bytes += size
    i += units
  }
  return i
}

const fits = (text: string, limit: SplitLimit) =>
  (limit.maxChars === undefined || text.length <= limit.maxChars) &&
  (limit.maxBytes === undefined || Buffer.byteLength(text, 'utf8') <= limit.maxBytes)

export const splitText = (text: string, limit: SplitLimit): string[] => {
  if ((limit.maxChars ?? Infinity) < 8 || (limit.maxBytes ?? Infinity) < 8) throw new Error('splitText: limit too small')
  if (fits(text, limit)) return [text]
  const pieces: string[] = []
  let start = 0
  while (start < text.length) {
    const end = windowEnd(text, start, limit)
    if (end >= text.length) {
      const last = text.slice(start)
      if (last.trim()) pieces.push(last)
      break
    }
    const window = text.slice(start, end)
    const floor = Math.floor(window.length / 2)
    let cut = window.lastIndexOf('\n\n')
    if (cut < floor) cut = window.lastIndexOf('\n')
    if (cut < floor) cut = window.lastIndexOf(' ')
    if (cut < floor) cut = window.length
    const head = window.slice(0, cut).trimEnd()
    if (head) pieces.push(head)
    start += cut
    // Skip the whitespace the cut was made at.
    while (start < text.length && /\s/.test(text[start]!)) start++
  }
  return pieces.length ? pieces : [text.slice(0, windowEnd(text, 0, limit))]
}
