/**
 * Intercom documents no maximum length for a conversation part, but very long bodies are refused or clipped by its
 * inbox and Messenger. We never send more than MAX_BODY_CHARS in one part: longer text goes out as several parts,
 * in order, cut at paragraph, line or word boundaries. Nothing is ever dropped.
 */
export const MAX_BODY_CHARS = 5000

const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff

export const splitText = (text: string, max = MAX_BODY_CHARS): string[] => {
  if (max < 20) throw new Error('splitText: max too small')
  const chunks: string[] = []
  let rest = text
  while (rest.length > max) {
    const window = rest.slice(0, max + 1)
    const floor = Math.floor(max / 2)
    let cut = window.lastIndexOf('\n\n')
    if (cut < floor) cut = window.lastIndexOf('\n')
    if (cut < floor) cut = window.lastIndexOf(' ')
    if (cut < floor) {
      cut = max
      if (isHighSurrogate(rest.charCodeAt(cut - 1))) cut -= 1
    }
    const head = rest.slice(0, cut).replace(/\s+$/, '')
    if (head) chunks.push(head)
    rest = rest.slice(cut).replace(/^\s+/, '')
  }
  if (rest.trim() || chunks.length === 0) chunks.push(rest)
  return chunks
}
