/**
 * Issue 27 (4) and issue 26 (round trips): exactly once across instances. Two processes of the built bundle
 * (src/index.ts bundled as `npm run build` does, each served on loopback like `npm start`) share one Botpress stand-in (the runtime emulator,
 * 40 ms added to every answer) and one provider test double. Five sessions at once; each webhook (assignment, agent
 * message, close) is sent to both instances at the same moment, as a provider's duplicate delivery or a redelivery
 * while the first try still runs would. A request answered 503 ("being applied by another delivery") is delivered again,
 * as the provider would. Exactly one hitlAssigned, one message and one hitlStopped per session.
 *
 * Then, on one instance, the sequential Botpress round trips of an assignment to an agent Botpress has never seen and of
 * a close: the longest chain of non-overlapping requests at the emulator (parallel requests count once).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { build } from 'esbuild'
import { IntegrationDriver, startEmulator, type Emulator, type RequestRecord } from '../../dev/emulator'
import type { WebhookRequest } from '../../src/core/types'
import type { FakeProvider } from '../conformance/fake'
import { eachProvider } from './fakes'
import { record } from './results'

const ROOT = path.resolve(__dirname, '../..')
const SESSIONS = 5
const LATENCY_MS = 40

let emulator: Emulator
let relay: http.Server
let relayUrl = ''
let tmp = ''
const instances: Array<{ child: ChildProcess; port: number; log: string[] }> = []

const readAll = (req: http.IncomingMessage) =>
  new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c)).on('end', () => resolve(Buffer.concat(chunks).toString('utf8'))).on('error', reject)
  })

const pairs = (headers: Headers) => {
  const out: Array<[string, string]> = []
  headers.forEach((value, key) => out.push([key, value]))
  return out
}

/** Answers an instance's provider request with this process's fetch, which the current provider's double intercepts. */
const startRelay = async () => {
  relay = http.createServer(async (req, res) => {
    try {
      const { url, method, headers, body } = JSON.parse(await readAll(req)) as { url: string; method: string; headers: Array<[string, string]>; body?: string }
      const answer = await fetch(url, { method, headers, body: body === undefined ? undefined : Buffer.from(body, 'base64') })
      const bytes = Buffer.from(await answer.arrayBuffer())
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: answer.status, headers: pairs(answer.headers), body: bytes.toString('base64') }))
    } catch (error) {
      res.writeHead(502, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 502, headers: [], body: Buffer.from(String(error)).toString('base64') }))
    }
  })
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', () => resolve()))
  relayUrl = `http://127.0.0.1:${(relay.address() as AddressInfo).port}/`
}

const startInstance = (script: string) =>
  new Promise<{ child: ChildProcess; port: number; log: string[] }>((resolve, reject) => {
    const env = { ...process.env, BP_API_URL: emulator.url, BP_TOKEN: emulator.token, HITL_TEST_RELAY: relayUrl, HITL_MEDIA_ALLOW_HOSTS: 'example.com' }
    const child = spawn(process.execPath, [script, path.join(tmp, 'index.cjs')], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
    const log: string[] = []
    const keep = (chunk: Buffer) => {
      log.push(chunk.toString())
      if (log.length > 200) log.shift()
    }
    let started = false
    child.stdout!.on('data', (chunk: Buffer) => {
      keep(chunk)
      const port = /^port (\d+)$/m.exec(chunk.toString())?.[1]
      if (!started && port) {
        started = true
        resolve({ child, port: Number(port), log })
      }
    })
    child.stderr!.on('data', keep)
    child.on('exit', (code) => {
      if (!started) reject(new Error(`instance exited with ${code}: ${log.join('').slice(-2000)}`))
    })
  })

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'hitl-instances-'))
  const script = path.join(tmp, 'instance.cjs')
  const common = { bundle: true, platform: 'node', target: 'node20', format: 'cjs', logLevel: 'silent' } as const
  await Promise.all([
    // The bundle exactly as `npm run build` makes it (scripts/build.mjs's options), into a directory of this test's own
    // so that it never races another suite rebuilding .botpress/dist.
    build({ ...common, entryPoints: [path.join(ROOT, 'src/index.ts')], outfile: path.join(tmp, 'index.cjs'), minify: true, legalComments: 'none' }),
    build({ ...common, entryPoints: [path.join(__dirname, 'instances/instance.ts')], outfile: script }),
  ])
  emulator = await startEmulator({ quiet: true })
  await startRelay()
  instances.push(...(await Promise.all([startInstance(script), startInstance(script)])))
}, 60_000)

afterAll(async () => {
  for (const { child } of instances) child.kill()
  await new Promise<void>((resolve) => (relay ? relay.close(() => resolve()) : resolve()))
  await emulator?.close()
  if (tmp) rmSync(tmp, { recursive: true, force: true })
})

const plain = (req: WebhookRequest) => ({
  ...req,
  headers: Object.fromEntries(Object.entries(req.headers).filter(([, v]) => v !== undefined)) as Record<string, string>,
})

/** The longest chain of non-overlapping requests among `records`: the sequential round trips. */
const sequential = (records: RequestRecord[]) => {
  const spans = records.map((r) => ({ start: Date.parse(r.at), end: Date.parse(r.at) + r.durationMs })).sort((a, b) => a.end - b.end)
  let count = 0
  let free = -Infinity
  for (const span of spans) {
    if (span.start >= free) {
      count++
      free = span.end
    }
  }
  return count
}

eachProvider('two instances, one webhook at the same moment: %s', (name, make) => {
  const fake: FakeProvider = make()
  beforeAll(() => fake.start())
  afterAll(() => fake.stop())

  it(`${SESSIONS} sessions: one hitlAssigned, one message and one hitlStopped each; close ≤ 3 and first-seen assignment ≤ 4 sequential Botpress round trips`, async () => {
    emulator.latencyMs = 0
    const webhookId = `instances-${name}`
    const [a, b] = instances.map(({ port }) => new IntegrationDriver({ emulator, integrationUrl: `http://127.0.0.1:${port}`, configuration: fake.configuration(), webhookId })) as [IntegrationDriver, IntegrationDriver]
    const open = async () => {
      const { userId } = await a.callAction('createUser', { name: 'Jane', email: 'jane@example.com' })
      const { conversationId } = await a.callAction('startHitl', { userId, title: 'Help', messageHistory: [] })
      return { conversationId: conversationId as string, sessionId: emulator.store.conversation(conversationId).tags.externalId as string }
    }
    const sessions = await Promise.all(Array.from({ length: SESSIONS + 1 }, open))
    const timed = sessions.pop()!

    emulator.latencyMs = LATENCY_MS
    const statuses: number[] = []
    /** Both instances at once; a 503 is delivered again (to either instance), as the provider would. */
    const both = async (req: WebhookRequest) => {
      const answers = await Promise.all([a.webhook(plain(req)), b.webhook(plain(req))])
      statuses.push(...answers.map((r) => r.status))
      for (const answer of answers) if (answer.status === 503) statuses.push((await a.webhook(plain(req))).status)
    }
    await Promise.all(
      sessions.map(async ({ sessionId }, i) => {
        const agent = { id: `agent-multi-${i}`, name: `Agent ${i}` }
        await both(await fake.agentAssigned(sessionId, agent))
        await both(await fake.agentMessage(sessionId, agent, { type: 'text', text: `once ${i}` }))
        await both(await fake.sessionClosed(sessionId))
      })
    )
    const of = (type: string, conversationId: string) => emulator.eventsOf(type).filter((e) => e.conversationId === conversationId).length
    const counts = sessions.map(({ conversationId }, i) => ({
      assigned: of('hitlAssigned', conversationId),
      messages: emulator.messagesOf(conversationId).filter((m) => (m.payload as { text?: string }).text === `once ${i}`).length,
      stopped: of('hitlStopped', conversationId),
    }))
    expect(counts).toEqual(sessions.map(() => ({ assigned: 1, messages: 1, stopped: 1 })))
    expect(statuses.filter((s) => s !== 200 && s !== 503)).toEqual([])
    expect(emulator.violations).toEqual([])
    const retried = statuses.filter((s) => s === 503).length

    // Sequential round trips on one instance: an assignment to an agent Botpress has never seen, then a close.
    const measure = async (req: WebhookRequest) => {
      const from = emulator.requests.length
      expect((await a.webhook(plain(req))).status).toBe(200)
      return sequential(emulator.requests.slice(from))
    }
    const assignment = await measure(await fake.agentAssigned(timed.sessionId, { id: 'agent-first-seen', name: 'Newcomer' }))
    const close = await measure(await fake.sessionClosed(timed.sessionId))
    emulator.latencyMs = 0
    expect(of('hitlAssigned', timed.conversationId)).toBe(1)
    expect(of('hitlStopped', timed.conversationId)).toBe(1)
    expect(close).toBeLessThanOrEqual(3)
    expect(assignment).toBeLessThanOrEqual(4)

    record(
      name,
      'guarantees',
      'two instances, one webhook at the same moment (40 ms per Botpress answer)',
      `${SESSIONS}/${SESSIONS} sessions: 1 hitlAssigned, 1 message, 1 hitlStopped (${retried} of ${SESSIONS * 6} deliveries answered 503 while the other instance applied, redelivered: 200)`
    )
    record(name, 'guarantees', 'sequential Botpress round trips: close · assignment (agent first seen)', `${close} · ${assignment}`)
  }, 60_000)
})
