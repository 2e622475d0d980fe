/**
 * What Intercom receives from the bot side. Reply bodies are HTML: every character of the user's (or the bot's) text
 * is escaped, line breaks kept as `<br>` and paragraphs. The opening message of a conversation is plain text (the
 * spec: "HTML is not supported"). Files: images as `attachment_urls` (the spec: "a list of image URLs", Intercom
 * fetches them), other files downloaded with the safe media fetcher and uploaded inline as `attachment_files`
 * (base64), and when that cannot be done, a titled link: never a request the spec says is wrong, never a lost message.
 */
import { describeUrl } from '../../core/media'
import { openingText as coreOpeningText, renderOutbound } from '../../core/transcript'
import type { OpenSessionInput, OutboundMessage, ProviderDeps } from '../../core/types'
import { contentTypeFor, isWebUrl, splitText, uploadName, type MediaKind } from '../shared'
import type { ReplyAttachments } from './api'
import { textToHtml } from './html'

/**
 * Intercom documents no maximum length for a conversation part, but very long bodies are refused or clipped by its
 * inbox and Messenger. No message part carries more than MAX_BODY_CHARS: longer text goes out as several parts, in
 * order. The opening of a session is the exception: one message whatever its length (adapter.ts `openSession`).
 */
export const MAX_BODY_CHARS = 5000
/** Room kept in each part for the "[Bot]" or "(continued 2/3)" prefixes. */
export const PREFIX_ROOM = 60
/**
 * Largest file uploaded inline. Intercom documents 100 MB per attachment (help center, "Attachment size limits") and
 * no lower API limit; 10 MB (the project's default when a provider documents no API limit) keeps the JSON request
 * reasonable. A larger file goes as a titled link.
 */
export const MAX_INLINE_FILE_BYTES = 10 * 1024 * 1024

export const isTeamId = (routing: string) => /^\d{1,18}$/.test(routing.trim())

export const openingText = (input: Pick<OpenSessionInput, 'title' | 'description' | 'extras' | 'transcript'>): string =>
  coreOpeningText(input, isTeamId)

/** One outbound message as Intercom parts: text, optionally with one file. */
export type Piece = { text: string; media?: { kind: MediaKind; url: string; title?: string; link: string } }

export const piecesOf = (message: OutboundMessage): Piece[] => {
  switch (message.type) {
    case 'text':
      return [{ text: message.text }]
    case 'markdown':
      return [{ text: message.markdown }]
    case 'location':
      return [{ text: renderOutbound(message) }]
    case 'bloc':
      return message.items.flatMap(piecesOf)
    default: {
      // Only http(s) URLs become attachments; anything else is shown as the text it is.
      if (!isWebUrl(message.url)) return [{ text: renderOutbound(message) }]
      const link = renderOutbound(message)
      // Images: the caption is the title, else the original link (Intercom re-hosts attachments, and a body cannot
      // be empty). Other files: the titled link, so that the agent sees the name and the source beside the upload.
      const text = message.type === 'image' ? message.title?.trim() || message.url : link
      return [{ text, media: { kind: message.type, url: message.url, title: message.title, link } }]
    }
  }
}

/**
 * Plain text cut into parts whose HTML (escaped, with room for a prefix) fits MAX_BODY_CHARS: cut at paragraph, line
 * or word boundaries, nothing dropped. Text that escaping makes longer (`&` → `&amp;`) is cut smaller.
 */
export const bodyChunks = (text: string, budget = MAX_BODY_CHARS - PREFIX_ROOM): string[] => {
  const out: string[] = []
  const visit = (piece: string) => {
    const size = textToHtml(piece).length
    if (size <= budget || piece.length <= 16) {
      out.push(piece)
      return
    }
    const smaller = Math.max(16, Math.floor((piece.length * budget) / size) - 1)
    for (const p of splitText(piece, { maxChars: smaller })) visit(p)
  }
  for (const piece of splitText(text, { maxChars: budget })) visit(piece)
  return out.length ? out : ['']
}

/** Sends one part: the body as plain text (the sender escapes it) and its files. */
export type SendPart = (text: string, files?: ReplyAttachments) => Promise<string | undefined>

export type FileResolution = { files: ReplyAttachments } | { link: string; reason: string }

/**
 * The attachment a piece carries: an image by URL; another file downloaded (safe fetcher, capped) and inlined as
 * base64; or, when the download fails for any reason, the titled link. User → agent messages are not webhooks: a
 * transient failure degrades to the link too (the message must not be lost), with the reason logged.
 */
export const resolveFile = async (media: NonNullable<Piece['media']>, deps: Pick<ProviderDeps, 'media'>): Promise<FileResolution> => {
  if (media.kind === 'image') return { files: { attachment_urls: [media.url] } }
  const got = await deps.media(media.url, { maxBytes: MAX_INLINE_FILE_BYTES })
  if (!got.ok) return { link: media.link, reason: `${describeUrl(media.url)}: ${got.reason}${got.transient ? ' (transient)' : ''}` }
  if (got.body.length === 0) return { link: media.link, reason: `${describeUrl(media.url)}: empty file` }
  const name = uploadName(media.url, media.title ?? got.fileName, got.contentType, media.kind)
  return { files: { attachment_files: [{ content_type: contentTypeFor(name, got.contentType), data: got.body.toString('base64'), name }] } }
}
