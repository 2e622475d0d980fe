/**
 * How the playground page sees what Botpress and the agent desk hold: a Botpress message payload as readable content,
 * a desk ticket as a TicketView (./types), and the short summaries of the "what Botpress received" strip. Pure
 * functions: no HTTP, no session state.
 */
import type { DeskMessage, RemoteUser, Ticket } from '../agent-desk'
import type { ChatItem, TicketMessageView, TicketView } from './types'
import { titleFromUrl } from './validate'

/** Readable content of a Botpress message payload: text, or a media URL and title. */
export const describePayload = (type: string, payload: Record<string, any> | undefined): Pick<ChatItem, 'type' | 'text' | 'url' | 'title'> => {
  const p = payload ?? {}
  const media = { image: 'imageUrl', file: 'fileUrl', audio: 'audioUrl', video: 'videoUrl' } as const
  if (type === 'text' && typeof p.text === 'string') return { type: 'text', text: p.text }
  if (type === 'markdown' && typeof p.markdown === 'string') return { type: 'text', text: p.markdown }
  if (type in media) {
    const url = p[media[type as keyof typeof media]]
    if (typeof url === 'string') return { type: type as keyof typeof media, url, title: typeof p.title === 'string' ? p.title : titleFromUrl(url) }
  }
  if (type === 'bloc' && Array.isArray(p.items)) {
    const parts = p.items.map((i: any) => describePayload(i?.type, i?.payload)).map((d: any) => d.text ?? d.url ?? '')
    return { type: 'other', text: parts.join(' · ') }
  }
  const text = typeof p.text === 'string' ? p.text : JSON.stringify(p)
  return { type: 'other', text: `[${type}] ${text}` }
}

/** One line for a described payload: its text, or `[image] <url>`. */
export const summarize = (d: Pick<ChatItem, 'text' | 'url' | 'type'>) => (d.type === 'text' || d.type === 'other' ? (d.text ?? '') : `[${d.type}] ${d.url}`)

/** `s` cut to `n` characters, with an ellipsis when cut. */
export const clip = (s: string, n = 140) => (s.length > n ? `${s.slice(0, n - 1)}…` : s)

/**
 * A desk ticket as the agent pane shows it. `agentNames`: the display names typed in the pane, by agent id (the desk
 * only knows the name an agent was last assigned under); `users`: the desk's remote users (the end user's name).
 */
export const ticketView = (t: Ticket, agentNames: ReadonlyMap<string, string>, users: readonly RemoteUser[] = []): TicketView => {
  const agentName = (id?: string) => (id && (agentNames.get(id) ?? (t.assignedTo?.id === id ? t.assignedTo.name : undefined))) || id
  const userName = (id?: string) => users.find((u) => u.id === id)?.name
  const message = (m: DeskMessage): TicketMessageView => ({
    id: m.id,
    from: m.from,
    author: m.from === 'agent' ? agentName(m.authorId) : m.from === 'user' ? (userName(m.authorId) ?? 'User') : 'Bot',
    at: m.at,
    ...(m.delivered !== undefined ? { delivered: m.delivered } : {}),
    ...describePayload(m.type, m.payload as Record<string, any>),
  })
  return {
    id: t.id,
    title: t.title,
    description: t.description,
    status: t.status,
    closedBy: t.closedBy,
    assignedTo: t.assignedTo ? { id: t.assignedTo.id, name: t.assignedTo.name ?? t.assignedTo.id } : undefined,
    botpressConversationId: t.botpressConversationId,
    createdAt: t.createdAt,
    transcript: t.transcript.map((text, i) => ({ author: (t.history?.[i] as { authorName?: string } | undefined)?.authorName, text })),
    messages: t.messages.map(message),
  }
}
