/**
 * The HITL plugin's closing notice (a bot message it posts just before stopHitl, which Botpress may deliver after it):
 * accepted for a bounded time after a close the bot made, added to the closed ticket where the adapter can
 * (`sendAfterClose`), dropped with one info line otherwise; never for a user's message, never after an agent's close.
 * The provider-side story (generic HTTP, plugin order) is test/plugin-contract/contract.test.ts.
 */
import { createRefs } from '../../src/core/refs'
import { CLOSING_NOTICE_GRACE_MS, sendMessage, type ChannelMessage } from '../../src/core/send'
import type { EngineContext } from '../../src/core/context'
import type { ProviderAdapter, SendMessageInput } from '../../src/core/types'
import { httpClock } from '../support/http-clock'

const logs: string[] = []
const logger = { debug: () => undefined, info: (m: string) => void logs.push(`info: ${m}`), warn: (m: string) => void logs.push(`warn: ${m}`), error: (m: string) => void logs.push(`error: ${m}`) }

const contextWith = (adapter: Partial<ProviderAdapter>): EngineContext => {
  const client = { updateConversation: jest.fn(), getState: jest.fn(), setState: jest.fn() } as any
  return {
    client,
    events: { createEvent: jest.fn(), listEvents: jest.fn(async () => ({ events: [] })) } as any,
    refs: createRefs(client, 'bot_1'),
    active: { name: 'stub', adapter: { title: 'Stub Desk', sendMessage: jest.fn(), ...adapter } as ProviderAdapter, logger } as any,
    botId: 'bot_1',
  }
}

const closedConversation = (tags: Record<string, string>): ChannelMessage['conversation'] => ({
  id: 'conv_1',
  tags: { provider: 'stub', externalId: 'T-1', contactId: 'c-1', userId: 'user_1', status: 'closed', ...tags },
})
const notice = (conversation: ChannelMessage['conversation'], payload: Record<string, unknown> = { text: '( The user has ended the session. )' }): ChannelMessage => ({
  conversation,
  message: { id: 'msg_1' },
  type: 'text',
  payload,
})

describe('the closing notice after a bot close', () => {
  beforeEach(() => {
    logs.length = 0
  })
  const justNow = () => String(httpClock.now() - 1_000)

  it('is added to the closed ticket by an adapter that can (sendAfterClose), as a bot message, not through sendMessage', async () => {
    const received: SendMessageInput[] = []
    const ctx = contextWith({ sendAfterClose: async (input) => (received.push(input), {}) })
    await sendMessage(ctx, notice(closedConversation({ closedBy: 'bot', closedAt: justNow() })))
    expect(received.map((r) => [r.session.id, r.author, r.message, r.botpressMessageId])).toEqual([
      ['T-1', { kind: 'bot', name: 'Bot' }, { type: 'text', text: '( The user has ended the session. )' }, 'msg_1'],
    ])
    expect(ctx.active.adapter.sendMessage).not.toHaveBeenCalled()
    expect(logs).toEqual([])
  })

  it('a failure of sendAfterClose is one warning, not a failed delivery (the ticket is closed already)', async () => {
    const ctx = contextWith({ sendAfterClose: async () => Promise.reject(new Error('Stub Desk answered 500')) })
    await expect(sendMessage(ctx, notice(closedConversation({ closedBy: 'bot', closedAt: justNow() })))).resolves.toBeUndefined()
    expect(logs).toEqual(['warn: closing notice for session conv_1 not added to the closed ticket: Stub Desk answered 500'])
  })

  it('is dropped with one info line by an adapter that cannot', async () => {
    const ctx = contextWith({})
    await expect(sendMessage(ctx, notice(closedConversation({ closedBy: 'bot', closedAt: justNow() })))).resolves.toBeUndefined()
    expect(logs).toEqual(['info: closing notice for session conv_1 arrived after the bot closed it; Stub Desk cannot add it to a closed ticket: dropped'])
  })

  it('after a provider switch, the notice of a session the bot stopped is dropped: no other provider is called, no hitlStopped', async () => {
    const sendAfterClose = jest.fn()
    const ctx = contextWith({ sendAfterClose })
    await expect(sendMessage(ctx, notice(closedConversation({ provider: 'before', closedBy: 'bot', closedAt: justNow() })))).resolves.toBeUndefined()
    expect(sendAfterClose).not.toHaveBeenCalled()
    expect(ctx.events.createEvent).not.toHaveBeenCalled()
    expect(logs).toEqual(['info: closing notice for session conv_1 arrived after the bot closed it; it was opened with provider "before": dropped'])
  })

  const bot = { text: '( The user has ended the session. )' }
  const refused: Array<[string, Record<string, string>, Record<string, unknown>]> = [
    ['a user message (payload.userId)', { closedBy: 'bot', closedAt: String(httpClock.now()) }, { text: 'wait', userId: 'user_1' }],
    ['a bot message after an agent close', { closedBy: 'agent', closedAt: String(httpClock.now()) }, bot],
    ['a bot message after the grace period', { closedBy: 'bot', closedAt: String(httpClock.now() - CLOSING_NOTICE_GRACE_MS - 1) }, bot],
    ['a bot message on a session closed before closedBy was recorded', {}, bot],
  ]
  it.each(refused)('refuses %s as before: "closed"', async (_, tags, payload) => {
    const sendAfterClose = jest.fn()
    const ctx = contextWith({ sendAfterClose })
    await expect(sendMessage(ctx, notice(closedConversation(tags), payload))).rejects.toThrow('This HITL session is closed: start a new one')
    expect(sendAfterClose).not.toHaveBeenCalled()
  })
})
