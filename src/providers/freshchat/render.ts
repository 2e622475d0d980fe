/**
 * What the agent reads in Freshchat: the opening messages of a conversation, the end user's messages as message parts,
 * the bot's notices. Freshchat shows `text.content` as plain text; nothing here builds HTML.
 */
import { openingText } from '../../core/transcript'
import type { HitlSessionExtras, OpenSessionInput, OutboundMessage } from '../../core/types'
import { piecesOf as sharedPieces, splitText, type Piece } from '../shared'

/**
 * Characters per text part. Freshchat documents no maximum; long text goes out as several messages, in order, never
 * cut, so that no single message is refused for its size.
 */
export const MAX_CONTENT = 10_000

export type { Piece } from '../shared'

/** The end user's message as text parts of at most MAX_CONTENT characters and one file per piece. */
export const piecesOf = (message: OutboundMessage): Piece[] => sharedPieces(message, MAX_CONTENT)

export type MessagePart =
  | { text: { content: string } }
  | { image: { url: string } }
  | { video: { url: string; content_type?: string } }
  | { file: { url: string; name: string; content_type: string; file_size_in_bytes: number } }

export const textPart = (content: string): MessagePart => ({ text: { content } })

/**
 * Freshchat's priorities as its conversation `properties.priority` takes them (Low, Medium, High, Urgent: the values
 * github:botpress/botpress integrations/freshchat/src/client.ts `createConversation` sends).
 */
export const PRIORITY: Readonly<Record<NonNullable<HitlSessionExtras['priority']>, 'Low' | 'Medium' | 'High' | 'Urgent'>> = {
  low: 'Low',
  normal: 'Medium',
  high: 'High',
  urgent: 'Urgent',
}

/** The title (or subject) and description: the end user's opening message, what the agent sees first in the inbox. */
export const openingRequest = (input: Pick<OpenSessionInput, 'title' | 'description' | 'extras'>): string => {
  const head = [input.title ?? input.extras.subject, input.description].filter((s): s is string => typeof s === 'string' && !!s.trim())
  return head.length ? head.join('\n') : 'I would like to talk to a person.'
}

/**
 * The context for agents (title, description, what was not applied natively, the transcript), as private notes of the
 * bot: visible to every agent in the conversation, never sent to the end user, never echoed back to Botpress.
 */
export const openingNotes = (input: Pick<OpenSessionInput, 'title' | 'description' | 'extras' | 'transcript'>, groupApplied: boolean): string[] =>
  splitText(
    openingText(input, () => groupApplied),
    { maxChars: MAX_CONTENT }
  )

export const botNotice = (name: string, text: string) => `${name} (bot): ${text}`
