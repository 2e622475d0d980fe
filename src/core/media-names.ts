/** File names of downloaded media: from Content-Disposition (one bounded pass) or the URL's path, cleaned. */
// ── File name ───────────────────────────────────────────────────────────────────────────────────────────────────────

const MAX_NAME_CODE_POINTS = 200

/** A file name safe to show and store: last path segment, no control characters, at most 200 code points. */
const cleanFileName = (name: string): string | undefined => {
  const lastSlash = Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\'))
  let out = ''
  let count = 0
  for (const ch of name.slice(lastSlash + 1, lastSlash + 1 + 4 * MAX_NAME_CODE_POINTS)) {
    const code = ch.codePointAt(0)!
    if (code < 0x20 || code === 0x7f || (code >= 0x80 && code < 0xa0)) continue
    out += ch
    if (++count >= MAX_NAME_CODE_POINTS) break
  }
  out = out.trim()
  return out && out !== '.' && out !== '..' ? out : undefined
}

const decodePercent = (text: string, charset: string): string | undefined => {
  try {
    if (charset === 'utf-8') return decodeURIComponent(text)
    // ISO-8859-1 (the only other charset RFC 8187 requires): each %XX is one code point.
    let out = ''
    for (let i = 0; i < text.length; i++) {
      if (text[i] === '%' && /^[0-9a-fA-F]{2}$/.test(text.slice(i + 1, i + 3))) {
        out += String.fromCharCode(parseInt(text.slice(i + 1, i + 3), 16))
        i += 2
      } else out += text[i]
    }
    return out
  } catch {
    return undefined
  }
}

/**
 * The file name a Content-Disposition header gives (`filename*` per RFC 8187 first, then `filename`), parsed in one
 * pass over at most 2,000 characters, or `undefined`.
 */
export const fileNameFromDisposition = (header: string | undefined): string | undefined => {
  if (!header) return undefined
  const text = header.slice(0, 2_000)
  // Split into parameters on `;` outside quotes, unquoting as we go.
  const params: Array<[string, string]> = []
  let name = ''
  let value = ''
  let inValue = false
  let quoted = false
  let escaped = false
  const flush = () => {
    if (inValue) params.push([name.trim().toLowerCase(), quoted ? value : value.trim()])
    name = ''
    value = ''
    inValue = false
    quoted = false
  }
  let inQuotes = false
  for (const ch of text) {
    if (inQuotes) {
      if (escaped) {
        value += ch
        escaped = false
      } else if (ch === '\\') escaped = true
      else if (ch === '"') inQuotes = false
      else value += ch
    } else if (ch === ';') flush()
    else if (!inValue && ch === '=') inValue = true
    else if (inValue && ch === '"' && value.trim() === '') {
      inQuotes = true
      quoted = true
      value = ''
    } else if (inValue) value += ch
    else name += ch
  }
  flush()
  const extended = params.find(([n]) => n === 'filename*')?.[1]
  if (extended) {
    const first = extended.indexOf("'")
    const second = first < 0 ? -1 : extended.indexOf("'", first + 1)
    if (second > 0) {
      const charset = extended.slice(0, first).toLowerCase()
      if (charset === 'utf-8' || charset === 'iso-8859-1') {
        const decoded = decodePercent(extended.slice(second + 1), charset)
        const clean = decoded === undefined ? undefined : cleanFileName(decoded)
        if (clean) return clean
      }
    }
  }
  const plain = params.find(([n]) => n === 'filename')?.[1]
  return plain ? cleanFileName(plain) : undefined
}

/** The last segment of the URL's path, percent-decoded, or `undefined`. */
export const fileNameFromUrl = (u: URL): string | undefined => {
  const path = u.pathname.slice(-1_000)
  const segment = path.slice(path.lastIndexOf('/') + 1)
  if (!segment) return undefined
  let decoded = segment
  try {
    decoded = decodeURIComponent(segment)
  } catch {
    // keep it encoded
  }
  return cleanFileName(decoded)
}
