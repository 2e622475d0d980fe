/**
 * Intercom REST API 2.15: hosts, headers, error text, and the calls the adapter makes (one function per operation,
 * named after the spec's operationId in the comment). Nothing here decides anything: the other parts do.
 */
import { ProviderError } from '../../core/errors'
import type { HttpClient, HttpClientFactory, HttpResponse } from '../../core/http'
import { maskEmailsIn } from '../../core/log'
import { asId, isRecord, str } from '../shared'
import type { IntercomConfig } from './config'
import { INTERCOM_PACE, intercomRateLimit } from './ratelimit'

export const TITLE = 'Intercom'
export const API_VERSION = '2.15'

export const REGION_HOSTS = {
  us: 'https://api.intercom.io',
  eu: 'https://api.eu.intercom.io',
  au: 'https://api.au.intercom.io',
} as const

export type Region = keyof typeof REGION_HOSTS

export const regionOf = (config: IntercomConfig): Region => config.region ?? 'us'

export const baseUrlOf = (config: IntercomConfig): string => config.apiBaseUrl?.trim() || REGION_HOSTS[regionOf(config)]

/** `{type: 'error.list', errors: [{code, message}]}` → "code: message; …", with e-mail addresses masked. */
export const describeIntercomError = (body: unknown): string | undefined => {
  const text = describeErrorBody(body)
  return text === undefined ? undefined : maskEmailsIn(text)
}

const describeErrorBody = (body: unknown): string | undefined => {
  if (!isRecord(body)) return typeof body === 'string' && body.trim() ? body.trim().slice(0, 200) : undefined
  const errors = body.errors
  if (Array.isArray(errors) && errors.length) {
    const text = errors
      .map((e: unknown) => (isRecord(e) ? [str(e.code), str(e.message)].filter(Boolean).join(': ') : ''))
      .filter(Boolean)
      .join('; ')
      .slice(0, 300)
    return text || undefined
  }
  return typeof body.message === 'string' ? body.message.slice(0, 300) : undefined
}

export const createClient = (http: HttpClientFactory, config: IntercomConfig, baseUrl = baseUrlOf(config)): HttpClient =>
  http({
    provider: TITLE,
    baseUrl,
    headers: {
      authorization: `Bearer ${config.accessToken}`,
      'intercom-version': API_VERSION,
      accept: 'application/json',
    },
    describeError: describeIntercomError,
    rateLimit: intercomRateLimit,
    pace: INTERCOM_PACE,
  })

/** A provider failure that may pass (429, 5xx, timeout, reset) as opposed to a refusal. */
export const isTransient = (error: unknown): boolean => {
  if (!(error instanceof ProviderError)) return false
  const status = error.details.status
  return status === undefined || status === 429 || status >= 500
}

export type ContactJson = { id?: unknown; role?: unknown; email?: unknown }
export type ConversationAnswer = { conversation_id?: unknown; id?: unknown; conversation_parts?: { conversation_parts?: Array<{ id?: unknown }> } }
export type MeAnswer = { id?: unknown; app?: { id_code?: unknown } }
export type AdminAnswer = { name?: unknown; avatar?: unknown }

/** A reply's files: image URLs Intercom fetches itself, or files uploaded inline (base64). */
export type ReplyAttachments = {
  attachment_urls?: string[]
  attachment_files?: Array<{ content_type: string; data: string; name: string }>
}

const enc = encodeURIComponent

/** The id of the last part of a conversation answer (the part a reply created). */
export const lastPartId = (body: ConversationAnswer | undefined): string | undefined => {
  const parts = body?.conversation_parts?.conversation_parts
  return Array.isArray(parts) && parts.length ? asId(parts[parts.length - 1]?.id) : undefined
}

export const createApi = (http: HttpClientFactory, config: IntercomConfig, baseUrl?: string) => {
  const client = createClient(http, config, baseUrl)
  return {
    /** identifyAdmin: the token's admin and its workspace. */
    me: (okStatuses?: number[]): Promise<HttpResponse<MeAnswer>> => client.request<MeAnswer>({ path: 'me', okStatuses, operation: 'GET /me' }),
    /** retrieveAdmin */
    admin: (adminId: string) =>
      client.request<AdminAnswer>({ path: `admins/${enc(adminId)}`, okStatuses: [404], operation: 'GET /admins/{id}' }),
    /** SearchContacts: one `=` condition. */
    searchContacts: (field: 'email' | 'external_id' | 'phone', value: string) =>
      client.request<{ data?: ContactJson[] }>({
        method: 'POST',
        path: 'contacts/search',
        json: { query: { field, operator: '=', value } },
        idempotent: true,
        operation: 'search contacts',
      }),
    /** CreateContact: a 409 (it exists) is an answer. */
    createContact: (body: Record<string, unknown>) =>
      client.request<ContactJson>({ method: 'POST', path: 'contacts', json: body, okStatuses: [409], operation: 'create contact' }),
    /** createConversation: answers with the message that started it. */
    createConversation: (from: { type: string; id: string }, body: string) =>
      client.request<ConversationAnswer>({ method: 'POST', path: 'conversations', json: { from, body }, operation: 'create conversation' }),
    /** updateConversation */
    updateConversation: (conversationId: string, json: { title: string }) =>
      client.request({ method: 'PUT', path: `conversations/${enc(conversationId)}`, json, operation: 'update conversation' }),
    /** replyConversation as the contact (body is HTML). */
    replyAsContact: async (conversationId: string, contactId: string, body: string, files: ReplyAttachments = {}) =>
      lastPartId(
        (
          await client.request<ConversationAnswer>({
            method: 'POST',
            path: `conversations/${enc(conversationId)}/reply`,
            json: { message_type: 'comment', type: 'user', intercom_user_id: contactId, body, ...files },
            operation: 'reply as the contact',
          })
        ).body
      ),
    /** replyConversation as an admin, as an internal note (teammates only). */
    note: async (conversationId: string, adminId: string, body: string, files: ReplyAttachments = {}) =>
      lastPartId(
        (
          await client.request<ConversationAnswer>({
            method: 'POST',
            path: `conversations/${enc(conversationId)}/reply`,
            json: { message_type: 'note', type: 'admin', admin_id: adminId, body, ...files },
            operation: 'add a note',
          })
        ).body
      ),
    /** manageConversation: close. Closing twice is harmless, so it is retried after a 5xx; 404 is an answer. */
    close: (conversationId: string, adminId: string) =>
      client.request({
        method: 'POST',
        path: `conversations/${enc(conversationId)}/parts`,
        json: { message_type: 'close', type: 'admin', admin_id: adminId },
        idempotent: true,
        okStatuses: [404],
        operation: 'close conversation',
      }),
    /** manageConversation: assign to a team. */
    assignTeam: (conversationId: string, adminId: string, teamId: string) =>
      client.request({
        method: 'POST',
        path: `conversations/${enc(conversationId)}/parts`,
        json: { message_type: 'assignment', type: 'team', admin_id: adminId, assignee_id: teamId },
        idempotent: true,
        operation: 'assign conversation',
      }),
  }
}

export type IntercomApi = ReturnType<typeof createApi>
