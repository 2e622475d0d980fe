/** Real HTTP over loopback: a tiny fake integration webhook receiver and JSON helpers for the agent desk tests. */
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { startAgentDesk, type AgentDesk } from '../../dev/agent-desk'

export type Received = { path: string; headers: IncomingHttpHeaders; raw: string; body: any }
export type Receiver = { url: string; calls: Received[]; close: () => Promise<void> }

/** A stand-in for the integration's webhook endpoint, recording every call; answers 200 `{ok:true}` unless told otherwise. */
export const startReceiver = async (answer: (r: Received) => { status: number; body?: unknown } = () => ({ status: 200, body: { ok: true } })): Promise<Receiver> => {
  const calls: Received[] = []
  const server = createServer(async (req, res) => {
    let raw = ''
    for await (const chunk of req) raw += chunk
    const call = { path: req.url ?? '', headers: req.headers, raw, body: raw ? JSON.parse(raw) : undefined }
    calls.push(call)
    const { status, body } = answer(call)
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body ?? {}))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhook/test`,
    calls,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

export const post = async (base: string, path: string, body: unknown, headers: Record<string, string> = {}) => {
  const res = await fetch(base + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })
  const text = await res.text()
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined }
}

export const get = async (base: string, path: string) => {
  const res = await fetch(base + path)
  return { status: res.status, body: await res.json() }
}

/**
 * A desk wired to a receiver for the whole test file, both forgetting everything before each test (the desk's secret
 * set back to `secret`). `env.desk` and `env.receiver` exist from `beforeAll` on.
 */
export const useDeskWithReceiver = (opts: { secret?: string; webhookPath?: string; answer?: (r: Received) => { status: number; body?: unknown } } = {}) => {
  const env = {} as { desk: AgentDesk; receiver: Receiver }
  beforeAll(async () => {
    env.receiver = await startReceiver(opts.answer)
    env.desk = await startAgentDesk({ quiet: true, ...(opts.secret ? { secret: opts.secret } : {}), webhookUrl: env.receiver.url + (opts.webhookPath ?? '') })
  })
  afterAll(async () => {
    await env.desk.stop()
    await env.receiver.close()
  })
  beforeEach(() => {
    env.desk.reset()
    if (opts.secret) env.desk.setSecret(opts.secret)
    env.receiver.calls.length = 0
  })
  return env
}
