/** Outbound messages as most desks take them: text parts and one file per piece. */
import { renderOutbound } from '../../core/transcript'
import type { OutboundMessage } from '../../core/types'
import type { MediaKind } from './files'
import { splitText } from './text'
import { isWebUrl } from './values'

export type Piece = { kind: 'text'; text: string } | { kind: 'media'; media: MediaKind; url: string; title?: string; fallback: string }

/**
 * A message as pieces: text in parts of at most `maxChars` (in order, never cut), a bloc item by item, a location as
 * its text, each file as one media piece with the text that names it (`fallback`, for when it cannot be delivered).
 * Only a web URL is ever a media piece to download; anything else (data:, javascript:, relative) is shown as text.
 */
export const piecesOf = (message: OutboundMessage, maxChars: number): Piece[] => {
  switch (message.type) {
    case 'text':
      return splitText(message.text, { maxChars }).map((text) => ({ kind: 'text', text }))
    case 'markdown':
      return splitText(message.markdown, { maxChars }).map((text) => ({ kind: 'text', text }))
    case 'location':
      return [{ kind: 'text', text: renderOutbound(message) }]
    case 'bloc':
      return message.items.flatMap((item) => piecesOf(item, maxChars))
    default: {
      if (!isWebUrl(message.url)) return [{ kind: 'text', text: renderOutbound(message) }]
      return [{ kind: 'media', media: message.type, url: message.url, title: message.title?.trim() || undefined, fallback: renderOutbound(message) }]
    }
  }
}
