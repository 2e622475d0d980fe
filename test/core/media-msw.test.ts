/**
 * Provider tests mock media hosts with msw (in-process interception of node's http/https) and nothing resolves in the
 * sandbox: allow-listed hosts skip the fetcher's own address check and reach msw; other hosts are still refused.
 */
import { http, HttpResponse } from 'msw'
import { setupServer } from 'msw/node'
import { createMediaFetcher, fetchMedia, MEDIA_ALLOW_HOSTS_ENV } from '../../src/core/media'

const hits: string[] = []
const server = setupServer(
  http.get('https://example.com/*', ({ request }) => {
    hits.push(request.url)
    return new HttpResponse(Buffer.from('cat'), { headers: { 'content-type': 'image/png' } })
  }),
  http.get('https://internal.example.net/*', ({ request }) => {
    hits.push(request.url)
    return HttpResponse.text('internal')
  })
)
const ORIGINAL = process.env[MEDIA_ALLOW_HOSTS_ENV]
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }))
afterAll(() => {
  server.close()
  if (ORIGINAL === undefined) delete process.env[MEDIA_ALLOW_HOSTS_ENV]
  else process.env[MEDIA_ALLOW_HOSTS_ENV] = ORIGINAL
})
beforeEach(() => (hits.length = 0))

it('test/support/setup.ts allow-lists the media hosts the provider fakes serve', () => {
  expect(ORIGINAL?.split(',')).toEqual(expect.arrayContaining(['example.com', 'media.test']))
})

it('an allow-listed host is served by msw', async () => {
  process.env[MEDIA_ALLOW_HOSTS_ENV] = 'example.com'
  const result = await fetchMedia('https://example.com/cat.png?sig=1', { maxBytes: 1000 })
  expect(result).toEqual({ ok: true, body: Buffer.from('cat'), contentType: 'image/png', fileName: 'cat.png' })
  expect(hits).toEqual(['https://example.com/cat.png?sig=1'])
})

it('a host that is not allow-listed is checked (here it resolves privately) and never requested', async () => {
  process.env[MEDIA_ALLOW_HOSTS_ENV] = 'example.com'
  const fetcher = createMediaFetcher({ lookup: async () => [{ address: '10.0.0.7', family: 4 }] })
  const result = await fetcher('https://internal.example.net/x.png', { maxBytes: 1000 })
  expect(result).toEqual({ ok: false, reason: 'https://internal.example.net/x.png refused: resolves to a private address', transient: false })
  expect(hits).toEqual([])
})
