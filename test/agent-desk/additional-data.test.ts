/** The desk's control API can send an agent message with the hitl `additionalData` field (≤ 500 characters). */
import { post, useDeskWithReceiver } from './helpers'

const env = useDeskWithReceiver({ webhookPath: '/' })
const alice = { id: 'agent_alice', name: 'Alice' }

const newTicket = async () =>
  (await post(env.desk.url, '/createRemoteConversation', { type: 'createRemoteConversation', payload: { title: 'T', messages: [] } })).body.id as string

describe('agent desk: additionalData on an agent reply', () => {
  it('is sent as payload.additionalData of /message-from-agent, and kept on the desk message', async () => {
    const id = await newTicket()
    const res = await post(env.desk.url, `/desk/tickets/${id}/reply`, { agent: alice, type: 'text', payload: { text: 'hi' }, additionalData: '{"case":7}' })
    expect(res.status).toBe(200)
    expect(env.receiver.calls.at(-1)!.body).toMatchObject({ messageType: 'text', payload: { text: 'hi', additionalData: '{"case":7}' } })
    expect(env.desk.ticket(id).messages.at(-1)!.payload).toEqual({ text: 'hi', additionalData: '{"case":7}' })
    expect(env.desk.violations).toEqual([])
  })

  it.each([
    ['501 characters', 'x'.repeat(501), 'payload.additionalData must be a string of at most 500 characters'],
    ['a number', 42, 'additionalData must be a string'],
  ])('refuses %s with the reason, and sends nothing', async (_, additionalData, error) => {
    const id = await newTicket()
    const res = await post(env.desk.url, `/desk/tickets/${id}/reply`, { agent: alice, type: 'text', payload: { text: 'hi' }, additionalData })
    expect(res).toMatchObject({ status: 400, body: { error } })
    expect(env.receiver.calls).toEqual([])
  })
})
