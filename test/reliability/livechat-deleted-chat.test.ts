/**
 * Issue 27 (3): LiveChat, a deleted chat starts a new one. The customer's saved chat was deleted: LiveChat answers
 * `resume_chat` with 404 `not_found` (Agent Chat API v3.6 § Possible errors, "The requested resource wasn't found";
 * the fake's `deleteChat`). The hand-off must not fail with "Chat not found": like an anonymized chat, a new chat is
 * started, saved on the contact, and resumed by the hand-offs after it.
 */
import { LivechatFake } from '../providers/livechat/fake'
import { harness, openSession } from '../providers/livechat/harness'
import { record } from './results'

const fake = new LivechatFake()
beforeAll(() => fake.start())
afterAll(() => fake.stop())
beforeEach(() => fake.reset())
afterEach(() => expect(fake.violations()).toEqual([]))

describe('LiveChat: a deleted chat', () => {
  it('resume_chat answers 404 not_found → a new chat is started and used from then on', async () => {
    const h = harness(fake)
    const first = await openSession(h)
    await h.adapter.closeSession(first.session)
    fake.deleteChat(first.opened.id)

    const second = await openSession(h, { contact: first.contact, title: 'Again' })
    expect(second.opened.id).not.toBe(first.opened.id)
    expect(fake.chat(second.opened.id)!.threads[0]!.active).toBe(true)
    // The same customer goes on (a deleted chat is no reason to replace them), and the new chat is the one saved.
    expect(fake.chat(second.opened.id)!.customerId).toBe(fake.chat(first.opened.id)!.customerId)
    expect(first.contact.state().chatId).toBe(second.opened.id)
    expect(fake.callsTo('customer', 'resume_chat').filter((c) => c.body.chat.id === first.opened.id)).toHaveLength(1)

    await h.adapter.closeSession(second.session)
    const third = await openSession(h, { contact: first.contact, title: 'Once more' })
    expect(third.opened.id).toBe(second.opened.id)
    expect(fake.callsTo('customer', 'resume_chat').filter((c) => c.body.chat.id === first.opened.id)).toHaveLength(1)
    record('livechat', 'guarantees', 'deleted chat (resume_chat 404 not_found)', 'a new chat is started (same customer) and resumed by the next hand-off')
  })

  it('closing a session whose chat was deleted is a no-op, not an error', async () => {
    const h = harness(fake)
    const { session } = await openSession(h)
    fake.deleteChat(session.id)
    await expect(h.adapter.closeSession(session)).resolves.toBeUndefined()
  })
})
