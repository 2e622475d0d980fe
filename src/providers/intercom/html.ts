/**
 * Intercom speaks HTML: replies fetched from the API and webhook bodies of API versions before 2.15 are HTML
 * (`<p class="no-margin">…</p>`, links, lists, inline images); webhook bodies of 2.15+ are plain text. These helpers
 * tell the two apart, turn agent HTML into readable text plus the images it inlines, and plain text into safe HTML.
 *
 * A single-pass tag scanner, not a browser and not a regular expression over the markup: every input is cut at
 * MAX_HTML_CHARS first, each character is looked at a bounded number of times, and an unterminated tag or comment
 * ends the scan (the rest is text), so no input can make the conversion slower than linear.
 */
import { isWebUrl, own } from '../shared'

export type HtmlSegment = { type: 'text'; text: string } | { type: 'image'; url: string; title?: string }

/** Longer bodies are cut before conversion (Intercom's own parts are far shorter). */
export const MAX_HTML_CHARS = 200_000
/** Nesting kept track of at most (deeper lists are indented like the deepest; deeper links are plain text). */
const MAX_DEPTH = 16

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

/** Bounded quantifiers only: linear. Names are looked up as own properties (`&constructor;` stays as written). */
export const decodeEntities = (text: string): string =>
  text.indexOf('&') < 0
    ? text
    : text.replace(/&(#[0-9]{1,7}|#x[0-9a-f]{1,6}|[a-z][a-z0-9]{1,9});/gi, (whole, ref: string) => {
        if (ref[0] === '#') {
          const code = ref[1] === 'x' || ref[1] === 'X' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10)
          if (!Number.isFinite(code) || code <= 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return whole
          return String.fromCodePoint(code === 0xa0 ? 0x20 : code)
        }
        return own(NAMED, ref.toLowerCase()) ?? whole
      })

export const escapeHtml = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')

/** Plain text → HTML paragraphs (blank lines separate paragraphs, single newlines become `<br>`), every character escaped. */
export const textToHtml = (text: string): string =>
  text
    .replace(/\r\n?/g, '\n')
    .split(/\n{2,}/)
    .map((para) => `<p>${escapeHtml(para).replace(/\n/g, '<br>')}</p>`)
    .join('')

const BLOCK = new Set([
  'div', 'section', 'article', 'header', 'footer', 'blockquote', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'tr', 'table', 'figure', 'figcaption',
])
const SKIP = new Set(['script', 'style', 'head', 'title'])
/** What the bodies Intercom renders start with (composer paragraphs, containers, lists, inline images). */
const LEADING = new Set(['p', 'div', 'ul', 'ol', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'blockquote', 'pre', 'img', 'figure', 'table', 'br'])

const isNameChar = (c: number) => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122)
const isSpace = (c: string | undefined) => c === ' ' || c === '\n' || c === '\t' || c === '\r' || c === '\f'

type Tag = { name: string; closing: boolean; attrs: string; end: number }

/** The tag starting at `at` (a `<`), or undefined when `<` does not open one; `end: -1` when it is never closed. */
const readTag = (html: string, at: number): Tag | undefined => {
  let i = at + 1
  const closing = html[i] === '/'
  if (closing) i++
  const nameStart = i
  while (i < html.length && isNameChar(html.charCodeAt(i))) i++
  if (i === nameStart || !/[a-z]/i.test(html[nameStart]!)) return undefined
  const name = html.slice(nameStart, i).toLowerCase()
  const attrsStart = i
  let quote = ''
  for (; i < html.length; i++) {
    const c = html[i]!
    if (quote) {
      if (c === quote) quote = ''
    } else if (c === '"' || c === "'") quote = c
    else if (c === '>') return { name, closing, attrs: html.slice(attrsStart, i), end: i + 1 }
  }
  return { name, closing, attrs: '', end: -1 }
}

/** One attribute's value, decoded; a single left-to-right pass over the tag's attributes. */
export const attribute = (attrs: string, wanted: string): string | undefined => {
  let i = 0
  while (i < attrs.length) {
    while (i < attrs.length && (isSpace(attrs[i]) || attrs[i] === '/')) i++
    const start = i
    while (i < attrs.length && !isSpace(attrs[i]) && attrs[i] !== '=' && attrs[i] !== '/') i++
    const name = attrs.slice(start, i).toLowerCase()
    while (i < attrs.length && isSpace(attrs[i])) i++
    let value = ''
    if (attrs[i] === '=') {
      i++
      while (i < attrs.length && isSpace(attrs[i])) i++
      const quote = attrs[i]
      if (quote === '"' || quote === "'") {
        const close = attrs.indexOf(quote, i + 1)
        const end = close < 0 ? attrs.length : close
        value = attrs.slice(i + 1, end)
        i = end + 1
      } else {
        const valueStart = i
        while (i < attrs.length && !isSpace(attrs[i])) i++
        value = attrs.slice(valueStart, i)
      }
    }
    if (name === wanted) return decodeEntities(value).trim() || undefined
    if (i === start) i++
  }
  return undefined
}

/**
 * Whether a part's body is Intercom HTML rather than plain text: it starts with one of the elements Intercom's
 * renderer opens bodies with (`<p`, `<div`, lists, `<img`, …) and ends with a tag. A plain-text body (webhooks of API
 * 2.15+) that happens to start with `<SAVE10>` or `<b>` is not taken for markup.
 */
export const looksLikeHtml = (body: string): boolean => {
  const text = body.trim()
  if (text[0] !== '<' || text[text.length - 1] !== '>') return false
  const tag = readTag(text, 0)
  return !!tag && !tag.closing && tag.end > 0 && LEADING.has(tag.name)
}

/** Trailing spaces of each line dropped, runs of blank lines cut to one, leading and trailing newlines dropped. */
const tidy = (text: string): string => {
  const lines: string[] = []
  let blank = 0
  for (const raw of text.split('\n')) {
    let end = raw.length
    while (end > 0 && (raw[end - 1] === ' ' || raw[end - 1] === '\t')) end--
    const line = raw.slice(0, end)
    if (!line) {
      blank++
      continue
    }
    if (lines.length && blank) lines.push('')
    blank = 0
    lines.push(line)
  }
  return lines.join('\n')
}

/** A link target shown to a person: http(s) as is, the address of mailto:/tel: as plain text, nothing else. */
const linkTarget = (href: string | undefined): string | undefined => {
  if (!href) return undefined
  if (isWebUrl(href as unknown)) return href
  const lower = href.slice(0, 7).toLowerCase()
  if (lower === 'mailto:' || lower.startsWith('tel:')) {
    const bare = href.slice(lower === 'mailto:' ? 7 : 4).split('?')[0]!.trim()
    return /^[^\s<>"']{1,254}$/.test(bare) ? bare : undefined
  }
  return undefined
}

/**
 * Agent HTML → text and image segments, in reading order. Paragraphs and `<br>` become newlines (Intercom's composer
 * writes one `<p>` per line), lists become "- item" / "1. item" lines (also when the item holds paragraphs), links
 * stay as "text (url)", entities are decoded, `<img src>` splits the text and becomes an image segment. Only http(s)
 * URLs become links or images.
 */
export const htmlToSegments = (input: string): HtmlSegment[] => {
  const html = input.length > MAX_HTML_CHARS ? input.slice(0, MAX_HTML_CHARS) : input
  const segments: HtmlSegment[] = []
  const lists: Array<{ ordered: boolean; n: number }> = []
  const links: Array<{ href?: string; start: number }> = []
  // `out` only grows by appending; its last character is tracked apart, because reading the end of a string built
  // by concatenation makes the engine flatten it, which would make the walk quadratic.
  let out = ''
  let last = ''
  const emit = (text: string) => {
    if (!text) return
    out += text
    last = text[text.length - 1]!
  }
  let pre = 0
  let skip = 0
  let paragraphStart = -1
  /** Where the last list marker ends: a paragraph right after it stays on the marker's line. */
  let markerEnd = -1

  const newline = () => {
    if (out && last !== '\n' && out.length !== markerEnd) emit('\n')
  }
  const flush = () => {
    const text = tidy(out)
    if (text.trim()) segments.push({ type: 'text', text })
    out = ''
    last = ''
    markerEnd = -1
    for (const link of links) link.start = 0
  }
  const addText = (raw: string) => {
    if (skip || !raw) return
    let text = raw
    if (!pre) {
      text = text.replace(/\s+/g, ' ')
      if ((!out || last === '\n' || last === ' ') && text[0] === ' ') text = text.slice(1)
    }
    emit(decodeEntities(text))
  }
  const onTag = (tag: Tag) => {
    const { name, closing, attrs } = tag
    if (SKIP.has(name)) {
      skip = Math.max(0, skip + (closing ? -1 : 1))
      return
    }
    if (skip) return
    if (name === 'br') emit('\n')
    else if (name === 'p') {
      // Intercom's composer writes one paragraph per line, and an empty paragraph for a blank line.
      if (!closing) {
        newline()
        paragraphStart = out.length
      } else if (out.length === paragraphStart && out.length !== markerEnd) emit('\n')
      else newline()
    } else if (BLOCK.has(name) || name === 'hr') newline()
    else if (name === 'pre') {
      newline()
      pre = Math.max(0, pre + (closing ? -1 : 1))
    } else if (name === 'ul' || name === 'ol') {
      newline()
      if (closing) lists.pop()
      else lists.push({ ordered: name === 'ol', n: 0 })
    } else if (name === 'li') {
      newline()
      if (!closing) {
        const list = lists[lists.length - 1]
        const indent = '  '.repeat(Math.min(MAX_DEPTH, Math.max(0, lists.length - 1)))
        emit(list?.ordered ? `${indent}${++list.n}. ` : `${indent}- `)
        markerEnd = out.length
      }
    } else if (name === 'a') {
      if (!closing) {
        if (links.length < MAX_DEPTH) links.push({ href: attribute(attrs, 'href'), start: out.length })
      } else {
        const link = links.pop()
        const target = linkTarget(link?.href)
        if (link && target) {
          // Only a label about as long as the target can equal it: no copy of long labels.
          const long = out.length - link.start > target.length + (link.href?.length ?? 0) + 16
          const label = long ? undefined : out.slice(link.start).trim()
          if (label === '') emit(target)
          else if (label === undefined || (label !== target && label !== link.href)) emit(` (${target})`)
        }
      }
    } else if (name === 'img' && !closing) {
      const src = attribute(attrs, 'src')
      if (isWebUrl(src)) {
        flush()
        const alt = attribute(attrs, 'alt')
        segments.push({ type: 'image', url: src, ...(alt ? { title: alt } : {}) })
      }
    }
  }

  // `i`: where the text not yet emitted starts; `scan`: where to look for the next `<`.
  let i = 0
  let scan = 0
  while (scan < html.length) {
    const lt = html.indexOf('<', scan)
    if (lt < 0) break
    if (html.startsWith('<!--', lt)) {
      addText(html.slice(i, lt))
      const close = html.indexOf('-->', lt + 4)
      i = scan = close < 0 ? html.length : close + 3
      continue
    }
    const tag = readTag(html, lt)
    if (!tag) {
      scan = lt + 1 // a bare `<`: text
      continue
    }
    if (tag.end < 0) break // never closed: the rest is text
    addText(html.slice(i, lt))
    onTag(tag)
    i = scan = tag.end
  }
  addText(html.slice(i))
  flush()
  return segments
}

/** Agent HTML → readable text only (images dropped). */
export const htmlToText = (html: string): string =>
  htmlToSegments(html)
    .flatMap((s) => (s.type === 'text' ? [s.text] : []))
    .join('\n')
