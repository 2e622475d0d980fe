/**
 * Provider faults on every outbound operation, for every provider: the first provider request of the operation gets
 * a 429 with Retry-After, a 503 burst, a connection reset, or a slow answer past the timeout. Expected: bounded
 * retries where repeating is harmless, never a message posted twice, otherwise a clear error naming the provider and
 * the status; a failed startHitl leaves no half-open session and can be retried.
 */
import { http, HttpResponse, delay } from 'msw'
import { setupServer, type SetupServer } from 'msw/node'
import { setHttpClock } from '../../src/core/http'
import { virtualClock } from './clock'
import { startRig, type Rig } from '../support/rig'
import type { FakeProvider } from '../conformance/fake'
import { providers } from '../../src/providers'
import { eachProvider } from './fakes'
import { record } from './results'

// A slow answer is one past this timeout: short, since each timeout case waits it for real (in-process fakes answer in ms).
process.env.HITL_HTTP_TIMEOUT_MS = '200'

type Fault = { name: string; respond: () => Promise<Response> | Response; count: number }
const FAULTS: Fault[] = [
  { name: '429 with Retry-After', respond: () => HttpResponse.json({ error: 'slow down' }, { status: 429, headers: { 'retry-after': '1' } }), count: 1 },
  { name: '503 burst (×2)', respond: () => HttpResponse.json({ error: 'unavailable' }, { status: 503 }), count: 2 },
  { name: 'connection reset', respond: () => HttpResponse.error(), count: 1 },
  { name: 'slow answer (timeout)', respond: async () => (await delay(1_500), HttpResponse.json({})), count: 1 },
]

type Op = 'createUser' | 'startHitl' | 'message' | 'stopHitl'
const OPS: Op[] = ['createUser', 'startHitl', 'message', 'stopHitl']

eachProvider('provider faults: %s', (name, make) => {
  const fake: FakeProvider = make()
  const title = (providers as Record<string, { title: string }>)[name]!.title
  let rig: Rig
  let own: SetupServer | undefined
  let server: SetupServer
  let emulatorPort: string

  beforeAll(async () => {
    // Retry-After and backoff waits on a virtual clock: the test asserts the behaviour, not the sleeping.
    setHttpClock(virtualClock())
    await fake.start()
    rig = await startRig(fake.configuration())
    emulatorPort = new URL(rig.emulator.url).port
    const existing = (fake as unknown as { server?: SetupServer }).server
    if (existing) server = existing
    else {
      own = setupServer()
      own.listen({ onUnhandledRequest: 'bypass' })
      server = own
    }
  })
  afterAll(async () => {
    setHttpClock()
    own?.close()
    await rig.close()
    await fake.stop()
  })
  beforeEach(() => {
    fake.reset()
    rig.reset()
  })

  let left = 0
  afterEach(() => {
    left = 0
  })

  /** The next `count` requests to the provider (not to the Botpress emulator) get the fault. */
  const inject = (fault: Fault) => {
    left = fault.count
    server.use(
      http.all('*', ({ request }) => {
        const url = new URL(request.url)
        // Returning nothing falls through to the fake's own handlers (or, unhandled, to the real loopback server).
        if (url.port === emulatorPort || left <= 0) return undefined
        left--
        return fault.respond()
      })
    )
  }

  const prepare = async (op: Op) => {
    if (op === 'createUser') return {}
    const { userId } = await rig.driver.callAction('createUser', { name: 'Jane', email: 'jane@example.com' })
    if (op === 'startHitl') return { userId }
    const { conversationId } = await rig.driver.callAction('startHitl', { userId, title: 'Help', messageHistory: [] })
    return { userId, conversationId, sessionId: rig.conversation(conversationId).tags.externalId as string }
  }

  const run = async (op: Op, ctx: { userId?: string; conversationId?: string }) => {
    switch (op) {
      case 'createUser':
        return rig.driver.callAction('createUser', { name: 'Jane', email: 'jane@example.com' })
      case 'startHitl':
        return rig.driver.callAction('startHitl', { userId: ctx.userId, title: 'Help', messageHistory: [] })
      case 'message':
        return rig.driver.sendMessage({ conversationId: ctx.conversationId!, type: 'text', payload: { text: 'only once', userId: ctx.userId } })
      case 'stopHitl':
        return rig.driver.callAction('stopHitl', { conversationId: ctx.conversationId })
    }
  }

  const cases = OPS.flatMap((op) => FAULTS.map((fault) => [op, fault.name, fault] as const))
  it.each(cases)('%s under %s: bounded retries or a clear error, nothing duplicated or left half-done', async (op, _label, fault) => {
    const ctx = await prepare(op)
    const before = fake.requestCount()
    inject(fault)
    const started = Date.now()
    const outcome = await run(op, ctx).then(
      () => 'ok' as const,
      (error: Error) => error
    )
    const elapsed = Date.now() - started
    const extra = fake.requestCount() - before
    if (outcome !== 'ok') {
      expect(outcome.message).toContain(title)
      expect(outcome.message).toMatch(/answered (429|503)|could not be reached|timed out/)
    }
    if (op === 'message' && ctx.conversationId) {
      const sessionId = rig.conversation(ctx.conversationId).tags.externalId as string
      const copies = fake.received(sessionId).filter((m) => m.text?.includes('only once')).length
      // Never twice; when the operation reported success the agent has it.
      expect(copies).toBeLessThanOrEqual(1)
      if (outcome === 'ok') expect(copies).toBe(1)
    }
    if (op === 'startHitl') {
      const open = rig.conversations().filter((c) => c.tags.status !== 'closed')
      if (outcome === 'ok') expect(open).toHaveLength(1)
      else {
        // Nothing half-open in Botpress, and a retry works once the provider is back.
        expect(open).toHaveLength(0)
        left = 0
        await expect(run('startHitl', ctx)).resolves.toMatchObject({ conversationId: expect.any(String) })
      }
    }
    expect(elapsed).toBeLessThan(15_000)
    record(name, 'provider faults', `${op} · ${fault.name}`, outcome === 'ok' ? `recovered (${extra} provider requests)` : `clear error: ${outcome.message.slice(0, 90)}`)
  }, 30_000)
})
