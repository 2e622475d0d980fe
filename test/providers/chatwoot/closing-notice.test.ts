/**
 * The HITL plugin's closing notice arriving after stopHitl (core: src/core/send.ts): Chatwoot adds it to the resolved
 * conversation as a private note, which leaves it resolved; only an incoming message reopens one ([CW]
 * app/models/message.rb `reopen_conversation`, modelled by the fake in operate.ts).
 */
import { ChatwootFake } from './fake'
import { contactRef, makeAdapter, memoryStore, transcript, WEBHOOK_URL } from './harness'

const fake = new ChatwootFake()
beforeAll(() => fake.start())
afterAll(() => fake.stop())
beforeEach(() => fake.wipe({ preRegistered: false }))
afterEach(() => expect(fake.violations()).toEqual([]))

const openAndResolve = async () => {
  const made = makeAdapter(fake, { store: memoryStore() })
  await made.adapter.connect({ webhookUrl: WEBHOOK_URL })
  const created = await made.adapter.createContact({ name: 'Jane Doe', email: 'jane@example.com' })
  const contact = contactRef(created.id, created.data)
  const { id } = await made.adapter.openSession({ botpressConversationId: 'conv_1', contact, extras: {}, transcript: transcript('') })
  const session = { id, botpressConversationId: 'conv_1', contact, data: async () => ({}), saveData: async () => {} }
  await made.adapter.closeSession(session)
  expect(fake.conversation(id)!.status).toBe('resolved')
  return { ...made, id, session, contact }
}

describe('Chatwoot: a bot notice after the close', () => {
  it('is a private note on the resolved conversation, which stays resolved', async () => {
    const { adapter, id, session } = await openAndResolve()
    await adapter.sendAfterClose!({
      session,
      author: { kind: 'bot', name: 'Bot' },
      message: { type: 'text', text: '( The user has ended the session. )' },
      botpressMessageId: 'msg_9',
    })
    const conversation = fake.conversation(id)!
    expect(conversation.status).toBe('resolved')
    expect(conversation.messages.at(-1)).toMatchObject({ type: 'outgoing', private: true, content: expect.stringContaining('( The user has ended the session. )') })
    expect(fake.received(id).at(-1)).toMatchObject({ author: 'bot', text: expect.stringContaining('( The user has ended the session. )') })
  })

  it('whereas the end user\'s message (incoming) would reopen it: why only the note is used after a close', async () => {
    const { adapter, id, session, contact } = await openAndResolve()
    await adapter.sendMessage({ session, author: { kind: 'user', contact }, message: { type: 'text', text: 'wait' }, botpressMessageId: 'msg_10' })
    expect(fake.conversation(id)!.status).toBe('open')
  })
})
