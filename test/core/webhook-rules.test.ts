/**
 * Rules the engine enforces for every provider (issues 13, 14, 17), driven through the engine with a scripted adapter
 * (events exactly as an adapter would parse them, with their time) against the Botpress emulator, and through the real
 * integration where the wiring matters (careful client, verification first).
 */
import { Client } from '@botpress/client'
import { carefulClient } from '../../src/core/botpress'
import { resetCaches } from '../../src/core/cache'
import { Engine } from '../../src/core/engine'
import { createLogger, Redactor } from '../../src/core/log'
import type { ActiveProvider } from '../../src/core/provider'
import type { InboundEvent, ProviderAdapter, WebhookRequest } from '../../src/core/types'
import { providers } from '../../src/providers'
import { HttpFake } from '../providers/http/fake'
import { startFlakyBotpress } from '../support/flaky-botpress'
import { useFakeRig } from '../support/rig'

const alice = { id: 'agent-alice', name: 'Alice' }
const bob = { id: 'agent-bob', name: 'Bob' }

/** An adapter whose webhooks carry the events to apply as JSON; `x-forged` makes verification fail. */
const scripted: ProviderAdapter = {
  title: 'Scripted desk',
  connect: async () => {},
  disconnect: async () => {},
  createContact: async () => ({ id: 'contact' }),
  openSession: async () => ({ id: 'session' }),
  sendMessage: async () => ({}),
  closeSession: async () => {},
  verifyWebhook: (req) => (req.headers['x-forged'] ? { ok: false, reason: 'forged' } : { ok: true }),
  parseWebhook: (req) => ({ events: JSON.parse(req.body) as InboundEvent[] }),
}
const request = (...events: InboundEvent[]): WebhookRequest => ({ method: 'POST', path: '/', query: '', headers: {}, body: JSON.stringify(events) })

describe('engine rules for every provider', () => {
  const fake = new HttpFake()
  const rig = useFakeRig(fake, { reset: true })
  beforeEach(() => rig.driver.setConfiguration(fake.configuration()))

  const engine = () => {
    const client = new Client({ apiUrl: rig.emulator.url, token: rig.emulator.token, botId: rig.emulator.botId, integrationId: rig.emulator.integrationId })
    const careful = carefulClient(client, { retryDelayMs: 1 })
    const redactor = new Redactor([])
    const logger = createLogger({ debug() {}, info() {}, warn() {}, error() {} }, redactor)
    // Named like the sessions the rig opens, so that the engine finds them.
    const active: ActiveProvider = { name: 'http', definition: providers.http, adapter: scripted, logger, redactor }
    return new Engine(careful, active, { botId: rig.emulator.botId, events: careful })
  }

  const open = async () => {
    const { userId } = await rig.driver.callAction('createUser', { name: 'Jane', email: 'jane@example.com' })
    const { conversationId } = await rig.driver.callAction('startHitl', { userId, title: 'Help', messageHistory: [] })
    return { userId, conversationId, session: { id: rig.conversation(conversationId).tags.externalId as string } }
  }
  const assigned = (session: { id: string }, agent: { id: string; name: string }, at?: number): InboundEvent => ({ kind: 'agentAssigned', session, agent, at })
  const closed = (session: { id: string }, at?: number): InboundEvent => ({ kind: 'sessionClosed', session, at })
  const said = (session: { id: string }, text: string, at?: number): InboundEvent => ({
    kind: 'agentMessage',
    session,
    messageId: `m-${text}`,
    agent: alice,
    messages: [{ type: 'text', text }],
    at,
  })
  const assignedTo = (conversationId: string) =>
    rig.events('hitlAssigned').filter((e) => e.conversationId === conversationId).map((e) => rig.user(e.payload.userId).name)

  describe('replay ordering (issue 13)', () => {
    it('a signed assignment replayed after a transfer does not flip the session back', async () => {
      const { conversationId, session } = await open()
      const e = engine()
      expect((await e.handleWebhook(request(assigned(session, alice, 1_000)))).status).toBe(200)
      expect((await e.handleWebhook(request(assigned(session, bob, 2_000)))).status).toBe(200)
      const replay = await e.handleWebhook(request(assigned(session, alice, 1_000)))
      expect(replay.status).toBe(200)
      expect(assignedTo(conversationId)).toEqual(['Alice', 'Bob'])
      expect(rig.conversation(conversationId).tags).toMatchObject({ agentId: bob.id, lastEventAt: '2000' })
      // A later assignment still applies; one without a time applies in arrival order.
      await e.handleWebhook(request(assigned(session, alice, 3_000)))
      await e.handleWebhook(request(assigned(session, bob)))
      expect(assignedTo(conversationId)).toEqual(['Alice', 'Bob', 'Alice', 'Bob'])
    })

    it('an untimed assignment counts as applied when it was received: a late redelivery of an older timed one does not undo it', async () => {
      const { conversationId, session } = await open()
      const e = engine()
      const routedAt = Date.now() - 5_000
      // The routed agent's event (timed) is deferred while the hand-off opens; the agent who joins next carries no time.
      await e.handleWebhook(request(assigned(session, bob)))
      expect(Number(rig.conversation(conversationId).tags.lastEventAt)).toBeGreaterThan(routedAt)
      expect((await e.handleWebhook(request(assigned(session, alice, routedAt)))).status).toBe(200)
      expect(assignedTo(conversationId)).toEqual(['Bob'])
      expect(rig.conversation(conversationId).tags.agentId).toBe(bob.id)
      // An event the provider dates after that still applies.
      await e.handleWebhook(request(assigned(session, alice, Date.now() + 1_000)))
      expect(assignedTo(conversationId)).toEqual(['Bob', 'Alice'])
    })

    it('a close older than the last assignment is a replay; messages are never ordered out (dedupe by id)', async () => {
      const { conversationId, session } = await open()
      const e = engine()
      await e.handleWebhook(request(assigned(session, alice, 5_000)))
      await e.handleWebhook(request(closed(session, 4_000)))
      expect(rig.events('hitlStopped')).toHaveLength(0)
      await e.handleWebhook(request(said(session, 'late but new', 1_000)))
      expect(rig.messagesOf(conversationId).filter((m) => m.userId !== rig.botUserId).map((m) => m.payload.text)).toEqual(['late but new'])
      await e.handleWebhook(request(closed(session, 6_000)))
      expect(rig.events('hitlStopped').map((x) => x.conversationId)).toEqual([conversationId])
    })

    it('the boundary: an event at the same time as the last applied one is not a replay, one a millisecond older is', async () => {
      // Providers date events to the second (or the same millisecond): a transfer and the next assignment, or an
      // assignment and a close, can carry the same time and must both apply. Only strictly older is a replay.
      const { conversationId, session } = await open()
      const e = engine()
      expect((await e.handleWebhook(request(assigned(session, alice, 7_000)))).status).toBe(200)
      expect((await e.handleWebhook(request(assigned(session, bob, 7_000)))).status).toBe(200)
      expect(assignedTo(conversationId)).toEqual(['Alice', 'Bob'])
      expect(rig.conversation(conversationId).tags).toMatchObject({ agentId: bob.id, lastEventAt: '7000' })
      expect((await e.handleWebhook(request(assigned(session, alice, 6_999)))).status).toBe(200)
      expect(assignedTo(conversationId)).toEqual(['Alice', 'Bob'])
      expect(rig.conversation(conversationId).tags).toMatchObject({ agentId: bob.id, lastEventAt: '7000' })
      expect((await e.handleWebhook(request(closed(session, 6_999)))).status).toBe(200)
      expect(rig.events('hitlStopped')).toHaveLength(0)
      expect((await e.handleWebhook(request(closed(session, 7_000)))).status).toBe(200)
      expect(rig.events('hitlStopped').map((x) => x.conversationId)).toEqual([conversationId])
    })
  })

  describe('session ids', () => {
    it('an id longer than a tag value (500 characters) cannot be a session: not even looked up; 500 is', async () => {
      const e = engine()
      const lookups = () => rig.emulator.counts().listConversations ?? 0
      const before = lookups()
      expect((await e.handleWebhook(request(closed({ id: 'x'.repeat(501) }))))).toMatchObject({ status: 200 })
      expect(lookups()).toBe(before)
      expect((await e.handleWebhook(request(closed({ id: 'x'.repeat(500) }))))).toMatchObject({ status: 200 })
      expect(lookups()).toBe(before + 1)
      expect(rig.events('hitlStopped')).toHaveLength(0)
    })

    it('an event for an unknown session waits (503) for a session opening now, not for one stuck opening for over 2 minutes', async () => {
      const e = engine()
      const { conversation } = rig.emulator.store.createConversation({ body: { channel: 'hitl', tags: { provider: 'http', status: 'opening' } } } as never) as {
        conversation: { createdAt: string }
      }
      const event = () => request(said({ id: 'not-tagged-yet' }, `hi ${Math.random()}`))
      expect((await e.handleWebhook(event())).status).toBe(503)
      conversation.createdAt = new Date(Date.now() - 121_000).toISOString()
      expect(rig.conversations().find((c) => c.tags.status === 'opening')!.createdAt).toBe(conversation.createdAt)
      expect((await e.handleWebhook(event())).status).toBe(200)
    })
  })

  describe('agents on a warm instance (module memory is only a cache)', () => {
    type Agent = { id: string; name: string; pictureUrl?: string }
    const saidBy = (session: { id: string }, text: string, agent: Agent): InboundEvent => ({ kind: 'agentMessage', session, messageId: `m-${text}`, agent, messages: [{ type: 'text', text }] })
    const agentUsers = () => rig.users().filter((u) => u.tags.kind === 'agent')
    const userCalls = () => {
      const counts = rig.emulator.counts()
      return { getOrCreateUser: counts.getOrCreateUser ?? 0, updateUser: counts.updateUser ?? 0, listUsers: counts.listUsers ?? 0 }
    }

    it('a rename or a new avatar in an event reaches the Botpress user; an unchanged agent costs no user request', async () => {
      const { conversationId, session } = await open()
      const e = engine()
      const A1 = 'https://example.com/alice-1.png'
      const A2 = 'https://example.com/alice-2.png'
      await e.handleWebhook(request({ kind: 'agentAssigned', session, agent: { ...alice, pictureUrl: A1 }, at: 1_000 }))
      expect(agentUsers().map((u) => [u.name, u.pictureUrl])).toEqual([['Alice', A1]])

      // Same name and avatar: answered from memory.
      const warm = userCalls()
      await e.handleWebhook(request(saidBy(session, 'one', { ...alice, pictureUrl: A1 })))
      expect(userCalls()).toEqual(warm)

      // Renamed on the provider: the cached entry is stale and must not answer.
      await e.handleWebhook(request(saidBy(session, 'two', { id: alice.id, name: 'Alice Martin', pictureUrl: A1 })))
      expect(agentUsers().map((u) => [u.name, u.pictureUrl])).toEqual([['Alice Martin', A1]])
      // A new avatar, the name unchanged.
      await e.handleWebhook(request(saidBy(session, 'three', { id: alice.id, name: 'Alice Martin', pictureUrl: A2 })))
      expect(agentUsers().map((u) => [u.name, u.pictureUrl])).toEqual([['Alice Martin', A2]])
      // The refreshed user is what memory holds now: the same agent again costs nothing.
      const refreshed = userCalls()
      await e.handleWebhook(request(saidBy(session, 'four', { id: alice.id, name: 'Alice Martin', pictureUrl: A2 })))
      expect(userCalls()).toEqual(refreshed)
      const authors = rig.messagesOf(conversationId).filter((m) => m.userId !== rig.botUserId).map((m) => m.userId)
      expect(authors).toEqual(Array(4).fill(agentUsers()[0]!.id))
    })

    it('another instance renamed the agent meanwhile: memory never overrides the name the provider sends', async () => {
      const { session } = await open()
      const e = engine()
      await e.handleWebhook(request(assigned(session, alice, 1_000)))
      const [user] = agentUsers()
      // A cold instance applied a rename meanwhile (Botpress holds the truth).
      rig.emulator.store.updateUser({ params: { id: user!.id }, query: {}, body: { name: 'Alice Martin' } } as never)
      await e.handleWebhook(request(saidBy(session, 'from the new name', { id: alice.id, name: 'Alice Martin' })))
      expect(agentUsers().map((u) => u.name)).toEqual(['Alice Martin'])
      // The provider renames her back: the warm cache (holding "Alice Martin") must not swallow it.
      await e.handleWebhook(request(saidBy(session, 'and back', alice)))
      expect(agentUsers().map((u) => u.name)).toEqual(['Alice'])
    })
  })

  describe('unsafe media URLs (issue 12)', () => {
    it('an agent medium whose URL is not http(s) reaches the user as text naming it, never as a link or image', async () => {
      const { conversationId, session } = await open()
      const e = engine()
      const medium = (type: 'image' | 'file', url: string, id: string): InboundEvent => ({
        kind: 'agentMessage',
        session,
        messageId: id,
        agent: alice,
        messages: [{ type, url, title: 'Look' }],
      })
      for (const [i, url] of ['javascript:alert(1)', 'data:text/html,<script>1</script>', 'https://ok.example/\tx', ` java\nscript:x`].entries()) {
        expect((await e.handleWebhook(request(medium(i % 2 ? 'file' : 'image', url, `bad-${i}`)))).status).toBe(200)
      }
      expect((await e.handleWebhook(request(medium('image', 'https://cdn.example.com/a.png', 'good')))).status).toBe(200)
      const got = rig.messagesOf(conversationId).filter((m) => m.userId !== rig.botUserId)
      expect(got.map((m) => m.type)).toEqual(['text', 'text', 'text', 'text', 'image'])
      expect(got[0]!.payload.text).toBe('[Image: Look] (link removed: not an http(s) address)')
      expect(got[1]!.payload.text).toBe('[File: Look] (link removed: not an http(s) address)')
      expect(JSON.stringify(got)).not.toMatch(/javascript:|data:text/)
      expect(got[4]!.payload.imageUrl).toBe('https://cdn.example.com/a.png')
    })
  })

  describe('a closed session is final (issue 17)', () => {
    it('no assignment, message or second close reaches a closed session', async () => {
      const { conversationId, session } = await open()
      const e = engine()
      await e.handleWebhook(request(closed(session)))
      const before = rig.writeCount()
      for (const event of [assigned(session, alice), said(session, 'too late'), closed(session)]) {
        expect((await e.handleWebhook(request(event))).status).toBe(200)
      }
      expect(rig.events('hitlAssigned')).toEqual([])
      expect(rig.events('hitlStopped')).toHaveLength(1)
      expect(rig.messagesOf(conversationId).filter((m) => m.userId !== rig.botUserId)).toEqual([])
      expect(rig.writeCount()).toBe(before)
    })
  })

  describe('Botpress answers 429 (issue 14)', () => {
    it('becomes a 503 with the Retry-After Botpress gave, so the provider redelivers; nothing is lost', async () => {
      const { conversationId, session } = await open()
      rig.emulator.failNext('listConversations', { status: 429, retryAfter: 7 })
      const reply = await engine().handleWebhook(request(said(session, 'hello')))
      expect(reply.status).toBe(503)
      expect(reply.headers).toMatchObject({ 'retry-after': '7' })
      expect((await engine().handleWebhook(request(said(session, 'hello')))).status).toBe(200)
      expect(rig.messagesOf(conversationId).filter((m) => m.userId !== rig.botUserId)).toHaveLength(1)
    })

    it('without Retry-After: a 503 without the header, after one attempt (a 429 is not repeated in the handler)', async () => {
      const { session } = await open()
      rig.emulator.failNext('listConversations', { status: 429 })
      const before = rig.requestCount()
      const reply = await engine().handleWebhook(request(said(session, 'hello')))
      expect(reply.status).toBe(503)
      expect(reply.headers?.['retry-after']).toBeUndefined()
      expect(rig.requestCount() - before).toBe(1)
    })

    it('through the integration: the webhook answer carries Retry-After', async () => {
      const { session } = await open()
      rig.emulator.failNext('listConversations', { status: 429, retryAfter: 3 })
      const reply = await rig.webhook(await fake.agentAssigned(session.id, alice))
      expect(reply.status).toBe(503)
      expect(reply.headers['retry-after']).toBe('3')
    })
  })

  describe('verification before any Botpress call (issue 13)', () => {
    it('a refused webhook costs no Botpress request, on a cold instance too', async () => {
      const { session } = await open()
      resetCaches()
      const before = rig.requestCount()
      const res = await rig.webhook(fake.forged(await fake.agentAssigned(session.id, alice)))
      expect(res.status).toBe(401)
      expect(rig.requestCount()).toBe(before)
      const refused = await engine().handleWebhook({ ...request(closed(session)), headers: { 'x-forged': '1' } })
      expect(refused.status).toBe(401)
      expect(rig.requestCount()).toBe(before)
    })
  })

  describe('Botpress commits, then answers 502 (issue 13)', () => {
    const withProxy = async (run: (proxy: Awaited<ReturnType<typeof startFlakyBotpress>>) => Promise<void>) => {
      const proxy = await startFlakyBotpress(rig.emulator.url)
      process.env.BP_API_URL = proxy.url
      try {
        await run(proxy)
      } finally {
        process.env.BP_API_URL = rig.emulator.url
        await proxy.close()
      }
    }

    it('hitlStopped and hitlAssigned are emitted once, and the webhook succeeds', async () => {
      const { conversationId, session } = await open()
      await withProxy(async (proxy) => {
        proxy.commitThenFail('POST /v1/chat/events')
        expect((await rig.webhook(await fake.agentAssigned(session.id, alice))).status).toBe(200)
        proxy.commitThenFail('POST /v1/chat/events')
        expect((await rig.webhook(await fake.sessionClosed(session.id))).status).toBe(200)
        expect(proxy.count('POST /v1/chat/events')).toBe(2)
      })
      expect(assignedTo(conversationId)).toEqual(['Alice'])
      expect(rig.events('hitlStopped').map((e) => e.conversationId)).toEqual([conversationId])
      expect(rig.conversation(conversationId).tags.status).toBe('closed')
    })

    it('a tag update committed then failed is repeated with the same tags (idempotent); a message is keyed, never doubled', async () => {
      const { conversationId, session } = await open()
      await withProxy(async (proxy) => {
        proxy.commitThenFail(`PUT /v1/chat/conversations/${conversationId}`)
        expect((await rig.webhook(await fake.agentAssigned(session.id, alice))).status).toBe(200)
        expect(proxy.count(`PUT /v1/chat/conversations/${conversationId}`)).toBe(2)
        proxy.commitThenFail('POST /v1/chat/messages/get-or-create')
        const message = await fake.agentMessage(session.id, alice, { type: 'text', text: 'once' })
        expect((await rig.webhook(message)).status).toBe(503)
        expect((await rig.webhook(message)).status).toBe(200)
      })
      expect(rig.conversation(conversationId).tags.agentId).toBe(alice.id)
      expect(assignedTo(conversationId)).toEqual(['Alice'])
      expect(rig.messagesOf(conversationId).filter((m) => m.userId !== rig.botUserId).map((m) => m.payload.text)).toEqual(['once'])
    })
  })
})
