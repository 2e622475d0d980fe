/**
 * Input rules shared by the playground server (which enforces them) and its page (which checks them first, so a
 * mistake is explained without a round trip). No node or DOM dependency.
 */

export const MAX_TEXT = 4000
export const MAX_TITLE = 200
export const MAX_DESCRIPTION = 2000
export const MAX_NAME = 80

const short = (s: string) => (s.length > 60 ? `${s.slice(0, 57)}…` : s)

export const textProblem = (text: unknown): string | undefined => {
  if (typeof text !== 'string' || !text.trim()) return 'Type a message before sending: empty messages are not sent.'
  if (text.length > MAX_TEXT) return `That message is too long (${text.length} characters, at most ${MAX_TEXT}).`
  return undefined
}

/** Why `raw` cannot be sent as an attachment, or undefined for a usable http(s) URL. */
export const attachmentUrlProblem = (raw: unknown): string | undefined => {
  if (typeof raw !== 'string' || !raw.trim()) return 'Paste the address of an image or file first (https://…).'
  const value = raw.trim()
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return `“${short(value)}” is not a valid URL: use a full address such as https://example.com/photo.png.`
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `“${short(value)}” is not an http(s) address: only http:// and https:// links can be sent.`
  if (/\s/.test(value)) return `“${short(value)}” contains spaces: encode them (%20) or use another address.`
  if (value.length > 2000) return 'That address is too long (at most 2000 characters).'
  return undefined
}

/** A readable name for an attachment: the last path segment, else the host. */
export const titleFromUrl = (raw: string): string => {
  try {
    const url = new URL(raw)
    const last = url.pathname.split('/').filter(Boolean).pop()
    return last ? decodeURIComponent(last).slice(0, 120) : url.hostname
  } catch {
    return 'attachment'
  }
}

export const agentNameProblem = (name: unknown): string | undefined => {
  if (typeof name !== 'string' || !name.trim()) return 'Give the agent a name first.'
  if (name.trim().length > MAX_NAME) return `That agent name is too long (at most ${MAX_NAME} characters).`
  return undefined
}

export const escalationProblem = (title: unknown, description: unknown): string | undefined => {
  if (typeof title !== 'string' || !title.trim()) return 'Give the escalation a title: it becomes the ticket subject the agent sees.'
  if (title.trim().length > MAX_TITLE) return `The title is too long (at most ${MAX_TITLE} characters).`
  if (description !== undefined && typeof description !== 'string') return 'The description must be text.'
  if (typeof description === 'string' && description.trim().length > MAX_DESCRIPTION) return `The description is too long (at most ${MAX_DESCRIPTION} characters).`
  return undefined
}
