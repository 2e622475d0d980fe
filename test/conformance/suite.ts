/**
 * The conformance suite every provider adapter must pass (in the spirit of unstorage's testDriver): each SDK entry
 * point, every message type in both directions, the history transcript, assignment with the real agent, stop from
 * both sides, redelivery, unknown sessions and forged signatures. Provider tests call `runConformance(makeFake)`
 * and add only what is special to them.
 */
import { providers } from '../../src/providers'
import { createHttpClientFactory, httpSettingsFromEnv } from '../../src/core/http'
import { createLogger, Redactor } from '../../src/core/log'
import { fetchMedia } from '../../src/core/media'
import type { Data, ProviderAdapter, ProviderDefinition } from '../../src/core/types'
import { useFakeRig } from '../support/rig'
import type { FakeAgent, FakeProvider } from './fake'

/** The adapter alone, as the core builds it, for what the SDK entry points do not reach directly (describeAgent). */
const adapterOf = (fake: FakeProvider): ProviderAdapter => {
  const definition = (providers as Record<string, ProviderDefinition>)[fake.name]!
  const section = definition.configSchema.parse(fake.configuration()[fake.name])
  const redactor = new Redactor(definition.secrets(section))
  let data: Data = {}
  const quiet = () => undefined
  return definition.create(section, {
    http: createHttpClientFactory(redactor, httpSettingsFromEnv()),
    media: fetchMedia,
    secrets: { add: (...values) => redactor.add(values) },
    logger: createLogger({ debug: quiet, info: quiet, warn: quiet, error: quiet }, redactor),
    store: { get: async () => data, set: async (next) => void (data = next) },
    ctx: { botId: 'bot_conformance', integrationId: 'int_conformance', webhookId: 'wh_conformance' },
  })
}

const alice: FakeAgent = { id: 'agent-alice', name: 'Alice Agent', pictureUrl: 'https://example.com/alice.png' }
const bob: FakeAgent = { id: 'agent-bob', name: 'Bob Agent' }

const IMG = 'https://example.com/cat.png'

export const runConformance = (makeFake: () => FakeProvider) => {
  describe(`conformance: ${makeFake().name}`, () => {
    const fake = makeFake()
    const rig = useFakeRig(fake, { reset: true, strict: true })

    const openSession = async (history: unknown[] = []) => {
      const { userId } = await rig.driver.callAction('createUser', { name: 'Jane Doe', email: 'Jane.Doe@Example.com' })
      const { conversationId } = await rig.driver.callAction('startHitl', {
        userId,
        title: 'Refund request',
        description: 'Wants a refund for order 42',
        messageHistory: history,
      })
      const conversation = rig.conversation(conversationId)
      return { userId, conversationId, sessionId: conversation.tags.externalId as string }
    }

    it('registers with a complete configuration', async () => {
      await expect(rig.driver.register()).resolves.toBeUndefined()
    })

    it('registering twice is idempotent: nothing is created twice', async () => {
      expect(fake.registrations).toBeDefined()
      await rig.driver.register()
      const once = fake.registrations!()
      await rig.driver.register()
      expect(fake.registrations!()).toBe(once)
    })

    it('unregister removes what register created (and register works again after)', async () => {
      await rig.driver.register()
      await rig.driver.unregister()
      expect(fake.registrations!()).toBe(0)
      await rig.driver.register()
    })

    it('describeAgent (where the adapter has it) names an agent the provider knows', async () => {
      const adapter = adapterOf(fake)
      if (!adapter.describeAgent) {
        expect(fake.knownAgent).toBeUndefined()
        return
      }
      expect(fake.knownAgent).toBeDefined()
      const known = fake.knownAgent!()
      const described = await adapter.describeAgent(known.id)
      expect(described.id).toBe(known.id)
      expect(described.name).toBe(known.name)
      if (known.pictureUrl) expect(described.pictureUrl).toBe(known.pictureUrl)
    })

    it('refuses to register when the section misses fields, naming each', async () => {
      const config = fake.configuration()
      const section = config[fake.name] as Record<string, unknown>
      const shape = (providers as Record<string, { configSchema: any }>)[fake.name]!.configSchema.shape as Record<string, any>
      const required = Object.keys(shape).filter((k) => !shape[k].isOptional())
      expect(required.length).toBeGreaterThan(0)
      const partial = { ...config, [fake.name]: Object.fromEntries(Object.entries(section).filter(([k]) => k !== required[0])) }
      rig.driver.setConfiguration(partial)
      try {
        await expect(rig.driver.register()).rejects.toThrow(new RegExp(`missing ${fake.name}\\.${required[0]}`))
        rig.driver.setConfiguration({ provider: fake.name })
        await expect(rig.driver.register()).rejects.toThrow(/incomplete/)
      } finally {
        rig.driver.setConfiguration(config)
      }
    })

    it('createUser links a Botpress user to a provider contact (email lower-cased)', async () => {
      const { userId } = await rig.driver.callAction('createUser', { name: 'Jane Doe', email: 'Jane.Doe@Example.com' })
      const user = rig.user(userId)
      expect(user.name).toBe('Jane Doe')
      expect(user.tags).toMatchObject({ provider: fake.name, kind: 'end-user' })
      const contact = fake.contacts().find((c) => c.id === user.tags.externalId)
      expect(contact).toBeDefined()
      expect(contact!.name).toBe('Jane Doe')
      expect(contact!.email).toBe('jane.doe@example.com')
    })

    it('createUser never hands the plugin placeholder address to the provider', async () => {
      const { userId } = await rig.driver.callAction('createUser', {
        name: 'Anon',
        email: 'user_01@no-reply.bot_123.botpress.com',
      })
      const contact = fake.contacts().find((c) => c.id === rig.user(userId).tags.externalId)
      expect(contact).toBeDefined()
      expect(contact!.email ?? '').not.toMatch(/no-reply/)
    })

    it('startHitl opens a provider session carrying title, description and a readable transcript', async () => {
      const { userId } = await rig.driver.callAction('createUser', { name: 'Jane Doe', email: 'jane@example.com' })
      const history = [
        { source: { type: 'bot' }, type: 'text', payload: { text: 'Hi! How can I help?' } },
        { source: { type: 'user', userId }, type: 'text', payload: { text: 'I want a refund' } },
        { source: { type: 'bot' }, type: 'choice', payload: { text: 'Pick one', options: [{ label: 'Yes', value: 'y' }, { label: 'No', value: 'n' }] } },
        { source: { type: 'user', userId }, type: 'image', payload: { imageUrl: IMG } },
        { source: { type: 'bot' }, type: 'card', payload: { title: 'Order 42', actions: [] } },
      ]
      const { conversationId } = await rig.driver.callAction('startHitl', {
        userId,
        title: 'Refund request',
        description: 'Order 42',
        messageHistory: history,
      })
      const conversation = rig.conversation(conversationId)
      expect(conversation.channel).toBe('hitl')
      expect(conversation.tags).toMatchObject({ provider: fake.name, status: 'open' })
      const session = fake.sessions().find((s) => s.id === conversation.tags.externalId)
      expect(session).toBeDefined()
      expect(session!.contactId).toBe(rig.user(userId).tags.externalId)
      for (const expected of ['Refund request', 'Order 42', 'Hi! How can I help?', 'Jane Doe', 'I want a refund', '1. Yes', IMG]) {
        expect(session!.openingText).toContain(expected)
      }
      expect(session!.openingText).not.toMatch(/undefined|\[object Object\]/)
    })

    it('startHitl without title, description or history still opens a clean session', async () => {
      const { userId } = await rig.driver.callAction('createUser', { name: 'Jane Doe' })
      const { conversationId } = await rig.driver.callAction('startHitl', { userId, messageHistory: [] })
      const session = fake.sessions().find((s) => s.id === rig.conversation(conversationId).tags.externalId)
      expect(session).toBeDefined()
      expect(session!.openingText).not.toMatch(/undefined|null/)
    })

    it('startHitl refuses a user that createUser did not make', async () => {
      await expect(rig.driver.callAction('startHitl', { userId: 'user_00000000000000000000000000', messageHistory: [] })).rejects.toThrow(
        /createUser/
      )
      expect(fake.sessions()).toHaveLength(0)
    })

    describe('user → agent', () => {
      const cases: Array<[string, Record<string, unknown>, { kind: string; url?: string; text?: string; title?: string }]> = [
        ['text', { text: 'Hello agent' }, { kind: 'text', text: 'Hello agent' }],
        ['image', { imageUrl: IMG, title: 'My cat' }, { kind: 'image', url: IMG, title: 'My cat' }],
        ['audio', { audioUrl: 'https://example.com/a.mp3' }, { kind: 'audio', url: 'https://example.com/a.mp3' }],
        ['video', { videoUrl: 'https://example.com/v.mp4', title: 'Clip' }, { kind: 'video', url: 'https://example.com/v.mp4', title: 'Clip' }],
        ['file', { fileUrl: 'https://example.com/f.pdf', title: 'Invoice.pdf' }, { kind: 'file', url: 'https://example.com/f.pdf', title: 'Invoice.pdf' }],
      ]
      it.each(cases)('%s reaches the agent from the end user', async (type, payload, expected) => {
        const { userId, conversationId, sessionId } = await openSession()
        await rig.driver.sendMessage({ conversationId, type, payload: { ...payload, userId } })
        const received = fake.received(sessionId)
        expect(received).toHaveLength(1)
        const [got] = received
        expect(got!.author).toBe('user')
        expect(got!.contactId).toBe(rig.user(userId).tags.externalId)
        if (expected.kind === 'text') expect(got).toMatchObject(expected)
        else {
          // Providers that cannot carry the type natively degrade it to a link, never drop it.
          const carried = got!.url ?? got!.text ?? ''
          expect(carried).toContain(expected.url!)
          // The name the user gave travels too, as the file's title or in the text beside (or instead of) it.
          expect(`${got!.title ?? ''} ${got!.text ?? ''}`).toContain(expected.title ?? '')
        }
      })

      it('a bloc arrives item by item, in order', async () => {
        const { userId, conversationId, sessionId } = await openSession()
        await rig.driver.sendMessage({
          conversationId,
          type: 'bloc',
          payload: {
            userId,
            items: [
              { type: 'text', payload: { text: 'first' } },
              { type: 'image', payload: { imageUrl: IMG } },
              { type: 'text', payload: { text: 'third' } },
            ],
          },
        })
        // Three messages, not one joined text (each item keeps its own type and its own idempotency key: a desk that
        // deduplicates on the key would otherwise keep only the first).
        const received = fake.received(sessionId)
        expect(received).toHaveLength(3)
        expect(received[0]!.text).toContain('first')
        expect(`${received[1]!.url ?? ''} ${received[1]!.text ?? ''}`).toContain(IMG)
        expect(received[2]!.text).toContain('third')
        expect(received.map((m) => m.author)).toEqual(['user', 'user', 'user'])
      })

      it('a plugin notice without payload.userId shows as the bot, not as the user', async () => {
        const { conversationId, sessionId } = await openSession()
        await rig.driver.sendMessage({ conversationId, type: 'text', payload: { text: 'The user ended the session' } })
        const [got] = fake.received(sessionId)
        expect(got).toBeDefined()
        expect(got!.author).toBe('bot')
        expect(got!.text).toContain('The user ended the session')
      })
    })

    describe('agent → user', () => {
      const deliver = async (req: Promise<unknown> | unknown) => rig.webhook(await (req as any))

      it.each([
        ['text', { type: 'text', text: 'Hello from Alice' }, { text: 'Hello from Alice' }],
        ['image', { type: 'image', url: IMG }, { imageUrl: IMG }],
        ['file', { type: 'file', url: 'https://example.com/doc.pdf', title: 'doc.pdf' }, { fileUrl: 'https://example.com/doc.pdf' }],
      ] as const)('%s is posted in the session as the agent', async (type, message, payload) => {
        const { conversationId, sessionId, userId } = await openSession()
        const res = await deliver(fake.agentMessage(sessionId, alice, message as any))
        expect(res.status).toBe(200)
        const messages = rig.messagesOf(conversationId).filter((m) => m.userId !== rig.botUserId)
        expect(messages).toHaveLength(1)
        expect(messages[0]!.type).toBe(type)
        expect(messages[0]!.payload).toMatchObject(payload)
        const agentUser = rig.user(messages[0]!.userId)
        expect(agentUser.id).not.toBe(userId)
        expect(agentUser.name).toBe(alice.name)
        expect(agentUser.tags).toMatchObject({ kind: 'agent', provider: fake.name })
      })

      it('a redelivered message creates nothing new', async () => {
        const { conversationId, sessionId } = await openSession()
        const req = await fake.agentMessage(sessionId, alice, { type: 'text', text: 'once' }, { messageId: 'm-1' })
        expect((await rig.webhook(req)).status).toBe(200)
        expect((await rig.webhook(req)).status).toBe(200)
        expect(rig.messagesOf(conversationId).filter((m) => m.userId !== rig.botUserId)).toHaveLength(1)
      })

      it('assignment emits hitlAssigned with the agent, never the end user; reassignment emits it again', async () => {
        const { conversationId, sessionId, userId } = await openSession()
        expect((await deliver(fake.agentAssigned(sessionId, alice))).status).toBe(200)
        expect((await deliver(fake.agentAssigned(sessionId, alice))).status).toBe(200)
        let events = rig.events('hitlAssigned')
        expect(events).toHaveLength(1)
        expect(events[0]!.payload.conversationId).toBe(conversationId)
        expect(events[0]!.payload.userId).not.toBe(userId)
        expect(rig.user(events[0]!.payload.userId).name).toBe(alice.name)
        expect((await deliver(fake.agentAssigned(sessionId, bob))).status).toBe(200)
        events = rig.events('hitlAssigned')
        expect(events).toHaveLength(2)
        expect(rig.user(events[1]!.payload.userId).name).toBe(bob.name)
      })

      it('closing on the provider emits hitlStopped once', async () => {
        const { conversationId, sessionId } = await openSession()
        const req = await fake.sessionClosed(sessionId)
        expect((await rig.webhook(req)).status).toBe(200)
        expect((await rig.webhook(req)).status).toBe(200)
        const events = rig.events('hitlStopped')
        expect(events).toHaveLength(1)
        expect(events[0]!.payload).toEqual({ conversationId })
      })

      it('events of a session Botpress never started are ignored (200, nothing created)', async () => {
        await openSession()
        const before = rig.writeCount()
        const res = await deliver(fake.agentMessage('no-such-session-999', alice, { type: 'text', text: 'hi' }))
        expect(res.status).toBe(200)
        const res2 = await deliver(fake.sessionClosed('no-such-session-999'))
        expect(res2.status).toBe(200)
        expect(rig.writeCount()).toBe(before)
        expect(rig.events('hitlStopped')).toHaveLength(0)
      })

      it('every inbound event delivered 3 times concurrently yields exactly one message / one event', async () => {
        const { conversationId, sessionId } = await openSession()
        const burst = async (req: any) => {
          const results = await Promise.all([1, 2, 3].map(() => rig.webhook(req)))
          expect(results.map((r) => r.status)).toEqual([200, 200, 200])
        }
        await burst(await fake.agentMessage(sessionId, alice, { type: 'text', text: 'dup?' }, { messageId: 'dup-1' }))
        await burst(await fake.agentAssigned(sessionId, alice))
        await burst(await fake.sessionClosed(sessionId))
        expect(rig.messagesOf(conversationId).filter((m) => m.userId !== rig.botUserId)).toHaveLength(1)
        expect(rig.events('hitlAssigned')).toHaveLength(1)
        expect(rig.events('hitlStopped')).toHaveLength(1)
      })

      it.each([
        ['message', 'getOrCreateMessage'],
        ['assignment', 'createEvent'],
        ['close', 'createEvent'],
      ] as const)('a Botpress failure while applying a %s answers 5xx; the redelivery applies it exactly once', async (what, operation) => {
        const { conversationId, sessionId } = await openSession()
        const req =
          what === 'message'
            ? await fake.agentMessage(sessionId, alice, { type: 'text', text: 'retry me' }, { messageId: 'r-1' })
            : what === 'assignment'
              ? await fake.agentAssigned(sessionId, alice)
              : await fake.sessionClosed(sessionId)
        rig.emulator.failNext(operation, { status: 503, count: 1 })
        expect((await rig.webhook(req)).status).toBeGreaterThanOrEqual(500)
        expect((await rig.webhook(req)).status).toBe(200)
        expect((await rig.webhook(req)).status).toBe(200)
        if (what === 'message') expect(rig.messagesOf(conversationId).filter((m) => m.userId !== rig.botUserId)).toHaveLength(1)
        else expect(rig.events(what === 'assignment' ? 'hitlAssigned' : 'hitlStopped')).toHaveLength(1)
      })

      it('forged or missing authenticity proof → 401 and no side effect', async () => {
        const { sessionId } = await openSession()
        const req = await fake.agentMessage(sessionId, alice, { type: 'text', text: 'evil' })
        const before = rig.requestCount()
        const providerBefore = fake.requestCount()
        expect((await rig.webhook(fake.forged(req))).status).toBe(401)
        expect((await rig.webhook(fake.unsigned(req))).status).toBe(401)
        expect(rig.requestCount()).toBe(before)
        expect(fake.requestCount()).toBe(providerBefore)
      })
    })

    it('stopHitl closes the provider session, once', async () => {
      const { conversationId, sessionId } = await openSession()
      await rig.driver.callAction('stopHitl', { conversationId })
      expect(fake.sessions().find((s) => s.id === sessionId)!.closed).toBe(true)
      await expect(rig.driver.callAction('stopHitl', { conversationId })).resolves.toEqual({})
      expect(rig.conversation(conversationId).tags.status).toBe('closed')
    })
  })
}
