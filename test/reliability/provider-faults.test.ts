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

// A slow answer is one past this timeout: short, since each timeout case waits it for real (a socket timeout has no
// virtual clock), yet long enough that the fakes (a few ms when idle) answer within it on a busy CI machine: a row must
// not turn into an error by chance. HITL_FAULTS_TIMEOUT_MS raises it on a machine shared by parallel jobs.
process.env.HITL_HTTP_TIMEOUT_MS = process.env.HITL_FAULTS_TIMEOUT_MS ?? '400'

type Fault = { name: string; respond: () => Promise<Response> | Response; count: number }
const FAULTS: Fault[] = [
  { name: '429 with Retry-After', respond: () => HttpResponse.json({ error: 'slow down' }, { status: 429, headers: { 'retry-after': '1' } }), count: 1 },
  { name: '503 burst (×2)', respond: () => HttpResponse.json({ error: 'unavailable' }, { status: 503 }), count: 2 },
  { name: 'connection reset', respond: () => HttpResponse.error(), count: 1 },
  { name: 'slow answer (timeout)', respond: async () => (await delay(3_000), HttpResponse.json({})), count: 1 },
]

type Op = 'createUser' | 'startHitl' | 'message' | 'stopHitl'
const OPS: Op[] = ['createUser', 'startHitl', 'message', 'stopHitl']

/**
 * What each row must show, so that a row fails when the behaviour it reports changes (retries turned off, a post
 * repeated after a 5xx, a failure swallowed…). "retried": the request that failed was sent again and the operation
 * succeeded; "carried on": it succeeded without repeating it (the failure is tolerated); "error": a clear error.
 * For every provider a 429 is retried (it was not processed). Beyond that, per provider, the rows that do not end in an
 * error: those whose failed request is idempotent (a GET, a search, a token refresh, a close). A provider missing here
 * (a new one) fails its rows other than 429, naming what each did: add its entry.
 */
type Outcome = 'retried' | 'carried on' | 'error'
const RETRIED_503_AND_TIMEOUT = (...ops: Op[]) =>
  Object.fromEntries(ops.flatMap((op) => [`${op} · 503 burst (×2)`, `${op} · slow answer (timeout)`].map((row) => [row, 'retried' as const])))
const RECOVERS: Record<string, Readonly<Record<string, Outcome>>> = {
  http: RETRIED_503_AND_TIMEOUT('stopHitl'),
  intercom: RETRIED_503_AND_TIMEOUT('createUser', 'stopHitl'),
  // LiveChat's first request of a close is a read of the chat (get_chat), which the close does without when it fails.
  livechat: { ...RETRIED_503_AND_TIMEOUT('stopHitl'), 'stopHitl · connection reset': 'carried on' },
  hubspot: RETRIED_503_AND_TIMEOUT('createUser', 'startHitl', 'message', 'stopHitl'),
  chatwoot: RETRIED_503_AND_TIMEOUT('createUser', 'stopHitl'),
  // Zendesk: CreateUser is repeatable (a fixed externalId: a stored user answers 409, then found); startHitl's first
  // request reads the app (GetApp); stopHitl's is the release of control.
  zendesk: RETRIED_503_AND_TIMEOUT('createUser', 'startHitl', 'stopHitl'),
  // Freshchat: createUser and startHitl start with reads (the user search; the topic and group lookups); stopHitl's is
  // the resolution (a PUT).
  freshchat: RETRIED_503_AND_TIMEOUT('createUser', 'startHitl', 'stopHitl'),
}
const expectedOutcome = (provider: string, row: string, fault: string): Outcome | undefined => {
  if (fault === '429 with Retry-After') return 'retried'
  if (!Object.prototype.hasOwnProperty.call(RECOVERS, provider)) return undefined
  const rows = RECOVERS[provider]!
  return Object.prototype.hasOwnProperty.call(rows, row) ? rows[row] : 'error'
}
/** How each fault shows in a clear error. */
const ERROR_OF: Record<string, RegExp> = {
  '429 with Retry-After': /answered 429/,
  '503 burst (×2)': /answered 503/,
  'connection reset': /could not be reached/,
  'slow answer (timeout)': /timed out/,
}

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
  /** Provider requests since the fault was injected (`method url`), and which of them got the fault. */
  let seen: Array<{ key: string; faulted: boolean }> = []
  afterEach(() => {
    left = 0
  })

  /** The next `count` requests to the provider (not to the Botpress emulator) get the fault. */
  const inject = (fault: Fault) => {
    left = fault.count
    seen = []
    server.use(
      http.all('*', ({ request }) => {
        const url = new URL(request.url)
        // Returning nothing falls through to the fake's own handlers (or, unhandled, to the real loopback server).
        if (url.port === emulatorPort) return undefined
        seen.push({ key: `${request.method} ${url.origin}${url.pathname}`, faulted: left > 0 })
        if (left <= 0) return undefined
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
    const row = `${op} · ${fault.name}`
    // The fault was served (the operation did reach the provider), and the outcome is the one this row reports.
    const first = seen.findIndex((r) => r.faulted)
    expect(first).toBeGreaterThanOrEqual(0)
    // Retried: each request that got the fault was sent again straight away (the client's retry, not a later call).
    const repeated = seen.every((r, i) => !r.faulted || seen[i + 1]?.key === r.key)
    const observed: Outcome = outcome !== 'ok' ? 'error' : repeated ? 'retried' : 'carried on'
    const expected = expectedOutcome(name, row, fault.name)
    if (expected === undefined) throw new Error(`${name} has no expected outcomes in RECOVERS (test/reliability/provider-faults.test.ts); "${row}" was ${observed}`)
    expect({ row, outcome: observed }).toEqual({ row, outcome: expected })
    if (outcome !== 'ok') {
      expect(outcome.message).toContain(title)
      expect(outcome.message).toMatch(ERROR_OF[fault.name]!)
    }
    if (op === 'message' && ctx.conversationId) {
      const sessionId = rig.conversation(ctx.conversationId).tags.externalId as string
      const copies = fake.received(sessionId).filter((m) => m.text?.includes('only once')).length
      // Once when the operation reported success, never twice, and not at all when it reported an error.
      expect(copies).toBe(outcome === 'ok' ? 1 : 0)
    }
    if (op === 'startHitl') {
      const open = rig.conversations().filter((c) => c.tags.status !== 'closed')
      // One open session when it succeeded; nothing half-open in Botpress when it failed.
      expect(open).toHaveLength(outcome === 'ok' ? 1 : 0)
      if (outcome !== 'ok') {
        // A retry works once the provider is back.
        left = 0
        await expect(run('startHitl', ctx)).resolves.toMatchObject({ conversationId: expect.any(String) })
      }
    }
    expect(elapsed).toBeLessThan(15_000)
    const figure = { retried: 'recovered', 'carried on': 'carried on without it' }
    record(name, 'provider faults', row, outcome === 'ok' ? `${figure[observed as 'retried' | 'carried on']} (${extra} provider requests)` : `clear error: ${outcome.message.slice(0, 90)}`)
  }, 30_000)
})
