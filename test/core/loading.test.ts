/**
 * What a cold instance evaluates and what the bundle carries (issue 26): providers are evaluated on first use, got on
 * the first provider request, and got's HTTP/2, cache and DNS-cache modules are stubbed (scripts/left-out/) without
 * changing what our client does over a real socket.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
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

  it('ships every adapter, configuration schema, got and libphonenumber as a lazy chunk, not as code V8 parses at load', async () => {
    const { bundleOptions } = require('../../scripts/bundle.mjs') as typeof import('../../scripts/bundle.mjs')
    const { buildWithLazyChunks, chunkSourceOf } = require('../../scripts/lazy-chunks.mjs') as typeof import('../../scripts/lazy-chunks.mjs')
    const result = await buildWithLazyChunks(ROOT, { ...bundleOptions(ROOT), absWorkingDir: ROOT, entryPoints: ['src/index.ts'], outfile: path.join(ROOT, '.botpress/test/index.cjs'), write: false, metafile: true, logLevel: 'error' })
    const code = result.outputFiles!.find((f) => f.path.endsWith('.cjs'))!.text
    const inMain = Object.keys(result.metafile!.inputs)
    const lazy = [
      ...PROVIDERS.flatMap((name) => [`src/providers/${name}/adapter.ts`, `src/providers/${name}/config.ts`]),
      'src/providers/hubspot/phone.ts',
      'node_modules/got/dist/source/index.js',
    ]
    expect(result.chunks.map((c) => c.key).sort()).toEqual([...lazy].sort())
    for (const key of lazy) {
      // Not in the code of the bundle: only its compressed text, which decompresses to that module's own bundle.
      expect({ key, inBundle: inMain.includes(key) }).toEqual({ key, inBundle: false })
      const chunk = result.chunks.find((c) => c.key === key)!
      expect(Object.keys(chunk.metafile.inputs)).toContain(key)
      const source = chunkSourceOf(code, key)
      expect(source?.length).toBe(chunk.bytes)
      expect(chunk.shippedBytes).toBeLessThan(chunk.bytes)
    }
    // What chunks share with the bundle (the core, the SDK) is the bundle's own module, never a copy in a chunk.
    const shared = result.chunks.flatMap((c) => Object.keys(c.metafile.inputs)).filter((i) => /^src\/core\/|node_modules\/@botpress\//.test(i))
    expect(shared).toEqual([])
    expect(inMain).toContain('src/core/errors.ts')
    // libphonenumber's metadata sits in HubSpot's phone chunk only.
    expect(Object.keys(result.chunks.find((c) => c.key === 'src/providers/hubspot/phone.ts')!.metafile.inputs).some((i) => i.includes('libphonenumber-js'))).toBe(true)
    expect(inMain.filter((i) => !i.includes(':')).some((i) => i.includes('libphonenumber-js') || i.includes('node_modules/got/'))).toBe(false)
  })

  it('the built bundle loads a chunk on first use and gives it the bundle’s own modules', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'hitl-chunks-'))
    try {
      execFileSync(process.execPath, ['scripts/build.mjs', '--bundle-only'], { cwd: ROOT, stdio: 'pipe' })
      // A fresh process: require the bundle, note which chunks exist, create the HTTP adapter through the registry.
      const probe = path.join(dir, 'probe.cjs')
      writeFileSync(
        probe,
        `const vm = require('node:vm'); const compiled = []; const real = vm.compileFunction
vm.compileFunction = (code, params, options) => { compiled.push(options.filename); return real(code, params, options) }
const bundle = require(${JSON.stringify(path.join(ROOT, '.botpress/dist/index.cjs'))})
const atLoad = compiled.slice()
const configuration = { provider: 'http', http: { endpointBaseUrl: 'http://127.0.0.1:9/hitl', webhookSecret: 'chunk-test-secret-0123456789' } }
const headers = {
  'x-bot-id': 'bot_1', 'x-bot-user-id': 'user_1', 'x-integration-id': 'int_1', 'x-integration-alias': 'hitl', 'x-webhook-id': 'wh_1',
  'x-bp-operation': 'webhook_received', 'x-bp-configuration': Buffer.from(JSON.stringify(configuration)).toString('base64'),
}
const body = JSON.stringify({ req: { method: 'POST', path: '/', query: '', headers: { 'content-type': 'application/json' }, body: '{}' } })
Promise.resolve(bundle.default.handler({ method: 'POST', path: '/', query: '', headers, body })).then((answer) => {
  process.stdout.write(JSON.stringify({ atLoad, afterWebhook: compiled.slice(), status: answer && answer.status }))
})`
      )
      const out = JSON.parse(execFileSync(process.execPath, [probe], { encoding: 'utf8' })) as Record<string, unknown>
      // Nothing compiled at load; the unsigned webhook needs the HTTP provider's schema and adapter, nothing else.
      expect(out).toEqual({
        atLoad: [],
        afterWebhook: ['hitl-hub:src/providers/http/config.ts', 'hitl-hub:src/providers/http/adapter.ts'],
        status: 401,
      })
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

})
