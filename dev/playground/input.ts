/**
 * What the playground's API accepts, turned into what the integration receives: the error the API answers for bad
 * input (with its HTTP status), a user or agent message parsed and checked against ./validate, the Botpress payload
 * it becomes, and the agent a typed display name stands for. No HTTP here (./server.ts) and no session state
 * (./session.ts).
 */
import { attachmentUrlProblem, textProblem, titleFromUrl } from './validate'

/** An error meant for the person at the keyboard, with the HTTP status the API answers. */
export class PlaygroundError extends Error {
  constructor(
    readonly status: number,
    message: string
  ) {
    super(message)
  }
}

export type UserMessage = { type: 'text'; text: string } | { type: 'image' | 'file'; url: string; title: string }

/** `{type:"text", text}` | `{type:"image"|"file", url}` → a checked message, or a 400 saying what is wrong. */
export const parseUserMessage = (body: Record<string, any>): UserMessage => {
  const type = body.type ?? 'text'
  if (type === 'text') {
    const problem = textProblem(body.text)
    if (problem) throw new PlaygroundError(400, problem)
    return { type: 'text', text: body.text.trim() }
  }
  if (type === 'image' || type === 'file') {
    const problem = attachmentUrlProblem(body.url)
    if (problem) throw new PlaygroundError(400, problem)
    const url = String(body.url).trim()
    return { type, url, title: titleFromUrl(url) }
  }
  throw new PlaygroundError(400, `Unknown message type “${String(type)}”: use text, image or file.`)
}

/** The Botpress message payload of a parsed message. */
export const toPayload = (m: UserMessage): Record<string, unknown> => {
  if (m.type === 'text') return { text: m.text }
  return m.type === 'image' ? { imageUrl: m.url, title: m.title } : { fileUrl: m.url, title: m.title }
}

/** A stable agent id from a display name ("Alice (support)" → agent_alice-support). */
export const agentOf = (name: string) => {
  const clean = name.trim()
  const slug = clean
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
  let hash = 0
  for (const ch of clean) hash = (hash * 31 + ch.codePointAt(0)!) >>> 0
  return { id: `agent_${slug || hash.toString(36)}`, name: clean }
}
