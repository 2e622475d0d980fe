/**
 * The media fetcher against real listeners on loopback: every listener counts the connections it accepted, so each test
 * proves what was and was not contacted, not only what the fetcher answered.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo, Socket } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import type { TLSSocket } from 'node:tls'
import { gzipSync } from 'node:zlib'
import {
  createMediaFetcher,
  describeUrl,
  fetchMedia,
  fileNameFromDisposition,
  MEDIA_ALLOW_HOSTS_ENV,
  refusedAddressReason,
  type LookupAddress,
  type MediaFetchResult,
  type MediaTimers,
} from '../../src/core/media'

type Listener = {
  port: number
  host: string
  url: (path?: string) => string
  /** TCP connections accepted. */
  connections: number
  requests: IncomingMessage[]
  /** Resolves when the n-th accepted socket has closed. */
  socketClosed: (n?: number) => Promise<void>
  close: () => Promise<void>
}

const listeners: Listener[] = []

const listen = async (
  handler: (req: IncomingMessage, res: ServerResponse, l: Listener) => void,
  host = '127.0.0.1',
  port = 0
): Promise<Listener> => {
  const sockets: Socket[] = []
  const closed: Array<Promise<void>> = []
  const server = createServer((req, res) => {
    l.requests.push(req)
    handler(req, res, l)
  })
  server.on('connection', (socket) => {
    l.connections++
    sockets.push(socket)
    closed.push(new Promise((resolve) => socket.on('close', () => resolve())))
  })
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, host, () => resolve()))
  const actual = (server.address() as AddressInfo).port
  const l: Listener = {
    port: actual,
    host,
    url: (path = '/') => `http://${host}:${actual}${path}`,
    connections: 0,
    requests: [],
    socketClosed: async (n = 0) => {
      for (let i = 0; i < 200 && !closed[n]; i++) await new Promise((r) => setImmediate(r))
      await closed[n]
    },
    close: () =>
      new Promise<void>((resolve) => {
        sockets.forEach((s) => s.destroy())
        server.close(() => resolve())
      }),
  }
  listeners.push(l)
  return l
}

const ok = (body: string, headers: Record<string, string> = {}) => (_req: IncomingMessage, res: ServerResponse) => {
  res.writeHead(200, { 'content-type': 'image/png', 'content-length': String(Buffer.byteLength(body)), ...headers })
  res.end(body)
}

/** Timers the test fires by hand: no test waits for a real deadline. */
const manualTimers = () => {
  const pending: Array<() => void> = []
  let armed = 0
  const timers: MediaTimers = {
    setTimeout: (callback) => {
      armed++
      pending.push(callback)
      return pending.length
    },
    clearTimeout: () => undefined,
  }
  return { timers, fire: () => pending.splice(0).forEach((cb) => cb()), armed: () => armed }
}

const noLookup = jest.fn(async (): Promise<LookupAddress[]> => {
  throw new Error('lookup must not be called')
})

const refused = (result: MediaFetchResult) => {
  expect(result.ok).toBe(false)
  if (result.ok) throw new Error('unreachable')
  expect(result.transient).toBe(false)
  return result.reason
}

const ORIGINAL_ALLOW = process.env[MEDIA_ALLOW_HOSTS_ENV]
beforeEach(() => {
  delete process.env[MEDIA_ALLOW_HOSTS_ENV]
  noLookup.mockClear()
})
afterEach(async () => {
  await Promise.all(listeners.splice(0).map((l) => l.close()))
})
afterAll(() => {
  if (ORIGINAL_ALLOW === undefined) delete process.env[MEDIA_ALLOW_HOSTS_ENV]
  else process.env[MEDIA_ALLOW_HOSTS_ENV] = ORIGINAL_ALLOW
})

describe('address policy', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['100.127.255.255', 'carrier-grade NAT'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['240.0.0.1', 'reserved'],
    ['255.255.255.255', 'broadcast'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fc00::1', 'unique-local'],
    ['fd12:3456::1', 'unique-local'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['ff02::1', 'multicast'],
    ['::ffff:127.0.0.1', 'loopback (IPv4-mapped)'],
    ['::ffff:7f00:1', 'loopback (IPv4-mapped)'],
    ['0:0:0:0:0:ffff:a9fe:a9fe', 'link-local (IPv4-mapped)'],
    ['::ffff:10.0.0.1', 'private (IPv4-mapped)'],
    ['::ffff:0:192.168.0.1', 'private (IPv4-translated)'],
    ['::127.0.0.1', 'IPv4-compatible (deprecated)'],
    ['64:ff9b::a9fe:a9fe', 'link-local (NAT64)'],
    ['64:ff9b::127.0.0.1', 'loopback (NAT64)'],
    ['64:ff9b:1::1', 'local-use NAT64'],
    ['2002:7f00:1::', 'loopback (6to4)'],
    ['2002:c0a8:101::1', 'private (6to4)'],
    ['2001:0:4136:e378::1', 'Teredo'],
    ['[::1]', 'loopback'],
    ['localhost', 'not an IP address'],
    ['1.2.3', 'not an IP address'],
  ])('refuses %s (%s)', (address, reason) => {
    expect(refusedAddressReason(address)).toBe(reason)
  })

  it.each(['8.8.8.8', '93.184.215.14', '172.32.0.1', '100.128.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8', '64:ff9b::808:808', '2002:808:808::1'])(
    'lets the public address %s through',
    (address) => {
      expect(refusedAddressReason(address)).toBeUndefined()
    }
  )
})

describe('what is never contacted', () => {
  it('refuses a private address without connecting to it (allow list unset or empty)', async () => {
    const target = await listen(ok('secret'))
    const fetcher = createMediaFetcher({ lookup: noLookup })
    expect(refused(await fetcher(target.url('/admin'), { maxBytes: 1000 }))).toContain('loopback')
    process.env[MEDIA_ALLOW_HOSTS_ENV] = ' , '
    refused(await fetcher(target.url('/admin'), { maxBytes: 1000 }))
    expect(target.connections).toBe(0)
    expect(noLookup).not.toHaveBeenCalled()
  })

  it('refuses loopback written in every notation URL parsing accepts (decimal, octal, hex, short, IPv6 forms)', async () => {
    const target = await listen(ok('secret'))
    const fetcher = createMediaFetcher({ lookup: noLookup })
    const p = target.port
    const forms = [
      `http://2130706433:${p}/`,
      `http://017700000001:${p}/`,
      `http://0x7f000001:${p}/`,
      `http://0x7f.1:${p}/`,
      `http://127.1:${p}/`,
      `http://0177.0.0.1:${p}/`,
      `http://[::ffff:127.0.0.1]:${p}/`,
      `http://[::ffff:7f00:1]:${p}/`,
      `http://[0:0:0:0:0:ffff:7f00:1]:${p}/`,
      `http://[::1]:${p}/`,
      `http://0:${p}/`,
      `http://[64:ff9b::7f00:1]:${p}/`,
    ]
    for (const url of forms) refused(await fetcher(url, { maxBytes: 1000 }))
    expect(target.connections).toBe(0)
    expect(noLookup).not.toHaveBeenCalled()
  })

  it('refuses a host name when ANY of its addresses is private (checked before connecting)', async () => {
    const target = await listen(ok('secret'))
    const lookup = jest.fn(async (host: string): Promise<LookupAddress[]> =>
      host === 'mixed.test'
        ? [
            { address: '93.184.215.14', family: 4 },
            { address: '127.0.0.1', family: 4 },
          ]
        : [{ address: '169.254.169.254', family: 4 }]
    )
    const fetcher = createMediaFetcher({ lookup })
    expect(refused(await fetcher(`http://mixed.test:${target.port}/`, { maxBytes: 1000 }))).toContain('loopback')
    expect(refused(await fetcher('http://metadata.test/latest/meta-data/', { maxBytes: 1000 }))).toContain('link-local')
    expect(target.connections).toBe(0)
  })

  it.each([
    'javascript:alert(document.cookie)',
    'data:image/png;base64,iVBORw0KGgo=',
    'file:///etc/passwd',
    'ftp://127.0.0.1/x',
    'gopher://127.0.0.1:PORT/_GET%20/',
    'ws://127.0.0.1:PORT/',
    'not a url',
    '',
  ])('refuses %s without any lookup or connection', async (raw) => {
    const target = await listen(ok('secret'))
    process.env[MEDIA_ALLOW_HOSTS_ENV] = `127.0.0.1:${target.port}`
    const fetcher = createMediaFetcher({ lookup: noLookup })
    refused(await fetcher(raw.replace('PORT', String(target.port)), { maxBytes: 1000 }))
    expect(target.connections).toBe(0)
    expect(noLookup).not.toHaveBeenCalled()
  })
})

describe('HITL_MEDIA_ALLOW_HOSTS', () => {
  it('reaches an allow-listed host:port, read at call time, and only that port', async () => {
    const target = await listen(ok('PNG…', { 'content-disposition': 'inline; filename="receipt.png"' }))
    const other = await listen(ok('other'))
    refused(await fetchMedia(target.url('/r.png'), { maxBytes: 1000 }))
    expect(target.connections).toBe(0)

    process.env[MEDIA_ALLOW_HOSTS_ENV] = `media.test, 127.0.0.1:${target.port}`
    const result = await fetchMedia(target.url('/r.png'), { maxBytes: 1000 })
    expect(result).toEqual({ ok: true, body: Buffer.from('PNG…'), contentType: 'image/png', fileName: 'receipt.png' })
    expect(target.connections).toBe(1)
    expect(target.requests[0]!.headers['accept-encoding']).toBe('identity')

    refused(await fetchMedia(other.url('/'), { maxBytes: 1000 }))
    expect(other.connections).toBe(0)
  })

  it('a bare host opens every port of it', async () => {
    const target = await listen(ok('hi'))
    process.env[MEDIA_ALLOW_HOSTS_ENV] = '127.0.0.1'
    expect((await fetchMedia(target.url('/'), { maxBytes: 10 })).ok).toBe(true)
  })
})

describe('redirects', () => {
  it('re-checks every redirect: a redirect to a private address is refused and never contacted', async () => {
    const inner = await listen(ok('internal'))
    const outer = await listen((_req, res) => {
      res.writeHead(302, { location: inner.url('/secret') })
      res.end()
    })
    process.env[MEDIA_ALLOW_HOSTS_ENV] = `127.0.0.1:${outer.port}`
    expect(refused(await fetchMedia(outer.url('/img.png'), { maxBytes: 1000 }))).toContain('loopback')
    expect(outer.connections).toBe(1)
    expect(inner.connections).toBe(0)
  })

  it('a redirect to a host name that resolves privately, or to another scheme, is refused', async () => {
    const outer = await listen((req, res) => {
      res.writeHead(301, { location: req.url === '/a' ? 'http://internal.test/x' : 'file:///etc/passwd' })
      res.end()
    })
    process.env[MEDIA_ALLOW_HOSTS_ENV] = `127.0.0.1:${outer.port}`
    const fetcher = createMediaFetcher({ lookup: async () => [{ address: '10.0.0.5', family: 4 }] })
    expect(refused(await fetcher(outer.url('/a'), { maxBytes: 1000 }))).toContain('private')
    expect(refused(await fetcher(outer.url('/b'), { maxBytes: 1000 }))).toContain('file:')
  })

  it('follows at most 3 redirects', async () => {
    const chain = await listen((req, res) => {
      const n = Number(req.url!.slice(1))
      if (n >= 3 && req.url!.endsWith('/end')) return ok('done')(req, res)
      res.writeHead(302, { location: `/${n + 1}` })
      res.end()
    })
    process.env[MEDIA_ALLOW_HOSTS_ENV] = `127.0.0.1:${chain.port}`
    expect(refused(await fetchMedia(chain.url('/0'), { maxBytes: 1000 }))).toContain('more than 3 redirects')
    expect(chain.requests.map((r) => r.url)).toEqual(['/0', '/1', '/2', '/3'])

    const three = await listen((req, res) => {
      if (req.url === '/3') return ok('done')(req, res)
      res.writeHead(307, { location: `/${Number(req.url!.slice(1)) + 1}` })
      res.end()
    })
    process.env[MEDIA_ALLOW_HOSTS_ENV] = `127.0.0.1:${three.port}`
    const result = await fetchMedia(three.url('/0'), { maxBytes: 1000 })
    expect(result.ok && result.body.toString()).toBe('done')
  })
})

describe('DNS rebinding', () => {
  /** Two listeners on one port: 127.0.0.2 stands for the public address the attacker's DNS answers first. */
  const pair = async (publicHandler: Parameters<typeof listen>[0]) => {
    for (let attempt = 0; ; attempt++) {
      const pub = await listen(publicHandler, '127.0.0.2')
      try {
        const priv = await listen(ok('internal secret'), '127.0.0.1', pub.port)
        return { pub, priv }
      } catch (error) {
        if (attempt > 5) throw error
      }
    }
  }
  const rebinding = () => {
    const answers = ['127.0.0.2', '127.0.0.1']
    return jest.fn(async (): Promise<LookupAddress[]> => [{ address: answers.length > 1 ? answers.shift()! : answers[0]!, family: 4 }])
  }

  it('connects to the address it checked, never asking DNS again', async () => {
    const { pub, priv } = await pair(ok('public cat'))
    const lookup = rebinding()
    const fetcher = createMediaFetcher({ lookup, treatAsPublic: (a) => a === '127.0.0.2' })
    const result = await fetcher(`http://rebind.test:${pub.port}/cat.png`, { maxBytes: 1000 })
    expect(result.ok && result.body.toString()).toBe('public cat')
    expect(lookup).toHaveBeenCalledTimes(1)
    expect(pub.connections).toBe(1)
    expect(priv.connections).toBe(0)
    expect(pub.requests[0]!.headers.host).toBe(`rebind.test:${pub.port}`)
  })

  it('a redirect back to the same host is resolved and checked again: the rebound private answer is refused', async () => {
    const { pub, priv } = await pair((_req, res) => {
      res.writeHead(302, { location: '/again' })
      res.end()
    })
    const lookup = rebinding()
    const fetcher = createMediaFetcher({ lookup, treatAsPublic: (a) => a === '127.0.0.2' })
    expect(refused(await fetcher(`http://rebind.test:${pub.port}/cat.png`, { maxBytes: 1000 }))).toContain('loopback')
    expect(lookup).toHaveBeenCalledTimes(2)
    expect(pub.connections).toBe(1)
    expect(priv.connections).toBe(0)
  })
})

describe('size, encoding and time', () => {
  it('refuses a declared Content-Length above the cap before reading, and closes the connection', async () => {
    const target = await listen((_req, res) => {
      res.writeHead(200, { 'content-length': String(50_000_000) })
      res.write(Buffer.alloc(1024))
    })
    process.env[MEDIA_ALLOW_HOSTS_ENV] = `127.0.0.1:${target.port}`
    expect(refused(await fetchMedia(target.url('/big.bin'), { maxBytes: 100_000 }))).toContain('larger than 100000 bytes')
    await target.socketClosed()
  })

  it('cuts an undeclared body at the cap while it arrives, and closes the connection', async () => {
    let written = 0
    const target = await listen((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' })
      const pump = () => {
        // Writes until the client hangs up (or 64 MB, a body the fetcher would have returned had it not cut it).
        while (!res.destroyed && written < 64 * 1024 * 1024) {
          written += 16 * 1024
          if (!res.write(Buffer.alloc(16 * 1024))) return res.once('drain', pump)
        }
        res.end()
      }
      pump()
    })
    process.env[MEDIA_ALLOW_HOSTS_ENV] = `127.0.0.1:${target.port}`
    expect(refused(await fetchMedia(target.url('/stream'), { maxBytes: 100_000 }))).toContain('cut while downloading')
    await target.socketClosed()
    expect(written).toBeLessThan(64 * 1024 * 1024)
  })

  it('does not inflate a gzip bomb (identity asked, encoded bodies refused as sent)', async () => {
    const bomb = gzipSync(Buffer.alloc(16 * 1024 * 1024))
    const target = await listen((req, res) => {
      res.writeHead(200, { 'content-encoding': 'gzip', 'content-type': 'image/png', 'content-length': String(bomb.length) })
      res.end(bomb)
    })
    process.env[MEDIA_ALLOW_HOSTS_ENV] = `127.0.0.1:${target.port}`
    const reason = refused(await fetchMedia(target.url('/bomb.png'), { maxBytes: 1024 * 1024 }))
    expect(reason).toContain('gzip-encoded')
    expect(reason).not.toContain('larger')
    expect(target.requests[0]!.headers['accept-encoding']).toBe('identity')
  })

  it('one deadline for the whole download: a slow body is abandoned (transient) and the connection closed', async () => {
    let sent!: () => void
    const firstBytes = new Promise<void>((resolve) => (sent = resolve))
    const target = await listen((_req, res) => {
      res.writeHead(200, { 'content-length': '1000' })
      res.write(Buffer.alloc(10), () => sent())
    })
    process.env[MEDIA_ALLOW_HOSTS_ENV] = `127.0.0.1:${target.port}`
    const clock = manualTimers()
    const fetcher = createMediaFetcher({ timers: clock.timers })
    const pending = fetcher(target.url('/slow?sig=SECRET'), { maxBytes: 10_000, timeoutMs: 5_000 })
    await firstBytes
    clock.fire()
    const result = await pending
    expect(result).toEqual({ ok: false, reason: `http://127.0.0.1:${target.port}/slow timed out after 5000 ms`, transient: true })
    await target.socketClosed()
    expect(clock.armed()).toBe(1)
  })

  it('the deadline covers name resolution and every redirect (armed once)', async () => {
    const clock = manualTimers()
    const stuck = createMediaFetcher({ timers: clock.timers, lookup: () => new Promise<never>(() => undefined) })
    const pending = stuck('https://slow-dns.test/a.png', { maxBytes: 10 })
    clock.fire()
    expect(await pending).toMatchObject({ ok: false, transient: true, reason: expect.stringContaining('timed out') })

    const hops = await listen((req, res) => {
      if (req.url === '/2') return ok('x')(req, res)
      res.writeHead(302, { location: `/${Number(req.url!.slice(1)) + 1}` })
      res.end()
    })
    process.env[MEDIA_ALLOW_HOSTS_ENV] = `127.0.0.1:${hops.port}`
    const clock2 = manualTimers()
    expect((await createMediaFetcher({ timers: clock2.timers })(hops.url('/0'), { maxBytes: 10 })).ok).toBe(true)
    expect(clock2.armed()).toBe(1)
  })
})

describe('failures: transient or not, and what the reason says', () => {
  it.each([
    [503, true],
    [500, true],
    [429, true],
    [404, false],
    [403, false],
    [410, false],
  ])('status %i → transient %s', async (status, expected) => {
    const target = await listen((_req, res) => {
      res.writeHead(status)
      res.end('nope')
    })
    process.env[MEDIA_ALLOW_HOSTS_ENV] = `127.0.0.1:${target.port}`
    const result = await fetchMedia(target.url('/x.png?X-Amz-Signature=SECRET&token=SECRET'), { maxBytes: 1000 })
    expect(result).toEqual({ ok: false, reason: `http://127.0.0.1:${target.port}/x.png answered ${status}`, transient: expected })
    expect(target.connections).toBe(1)
  })

  it('a reset connection is transient, one attempt only', async () => {
    const target = await listen((req) => req.socket.destroy())
    process.env[MEDIA_ALLOW_HOSTS_ENV] = `127.0.0.1:${target.port}`
    const result = await fetchMedia(target.url('/x?k=SECRET'), { maxBytes: 1000 })
    expect(result).toMatchObject({ ok: false, transient: true })
    expect(target.connections).toBe(1)
    expect(JSON.stringify(result)).not.toContain('SECRET')
  })

  it('a refused address never puts the query string in the reason', async () => {
    const fetcher = createMediaFetcher({ lookup: async () => [{ address: '192.168.0.10', family: 4 }] })
    const result = await fetcher('https://intranet.test/file.pdf?session=SECRET#frag', { maxBytes: 1000 })
    expect(refused(result)).toBe('https://intranet.test/file.pdf refused: resolves to a private address')
  })

  it('describeUrl drops query, fragment and credentials', () => {
    expect(describeUrl('https://user:pw@h.test:8443/a/b.png?token=1#x')).toBe('https://h.test:8443/a/b.png')
    expect(describeUrl('::')).toBe('(not a URL)')
  })
})

describe('file name', () => {
  it.each([
    ['attachment; filename="invoice.pdf"', 'invoice.pdf'],
    ['attachment; filename=plain.txt', 'plain.txt'],
    [`attachment; filename="fallback.pdf"; filename*=UTF-8''%E2%82%AC%20rates.pdf`, '€ rates.pdf'],
    [`attachment; filename*=iso-8859-1'en'%A3%20rates.pdf`, '£ rates.pdf'],
    ['attachment; filename="a;b \\"quoted\\".png"', 'a;b "quoted".png'],
    ['attachment; filename="../../etc/passwd"', 'passwd'],
    ['attachment; filename="C:\\\\Windows\\\\evil.exe"', 'evil.exe'],
    ['attachment; filename="bad\u0000\u0007name.png"', 'badname.png'],
    ['attachment; filename=".."', undefined],
    ['inline', undefined],
    [`attachment; filename*=UTF-8''%E0%A4%A`, undefined],
  ])('%j → %s', (header, expected) => {
    expect(fileNameFromDisposition(header)).toBe(expected)
  })

  it('is bounded: a huge header is parsed in one pass and the name cut to 200 code points', () => {
    const started = performance.now()
    const name = fileNameFromDisposition(`attachment; filename="${'😀'.repeat(100_000)}"`)
    expect(performance.now() - started).toBeLessThan(1_000)
    expect(Array.from(name!)).toHaveLength(200)
    expect(name).toHaveLength(400) // 200 whole surrogate pairs, none cut
  })

  it('falls back to the last segment of the URL path, decoded', async () => {
    const target = await listen(ok('x'))
    process.env[MEDIA_ALLOW_HOSTS_ENV] = `127.0.0.1:${target.port}`
    const result = await fetchMedia(target.url('/files/My%20Cat.png?v=2'), { maxBytes: 10 })
    expect(result).toMatchObject({ ok: true, fileName: 'My Cat.png' })
  })
})

describe('https to the pinned address', () => {
  // A throw-away self-signed certificate for media.test, made with openssl when the machine has it.
  const dir = mkdtempSync(path.join(os.tmpdir(), 'media-tls-'))
  const made =
    spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=media.test', '-addext', 'subjectAltName=DNS:media.test'], { stdio: 'ignore' }).status === 0
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  ;(made ? it : it.skip)('keeps the host name for the Host header, SNI and the certificate check while connecting to the checked address', async () => {
    const cert = readFileSync(path.join(dir, 'cert.pem'), 'utf8')
    const seen: string[] = []
    const server = createHttpsServer({ key: readFileSync(path.join(dir, 'key.pem')), cert }, (req, res) => {
      seen.push(`${req.headers.host} ${(req.socket as TLSSocket).servername}`)
      res.end('over tls')
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.2', () => resolve()))
    const port = (server.address() as AddressInfo).port
    try {
      const lookup = jest.fn(async (): Promise<LookupAddress[]> => [{ address: '127.0.0.2', family: 4 }])
      const fetcher = createMediaFetcher({ lookup, treatAsPublic: (a) => a === '127.0.0.2', ca: cert })
      const result = await fetcher(`https://media.test:${port}/x.png`, { maxBytes: 100 })
      expect(result.ok && result.body.toString()).toBe('over tls')
      expect(seen).toEqual([`media.test:${port} media.test`])
      // Same address, another name: the certificate does not match and nothing is downloaded.
      expect(await fetcher(`https://evil.test:${port}/x.png`, { maxBytes: 100 })).toMatchObject({ ok: false, transient: false, reason: expect.stringContaining('ERR_TLS_CERT_ALTNAME_INVALID') })
      expect(seen).toHaveLength(1)
    } finally {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    }
  })
})
