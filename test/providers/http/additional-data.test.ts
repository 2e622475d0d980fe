/** `payload.additionalData` of /message-from-agent (the hitl message field, ≤ 500 characters) on the generic HTTP protocol. */
import { BadRequestError } from '../../../src/core/errors'
import { parseWebhook } from '../../../src/providers/http/webhook'
import type { WebhookRequest } from '../../../src/core/types'

const config = { endpointBaseUrl: 'http://127.0.0.1:9', allowUnsignedWebhooks: true }
const message = (payload: Record<string, unknown>, messageType = 'text'): WebhookRequest => ({
  method: 'POST',
  path: '/message-from-agent',
  query: '',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ remoteConversationId: 't1', remoteUserId: 'a1', messageType, payload, messageId: 'm1' }),
})
const eventOf = (req: WebhookRequest) => parseWebhook(config, req).events[0]
const reasonOf = (req: WebhookRequest) => {
  try {
    parseWebhook(config, req)
  } catch (error) {
    if (error instanceof BadRequestError) return error.reason
    throw error
  }
  throw new Error('accepted')
}

describe('generic HTTP: additionalData inbound', () => {
  it('a string up to 500 characters rides on the agent message event', () => {
    expect(eventOf(message({ text: 'hi', additionalData: '{"case":7}' }))).toMatchObject({ kind: 'agentMessage', additionalData: '{"case":7}', messages: [{ type: 'text', text: 'hi' }] })
    expect(eventOf(message({ text: 'hi', additionalData: 'x'.repeat(500) }))).toMatchObject({ additionalData: 'x'.repeat(500) })
  })

  it('on a bloc, the bloc carries it (not its items)', () => {
    const bloc = { items: [{ type: 'text', payload: { text: 'a', additionalData: 'item' } }], additionalData: 'bloc' }
    expect(eventOf(message(bloc, 'bloc'))).toMatchObject({ additionalData: 'bloc', messages: [{ type: 'text', text: 'a' }] })
  })

  it('absent or empty: none', () => {
    expect(eventOf(message({ text: 'hi' }))).not.toHaveProperty('additionalData')
    expect(eventOf(message({ text: 'hi', additionalData: '' }))).not.toHaveProperty('additionalData')
  })

  it('refused (400 with the reason) rather than cut when longer than 500 characters, or not a string', () => {
    expect(reasonOf(message({ text: 'hi', additionalData: 'x'.repeat(501) }))).toBe(
      'message-from-agent is malformed: payload.additionalData has 501 characters, at most 500 are accepted'
    )
    expect(reasonOf(message({ text: 'hi', additionalData: { case: 7 } }))).toBe('message-from-agent is malformed: payload.additionalData must be a string')
  })
})
