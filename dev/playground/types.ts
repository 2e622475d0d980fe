/**
 * What the playground server and its page exchange: the snapshot sent first on every event stream, then deltas.
 * Types only, shared by dev/playground/session.ts and views.ts (node) and dev/playground/web/app.ts (browser).
 */

/** `local`: provider http with the local agent desk in the agent pane. `provider`: a real provider answers. */
export type Mode = 'local' | 'provider'

export type MediaType = 'image' | 'file' | 'audio' | 'video'

/** One line of the end-user pane. */
export interface ChatItem {
  id: string
  at: string
  /** `notice`: what the page says about the session itself (agent joined, session ended, errors). */
  from: 'user' | 'bot' | 'agent' | 'notice'
  author?: string
  type: 'text' | MediaType | 'other'
  text?: string
  url?: string
  title?: string
  tone?: 'info' | 'success' | 'error'
}

export interface SessionView {
  conversationId: string
  title: string
  status: 'open' | 'closed'
  /** Name of the agent that joined (hitlAssigned). */
  agent?: string
}

export interface SessionState {
  session: SessionView | null
  /** startHitl in flight. */
  escalating: boolean
}

export interface TicketMessageView {
  id: string
  from: 'user' | 'agent' | 'system'
  author?: string
  type: string
  text?: string
  url?: string
  title?: string
  /** Agent messages: the integration answered the webhook with 2xx. */
  delivered?: boolean
  at: string
}

export interface TicketView {
  id: string
  title?: string
  description?: string
  status: 'open' | 'closed'
  closedBy?: 'integration' | 'agent'
  assignedTo?: { id: string; name: string }
  botpressConversationId?: string
  createdAt: string
  /** The conversation before the hand-off, as the integration sent it. */
  transcript: { author?: string; text: string }[]
  messages: TicketMessageView[]
}

/** One line of the "what Botpress received" strip. */
export interface StripItem {
  id: string
  at: string
  kind: 'message' | 'event' | 'request'
  summary: string
  /** Requests: passed the official runtime OpenAPI check. */
  valid?: boolean
  status?: number
  errors?: string[]
}

export interface Snapshot {
  mode: Mode
  provider: string
  /** The provider's display name (from the registry). */
  providerTitle: string
  /** Where the provider must post its webhooks (the Botpress emulator's ingress, or its public tunnel). */
  webhookUrl: string
  endUser: { name: string; userId?: string }
  state: SessionState
  chat: ChatItem[]
  tickets: TicketView[]
  strip: StripItem[]
}

/** Server-sent events, by event name. */
export interface StreamEvents {
  snapshot: Snapshot
  chat: ChatItem
  session: SessionState
  ticket: TicketView
  strip: StripItem
}
