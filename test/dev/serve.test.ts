/**
 * `npm start` serves the integration on loopback only: the SDK's `start(port)` listens on every interface (anyone on
 * the network could drive the integration with a configuration of their choosing), `serveOnLoopback` does not, and
 * speaks to the SDK handler exactly as the SDK's server does (the emulator's driver registers through it).
 */
import { readFileSync } from 'node:fs'
import { request, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { networkInterfaces } from 'node:os'
import path from 'node:path'
import integration from '../../src/index'
import { startAgentDesk } from '../../dev/agent-desk'
import { IntegrationDriver, startEmulator } from '../../dev/emulator'
import { serveOnLoopback, type SdkHandler } from '../../dev/serve'

const portOf = (server: Server) => (server.address() as AddressInfo).port
const close = (server: Server) => new Promise<void>((resolve) => server.close(() => resolve()))

const send = (port: number, opts: { host?: string; address?: string; method?: string; path?: string; body?: string; headers?: Record<string, string> } = {}) =>
  new Promise<{ status: number; body: string; headers: Record<string, unknown> }>((resolve, reject) => {
    const req = request(
      { host: opts.address ?? '127.0.0.1', port, method: opts.method ?? 'GET', path: opts.path ?? '/', headers: { host: opts.host ?? `127.0.0.1:${port}`, ...opts.headers } },
      (res) => {
        let text = ''
        res.setEncoding('utf8').on('data', (c: string) => (text += c))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, headers: res.headers }))
      }
    )
    req.on('error', reject)
    req.end(opts.body)
  })

/** An address of this machine that is not loopback, if it has one. */
const externalAddress = Object.values(networkInterfaces())
  .flat()
  .find((i) => i && i.family === 'IPv4' && !i.internal)?.address

describe('serveOnLoopback', () => {
  const seen: Array<Parameters<SdkHandler>[0]> = []
  let server: Server
  beforeAll(async () => {
    server = await serveOnLoopback(async (req) => {
      seen.push(req)
      if (req.path === '/boom') throw new Error('handler failed')
      return { status: 202, headers: { 'x-answer': 'yes' }, body: JSON.stringify({ ok: true }) }
    })
  })
  afterAll(() => close(server))
  beforeEach(() => (seen.length = 0))

  it('binds 127.0.0.1 only, where the SDK server binds every interface', async () => {
    expect((server.address() as AddressInfo).address).toBe('127.0.0.1')
    const sdkServer = await integration.start(0)
    try {
      expect(['::', '0.0.0.0']).toContain((sdkServer.address() as AddressInfo).address)
    } finally {
      await close(sdkServer)
    }
    if (externalAddress) {
      await expect(send(portOf(server), { address: externalAddress, host: `${externalAddress}:${portOf(server)}` })).rejects.toMatchObject({ code: 'ECONNREFUSED' })
    }
  })

  it('maps requests and answers as the SDK server does', async () => {
    const res = await send(portOf(server), { method: 'POST', path: '/webhook/x?a=1&b=2', body: '{"k":"v"}', headers: { 'X-BP-Operation': 'webhook_received', 'content-type': 'application/json' } })
    expect(res).toMatchObject({ status: 202, body: '{"ok":true}', headers: { 'x-answer': 'yes' } })
    expect(seen).toEqual([
      {
        method: 'POST',
        path: '/webhook/x',
        query: 'a=1&b=2',
        body: '{"k":"v"}',
        headers: expect.objectContaining({ 'x-bp-operation': 'webhook_received', 'content-type': 'application/json', host: `127.0.0.1:${portOf(server)}` }),
      },
    ])
    expect((await send(portOf(server), { method: 'GET', path: '/health' })).body).toBe('ok')
    const failed = await send(portOf(server), { method: 'POST', path: '/boom', body: '' })
    expect(failed).toMatchObject({ status: 500, body: JSON.stringify({ error: 'handler failed' }) })
  })

  it('answers 403 to any other Host (DNS rebinding), without calling the handler', async () => {
    for (const host of [`evil.example:${portOf(server)}`, `127.0.0.1:1`, 'localhost']) {
      expect((await send(portOf(server), { method: 'POST', path: '/', host, body: '{}' })).status).toBe(403)
    }
    expect(seen).toEqual([])
    expect((await send(portOf(server), { host: `localhost:${portOf(server)}` })).status).toBe(202)
  })

  it('carries the whole SDK protocol: register and an action through the emulator driver', async () => {
    const quiet = (['info', 'error', 'warn', 'debug'] as const).map((m) => jest.spyOn(console, m).mockImplementation(() => {}))
    const emulator = await startEmulator({ quiet: true })
    const desk = await startAgentDesk({ quiet: true, secret: 'serve-test-secret-0123456789' })
    process.env.BP_API_URL = emulator.url
    process.env.BP_TOKEN = emulator.token
    const served = await serveOnLoopback(integration.handler)
    try {
      const driver = new IntegrationDriver({
        emulator,
        integrationUrl: `http://127.0.0.1:${portOf(served)}`,
        configuration: { provider: 'http', http: { endpointBaseUrl: desk.url, webhookSecret: 'serve-test-secret-0123456789' } },
        webhookId: 'serve',
      })
      emulator.attach(driver)
      await driver.register()
      const { userId } = await driver.callAction('createUser', { name: 'Jane', email: 'jane@example.com' })
      expect(userId).toEqual(expect.any(String))
      expect(desk.users).toHaveLength(1)
    } finally {
      await close(served)
      await desk.stop()
      await emulator.close()
      quiet.forEach((s) => s.mockRestore())
    }
  })
})

describe('npm start', () => {
  it('serves the integration with serveOnLoopback, never the SDK start(port), and leaves every other server on its loopback default', () => {
    const source = readFileSync(path.resolve(__dirname, '../../dev/start.ts'), 'utf8')
    expect(source).not.toMatch(/\.start\(/)
    expect(source.match(/serveOnLoopback\(bundle\.default\.handler/g)).toHaveLength(2)
    // The emulator, the desk and the playground bind 127.0.0.1 unless given a host; the runner never gives one.
    expect(source.replace(/\/\/.*$|\/\*[\s\S]*?\*\//gm, "")).not.toMatch(/[{,]\s*host\s*:/)
  })
})
