/**
 * Core behaviour that does not depend on the provider, exercised with the generic HTTP provider and the agent desk.
 */
import { useFakeRig } from '../support/rig'
import { HttpFake } from '../providers/http/fake'
import { capturedLogs, clearLogs } from '../support/logs'

const alice = { id: 'agent-alice', name: 'Alice' }

describe('engine', () => {
  const fake = new HttpFake()
  const rig = useFakeRig(fake, { reset: true })
  beforeEach(() => rig.driver.setConfiguration(fake.configuration()))

  const open = async () => {
    const { userId } = await rig.driver.callAction('createUser', { name: 'Jane', email: 'jane@example.com' })
    const { conversationId } = await rig.driver.callAction('startHitl', { userId, title: 'Help', messageHistory: [] })
    return { userId, conversationId, sessionId: rig.conversation(conversationId).tags.externalId as string }
  }

  it('a failure between hitlStopped and the tag update does not repeat the event on redelivery', async () => {
    const { sessionId } = await open()
    const req = await fake.sessionClosed(sessionId)
    // updateConversation is a PUT: the SDK's own client retries it 3 times before giving up.
    rig.emulator.failNext('updateConversation', { status: 503, count: 4 })
    expect((await rig.webhook(req)).status).toBe(503)
    expect(rig.events('hitlStopped')).toHaveLength(1)
    expect((await rig.webhook(req)).status).toBe(200)
    expect(rig.events('hitlStopped')).toHaveLength(1)
  }, 30_000)

  it('a failed startHitl leaves no Botpress conversation and can be retried', async () => {
    const { userId } = await rig.driver.callAction('createUser', { name: 'Jane' })
    fake.desk.failNext('/createRemoteConversation', { status: 500 })
    await expect(rig.driver.callAction('startHitl', { userId, messageHistory: [] })).rejects.toThrow(
      'HTTP service answered 500 Internal Server Error on /createRemoteConversation'
    )
    expect(rig.conversations()).toHaveLength(0)
    const { conversationId } = await rig.driver.callAction('startHitl', { userId, messageHistory: [] })
    expect(rig.conversations().map((c) => c.id)).toEqual([conversationId])
    expect(fake.sessions()).toHaveLength(1)
  })

  it('a message is never posted twice: a 5xx on /botSendsMessage fails the message after one attempt', async () => {
    const { userId, conversationId } = await open()
    fake.desk.failNext('/botSendsMessage', { status: 503 })
    const before = fake.requestCount()
    await expect(rig.driver.sendMessage({ conversationId, type: 'text', payload: { text: 'hi', userId } })).rejects.toThrow(
      /HTTP service answered 503 .* on \/botSendsMessage/
    )
    expect(fake.requestCount() - before).toBe(1)
  })

  it('a 429 on /botSendsMessage is retried honouring Retry-After and delivered once', async () => {
    const { userId, conversationId, sessionId } = await open()
    fake.desk.failNext('/botSendsMessage', { status: 429, retryAfter: 0 })
    await rig.driver.sendMessage({ conversationId, type: 'text', payload: { text: 'hi', userId } })
    expect(fake.received(sessionId).map((m) => m.text)).toEqual(['hi'])
  })

  it('a session opened with another provider before a switch is stopped, with a clear error to the bot', async () => {
    const { userId, conversationId } = await open()
    // The owner moved to another platform: this session's provider is no longer the active one.
    rig.emulator.store.updateConversation({
      params: { id: conversationId },
      query: {},
      body: { tags: { provider: 'some-old-provider' } },
    } as any)
    expect(rig.conversation(conversationId).tags.provider).toBe('some-old-provider')
    await expect(rig.driver.sendMessage({ conversationId, type: 'text', payload: { text: 'still there?', userId } })).rejects.toThrow(
      /opened with provider "some-old-provider" but the integration now uses "http": the session was stopped/
    )
    expect(rig.events('hitlStopped').map((e) => e.payload)).toEqual([{ conversationId }])
    // New sessions go to the active provider.
    const next = await rig.driver.callAction('startHitl', { userId, messageHistory: [] })
    expect(rig.conversation(next.conversationId).tags.provider).toBe('http')
  })

  it('stopHitl on a closed session is a no-op; on a non-hitl conversation it is refused', async () => {
    const { conversationId, sessionId } = await open()
    await rig.webhook(await fake.sessionClosed(sessionId))
    const before = fake.requestCount()
    await expect(rig.driver.callAction('stopHitl', { conversationId })).resolves.toEqual({})
    expect(fake.requestCount()).toBe(before)
    const { conversation: other } = rig.emulator.store.createConversation({ body: { channel: 'channel', tags: {} } } as any)
    await expect(rig.driver.callAction('stopHitl', { conversationId: other.id })).rejects.toThrow(`Conversation ${other.id} is not a HITL session of this integration`)
    expect(fake.requestCount()).toBe(before)
  })

  it('register fails naming every missing field, and names an unknown provider', async () => {
    rig.driver.setConfiguration({ provider: 'http', http: { endpointBaseUrl: '  ' } })
    await expect(rig.driver.register()).rejects.toThrow('missing http.endpointBaseUrl')
    rig.driver.setConfiguration({ provider: 'nosuchdesk' })
    await expect(rig.driver.register()).rejects.toThrow(/Unknown provider "nosuchdesk": choose one of http, intercom, livechat, hubspot/)
  })

  it('register fails with the service status when /ping does not answer 2xx', async () => {
    fake.desk.failNext('/ping', { status: 404 })
    await expect(rig.driver.register()).rejects.toThrow('HTTP service answered 404 Not Found on /ping')
  })

  it('an agent event carrying only an id reuses the agent user Botpress already knows', async () => {
    const { conversationId, sessionId } = await open()
    await rig.webhook(await fake.agentAssigned(sessionId, alice))
    const body = JSON.parse((await fake.agentMessage(sessionId, alice, { type: 'text', text: 'x' })).body)
    delete body.agentName
    const signed = (fake as any).request('/message-from-agent', body)
    expect((await rig.webhook(signed)).status).toBe(200)
    const agents = rig.users().filter((u) => u.tags.kind === 'agent')
    expect(agents).toHaveLength(1)
    expect(rig.messagesOf(conversationId).at(-1)!.userId).toBe(agents[0]!.id)
  })

  it('each item of a bloc reaches the desk with its own botpressMessageId: a desk deduplicating on it keeps them all', async () => {
    const { userId, conversationId, sessionId } = await open()
    const items = ['one', 'two', 'three'].map((text) => ({ type: 'text', payload: { text } }))
    await rig.driver.sendMessage({ conversationId, type: 'bloc', payload: { userId, items } })
    await rig.driver.sendMessage({ conversationId, type: 'text', payload: { text: 'four', userId } })
    const sent = fake.desk.tickets.find((t) => t.id === sessionId)!.messages.filter((m) => m.from !== 'agent')
    expect(sent.map((m) => (m.payload as { text?: string }).text)).toEqual(['one', 'two', 'three', 'four'])
    const ids = sent.map((m) => m.botpressMessageId!)
    // The bloc's items: the Botpress message id with the item's index; a single message: the id itself.
    const bloc = /^(.+):0$/.exec(ids[0]!)?.[1]
    expect(ids.slice(0, 3)).toEqual([`${bloc}:0`, `${bloc}:1`, `${bloc}:2`])
    expect(ids[3]).toMatch(/^[^:]+$/)
    expect(ids[3]).not.toBe(bloc)
  })

  it('concurrent webhooks over Botpress ingress: 100 messages across 10 sessions, none lost, each session in order', async () => {
    const sessions = await Promise.all(Array.from({ length: 10 }, () => open()))
    const statuses: number[] = []
    await Promise.all(
      sessions.map(async (s, si) => {
        for (let i = 0; i < 10; i++) {
          const req = await fake.agentMessage(s.sessionId, alice, { type: 'text', text: `s${si}-m${i}` })
          const res = await fetch(`${rig.emulator.url}/webhook/${rig.driver.webhookId}${req.path}`, {
            method: 'POST',
            headers: req.headers as Record<string, string>,
            body: req.body,
          })
          statuses.push(res.status)
        }
      })
    )
    expect(statuses.filter((s) => s !== 200)).toEqual([])
    sessions.forEach((s, si) => {
      const texts = rig.messagesOf(s.conversationId).filter((m) => m.userId !== rig.botUserId).map((m) => m.payload.text)
      expect(texts).toEqual(Array.from({ length: 10 }, (_, i) => `s${si}-m${i}`))
    })
  })

  it('an event arriving while a session is still being opened is deferred (503), not lost', async () => {
    rig.emulator.store.createConversation({ params: {}, query: {}, body: { channel: 'hitl', tags: { provider: 'http', status: 'opening' } } } as any)
    const res = await rig.webhook(await fake.agentAssigned('not-tagged-yet', alice))
    expect(res.status).toBe(503)
    // A close of an unknown session is never deferred.
    expect((await rig.webhook(await fake.sessionClosed('not-tagged-yet'))).status).toBe(200)
  })

  it('agent messages for a closed session, or echoing the end user, are not posted', async () => {
    const { conversationId, sessionId } = await open()
    const contactId = rig.conversation(conversationId).tags.contactId as string
    expect((await rig.webhook(await fake.agentMessage(sessionId, { id: contactId, name: 'Jane' }, { type: 'text', text: 'echo' }))).status).toBe(200)
    await rig.webhook(await fake.sessionClosed(sessionId))
    expect((await rig.webhook(await fake.agentMessage(sessionId, alice, { type: 'text', text: 'too late' }))).status).toBe(200)
    expect(rig.messagesOf(conversationId).filter((m) => m.userId !== rig.botUserId)).toEqual([])
  })

  it('agent details Botpress would refuse are cleaned, not turned into a retry loop', async () => {
    const { conversationId, sessionId } = await open()
    const body = JSON.parse((await fake.agentMessage(sessionId, alice, { type: 'text', text: 'hi' })).body)
    // A two-item bloc with the longest id the protocol allows: "<id>#0" and "<id>#1" exceed a tag's 500 characters.
    const req = (fake as any).request('/message-from-agent', {
      ...body,
      messageType: 'bloc',
      payload: { items: [{ type: 'text', payload: { text: 'one' } }, { type: 'text', payload: { text: 'two' } }] },
      agentName: 'A'.repeat(5000),
      agentPictureUrl: 'javascript:alert(1)',
      messageId: 'm'.repeat(500),
    })
    expect((await rig.webhook(req)).status).toBe(200)
    const [message] = rig.messagesOf(conversationId).filter((m) => m.userId !== rig.botUserId)
    const agent = rig.user(message!.userId)
    expect(agent.name).toHaveLength(200)
    expect(agent.pictureUrl).toBeUndefined()
    expect((await rig.webhook(req)).status).toBe(200)
    expect(rig.messagesOf(conversationId).filter((m) => m.userId !== rig.botUserId).map((m) => m.payload.text)).toEqual(['one', 'two'])
  })

  it('an agent id Botpress cannot store as a tag is refused (400) before any Botpress call', async () => {
    const { sessionId } = await open()
    const body = JSON.parse((await fake.agentMessage(sessionId, alice, { type: 'text', text: 'hi' })).body)
    const before = rig.requestCount()
    const res = await rig.webhook((fake as any).request('/message-from-agent', { ...body, remoteUserId: 'x'.repeat(501) }))
    expect(res.status).toBe(400)
    expect(String(res.body)).toMatch(/agent id|remoteUserId/)
    expect(rig.requestCount()).toBe(before)
  })

  it('secrets never reach a log line or an error message', async () => {
    clearLogs()
    const secret = (fake.configuration().http as { webhookSecret: string }).webhookSecret
    const { sessionId } = await open()
    await rig.webhook(fake.forged(await fake.agentMessage(sessionId, alice, { type: 'text', text: 'x' })))
    fake.desk.failNext('/ping', { status: 500 })
    const error = await rig.driver.register().catch((e) => e)
    const everything = [...capturedLogs(), String(error?.message)].join('\n')
    expect(everything).not.toContain(secret)
    expect(everything).not.toContain('jane@example.com')
  })
})
