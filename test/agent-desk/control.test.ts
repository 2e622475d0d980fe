import { request } from 'node:http'
import { startAgentDesk } from '../../dev/agent-desk'
import { get, post, useDeskWithReceiver } from './helpers'

let answer = { status: 200, body: { ok: true } as unknown }
const env = useDeskWithReceiver({ answer: () => answer, webhookPath: '/' })
beforeEach(() => {
  answer = { status: 200, body: { ok: true } }
})

const newTicket = async () =>
  (await post(env.desk.url, '/createRemoteConversation', { type: 'createRemoteConversation', payload: { title: 'T', botpressConversationId: 'bp_c' } })).body.id as string
const alice = { id: 'agent_alice', name: 'Alice' }
const bob = { id: 'agent_bob', name: 'Bob', pictureUrl: 'https://x/bob.png' }

/** Collects server-sent events from GET /desk/events until `count` arrived. */
const listen = (count: number) =>
  new Promise<{ ready: Promise<void>; events: Promise<Array<{ event: string; data: any }>> }>((outer) => {
    let resolveReady!: () => void
    const ready = new Promise<void>((r) => (resolveReady = r))
    const events = new Promise<Array<{ event: string; data: any }>>((resolve, reject) => {
      const req = request(env.desk.url + '/desk/events', (res) => {
        expect(res.headers['content-type']).toBe('text/event-stream')
        const got: Array<{ event: string; data: any }> = []
        let buffer = ''
        res.setEncoding('utf8').on('data', (chunk: string) => {
          buffer += chunk
          if (buffer.includes(': connected')) resolveReady()
          let end: number
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, end)
            buffer = buffer.slice(end + 2)
            const event = /^event: (.*)$/m.exec(block)?.[1]
            const data = /^data: (.*)$/m.exec(block)?.[1]
            if (event && data) got.push({ event, data: JSON.parse(data) })
          }
          if (got.length >= count) {
            req.destroy()
            resolve(got)
          }
        })
      })
      req.on('error', reject).end()
    })
    outer({ ready, events })
  })

describe('agent desk: control API', () => {
  it('lists and shows tickets', async () => {
    const id = await newTicket()
    expect((await get(env.desk.url, '/desk/tickets')).body.tickets).toEqual([expect.objectContaining({ id, title: 'T', status: 'open' })])
    expect(await get(env.desk.url, `/desk/tickets/${id}`)).toMatchObject({ status: 200, body: { id, botpressConversationId: 'bp_c' } })
    expect(await get(env.desk.url, '/desk/tickets/t_nope')).toEqual({ status: 404, body: { error: 'no ticket t_nope' } })
  })

  it('assigns, transfers, replies and closes, sending the webhooks', async () => {
    const id = await newTicket()
    expect(await post(env.desk.url, `/desk/tickets/${id}/assign`, { agent: alice })).toMatchObject({
      status: 200,
      body: { webhook: { status: 200, body: { ok: true } }, ticket: { assignedTo: alice } },
    })
    expect((await post(env.desk.url, `/desk/tickets/${id}/transfer`, { agent: bob })).body.ticket.assignedTo).toEqual(bob)
    expect((await post(env.desk.url, `/desk/tickets/${id}/transfer`, { agent: bob })).status).toBe(409)
    const reply = await post(env.desk.url, `/desk/tickets/${id}/reply`, { agent: bob, type: 'file', payload: { fileUrl: 'https://x/f.pdf', title: 'f.pdf' } })
    expect(reply.status).toBe(200)
    expect((await post(env.desk.url, `/desk/tickets/${id}/close`, undefined)).body.ticket.status).toBe('closed')

    expect(env.receiver.calls.map((c) => [c.path.split('/').pop(), c.body.remoteUserId ?? null])).toEqual([
      ['agent-assigned', 'agent_alice'],
      ['agent-assigned', 'agent_bob'],
      ['message-from-agent', 'agent_bob'],
      ['stop-hitl', null],
    ])
    expect(env.receiver.calls[2]!.body).toMatchObject({ messageType: 'file', payload: { fileUrl: 'https://x/f.pdf' }, agentName: 'Bob', agentPictureUrl: 'https://x/bob.png' })
    expect(env.desk.violations).toEqual([])
  })

  it('reports the integration answer, and marks a refused agent message as not delivered', async () => {
    const id = await newTicket()
    answer = { status: 400, body: { error: 'bad' } }
    const res = await post(env.desk.url, `/desk/tickets/${id}/reply`, { agent: alice, type: 'text', payload: { text: 'hi' } })
    expect(res.body.webhook).toEqual({ status: 400, body: { error: 'bad' } })
    expect(env.desk.ticket(id).messages[0]).toMatchObject({ from: 'agent', delivered: false })
  })

  it.each([
    ['reply', { type: 'text', payload: { text: 'x' } }, 'agent must be an object {id, name?, pictureUrl?}'],
    ['reply', { agent: { id: '' }, type: 'text', payload: { text: 'x' } }, 'agent.id must be a non-empty string'],
    ['reply', { agent: { id: 'a', name: 3 }, type: 'text', payload: { text: 'x' } }, 'agent.name must be a string'],
    ['reply', { agent: alice, type: 'choice', payload: {} }, 'type must be one of text, image, audio, video, file, bloc'],
    ['reply', { agent: alice, type: 'text', payload: { text: '  ' } }, 'payload.text must be a non-empty string'],
    ['reply', { agent: alice, type: 'image', payload: { imageUrl: 'javascript:alert(1)' } }, 'payload.imageUrl must be an http(s) URL'],
    ['reply', { agent: alice, type: 'bloc', payload: { items: [{ type: 'audio', payload: {} }] } }, 'payload.items.0.payload.audioUrl must be an http(s) URL'],
    ['reply', { agent: alice, type: 'text' }, 'payload must be an object'],
    ['assign', {}, 'agent must be an object {id, name?, pictureUrl?}'],
    ['assign', '[1]', 'the body must be a JSON object'],
    ['assign', '{oops', 'the body is not valid JSON'],
  ])('refuses bad %s input with 400: %j', async (action, body, error) => {
    const id = await newTicket()
    expect(await post(env.desk.url, `/desk/tickets/${id}/${action}`, body)).toMatchObject({ status: 400, body: { error } })
    expect(env.receiver.calls).toEqual([])
    expect(env.desk.ticket(id)).toMatchObject({ messages: [], status: 'open' })
  })

  it('refuses actions on unknown or closed tickets and unknown routes', async () => {
    const id = await newTicket()
    await env.desk.close(id)
    expect(await post(env.desk.url, `/desk/tickets/${id}/reply`, { agent: alice, type: 'text', payload: { text: 'x' } })).toMatchObject({ status: 409, body: { error: `ticket ${id} is closed` } })
    expect((await post(env.desk.url, '/desk/tickets/t_nope/assign', { agent: alice })).status).toBe(404)
    expect((await post(env.desk.url, `/desk/tickets/${id}/explode`, {})).status).toBe(404)
    expect((await get(env.desk.url, `/desk/tickets/${id}/reply`)).status).toBe(405)
  })

  it('answers 502 when the integration cannot be reached, and 409 when no webhook URL is set', async () => {
    const id = await newTicket()
    env.desk.setWebhookUrl('http://127.0.0.1:9/nowhere')
    const res = await post(env.desk.url, `/desk/tickets/${id}/assign`, { agent: alice })
    expect(res.status).toBe(502)
    expect(res.body.error).toMatch(/could not reach the integration webhook/)
    expect(env.desk.ticket(id).assignedTo).toBeUndefined()
    const bare = await startAgentDesk({ quiet: true })
    await expect(bare.close('t_1')).rejects.toThrow('no ticket t_1')
    const t = (await post(bare.url, '/createRemoteConversation', { type: 'createRemoteConversation', payload: {} })).body.id
    await expect(bare.assign(t, alice)).rejects.toThrow('the integration webhook URL is not set')
    await bare.stop()
    env.desk.setWebhookUrl(env.receiver.url)
  })

  it('validates what it sends against the webhook spec: a raw malformed webhook is sent but recorded as a violation', async () => {
    const res = await env.desk.sendWebhook('/message-from-agent', { remoteConversationId: 't_1', remoteUserId: 'a', payload: { text: 'x' } })
    expect(res.status).toBe(200)
    expect(env.receiver.calls).toHaveLength(1)
    expect(env.desk.violations).toEqual([
      expect.objectContaining({ direction: 'out', operationId: 'messageFromAgent', errors: ["(body) must have required property 'messageType'"] }),
    ])
  })

  it('configures the webhook URL, latency and faults over HTTP', async () => {
    expect(await post(env.desk.url, '/desk/config', { webhookUrl: env.receiver.url, latencyMs: 0 })).toMatchObject({ status: 200, body: { webhookUrl: env.receiver.url, latencyMs: 0 } })
    expect((await post(env.desk.url, '/desk/config', { webhookUrl: 'not a url' })).status).toBe(400)
    expect(await post(env.desk.url, '/desk/fail', { path: '/ping', status: 500 })).toMatchObject({ status: 200 })
    expect((await post(env.desk.url, '/ping', { type: 'ping' })).status).toBe(500)
    expect(await post(env.desk.url, '/desk/fail', { path: '/ping', status: 'x' })).toMatchObject({ status: 400, body: { error: 'status must be an HTTP status code' } })
    const log = await get(env.desk.url, '/desk/requests')
    expect(log.body.requests).toEqual([expect.objectContaining({ path: '/ping', status: 500, errors: ['injected failure'] })])
  })

  it('streams ticket, message, assigned, closed and request events as server-sent events', async () => {
    const { ready, events } = await listen(8)
    await ready
    const id = await newTicket() // request + ticket
    await post(env.desk.url, '/botSendsMessage', { type: 'botSendsMessage', remoteConversationId: id, remoteUserId: 'u_1', messageType: 'text', authorKind: 'user', payload: { text: 'help' } }) // message + request
    await env.desk.assign(id, alice) // assigned
    await env.desk.reply(id, alice, { type: 'text', payload: { text: 'on it' } }) // message
    await post(env.desk.url, '/closeRemoteTicket', { type: 'closeRemoteTicket', payload: { botpressConversationId: 'bp_c' } }) // closed + request
    const got = await events
    expect(got.map((e) => e.event)).toEqual(['ticket', 'request', 'message', 'request', 'assigned', 'message', 'closed', 'request'])
    expect(got.find((e) => e.event === 'ticket')!.data).toMatchObject({ id, title: 'T' })
    expect(got.filter((e) => e.event === 'message').map((e) => [e.data.from, e.data.payload.text])).toEqual([
      ['user', 'help'],
      ['agent', 'on it'],
    ])
    expect(got.find((e) => e.event === 'closed')!.data).toMatchObject({ id, status: 'closed', closedBy: 'integration' })
  })
})
