/**
 * Text ↔ the HTML subset a custom channel carries in `richText` (hyperlinks, bold, italic, lists, inline images).
 * Outbound: plain text and markdown become safe HTML (everything escaped, then a few constructs re-added).
 * Inbound: an agent's rich text becomes plain text for Botpress, and its inline images become image messages.
 */

export const escapeHtml = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;')

const URL_RE = /\bhttps?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)\]]/g

export const hasUrl = (text: string) => new RegExp(URL_RE.source).test(text)

/** Escaped text with bare URLs as links (the input must already be escaped). */
const autolink = (escaped: string) => escaped.replace(URL_RE, (url) => `<a href="${url}">${url}</a>`)

/** Plain text as HTML: escaped, links clickable, line breaks kept. */
export const textToHtml = (text: string) =>
  text
    .split(/\n{2,}/)
    .map((paragraph) => `<p>${autolink(escapeHtml(paragraph)).replace(/\n/g, '<br>')}</p>`)
    .join('')

const inlineMarkdown = (escaped: string) => {
  const links: string[] = []
  // [label](url) first, parked so the URL is not autolinked a second time.
  let out = escaped.replace(/\[([^\]]+)\]\((https?:\/\/[^\s)]+)\)/g, (_, label: string, url: string) => {
    links.push(`<a href="${url}">${label}</a>`)
    return `\u0000${links.length - 1}\u0000`
  })
  out = autolink(out)
  out = out
    .replace(/\*\*([^*\n]+)\*\*/g, '<strong>$1</strong>')
    .replace(/__([^_\n]+)__/g, '<strong>$1</strong>')
    .replace(/(^|[^*\w])\*([^*\n]+)\*(?!\w)/g, '$1<em>$2</em>')
    .replace(/(^|[^_\w])_([^_\n]+)_(?!\w)/g, '$1<em>$2</em>')
    .replace(/`([^`\n]+)`/g, '$1')
  return out.replace(/\u0000(\d+)\u0000/g, (_, i: string) => links[Number(i)]!)
}

/** Markdown (the common subset bots emit) as HTML: paragraphs, line breaks, lists, bold, italic, links. */
export const markdownToHtml = (markdown: string) => {
  const blocks: string[] = []
  let list: { tag: 'ul' | 'ol'; items: string[] } | undefined
  let paragraph: string[] = []
  const flushParagraph = () => {
    if (paragraph.length) blocks.push(`<p>${paragraph.map((l) => inlineMarkdown(escapeHtml(l))).join('<br>')}</p>`)
    paragraph = []
  }
  const flushList = () => {
    if (list) blocks.push(`<${list.tag}>${list.items.map((i) => `<li>${inlineMarkdown(escapeHtml(i))}</li>`).join('')}</${list.tag}>`)
    list = undefined
  }
  for (const raw of markdown.split('\n')) {
    const line = raw.trimEnd()
    const bullet = /^\s*[-*+]\s+(.*)$/.exec(line)
    const numbered = /^\s*\d+[.)]\s+(.*)$/.exec(line)
    if (bullet || numbered) {
      flushParagraph()
      const tag = bullet ? 'ul' : 'ol'
      if (list && list.tag !== tag) flushList()
      list ??= { tag, items: [] }
      list.items.push((bullet ?? numbered)![1]!)
    } else if (!line.trim()) {
      flushParagraph()
      flushList()
    } else {
      flushList()
      paragraph.push(line.replace(/^#{1,6}\s+/, ''))
    }
  }
  flushParagraph()
  flushList()
  return blocks.join('')
}

/** Markdown as readable plain text (the `text` twin of the HTML). */
export const markdownToText = (markdown: string) =>
  markdown
    .replace(/\[([^\]]+)\]\((https?:\/\/[^\s)]+)\)/g, (_, label: string, url: string) => (label === url ? url : `${label} (${url})`))
    .replace(/\*\*([^*\n]+)\*\*/g, '$1')
    .replace(/__([^_\n]+)__/g, '$1')
    .replace(/(^|[^*\w])\*([^*\n]+)\*(?!\w)/g, '$1$2')
    .replace(/(^|[^_\w])_([^_\n]+)_(?!\w)/g, '$1$2')
    .replace(/`([^`\n]+)`/g, '$1')
    .replace(/^#{1,6}\s+/gm, '')

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', '#39': "'" }

const decodeEntities = (text: string) =>
  text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+\d*);/gi, (m, name: string) => {
    const lower = name.toLowerCase()
    if (lower.startsWith('#x')) return safeCodePoint(parseInt(lower.slice(2), 16)) ?? m
    if (lower.startsWith('#')) return safeCodePoint(parseInt(lower.slice(1), 10)) ?? m
    return ENTITIES[lower] ?? m
  })

const safeCodePoint = (n: number) => (Number.isFinite(n) && n > 0 && n <= 0x10ffff ? String.fromCodePoint(n) : undefined)

/** An agent's rich text as plain text: block ends become line breaks, links keep their target, tags go. */
export const htmlToText = (html: string) =>
  decodeEntities(
    html
      .replace(/<\s*(script|style)\b[\s\S]*?<\/\s*\1\s*>/gi, '')
      .replace(/<a\b[^>]*\bhref\s*=\s*(["'])(.*?)\1[^>]*>([\s\S]*?)<\/a\s*>/gi, (_, _q: string, href: string, label: string) => {
        const text = label.replace(/<[^>]+>/g, '').trim()
        return !text || text === href ? href : `${text} (${href})`
      })
      .replace(/<\s*br\s*\/?>/gi, '\n')
      .replace(/<\s*li\b[^>]*>/gi, '\n- ')
      .replace(/<\/\s*(p|div|ul|ol|h[1-6]|blockquote|tr)\s*>/gi, '\n')
      .replace(/<img\b[^>]*>/gi, '')
      .replace(/<[^>]+>/g, '')
  )
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim()

/** The `src` of each inline image of a rich text (http(s) only). */
export const inlineImages = (html: string): string[] => {
  const urls: string[] = []
  for (const m of html.matchAll(/<img\b[^>]*\bsrc\s*=\s*(["'])(.*?)\1/gi)) {
    const src = decodeEntities(m[2]!.trim())
    if (/^https?:\/\//i.test(src)) urls.push(src)
  }
  return urls
}

/**
 * Splits a text into pieces of at most `max` characters, at paragraph, line or word boundaries where possible
 * (the custom-channel text limit is undocumented; long transcripts must not be refused).
 */
export const splitText = (text: string, max: number): string[] => {
  if (text.length <= max) return [text]
  const pieces: string[] = []
  let rest = text
  while (rest.length > max) {
    const window = rest.slice(0, max)
    let cut = window.lastIndexOf('\n\n')
    if (cut < max * 0.5) cut = window.lastIndexOf('\n')
    if (cut < max * 0.5) cut = window.lastIndexOf(' ')
    if (cut < max * 0.5) cut = max
    pieces.push(rest.slice(0, cut).trimEnd())
    rest = rest.slice(cut).replace(/^\s+/, '')
  }
  if (rest) pieces.push(rest)
  return pieces
}
