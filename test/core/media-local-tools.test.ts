/**
 * `npm start` and the playground keep media working: the playground allow-lists exactly its own host:port while it
 * listens (its sample image reaches the integration's media fetcher), nothing else local, and takes it back on close.
 */
import { fetchMedia, MEDIA_ALLOW_HOSTS_ENV } from '../../src/core/media'
import { allowMediaHost } from '../../dev/playground/media-hosts'
import { startStack } from '../playground/stack'

const ORIGINAL = process.env[MEDIA_ALLOW_HOSTS_ENV]
afterEach(() => {
  if (ORIGINAL === undefined) delete process.env[MEDIA_ALLOW_HOSTS_ENV]
  else process.env[MEDIA_ALLOW_HOSTS_ENV] = ORIGINAL
})

it('allowMediaHost adds one host:port and takes back only what it added', () => {
  process.env[MEDIA_ALLOW_HOSTS_ENV] = 'example.com'
  const undo = allowMediaHost('127.0.0.1:4000')
  expect(process.env[MEDIA_ALLOW_HOSTS_ENV]).toBe('example.com,127.0.0.1:4000')
  const again = allowMediaHost('example.com')
  again()
  undo()
  expect(process.env[MEDIA_ALLOW_HOSTS_ENV]).toBe('example.com')
  delete process.env[MEDIA_ALLOW_HOSTS_ENV]
  allowMediaHost('127.0.0.1:4001')()
  expect(process.env[MEDIA_ALLOW_HOSTS_ENV]).toBeUndefined()
})

it('the playground serves its sample media to the fetcher, and only its own host:port', async () => {
  const stack = await startStack()
  const sample = `${stack.url}/samples/receipt.svg`
  try {
    const hostPort = new URL(stack.url).host
    expect(process.env[MEDIA_ALLOW_HOSTS_ENV]!.split(',')).toEqual([...(ORIGINAL ? ORIGINAL.split(',') : []), hostPort])
    const result = await fetchMedia(sample, { maxBytes: 100_000 })
    expect(result).toMatchObject({ ok: true, contentType: 'image/svg+xml', fileName: 'receipt.svg' })
    // The desk and the emulator on the same machine stay out of reach.
    for (const other of [stack.desk.url, stack.emulator.url]) {
      expect(await fetchMedia(`${other}/`, { maxBytes: 100_000 })).toMatchObject({ ok: false, transient: false, reason: expect.stringContaining('loopback') })
    }
  } finally {
    await stack.close()
  }
  expect(process.env[MEDIA_ALLOW_HOSTS_ENV]).toBe(ORIGINAL)
  expect(await fetchMedia(sample, { maxBytes: 100_000 })).toMatchObject({ ok: false, transient: false })
})
