/**
 * What people read: the opening message, LiveChat's message-size limit, agents' rich messages as text, avatars, and
 * the masking of e-mail addresses (agent ids are e-mail addresses) in logs and errors. Every helper here is linear in
 * its input and bounds it first.
 */
import { maskEmail } from '../../core/log'
import { openingText as coreOpeningText } from '../../core/transcript'
import type { OpenSessionInput } from '../../core/types'
import { isRecord, isWebUrl, splitText, str } from '../shared'

/** LiveChat refuses message texts over 16 KB; keep a margin for prefixes such as "[Bot] ". */
export const MAX_TEXT_BYTES = 15_000

/** Pieces of at most MAX_TEXT_BYTES UTF-8 bytes each (shared splitter: linear, never inside a character). */
export const splitMessage = (text: string): string[] => splitText(text, { maxBytes: MAX_TEXT_BYTES })

const isGroupId = (routing: string | undefined): routing is string => {
  const value = routing?.trim()
  if (!value || value.length > 9) return false
  for (const c of value) if (c < '0' || c > '9') return false
  return true
}

/** The LiveChat group a session goes to: `hitlSession.routing` when it is a group id, else the configured group. */
export const groupFor = (routing: string | undefined, configured: number): number => (isGroupId(routing) ? Number(routing.trim()) : configured)

/** What the agent reads first (see core openingText); a numeric routing is applied as the group, not repeated. */
export const openingText = (input: Pick<OpenSessionInput, 'title' | 'description' | 'extras' | 'transcript'>): string =>
  coreOpeningText(input, isGroupId)

const MAX_URL = 2048
const HOST_CHAR = /^[a-z0-9.-]+$/i

/** Avatars in LiveChat user objects may lack a scheme (`cdn.livechatinc.com/avatars/1.png`, Agent Chat API v3.6 data structures). */
export const normalizeAvatar = (avatar: string | undefined): string | undefined => {
  const value = avatar?.trim()
  if (!value || value.length > MAX_URL || /\s/.test(value)) return undefined
  const lower = value.slice(0, 8).toLowerCase()
  if (lower.startsWith('https://') || lower.startsWith('http://')) return value
  if (value.startsWith('//')) return `https:${value}`
  // A bare host with a dot and a path: "cdn.example.com/…".
  const slash = value.indexOf('/')
  const host = slash > 0 ? value.slice(0, slash) : ''
  const dot = host.lastIndexOf('.')
  if (host && HOST_CHAR.test(host) && dot > 0 && host.length - dot - 1 >= 2) return `https://${value}`
  return undefined
}

/** An agent id as it may appear in a log line: LiveChat agent ids are e-mail addresses, masked (`j***@example.com`). */
export const maskAgentId = (id: string): string => (id.includes('@') ? maskEmail(id) : id)

const MAX_RICH_ELEMENTS = 50
const MAX_BUTTONS = 20

/** A rich message (cards with buttons, quick replies) as readable text: titles, subtitles, image links and button labels. */
export const richText = (elements: unknown[] | undefined): string | undefined => {
  const lines: string[] = []
  for (const element of (elements ?? []).slice(0, MAX_RICH_ELEMENTS)) {
    if (!isRecord(element)) continue
    const head = [str(element.title), str(element.subtitle)].filter(Boolean).join(' — ')
    if (head) lines.push(head)
    const image = isRecord(element.image) ? element.image.url : undefined
    if (isWebUrl(image)) lines.push(image)
    const buttons = (Array.isArray(element.buttons) ? element.buttons.slice(0, MAX_BUTTONS) : [])
      .map((b) => (isRecord(b) ? str(b.text) : undefined))
      .filter((b): b is string => !!b)
    if (buttons.length) lines.push(buttons.map((b, i) => `${i + 1}. ${b}`).join('\n'))
  }
  return lines.length ? lines.join('\n') : undefined
}
