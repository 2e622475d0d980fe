/** Text helpers for LiveChat: the opening message, the 16 KB message limit, file names and media kinds. */
import { openingText as coreOpeningText } from '../../core/transcript'
import type { OpenSessionInput } from '../../core/types'

/** LiveChat refuses message texts over 16 KB; keep a margin for prefixes such as "[Bot] " or "(2/3) ". */
export const MAX_TEXT_BYTES = 15_000

const bytes = (s: string) => Buffer.byteLength(s, 'utf8')

/** Splits text into parts of at most `maxBytes` UTF-8 bytes, at line breaks or spaces when possible, never inside a character. */
export const splitText = (text: string, maxBytes = MAX_TEXT_BYTES): string[] => {
  if (bytes(text) <= maxBytes) return [text]
  const parts: string[] = []
  let rest = text
  while (bytes(rest) > maxBytes) {
    // The longest prefix that fits, measured in code points.
    const chars = Array.from(rest)
    let size = 0
    let end = 0
    while (end < chars.length && size + bytes(chars[end]!) <= maxBytes) size += bytes(chars[end++]!)
    const prefix = chars.slice(0, end).join('')
    const cut = Math.max(prefix.lastIndexOf('\n'), prefix.lastIndexOf(' '))
    const head = cut > prefix.length / 2 ? prefix.slice(0, cut) : prefix
    parts.push(head)
    rest = rest.slice(head.length).replace(/^[\n ]/, '')
  }
  if (rest) parts.push(rest)
  return parts
}

const isGroupId = (routing: string | undefined) => !!routing && /^\d{1,9}$/.test(routing.trim())

/** The LiveChat group a session goes to: `hitlSession.routing` when it is a group id, else the configured group. */
export const groupFor = (routing: string | undefined, configured: number): number =>
  isGroupId(routing) ? Number(routing!.trim()) : configured

/** What the agent reads first (see core openingText); a numeric routing is applied as the group, not repeated. */
export const openingText = (input: Pick<OpenSessionInput, 'title' | 'description' | 'extras' | 'transcript'>): string =>
  coreOpeningText(input, isGroupId)

/** Avatars in LiveChat user objects may lack a scheme (`cdn.livechatinc.com/avatars/1.png`). */
export const normalizeAvatar = (avatar: string | undefined): string | undefined => {
  const value = avatar?.trim()
  if (!value) return undefined
  if (/^https?:\/\//i.test(value)) return value
  if (value.startsWith('//')) return `https:${value}`
  if (/^[a-z0-9.-]+\.[a-z]{2,}\//i.test(value)) return `https://${value}`
  return undefined
}

export type MediaKind = 'image' | 'audio' | 'video' | 'file'

const EXTENSIONS: Record<string, string> = {
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/gif': 'gif',
  'image/webp': 'webp',
  'image/svg+xml': 'svg',
  'audio/mpeg': 'mp3',
  'audio/ogg': 'ogg',
  'audio/wav': 'wav',
  'audio/mp4': 'm4a',
  'video/mp4': 'mp4',
  'video/webm': 'webm',
  'video/quicktime': 'mov',
  'application/pdf': 'pdf',
  'text/plain': 'txt',
}

const MIME_BY_EXTENSION: Record<string, string> = Object.fromEntries(Object.entries(EXTENSIONS).map(([mime, ext]) => [ext, mime]))
Object.assign(MIME_BY_EXTENSION, { jpeg: 'image/jpeg', oga: 'audio/ogg', m4v: 'video/mp4' })

export const extensionOf = (name: string | undefined): string | undefined => /\.([a-z0-9]{1,8})$/i.exec(name ?? '')?.[1]?.toLowerCase()

export const urlBaseName = (url: string): string | undefined => {
  try {
    const last = new URL(url).pathname.split('/').filter(Boolean).pop()
    return last ? decodeURIComponent(last) : undefined
  } catch {
    return undefined
  }
}

/** A file name for an upload: the title (with an extension added when it has none), else the URL's last segment. */
export const uploadName = (url: string, title: string | undefined, contentType: string | undefined, kind: MediaKind): string => {
  const base = urlBaseName(url)
  const ext = extensionOf(base) ?? (contentType ? EXTENSIONS[contentType.split(';')[0]!.trim().toLowerCase()] : undefined)
  const clean = (s: string) => s.replace(/[\\/\r\n\t"]+/g, ' ').trim().slice(0, 200)
  const fromTitle = title?.trim() ? clean(title) : undefined
  if (fromTitle) return extensionOf(fromTitle) || !ext ? fromTitle : `${fromTitle}.${ext}`
  if (base && clean(base)) return clean(base)
  return ext ? `${kind}.${ext}` : kind
}

/** The content type to declare for an upload when the server gave none (or a generic one). */
export const contentTypeFor = (name: string, given: string | undefined): string => {
  const type = given?.split(';')[0]?.trim().toLowerCase()
  if (type && type !== 'application/octet-stream' && type !== 'binary/octet-stream') return type
  return MIME_BY_EXTENSION[extensionOf(name) ?? ''] ?? 'application/octet-stream'
}

/** An agent's file event → the Botpress message type, by its content type (then its name). */
export const kindOf = (contentType: string | undefined, name: string | undefined): MediaKind => {
  const type = (contentType ?? MIME_BY_EXTENSION[extensionOf(name) ?? ''] ?? '').toLowerCase()
  if (type.startsWith('image/')) return 'image'
  if (type.startsWith('audio/')) return 'audio'
  if (type.startsWith('video/')) return 'video'
  return 'file'
}
