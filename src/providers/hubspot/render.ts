/**
 * Text ↔ the HTML subset a custom channel carries in `richText` (hyperlinks, bold, italic, lists, inline images).
 * Outbound: plain text and markdown become safe HTML (everything escaped; only http(s) URLs become links).
 * Inbound: an agent's rich text becomes plain text for Botpress, and its inline images become image messages.
 *
 * Every conversion is a single forward scan (indexOf with remembered positions, anchored or bounded patterns
 * only): its time is linear in the input, whatever the input. Agent HTML is cut at MAX_RICH_TEXT characters.
 */
import { isWebUrl, own } from '../shared'

/** Characters of an agent's rich text converted (a custom-channel message is far shorter). */
export const MAX_RICH_TEXT = 100_000

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }
export const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c)

// Bounded: at most 2,048 characters per URL, so a failed match costs a bounded amount.
const URL_RE = /\bhttps?:\/\/[^\s<>"']{0,2048}[^\s<>"'.,;:!?)\]]/g

export const hasUrl = (text: string) => new RegExp(URL_RE.source).test(text)

/** Plain text as escaped HTML with its bare http(s) URLs as links (found in the raw text, then escaped). */
const linkify = (raw: string) => {
  let out = ''
  let last = 0
  for (const match of raw.matchAll(URL_RE)) {
    const url = escapeHtml(match[0])
    out += `${escapeHtml(raw.slice(last, match.index))}<a href="${url}">${url}</a>`
    last = match.index + match[0].length
  }
  return out + escapeHtml(raw.slice(last))
}

/** Plain text as HTML: escaped, links clickable, line breaks kept. */
export const textToHtml = (text: string) =>
  text
    .split(/\n{2,}/)
    .map((paragraph) => `<p>${linkify(paragraph).split('\n').join('<br>')}</p>`)
    .join('')

/** `indexOf` that remembers its last answer: called with non-decreasing `from`, a whole scan costs O(length). */
const finder = (text: string) => {
  const memo = new Map<string, number>()
  return (token: string, from: number) => {
    const known = memo.get(token)
    if (known !== undefined && (known === -1 || known >= from)) return known
    const at = text.indexOf(token, from)
    memo.set(token, at)
    return at
  }
}

const isWord = (c: string | undefined) => !!c && /[\p{L}\p{N}_]/u.test(c)

/**
 * The inline markdown of one line: [label](url), **bold**, __bold__, *italic*, _italic_, `code`. As HTML (escaped,
 * bare URLs linked) or as plain text. Links only for http(s) URLs; anything else stays as typed.
 */
const inlineMarkdown = (line: string, html: boolean): string => {
  const next = finder(line)
  const out: string[] = []
  let plain = ''
  const flush = () => {
    if (plain) out.push(html ? linkify(plain) : plain)
    plain = ''
  }
  const wrap = (tag: string, inner: string) => {
    flush()
    out.push(html ? `<${tag}>${linkify(inner)}</${tag}>` : inner)
  }
  let i = 0
  while (i < line.length) {
    const c = line[i]!
    if (c === '[') {
      const close = next(']', i + 1)
      if (close > i + 1 && line[close + 1] === '(') {
        const end = next(')', close + 2)
        const url = end > 0 ? line.slice(close + 2, end) : ''
        if (isWebUrl(url)) {
          const label = line.slice(i + 1, close)
          flush()
          out.push(html ? `<a href="${escapeHtml(url)}">${escapeHtml(label)}</a>` : label === url ? url : `${label} (${url})`)
          i = end + 1
          continue
        }
      }
    } else if ((c === '*' || c === '_') && line[i + 1] === c) {
      const close = next(c + c, i + 2)
      if (close > i + 2) {
        wrap('strong', line.slice(i + 2, close))
        i = close + 2
        continue
      }
    } else if ((c === '*' || c === '_') && !isWord(line[i - 1])) {
      const close = next(c, i + 1)
      if (close > i + 1 && !isWord(line[close + 1]) && line[i + 1] !== ' ') {
        wrap('em', line.slice(i + 1, close))
        i = close + 1
        continue
      }
    } else if (c === '`') {
      const close = next('`', i + 1)
      if (close > i + 1) {
        flush()
        const inner = line.slice(i + 1, close)
        out.push(html ? escapeHtml(inner) : inner)
        i = close + 1
        continue
      }
    }
    plain += c
    i++
  }
  flush()
  return out.join('')
}

const BULLET = /^\s{0,8}[-*+]\s+/
const NUMBERED = /^\s{0,8}\d{1,9}[.)]\s+/
const HEADING = /^#{1,6}\s+/

/** Markdown (the common subset bots emit) as HTML: paragraphs, line breaks, lists, bold, italic, links. */
export const markdownToHtml = (markdown: string) => {
  const blocks: string[] = []
  let list: { tag: 'ul' | 'ol'; items: string[] } | undefined
  let paragraph: string[] = []
  const flushParagraph = () => {
    if (paragraph.length) blocks.push(`<p>${paragraph.map((l) => inlineMarkdown(l, true)).join('<br>')}</p>`)
    paragraph = []
  }
  const flushList = () => {
    if (list) blocks.push(`<${list.tag}>${list.items.map((item) => `<li>${inlineMarkdown(item, true)}</li>`).join('')}</${list.tag}>`)
    list = undefined
  }
  for (const raw of markdown.split('\n')) {
    const line = raw.trimEnd()
    const bullet = BULLET.exec(line)
    const numbered = bullet ? null : NUMBERED.exec(line)
    const marker = bullet ?? numbered
    if (marker) {
      flushParagraph()
      const tag = bullet ? 'ul' : 'ol'
      if (list && list.tag !== tag) flushList()
      list ??= { tag, items: [] }
      list.items.push(line.slice(marker[0].length))
    } else if (!line.trim()) {
      flushParagraph()
      flushList()
    } else {
      flushList()
      paragraph.push(line.replace(HEADING, ''))
    }
  }
  flushParagraph()
  flushList()
  return blocks.join('')
}

/** Markdown as readable plain text (the `text` twin of the HTML). */
export const markdownToText = (markdown: string) =>
  markdown
    .split('\n')
    .map((line) => inlineMarkdown(line.replace(HEADING, ''), false))
    .join('\n')

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' }

const safeCodePoint = (n: number) => (Number.isFinite(n) && n > 0 && n <= 0x10ffff && (n < 0xd800 || n > 0xdfff) ? String.fromCodePoint(n) : undefined)

/** HTML character references; named ones from an own-property map only (`&constructor;` stays as typed). */
export const decodeEntities = (text: string) =>
  text.replace(/&(#[xX][0-9a-fA-F]{1,8}|#\d{1,8}|[A-Za-z][A-Za-z0-9]{0,31});/g, (m, name: string) => {
    if (name[0] === '#') {
      const hex = name[1] === 'x' || name[1] === 'X'
      return safeCodePoint(parseInt(name.slice(hex ? 2 : 1), hex ? 16 : 10)) ?? m
    }
    return own(ENTITIES, name.toLowerCase()) ?? m
  })

/** The value of attribute `name` in the inside of a tag (`a href="…"`), by forward scanning. */
const attribute = (tag: string, name: string): string | undefined => {
  const lower = tag.toLowerCase()
  let from = 0
  for (;;) {
    const at = lower.indexOf(name, from)
    if (at < 0) return undefined
    from = at + name.length
    if (at > 0 && !/[\s"'/]/.test(tag[at - 1]!)) continue
    let j = from
    while (j < tag.length && (tag[j] === ' ' || tag[j] === '\t' || tag[j] === '\n')) j++
    if (tag[j] !== '=') continue
    j++
    while (j < tag.length && (tag[j] === ' ' || tag[j] === '\t' || tag[j] === '\n')) j++
    const quote = tag[j]
    if (quote === '"' || quote === "'") {
      const end = tag.indexOf(quote, j + 1)
      return end < 0 ? undefined : tag.slice(j + 1, end)
    }
    let end = j
    while (end < tag.length && !/\s/.test(tag[end]!)) end++
    return tag.slice(j, end)
  }
}

const BLOCK_ENDS = new Set(['p', 'div', 'ul', 'ol', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'blockquote', 'tr'])

/** An agent's rich text as plain text (block ends → line breaks, links keep their http(s) target) and its inline images. */
export const readRichText = (input: string): { text: string; images: string[] } => {
  const html = input.length > MAX_RICH_TEXT ? input.slice(0, MAX_RICH_TEXT) : input
  const lower = html.toLowerCase()
  const out: string[] = []
  const images: string[] = []
  let link: { href?: string; start: number } | undefined
  let i = 0
  while (i < html.length) {
    const lt = html.indexOf('<', i)
    if (lt < 0) {
      out.push(decodeEntities(html.slice(i)))
      break
    }
    if (lt > i) out.push(decodeEntities(html.slice(i, lt)))
    if (html.startsWith('<!--', lt)) {
      const end = html.indexOf('-->', lt + 4)
      i = end < 0 ? html.length : end + 3
      continue
    }
    const gt = html.indexOf('>', lt + 1)
    const head = /^<\s{0,8}(\/?)\s{0,8}([a-zA-Z][a-zA-Z0-9]{0,15})/.exec(html.slice(lt, lt + 40))
    if (gt < 0 || !head) {
      // Not a tag: a literal "<".
      out.push('<')
      i = lt + 1
      continue
    }
    const closing = head[1] === '/'
    const name = head[2]!.toLowerCase()
    const inside = html.slice(lt + 1, gt)
    i = gt + 1
    if (!closing && (name === 'script' || name === 'style')) {
      const end = lower.indexOf(`</${name}`, i)
      const after = end < 0 ? -1 : html.indexOf('>', end)
      i = after < 0 ? html.length : after + 1
    } else if (name === 'br') {
      out.push('\n')
    } else if (name === 'li' && !closing) {
      out.push('\n- ')
    } else if (closing && BLOCK_ENDS.has(name)) {
      out.push('\n')
    } else if (name === 'img' && !closing) {
      const src = decodeEntities((attribute(inside, 'src') ?? '').trim())
      if (isWebUrl(src)) images.push(src)
    } else if (name === 'a' && !closing) {
      const href = decodeEntities((attribute(inside, 'href') ?? '').trim())
      link = { href: isWebUrl(href) ? href : undefined, start: out.length }
    } else if (name === 'a' && closing && link) {
      const label = out.splice(link.start).join('').trim()
      const href = link.href
      out.push(!href ? label : !label || label === href ? href : `${label} (${href})`)
      link = undefined
    }
  }
  const lines: string[] = []
  let blank = 0
  for (const line of out.join('').split('\n')) {
    const trimmed = line.trimEnd()
    blank = trimmed ? 0 : blank + 1
    if (blank < 2) lines.push(trimmed)
  }
  return { text: lines.join('\n').trim(), images }
}

export const htmlToText = (html: string) => readRichText(html).text
export const inlineImages = (html: string) => readRichText(html).images
