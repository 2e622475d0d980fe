/**
 * Registration and authentication modes of the generic HTTP provider, through the SDK handler and the Botpress
 * emulator, against the real local agent desk: no secret and no opt-in is refused at register and at every webhook.
 */
import { startAgentDesk, type AgentDesk } from '../../../dev/agent-desk'
import { signHeaders } from '../../../dev/agent-desk/protocol'
import { ConfigurationError } from '../../../src/core/errors'
import { createHttpClientFactory } from '../../../src/core/http'
import { createLogger, Redactor } from '../../../src/core/log'
import { fetchMedia } from '../../../src/core/media'
import { providers } from '../../../src/providers'
import { capturedLogs, clearLogs } from '../../support/logs'
import { startRig, type Rig } from '../../support/rig'
import type { WebhookRequest } from '../../../src/core/types'

const SECRET = 'desk-setup-secret-0123456789'

let desk: AgentDesk
let rig: Rig
beforeAll(async () => {
  desk = await startAgentDesk({ quiet: true })
  rig = await startRig({ provider: 'http', http: { endpointBaseUrl: desk.url } })
})
afterAll(async () => {
  await rig.close()
  await desk.stop()
})
beforeEach(() => {
  desk.reset()
  rig.reset()
  clearLogs()
})

const configure = (section: Record<string, unknown>) => rig.driver.setConfiguration({ provider: 'http', http: { endpointBaseUrl: desk.url, ...section } })

/** A session opened through the integration, so that webhooks have something to act on. */
const openSession = async () => {
  const { userId } = await rig.driver.callAction('createUser', { name: 'Jane', email: 'jane@example.com' })
  const { conversationId } = await rig.driver.callAction('startHitl', { userId, title: 'Help', messageHistory: [] })
  return { conversationId, ticketId: desk.tickets[desk.tickets.length - 1]!.id }
}

const webhook = (path: string, body: unknown, headers: Record<string, string> = {}): WebhookRequest => ({
  method: 'POST',
  path,
  query: '',
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
})

describe('http provider: register and webhook authentication', () => {
  it('register with neither a secret nor the opt-in fails naming both fields, before any request to the desk', async () => {
    configure({})
    const error = await rig.driver.register().catch((e: Error) => e)
    expect(error).toBeInstanceOf(Error)
    expect((error as Error).message).toContain('http.webhookSecret')
    expect((error as Error).message).toContain('http.allowUnsignedWebhooks')
    expect(desk.requests).toEqual([])
    configure({ allowUnsignedWebhooks: false, webhookSecret: '' })
    await expect(rig.driver.register()).rejects.toThrow(/http\.webhookSecret.*http\.allowUnsignedWebhooks/)
  })

  it('connect itself throws a ConfigurationError (the class register reports to Studio), with no request made', async () => {
    const requests: string[] = []
    const adapter = providers.http.create(
      { endpointBaseUrl: desk.url },
      {
        http: (options) => {
          const client = createHttpClientFactory(new Redactor([]))(options)
          return { request: (req) => (requests.push(req.path), client.request(req)) }
        },
        media: fetchMedia,
        secrets: { add: () => {} },
        logger: createLogger({ debug() {}, info() {}, warn() {}, error() {} }, new Redactor([])),
        store: { get: async () => ({}), set: async () => {} },
        ctx: { botId: 'b', integrationId: 'i', webhookId: 'w' },
      }
    )
    const error = await adapter.connect({ webhookUrl: 'https://x/webhook' }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ConfigurationError)
    expect(requests).toEqual([])
    expect(desk.requests).toEqual([])
  })

  it('without a secret or the opt-in, an unsigned webhook from anyone is 401 with 0 Botpress and 0 desk requests', async () => {
    desk.setSecret(undefined)
    configure({ allowUnsignedWebhooks: true })
    const { ticketId } = await openSession()
    configure({})
    const botpressBefore = rig.requestCount()
    const deskBefore = desk.requests.length
    for (const [path, body] of [
      ['/message-from-agent', { remoteConversationId: ticketId, remoteUserId: 'mallory', messageType: 'text', payload: { text: 'Send me your password' } }],
      ['/agent-assigned', { remoteConversationId: ticketId, remoteUserId: 'mallory' }],
      ['/stop-hitl', { remoteConversationId: ticketId }],
    ] as const) {
      expect((await rig.webhook(webhook(path, body))).status).toBe(401)
    }
    expect(rig.requestCount()).toBe(botpressBefore)
    expect(desk.requests.length).toBe(deskBefore)
    expect(rig.events()).toEqual([])
  })

  it('with http.allowUnsignedWebhooks, a desk of the original protocol keeps working, and register warns it is insecure', async () => {
    desk.setSecret(undefined)
    configure({ allowUnsignedWebhooks: true })
    await rig.driver.register()
    expect(capturedLogs().join('\n')).toMatch(/accepting UNSIGNED webhooks \(http\.allowUnsignedWebhooks is on\)/)
    const { conversationId, ticketId } = await openSession()
    const res = await rig.webhook(webhook('/message-from-agent', { remoteConversationId: ticketId, remoteUserId: 'agent_1', messageType: 'text', payload: { text: 'Hello' } }))
    expect(res.status).toBe(200)
    expect(rig.messagesOf(conversationId).map((m: { payload: { text?: string } }) => m.payload.text)).toEqual(['Hello'])
  })

  it('with a secret, register says webhooks must be signed, and unsigned ones are refused even with the opt-in', async () => {
    desk.setSecret(SECRET)
    configure({ webhookSecret: SECRET, allowUnsignedWebhooks: true })
    await rig.driver.register()
    expect(capturedLogs().join('\n')).toMatch(/webhooks must be signed with http\.webhookSecret/)
    expect(capturedLogs().join('\n')).not.toContain(SECRET)
    const { conversationId, ticketId } = await openSession()
    const body = { remoteConversationId: ticketId, remoteUserId: 'agent_1', messageType: 'text', payload: { text: 'Hello' } }
    const before = rig.requestCount()
    expect((await rig.webhook(webhook('/message-from-agent', body))).status).toBe(401)
    expect(rig.requestCount()).toBe(before)
    expect((await rig.webhook(webhook('/message-from-agent', body, signHeaders(SECRET, JSON.stringify(body))))).status).toBe(200)
    expect(rig.messagesOf(conversationId)).toHaveLength(1)
  })
})
