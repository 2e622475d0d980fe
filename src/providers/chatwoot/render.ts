/**
 * What the agent reads in Chatwoot: the opening private note of a session, the end user's messages as pieces (text
 * or one file each), the bot's notices. Chatwoot shows message content as Markdown; we send text as the user wrote it
 * and never build HTML.
 */
import { openingText } from '../../core/transcript'
import type { HitlSessionExtras, OpenSessionInput, OutboundMessage } from '../../core/types'
import { piecesOf as sharedPieces, splitText, type Piece } from '../shared'

/**
 * Per message, below Chatwoot's own limit of 150,000 characters ([CW] app/models/message.rb `validates :content,
 * length: { maximum: 150_000 }`): longer text goes out as several messages, in order, never cut.
 */
export const MAX_CONTENT = 100_000

export type { Piece } from '../shared'

/** The end user's message as text parts of at most MAX_CONTENT characters and one file per piece. */
export const piecesOf = (message: OutboundMessage): Piece[] => sharedPieces(message, MAX_CONTENT)

/** A team id (digits) or a team's name; routing to a team is applied natively, so it is not repeated in the note. */
export const isTeamId = (routing: string) => /^\d{1,12}$/.test(routing.trim())

/** Chatwoot's priorities are urgent, high, medium, low, none (spec `toggle_priority`). */
export const PRIORITY: Readonly<Record<NonNullable<HitlSessionExtras['priority']>, 'urgent' | 'high' | 'medium' | 'low'>> = {
  low: 'low',
  normal: 'medium',
  high: 'high',
  urgent: 'urgent',
}

/**
 * The opening private note: title, description, the details not applied natively and the transcript. A private note
 * and not an opening message from the contact: the transcript holds the bot's lines too, and a note says "context for
 * agents" in Chatwoot's thread (highlighted, never sent to the contact, never echoed back to Botpress).
 */
export const openingNote = (input: Pick<OpenSessionInput, 'title' | 'description' | 'extras' | 'transcript'>, teamApplied: boolean) =>
  splitText(
    openingText(input, () => teamApplied),
    { maxChars: MAX_CONTENT }
  )

export const botNotice = (name: string, text: string) => `${name} (bot): ${text}`
