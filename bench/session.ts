/**
 * Round trips, latency and transcript scaling for one provider (run in a child process of its own).
 *
 * Each iteration plays one whole hand-off over loopback HTTP, timing and counting every operation:
 * createUser, startHitl, one user→agent message of each type, the assignment webhook (agent first seen), two agent
 * messages (agent known), a message from a second agent (first seen), stopHitl; then a second session closed by the
 * agent. The "zero" phase runs with no added latency (counts, handler overhead); the "net" phase adds 20 ms to every
 * emulator and provider answer (latency, and the sequential depth read from the overlap of request intervals).
 */
import { chainDepth, type Interval } from './probe'
import { floorOf, OP_INFO, OPS, type Op, type Scenario } from './scenarios'
import { median, mode, round, summarize, type Summary } from './stats'
import { agents, AGENT_IMAGE, AGENT_TEXT, makeHistory, startWorld, USER_MESSAGES, type World } from './world'
import { runRateLimit, type RateLimitResult } from './ratelimit'

export const NET_LATENCY_MS = 20
export const HISTORY_SIZES = [10, 100, 1000] as const

type Sample = { trace: string[]; ms: number; botpress: number; provider: number; depth: number; botpressDepth: number; providerDepth: number; botpressBytes: number; providerBytes: number; countsAgree: boolean }

export type OpResult = {
  label: string
  floor: { botpress: number; provider: number; total: number }
  floorWhy: string
  /** Requests per operation (the same in every run unless `unanimous` is false). */
  botpress: number
  provider: number
  unanimous: boolean
  /** Longest chain of sequential round trips (from the interval overlaps of the 20 ms runs). */
  depth: number
  botpressDepth: number
  providerDepth: number
  zeroMs: Summary
  netMs: Summary
  floorMs: number
  /** netMs.median / floorMs. */
  ratio: number
  /** (netMs.median - zeroMs.median) / 20: the sequential depth as the added latency sees it (cross-check). */
  depthByLatency: number
  /** The requests of one run, in start order (Botpress operation ids, provider method and path). */
  trace: string[]
}

export type TranscriptResult = {
  history: number
  inputBytes: number
  botpress: number
  provider: number
  botpressBytes: number
  providerBytes: number
  depth: number
  zeroMs: Summary
  netMs: Summary
}

/** A measurement only some providers' fakes can drive (e.g. app-wide webhooks about threads the integration did not open). */
export type ExtraResult = { label: string; botpress: number; provider: number; why: string }

export type SessionResult = {
  provider: string
  observedWith: string
  repeats: number
  ops: Record<Op, OpResult>
  transcript: TranscriptResult[]
  transcriptNote?: string
  webhookRequestWhy?: string
  extras?: ExtraResult[]
  checks: string[]
  rateLimit?: RateLimitResult
}

/**
 * Foreign traffic, for fakes that can produce it (`foreignTraffic(thread?)`): a webhook about a conversation of the
 * provider account that the integration did not open. It must cost 0 Botpress requests.
 */
const runForeignTraffic = async (world: World, checks: string[]): Promise<ExtraResult[]> => {
  const { fake, deliver } = world
  if (typeof fake.foreignTraffic !== 'function') return []
  world.setLatency(0)
  const first = fake.foreignTraffic() as Parameters<typeof deliver>[0]
  const thread = String((JSON.parse(first.body) as Array<{ objectId: unknown }>)[0]?.objectId)
  const once = (await measure(world, () => deliver(first))).sample
  const again = (await measure(world, () => deliver(fake.foreignTraffic(thread)))).sample
  if (once.botpress || again.botpress) checks.push(`foreign traffic reached Botpress (${once.botpress} + ${again.botpress} requests)`)
  return [
    { label: 'foreign webhook, thread first seen', botpress: once.botpress, provider: once.provider, why: 'one lookup tells whether the thread is ours; the verdict is kept' },
    { label: 'foreign webhook, thread seen before', botpress: again.botpress, provider: again.provider, why: 'dropped from the kept verdict' },
  ]
}

/** " conversation/sessionData" for a state operation's path (/v1/chat/states/{type}/{id}/{name}), else "". */
const stateName = (path: string) => {
  const m = /\/states\/([^/]+)\/[^/]+\/([^/?]+)/.exec(path)
  return m ? ` ${m[1]}/${m[2]}` : ''
}

const tick = () => new Promise((resolve) => setImmediate(resolve))

export const measure = async <T>(world: World, fn: () => Promise<T>): Promise<{ out: T; sample: Sample; intervals: Interval[] }> => {
  const { recorder, emulator, fake } = world
  const mark = recorder.mark()
  const bp0 = emulator.requests.length
  const pv0 = fake.requestCount()
  const t0 = performance.now()
  const out = await fn()
  const ms = performance.now() - t0
  await tick()
  await tick()
  const intervals = recorder.since(mark)
  const bp = intervals.filter((i) => i.side === 'botpress')
  const pv = intervals.filter((i) => i.side === 'provider')
  const botpress = emulator.requests.length - bp0
  const provider = fake.requestCount() - pv0
  const trace = [
    ...emulator.requests.slice(bp0).map((r) => ({ at: Date.parse(r.at), what: `botpress ${r.operationId}${stateName(r.path)}` })),
    ...pv.map((i) => ({ at: performance.timeOrigin + i.start, what: `provider ${i.what}` })),
  ]
    .sort((a, b) => a.at - b.at)
    .map((t) => t.what)
  return {
    out,
    intervals,
    sample: {
      trace,
      ms,
      botpress,
      provider,
      depth: chainDepth(intervals),
      botpressDepth: chainDepth(bp),
      providerDepth: chainDepth(pv),
      botpressBytes: bp.reduce((s, i) => s + i.bytes, 0),
      providerBytes: pv.reduce((s, i) => s + i.bytes, 0),
      countsAgree: bp.length === botpress && pv.length === provider,
    },
  }
}

/** One whole hand-off; returns a sample per operation. */
const playSession = async (world: World, tag: string, checks: string[]): Promise<Record<Op, Sample>> => {
  const { driver, fake, emulator, deliver } = world
  const samples = {} as Record<Op, Sample>
  const run = async <T>(op: Op, fn: () => Promise<T>): Promise<T> => {
    const { out, sample } = await measure(world, fn)
    samples[op] = sample
    return out
  }
  const { alice, bob } = agents(tag)

  const { userId } = await run('createUser', () => driver.callAction('createUser', { name: 'Jane Doe', email: `jane.${tag}@example.com` }))
  const { conversationId } = await run('startHitl', () =>
    driver.callAction('startHitl', { userId, title: 'Order never arrived', description: 'Order #42, placed 10 days ago', messageHistory: makeHistory(4, userId) })
  )
  const sessionId = emulator.store.conversation(conversationId).tags.externalId!
  for (const [type, payload] of USER_MESSAGES) {
    await run(`user.${type}` as Op, () => driver.sendMessage({ conversationId, type, payload: { ...payload, userId } }))
  }
  const assigned = await fake.agentAssigned(sessionId, alice)
  await run('agent.assign', () => deliver(assigned))
  const text = await fake.agentMessage(sessionId, alice, AGENT_TEXT)
  await run('agent.text', () => deliver(text))
  const image = await fake.agentMessage(sessionId, alice, AGENT_IMAGE)
  await run('agent.image', () => deliver(image))
  const fromBob = await fake.agentMessage(sessionId, bob, { type: 'text', text: 'Bob here, I am taking over.' })
  await run('agent.newAgent', () => deliver(fromBob))
  await run('stopHitl', () => driver.callAction('stopHitl', { conversationId }))

  const second = await driver.callAction('startHitl', { userId, title: 'Second question', messageHistory: [] })
  const secondSession = emulator.store.conversation(second.conversationId).tags.externalId!
  const closed = await fake.sessionClosed(secondSession)
  await run('agent.close', () => deliver(closed))

  // The work really happened (a fast path that silently ignored a webhook would flatter the figures).
  const agentMessages = emulator.messagesOf(conversationId).filter((m) => m.direction === 'incoming').length
  if (agentMessages !== 3) checks.push(`${tag}: expected 3 agent messages in Botpress, found ${agentMessages}`)
  const assignedEvents = emulator.eventsOf('hitlAssigned').filter((e) => e.conversationId === conversationId).length
  if (assignedEvents !== 1) checks.push(`${tag}: expected 1 hitlAssigned, found ${assignedEvents}`)
  const stopped = emulator.eventsOf('hitlStopped').filter((e) => e.conversationId === second.conversationId).length
  if (stopped !== 1) checks.push(`${tag}: expected 1 hitlStopped for the agent-closed session, found ${stopped}`)
  const received = fake.received(sessionId).length
  if (received < USER_MESSAGES.length) checks.push(`${tag}: the agent received ${received} messages, expected at least ${USER_MESSAGES.length}`)
  if (!fake.sessions().find((s) => s.id === sessionId)?.closed) checks.push(`${tag}: stopHitl did not close the provider session`)
  return samples
}

export const runSession = async (scenario: Scenario, repeats: number, transcriptRepeats: number): Promise<SessionResult> => {
  const world = await startWorld(scenario)
  const checks: string[] = []
  try {
    const zero: Array<Record<Op, Sample>> = []
    const net: Array<Record<Op, Sample>> = []
    world.setLatency(0)
    await playSession(world, 'warmup-0', checks)
    for (let i = 0; i < repeats; i++) zero.push(await playSession(world, `zero-${i}`, checks))
    world.setLatency(NET_LATENCY_MS)
    await playSession(world, 'warmup-net', checks)
    for (let i = 0; i < repeats; i++) net.push(await playSession(world, `net-${i}`, checks))

    const ops = {} as Record<Op, OpResult>
    for (const op of OPS) {
      const all = [...zero, ...net].map((s) => s[op])
      const bp = mode(all.map((s) => s.botpress))
      const pv = mode(all.map((s) => s.provider))
      const netSamples = net.map((s) => s[op])
      const floor = floorOf(scenario, op)
      const zeroMs = summarize(zero.map((s) => s[op].ms))
      const netMs = summarize(netSamples.map((s) => s.ms))
      const floorMs = floor.total * NET_LATENCY_MS
      if (all.some((s) => !s.countsAgree)) checks.push(`${op}: request counts of the emulator/fake and of the interval probes disagree`)
      ops[op] = {
        label: OP_INFO[op].label,
        floor,
        floorWhy: scenario.providerFloor?.[op]?.why ?? OP_INFO[op].why,
        botpress: bp.value,
        provider: pv.value,
        unanimous: bp.unanimous && pv.unanimous,
        depth: mode(netSamples.map((s) => s.depth)).value,
        botpressDepth: mode(netSamples.map((s) => s.botpressDepth)).value,
        providerDepth: mode(netSamples.map((s) => s.providerDepth)).value,
        zeroMs,
        netMs,
        floorMs,
        ratio: round(netMs.median / floorMs),
        depthByLatency: round((netMs.median - zeroMs.median) / NET_LATENCY_MS),
        trace: netSamples[netSamples.length - 1]!.trace,
      }
    }

    const transcript = await runTranscript(world, transcriptRepeats)
    const extras = await runForeignTraffic(world, checks)
    world.setLatency(0)
    const rateLimit = await runRateLimit(world, 'bench').catch((error: Error): RateLimitResult => ({ status: 'skipped', reason: `failed: ${error.message.slice(0, 200)}` }))
    return {
      provider: scenario.provider,
      observedWith: world.observe + (world.loopbackBypassesMsw ? ', loopback around msw' : ''),
      repeats,
      ops,
      transcript,
      transcriptNote: scenario.transcriptNote,
      webhookRequestWhy: scenario.webhookRequestWhy,
      ...(extras.length ? { extras } : {}),
      checks: [...new Set(checks)],
      rateLimit,
    }
  } finally {
    await world.close()
  }
}

/** startHitl with 10, 100 and 1,000 history messages: time, bytes the integration sends, requests. */
const runTranscript = async (world: World, repeats: number): Promise<TranscriptResult[]> => {
  const { driver } = world
  world.setLatency(0)
  const { userId } = await driver.callAction('createUser', { name: 'Jane Doe', email: 'jane.transcript@example.com' })
  const out: TranscriptResult[] = []
  for (const n of HISTORY_SIZES) {
    const messageHistory = makeHistory(n, userId)
    const start = () => driver.callAction('startHitl', { userId, title: `History of ${n}`, messageHistory })
    const phases: Record<'zero' | 'net', Sample[]> = { zero: [], net: [] }
    for (const phase of ['zero', 'net'] as const) {
      world.setLatency(phase === 'zero' ? 0 : NET_LATENCY_MS)
      await start() // warm-up
      for (let i = 0; i < repeats; i++) phases[phase].push((await measure(world, start)).sample)
    }
    const all = [...phases.zero, ...phases.net]
    out.push({
      history: n,
      inputBytes: Buffer.byteLength(JSON.stringify(messageHistory)),
      botpress: mode(all.map((s) => s.botpress)).value,
      provider: mode(all.map((s) => s.provider)).value,
      botpressBytes: median(all.map((s) => s.botpressBytes)),
      providerBytes: median(all.map((s) => s.providerBytes)),
      depth: mode(phases.net.map((s) => s.depth)).value,
      zeroMs: summarize(phases.zero.map((s) => s.ms)),
      netMs: summarize(phases.net.map((s) => s.ms)),
    })
  }
  world.setLatency(0)
  return out
}
