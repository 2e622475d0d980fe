/** The engine's state references (src/core/refs.ts), the ones tests build adapters on: saveData merges and persists. */
import { resetCaches } from '../../src/core/cache'
import { createRefs, STATE } from '../../src/core/refs'
import { engineRefs, memoryStates } from '../support/refs'

describe('engine references', () => {
  it('contact saveData merges into what createUser saved, keeps the profile, and survives a cold instance', async () => {
    const store = memoryStates()
    const refs = engineRefs(store)
    const contact = refs.contact('c1', { botpressUserId: 'user_1', profile: { name: 'Jane' }, data: { a: 1 } })
    await contact.saveData({ b: 2 })
    await contact.saveData({ a: 3 })
    expect(store.peek('user', 'user_1', STATE.contact)).toEqual({ profile: { name: 'Jane' }, data: { a: 3, b: 2 } })
    resetCaches()
    const cold = createRefs(store.client, store.botId).contactRef('c1', 'user_1')
    expect(await cold.data()).toEqual({ a: 3, b: 2 })
    expect(await cold.profile()).toEqual({ name: 'Jane' })
  })

  it('session saveData merges; a session never saved reads as empty (404 is not an error)', async () => {
    const store = memoryStates()
    const refs = createRefs(store.client, store.botId)
    const session = refs.sessionRef({ id: 'conv_1', tags: { externalId: 's1', externalAltId: '', contactId: 'c1', userId: 'user_1' } })
    expect(session).toMatchObject({ id: 's1', altId: undefined, contactId: 'c1', botpressConversationId: 'conv_1' })
    expect(session.contact).toMatchObject({ id: 'c1', botpressUserId: 'user_1' })
    expect(await session.data()).toEqual({})
    await session.saveData({ threadId: 't1' })
    await session.saveData({ token: 'x' })
    expect(store.peek('conversation', 'conv_1', STATE.session)).toEqual({ data: { threadId: 't1', token: 'x' } })
  })
})
