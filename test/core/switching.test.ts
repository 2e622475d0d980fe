/**
 * The switching rules (src/core/switching.ts) with scripted providers and an in-memory Botpress: webhook routing by
 * proof (never guessed, draining adapters built only when needed, an unsigned-mode verifier never steals a request a
 * proof-checking one accepts), and register's bookkeeping (a cut bounded in time and finished by the next save, the
 * kept section deleted with the registrations, the manual step when removal is refused). The whole flow over the real
 * providers is test/conformance/switching.test.ts.
 */
import { z } from '@botpress/sdk'
import { ConfigurationError } from '../../src/core/errors'
import { createProviderSet, registerProviders, routeWebhook, type Registration, type SwitchDeps } from '../../src/core/switching'
import { resolveProvider, type ProviderRegistry, type ResolveDeps } from '../../src/core/provider'
import type { ProviderAdapter, WebhookRequest } from '../../src/core/types'

type Calls = string[]

/** A provider whose webhooks prove themselves with `x-proof: <secret>`; `secret: ''` accepts anything (unsigned mode). */
const scripted = (name: string, calls: Calls, opts: { refuseDisconnect?: boolean; refuseConnect?: boolean; throwsOn?: string } = {}) => ({
  name,
  title: `Desk ${name}`,
  available: true,
  configSchema: z.object({ secret: z.string().optional(), url: z.string() }),
  secrets: (c: { secret?: string }) => [c.secret],
  create: (config: { secret?: string }): ProviderAdapter => {
    calls.push(`create ${name}`)
    return {
      title: `Desk ${name}`,
      connect: async () => {
        calls.push(`connect ${name}`)
        if (opts.refuseConnect) throw new ConfigurationError(`Desk ${name} refused the token`)
      },
      disconnect: async () => {
        calls.push(`disconnect ${name}`)
        if (opts.refuseDisconnect) throw new ConfigurationError(`Desk ${name} refused the token`)
      },
      createContact: async () => ({ id: 'c' }),
      openSession: async () => ({ id: 's' }),
      sendMessage: async () => ({}),
      closeSession: async (s) => void calls.push(`close ${name} ${s.id}`),
      verifyWebhook: (req) => {
        if (opts.throwsOn && req.headers['x-proof'] === opts.throwsOn) throw new Error('secret store unreachable')
        return !config.secret || req.headers['x-proof'] === config.secret ? { ok: true } : { ok: false, reason: 'bad proof' }
      },
      parseWebhook: () => ({ events: [] }),
    }
  },
  manualCleanup: (stored: Record<string, unknown>, url: string) => `Delete webhook ${String(stored.hookId)} (${url}) in Desk ${name}.`,
})

const req = (proof?: string): WebhookRequest => ({ method: 'POST', path: '/', query: '', headers: proof ? { 'x-proof': proof } : {}, body: '{}' })

const setup = (configuration: Record<string, unknown>, registry: ProviderRegistry, logs: string[] = []) => {
  const sink = { debug() {}, info() {}, warn: (m: string) => void logs.push(m), error: (m: string) => void logs.push(m) }
  const deps: ResolveDeps = {
    configuration,
    logger: sink,
    store: () => ({ get: async () => ({}), set: async () => {} }),
    ctx: { botId: 'bot', integrationId: 'int', webhookId: 'wh' },
  }
  return createProviderSet(registry, deps, resolveProvider(registry, deps))
}

describe('webhook routing by proof', () => {
  it('a request the active provider verifies builds no other adapter', async () => {
    const calls: Calls = []
    const set = setup({ provider: 'b', a: { secret: 'sa', url: 'x' }, b: { secret: 'sb', url: 'y' } }, { a: scripted('a', calls), b: scripted('b', calls) })
    const route = await routeWebhook(set, req('sb'))
    expect('provider' in route && route.provider.name).toBe('b')
    expect(calls).toEqual(['create b'])
  })

  it("a draining provider's proof routes to it; a proof no configured provider accepts is 401", async () => {
    const calls: Calls = []
    const set = setup({ provider: 'b', a: { secret: 'sa', url: 'x' }, b: { secret: 'sb', url: 'y' } }, { a: scripted('a', calls), b: scripted('b', calls) })
    const route = await routeWebhook(set, req('sa'))
    expect('provider' in route && route.provider.name).toBe('a')
    const refused = await routeWebhook(set, req('forged'))
    expect('reply' in refused && refused.reply.status).toBe(401)
    // Only the providers configured are asked: a provider without a section is never built.
    expect(calls).toEqual(['create b', 'create a'])
  })

  it('an unsigned-mode verifier (accepts a request with no proof) never takes a request a proof-checking one accepts', async () => {
    const calls: Calls = []
    const registry = { a: scripted('a', calls), b: scripted('b', calls) }
    const openActive = setup({ provider: 'b', a: { secret: 'sa', url: 'x' }, b: { url: 'y' } }, registry)
    const toA = await routeWebhook(openActive, req('sa'))
    expect('provider' in toA && toA.provider.name).toBe('a')
    const unproved = await routeWebhook(openActive, req())
    expect('provider' in unproved && unproved.provider.name).toBe('b')
    const openDraining = setup({ provider: 'a', a: { secret: 'sa', url: 'x' }, b: { url: 'y' } }, registry)
    const forgedForA = await routeWebhook(openDraining, req('forged'))
    expect('provider' in forgedForA && forgedForA.provider.name).toBe('b')
  })

  it('two proof-checking providers accepting the same request: 401, never guessed', async () => {
    const logs: string[] = []
    const set = setup({ provider: 'b', a: { url: 'x' }, b: { url: 'y' }, c: { secret: 's', url: 'z' } }, { a: scripted('a', []), b: scripted('b', []), c: scripted('c', []) }, logs)
    // a and b both accept anything; c checks: a request with c's proof goes to c, one without is ambiguous.
    const toC = await routeWebhook(set, req('s'))
    expect('provider' in toC && toC.provider.name).toBe('c')
    const ambiguous = await routeWebhook(set, req())
    expect('reply' in ambiguous && ambiguous.reply.status).toBe(401)
    expect(logs.join('\n')).toMatch(/never guessed/)
  })

  it('a proof that could not be checked yet (and none accepted) is 503', async () => {
    const set = setup({ provider: 'b', a: { secret: 'sa', url: 'x' }, b: { secret: 'sb', url: 'y' } }, { a: scripted('a', [], { throwsOn: 'boom' }), b: scripted('b', []) })
    const route = await routeWebhook(set, req('boom'))
    expect('reply' in route && route.reply.status).toBe(503)
  })
})

/** Conversations of the hitl channel in memory, paged two at a time, as listConversations pages. */
const botpress = (conversations: Array<{ id: string; tags: Record<string, string> }>) => {
  const events: Array<{ type: string; conversationId: string }> = []
  const client = {
    listConversations: async (q: { tags?: Record<string, string>; nextToken?: string }) => {
      const all = conversations.filter((c) => Object.entries(q.tags ?? {}).every(([k, v]) => c.tags[k] === v))
      const start = Number(q.nextToken ?? 0)
      const page = all.slice(start, start + 2)
      return { conversations: page, meta: start + 2 < all.length ? { nextToken: String(start + 2) } : {} }
    },
    updateConversation: async (u: { id: string; tags: Record<string, string> }) => {
      const c = conversations.find((x) => x.id === u.id)!
      Object.assign(c.tags, u.tags)
      return { conversation: c }
    },
  }
  const eventClient = {
    listEvents: async (q: { type: string; conversationId: string }) => ({
      events: events.filter((e) => e.type === q.type && e.conversationId === q.conversationId).map((e, i) => ({ id: `e${i}`, createdAt: String(i), payload: {} })),
    }),
    createEvent: async (e: { type: string; conversationId: string }) => {
      events.push({ type: e.type, conversationId: e.conversationId })
      return { event: e }
    },
  }
  return { client, events, eventClient }
}

describe('register: cut bounded in time, kept section deleted, manual step', () => {
  const session = (id: string, provider: string) => ({ id, tags: { provider, status: 'open', externalId: `x-${id}` } })

  it('stops what fits in the budget, keeps the section for the rest, and the next save finishes the cut', async () => {
    const calls: Calls = []
    const registry = { a: scripted('a', calls), b: scripted('b', calls) }
    const conversations = [1, 2, 3, 4, 5].map((i) => session(`c${i}`, 'a'))
    const bp = botpress(conversations)
    let registrations: Record<string, Registration> = { a: { webhookUrl: 'https://hook/wh', at: '', section: { secret: 'sa', url: 'x' } } }
    let clock = 0
    const deps = (): SwitchDeps => ({
      client: bp.client as unknown as SwitchDeps['client'],
      events: bp.eventClient as unknown as SwitchDeps['events'],
      refs: { sessionRef: (c) => ({ id: c.tags.externalId ?? '', botpressConversationId: c.id, data: async () => ({}), saveData: async () => {} }) },
      set: setup({ provider: 'b', b: { secret: 'sb', url: 'y' } }, registry),
      book: {
        read: async () => ({ registrations, stored: { a: { hookId: 'h1' } } }),
        write: async (name, r) => {
          const next = { ...registrations }
          if (r) next[name] = r
          else delete next[name]
          registrations = next
        },
      },
      webhookUrl: 'https://hook/wh',
      // Every reading of the clock moves it 1 ms: a budget of 6 ms stops part of the sessions.
      now: () => clock++,
      budgetMs: 6,
    })
    await registerProviders(deps(), 'https://hook/wh')
    const firstRound = bp.events.length
    expect(firstRound).toBeGreaterThan(0)
    expect(firstRound).toBeLessThan(5)
    expect(registrations.a).toMatchObject({ removed: true, pending: true, section: { secret: 'sa' } })
    expect(calls).toContain('disconnect a')

    clock = 0
    const more = deps()
    more.budgetMs = 1_000
    await registerProviders(more, 'https://hook/wh')
    expect(bp.events.map((e) => e.conversationId).sort()).toEqual(['c1', 'c2', 'c3', 'c4', 'c5'])
    expect(conversations.every((c) => c.tags.status === 'closed')).toBe(true)
    // Done: the section register kept for A is gone, only the tombstone stays.
    expect(registrations.a).toEqual({ webhookUrl: 'https://hook/wh', at: expect.any(String), removed: true })

    await registerProviders(more, 'https://hook/wh')
    expect(bp.events).toHaveLength(5)
  })

  it('a draining provider whose credentials are refused is cut: its sessions stopped once each, the manual step logged', async () => {
    const calls: Calls = []
    const logs: string[] = []
    const registry = { a: scripted('a', calls, { refuseConnect: true, refuseDisconnect: true }), b: scripted('b', calls) }
    const conversations = [session('c1', 'a'), session('c2', 'a'), session('c3', 'b')]
    const bp = botpress(conversations)
    let registrations: Record<string, Registration> = { a: { webhookUrl: 'https://hook/wh', at: '', section: { secret: 'sa', url: 'x' } } }
    const deps: SwitchDeps = {
      client: bp.client as unknown as SwitchDeps['client'],
      events: bp.eventClient as unknown as SwitchDeps['events'],
      refs: { sessionRef: (c) => ({ id: c.tags.externalId ?? '', botpressConversationId: c.id, data: async () => ({}), saveData: async () => {} }) },
      set: setup({ provider: 'b', a: { secret: 'sa', url: 'x' }, b: { secret: 'sb', url: 'y' } }, registry, logs),
      book: {
        read: async () => ({ registrations, stored: { a: { hookId: 'h9' } } }),
        write: async (name, r) => void (registrations = { ...registrations, [name]: r! }),
      },
      webhookUrl: 'https://hook/wh',
    }
    await expect(registerProviders(deps, 'https://hook/wh')).resolves.toBeUndefined()
    await registerProviders(deps, 'https://hook/wh')
    expect(bp.events.map((e) => e.conversationId).sort()).toEqual(['c1', 'c2'])
    expect(conversations.map((c) => c.tags.status)).toEqual(['closed', 'closed', 'open'])
    // Refused credentials: no close is attempted with them; the removal is tried once and the manual step logged.
    expect(calls.filter((c) => c.startsWith('close'))).toEqual([])
    expect(calls.filter((c) => c === 'disconnect a')).toHaveLength(1)
    expect(logs.join('\n')).toContain('Delete webhook h9 (https://hook/wh) in Desk a.')
    expect(registrations.a).toEqual({ webhookUrl: 'https://hook/wh', at: expect.any(String), removed: true })
  })

  it('when the kept credentials are refused, the exact manual step is logged and the save succeeds', async () => {
    const logs: string[] = []
    const registry = { a: scripted('a', [], { refuseDisconnect: true }), b: scripted('b', []) }
    const bp = botpress([])
    let registrations: Record<string, Registration> = { a: { webhookUrl: 'https://hook/wh', at: '', section: { secret: 'sa', url: 'x' } } }
    const deps: SwitchDeps = {
      client: bp.client as unknown as SwitchDeps['client'],
      events: bp.eventClient as unknown as SwitchDeps['events'],
      refs: { sessionRef: () => ({ id: '', botpressConversationId: '', data: async () => ({}), saveData: async () => {} }) },
      set: setup({ provider: 'b', b: { secret: 'sb', url: 'y' } }, registry, logs),
      book: {
        read: async () => ({ registrations, stored: { a: { hookId: 'h1' } } }),
        write: async (name, r) => void (registrations = { ...registrations, [name]: r! }),
      },
      webhookUrl: 'https://hook/wh',
    }
    await expect(registerProviders(deps, 'https://hook/wh')).resolves.toBeUndefined()
    expect(logs.join('\n')).toContain('Delete webhook h1 (https://hook/wh) in Desk a.')
    expect(registrations.a).toEqual({ webhookUrl: 'https://hook/wh', at: expect.any(String), removed: true })
  })
})
