import { http, HttpResponse } from 'msw'
import { setupServer } from 'msw/node'
import { createHttpClientFactory, httpSettingsFromEnv, type HttpClientOptions, type HttpSettings, type RateLimitInfo } from '../../src/core/http'
import { ProviderError } from '../../src/core/errors'
import { Redactor } from '../../src/core/log'
import { virtualClock, type VirtualClock } from '../reliability/clock'

const BASE = 'https://provider.test/api'
let clock: VirtualClock
beforeEach(() => {
  clock = virtualClock()
})
// Every delay goes through the virtual clock: these tests never sleep.
const settings = (): HttpSettings => ({ retries: 3, backoffMs: 5, backoffLimitMs: 20, maxRetryAfterMs: 20_000, timeoutMs: 300, rateLimitBudgetMs: 25_000, clock })
const server = setupServer()
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }))
afterEach(() => server.resetHandlers())
afterAll(() => server.close())

const SECRET = 'sk_live_super_secret_value'
const make = (overrides: Partial<HttpSettings> = {}, options: Partial<HttpClientOptions> = {}) =>
  createHttpClientFactory(new Redactor([SECRET]), { ...settings(), ...overrides })({
    provider: 'Acme Desk',
    baseUrl: BASE,
    headers: { authorization: `Bearer ${SECRET}` },
    describeError: (body: any) => body?.message,
    ...options,
  })

const counter = () => {
  const calls: string[] = []
  return { calls, hit: (req: Request) => calls.push(`${req.method} ${new URL(req.url).pathname}`) }
}

describe('shared HTTP client', () => {
  it('returns JSON bodies and sends the configured headers', async () => {
    server.use(
      http.get(`${BASE}/me`, ({ request }) => HttpResponse.json({ auth: request.headers.get('authorization') }))
    )
    const res = await make().request<{ auth: string }>({ path: 'me' })
    expect(res.status).toBe(200)
    expect(res.body.auth).toBe(`Bearer ${SECRET}`)
  })

  it('retries an idempotent request on 503 with bounded attempts, then names provider, operation and status', async () => {
    const c = counter()
    server.use(http.get(`${BASE}/things`, ({ request }) => (c.hit(request), HttpResponse.json({ message: 'down' }, { status: 503 }))))
    const error = await make().request({ path: 'things', operation: 'list things' }).catch((e) => e)
    expect(error).toBeInstanceOf(ProviderError)
    expect(error.message).toBe('Acme Desk answered 503 Service Unavailable on list things after 4 attempts: down')
    expect(c.calls).toHaveLength(4)
    // Exponential backoff (5, 10, 20 ms + jitter), on the clock.
    expect(clock.waits).toHaveLength(3)
    expect(clock.waits[2]!).toBeGreaterThanOrEqual(20)
  })

  it('never retries a non-idempotent POST after a 5xx (the provider may have processed it)', async () => {
    const c = counter()
    server.use(http.post(`${BASE}/messages`, ({ request }) => (c.hit(request), new HttpResponse(null, { status: 502 }))))
    await expect(make().request({ method: 'POST', path: 'messages', json: { text: 'hi' } })).rejects.toThrow(/502/)
    expect(c.calls).toHaveLength(1)
  })

  it('retries a POST on 429 honouring Retry-After (waited on the clock, not for real), then succeeds', async () => {
    const c = counter()
    const at: number[] = []
    server.use(
      http.post(`${BASE}/messages`, ({ request }) => {
        c.hit(request)
        at.push(clock.now())
        return c.calls.length === 1
          ? HttpResponse.json({ message: 'slow down' }, { status: 429, headers: { 'retry-after': '1' } })
          : HttpResponse.json({ id: 'm1' })
      })
    )
    const res = await make().request<{ id: string }>({ method: 'POST', path: 'messages', json: {} })
    expect(res.body.id).toBe('m1')
    expect(c.calls).toHaveLength(2)
    expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(1_000)
    expect(at[1]! - at[0]!).toBeLessThan(1_300)
  })

  it('does not wait for a Retry-After beyond the cap: fails at once with the status', async () => {
    const c = counter()
    server.use(http.get(`${BASE}/x`, ({ request }) => (c.hit(request), new HttpResponse(null, { status: 429, headers: { 'retry-after': '3600' } }))))
    const error = await make().request({ path: 'x' }).catch((e) => e)
    expect(error.message).toMatch(/answered 429/)
    expect(error.message).toContain(new Date(clock.now() + 3_600_000).toISOString())
    expect(c.calls).toHaveLength(1)
    expect(clock.waits).toEqual([])
  })

  it('retries an idempotent-marked POST (a search) on 500', async () => {
    const c = counter()
    server.use(
      http.post(`${BASE}/search`, ({ request }) =>
        (c.hit(request), c.calls.length < 3 ? new HttpResponse(null, { status: 500 }) : HttpResponse.json({ hits: 1 }))
      )
    )
    const res = await make().request<{ hits: number }>({ method: 'POST', path: 'search', json: {}, idempotent: true })
    expect(res.body.hits).toBe(1)
    expect(c.calls).toHaveLength(3)
  })

  it('accepts statuses the caller expects as answers, with the decoded body', async () => {
    server.use(http.post(`${BASE}/contacts`, () => HttpResponse.json({ errors: [{ code: 'conflict' }] }, { status: 409 })))
    const res = await make().request<any>({ method: 'POST', path: 'contacts', json: {}, okStatuses: [409] })
    expect(res.status).toBe(409)
    expect(res.body.errors[0].code).toBe('conflict')
  })

  it('does not retry a 401 and never leaks the secret, even when the provider echoes it', async () => {
    const c = counter()
    server.use(
      http.get(`${BASE}/me`, ({ request }) => (c.hit(request), HttpResponse.json({ message: `bad token ${SECRET}` }, { status: 401 })))
    )
    const error = await make().request({ path: 'me', searchParams: { hapikey: SECRET } }).catch((e) => e)
    expect(c.calls).toHaveLength(1)
    expect(error.message).toContain('401')
    expect(error.message).not.toContain(SECRET)
    expect(error.message).toContain('[redacted]')
  })

  it('reports an unreachable provider clearly, after bounded retries', async () => {
    const client = createHttpClientFactory(new Redactor([]), settings())({ provider: 'Acme Desk', baseUrl: 'http://127.0.0.1:1' })
    server.use(http.get('http://127.0.0.1:1/*', () => HttpResponse.error()))
    const error = await client.request({ path: 'ping' }).catch((e) => e)
    expect(error).toBeInstanceOf(ProviderError)
    expect(error.message).toMatch(/^Acme Desk could not be reached .* on GET \/ping after \d attempt/)
  })

  it('times out a slow provider and says so', async () => {
    server.use(http.get(`${BASE}/slow`, async () => (await new Promise((r) => setTimeout(r, 500)), HttpResponse.json({}))))
    const client = make({ retries: 0, timeoutMs: 100 })
    await expect(client.request({ path: 'slow' })).rejects.toThrow(/Acme Desk timed out on GET \/slow/)
  })
})

describe('rate limits (issue 14): waited out as the provider says, within one budget per request', () => {
  /** A provider whose hook reads `x-test-reset` (epoch ms) and `x-test-exhausted`, like the providers' hooks do. */
  const hook = (answer: { headers: Record<string, string | string[] | undefined> }): RateLimitInfo | undefined => {
    const reset = Number(answer.headers['x-test-reset'])
    return { resetAt: Number.isFinite(reset) ? reset : undefined, exhausted: answer.headers['x-test-exhausted'] === 'yes', limit: 'TEST_WINDOW' }
  }
  const limited = (resetInMs: number, count: number, extra: Record<string, string> = {}) => {
    const c = counter()
    server.use(
      http.post(`${BASE}/messages`, ({ request }) => {
        c.hit(request)
        return c.calls.length <= count
          ? HttpResponse.json({ message: 'rate limited' }, { status: 429, headers: { 'x-test-reset': String(clock.now() + resetInMs), ...extra } })
          : HttpResponse.json({ id: 'm1' })
      })
    )
    return c
  }
  const post = (overrides: Partial<HttpSettings> = {}) =>
    make(overrides, { rateLimit: hook }).request<{ id: string }>({ method: 'POST', path: 'messages', json: { text: 'hi' }, operation: 'post message' })

  it('a POST answered 429 is repeated once the window clears (reset + a little jitter), and posted exactly once', async () => {
    const c = limited(8_000, 1)
    const res = await post()
    expect(res.body.id).toBe('m1')
    expect(c.calls).toEqual(['POST /api/messages', 'POST /api/messages'])
    expect(clock.waits).toHaveLength(1)
    expect(clock.waits[0]!).toBeGreaterThanOrEqual(8_000)
    expect(clock.waits[0]!).toBeLessThan(8_250)
  })

  it('a reset beyond the budget fails at once, naming the provider, the limit and when it resets', async () => {
    const c = limited(60_000, 99)
    const resetAt = new Date(clock.now() + 60_000).toISOString()
    const error = await post().catch((e) => e)
    expect(error).toBeInstanceOf(ProviderError)
    expect(error.message).toContain('Acme Desk answered 429')
    expect(error.message).toContain('post message')
    expect(error.message).toContain('TEST_WINDOW')
    expect(error.message).toContain(`resets at ${resetAt}`)
    expect(error.details).toMatchObject({ provider: 'Acme Desk', status: 429, attempts: 1 })
    expect(c.calls).toHaveLength(1)
    expect(clock.waits).toEqual([])
  })

  it('an exhausted quota (a daily limit) is not retried, even when its reset is near', async () => {
    const c = limited(1_000, 99, { 'x-test-exhausted': 'yes' })
    const error = await post().catch((e) => e)
    expect(error.message).toMatch(/Acme Desk rate limit TEST_WINDOW: quota exhausted, it resets at .*; not retried/)
    expect(c.calls).toHaveLength(1)
    expect(clock.waits).toEqual([])
  })

  it('all waits of one request share the budget: a third 10 s window does not fit in 25 s', async () => {
    const c = limited(10_000, 99)
    const error = await post().catch((e) => e)
    expect(c.calls).toHaveLength(3)
    expect(clock.waits).toHaveLength(2)
    expect(clock.waited()).toBeGreaterThanOrEqual(20_000)
    expect(error.message).toMatch(/beyond the \d+ s this request may still wait after waiting 2\d s/)
  })

  it('Retry-After, when given, wins over the reset the hook read', async () => {
    const c = limited(20_000, 1, { 'retry-after': '2' })
    await expect(post()).resolves.toMatchObject({ status: 200 })
    expect(c.calls).toHaveLength(2)
    expect(clock.waited()).toBeGreaterThanOrEqual(2_000)
    expect(clock.waited()).toBeLessThan(2_300)
  })

  it('an absurd reset (hostile or broken header) fails cleanly, never with a RangeError', async () => {
    const c = limited(0, 1, { 'x-test-reset': '9'.repeat(40) })
    const error = await post().catch((e) => e)
    expect(error).toBeInstanceOf(ProviderError)
    expect(error.message).toContain('resets at an unknown time')
    expect(c.calls).toHaveLength(1)
  })

  it('the budget is a setting: a smaller one fails a reset the default would wait for', async () => {
    const c = limited(8_000, 1)
    await expect(post({ rateLimitBudgetMs: 5_000 })).rejects.toThrow(/Acme Desk rate limit TEST_WINDOW reached: it resets at/)
    expect(c.calls).toHaveLength(1)
  })

  it('without a hook, Retry-After as an HTTP-date is honoured too', async () => {
    const c = counter()
    server.use(
      http.post(`${BASE}/messages`, ({ request }) => {
        c.hit(request)
        return c.calls.length === 1
          ? new HttpResponse(null, { status: 429, headers: { 'retry-after': new Date(clock.now() + 4_000).toUTCString() } })
          : HttpResponse.json({ id: 'm1' })
      })
    )
    await expect(make().request({ method: 'POST', path: 'messages', json: {} })).resolves.toMatchObject({ status: 200 })
    expect(c.calls).toHaveLength(2)
    expect(clock.waited()).toBeGreaterThanOrEqual(3_000)
    expect(clock.waited()).toBeLessThan(4_300)
  })

  it('a 429 that says nothing is retried with a backoff from 1 s, doubling, within the budget, then fails clearly', async () => {
    const c = counter()
    server.use(http.post(`${BASE}/messages`, ({ request }) => (c.hit(request), new HttpResponse(null, { status: 429 }))))
    const error = await make().request({ method: 'POST', path: 'messages', json: {} }).catch((e) => e)
    expect(error.message).toMatch(/^Acme Desk answered 429 Too Many Requests on POST \/messages after 6 attempts .*the provider did not say when it resets/)
    // 1 + 2 + 4 + 8 + 8 s (+ jitter) waited; the next 8 s would pass the 25 s budget.
    expect(c.calls).toHaveLength(6)
    expect(clock.waits.map((w) => Math.floor(w / 1000))).toEqual([1, 2, 4, 8, 8])
    expect(clock.waited()).toBeLessThanOrEqual(25_000)
  })

  it('HITL_HTTP_RETRIES=0 turns rate-limit retries off too', async () => {
    const c = counter()
    server.use(http.post(`${BASE}/messages`, ({ request }) => (c.hit(request), new HttpResponse(null, { status: 429, headers: { 'retry-after': '1' } }))))
    await expect(make({ retries: 0 }).request({ method: 'POST', path: 'messages', json: {} })).rejects.toThrow(/answered 429/)
    expect(c.calls).toHaveLength(1)
  })

  it('HITL_HTTP_RATE_LIMIT_BUDGET_MS sets the budget (default 25 s)', () => {
    expect(httpSettingsFromEnv().rateLimitBudgetMs).toBe(25_000)
    process.env.HITL_HTTP_RATE_LIMIT_BUDGET_MS = '40000'
    try {
      expect(httpSettingsFromEnv()).toMatchObject({ rateLimitBudgetMs: 40_000, maxRetryAfterMs: 40_000 })
    } finally {
      delete process.env.HITL_HTTP_RATE_LIMIT_BUDGET_MS
    }
  })
})

describe('pacing: a burst a client makes by itself is spread out, in order', () => {
  it('at most `requests` starts per interval, in call order', async () => {
    const seen: string[] = []
    server.use(
      http.post(`${BASE}/items/:n`, ({ params }) => {
        seen.push(String(params.n))
        return HttpResponse.json({})
      })
    )
    const client = make({}, { pace: { requests: 2, intervalMs: 1_000 } })
    await Promise.all([1, 2, 3, 4, 5].map((n) => client.request({ method: 'POST', path: `items/${n}`, json: {} })))
    expect(seen).toEqual(['1', '2', '3', '4', '5'])
    // Starts at 0, 0, 1 s, 1 s, 2 s: two waits of one second (the third and the fifth request).
    expect(clock.waits).toEqual([1_000, 1_000])
  })

  it('no pace: nothing waits', async () => {
    server.use(http.get(`${BASE}/x`, () => HttpResponse.json({})))
    const client = make()
    await Promise.all([1, 2, 3].map(() => client.request({ path: 'x' })))
    expect(clock.waits).toEqual([])
  })
})
