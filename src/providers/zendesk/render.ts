/**
 * What the agent reads in Zendesk: the end user's messages as Sunco message contents, the bot's notices, and the
 * opening of a session (title, description, details, transcript). Pure functions.
 *
 * Limits from the spec (zendesk/sunshine-conversations-api-spec openapi.yaml): `textMessage.text` maxLength 4096,
 * `altText` maxLength 128, conversation `displayName` / `description` 1–100 characters, metadata flat and at most 4 KB
 * (`components.schemas.metadata`).
 */
import { openingText, renderOutbound } from '../../core/transcript'
import type { HitlSessionExtras, OpenSessionInput, OutboundMessage } from '../../core/types'
import { isWebUrl, splitText } from '../shared'

export const MAX_TEXT = 4096
const MAX_ALT = 128
const MAX_LABEL = 100

export type Content =
  | { type: 'text'; text: string }
  | { type: 'image' | 'file'; mediaUrl: string; altText?: string }

const chars = (text: string, max: number) => Array.from(text).slice(0, max).join('')

/**
 * One Sunco content per message (bloc items one by one, long text in 4,096-character parts). Media go as `mediaUrl`:
 * Sunco fetches the file itself (spec `imageMessage.mediaUrl`, `fileMessage.mediaUrl`), so the adapter never downloads
 * a URL it did not build. Sunco has no audio or video type: those are files. Anything not an http(s) URL is text.
 */
export const contentsOf = (message: OutboundMessage): Content[] => {
  switch (message.type) {
    case 'text':
      return splitText(message.text, { maxChars: MAX_TEXT }).map((text) => ({ type: 'text', text }))
    case 'markdown':
      return splitText(message.markdown, { maxChars: MAX_TEXT }).map((text) => ({ type: 'text', text }))
    case 'location':
      return [{ type: 'text', text: chars(renderOutbound(message), MAX_TEXT) }]
    case 'bloc':
      return message.items.flatMap(contentsOf)
    default: {
      if (!isWebUrl(message.url, 2048)) return [{ type: 'text', text: chars(renderOutbound(message), MAX_TEXT) }]
      const title = message.title?.trim()
      return [{ type: message.type === 'image' ? 'image' : 'file', mediaUrl: message.url, ...(title ? { altText: chars(title, MAX_ALT) } : {}) }]
    }
  }
}

/** A Zendesk group id (digits): routed natively (passControl metadata), so not repeated in the opening text. */
export const isGroupId = (routing: string | undefined) => !!routing && /^\d{1,20}$/.test(routing.trim())

/** The opening messages: title, description, what is not applied natively, and the transcript, in 4,096-character parts. */
export const openingMessages = (input: Pick<OpenSessionInput, 'title' | 'description' | 'extras' | 'transcript'>): string[] =>
  splitText(
    openingText(input, (routing) => isGroupId(routing)),
    { maxChars: MAX_TEXT }
  )

/** `displayName` / `description` of the conversation (1–100 characters, else absent). */
export const label = (text: string | undefined): string | undefined => {
  const trimmed = text?.replace(/\s+/g, ' ').trim()
  return trimmed ? chars(trimmed, MAX_LABEL) : undefined
}

/**
 * passControl metadata for the agent workspace: the ticket's first message (by default the ticket shows only the last
 * 10 messages: Zendesk support article 4419179022874 "Can I get more messages in a passControl than the default
 * amount", `first_message_id`), and the ticket's system fields `dataCapture.systemField.*` (subject, priority,
 * group, requester), as Botpress's zendesk-messaging-hitl passes them (src/actions/hitl.ts `_buildMetadata`). Values
 * are clipped so that the whole stays far below the 4 KB metadata limit.
 */
export const handOffMetadata = (
  firstMessageId: string | undefined,
  input: { title?: string; extras: HitlSessionExtras; requester: { name?: string; email?: string } }
): Record<string, string> => {
  const subject = input.extras.subject?.trim() || input.title?.trim()
  const routing = input.extras.routing?.trim()
  const entries: Array<[string, string | undefined]> = [
    ['first_message_id', firstMessageId],
    ['dataCapture.systemField.subject', subject ? chars(subject, 250) : undefined],
    ['dataCapture.systemField.priority', input.extras.priority],
    ['dataCapture.systemField.group_id', isGroupId(routing) ? routing : undefined],
    ['dataCapture.systemField.requester.name', input.requester.name ? chars(input.requester.name, 128) : undefined],
    ['dataCapture.systemField.requester.email', input.requester.email ? chars(input.requester.email, 128) : undefined],
  ]
  return Object.fromEntries(entries.filter((e): e is [string, string] => !!e[1]))
}

export const botNotice = (name: string, text: string) => chars(`${name} (bot): ${text}`, MAX_TEXT)
