/**
 * Renders Botpress messages as readable text. Used for the `messageHistory` transcript handed to every
 * adapter (built once, here) and for degrading message types a provider cannot carry natively.
 */
import type { HitlSessionExtras, OutboundMessage, Transcript, TranscriptEntry } from './types'

type Payload = Record<string, any>

const str = (value: unknown): string | undefined =>
  typeof value === 'string' && value.trim() !== '' ? value.trim() : typeof value === 'number' ? String(value) : undefined

const join = (...parts: Array<string | undefined>) => parts.filter((p): p is string => !!p).join(' ')

const media = (label: string, url: unknown, title: unknown) => {
  const t = str(title)
  const u = str(url)
  return `[${label}${t ? `: ${t}` : ''}]${u ? ` ${u}` : ''}`
}

const renderCard = (card: Payload): string => {
  const actions = Array.isArray(card.actions)
    ? card.actions.map((a: Payload) => str(a?.label)).filter(Boolean).join(' | ')
    : ''
  return join(
    `[Card] ${str(card.title) ?? ''}`.trim(),
    str(card.subtitle) ? `— ${str(card.subtitle)}` : undefined,
    str(card.imageUrl),
    actions ? `(${actions})` : undefined
  )
}

const renderOptions = (options: unknown): string =>
  Array.isArray(options)
    ? options
        .map((o: Payload) => str(o?.label) ?? str(o?.value))
        .filter(Boolean)
        .map((label, i) => `${i + 1}. ${label}`)
        .join('\n')
    : ''

/** Readable text of any default Botpress message payload. Never returns "undefined". */
export const renderPayload = (type: string, payload: Payload | undefined): string => {
  const p = payload ?? {}
  switch (type) {
    case 'text':
      return str(p.text) ?? ''
    case 'markdown':
      return str(p.markdown) ?? ''
    case 'image':
      return media('Image', p.imageUrl, p.title)
    case 'audio':
      return media('Audio', p.audioUrl, p.title)
    case 'video':
      return media('Video', p.videoUrl, p.title)
    case 'file':
      return media('File', p.fileUrl, p.title)
    case 'location': {
      const where = str(p.address) ?? str(p.title)
      return `[Location${where ? `: ${where}` : ''}] ${p.latitude}, ${p.longitude}`
    }
    case 'card':
      return renderCard(p)
    case 'carousel':
      return Array.isArray(p.items) ? p.items.map((c: Payload) => renderCard(c)).join('\n') : '[Carousel]'
    case 'choice':
    case 'dropdown': {
      const options = renderOptions(p.options)
      return [str(p.text), options].filter(Boolean).join('\n')
    }
    case 'bloc':
      return Array.isArray(p.items)
        ? p.items.map((item: Payload) => renderPayload(String(item?.type), item?.payload)).filter(Boolean).join('\n')
        : ''
    default:
      return str(p.text) ?? `[${type}]`
  }
}

/** Readable text of a normalized outbound message (used where a provider cannot carry the type). */
export const renderOutbound = (message: OutboundMessage): string => {
  switch (message.type) {
    case 'text':
      return message.text
    case 'markdown':
      return message.markdown
    case 'location':
      return renderPayload('location', message)
    case 'bloc':
      return message.items.map(renderOutbound).join('\n')
    default:
      return media(message.type[0]!.toUpperCase() + message.type.slice(1), message.url, message.title)
  }
}

export type HistoryMessage = {
  source: { type: 'user'; userId: string } | { type: 'bot' }
  type: string
  payload: Payload
}

export const buildTranscript = (
  history: HistoryMessage[],
  names: { user: (botpressUserId: string) => string; bot: string }
): Transcript => {
  const entries: TranscriptEntry[] = []
  for (const message of history ?? []) {
    const text = renderPayload(message.type, message.payload)
    if (!text) continue
    const author: TranscriptEntry['author'] =
      message.source?.type === 'user'
        ? { kind: 'user', name: names.user(message.source.userId), botpressUserId: message.source.userId }
        : { kind: 'bot', name: names.bot }
    entries.push({ author, type: message.type, text, payload: message.payload ?? {} })
  }
  const text = entries
    .map((e) => {
      const lines = e.text.split('\n')
      return `${e.author.name}: ${lines[0]}${lines.length > 1 ? '\n' + lines.slice(1).map((l) => `  ${l}`).join('\n') : ''}`
    })
    .join('\n')
  return { entries, text }
}

/** Normalizes a Botpress hitl-channel message (text/image/audio/video/file/bloc) for adapters. */
export const toOutbound = (type: string, payload: Payload): OutboundMessage => {
  switch (type) {
    case 'text':
      return { type: 'text', text: String(payload.text ?? '') }
    case 'markdown':
      return { type: 'markdown', markdown: String(payload.markdown ?? '') }
    case 'image':
      return { type: 'image', url: String(payload.imageUrl ?? ''), title: str(payload.title) }
    case 'audio':
      return { type: 'audio', url: String(payload.audioUrl ?? ''), title: str(payload.title) }
    case 'video':
      return { type: 'video', url: String(payload.videoUrl ?? ''), title: str(payload.title) }
    case 'file':
      return { type: 'file', url: String(payload.fileUrl ?? ''), title: str(payload.title) }
    case 'location':
      return {
        type: 'location',
        latitude: Number(payload.latitude),
        longitude: Number(payload.longitude),
        address: str(payload.address),
        title: str(payload.title),
      }
    case 'bloc':
      return {
        type: 'bloc',
        items: (Array.isArray(payload.items) ? payload.items : []).map((i: Payload) => toOutbound(String(i?.type), i?.payload ?? {})),
      }
    default:
      return { type: 'text', text: renderPayload(type, payload) }
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
      return { type: 'image', payload: { imageUrl: message.url, ...(message.title ? { title: message.title } : {}) } }
    case 'audio':
      return { type: 'audio', payload: { audioUrl: message.url, ...(message.title ? { title: message.title } : {}) } }
    case 'video':
      return { type: 'video', payload: { videoUrl: message.url, ...(message.title ? { title: message.title } : {}) } }
    case 'file':
      return { type: 'file', payload: { fileUrl: message.url, ...(message.title ? { title: message.title } : {}) } }
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
  const head = [title, input.description].filter((s): s is string => !!s?.trim()).join('\n')
  const details = [
    extras.priority ? `Priority: ${extras.priority}` : undefined,
    extras.routing && !routingApplied(extras.routing) ? `Routing: ${extras.routing}` : undefined,
  ].filter(Boolean)
  const transcript = input.transcript.text.trim() ? `Conversation with the bot so far:\n${input.transcript.text}` : undefined
  const blocks = [head || 'Handed over by the bot: the user asked to talk to a person.', details.join('\n'), transcript]
  return blocks.filter((b): b is string => !!b?.trim()).join('\n\n')
}
