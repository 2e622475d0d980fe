/**
 * Renders Botpress messages as readable text. Used for the `messageHistory` transcript handed to every
 * adapter (built once, here) and for degrading message types a provider cannot carry natively.
 */
import type { HitlSessionExtras, OutboundMessage, Transcript, TranscriptEntry } from './types'

type Payload = Record<string, unknown>

/** Nested blocs and carousels deeper than this are not rendered (Botpress itself nests one level). */
const MAX_DEPTH = 4
/** Items of one bloc, carousel or option list rendered at most. */
const MAX_ITEMS = 200
const MAX_URL = 4096

const obj = (value: unknown): Payload =>
  value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Payload) : {}

const list = (value: unknown): unknown[] => (Array.isArray(value) ? value.slice(0, MAX_ITEMS) : [])

const str = (value: unknown): string | undefined =>
  typeof value === 'string' && value.trim() !== '' ? value.trim() : typeof value === 'number' ? String(value) : undefined

const num = (value: unknown): string => (typeof value === 'number' && Number.isFinite(value) ? String(value) : '?')

const join = (...parts: Array<string | undefined>) => parts.filter((p): p is string => !!p).join(' ')

/**
 * `value` when it is an http(s) URL safe to show as a link, image or attachment; otherwise `undefined`. No
 * `javascript:`, `data:`, `file:` or any other scheme, no whitespace or control characters (browsers strip tabs and
 * line breaks inside URLs, which hides a scheme), at most 4,096 characters.
 */
export const webUrl = (value: unknown): string | undefined => {
  if (typeof value !== 'string') return undefined
  const url = value.trim()
  if (!url || url.length > MAX_URL) return undefined
  for (let i = 0; i < url.length; i++) {
    const code = url.charCodeAt(i)
    if (code <= 0x20 || code === 0x7f) return undefined
  }
  const scheme = url.slice(0, 8).toLowerCase()
  if (!scheme.startsWith('http://') && !scheme.startsWith('https://')) return undefined
  try {
    const parsed = new URL(url)
    return (parsed.protocol === 'http:' || parsed.protocol === 'https:') && parsed.hostname ? url : undefined
  } catch {
    return undefined
  }
}

/** What replaces a URL that may not become a link: the reader knows something was there, nothing can be clicked. */
export const UNSAFE_LINK_NOTE = '(link removed: not an http(s) address)'

const media = (label: string, url: unknown, title: unknown) => {
  const t = str(title)
  const u = str(url)
  const shown = u === undefined ? '' : ` ${webUrl(u) ?? UNSAFE_LINK_NOTE}`
  return `[${label}${t ? `: ${t}` : ''}]${shown}`
}

const renderCard = (value: unknown): string => {
  const card = obj(value)
  const actions = list(card.actions)
    .map((a) => str(obj(a).label))
    .filter(Boolean)
    .join(' | ')
  const image = str(card.imageUrl)
  return join(
    `[Card] ${str(card.title) ?? ''}`.trim(),
    str(card.subtitle) ? `— ${str(card.subtitle)}` : undefined,
    image === undefined ? undefined : (webUrl(image) ?? UNSAFE_LINK_NOTE),
    actions ? `(${actions})` : undefined
  )
}

const renderOptions = (options: unknown): string =>
  list(options)
    .map((o) => str(obj(o).label) ?? str(obj(o).value))
    .filter(Boolean)
    .map((label, i) => `${i + 1}. ${label}`)
    .join('\n')

const MEDIA_FIELD: Readonly<Record<'image' | 'audio' | 'video' | 'file', string>> = {
  image: 'imageUrl',
  audio: 'audioUrl',
  video: 'videoUrl',
  file: 'fileUrl',
}
const isMediaType = (type: string): type is keyof typeof MEDIA_FIELD => Object.prototype.hasOwnProperty.call(MEDIA_FIELD, type)
const labelOf = (type: string) => type.charAt(0).toUpperCase() + type.slice(1)

const render = (type: string, payload: unknown, depth: number): string => {
  const p = obj(payload)
  if (isMediaType(type)) return media(labelOf(type), p[MEDIA_FIELD[type]], p.title)
  switch (type) {
    case 'text':
      return str(p.text) ?? ''
    case 'markdown':
      return str(p.markdown) ?? ''
    case 'location': {
      const where = str(p.address) ?? str(p.title)
      return `[Location${where ? `: ${where}` : ''}] ${num(p.latitude)}, ${num(p.longitude)}`
    }
    case 'card':
      return renderCard(p)
    case 'carousel':
      return Array.isArray(p.items) ? list(p.items).map(renderCard).join('\n') : '[Carousel]'
    case 'choice':
    case 'dropdown': {
      const options = renderOptions(p.options)
      return [str(p.text), options].filter(Boolean).join('\n')
    }
    case 'bloc':
      if (depth >= MAX_DEPTH) return '[Bloc]'
      return list(p.items)
        .map((item) => render(String(obj(item).type), obj(item).payload, depth + 1))
        .filter(Boolean)
        .join('\n')
    default:
      return str(p.text) ?? `[${type.slice(0, 100)}]`
  }
}

/** Readable text of any default Botpress message payload. Never returns "undefined"; never a non-http(s) URL. */
export const renderPayload = (type: string, payload: Payload | undefined): string => inertLinks(render(String(type), payload, 0))

/** Readable text of a normalized outbound message (used where a provider cannot carry the type). */
export const renderOutbound = (message: OutboundMessage, depth = 0): string => {
  switch (message.type) {
    case 'text':
      return inertLinks(message.text)
    case 'markdown':
      return inertLinks(message.markdown)
    case 'location':
      return renderPayload('location', message)
    case 'bloc':
      return depth >= MAX_DEPTH ? '[Bloc]' : message.items.slice(0, MAX_ITEMS).map((m) => renderOutbound(m, depth + 1)).join('\n')
    default:
      return inertLinks(media(labelOf(message.type), message.url, message.title))
  }
}

// ── Links in text ───────────────────────────────────────────────────────────────────────────────────────────────────

const SAFE_SCHEMES = ['http:', 'https:', 'mailto:']
/** Longest scheme looked at; a longer run of scheme characters before `:` is treated as unsafe. */
const MAX_SCHEME = 32

/**
 * Whether the link destination starting at `text[from]` is http(s), mailto or relative. Reads the destination's leading
 * run of scheme characters only (at most 32 of them, tabs and line breaks skipped as browsers do): what follows decides.
 */
const safeDestination = (text: string, from: number): boolean => {
  let scheme = ''
  let started = false
  // Linear overall: every scan stops at the first character that is neither whitespace nor a scheme character (the
  // next `]` at the latest), or after 32 scheme characters.
  for (let i = from; i < text.length; i++) {
    const code = text.charCodeAt(i)
    // Browsers drop tabs and line breaks inside URLs; markdown allows spaces and `<` before a destination.
    if (code === 0x09 || code === 0x0a || code === 0x0d) continue
    if (!started && (code === 0x20 || code === 0x3c)) continue
    started = true
    if (code === 0x3a /* : */) return SAFE_SCHEMES.includes(`${scheme.toLowerCase()}:`)
    // An entity may decode to a scheme character or to `:` (`javascript&#58;`, `&#106;avascript:`).
    if (code === 0x26 /* & */) return false
    if (!isSchemeChar(code, scheme === '')) return true
    if (scheme.length >= MAX_SCHEME) return false
    scheme += text[i]
  }
  // The text ends inside the destination: no closing parenthesis, no link.
  return true
}

const LINK_CANDIDATE = /\](?=[(:])|<(?=[A-Za-z])/g

const isSchemeChar = (code: number, first: boolean) =>
  (code >= 0x61 && code <= 0x7a) || (code >= 0x41 && code <= 0x5a) || (!first && ((code >= 0x30 && code <= 0x39) || code === 0x2b || code === 0x2d || code === 0x2e))

/** `<scheme:` at `text[at]` with a scheme that is not http(s) or mailto (a CommonMark autolink). */
const unsafeAutolink = (text: string, at: number): boolean => {
  let i = at + 1
  while (i < text.length && i - at <= 33 && isSchemeChar(text.charCodeAt(i), i === at + 1)) i++
  if (i === at + 1 || text[i] !== ':' || i - at < 3) return false
  return !SAFE_SCHEMES.includes(`${text.slice(at + 1, i).toLowerCase()}:`)
}

/**
 * Text where no markdown link, image, reference definition or autolink can point to anything but http(s), mailto or
 * a relative address: `[x](javascript:…)` becomes `[x] (javascript:…)` and `<data:…>` becomes `< data:…>`, inert text
 * in every markdown flavour, otherwise unchanged. One pass, a bounded look at each `]` and `<`.
 */
export const inertLinks = (text: string): string =>
  // The pattern only finds the two candidates (literal characters and one look-ahead, no backtracking); the checks
  // behind each are bounded scans.
  text.replace(LINK_CANDIDATE, (found: string, at: number) =>
    (found === ']' ? !safeDestination(text, at + 2) : unsafeAutolink(text, at)) ? `${found} ` : found
  )

// ── Transcript ──────────────────────────────────────────────────────────────────────────────────────────────────────

export type HistoryMessage = {
  source: { type: 'user'; userId: string } | { type: 'bot' }
  type: string
  payload: Payload
}

/**
 * The payload an entry carries to the provider: the original, except that a URL that is not http(s) never reaches it
 * as a medium, card image or link button (a medium becomes the text that says so).
 */
const safeEntry = (type: string, payload: unknown, depth: number): { type: string; payload: Payload } => {
  const p = obj(payload)
  if (isMediaType(type)) {
    const url = p[MEDIA_FIELD[type]]
    return url === undefined || webUrl(url) ? { type, payload: p } : { type: 'text', payload: { text: render(type, p, depth) } }
  }
  if (type === 'card') return { type, payload: safeCard(p) }
  if (type === 'carousel' && Array.isArray(p.items)) return { type, payload: { ...p, items: p.items.map((c) => safeCard(obj(c))) } }
  if (type === 'bloc' && Array.isArray(p.items)) {
    if (depth >= MAX_DEPTH) return { type: 'text', payload: { text: '[Bloc]' } }
    return { type, payload: { ...p, items: p.items.map((i) => safeEntry(String(obj(i).type), obj(i).payload, depth + 1)) } }
  }
  return { type, payload: p }
}

const safeCard = (card: Payload): Payload => {
  const { imageUrl, actions, ...rest } = card
  return {
    ...rest,
    ...(imageUrl === undefined ? {} : webUrl(imageUrl) ? { imageUrl } : {}),
    ...(Array.isArray(actions)
      ? {
          actions: actions.map((a) => {
            const action = obj(a)
            return action.action === 'url' && !webUrl(action.value) ? { ...action, value: UNSAFE_LINK_NOTE } : a
          }),
        }
      : actions === undefined
        ? {}
        : { actions }),
  }
}

export const buildTranscript = (
  history: HistoryMessage[],
  names: { user: (botpressUserId: string) => string; bot: string }
): Transcript => {
  const entries: TranscriptEntry[] = []
  for (const message of Array.isArray(history) ? history : []) {
    if (!message || typeof message !== 'object' || typeof message.type !== 'string') continue
    const type = message.type
    const text = renderPayload(type, message.payload)
    if (!text) continue
    const source = obj(message.source)
    const userId = typeof source.userId === 'string' ? source.userId : ''
    const author: TranscriptEntry['author'] =
      source.type === 'user' ? { kind: 'user', name: names.user(userId), botpressUserId: userId } : { kind: 'bot', name: names.bot }
    const safe = safeEntry(type, message.payload, 0)
    entries.push({ author, type: safe.type, text, payload: safe.payload })
  }
  const text = entries
    .map((e) => {
      const lines = e.text.split('\n')
      return `${e.author.name}: ${lines[0]}${lines.length > 1 ? '\n' + lines.slice(1).map((l) => `  ${l}`).join('\n') : ''}`
    })
    .join('\n')
  return { entries, text }
}

/**
 * Normalizes a Botpress hitl-channel message (text/image/audio/video/file/bloc) for adapters. A medium whose URL is
 * not http(s) (or is missing) becomes the text that says so: no adapter is ever handed a `javascript:` or `data:` URL.
 */
export const toOutbound = (type: string, payload: Payload, depth = 0): OutboundMessage => {
  const p = obj(payload)
  if (isMediaType(type)) {
    const url = webUrl(p[MEDIA_FIELD[type]])
    const title = str(p.title)
    return url ? { type, url, title } : { type: 'text', text: render(type, p, depth) }
  }
  switch (type) {
    case 'text':
      return { type: 'text', text: String(p.text ?? '') }
    case 'markdown':
      return { type: 'markdown', markdown: String(p.markdown ?? '') }
    case 'location':
      return {
        type: 'location',
        latitude: Number(p.latitude),
        longitude: Number(p.longitude),
        address: str(p.address),
        title: str(p.title),
      }
    case 'bloc':
      if (depth >= MAX_DEPTH) return { type: 'text', text: '[Bloc]' }
      return {
        type: 'bloc',
        items: list(p.items).map((i) => toOutbound(String(obj(i).type), obj(obj(i).payload), depth + 1)),
      }
    default:
      return { type: 'text', text: renderPayload(type, p) }
  }
}

/** The Botpress payload of a normalized outbound message (for providers that speak Botpress payloads). */
export const outboundToPayload = (message: OutboundMessage): { type: string; payload: Payload } => {
  switch (message.type) {
    case 'text':
      return { type: 'text', payload: { text: message.text } }
    case 'markdown':
      return { type: 'markdown', payload: { markdown: message.markdown } }
    case 'image':
    case 'audio':
    case 'video':
    case 'file': {
      const url = webUrl(message.url)
      if (!url) return { type: 'text', payload: { text: renderOutbound(message) } }
      return { type: message.type, payload: { [MEDIA_FIELD[message.type]]: url, ...(message.title ? { title: message.title } : {}) } }
    }
    case 'location': {
      const { type, ...payload } = message
      return { type, payload: Object.fromEntries(Object.entries(payload).filter(([, v]) => v !== undefined)) }
    }
    case 'bloc':
      return { type: 'bloc', payload: { items: message.items.map(outboundToPayload) } }
  }
}

/**
 * What the agent reads first when a session opens: title (or the subject extra), description, the session details the
 * provider does not apply natively, and the transcript. `routingApplied` says whether the provider already routed the
 * session with `extras.routing` (then it is not repeated in the text).
 */
export const openingText = (
  input: { title?: string; description?: string; extras: HitlSessionExtras; transcript: Transcript },
  routingApplied: (routing: string) => boolean = () => false
): string => {
  const { extras } = input
  const title = input.title ?? extras.subject
  const head = [title, input.description]
    .filter((s): s is string => typeof s === 'string' && !!s.trim())
    .map(inertLinks)
    .join('\n')
  const details = [
    extras.priority ? `Priority: ${extras.priority}` : undefined,
    extras.routing && !routingApplied(extras.routing) ? `Routing: ${extras.routing}` : undefined,
  ].filter(Boolean)
  const transcript = input.transcript.text.trim() ? `Conversation with the bot so far:\n${input.transcript.text}` : undefined
  const blocks = [head || 'Handed over by the bot: the user asked to talk to a person.', details.join('\n'), transcript]
  return blocks.filter((b): b is string => !!b?.trim()).join('\n\n')
}
