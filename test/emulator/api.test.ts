/**
 * The runtime API emulator, driven by the real @botpress/client: semantics of the implemented operations, spec
 * enforcement (400 + violations), auth, fault injection and observability.
 */
import { Client, ForbiddenError, InternalError, InvalidPayloadError, ResourceNotFoundError, UnauthorizedError, isApiError } from '@botpress/client'
import { parseQuery, startEmulator, type Emulator } from '../../dev/emulator'

let emulator: Emulator
let client: Client
const logs: string[] = []

beforeAll(async () => {
  emulator = await startEmulator({ quiet: true, pageSize: 2, log: (line) => logs.push(line) })
  client = new Client({ apiUrl: emulator.url, token: emulator.token, botId: emulator.botId, integrationId: emulator.integrationId })
})
afterAll(() => emulator?.close())
beforeEach(() => {
  emulator.reset()
  logs.length = 0
})

const catchError = (p: Promise<unknown>) => p.then(() => undefined, (e) => e)

describe('users', () => {
  it('getOrCreateUser without discriminateByTags matches on all given tags', async () => {
    const { user } = await client.getOrCreateUser({ tags: { a: '1', b: '2' }, name: 'Jane' })
    expect(user.id).toMatch(/^user_[0-9A-Z]{26}$/)
    expect((await client.getOrCreateUser({ tags: { a: '1', b: '2' } })).user.id).toBe(user.id)
    expect((await client.getOrCreateUser({ tags: { a: '1' } })).user.id).toBe(user.id)
    expect((await client.getOrCreateUser({ tags: { a: '1', b: '3' } })).user.id).not.toBe(user.id)
    expect(emulator.store.users).toHaveLength(2)
  })

  it('getOrCreateUser with discriminateByTags matches only on those keys', async () => {
    const { user } = await client.getOrCreateUser({ tags: { externalId: 'x', provider: 'p', other: 'o' } })
    const again = await client.getOrCreateUser({ tags: { externalId: 'x', provider: 'p', other: 'changed' }, discriminateByTags: ['externalId', 'provider'] })
    expect(again.user.id).toBe(user.id)
    expect(again.user.tags.other).toBe('o') // found, not updated
    const other = await client.getOrCreateUser({ tags: { externalId: 'y', provider: 'p' }, discriminateByTags: ['externalId', 'provider'] })
    expect(other.user.id).not.toBe(user.id)
  })

  it('updateUser merges tags, an empty value unsets, null unsets name', async () => {
    const { user } = await client.createUser({ tags: { a: '1', b: '2' }, name: 'Jane' })
    const { user: updated } = await client.updateUser({ id: user.id, tags: { a: '', c: '3' }, name: null })
    expect(updated.tags).toEqual({ b: '2', c: '3' })
    expect(updated.name).toBeUndefined()
    expect((await client.listUsers({ tags: { c: '3' } })).users.map((u) => u.id)).toEqual([user.id])
  })

  it('getUser of an unknown id is a ResourceNotFoundError', async () => {
    const error = await catchError(client.getUser({ id: 'user_00000000000000000000000000' }))
    expect(error).toBeInstanceOf(ResourceNotFoundError)
    expect(error.code).toBe(404)
    expect(emulator.violations).toEqual([]) // a 404 is a valid request
  })
})

describe('conversations', () => {
  it('listConversations by tags finds only matching ones, newest first, across pages', async () => {
    const mk = (tags: Record<string, string>, channel = 'hitl') => client.createConversation({ channel, tags }).then((r) => r.conversation)
    const a = await mk({ externalId: 't1', provider: 'http' })
    await mk({ externalId: 't2', provider: 'http' })
    const c = await mk({ externalId: 't1', provider: 'http', 'dotted.key': 'v w' })
    await mk({ externalId: 't1', provider: 'http' }, 'other')
    expect(a.id).toMatch(/^conv_[0-9A-Z]{26}$/)

    const { conversations } = await client.listConversations({ channel: 'hitl', tags: { externalId: 't1', provider: 'http' } })
    expect(conversations.map((x) => x.id)).toEqual([c.id, a.id])
    const dotted = await client.listConversations({ tags: { 'dotted.key': 'v w' } })
    expect(dotted.conversations.map((x) => x.id)).toEqual([c.id])

    // pageSize is 2 here: the first page carries a nextToken, the client's collection follows it
    const first = await client.listConversations({})
    expect(first.conversations).toHaveLength(2)
    expect(first.meta.nextToken).toEqual(expect.any(String))
    const all = await client.list.conversations({}).collect()
    expect(all).toHaveLength(4)
    expect(emulator.findConversation({ 'dotted.key': 'v w' })?.id).toBe(c.id)
  })

  it('getOrCreateConversation matches channel + discriminating tags', async () => {
    const { conversation } = await client.getOrCreateConversation({ channel: 'hitl', tags: { externalId: 's1', extra: 'a' }, discriminateByTags: ['externalId'] })
    const same = await client.getOrCreateConversation({ channel: 'hitl', tags: { externalId: 's1', extra: 'b' }, discriminateByTags: ['externalId'] })
    const otherChannel = await client.getOrCreateConversation({ channel: 'x', tags: { externalId: 's1' }, discriminateByTags: ['externalId'] })
    expect(same.conversation.id).toBe(conversation.id)
    expect(otherChannel.conversation.id).not.toBe(conversation.id)
    expect(conversation.integration).toBe(emulator.integrationName)
  })
})

describe('messages', () => {
  it('getOrCreateMessage dedupes on tags within the conversation', async () => {
    const { user } = await client.createUser({ tags: {} })
    const { conversation } = await client.createConversation({ channel: 'hitl', tags: {} })
    const seen: string[] = []
    emulator.on('message', ({ message }) => seen.push(message.id))
    const send = () =>
      client.getOrCreateMessage({ conversationId: conversation.id, userId: user.id, type: 'text', payload: { text: 'hi' }, tags: { externalId: 'm1' }, discriminateByTags: ['externalId'] })
    const first = await send()
    const second = await send()
    emulator.removeAllListeners('message')
    expect(second.message.id).toBe(first.message.id)
    expect(first.message).toMatchObject({ direction: 'incoming', userId: user.id, conversationId: conversation.id })
    expect(emulator.messagesOf(conversation.id)).toHaveLength(1)
    expect(seen).toEqual([first.message.id])

    const { message } = await client.updateMessage({ id: first.message.id, tags: { acked: 'yes' } })
    expect(message.tags).toEqual({ externalId: 'm1', acked: 'yes' })
    expect((await client.listMessages({ conversationId: conversation.id, tags: { acked: 'yes' } })).messages).toHaveLength(1)
    expect((await client.listParticipants({ id: conversation.id })).participants.map((p) => p.id)).toEqual([user.id])
  })

  it('createMessage in an unknown conversation is a 404', async () => {
    const { user } = await client.createUser({ tags: {} })
    const error = await catchError(client.createMessage({ conversationId: 'conv_00000000000000000000000000', userId: user.id, type: 'text', payload: {}, tags: {} }))
    expect(error).toBeInstanceOf(ResourceNotFoundError)
  })
})

describe('events', () => {
  it('createEvent stores a pending event, listEvents filters', async () => {
    const { conversation } = await client.createConversation({ channel: 'hitl', tags: {} })
    const { event } = await client.createEvent({ type: 'hitlStopped', conversationId: conversation.id, payload: { conversationId: conversation.id } })
    await client.createEvent({ type: 'other', payload: {} })
    expect(event).toMatchObject({ status: 'pending', failureReason: null })
    expect(event.id).toMatch(/^evt_/)
    expect((await client.listEvents({ type: 'hitlStopped' })).events.map((e) => e.id)).toEqual([event.id])
    expect((await client.getEvent({ id: event.id })).event.id).toBe(event.id)
    expect(emulator.eventsOf('hitlStopped')).toHaveLength(1)
  })
})

describe('states', () => {
  it('get → 404, set, patch, null deletes, expiry', async () => {
    const { user } = await client.createUser({ tags: {} })
    const ref = { type: 'user' as const, id: user.id, name: 'contact' }
    const missing = await catchError(client.getState(ref))
    expect(missing).toBeInstanceOf(ResourceNotFoundError)

    await client.setState({ ...ref, payload: { a: 1 } })
    expect((await client.getState(ref)).state.payload).toEqual({ a: 1 })
    await client.patchState({ ...ref, payload: { b: 2 } })
    expect((await client.getState(ref)).state).toMatchObject({ payload: { a: 1, b: 2 }, userId: user.id, botId: emulator.botId })
    expect((await client.getOrSetState({ ...ref, payload: { c: 3 } })).state.payload).toEqual({ a: 1, b: 2 })

    await client.setState({ ...ref, payload: null })
    expect(await catchError(client.getState(ref))).toBeInstanceOf(ResourceNotFoundError)

    await client.setState({ type: 'bot', id: emulator.botId, name: 'short', payload: { x: 1 }, expiry: 20 }) // ms, as in the spec
    expect((await client.getState({ type: 'bot', id: emulator.botId, name: 'short' })).state.payload).toEqual({ x: 1 })
    await new Promise((r) => setTimeout(r, 40))
    expect(await catchError(client.getState({ type: 'bot', id: emulator.botId, name: 'short' }))).toBeInstanceOf(ResourceNotFoundError)
  })
})

describe('spec enforcement and auth', () => {
  it('rejects a createMessage without type with 400 InvalidPayload, recorded and logged', async () => {
    const error = await catchError(client.createMessage({ conversationId: 'conv_00000000000000000000000000', userId: 'user_00000000000000000000000000', payload: {}, tags: {} } as any))
    expect(error).toBeInstanceOf(InvalidPayloadError)
    expect(error.message).toBe("createMessage: body must have required property 'type'")
    expect(emulator.violations).toEqual([expect.objectContaining({ operationId: 'createMessage', status: 400, valid: false, errors: ["body must have required property 'type'"] })])
    expect(emulator.store.messages).toHaveLength(0)
    expect(logs.join('\n')).toMatch(/400 createMessage/)
  })

  it('rejects a tag value over 500 characters', async () => {
    const error = await catchError(client.createUser({ tags: { big: 'x'.repeat(501) } }))
    expect(error).toBeInstanceOf(InvalidPayloadError)
    expect(error.message).toMatch(/body\.tags\.big must NOT have more than 500 characters/)
    expect(emulator.store.users).toHaveLength(0)
  })

  it('rejects unknown body properties and enum violations', async () => {
    // the client only sends the fields it knows: post the unknown one raw
    const res = await fetch(`${emulator.url}/v1/chat/users`, {
      method: 'POST',
      headers: { authorization: `Bearer ${emulator.token}`, 'x-bot-id': emulator.botId, 'content-type': 'application/json' },
      body: JSON.stringify({ tags: {}, nickname: 'x' }),
    })
    expect(res.status).toBe(400)
    expect(await res.json()).toMatchObject({ type: 'InvalidPayload', message: 'createUser: body must NOT have additional properties (nickname)' })
    const error = await catchError(client.listConversations({ sortDirection: 'sideways' as any }))
    expect(error.message).toMatch(/query\.sortDirection must be equal to one of the allowed values/)
    expect(emulator.violations).toHaveLength(2)
  })

  it('requires the token and the bot id', async () => {
    const wrongToken = new Client({ apiUrl: emulator.url, token: 'nope', botId: emulator.botId })
    expect(await catchError(wrongToken.listUsers({}))).toBeInstanceOf(UnauthorizedError)
    const wrongBot = new Client({ apiUrl: emulator.url, token: emulator.token, botId: '00000000-0000-0000-0000-000000000000' })
    expect(await catchError(wrongBot.listUsers({}))).toBeInstanceOf(ForbiddenError)
    const noBot = new Client({ apiUrl: emulator.url, token: emulator.token })
    const error = await catchError(noBot.listUsers({}))
    expect(error).toBeInstanceOf(InvalidPayloadError)
    expect(error.message).toMatch(/header must have required property 'x-bot-id'/)
    expect(emulator.violations.map((v) => v.status)).toEqual([401, 403, 400])
  })

  it('answers 501 for an operation it does not implement, and 404 off the spec', async () => {
    const error = await catchError(client.trackAnalytics({ name: 'x', count: 1 }))
    expect(error).toBeInstanceOf(InternalError)
    expect(error.message).toBe('trackAnalytics: not implemented by the Botpress emulator')
    expect(emulator.violations[0]).toMatchObject({ operationId: 'trackAnalytics', status: 501 })

    const res = await fetch(`${emulator.url}/v1/chat/nothing-here`, { headers: { authorization: `Bearer ${emulator.token}` } })
    expect(res.status).toBe(404)
    expect(await res.json()).toMatchObject({ code: 404, type: 'ResourceNotFound' })
    expect(emulator.violations[1]).toMatchObject({ operationId: 'unknown', status: 404 })
  })
})

describe('fault injection and observability', () => {
  it('failNext fails the next call without side effect, then succeeds', async () => {
    emulator.failNext('createUser', { status: 503 })
    const error = await catchError(client.createUser({ tags: { a: '1' } }))
    expect(isApiError(error)).toBe(true)
    expect(error.message).toMatch(/failure injected/)
    expect(emulator.store.users).toHaveLength(0)
    await client.createUser({ tags: { a: '1' } })
    expect(emulator.store.users).toHaveLength(1)
    expect(emulator.requests.map((r) => [r.status, !!r.injected])).toEqual([
      [503, true],
      [200, false],
    ])
    expect(emulator.violations).toEqual([])
  })

  it('failNext with a count and Retry-After', async () => {
    emulator.failNext('listUsers', { status: 429, count: 2, retryAfter: 3 })
    const call = () => fetch(`${emulator.url}/v1/chat/users`, { headers: { authorization: `Bearer ${emulator.token}`, 'x-bot-id': emulator.botId } })
    const r1 = await call()
    expect(r1.status).toBe(429)
    expect(r1.headers.get('retry-after')).toBe('3')
    expect(await r1.json()).toMatchObject({ code: 429, type: 'RateLimited' })
    expect((await call()).status).toBe(429)
    expect((await call()).status).toBe(200)
    expect(() => emulator.failNext('noSuchOperation', { status: 500 })).toThrow(/noSuchOperation/)
  })

  it('records requests, counts, emits events and honours latencyMs', async () => {
    const records: unknown[] = []
    const users: unknown[] = []
    emulator.on('request', (r) => records.push(r))
    emulator.on('user', (u) => users.push(u))
    await client.createUser({ tags: {} })
    await client.listUsers({})
    await client.listUsers({})
    emulator.removeAllListeners('request')
    emulator.removeAllListeners('user')
    expect(emulator.counts()).toEqual({ createUser: 1, listUsers: 2 })
    expect(records).toHaveLength(3)
    expect(users).toHaveLength(1)
    expect(emulator.requests[0]).toMatchObject({ operationId: 'createUser', method: 'POST', path: '/v1/chat/users', status: 200, valid: true, integrationId: emulator.integrationId })
    expect(typeof emulator.requests[0]!.durationMs).toBe('number')

    emulator.latencyMs = 30
    const started = Date.now()
    await client.listUsers({})
    emulator.latencyMs = 0
    expect(Date.now() - started).toBeGreaterThanOrEqual(25)
  })
})

describe('parseQuery', () => {
  it('reads what @botpress/client sends (qs allowDots + repeat) and deepObject', () => {
    const schemas = { tags: { type: 'object' }, participantIds: { type: 'array' }, channel: { type: 'string' } }
    const q = new URLSearchParams('tags.a=1&tags.x.y=z&tags%5Bb%5D=2&participantIds=u1&participantIds=u2&channel=hitl')
    expect(parseQuery(q, schemas)).toEqual({ tags: { a: '1', 'x.y': 'z', b: '2' }, participantIds: ['u1', 'u2'], channel: 'hitl' })
  })
})
