/**
 * Intercom speaks HTML: agent replies arrive as HTML (`<p class="no-margin">…</p>`, links, lists, inline images) and
 * notes we post are rendered as HTML. These helpers turn agent HTML into readable text plus the images it inlines,
 * and plain text into safe HTML. A small tag walker, not a browser: it only needs the markup Intercom's composer makes.
 */

export type HtmlSegment = { type: 'text'; text: string } | { type: 'image'; url: string; title?: string }

const NAMED: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: ' ',
  hellip: '…',
  mdash: '—',
  ndash: '–',
  lsquo: '‘',
  rsquo: '’',
  ldquo: '“',
  rdquo: '”',
  laquo: '«',
  raquo: '»',
  bull: '•',
  middot: '·',
  copy: '©',
  reg: '®',
  trade: '™',
  euro: '€',
  pound: '£',
  deg: '°',
  times: '×',
}

export const decodeEntities = (text: string): string =>
  text.replace(/&(#[0-9]{1,7}|#x[0-9a-f]{1,6}|[a-z][a-z0-9]{1,9});/gi, (whole, ref: string) => {
    if (ref[0] === '#') {
      const code = ref[1] === 'x' || ref[1] === 'X' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10)
      if (!Number.isFinite(code) || code <= 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return whole
      return String.fromCodePoint(code === 0xa0 ? 0x20 : code)
    }
    return NAMED[ref.toLowerCase()] ?? whole
  })

export const escapeHtml = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')

/** Plain text → HTML paragraphs for notes (blank lines separate paragraphs, single newlines become `<br>`). */
export const textToHtml = (text: string): string =>
  text
    .split(/\n{2,}/)
    .map((para) => `<p>${escapeHtml(para).replace(/\n/g, '<br>')}</p>`)
    .join('')

const TOKEN = /<!--[\s\S]*?-->|<(\/?)([a-zA-Z][a-zA-Z0-9]*)((?:[^>"']|"[^"]*"|'[^']*')*)>/g
const BLOCK = new Set([
  'div', 'section', 'article', 'header', 'footer', 'blockquote', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'tr', 'table', 'figure', 'figcaption',
])
const SKIP = new Set(['script', 'style', 'head', 'title'])

const attribute = (attrs: string, name: string): string | undefined => {
  const match = new RegExp(`(?:^|\\s)${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)'|([^\\s"'>]+))`, 'i').exec(attrs)
  if (!match) return undefined
  const value = decodeEntities(match[1] ?? match[2] ?? match[3] ?? '').trim()
  return value || undefined
}

const isWebUrl = (url: string | undefined): url is string => !!url && /^https?:\/\/\S+$/i.test(url)

const tidy = (text: string) =>
  text
    .split('\n')
    .map((line) => line.replace(/[ \t]+$/g, ''))
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .replace(/^\n+|\n+$/g, '')

/**
 * Agent HTML → text and image segments, in reading order. Paragraphs and `<br>` become newlines (Intercom's composer
 * writes one `<p>` per line), lists become "- item" / "1. item" lines, links stay as "text (url)", entities are
 * decoded, `<img src>` splits the text and becomes an image segment.
 */
export const htmlToSegments = (html: string): HtmlSegment[] => {
  const segments: HtmlSegment[] = []
  const lists: Array<{ ordered: boolean; n: number }> = []
  const links: Array<{ href?: string; start: number }> = []
  let out = ''
  let pre = 0
  let skip = 0
  let paragraphStart = -1

  const newline = () => {
    if (out && !out.endsWith('\n')) out += '\n'
  }
  const flush = () => {
    const text = tidy(out)
    if (text.trim()) segments.push({ type: 'text', text })
    out = ''
    for (const link of links) link.start = 0
  }
  const addText = (raw: string) => {
    if (skip || !raw) return
    let text = raw
    if (!pre) {
      text = text.replace(/\s+/g, ' ')
      if (!out || out.endsWith('\n') || out.endsWith(' ')) text = text.replace(/^ /, '')
    }
    out += decodeEntities(text)
  }

  let last = 0
  for (const match of html.matchAll(TOKEN)) {
    addText(html.slice(last, match.index))
    last = match.index + match[0].length
    const name = match[2]?.toLowerCase()
    if (!name) continue // comment
    const closing = match[1] === '/'
    const attrs = match[3] ?? ''
    if (SKIP.has(name)) {
      skip = Math.max(0, skip + (closing ? -1 : 1))
      continue
    }
    if (skip) continue
    if (name === 'br') out += '\n'
    else if (name === 'p') {
      // Intercom's composer writes one paragraph per line, and an empty paragraph for a blank line.
      if (!closing) {
        newline()
        paragraphStart = out.length
      } else if (out.length === paragraphStart) out += '\n'
      else newline()
    } else if (BLOCK.has(name)) newline()
    else if (name === 'pre') {
      newline()
      pre = Math.max(0, pre + (closing ? -1 : 1))
    } else if (name === 'hr') {
      newline()
    } else if (name === 'ul' || name === 'ol') {
      newline()
      if (closing) lists.pop()
      else lists.push({ ordered: name === 'ol', n: 0 })
    } else if (name === 'li') {
      newline()
      if (!closing) {
        const list = lists[lists.length - 1]
        const indent = '  '.repeat(Math.max(0, lists.length - 1))
        out += list?.ordered ? `${indent}${++list.n}. ` : `${indent}- `
      }
    } else if (name === 'a') {
      if (!closing) links.push({ href: attribute(attrs, 'href'), start: out.length })
      else {
        const link = links.pop()
        if (link?.href && /^(https?:|mailto:|tel:)/i.test(link.href)) {
          const label = out.slice(link.start).trim()
          const bare = link.href.replace(/^(mailto:|tel:)/i, '')
          if (!label) out += link.href
          else if (label !== link.href && label !== bare) out += ` (${link.href})`
        }
      }
    } else if (name === 'img' && !closing) {
      const src = attribute(attrs, 'src')
      if (isWebUrl(src)) {
        flush()
        segments.push({ type: 'image', url: src, title: attribute(attrs, 'alt') })
      }
    }
  }
  addText(html.slice(last))
  flush()
  return segments
}

/** Agent HTML → readable text only (images dropped). */
export const htmlToText = (html: string): string =>
  htmlToSegments(html)
    .flatMap((s) => (s.type === 'text' ? [s.text] : []))
    .join('\n')
