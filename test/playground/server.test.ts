/**
 * The playground server's API without a browser: what the end-user and agent actions do to Botpress (the emulator)
 * and to the desk, what the event stream announces, and every refusal the page relies on.
 */
import http from 'node:http'
import { mkdtempSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { checkConfiguration, loadConfigFile } from '../../dev/playground/config'
import { providerNames } from '../../src/providers'
import { agentOf } from '../../dev/playground/input'
import { describePayload } from '../../dev/playground/views'
import { get, openStream, post, startStack, type Stack } from './stack'

const IMAGE = 'https://example.com/receipt.png'

const rawRequest = (url: string, headers: Record<string, string>) =>
  new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = http.request(url, { headers }, (res) => {
      let body = ''
      res.on('data', (c) => (body += c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    })
    req.on('error', reject)
    req.end()
  })

describe('playground server: page, snapshot, stream', () => {
  let stack: Stack
  beforeAll(async () => {
    stack = await startStack()
  })
  afterAll(() => stack.close())

  it('serves the page with a strict CSP, and says how to build a missing asset', async () => {
    const page = await get(stack.url, '/')
    expect(page.status).toBe(200)
    expect(page.headers.get('content-type')).toMatch(/text\/html/)
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'")
    const missing = await get(stack.url, '/app.js')
    expect(missing.status).toBe(404)
    expect(JSON.parse(missing.text).error).toMatch(/npm run build/)
    const sample = await get(stack.url, '/samples/receipt.svg')
    expect(sample.headers.get('content-type')).toBe('image/svg+xml')
  })

  it('answers a snapshot, and the stream starts with the same snapshot', async () => {
    const state = JSON.parse((await get(stack.url, '/api/state')).text)
    expect(state).toMatchObject({ mode: 'local', provider: 'http', state: { session: null, escalating: false }, tickets: [] })
    expect(state.chat).toEqual([expect.objectContaining({ from: 'bot', type: 'text' })])
    const stream = await openStream(stack.url)
    const first = await stream.next(() => true)
    expect(first.event).toBe('snapshot')
    expect(first.data.chat).toEqual(state.chat)
    stream.close()
  })

  it('only answers under its loopback name, and only JSON posts', async () => {
    const forged = await rawRequest(`${stack.url}/api/state`, { host: 'evil.example:80' })
    expect(forged.status).toBe(403)
    expect(JSON.parse(forged.body).error).toMatch(/unexpected Host header/)
    const form = await post(stack.url, '/api/user/message', 'text=hi', { 'content-type': 'application/x-www-form-urlencoded' })
    expect(form.status).toBe(415)
    expect((await post(stack.url, '/api/user/message', '{not json')).body.error).toBe('the body is not valid JSON')
    expect((await post(stack.url, '/api/user/message', '[1]')).body.error).toBe('the body must be a JSON object')
    expect((await post(stack.url, '/api/nope', {})).status).toBe(404)
  })
})

describe('playground server: a whole session through the API', () => {
  let stack: Stack
  beforeAll(async () => {
    stack = await startStack()
  })
  afterAll(() => stack.close())

  it('echo bot, escalation with history, messages both ways, assign, transfer, close', async () => {
    const { url, desk, emulator } = stack
    const stream = await openStream(url)
    const chat = (match: (d: any) => boolean) => stream.next((e) => e.event === 'chat' && match(e.data))

    // Before the hand-off the echo bot answers; nothing reaches the desk.
    expect((await post(url, '/api/user/message', { type: 'text', text: 'My parcel is late' })).body).toEqual({ ok: true, to: 'bot' })
    await chat((d) => d.from === 'bot' && /My parcel is late/.test(d.text))
    expect(desk.tickets).toHaveLength(0)

    // startHitl with the pre-escalation chat as messageHistory.
    const escalated = await post(url, '/api/user/escalate', { title: 'Parcel late', description: 'Order #42' })
    expect(escalated.status).toBe(200)
    const conversationId = escalated.body.conversationId
    const ticket = desk.tickets.at(-1)!
    expect(ticket).toMatchObject({ title: 'Parcel late', description: 'Order #42', botpressConversationId: conversationId })
    expect(ticket.transcript.slice(1)).toEqual(['My parcel is late', 'You said: “My parcel is late”'])
    expect(ticket.transcript[0]).toMatch(/echo bot/)
    await stream.next((e) => e.event === 'ticket' && e.data.id === ticket.id)
    await stream.next((e) => e.event === 'session' && e.data.session?.status === 'open')

    // The user writes in the hitl conversation, authored by payload.userId.
    expect((await post(url, '/api/user/message', { text: 'Any news?' })).body).toEqual({ ok: true, to: 'agent' })
    expect((await post(url, '/api/user/message', { type: 'image', url: IMAGE })).body).toEqual({ ok: true, to: 'agent' })
    expect(ticket.messages.map((m) => [m.from, m.type, m.payload])).toEqual([
      ['user', 'text', { text: 'Any news?' }],
      ['user', 'image', { imageUrl: IMAGE, title: 'receipt.png' }],
    ])
    const userId = (await get(url, '/api/state').then((r) => JSON.parse(r.text))).endUser.userId
    expect(emulator.messagesOf(conversationId).map((m) => (m.payload as any).userId)).toEqual([userId, userId])
    await chat((d) => d.from === 'user' && d.type === 'image' && d.url === IMAGE)

    // The agent side: assign, reply (text and image), transfer, close.
    expect((await post(url, `/api/desk/tickets/${ticket.id}/assign`, { agent: 'Alice (support)' })).status).toBe(200)
    await chat((d) => d.from === 'notice' && d.text === 'Alice (support) joined the conversation.')
    await stream.next((e) => e.event === 'session' && e.data.session?.agent === 'Alice (support)')
    expect(ticket.assignedTo).toEqual({ id: 'agent_alice-support', name: 'Alice (support)' })

    expect((await post(url, `/api/desk/tickets/${ticket.id}/reply`, { agent: 'Alice (support)', text: 'On its way!' })).status).toBe(200)
    expect((await post(url, `/api/desk/tickets/${ticket.id}/reply`, { agent: 'Alice (support)', type: 'image', url: 'https://example.com/label.png' })).status).toBe(200)
    const text = await chat((d) => d.from === 'agent' && d.text === 'On its way!')
    expect(text.data.author).toBe('Alice (support)')
    await chat((d) => d.from === 'agent' && d.type === 'image' && d.url === 'https://example.com/label.png')

    expect((await post(url, `/api/desk/tickets/${ticket.id}/transfer`, { agent: 'Bob' })).status).toBe(200)
    await chat((d) => d.from === 'notice' && d.text === 'Bob joined the conversation.')

    const closed = await post(url, `/api/desk/tickets/${ticket.id}/close`)
    expect(closed.body.ticket).toMatchObject({ id: ticket.id, status: 'closed', closedBy: 'agent' })
    await chat((d) => d.from === 'notice' && /agent ended the session/.test(d.text))
    await stream.next((e) => e.event === 'session' && e.data.session?.status === 'closed')

    // The strip: every request the integration made, validated; the agent's messages; both events.
    const strip = stream.events.filter((e) => e.event === 'strip').map((e) => e.data)
    const requests = strip.filter((s) => s.kind === 'request')
    expect(requests.length).toBeGreaterThan(10)
    expect(requests.every((r) => r.valid === true && r.status === 200)).toBe(true)
    expect(requests.map((r) => r.summary)).toEqual(expect.arrayContaining([expect.stringMatching(/^POST \/v1\/chat\/conversations → 200 createConversation$/)]))
    expect(strip.filter((s) => s.kind === 'event').map((s) => s.summary)).toEqual([
      expect.stringMatching(/^event hitlAssigned → agent “Alice \(support\)”/),
      expect.stringMatching(/^event hitlAssigned → agent “Bob”/),
      expect.stringMatching(/^event hitlStopped/),
    ])
    expect(strip.filter((s) => s.kind === 'message').map((s) => s.summary)).toEqual([
      expect.stringMatching(/^message from Alice \(support\): On its way!/),
      expect.stringMatching(/^message from Alice \(support\): \[image\] https:\/\/example.com\/label.png/),
    ])

    // A second session: the same Botpress user (createUser once), a fresh history.
    await post(url, '/api/user/message', { text: 'Hello again' })
    expect((await post(url, '/api/user/escalate', { title: 'Second' })).status).toBe(200)
    expect(desk.tickets.at(-1)!.transcript).toEqual(['Hello again', 'You said: “Hello again”'])
    expect(emulator.store.users.filter((u: any) => u.tags.kind === 'end-user')).toHaveLength(1)
    expect(desk.users).toHaveLength(1)

    // "/end" typed as a message ends it through stopHitl.
    expect((await post(url, '/api/user/message', { text: '/end' })).body).toEqual({ ok: true })
    expect(desk.tickets.at(-1)).toMatchObject({ status: 'closed', closedBy: 'integration' })
    await chat((d) => d.from === 'notice' && d.text === 'You ended the session. You are back with the echo bot.')

    expect(emulator.violations).toEqual([])
    expect(desk.violations).toEqual([])
    stream.close()
  })
})

describe('playground server: bad input and guards', () => {
  let stack: Stack
  beforeEach(async () => {
    stack = await startStack()
  })
  afterEach(() => stack.close())

  it('refuses empty messages and unusable attachment URLs with a sentence', async () => {
    const { url, emulator } = stack
    const before = emulator.requests.length
    const cases: Array<[object, RegExp]> = [
      [{ text: '' }, /Type a message before sending/],
      [{ text: '   ' }, /Type a message before sending/],
      [{ type: 'text' }, /Type a message before sending/],
      [{ type: 'image', url: '' }, /Paste the address of an image or file first/],
      [{ type: 'image', url: 'not a url' }, /“not a url” is not a valid URL/],
      [{ type: 'file', url: 'ftp://example.com/a.pdf' }, /is not an http\(s\) address/],
      [{ type: 'image', url: 'javascript:alert(1)' }, /is not an http\(s\) address/],
      [{ type: 'image', url: 'https://example.com/a b.png' }, /contains spaces/],
      [{ type: 'carousel' }, /Unknown message type “carousel”/],
      [{ text: 'x'.repeat(4001) }, /too long/],
    ]
    for (const [body, message] of cases) {
      const res = await post(url, '/api/user/message', body)
      expect(res.status).toBe(400)
      expect(res.body.error).toMatch(message)
    }
    expect((await post(url, '/api/user/escalate', { title: '  ' })).body.error).toMatch(/Give the escalation a title/)
    expect(emulator.requests.length).toBe(before)
  })

  it('one escalation at a time: a double submit creates one ticket, a second escalation waits for /end', async () => {
    const { url, desk } = stack
    desk.latencyMs = 150 // keep the first escalation in flight while the others arrive
    const [first, second] = await Promise.all([post(url, '/api/user/escalate', { title: 'One' }), post(url, '/api/user/escalate', { title: 'One' })])
    expect([first.status, second.status].sort()).toEqual([200, 409])
    expect([first, second].find((r) => r.status === 409)!.body.error).toBe('An escalation is already in progress: wait for it to finish.')
    expect(desk.tickets).toHaveLength(1)

    const again = await post(url, '/api/user/escalate', { title: 'Two' })
    expect(again.status).toBe(409)
    expect(again.body.error).toBe('You are already in a session with an agent (“One”): type /end to finish it before escalating again.')
    expect(desk.tickets).toHaveLength(1)
  })

  it('refuses messages and /end while an escalation is in flight, and is never stuck after a failed one', async () => {
    const { url, desk } = stack
    desk.latencyMs = 150
    const escalating = post(url, '/api/user/escalate', { title: 'Slow' })
    await new Promise((r) => setTimeout(r, 50))
    const message = await post(url, '/api/user/message', { text: 'hello?' })
    expect(message.status).toBe(409)
    expect(message.body.error).toMatch(/you are being connected to an agent/)
    expect((await post(url, '/api/user/end')).body.error).toMatch(/Wait for the escalation to finish/)
    expect((await escalating).status).toBe(200)
    expect((await post(url, '/api/user/end')).status).toBe(200)

    desk.latencyMs = 0
    desk.failNext('/createRemoteConversation', { status: 400 })
    const failed = await post(url, '/api/user/escalate', { title: 'Will fail' })
    expect(failed.status).toBe(502)
    expect(failed.body.error).toMatch(/^The escalation failed: /)
    const state = JSON.parse((await get(url, '/api/state')).text)
    expect(state.state.escalating).toBe(false)
    expect(state.chat.at(-1)).toMatchObject({ from: 'notice', tone: 'error' })
    expect((await post(url, '/api/user/escalate', { title: 'Retry' })).status).toBe(200)
  })

  it('says when a message did not reach the agent', async () => {
    const { url, desk } = stack
    await post(url, '/api/user/escalate', { title: 'Flaky desk' })
    desk.failNext('/botSendsMessage', { status: 500 })
    const res = await post(url, '/api/user/message', { text: 'lost?' })
    expect(res.status).toBe(502)
    expect(res.body.error).toMatch(/^Your message was not delivered to the agent: /)
  })

  it('/end without a session, closing twice, acting on closed or unknown tickets', async () => {
    const { url, desk } = stack
    expect((await post(url, '/api/user/end')).body.error).toBe('There is no open session to end: “/end” finishes a session with an agent.')
    expect((await post(url, '/api/user/message', { text: '/end' })).status).toBe(409)

    await post(url, '/api/user/escalate', { title: 'Close me' })
    const id = desk.tickets.at(-1)!.id
    expect((await post(url, `/api/desk/tickets/${id}/assign`, { agent: '' })).body.error).toBe('Give the agent a name first.')
    expect((await post(url, `/api/desk/tickets/${id}/transfer`, { agent: 'Bob' })).body.error).toBe(`Ticket ${id} is not assigned yet: assign it before transferring it.`)
    await post(url, `/api/desk/tickets/${id}/assign`, { agent: 'Alice' })
    expect((await post(url, `/api/desk/tickets/${id}/assign`, { agent: 'Alice' })).body.error).toBe(`Ticket ${id} is already assigned to Alice.`)
    expect((await post(url, `/api/desk/tickets/${id}/reply`, { agent: 'Alice', type: 'image', url: 'nope' })).status).toBe(400)

    desk.latencyMs = 100
    const [a, b] = await Promise.all([post(url, `/api/desk/tickets/${id}/close`), post(url, `/api/desk/tickets/${id}/close`)])
    expect([a.status, b.status].sort()).toEqual([200, 409])
    expect([a, b].find((r) => r.status === 409)!.body.error).toBe(`Ticket ${id} is already being closed.`)
    const third = await post(url, `/api/desk/tickets/${id}/close`)
    expect(third.status).toBe(409)
    expect(third.body.error).toBe(`Ticket ${id} is already closed.`)
    expect(stack.emulator.eventsOf('hitlStopped')).toHaveLength(1)
    expect((await post(url, `/api/desk/tickets/${id}/reply`, { agent: 'Alice', text: 'hello?' })).body.error).toBe(`Ticket ${id} is closed: it cannot be answered any more.`)
    expect((await post(url, '/api/user/end')).status).toBe(409)

    // Ended by the user: the agent's close explains it.
    await post(url, '/api/user/escalate', { title: 'User ends' })
    await post(url, '/api/user/message', { text: '/end' })
    const ended = desk.tickets.at(-1)!.id
    expect((await post(url, `/api/desk/tickets/${ended}/close`)).body.error).toBe(`Ticket ${ended} is already closed (the end user ended the session).`)
    expect((await post(url, '/api/desk/tickets/t_404/close')).status).toBe(404)
  })
})

describe('playground server: provider mode (--config)', () => {
  let stack: Stack
  beforeAll(async () => {
    stack = await startStack({ mode: 'provider' })
  })
  afterAll(() => stack.close())

  it('has no agent pane, but shows what the provider does through Botpress', async () => {
    const { url, desk } = stack
    const state = JSON.parse((await get(url, '/api/state')).text)
    expect(state).toMatchObject({ mode: 'provider', provider: 'http', tickets: [], webhookUrl: stack.driver.webhookUrl })
    const stream = await openStream(url)

    expect((await post(url, '/api/user/escalate', { title: 'Real provider' })).status).toBe(200)
    const ticket = desk.tickets.at(-1)!
    const refused = await post(url, `/api/desk/tickets/${ticket.id}/reply`, { agent: 'Alice', text: 'hi' })
    expect(refused.status).toBe(409)
    expect(refused.body.error).toBe('There is no local agent desk: the provider is “http”. Answer in its own agent interface.')

    // The "provider's UI" answers: it reaches the page only through Botpress.
    await desk.assign(ticket.id, { id: 'ext-7', name: 'Carol' })
    await desk.reply(ticket.id, { id: 'ext-7', name: 'Carol' }, { type: 'text', payload: { text: 'Hello from the inbox' } })
    await stream.next((e) => e.event === 'chat' && e.data.text === 'Carol joined the conversation.')
    await stream.next((e) => e.event === 'chat' && e.data.from === 'agent' && e.data.text === 'Hello from the inbox' && e.data.author === 'Carol')
    expect(stream.events.some((e) => e.event === 'ticket')).toBe(false)
    stream.close()
  })
})

describe('playground helpers', () => {
  it('derives stable agent ids from names', () => {
    expect(agentOf('  Alice (support) ')).toEqual({ id: 'agent_alice-support', name: 'Alice (support)' })
    expect(agentOf('Zoë').id).toBe('agent_zoe')
    expect(agentOf('李雷').id).toMatch(/^agent_[0-9a-z]+$/)
  })

  it('describes every payload readably', () => {
    expect(describePayload('text', { text: 'hi' })).toEqual({ type: 'text', text: 'hi' })
    expect(describePayload('file', { fileUrl: 'https://x.test/a%20b.pdf' })).toEqual({ type: 'file', url: 'https://x.test/a%20b.pdf', title: 'a b.pdf' })
    expect(describePayload('bloc', { items: [{ type: 'text', payload: { text: 'a' } }, { type: 'image', payload: { imageUrl: 'https://x.test/i.png' } }] })).toEqual({ type: 'other', text: 'a · https://x.test/i.png' })
    expect(describePayload('choice', { text: 'Pick', options: [] })).toEqual({ type: 'other', text: '[choice] Pick' })
  })

  it('checks --config files before anything starts', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'playground-config-'))
    const file = (name: string, text: string) => {
      writeFileSync(path.join(dir, name), text)
      return path.join(dir, name)
    }
    expect(() => loadConfigFile(path.join(dir, 'missing.json'))).toThrow(/cannot read the configuration file/)
    expect(() => loadConfigFile(file('bad.json', '{'))).toThrow(/is not valid JSON/)
    expect(() => checkConfiguration([])).toThrow(/must be a JSON object/)
    expect(() => checkConfiguration({ provider: 'nosuchdesk' })).toThrow(`"provider" must be one of ${providerNames.join(', ')} (got "nosuchdesk")`)
    expect(() => checkConfiguration({ provider: 'intercom' })).toThrow(/the "intercom" section is missing/)
    const good = { provider: 'intercom', intercom: { accessToken: 'x', clientSecret: 'y', region: 'eu' } }
    expect(loadConfigFile(file('good.json', JSON.stringify(good)))).toEqual(good)
  })
})
