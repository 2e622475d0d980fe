/** The generic HTTP adapter: wires configuration, calls, rendering and webhooks into the core's ProviderAdapter contract. */
import type { ProviderAdapter, ProviderDeps } from '../../core/types'
import { createApi, TITLE } from './api'
import type { HttpConfig } from './config'
import { botSendsMessageBody, closeRemoteTicketBody, createRemoteConversationBody, createRemoteUserBody } from './render'
import { connect, disconnect } from './setup'
import { parseWebhook, verifyWebhook } from './webhook'

export const createHttpAdapter = (config: HttpConfig, deps: Pick<ProviderDeps, 'http' | 'logger'>): ProviderAdapter => {
  const api = createApi(config, deps.http)
  return {
    title: TITLE,
    connect: () => connect(config, api, deps.logger),
    disconnect: () => disconnect(),
    createContact: async (input) => ({ id: await api.createRemoteUser(createRemoteUserBody(input)) }),
    openSession: async (input) => ({ id: await api.createRemoteConversation(createRemoteConversationBody(input)) }),
    sendMessage: async (input) => ({ id: await api.botSendsMessage(botSendsMessageBody(input)) }),
    closeSession: (session) => api.closeRemoteTicket(closeRemoteTicketBody(session)),
    verifyWebhook: (req) => verifyWebhook(config, req),
    parseWebhook: (req) => parseWebhook(config, req),
  }
}
