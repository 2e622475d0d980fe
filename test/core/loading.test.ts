/**
 * What a cold instance evaluates and what the bundle carries (issue 26): providers are evaluated on first use, got on
 * the first provider request, and got's HTTP/2, cache and DNS-cache modules are stubbed (scripts/left-out/) without
 * changing what our client does over a real socket.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { gzipSync } from 'node:zlib'
import { createHttpClientFactory } from '../../src/core/http'
import { Redactor } from '../../src/core/log'
import { providerNames } from '../../src/providers'
import { FAKES } from '../reliability/fakes'
import { makeProviderDeps } from '../support/provider-deps'

const ROOT = path.resolve(__dirname, '../..')
const PROVIDERS: readonly string[] = providerNames

describe('providers are evaluated on first use', () => {
  it('loading the registry evaluates no adapter; creating one evaluates that provider only', () => {
    const evaluated: string[] = []
    jest.isolateModules(() => {
      for (const name of PROVIDERS) {
        const file = path.join(ROOT, 'src/providers', name, 'adapter')
        jest.doMock(file, () => {
          evaluated.push(name)
          return jest.requireActual(file)
        })
      }
      const { providers } = require('../../src/providers') as typeof import('../../src/providers')
      expect(Object.keys(providers)).toEqual(PROVIDERS)
      expect(evaluated).toEqual([])
      const fake = FAKES.livechat!()
      const section = fake.configuration().livechat as Parameters<typeof providers.livechat.create>[0]
      const { deps } = makeProviderDeps({ secrets: providers.livechat.secrets(section) })
      providers.livechat.create(section, deps)
      expect(evaluated).toEqual(['livechat'])
    })
    for (const name of PROVIDERS) jest.dontMock(path.join(ROOT, 'src/providers', name, 'adapter'))
  })

  it.each(PROVIDERS.map((name) => [name]))('%s: the registry title is the adapter’s own title', (name) => {
    const { providers } = require('../../src/providers') as typeof import('../../src/providers')
    const definition = providers[name as keyof typeof providers]
    const section = FAKES[name]!().configuration()[name] as never
    const { deps } = makeProviderDeps({ secrets: definition.secrets(section) })
    expect(definition.create(section, deps).title).toBe(definition.title)
  })
})

describe('got without its HTTP/2, cache and DNS-cache modules (scripts/left-out/)', () => {
  let server: Server
  let base = ''
  const seen: Array<{ method: string; url: string; type: string; body: string }> = []
  let failFirst = 0
  beforeAll(async () => {
    server = createServer((req: IncomingMessage, res) => {
      let body = ''
      req.setEncoding('latin1')
      req.on('data', (c: string) => (body += c))
      req.on('end', () => {
        seen.push({ method: req.method!, url: req.url!, type: String(req.headers['content-type'] ?? ''), body })
        if (req.url === '/flaky' && failFirst-- > 0) {
          res.writeHead(503, { 'content-type': 'application/json' }).end('{"message":"busy"}')
          return
        }
        if (req.url === '/gzip') {
          res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' }).end(gzipSync('{"zipped":true}'))
          return
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: req.url }))
      })
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterAll(() => new Promise<void>((r) => server.close(() => r())))
  beforeEach(() => (seen.length = 0))

  const client = () =>
    createHttpClientFactory(new Redactor([]), { retries: 2, backoffMs: 1, backoffLimitMs: 2, maxRetryAfterMs: 10, timeoutMs: 2_000 })({
      provider: 'Acme Desk',
      baseUrl: base,
    })

  it('jest loads the same stubs as the bundle', () => {
    for (const name of ['http2-wrapper', 'cacheable-request', 'cacheable-lookup']) expect((require(name) as { leftOut?: boolean }).leftOut).toBe(true)
  })

  it('JSON, form, multipart, gzip and a retried GET still work over a real socket', async () => {
    const http = client()
    expect((await http.request<{ ok: string }>({ path: 'a?x=1' })).body).toEqual({ ok: '/a?x=1' })
    expect((await http.request({ path: 'b', method: 'POST', json: { k: 'v' } })).status).toBe(200)
    await http.request({ path: 'c', method: 'POST', form: { a: '1' } })
    const form = new FormData()
    form.append('file', new Blob([Buffer.from('hello')], { type: 'text/plain' }), 'h.txt')
    await http.request({ path: 'd', method: 'POST', body: form })
    expect((await http.request<{ zipped: boolean }>({ path: 'gzip' })).body).toEqual({ zipped: true })
    failFirst = 1
    expect((await http.request<{ ok: string }>({ path: 'flaky' })).body).toEqual({ ok: '/flaky' })
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual(['GET /a?x=1', 'POST /b', 'POST /c', 'POST /d', 'GET /gzip', 'GET /flaky', 'GET /flaky'])
    expect(seen[1]!.body).toBe('{"k":"v"}')
    expect(seen[2]!.body).toBe('a=1')
    expect(seen[3]!.type).toMatch(/^multipart\/form-data; boundary=/)
    expect(seen[3]!.body).toContain('filename="h.txt"')
    expect(seen[3]!.body).toContain('hello')
  })

  it('got reaches a stub only for the options our client never sets, and the stub says so', async () => {
    const got = (require('got') as typeof import('got')).default
    await expect(got('https://127.0.0.1:9/', { http2: true, retry: { limit: 0 } })).rejects.toThrow(/http2-wrapper is left out/)
    await expect(got(`${base}/cached`, { cache: new Map(), retry: { limit: 0 } })).rejects.toThrow(/cacheable-request is left out/)
    expect(() => got.extend({ dnsCache: true })).toThrow(/cacheable-lookup is left out/)
  })
})

describe('the bundle', () => {
  it('carries none of the left-out packages, and the stubs instead', async () => {
    const { build } = require('esbuild') as typeof import('esbuild')
    const { bundleOptions } = require('../../scripts/bundle.mjs') as { bundleOptions: (root: string) => Record<string, unknown> }
    const result = await build({ ...bundleOptions(ROOT), absWorkingDir: ROOT, entryPoints: ['src/index.ts'], outfile: path.join(ROOT, '.botpress/test/index.cjs'), write: false, sourcemap: false, metafile: true, logLevel: 'error' })
    const inputs = Object.keys(result.metafile!.inputs)
    expect(inputs.filter((i) => /node_modules\/(http2-wrapper|cacheable-request|cacheable-lookup|keyv|http-cache-semantics|quick-lru)\//.test(i))).toEqual([])
    expect(inputs.filter((i) => i.startsWith('scripts/left-out/')).sort()).toEqual(
      ['scripts/left-out/cacheable-lookup.cjs', 'scripts/left-out/cacheable-request.cjs', 'scripts/left-out/http2-wrapper.cjs']
    )
    expect(inputs.some((i) => i.includes('node_modules/got/'))).toBe(true)
  })

  it('keeps every adapter, got and libphonenumber in lazy wrappers that nothing runs at load (esbuild 0.16 __esm)', async () => {
    const { build } = require('esbuild') as typeof import('esbuild')
    const { bundleOptions } = require('../../scripts/bundle.mjs') as { bundleOptions: (root: string) => Record<string, unknown> }
    const result = await build({ ...bundleOptions(ROOT), minify: false, absWorkingDir: ROOT, entryPoints: ['src/index.ts'], outfile: path.join(ROOT, '.botpress/test/index.cjs'), write: false, sourcemap: false, logLevel: 'error' })
    const code = result.outputFiles![0]!.text
    // esbuild wraps each lazily initialized module as `var init_x = __esm({ "<path>"() { … } })`; load-time calls of an
    // initializer are statements at column 0, calls on first use sit inside functions.
    const inits = new Map<string, string>()
    for (const m of code.matchAll(/^var (init_\w+) = __esm\(\{\n\s+"([^"]+)"\(\)/gm)) inits.set(m[2]!, m[1]!)
    const initOf = (suffix: string) => {
      const found = [...inits].find(([file]) => file.endsWith(suffix))
      if (!found) throw new Error(`${suffix} is not a lazily initialized module of the bundle`)
      return found[1]
    }
    const topLevelCalls = new Set(code.split('\n').filter((line) => /^init_\w+\(\);$/.test(line)))
    const lazy = [...PROVIDERS.map((name) => `src/providers/${name}/adapter.ts`), 'src/providers/hubspot/phone.ts', 'node_modules/libphonenumber-js/metadata.min.json.js', 'node_modules/got/dist/source/index.js']
    for (const file of lazy) expect({ file, calledAtLoad: topLevelCalls.has(`${initOf(file)}();`) }).toEqual({ file, calledAtLoad: false })
    // The check can fail: the core's own modules are initialized at load.
    expect(topLevelCalls.has(`${initOf('src/core/errors.ts')}();`)).toBe(true)
  })
})
