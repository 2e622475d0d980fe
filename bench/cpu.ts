/**
 * Handler CPU for one provider (run in a child process of its own, with --expose-gc).
 *
 * Headline ("handler"): the integration's own webhook handler exactly as bundled (.botpress/dist/index.cjs,
 * `integration.webhook`, which the SDK calls for `webhook_received`), called back to back on one thread with an
 * in-memory Botpress client that answers at once (no I/O at all). Per webhook this includes everything the
 * integration does: resolving the configuration (section check, redactor, HTTP client), the signature check, JSON
 * parsing and zod/mini validation, normalization, and the engine's Botpress calls (their JS side only).
 *
 * Context ("SDK handler, loopback"): the SDK's whole request handler in-process (`integration.handler`: header
 * parsing, Botpress client construction, the above), with the real @botpress/client talking to the emulator over
 * loopback at zero added latency — so this one includes two HTTP round trips and the emulator's own work, on the same core.
 */
import { generateKeyPairSync, sign, verify } from 'node:crypto'
import type { WebhookRequest } from '../src/core/types'
import { percentile, round, summarize, type Summary } from './stats'
import type { Scenario } from './scenarios'
import { agents, startWorld, type World } from './world'

export type CpuCase = {
  label: string
  calls: number
  /** Botpress client calls per webhook (the in-memory stub counts them). */
  botpressCallsPerWebhook: number
  p50Us: number
  p90Us: number
  p99Us: number
  /** Webhooks per second on one core, one figure per batch. */
  perSecond: Summary
  /**
   * CPU this process spent per webhook (process.cpuUsage, user + system, over each batch ÷ its size; median of the
   * batches). The p50/p90/p99 above are wall time: where a webhook waits (a provider request, a timer) they differ.
   */
  cpuUs: number
  /** Provider requests per webhook (the test double counts them); > 0 only where the provider's API forces one. */
  providerRequestsPerWebhook: number
  /**
   * p50 of (wall time − the time the provider's test double took to answer): the handler's own time, where a webhook
   * makes a provider request. Equal to p50Us where it makes none.
   */
  ownP50Us: number
  failures: number
  /** The first non-200 answer, if any. */
  firstFailure?: string
}

export type CpuResult = {
  provider: string
  cases: Record<string, CpuCase>
  /** Where the provider's proof is costlier than an HMAC (scenario.proof): that verification alone, p50 µs of CPU. */
  proofUs?: number
}

const now = () => new Date().toISOString()
const gc = () => (globalThis as { gc?: () => void }).gc?.()

/** An in-memory Botpress client for the calls the engine makes on the webhook path, answering at once. */
const stubClient = (conversation: any) => {
  let calls = 0
  const user = (x: any) => ({ id: 'user_01BENCHAGENT0000000000000000', createdAt: now(), updatedAt: now(), name: x?.name, pictureUrl: x?.pictureUrl, tags: x?.tags ?? {} })
  const impl: Record<string, (x: any) => Promise<unknown>> = {
    listConversations: async () => ({ conversations: [conversation], meta: {} }),
    getConversation: async () => ({ conversation }),
    updateConversation: async (x) => ({ conversation: { ...conversation, tags: { ...conversation.tags, ...x.tags } } }),
    getOrCreateMessage: async (x) => ({ message: { id: 'msg_01BENCH', createdAt: now(), updatedAt: now(), direction: 'incoming', ...x } }),
    getOrCreateUser: async (x) => ({ user: user(x) }),
    updateUser: async (x) => ({ user: user(x) }),
    listUsers: async () => ({ users: [], meta: {} }),
    getUser: async (x) => ({ user: user({ id: x.id }) }),
    createEvent: async (x) => ({ event: { id: 'evt_01BENCH', createdAt: now(), status: 'pending', failureReason: null, ...x } }),
    listEvents: async () => ({ events: [], meta: {} }),
    getState: async () => ({ state: { payload: {} } }),
    setState: async (x) => ({ state: { payload: x.payload } }),
    getOrSetState: async (x) => ({ state: { payload: x.payload }, meta: { cached: false } }),
    patchState: async (x) => ({ state: { payload: x.payload } }),
  }
  const client: Record<string, unknown> = {}
  for (const [name, fn] of Object.entries(impl)) {
    client[name] = (x: any) => {
      calls++
      return fn(x)
    }
  }
  return { client, calls: () => calls }
}

/** A silent SDK-like logger that remembers the last warning or error (reported with a failure). */
const noopLogger = (): any => {
  const logger: any = {
    last: '',
    debug() {},
    info() {},
    warn(m: unknown) {
      logger.last = String(m)
    },
    error(m: unknown) {
      logger.last = String(m)
    },
  }
  for (const k of ['with', 'withUserId', 'withConversationId', 'withVisibleToBotOwners', 'withHiddenToIntegrationOwners', 'forBot', 'forBotOnly']) logger[k] = () => logger
  return logger
}

const time = async (
  label: string,
  call: (i: number) => Promise<{ status?: number; body?: string } | void>,
  opts: { warmup: number; batches: number; batchSize: number },
  botpressCalls: () => number,
  lastLog: () => string = () => '',
  provider: { count: () => number; waitedUs: (since: number) => number } = { count: () => 0, waitedUs: () => 0 }
): Promise<CpuCase> => {
  const providerRequests = provider.count
  let failures = 0
  let firstFailure: string | undefined
  for (let i = 0; i < opts.warmup; i++) await call(i)
  const durations: number[] = []
  const own: number[] = []
  const rates: number[] = []
  const cpu: number[] = []
  const calls0 = botpressCalls()
  const provider0 = providerRequests()
  let n = 0
  for (let b = 0; b < opts.batches; b++) {
    gc()
    const batchStart = process.hrtime.bigint()
    const cpu0 = process.cpuUsage()
    for (let j = 0; j < opts.batchSize; j++, n++) {
      const mark = providerRequests()
      const t0 = process.hrtime.bigint()
      const res = await call(n)
      const us = Number(process.hrtime.bigint() - t0) / 1000
      durations.push(us)
      own.push(us - provider.waitedUs(mark))
      if ((res?.status ?? 200) !== 200) {
        failures++
        firstFailure ??= `${res?.status}: ${String(res?.body ?? '').slice(0, 200)} ${lastLog()}`.trim()
      }
    }
    const used = process.cpuUsage(cpu0)
    cpu.push((used.user + used.system) / opts.batchSize)
    rates.push(opts.batchSize / (Number(process.hrtime.bigint() - batchStart) / 1e9))
  }
  const perWebhook = (botpressCalls() - calls0) / n
  return {
    label,
    calls: n,
    botpressCallsPerWebhook: round(perWebhook),
    p50Us: round(percentile(durations, 50)),
    p90Us: round(percentile(durations, 90)),
    p99Us: round(percentile(durations, 99)),
    perSecond: summarize(rates.map((r) => Math.round(r))),
    cpuUs: round(percentile(cpu, 50)),
    providerRequestsPerWebhook: round((providerRequests() - provider0) / n),
    ownP50Us: round(percentile(own, 50)),
    failures,
    ...(firstFailure ? { firstFailure } : {}),
  }
}

/** The verification primitive alone: a 2,048-bit RSA public key checking a webhook-sized body, p50 of 2,000 (µs). */
const proofCost = (algorithm: 'rsa-sha256'): number => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const body = Buffer.from(JSON.stringify({ actor: { actor_type: 'agent' }, action: 'message_create', data: { message: { message_parts: [{ text: { content: 'x'.repeat(120) } }] } } }))
  const signature = sign(algorithm.slice(4), body, privateKey)
  const times: number[] = []
  for (let i = 0; i < 2200; i++) {
    const t0 = process.hrtime.bigint()
    if (!verify('sha256', body, publicKey, signature)) throw new Error('the bench could not verify its own signature')
    if (i >= 200) times.push(Number(process.hrtime.bigint() - t0) / 1000)
  }
  return round(percentile(times, 50))
}

export const runCpu = async (scenario: Scenario, scale = 1): Promise<CpuResult> => {
  const world = await startWorld(scenario)
  try {
    world.setLatency(0)
    return { provider: scenario.provider, cases: await cases(world, scale), ...(scenario.proof ? { proofUs: proofCost(scenario.proof.algorithm) } : {}) }
  } finally {
    await world.close()
  }
}

const cases = async (world: World, scale: number): Promise<Record<string, CpuCase>> => {
  const { driver, fake, emulator, bundle } = world
  const { alice, bob } = agents('cpu')
  const { userId } = await driver.callAction('createUser', { name: 'Jane Doe', email: 'jane.cpu@example.com' })
  const { conversationId } = await driver.callAction('startHitl', { userId, title: 'CPU', messageHistory: [] })
  const sessionId = emulator.store.conversation(conversationId).tags.externalId!
  await world.deliver(await fake.agentAssigned(sessionId, alice))
  await world.deliver(await fake.agentMessage(sessionId, alice, { type: 'text', text: 'first' }))
  const conversation = structuredClone(emulator.store.conversation(conversationId))

  const pool = async (n: number, make: (i: number) => WebhookRequest | Promise<WebhookRequest>) => {
    const out: WebhookRequest[] = []
    for (let i = 0; i < n; i++) out.push(await make(i))
    return out
  }

  const stub = stubClient(conversation)
  const { recorder } = world
  const provider = {
    count: () => recorder.mark(),
    waitedUs: (since: number) => recorder.since(since).filter((iv) => iv.side === 'provider').reduce((sum, iv) => sum + (iv.end - iv.start) * 1000, 0),
  }
  const ctx = {
    botId: emulator.botId,
    botUserId: emulator.botUserId,
    integrationId: emulator.integrationId,
    integrationAlias: emulator.integrationName,
    webhookId: driver.webhookId,
    operation: 'webhook_received',
    configurationType: null,
    configuration: fake.configuration(),
  }
  const logger = noopLogger()
  const webhook = bundle.default.webhook as (props: unknown) => Promise<{ status?: number; body?: string }>
  const viaHandler = (reqs: WebhookRequest[]) => (i: number) => webhook({ client: stub.client, ctx, req: reqs[i % reqs.length], logger })
  const big = { warmup: Math.round(2000 * scale), batches: 5, batchSize: Math.round(4000 * scale) }
  const small = { warmup: Math.round(500 * scale), batches: 5, batchSize: Math.round(1000 * scale) }

  const out: Record<string, CpuCase> = {}
  // HITL_BENCH_CPU_CASES=sessionClosed,agentMessage: only those cases (to profile one path: node --cpu-prof … --child cpu).
  const only = process.env.HITL_BENCH_CPU_CASES?.split(',')
  const wanted = (name: string) => !only || only.includes(name)
  // Assignments first, on the session's thread as a hand-off leaves it. Where the provider confirms an assignment
  // against the chat (LiveChat's get_chat, whose answer carries the whole thread with its events), measuring it after
  // the 1,000 pooled messages below were added to that thread made every confirmation parse a 1,000-event answer:
  // that is the cost of an unusually long thread, not of an assignment (it was the 4 ms of issue 26).
  const assignments = await pool(100, () => fake.agentAssigned(sessionId, bob))
  if (wanted('agentAssigned')) out.agentAssigned = await time('assignment webhook (agent known)', viaHandler(assignments), small, stub.calls, () => logger.last, provider)
  const messages = await pool(1000, (i) =>
    fake.agentMessage(sessionId, alice, { type: 'text', text: `Message ${i}: your replacement parcel ships today, tracking number follows.` }, { messageId: `cpu-${i}` })
  )
  const closes = await pool(100, () => fake.sessionClosed(sessionId))
  if (wanted('agentMessage')) out.agentMessage = await time('agent→user text webhook (agent known)', viaHandler(messages), big, stub.calls, () => logger.last, provider)
  if (wanted('sessionClosed')) out.sessionClosed = await time('close webhook', viaHandler(closes), small, stub.calls, () => logger.last, provider)

  // The SDK's whole handler with the real Botpress client over loopback (context, not the headline).
  const headers = (): Record<string, string> => ({
    'content-type': 'application/json',
    'x-bot-id': emulator.botId,
    'x-bot-user-id': emulator.botUserId,
    'x-integration-id': emulator.integrationId,
    'x-integration-alias': emulator.integrationName,
    'x-webhook-id': driver.webhookId,
    'x-bp-operation': 'webhook_received',
    'x-bp-configuration': Buffer.from(JSON.stringify(fake.configuration())).toString('base64'),
  })
  const sdkRequests = messages.slice(0, 200).map((req) => ({
    method: 'POST',
    path: '/',
    query: '',
    headers: headers(),
    body: JSON.stringify({ req: { ...req, headers: Object.fromEntries(Object.entries(req.headers).filter(([, v]) => v !== undefined)) } }),
  }))
  const handler = bundle.default.handler as (req: unknown) => Promise<{ status?: number; body?: string } | void>
  if (wanted('sdkLoopback')) out.sdkLoopback = await time(
    'SDK handler, Botpress over loopback (context)',
    (i) => handler(sdkRequests[i % sdkRequests.length]),
    { warmup: 200, batches: 5, batchSize: Math.round(300 * scale) },
    () => emulator.requests.length
  )
  return out
}
