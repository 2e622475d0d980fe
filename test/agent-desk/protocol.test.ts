import { startAgentDesk, type AgentDesk } from '../../dev/agent-desk'
import { post } from './helpers'

let desk: AgentDesk
beforeAll(async () => {
  desk = await startAgentDesk({ quiet: true })
})
afterAll(() => desk.stop())
beforeEach(() => desk.reset())

const call = (path: string, body: unknown) => post(desk.url, path, body)
const openTicket = async (payload: Record<string, unknown> = {}) => (await call('/createRemoteConversation', { type: 'createRemoteConversation', payload })).body.id as string

describe('agent desk: protocol endpoints (unsigned)', () => {
  it('answers /ping with 200 {}', async () => {
    expect(await call('/ping', { type: 'ping' })).toMatchObject({ status: 200, body: {} })
    expect(desk.requests).toEqual([expect.objectContaining({ method: 'POST', path: '/ping', status: 200, valid: true, signed: false })])
  })

  it('creates remote users with string ids', async () => {
    const a = await call('/createRemoteUser', { type: 'createRemoteUser', payload: { role: 'end-user', name: 'Jane', email: 'jane@x.io', botpressUserId: 'bp_u1' } })
    const b = await call('/createRemoteUser', { type: 'createRemoteUser', payload: { role: 'end-user', name: 'Joe' } })
    expect(a.status).toBe(200)
    expect(a.body.id).toMatch(/^u_\d+$/)
    expect(b.body.id).toMatch(/^u_\d+$/)
    expect(b.body.id).not.toBe(a.body.id)
    expect(desk.users[0]).toMatchObject({ id: a.body.id, role: 'end-user', name: 'Jane', email: 'jane@x.io', botpressUserId: 'bp_u1' })
  })

  it('creates a ticket from a legacy body (official fields only)', async () => {
    const events: unknown[] = []
    desk.once('ticket', (t) => events.push(t))
    const res = await call('/createRemoteConversation', {
      type: 'createRemoteConversation',
      payload: { title: 'Help', description: 'desc', messages: [{ text: 'hi', author: 'Jane' }, { text: 'hello' }] },
    })
    expect(res.status).toBe(200)
    expect(res.body.id).toMatch(/^t_\d+$/)
    expect(desk.tickets[0]).toMatchObject({ id: res.body.id, title: 'Help', description: 'desc', transcript: ['hi', 'hello'], history: [], messages: [], status: 'open' })
    expect(events).toEqual([desk.tickets[0]])
  })

  it('keeps our additive fields: end user, Botpress ids, typed history, session extras', async () => {
    const history = [
      { source: { type: 'bot' }, type: 'text', payload: { text: 'Hi' } },
      { source: { type: 'user', userId: 'bp_u1' }, authorName: 'Jane', type: 'image', payload: { imageUrl: 'https://x/i.png' } },
    ]
    await openTicket({ remoteUserId: 'u_9', botpressConversationId: 'bp_c1', history, hitlSession: { priority: 'high' } })
    expect(desk.tickets[0]).toMatchObject({ remoteUserId: 'u_9', botpressConversationId: 'bp_c1', history, hitlSession: { priority: 'high' } })
  })

  it('records bot messages with their messageType and answers a message id', async () => {
    const ticket = await openTicket()
    const messages: any[] = []
    desk.on('message', (m) => messages.push(m))
    const res = await call('/botSendsMessage', {
      type: 'botSendsMessage',
      remoteConversationId: ticket,
      remoteUserId: 'u_1',
      payload: { imageUrl: 'https://x/i.png', title: 'receipt' },
      messageType: 'image',
      authorKind: 'user',
      botpressConversationId: 'bp_c1',
      botpressMessageId: 'bp_m1',
    })
    expect(res.status).toBe(200)
    expect(res.body.id).toMatch(/^m_\d+_[0-9a-f]{6}$/)
    expect(desk.tickets[0]!.messages).toEqual([
      expect.objectContaining({ id: res.body.id, ticketId: ticket, from: 'user', type: 'image', authorId: 'u_1', botpressMessageId: 'bp_m1' }),
    ])
    expect(messages).toHaveLength(1)
    desk.removeAllListeners('message')
  })

  it.each([
    [{ text: 'hi' }, 'text'],
    [{ imageUrl: 'https://x/i.png' }, 'image'],
    [{ audioUrl: 'https://x/a.mp3' }, 'audio'],
    [{ videoUrl: 'https://x/v.mp4', title: 'v' }, 'video'],
    [{ fileUrl: 'https://x/f.pdf', title: 'f' }, 'file'],
    [{ items: [{ type: 'text', payload: { text: 'a' } }] }, 'bloc'],
    [{ text: 'pick', options: [{ label: 'A', value: 'a' }] }, 'choice'],
    [{ markdown: '**b**' }, 'markdown'],
    [{ latitude: 1, longitude: 2 }, 'location'],
  ])('infers the type of a legacy message without messageType: %j → %s', async (payload, type) => {
    const ticket = await openTicket()
    const user = await call('/createRemoteUser', { type: 'createRemoteUser', payload: { role: 'end-user', name: 'Jane' } })
    const res = await call('/botSendsMessage', { type: 'botSendsMessage', remoteConversationId: ticket, remoteUserId: user.body.id, payload })
    expect(res.status).toBe(200)
    expect(desk.tickets[0]!.messages[0]).toMatchObject({ type, inferredType: true, from: 'user' })
  })

  it('tells notices from the bot apart (authorKind bot, or legacy remoteUserId BOT)', async () => {
    const ticket = await openTicket()
    await call('/botSendsMessage', { type: 'botSendsMessage', remoteConversationId: ticket, remoteUserId: 'BOT', payload: { text: 'The user left' } })
    await call('/botSendsMessage', { type: 'botSendsMessage', remoteConversationId: ticket, remoteUserId: 'x', authorKind: 'bot', messageType: 'text', payload: { text: 'n' } })
    expect(desk.tickets[0]!.messages.map((m) => m.from)).toEqual(['system', 'system'])
  })

  it('answers 404 for a message to an unknown ticket and 409 after the ticket is closed', async () => {
    const body = (id: string) => ({ type: 'botSendsMessage', remoteConversationId: id, remoteUserId: 'u_1', messageType: 'text', payload: { text: 'x' } })
    expect((await call('/botSendsMessage', body('t_404'))).status).toBe(404)
    const ticket = await openTicket()
    await call('/closeRemoteTicket', { type: 'closeRemoteTicket', payload: { botpressConversationId: 'bp', remoteConversationId: ticket } })
    expect(await call('/botSendsMessage', body(ticket))).toMatchObject({ status: 409, body: { error: `ticket ${ticket} is closed` } })
  })

  it('closes by remoteConversationId, idempotently', async () => {
    const ticket = await openTicket({ botpressConversationId: 'bp_c1' })
    const closed: unknown[] = []
    desk.on('closed', (t) => closed.push(t))
    const body = { type: 'closeRemoteTicket', payload: { botpressConversationId: 'bp_c1', remoteConversationId: ticket } }
    expect((await call('/closeRemoteTicket', body)).status).toBe(200)
    expect((await call('/closeRemoteTicket', body)).status).toBe(200)
    expect(desk.tickets[0]).toMatchObject({ status: 'closed', closedBy: 'integration' })
    expect(closed).toHaveLength(1)
    desk.removeAllListeners('closed')
  })

  it('closes by botpressConversationId alone (the original protocol), the newest open ticket of that conversation', async () => {
    await openTicket({ botpressConversationId: 'bp_c1' })
    await openTicket({ botpressConversationId: 'bp_c2' })
    await openTicket({ botpressConversationId: 'bp_c1' })
    expect((await call('/closeRemoteTicket', { type: 'closeRemoteTicket', payload: { botpressConversationId: 'bp_c1' } })).status).toBe(200)
    expect(desk.tickets.map((t) => t.status)).toEqual(['open', 'open', 'closed'])
    expect((await call('/closeRemoteTicket', { type: 'closeRemoteTicket', payload: { botpressConversationId: 'bp_unknown' } })).status).toBe(404)
  })

  it('rejects spec violations with 400, lists them, records them and changes nothing', async () => {
    const cases: Array<[string, unknown, string]> = [
      ['/ping', {}, "(body) must have required property 'type'"],
      ['/createRemoteConversation', { type: 'createRemoteConversation', payload: { messages: [{ author: 'x' }] } }, "/payload/messages/0 must have required property 'text'"],
      ['/closeRemoteTicket', { type: 'closeRemoteTicket', payload: {} }, "/payload must have required property 'botpressConversationId'"],
      ['/botSendsMessage', { type: 'botSendsMessage', remoteConversationId: 1, remoteUserId: 'u', payload: { text: 'x' } }, '/remoteConversationId must be string'],
      ['/createRemoteUser', { type: 'createUser', payload: { name: 'x' } }, '/type must be equal to one of the allowed values: createRemoteUser'],
    ]
    for (const [path, body, error] of cases) {
      const res = await call(path, body)
      expect(res.status).toBe(400)
      expect(res.body.violations).toContain(error)
    }
    expect(desk.violations).toHaveLength(cases.length)
    expect(desk.violations[1]).toMatchObject({ direction: 'in', operationId: 'createRemoteConversation', path: '/createRemoteConversation' })
    expect(desk.requests.length).toBeGreaterThan(0)
    expect(desk.requests.every((r) => r.status === 400 && !r.valid && r.errors?.length)).toBe(true)
    expect(desk.tickets).toEqual([])
    expect(desk.users).toEqual([])
  })

  it('checks the shape of our additive fields too', async () => {
    const res = await call('/createRemoteConversation', { type: 'createRemoteConversation', payload: { remoteUserId: 5, history: [{ type: 'text' }] } })
    expect(res.status).toBe(400)
    expect(res.body.violations).toEqual(
      expect.arrayContaining(['[extension] /payload/remoteUserId must be string', "[extension] /payload/history/0 must have required property 'source'"])
    )
    expect((await call('/createRemoteUser', { type: 'createRemoteUser', payload: { role: 'agent', name: 'x' } })).status).toBe(400)
  })

  it('refuses bad JSON, unknown routes and other methods', async () => {
    expect(await call('/ping', '{nope')).toMatchObject({ status: 400, body: { error: 'the body is not valid JSON' } })
    expect((await call('/nope', {})).status).toBe(404)
    expect((await fetch(desk.url + '/ping')).status).toBe(405)
  })

  it('failNext: the next calls answer the injected status with Retry-After and no side effect', async () => {
    desk.failNext('/createRemoteConversation', { status: 503, count: 2, retryAfter: 1 })
    const body = { type: 'createRemoteConversation', payload: { title: 'x' } }
    for (let i = 0; i < 2; i++) {
      const res = await call('/createRemoteConversation', body)
      expect(res.status).toBe(503)
      expect(res.headers.get('retry-after')).toBe('1')
    }
    expect(desk.tickets).toEqual([])
    expect((await call('/createRemoteConversation', body)).status).toBe(200)
    expect(desk.tickets).toHaveLength(1)
    desk.failNext('ping', { status: 429 })
    expect((await call('/ping', { type: 'ping' })).status).toBe(429)
    expect((await call('/ping', { type: 'ping' })).status).toBe(200)
    expect(() => desk.failNext('/ping', { status: 42 })).toThrow('status must be an HTTP status code')
  })

  it('latencyMs delays every answer', async () => {
    desk.latencyMs = 120
    const started = Date.now()
    await call('/ping', { type: 'ping' })
    desk.latencyMs = 0
    expect(Date.now() - started).toBeGreaterThanOrEqual(110)
  })
})
