/**
 * The webhook pipeline's answers (src/core/webhook.ts), outcome by outcome, through the engine with an adapter whose
 * verification and parsing each test scripts, against the Botpress emulator: what the provider is answered (status,
 * body, Retry-After), what Botpress received (events, tags, messages) and what was logged for the operator.
 */
import { Client } from '@botpress/client'
import { carefulClient } from '../../src/core/botpress'
import { Engine } from '../../src/core/engine'
import { BadRequestError, HitlError, ProviderError, RetryLaterError } from '../../src/core/errors'
import { createLogger, Redactor } from '../../src/core/log'
import { proofDigest } from '../../src/core/order'
import type { ActiveProvider } from '../../src/core/provider'
import type { InboundEvent, ParsedWebhook, ProviderAdapter, SessionKey, WebhookRequest } from '../../src/core/types'
import { providers } from '../../src/providers'
import { HttpFake } from '../providers/http/fake'
import { useFakeRig } from '../support/rig'

const alice = { id: 'agent-alice', name: 'Alice' }
const bob = { id: 'agent-bob', name: 'Bob' }
const REQUEST: WebhookRequest = { method: 'POST', path: '/', query: '', headers: {}, body: '{}' }

type Script = { verify: ProviderAdapter['verifyWebhook']; parse: ProviderAdapter['parseWebhook'] }

describe('webhook answers', () => {
  const fake = new HttpFake()
  const rig = useFakeRig(fake, { reset: true })
  beforeEach(() => rig.driver.setConfiguration(fake.configuration()))

  const logs: Array<[string, string]> = []
  let script: Script
  const adapter: ProviderAdapter = {
    title: 'Scripted desk',
    connect: async () => {},
    disconnect: async () => {},
    createContact: async () => ({ id: 'contact' }),
    openSession: async () => ({ id: 'session' }),
    sendMessage: async () => ({}),
    closeSession: async () => {},
    verifyWebhook: (req) => script.verify(req),
    parseWebhook: (req) => script.parse(req),
  }
  beforeEach(() => {
    logs.length = 0
    script = { verify: () => ({ ok: true }), parse: () => ({ events: [] }) }
  })
  const engine = () => {
    const client = new Client({ apiUrl: rig.emulator.url, token: rig.emulator.token, botId: rig.emulator.botId, integrationId: rig.emulator.integrationId })
    const careful = carefulClient(client, { retryDelayMs: 1 })
    const redactor = new Redactor([])
    const sink = (level: string) => (line: string) => void logs.push([level, line])
    const logger = createLogger({ debug: sink('debug'), info: sink('info'), warn: sink('warn'), error: sink('error') }, redactor)
    const active: ActiveProvider = { name: 'http', definition: providers.http, adapter, logger, redactor }
    return new Engine(careful, active, { botId: rig.emulator.botId, events: careful })
  }
  const deliver = (parsed: ParsedWebhook | (() => never)) => {
    script.parse = typeof parsed === 'function' ? parsed : () => parsed
    return engine().handleWebhook(REQUEST)
  }
  const body = (reply: { body?: string }) => JSON.parse(reply.body ?? 'null') as unknown
  const logged = (level: string) => logs.filter(([l]) => l === level).map(([, line]) => line)

  const open = async () => {
    const { userId } = await rig.driver.callAction('createUser', { name: 'Jane', email: 'jane@example.com' })
    const { conversationId } = await rig.driver.callAction('startHitl', { userId, title: 'Help', messageHistory: [] })
    return { conversationId, session: { id: rig.conversation(conversationId).tags.externalId as string } }
  }
  const assigned = (session: { id: string }, agent: { id: string; name?: string }, at?: number): InboundEvent => ({ kind: 'agentAssigned', session, agent, at })
  const closed = (session: SessionKey, at?: number): InboundEvent => ({ kind: 'sessionClosed', session, at })
  const said = (session: { id: string }, messages: Array<{ type: 'text'; text: string }>, extra: Partial<Extract<InboundEvent, { kind: 'agentMessage' }>> = {}): InboundEvent => ({
    kind: 'agentMessage',
    session,
    messageId: 'm-1',
    agent: alice,
    messages,
    ...extra,
  })
  const agentMessages = (conversationId: string) => rig.messagesOf(conversationId).filter((m) => m.userId !== rig.botUserId)

  describe('before any Botpress request', () => {
    it('a proof that cannot be checked yet: 503, logged, nothing parsed or written', async () => {
      const before = rig.requestCount()
      let parsed = 0
      script.verify = () => {
        throw new Error('secret store unreachable')
      }
      script.parse = () => {
        parsed++
        return { events: [] }
      }
      const reply = await engine().handleWebhook(REQUEST)
      expect(reply).toEqual({ status: 503, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ error: 'temporarily unavailable, please retry' }) })
      expect(parsed).toBe(0)
      expect(rig.requestCount()).toBe(before)
      expect(logged('warn')).toEqual(['webhook not verified yet (503): secret store unreachable'])
    })

    it('a refused proof: 401 unauthorized, the reason logged, nothing parsed or written', async () => {
      const before = rig.requestCount()
      let parsed = 0
      script.verify = () => ({ ok: false, reason: 'signature mismatch' })
      script.parse = () => {
        parsed++
        return { events: [] }
      }
      const reply = await engine().handleWebhook(REQUEST)
      expect(reply).toEqual({ status: 401, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ error: 'unauthorized' }) })
      expect(parsed).toBe(0)
      expect(rig.requestCount()).toBe(before)
      expect(logged('warn')).toEqual(['webhook refused (401): signature mismatch'])
    })

    it('a malformed body: 400 with the reason, cut to 300 characters and without control characters', async () => {
      const reason = `bad\nfield\u0000\u001f\u007f${'x'.repeat(400)}`
      const reply = await deliver(() => {
        throw new BadRequestError(reason)
      })
      const shown = `bad field   ${'x'.repeat(287)}…`
      expect(shown).toHaveLength(300)
      expect(reply.status).toBe(400)
      expect(body(reply)).toEqual({ error: shown })
      expect(logged('warn')).toEqual([`webhook rejected (400): ${shown}`])
      expect((await deliver(() => { throw new BadRequestError('the body is empty') })).body).toBe(JSON.stringify({ error: 'the body is empty' }))
    })

    it.each([new RangeError('Maximum call stack size exceeded'), new TypeError("Cannot read properties of undefined (reading 'x')"), new SyntaxError('Unexpected token')])(
      'a body the adapter can never read (%s): 400 once, never 503, the error named in the log',
      async (error) => {
        const before = rig.requestCount()
        const reply = await deliver(() => {
          throw error
        })
        expect(reply.status).toBe(400)
        expect(body(reply)).toEqual({ error: 'the request cannot be processed' })
        expect(logged('error')).toEqual([`webhook rejected (400), it cannot be processed: ${error.name}`])
        expect(rig.requestCount()).toBe(before)
      }
    )

    it('parsing that fails for now (a provider lookup): 503 to be delivered again; a thrown non-error too', async () => {
      const later = await deliver(() => {
        throw new RetryLaterError('the desk answered 503')
      })
      expect(later.status).toBe(503)
      expect(body(later)).toEqual({ error: 'not ready yet, please retry' })
      expect(logged('info')).toEqual(['webhook deferred (503): the desk answered 503'])
      const other = await deliver(() => {
        throw new Error('socket hang up')
      })
      expect(other.status).toBe(503)
      expect(body(other)).toEqual({ error: 'temporarily unavailable, please retry' })
      expect(logged('error')).toEqual(['webhook processing failed, asking the provider to retry: socket hang up'])
      const thrown = await deliver(() => {
        throw 'a string'
      })
      expect(thrown.status).toBe(503)
    })

    it('a skipped part of the request is logged at debug, and the answer counts events and applied ones', async () => {
      const reply = await deliver({ events: [closed({ id: 'no-such-session' })], skipped: ['a typing indicator', 'a read receipt'] })
      expect(reply).toEqual({ status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ok: true, events: 1, applied: 0 }) })
      expect(logged('debug')).toEqual([
        'webhook: ignored a typing indicator',
        'webhook: ignored a read receipt',
        'webhook: sessionClosed for a session Botpress did not start; ignored',
      ])
    })

    it("the adapter's own reply (a challenge echo) is answered as it is, after the events are applied", async () => {
      const { conversationId, session } = await open()
      const reply = await deliver({ events: [closed(session)], reply: { status: 200, headers: { 'content-type': 'text/plain' }, body: 'challenge-123' } })
      expect(reply).toEqual({ status: 200, headers: { 'content-type': 'text/plain' }, body: 'challenge-123' })
      expect(rig.events('hitlStopped').map((e) => e.conversationId)).toEqual([conversationId])
    })
  })

  describe('Botpress failures while applying', () => {
    it('Botpress refuses the write (4xx): 400, not retryable, with its message; 5xx: 503', async () => {
      const { conversationId, session } = await open()
      rig.emulator.failNext('getOrCreateMessage', { status: 413, message: 'payload too large' })
      const refused = await deliver({ events: [said(session, [{ type: 'text', text: 'hi' }])] })
      expect(refused.status).toBe(400)
      expect(body(refused)).toEqual({ error: expect.stringMatching(/^the event could not be applied: .*payload too large/) })
      expect(logged('error')).toEqual([expect.stringMatching(/^webhook refused by Botpress, not retryable: .*payload too large/)])
      rig.emulator.failNext('getOrCreateMessage', { status: 400 })
      expect((await deliver({ events: [said(session, [{ type: 'text', text: 'hi' }])] })).status).toBe(400)
      rig.emulator.failNext('getOrCreateMessage', { status: 500 })
      const failed = await deliver({ events: [said(session, [{ type: 'text', text: 'hi' }])] })
      expect(failed.status).toBe(503)
      expect(body(failed)).toEqual({ error: 'temporarily unavailable, please retry' })
      expect(agentMessages(conversationId)).toEqual([])
      expect((await deliver({ events: [said(session, [{ type: 'text', text: 'hi' }])] })).status).toBe(200)
      expect(agentMessages(conversationId).map((m) => m.payload.text)).toEqual(['hi'])
    })

    it('Botpress rate limits (429): 503 with its Retry-After, logged with it', async () => {
      const { session } = await open()
      rig.emulator.failNext('listConversations', { status: 429, retryAfter: 9 })
      const limited = await deliver({ events: [closed(session)] })
      expect(limited).toEqual({ status: 503, headers: { 'content-type': 'application/json', 'retry-after': '9' }, body: JSON.stringify({ error: 'rate limited, please retry' }) })
      expect(logged('warn')).toEqual(['webhook deferred (503): Botpress answered 429, retry after 9s'])
      logs.length = 0
      rig.emulator.failNext('listConversations', { status: 429 })
      const bare = await deliver({ events: [closed(session)] })
      expect(bare).toEqual({ status: 503, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ error: 'rate limited, please retry' }) })
      expect(logged('warn')).toEqual(['webhook deferred (503): Botpress answered 429'])
    })

    it("the provider's own failure while applying (describing the agent) is a 503 even when it is a 4xx-looking error", async () => {
      const { conversationId, session } = await open()
      adapter.describeAgent = async () => {
        throw new ProviderError('the desk answered 429', { provider: 'http', status: 429 })
      }
      try {
        const reply = await deliver({ events: [assigned(session, { id: 'agent-nameless' })] })
        expect(reply.status).toBe(503)
        expect(body(reply)).toEqual({ error: 'temporarily unavailable, please retry' })
        expect(rig.events('hitlAssigned')).toEqual([])
        expect(rig.conversation(conversationId).tags.agentId).toBeUndefined()
      } finally {
        delete adapter.describeAgent
      }
    })

    it('an error of our own runtime (not a Botpress refusal) while applying is a 503, not a 400', async () => {
      const { session } = await open()
      adapter.describeAgent = async () => {
        throw new HitlError('the agent lookup failed')
      }
      try {
        const reply = await deliver({ events: [assigned(session, { id: 'agent-nameless' })] })
        expect(reply.status).toBe(503)
        expect(logged('error')).toEqual(['webhook processing failed, asking the provider to retry: the agent lookup failed'])
      } finally {
        delete adapter.describeAgent
      }
    })

    it('our own limit hit while applying (RangeError): 400, never retried', async () => {
      const { session } = await open()
      adapter.describeAgent = async () => {
        throw new RangeError('Invalid string length')
      }
      try {
        const reply = await deliver({ events: [assigned(session, { id: 'agent-nameless' })] })
        expect(reply.status).toBe(400)
        expect(body(reply)).toEqual({ error: 'the request cannot be processed' })
        expect(logged('error')).toEqual(['webhook rejected (400), it cannot be processed: RangeError'])
      } finally {
        delete adapter.describeAgent
      }
    })

    it('a BadRequestError while applying is a 400 with its reason shown', async () => {
      const { session } = await open()
      const reply = await deliver({ events: [assigned(session, { id: '' })] })
      expect(reply.status).toBe(400)
      expect(body(reply)).toEqual({ error: 'the agent id must be 1 to 500 characters' })
    })
  })

  describe('what an event may carry', () => {
    it('an agent id of 1 to 500 characters; longer or empty is refused before any Botpress request', async () => {
      const { conversationId, session } = await open()
      const before = rig.requestCount()
      for (const event of [assigned(session, { id: 'a'.repeat(501), name: 'X' }), said(session, [{ type: 'text', text: 'x' }], { agent: { id: '' } })]) {
        const reply = await deliver({ events: [event] })
        expect(reply.status).toBe(400)
        expect(body(reply)).toEqual({ error: 'the agent id must be 1 to 500 characters' })
      }
      expect(rig.requestCount()).toBe(before)
      expect((await deliver({ events: [assigned(session, { id: 'a'.repeat(500), name: 'Long' })] })).status).toBe(200)
      expect(rig.conversation(conversationId).tags.agentId).toBe('a'.repeat(500))
    })

    it('additionalData up to 500 characters reaches the message; longer is refused before any Botpress request', async () => {
      const { conversationId, session } = await open()
      const before = rig.requestCount()
      const tooLong = await deliver({ events: [said(session, [{ type: 'text', text: 'x' }], { additionalData: 'd'.repeat(501) })] })
      expect(tooLong.status).toBe(400)
      expect(body(tooLong)).toEqual({ error: 'additionalData must be at most 500 characters' })
      expect(rig.requestCount()).toBe(before)
      expect((await deliver({ events: [said(session, [{ type: 'text', text: 'x' }], { additionalData: 'd'.repeat(500) })] })).status).toBe(200)
      expect(agentMessages(conversationId).map((m) => m.payload)).toEqual([{ text: 'x', additionalData: 'd'.repeat(500) }])
    })

    it('a close needs no agent: an event without one closes the session', async () => {
      const { conversationId, session } = await open()
      const reply = await deliver({ events: [closed(session)] })
      expect(body(reply)).toEqual({ ok: true, events: 1, applied: 1 })
      expect(rig.conversation(conversationId).tags).toMatchObject({ status: 'closed' })
    })
  })

  describe('applying', () => {
    it('an unknown session is ignored (logged) when nothing is being opened; a close never waits for one being opened', async () => {
      const reply = await deliver({ events: [said({ id: 'nobody' }, [{ type: 'text', text: 'x' }])] })
      expect(body(reply)).toEqual({ ok: true, events: 1, applied: 0 })
      expect(logged('debug')).toEqual(['webhook: agentMessage for a session Botpress did not start; ignored'])
      rig.emulator.store.createConversation({ body: { channel: 'hitl', tags: { provider: 'http', status: 'opening' } } } as never)
      const before = rig.emulator.counts().listConversations ?? 0
      expect((await deliver({ events: [closed({ id: 'nobody' })] })).status).toBe(200)
      expect((rig.emulator.counts().listConversations ?? 0) - before).toBe(1)
      const deferred = await deliver({ events: [assigned({ id: 'nobody' }, alice)] })
      expect(deferred.status).toBe(503)
      expect(logged('info')).toEqual(['webhook deferred (503): agentAssigned for a session not known yet while another one is being opened'])
    })

    it('a session opening for another provider, or an opened one, does not hold an unknown session back', async () => {
      rig.emulator.store.createConversation({ body: { channel: 'hitl', tags: { provider: 'intercom', status: 'opening' } } } as never)
      rig.emulator.store.createConversation({ body: { channel: 'hitl', tags: { provider: 'http', status: 'open' } } } as never)
      expect((await deliver({ events: [assigned({ id: 'nobody' }, alice)] })).status).toBe(200)
    })

    it('a session is found by the key the adapter names (`by`), among this provider\'s sessions only', async () => {
      const { conversationId } = await open()
      rig.conversation(conversationId).tags.externalAltId = 'contact-77'
      const reply = await deliver({ events: [closed({ id: 'contact-77', by: 'externalAltId' })] })
      expect(body(reply)).toEqual({ ok: true, events: 1, applied: 1 })
      expect(rig.events('hitlStopped').map((e) => e.conversationId)).toEqual([conversationId])
      const other = await open()
      rig.conversation(other.conversationId).tags.provider = 'intercom'
      expect(body(await deliver({ events: [closed(other.session)] }))).toEqual({ ok: true, events: 1, applied: 0 })
    })

    it('a closed session: every event ignored (logged), nothing written', async () => {
      const { session } = await open()
      await deliver({ events: [closed(session)] })
      logs.length = 0
      const before = rig.writeCount()
      const reply = await deliver({ events: [said(session, [{ type: 'text', text: 'x' }]), assigned(session, bob), closed(session)] })
      expect(body(reply)).toEqual({ ok: true, events: 3, applied: 0 })
      expect(rig.writeCount()).toBe(before)
      expect(logged('debug')).toEqual(['agentMessage', 'agentAssigned', 'sessionClosed'].map((kind) => `webhook: ${kind} for a closed session; ignored`))
    })

    it('a close writes the closed state, who closed it and the ordering tags', async () => {
      const { conversationId, session } = await open()
      const reply = await deliver({ events: [closed(session, 5_000.4)], proof: 'sig-close' })
      expect(body(reply)).toEqual({ ok: true, events: 1, applied: 1 })
      expect(rig.conversation(conversationId).tags).toMatchObject({ status: 'closed', lastEventAt: '5000', lastEventProofs: proofDigest('sig-close') })
      expect(rig.events('hitlStopped')).toHaveLength(1)
    })

    it('replays are ignored and logged; an assignment to the agent already assigned is a no-op', async () => {
      const { conversationId, session } = await open()
      expect(body(await deliver({ events: [assigned(session, alice, 2_000)], proof: 'sig-a' }))).toEqual({ ok: true, events: 1, applied: 1 })
      logs.length = 0
      expect(body(await deliver({ events: [assigned(session, bob, 2_000)], proof: 'sig-a' }))).toEqual({ ok: true, events: 1, applied: 0 })
      expect(logged('info')).toEqual(['webhook: an assignment already applied, or older than what the session applied (a replay); ignored'])
      logs.length = 0
      expect(body(await deliver({ events: [closed(session, 1_000)] }))).toEqual({ ok: true, events: 1, applied: 0 })
      expect(logged('info')).toEqual(['webhook: a close already applied, or older than what the session applied (a replay); ignored'])
      const before = rig.writeCount()
      expect(body(await deliver({ events: [assigned(session, alice, 3_000)] }))).toEqual({ ok: true, events: 1, applied: 0 })
      expect(rig.writeCount()).toBe(before)
      expect(rig.events('hitlAssigned')).toHaveLength(1)
      expect(rig.conversation(conversationId).tags).toMatchObject({ agentId: alice.id, lastEventAt: '2000', lastEventProofs: proofDigest('sig-a') })
    })

    it('an untimed assignment is ordered at the time it is applied; an untimed first message writes no ordering tags', async () => {
      const { conversationId, session } = await open()
      const before = Date.now()
      await deliver({ events: [assigned(session, alice)] })
      expect(rig.conversation(conversationId).tags.agentId).toBe(alice.id)
      expect(Number(rig.conversation(conversationId).tags.lastEventAt)).toBeGreaterThanOrEqual(before)
      expect(Number(rig.conversation(conversationId).tags.lastEventAt)).toBeLessThanOrEqual(Date.now())
      const other = await open()
      await deliver({ events: [said(other.session, [{ type: 'text', text: 'hi' }])] })
      expect(rig.conversation(other.conversationId).tags.agentId).toBe(alice.id)
      expect(rig.conversation(other.conversationId).tags.lastEventAt).toBeUndefined()
    })

    it("one request's events are told apart by position: two assignments at one time under one proof both apply, once", async () => {
      const { conversationId, session } = await open()
      const parsed = { events: [assigned(session, alice, 4_000), assigned(session, bob, 4_000)], proof: 'sig-batch' }
      expect(body(await deliver(parsed))).toEqual({ ok: true, events: 2, applied: 2 })
      expect(rig.conversation(conversationId).tags).toMatchObject({
        agentId: bob.id,
        lastEventProofs: `${proofDigest('sig-batch#0')} ${proofDigest('sig-batch#1')}`,
      })
      expect(body(await deliver(parsed))).toEqual({ ok: true, events: 2, applied: 0 })
      expect(rig.events('hitlAssigned')).toHaveLength(2)
    })

    it("an event's own proof wins over the request's", async () => {
      const { conversationId, session } = await open()
      await deliver({ events: [{ ...assigned(session, alice, 4_000), proof: 'own' }, assigned(session, bob, 4_000)], proof: 'sig' })
      expect(rig.conversation(conversationId).tags.lastEventProofs).toBe(`${proofDigest('own')} ${proofDigest('sig#1')}`)
    })
  })

  describe('agent messages', () => {
    it("the end user's own message coming back is ignored; the first agent message assigns its agent, timed by it", async () => {
      const { conversationId, session } = await open()
      rig.conversation(conversationId).tags.contactId = 'contact-9'
      const echo = await deliver({ events: [said(session, [{ type: 'text', text: 'mine' }], { agent: { id: 'contact-9' } })] })
      expect(body(echo)).toEqual({ ok: true, events: 1, applied: 0 })
      expect(logged('debug')).toContain("webhook: the end user's own message came back as an agent message; ignored")
      expect(agentMessages(conversationId)).toEqual([])
      const reply = await deliver({ events: [said(session, [{ type: 'text', text: 'hello' }], { at: 8_000 })], proof: 'sig-m' })
      expect(body(reply)).toEqual({ ok: true, events: 1, applied: 1 })
      expect(rig.conversation(conversationId).tags).toMatchObject({ agentId: alice.id, lastEventAt: '8000', lastEventProofs: proofDigest('sig-m') })
      expect(rig.events('hitlAssigned').map((e) => rig.user(e.payload.userId).name)).toEqual(['Alice'])
      const [message] = agentMessages(conversationId)
      expect(rig.user(message.userId).name).toBe('Alice')
      expect(message.tags.externalId).toBe('m-1')
    })

    it('a message from another agent than the assigned one does not reassign the session', async () => {
      const { conversationId, session } = await open()
      await deliver({ events: [assigned(session, alice, 1_000)] })
      await deliver({ events: [said(session, [{ type: 'text', text: 'covering' }], { agent: bob, at: 2_000 })] })
      expect(rig.conversation(conversationId).tags).toMatchObject({ agentId: alice.id, lastEventAt: '1000' })
      expect(rig.events('hitlAssigned')).toHaveLength(1)
      expect(rig.user(agentMessages(conversationId)[0].userId).name).toBe('Bob')
    })

    it('a bloc: one message per item, keyed by position; a long provider id becomes its digest', async () => {
      const { conversationId, session } = await open()
      const messages = [{ type: 'text' as const, text: 'one' }, { type: 'text' as const, text: 'two' }]
      await deliver({ events: [said(session, messages, { messageId: 'bloc' })] })
      expect(agentMessages(conversationId).map((m) => [m.payload.text, m.tags.externalId])).toEqual([['one', 'bloc#0'], ['two', 'bloc#1']])
      const long = 'L'.repeat(600)
      await deliver({ events: [said(session, [{ type: 'text', text: 'three' }], { messageId: long })] })
      expect(agentMessages(conversationId).at(-1)!.tags.externalId).toMatch(/^sha256:[0-9a-f]{64}$/)
      // Redelivered: nothing new.
      await deliver({ events: [said(session, messages, { messageId: 'bloc' })] })
      expect(agentMessages(conversationId)).toHaveLength(3)
    })
  })
})
