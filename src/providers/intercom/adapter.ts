/**
 * The Intercom adapter (REST API 2.15), wiring the parts: a HITL session is an Intercom conversation started by the
 * end user's contact; the end user's messages are replies as that contact, notices of the bot are internal notes
 * (teammates only), and agents' replies, assignments and closes come back through the app's webhooks.
 */
import { errorMessage, ProviderError, RetryLaterError } from '../../core/errors'
import type { Agent, OpenSessionInput, OpenSessionResult, ProviderAdapter, ProviderDeps, SendMessageInput, SessionRef } from '../../core/types'
import { asId, isRecord, isWebUrl, str } from '../shared'
import { createApi, isTransient, TITLE, type ReplyAttachments } from './api'
import type { IntercomConfig } from './config'
import { contactRole, createContacts, type ContactsOptions } from './contacts'
import { textToHtml } from './html'
import { bodyChunks, isTeamId, openingText, piecesOf, resolveFile, type Piece, type SendPart } from './render'
import { createSetup } from './setup'
import { parseWebhook, verifyWebhook } from './webhook'

export type AdapterOptions = ContactsOptions

/** Intercom refused what a reply carried (a file it could not fetch or read): worth sending again as a link. */
const refusedContent = (error: unknown) => error instanceof ProviderError && [400, 422].includes(error.details.status ?? 0)

export const createIntercomAdapter = (config: IntercomConfig, deps: ProviderDeps, options: AdapterOptions = {}): ProviderAdapter => {
  const api = createApi(deps.http, config)
  const setup = createSetup(config, deps, api)
  const contacts = createContacts(api, deps, options)
  const log = deps.logger

  /** Extras that must not cost the user the hand-off: a failure is logged, the session stays open. */
  const bestEffort = async (what: string, run: () => Promise<unknown>) => {
    try {
      await run()
    } catch (error) {
      log.warn(`Intercom: could not ${what}: ${errorMessage(error)}`)
    }
  }

  const close = async (conversationId: string) => {
    const res = await api.close(conversationId, await setup.tokenAdmin())
    if (res.status === 404) log.warn(`Intercom: conversation ${conversationId} was not found; nothing to close`)
  }

  /** One piece: long text as several parts in order; a file with its caption, or as a titled link when it cannot go. */
  const deliver = async (piece: Piece, send: SendPart): Promise<string | undefined> => {
    if (piece.media) {
      const resolved = await resolveFile(piece.media, deps)
      if ('link' in resolved) {
        log.warn(`Intercom: the ${piece.media.kind} could not be attached (${resolved.reason}); sending it as a link`)
        return send(piece.media.link)
      }
      try {
        return await send(piece.text, resolved.files)
      } catch (error) {
        if (!refusedContent(error)) throw error
        log.warn(`Intercom refused an attachment (${errorMessage(error)}); sending it as a link`)
        return send(piece.media.link)
      }
    }
    let id: string | undefined
    for (const chunk of bodyChunks(piece.text)) id = (await send(chunk)) ?? id
    return id
  }

  return {
    title: TITLE,
    acceptsBloc: false,
    connect: () => setup.connect(),
    disconnect: () => setup.disconnect(),
    createContact: (input) => contacts.createContact(input),

    async openSession(input: OpenSessionInput): Promise<OpenSessionResult> {
      const { contact } = input
      // The whole opening (transcript included) is one message, whatever the history's length: the create-conversation
      // `body` has no documented maximum (api.intercom.io 2.15 OpenAPI, test/providers/intercom/spec/: a plain string,
      // no maxLength; developers.intercom.com "Create a conversation"), so no cut of ours makes startHitl grow.
      const res = await api.createConversation({ type: await contactRole(contact), id: contact.id }, openingText(input))
      // Intercom answers with the *message* that started the conversation; its conversation_id is the session.
      const conversationId = asId(res.body?.conversation_id) ?? asId(res.body?.id)
      if (!conversationId) {
        throw new ProviderError(`${TITLE} created the conversation but answered without its id`, { provider: TITLE, operation: 'create conversation' })
      }
      // The subject, when given, is the Inbox title; the opening message keeps the title the bot gave.
      const title = input.extras.subject ?? input.title
      if (title) await bestEffort('set the conversation title', () => api.updateConversation(conversationId, { title: Array.from(title).slice(0, 250).join('') }))
      const routing = input.extras.routing?.trim()
      if (routing && isTeamId(routing)) {
        await bestEffort(`assign the conversation to team ${routing}`, async () => api.assignTeam(conversationId, await setup.tokenAdmin(), routing))
      }
      return { id: conversationId }
    },

    async sendMessage({ session, author, message }: SendMessageInput) {
      const send: SendPart =
        author.kind === 'user'
          ? (text: string, files?: ReplyAttachments) => api.replyAsContact(session.id, author.contact.id, textToHtml(text), files)
          : async (text: string, files?: ReplyAttachments) => api.note(session.id, await setup.tokenAdmin(), textToHtml(`[${author.name}] ${text}`), files)
      let last: string | undefined
      for (const piece of piecesOf(message)) last = (await deliver(piece, send)) ?? last
      return { id: last }
    },

    closeSession: (session: SessionRef) => close(session.id),

    verifyWebhook: (req) => verifyWebhook(config.clientSecret, req),

    parseWebhook: (req) => parseWebhook(req, { workspace: () => setup.workspace() }),

    async describeAgent(agentId: string): Promise<Agent> {
      let res
      try {
        res = await api.admin(agentId)
      } catch (error) {
        // Called while applying a webhook: a failure that may pass is redelivered, never turned into a nameless agent.
        if (isTransient(error)) throw new RetryLaterError(`Intercom could not describe admin ${agentId} yet: ${errorMessage(error)}`)
        log.warn(`Intercom: could not describe admin ${agentId}: ${errorMessage(error)}`)
        return { id: agentId }
      }
      if (res.status === 404) return { id: agentId }
      const name = str(res.body?.name)
      const avatar = res.body?.avatar
      const pictureUrl = typeof avatar === 'string' ? avatar : isRecord(avatar) ? avatar.image_url : undefined
      return { id: agentId, ...(name ? { name } : {}), ...(isWebUrl(pictureUrl) ? { pictureUrl } : {}) }
    },
  }
}
