/**
 * Media the end user names are downloaded only through deps.media (the core's safe fetcher), capped at LiveChat's
 * upload limit (Customer Chat API v3.6 § Upload File, `entity_too_large`: "Upload limit exceeded (10MB)"). A refused or
 * failed download degrades to a titled link (the message is never lost) and the reason is logged without the URL's
 * query string.
 */
import type { MediaFetcher, MediaFetchOptions } from '../../../src/core/media'
import { CDN, LivechatFake } from './fake'
import { harness, openSession } from './harness'

const fake = new LivechatFake()
beforeAll(() => fake.start())
afterAll(() => fake.stop())
beforeEach(() => fake.reset())
afterEach(() => expect(fake.violations()).toEqual([]))

const recording = (answer: Awaited<ReturnType<MediaFetcher>>) => {
  const calls: Array<{ url: string; options: MediaFetchOptions }> = []
  const media: MediaFetcher = async (url, options) => {
    calls.push({ url, options })
    return answer
  }
  return { media, calls }
}

const sendImage = async (media: MediaFetcher, url: string, title?: string) => {
  const h = harness(fake, {}, undefined, { media })
  const { session, contact } = await openSession(h)
  await h.adapter.sendMessage({ session, author: { kind: 'user', contact }, message: { type: 'image', url, ...(title ? { title } : {}) }, botpressMessageId: 'm1' })
  return { h, session }
}

it.each([
  ['refused (a private address)', { ok: false as const, reason: 'the host resolves to a private address', transient: false }],
  ['too large', { ok: false as const, reason: 'larger than 10485760 bytes', transient: false }],
  ['timed out (transient, but no webhook is being applied: degrade)', { ok: false as const, reason: 'timed out after 10000 ms', transient: true }],
])('a download %s → a titled link, the reason logged without the query string', async (_case, answer) => {
  const { media, calls } = recording(answer)
  const url = 'https://media.test/receipt.png?signature=s3cr3t-query'
  const { h, session } = await sendImage(media, url, 'Receipt')
  expect(calls).toEqual([{ url, options: expect.objectContaining({ maxBytes: 10 * 1024 * 1024 }) }])
  expect(fake.received(session.id).pop()).toMatchObject({ author: 'user', kind: 'text', text: `[Image: Receipt] ${url}` })
  const line = h.logs.find((l) => l.includes(answer.reason))
  expect(line).toContain('https://media.test/receipt.png')
  expect(line).not.toContain('s3cr3t-query')
  expect(fake.callsTo('customer', 'upload_file')).toHaveLength(0)
  // The adapter itself never contacted the host.
  expect(fake.requests.filter((r) => r.url.startsWith('https://media.test'))).toEqual([])
})

it('a downloaded file is uploaded to the CDN under the name the fetcher reports when there is no title', async () => {
  const { media } = recording({ ok: true, body: Buffer.from('%PDF-1.4 fake'), contentType: 'application/pdf', fileName: 'statement.pdf' })
  const { session } = await sendImage(media, 'https://media.test/download?id=42')
  const files = fake.lastThread(session.id)!.events.filter((e) => e.type === 'file')
  expect(files.map((f) => [f.name, f.content_type])).toEqual([['statement.pdf', 'application/pdf']])
  expect(files[0]!.url!.startsWith(CDN)).toBe(true)
})

it('an empty download is sent as a link', async () => {
  const { media } = recording({ ok: true, body: Buffer.alloc(0), contentType: 'image/png' })
  const { session } = await sendImage(media, 'https://media.test/empty.png', 'Empty')
  expect(fake.received(session.id).pop()).toMatchObject({ kind: 'text', text: '[Image: Empty] https://media.test/empty.png' })
})
