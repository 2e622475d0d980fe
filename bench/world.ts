/**
 * One provider's world in this process, wired like `npm start`: the Botpress runtime emulator, the provider's test
 * double, and the real integration bundle (.botpress/dist/index.cjs) served by the SDK's own HTTP server, registered
 * through the SDK protocol. Every round trip is over loopback HTTP (msw-based fakes answer inside this process, on
 * the integration's outgoing requests) and observed by a Recorder. `setLatency(ms)` adds ms to every emulator and
 * provider answer.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { IntegrationDriver, startEmulator, type Emulator } from '../dev/emulator'
import type { FakeAgent, FakeProvider } from '../test/conformance/fake'
import type { InboundMessage, WebhookRequest } from '../src/core/types'
import { fakeClassOf, loadFake, projectRequire, ROOT } from './load'
import { delayMsw, hookHttpServer, hookMsw, isLoopback, Recorder, type MswServerLike } from './probe'
import type { Scenario } from './scenarios'

export const BUNDLE = path.join(ROOT, '.botpress/dist/index.cjs')

export type World = Awaited<ReturnType<typeof startWorld>>

/** Silences console output of the bundle and the doubles (the SDK logs every integration log line). */
export const quietConsole = () => {
  for (const level of ['log', 'info', 'debug', 'warn'] as const) console[level] = () => {}
}

const isMswServer = (x: any): x is MswServerLike => !!x && typeof x.use === 'function' && !!x.events && typeof x.events.on === 'function'

/** The node:http module object itself (an ES default import would be esbuild's copy, whose properties cannot be replaced). */
const nodeHttp: typeof http = require('node:http')

const targetsLoopback = (args: unknown[]): boolean => {
  const [first, second] = args as [unknown, unknown]
  try {
    if (typeof first === 'string' || first instanceof URL) return isLoopback(String(first))
    const options = (first ?? second ?? {}) as { hostname?: string; host?: string }
    const host = (options.hostname ?? options.host ?? 'localhost').replace(/:\d+$/, '')
    return ['127.0.0.1', 'localhost', '::1', '[::1]'].includes(host)
  } catch {
    return false
  }
}

/**
 * msw intercepts every node:http request of the process, loopback ones included (measured here: ~1.3 ms each, and no
 * keep-alive). In production there is no msw, so the integration's loopback legs (the SDK protocol, the Botpress API)
 * go around it: call before msw starts listening, and the returned function after.
 */
const bypassMswForLoopback = () => {
  const original = { request: nodeHttp.request, get: nodeHttp.get }
  return () => {
    const patched = { request: nodeHttp.request, get: nodeHttp.get }
    if (patched.request === original.request) return false
    nodeHttp.request = ((...args: unknown[]) => (targetsLoopback(args) ? original.request : patched.request).apply(nodeHttp, args as any)) as typeof http.request
    nodeHttp.get = ((...args: unknown[]) => (targetsLoopback(args) ? original.get : patched.get).apply(nodeHttp, args as any)) as typeof http.get
    return true
  }
}

export const startWorld = async (scenario: Scenario) => {
  const { exports, mswHttp } = await loadFake(scenario.fake)
  const Fake = fakeClassOf(exports, scenario.provider)
  const afterMsw = bypassMswForLoopback()
  const fake: FakeProvider & Record<string, any> = new Fake()
  if (fake.name !== scenario.provider) throw new Error(`${scenario.fake} exports a fake for "${fake.name}", not "${scenario.provider}"`)
  await fake.start()
  const loopbackBypassesMsw = afterMsw()

  const recorder = new Recorder()
  const providerLatency = { ms: 0 }
  let observe: string
  if (isMswServer(fake.server)) {
    hookMsw(fake.server, recorder)
    if (!mswHttp) throw new Error('msw could not be loaded next to the fake')
    delayMsw(fake.server, mswHttp as any, providerLatency)
    observe = 'msw'
  } else if (fake.desk?.server instanceof http.Server) {
    hookHttpServer(fake.desk.server, () => 'provider', recorder)
    observe = 'loopback service'
  } else {
    throw new Error(`cannot observe ${scenario.provider}'s fake: it exposes neither an msw server (.server) nor a loopback desk (.desk)`)
  }

  const emulator: Emulator = await startEmulator({ quiet: true })
  hookHttpServer((emulator as any).server, (req) => (req.url?.startsWith('/webhook/') || req.url === '/health' ? undefined : 'botpress'), recorder)
  process.env.BP_API_URL = emulator.url
  process.env.BP_TOKEN = emulator.token

  const bundle = projectRequire(BUNDLE)
  const server: http.Server = await bundle.default.start(0)
  if (!server.listening) await new Promise((resolve) => server.once('listening', resolve))
  const integrationUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const driver = new IntegrationDriver({ emulator, integrationUrl, configuration: fake.configuration(), webhookId: 'bench-webhook' })
  emulator.attach(driver)
  await driver.register()

  const setLatency = (ms: number) => {
    emulator.latencyMs = ms
    providerLatency.ms = ms
    if (fake.desk) fake.desk.latencyMs = ms
  }

  /** Posts a provider webhook to Botpress's ingress for this integration, as the provider would; throws unless 2xx. */
  const deliver = async (req: WebhookRequest) => {
    const url = new URL(`${emulator.url}/webhook/${driver.webhookId}${req.path.startsWith('/') ? req.path : `/${req.path}`}${req.query ? `?${req.query}` : ''}`)
    const headers: Record<string, string> = {}
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !['host', 'content-length'].includes(k.toLowerCase())) headers[k] = v
    const res = await post(url, headers, req.body)
    if (res.status < 200 || res.status >= 300) throw new Error(`webhook ${req.path} answered ${res.status}: ${res.body.slice(0, 300)}`)
    return res
  }

  const close = async () => {
    await new Promise<void>((resolve) => {
      server.close(() => resolve())
      server.closeAllConnections()
    })
    await emulator.close()
    await fake.stop()
  }

  return { fake, emulator, driver, bundle, recorder, setLatency, deliver, close, observe, integrationUrl, loopbackBypassesMsw }
}

export const post = (url: URL, headers: Record<string, string>, body: string) =>
  new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('error', reject)
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }))
    })
    req.on('error', reject)
    req.end(body)
  })

export const agents = (tag: string): { alice: FakeAgent; bob: FakeAgent } => ({
  alice: { id: `bench-alice-${tag}`, name: 'Alice Agent', pictureUrl: 'https://example.com/alice.png' },
  bob: { id: `bench-bob-${tag}`, name: 'Bob Agent' },
})

export const IMG = 'https://example.com/receipt.png'

export const USER_MESSAGES: Array<[type: string, payload: Record<string, unknown>]> = [
  ['text', { text: 'Here is the receipt' }],
  ['image', { imageUrl: IMG, title: 'receipt.png' }],
  ['audio', { audioUrl: 'https://example.com/voice.mp3' }],
  ['video', { videoUrl: 'https://example.com/unboxing.mp4', title: 'Unboxing' }],
  ['file', { fileUrl: 'https://example.com/invoice.pdf', title: 'invoice.pdf' }],
  [
    'bloc',
    {
      items: [
        { type: 'text', payload: { text: 'And two more things:' } },
        { type: 'image', payload: { imageUrl: 'https://example.com/box.png' } },
        { type: 'text', payload: { text: 'the box was damaged too' } },
      ],
    },
  ],
]

export const AGENT_TEXT: InboundMessage = { type: 'text', text: 'Sorry about that! A new parcel ships today.' }
export const AGENT_IMAGE: InboundMessage = { type: 'image', url: 'https://example.com/label.png' }

/** A realistic history: alternating bot and user messages (~90 characters), with a choice and an image now and then. */
export const makeHistory = (n: number, userId: string) =>
  Array.from({ length: n }, (_, i) => {
    if (i % 2 === 0) {
      return i % 10 === 8
        ? { source: { type: 'bot' }, type: 'choice', payload: { text: 'Did that answer your question?', options: [{ label: 'Yes', value: 'yes' }, { label: 'No', value: 'no' }] } }
        : { source: { type: 'bot' }, type: 'text', payload: { text: `(${i}) Your order #${4200 + i} left our warehouse and should arrive within three working days.` } }
    }
    return i % 10 === 5
      ? { source: { type: 'user', userId }, type: 'image', payload: { imageUrl: `https://example.com/photo-${i}.jpg` } }
      : { source: { type: 'user', userId }, type: 'text', payload: { text: `(${i}) It still has not arrived and the tracking page has not changed since Monday.` } }
  })
