import { http, HttpResponse } from 'msw'
import { setupServer } from 'msw/node'
import { createHttpClientFactory, type HttpSettings } from '../../src/core/http'
import { ProviderError } from '../../src/core/errors'
import { Redactor } from '../../src/core/log'

const BASE = 'https://provider.test/api'
const fast: HttpSettings = { retries: 3, backoffMs: 5, backoffLimitMs: 20, maxRetryAfterMs: 2_000, timeoutMs: 300 }
const server = setupServer()
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }))
afterEach(() => server.resetHandlers())
afterAll(() => server.close())

const SECRET = 'sk_live_super_secret_value'
const make = (settings = fast) =>
  createHttpClientFactory(new Redactor([SECRET]), settings)({
    provider: 'Acme Desk',
    baseUrl: BASE,
    headers: { authorization: `Bearer ${SECRET}` },
    describeError: (body: any) => body?.message,
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
  })

  it('never retries a non-idempotent POST after a 5xx (the provider may have processed it)', async () => {
    const c = counter()
    server.use(http.post(`${BASE}/messages`, ({ request }) => (c.hit(request), new HttpResponse(null, { status: 502 }))))
    await expect(make().request({ method: 'POST', path: 'messages', json: { text: 'hi' } })).rejects.toThrow(/502/)
    expect(c.calls).toHaveLength(1)
  })

  it('retries a POST on 429 honouring Retry-After, then succeeds', async () => {
    const c = counter()
    const at: number[] = []
    server.use(
      http.post(`${BASE}/messages`, ({ request }) => {
        c.hit(request)
        at.push(Date.now())
        return c.calls.length === 1
          ? HttpResponse.json({ message: 'slow down' }, { status: 429, headers: { 'retry-after': '1' } })
          : HttpResponse.json({ id: 'm1' })
      })
    )
    const res = await make().request<{ id: string }>({ method: 'POST', path: 'messages', json: {} })
    expect(res.body.id).toBe('m1')
    expect(c.calls).toHaveLength(2)
    expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(900)
  })

  it('does not wait for a Retry-After beyond the cap: fails at once with the status', async () => {
    const c = counter()
    server.use(http.get(`${BASE}/x`, ({ request }) => (c.hit(request), new HttpResponse(null, { status: 429, headers: { 'retry-after': '3600' } }))))
    await expect(make().request({ path: 'x' })).rejects.toThrow(/answered 429/)
    expect(c.calls).toHaveLength(1)
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
    const client = createHttpClientFactory(new Redactor([]), fast)({ provider: 'Acme Desk', baseUrl: 'http://127.0.0.1:1' })
    server.use(http.get('http://127.0.0.1:1/*', () => HttpResponse.error()))
    const error = await client.request({ path: 'ping' }).catch((e) => e)
    expect(error).toBeInstanceOf(ProviderError)
    expect(error.message).toMatch(/^Acme Desk could not be reached .* on GET \/ping after \d attempt/)
  })

  it('times out a slow provider and says so', async () => {
    server.use(http.get(`${BASE}/slow`, async () => (await new Promise((r) => setTimeout(r, 1_000)), HttpResponse.json({}))))
    const client = make({ ...fast, retries: 0, timeoutMs: 100 })
    await expect(client.request({ path: 'slow' })).rejects.toThrow(/Acme Desk timed out on GET \/slow/)
  })
})
