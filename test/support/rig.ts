/**
 * A Botpress runtime emulator plus the integration, driven in-process through the SDK's own request handler
 * (the same code path its HTTP server uses), for unit and conformance tests.
 */
import integration from '../../src/index'
import type { WebhookRequest } from '../../src/core/types'
import { resetCaches } from '../../src/core/cache'
import { IntegrationDriver, startEmulator, type Emulator } from '../../dev/emulator'

export type Rig = Awaited<ReturnType<typeof startRig>>

export const startRig = async (configuration: Record<string, unknown>) => {
  const emulator: Emulator = await startEmulator({ quiet: true })
  process.env.BP_API_URL = emulator.url
  process.env.BP_TOKEN = emulator.token
  const driver = new IntegrationDriver({ emulator, handler: integration.handler, configuration })
  emulator.attach(driver)

  // Counted as they happen: filtering the whole request log on every call makes long fuzz runs quadratic.
  let writes = 0
  emulator.on('request', (r: any) => {
    if (r.method !== 'GET') writes++
  })

  const all = <T>(x: T[] | Map<string, T> | Record<string, T>): T[] =>
    Array.isArray(x) ? x : x instanceof Map ? [...x.values()] : Object.values(x)

  return {
    emulator,
    driver,
    botUserId: emulator.botUserId,
    /** Delivers a provider webhook as Botpress would (webhook_received). */
    webhook: (req: WebhookRequest) =>
      driver.webhook({
        ...req,
        headers: Object.fromEntries(Object.entries(req.headers).filter(([, v]) => v !== undefined)) as Record<string, string>,
      }),
    reset() {
      emulator.reset()
      resetCaches()
    },
    violations: () => emulator.violations.map((v: any) => `${v.operationId}: ${(v.errors ?? []).join('; ')}`),
    user: (id: string) => {
      const user = all<any>(emulator.store.users).find((u) => u.id === id)
      if (!user) throw new Error(`no user ${id} in the emulator`)
      return user
    },
    users: () => all<any>(emulator.store.users),
    conversation: (id: string) => {
      const conversation = all<any>(emulator.store.conversations).find((c) => c.id === id)
      if (!conversation) throw new Error(`no conversation ${id} in the emulator`)
      return conversation
    },
    conversations: () => all<any>(emulator.store.conversations),
    messagesOf: (conversationId: string) =>
      all<any>(emulator.store.messages)
        .filter((m) => m.conversationId === conversationId)
        .sort((a, b) => String(a.createdAt).localeCompare(String(b.createdAt))),
    events: (type?: string) => all<any>(emulator.store.events).filter((e) => !type || e.type === type),
    /** Botpress requests that change something. */
    writeCount: () => writes,
    requestCount: () => emulator.requests.length,
    async close() {
      await emulator.close()
    },
  }
}

/**
 * The usual setup around a provider fake: start it and a rig before the tests, stop both after; with `reset`, forget
 * everything between tests; with `strict`, fail a test that made a request the vendor's spec or Botpress's rejects.
 * Returns the rig (usable once the tests run).
 */
export const useFakeRig = (
  fake: { start(): Promise<void>; stop(): Promise<void>; reset(): void; configuration(): Record<string, unknown>; violations(): string[] },
  options: { reset?: boolean; strict?: boolean; before?: (rig: Rig) => Promise<void> | void } = {}
): Rig => {
  let current: Rig | undefined
  beforeAll(async () => {
    await fake.start()
    current = await startRig(fake.configuration())
    await options.before?.(current)
  })
  afterAll(async () => {
    await current?.close()
    await fake.stop()
  })
  if (options.reset) {
    beforeEach(() => {
      fake.reset()
      current!.reset()
    })
  }
  if (options.strict) {
    afterEach(() => {
      expect(fake.violations()).toEqual([])
      expect(current!.violations()).toEqual([])
    })
  }
  return new Proxy({} as Rig, {
    get: (_, key) => {
      if (!current) throw new Error('the rig starts in beforeAll: use it inside tests or hooks')
      return (current as any)[key]
    },
  })
}
