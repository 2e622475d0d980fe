/** What the integration sends the desk: normalized inputs → the protocol's request bodies (official fields first, then our additive ones). */
import { outboundToPayload } from '../../core/transcript'
import type { CreateContactInput, OpenSessionInput, SendMessageInput, SessionRef } from '../../core/types'

/** A JSON request body of the protocol. */
export type Wire = Record<string, unknown>

export const createRemoteUserBody = (input: CreateContactInput): Wire => ({
  type: 'createRemoteUser',
  payload: {
    role: 'end-user',
    name: input.name,
    ...(input.pictureUrl ? { pictureUrl: input.pictureUrl } : {}),
    // A real address only (lower-cased): never the plugin's no-reply placeholder the service might e-mail.
    ...(input.email ? { email: input.email } : {}),
    ...(input.phone ? { phone: input.phone } : {}),
    ...(input.botpressUserId ? { botpressUserId: input.botpressUserId } : {}),
  },
})

export const createRemoteConversationBody = (input: OpenSessionInput): Wire => {
  const { transcript } = input
  return {
    type: 'createRemoteConversation',
    payload: {
      ...(input.title ? { title: input.title } : {}),
      ...(input.description ? { description: input.description } : {}),
      // The official field: one readable line per message.
      messages: transcript.entries.map((e) => ({ text: e.text, author: e.author.name })),
      // Additive: who the ticket is for, the Botpress ids, the typed history and the session extras.
      remoteUserId: input.contact.id,
      botpressConversationId: input.botpressConversationId,
      botpressUserId: input.contact.botpressUserId,
      history: transcript.entries.map((e) => ({
        source: e.author.kind === 'user' ? { type: 'user', userId: e.author.botpressUserId } : { type: 'bot' },
        authorName: e.author.name,
        type: e.type,
        payload: e.payload,
      })),
      ...(Object.keys(input.extras).length ? { hitlSession: input.extras } : {}),
    },
  }
}

/** An outbound message as the Botpress payload the original protocol carries, plus its type and the Botpress ids. */
export const botSendsMessageBody = ({ session, author, message, botpressMessageId, additionalData }: SendMessageInput): Wire => {
  const { type, payload } = outboundToPayload(message)
  return {
    type: 'botSendsMessage',
    remoteConversationId: session.id,
    remoteUserId: author.kind === 'user' ? author.contact.id : 'BOT',
    payload: additionalData ? { ...payload, additionalData } : payload,
    // Additive: the message type the original never sent, and the Botpress ids.
    messageType: type,
    authorKind: author.kind,
    botpressConversationId: session.botpressConversationId,
    botpressMessageId,
  }
}

export const closeRemoteTicketBody = (session: SessionRef): Wire => ({
  type: 'closeRemoteTicket',
  payload: { botpressConversationId: session.botpressConversationId, remoteConversationId: session.id },
})
