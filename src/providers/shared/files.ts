/** File names and content types of media, for providers that upload files or show them with a name. */
import { ProviderError } from '../../core/errors'
import { own } from './values'

export type MediaKind = 'image' | 'audio' | 'video' | 'file'

const EXTENSION_BY_MIME: Record<string, string> = {
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
  'text/csv': 'csv',
}

const MIME_BY_EXTENSION: Record<string, string> = {
  ...Object.fromEntries(Object.entries(EXTENSION_BY_MIME).map(([mime, ext]) => [ext, mime])),
  jpeg: 'image/jpeg',
  oga: 'audio/ogg',
  m4v: 'video/mp4',
}

/** The lower-cased extension of a file name (1 to 8 letters or digits), if any. */
export const extensionOf = (name: string | undefined): string | undefined => {
  if (!name) return undefined
  const dot = name.lastIndexOf('.')
  if (dot < 0 || name.length - dot - 1 > 8) return undefined
  const ext = name.slice(dot + 1).toLowerCase()
  return /^[a-z0-9]{1,8}$/.test(ext) ? ext : undefined
}

/** The content type without parameters, lower-cased. */
export const baseMime = (contentType: string | undefined): string | undefined =>
  contentType?.split(';')[0]?.trim().toLowerCase() || undefined

export const extensionForMime = (contentType: string | undefined): string | undefined => own(EXTENSION_BY_MIME, baseMime(contentType))

export const mimeForExtension = (ext: string | undefined): string | undefined => own(MIME_BY_EXTENSION, ext)

/** The last path segment of a URL, decoded; undefined when the URL cannot be parsed. */
export const urlBaseName = (url: string): string | undefined => {
  try {
    const last = new URL(url).pathname.split('/').filter(Boolean).pop()
    return last ? decodeURIComponent(last) : undefined
  } catch {
    return undefined
  }
}

/** A name safe to give a provider as a file name: no path separators or control characters, at most 200 characters. */
export const safeFileName = (name: string): string =>
  Array.from(name.replace(/[\\/:*?"<>|\u0000-\u001f\u007f]+/g, '_').trim())
    .slice(0, 200)
    .join('')

/** A file name for an upload: the title (with an extension added when it has none), else the URL's last segment, else `<kind>.<ext>`. */
export const uploadName = (url: string, title: string | undefined, contentType: string | undefined, kind: MediaKind): string => {
  const base = urlBaseName(url)
  const ext = extensionOf(base) ?? extensionForMime(contentType)
  const fromTitle = title?.trim() ? safeFileName(title) : undefined
  if (fromTitle) return extensionOf(fromTitle) || !ext ? fromTitle : `${fromTitle}.${ext}`
  if (base && safeFileName(base)) return safeFileName(base)
  return ext ? `${kind}.${ext}` : kind
}

/** The content type to declare for an upload: the server's, unless absent or generic, else guessed from the name. */
export const contentTypeFor = (name: string, given: string | undefined): string => {
  const type = baseMime(given)
  if (type && type !== 'application/octet-stream' && type !== 'binary/octet-stream') return type
  return mimeForExtension(extensionOf(name)) ?? 'application/octet-stream'
}

/** A file's kind by its content type, then its name. */
export const kindOf = (contentType: string | undefined, name: string | undefined): MediaKind => {
  const type = baseMime(contentType) ?? mimeForExtension(extensionOf(name)) ?? ''
  if (type.startsWith('image/')) return 'image'
  if (type.startsWith('audio/')) return 'audio'
  if (type.startsWith('video/')) return 'video'
  return 'file'
}

const REFUSED_UPLOAD_STATUSES = [400, 413, 415, 422]

/** An answer to an upload that means "not this file" (too large, a type refused): the message degrades to a titled link. */
export const isRefusedUpload = (error: unknown): error is ProviderError =>
  error instanceof ProviderError && REFUSED_UPLOAD_STATUSES.includes(error.details.status ?? 0)
