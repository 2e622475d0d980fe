/**
 * Rate limits, per registered provider, in the shape each vendor documents (each fake's `rateLimited` cites the doc it
 * follows: Intercom's X-RateLimit-Reset, HubSpot's policyName and interval headers, LiveChat's too_many_requests, the
 * HITL desk's Retry-After). Through the whole integration (Botpress emulator → adapter → shared HTTP client → fake):
 * - a user → agent message answered 429 is posted exactly once, after the window clears;
 * - a reset beyond the 25 s budget fails fast, the error naming the provider, the limit and when it resets (ISO time);
 * - a daily-quota 429 (where the vendor has one) is not retried.
 * All waits go through a virtual clock (setHttpClock): nothing sleeps, and the figures are what the client would wait.
 */
import { setHttpClock } from '../../src/core/http'
import { providers } from '../../src/providers'
import { startRig, type Rig } from '../support/rig'
import type { FakeProvider } from '../conformance/fake'
import { virtualClock, type VirtualClock } from './clock'
import { eachProvider } from './fakes'
import { record } from './results'

const WINDOW_MS = 8_000
const BEYOND_BUDGET_MS = 120_000
const BUDGET_MS = 25_000
const JITTER_MS = 250
/** Longest step of the backoff the client uses after a 429 that names no reset (1, 2, 4, 8, 8 s). */
const LONGEST_BACKOFF_MS = 8_000

/**
 * Providers whose documented 429 says nothing of when the limit clears (each fake's `rateLimited` cites the doc). Every
 * other provider's answer names its reset, and the client must wait for exactly that: a provider missing here whose
 * client ignored the reset fails these rows. A new provider whose vendor names no reset is added here, with the source.
 */
const NO_RESET_IN_ANSWER: Record<string, string> = {
  livechat: 'too_many_requests, no header (platform.text.com/docs/messaging/agent-chat-api#possible-errors)',
  chatwoot: "Rack::Attack's default 429, no Retry-After (config/initializers/rack_attack.rb)",
  zendesk: 'too_many_requests, no reset header: back off with jitter (github:zendesk/sunshine-conversations-api-spec openapi.yaml, info.description "Rate Limits")',
}

eachProvider('rate limits: %s', (name, make) => {
  const fake: FakeProvider = make()
  const title = (providers as Record<string, { title: string }>)[name]!.title
  let rig: Rig
  let clock: VirtualClock

  beforeAll(async () => {
    await fake.start()
    rig = await startRig(fake.configuration())
  })
  afterAll(async () => {
    setHttpClock()
    await rig.close()
    await fake.stop()
  })
  beforeEach(() => {
    fake.reset()
    rig.reset()
    clock = virtualClock()
    setHttpClock(clock)
  })

  const open = async () => {
    const { userId } = await rig.driver.callAction('createUser', { name: 'Jane', email: 'jane@example.com' })
    const { conversationId } = await rig.driver.callAction('startHitl', { userId, title: 'Help', messageHistory: [] })
    return { userId, conversationId, sessionId: rig.conversation(conversationId).tags.externalId as string }
  }
  const send = (ctx: { userId: string; conversationId: string }, text: string) =>
    rig.driver.sendMessage({ conversationId: ctx.conversationId, type: 'text', payload: { text, userId: ctx.userId } }).then(
      () => undefined,
      (error: Error) => error
    )
  const copies = (sessionId: string, text: string) => fake.received(sessionId).filter((m) => m.text?.includes(text)).length

  const namesReset = !Object.prototype.hasOwnProperty.call(NO_RESET_IN_ANSWER, name)

  it('a message answered 429 is posted exactly once, after the window clears', async () => {
    expect(typeof fake.rateLimited).toBe('function')
    const ctx = await open()
    const before = fake.requestCount()
    const waitsBefore = clock.waits.length
    const window = fake.rateLimited!({ resetInMs: WINDOW_MS, now: clock.now })!
    const error = await send(ctx, 'after the window')
    expect(error).toBeUndefined()
    expect(copies(ctx.sessionId, 'after the window')).toBe(1)
    expect(window.answered()).toBeGreaterThanOrEqual(1)
    const waited = clock.waits.slice(waitsBefore).reduce((a, b) => a + b, 0)
    // Never retried inside the window; at most one wait of jitter past it when the vendor says when it resets.
    expect(waited).toBeGreaterThanOrEqual(window.resetInMs)
    expect(waited).toBeLessThanOrEqual(BUDGET_MS)
    if (namesReset) {
      // One 429, then one wait until the reset the answer named (plus jitter, and a second where it names whole seconds).
      expect(window.answered()).toBe(1)
      expect(waited).toBeLessThan(window.resetInMs + JITTER_MS + 1_000)
    } else {
      // Nothing said when: backoff (1, 2, 4, 8 s), so more than one 429, and no more than one step past the window.
      expect(window.answered()).toBeGreaterThan(1)
      expect(waited).toBeLessThan(window.resetInMs + LONGEST_BACKOFF_MS + window.answered() * JITTER_MS)
    }
    const requests = fake.requestCount() - before + (window.counted ? 0 : window.answered())
    record(name, 'rate limits', `message under a ${WINDOW_MS / 1000} s window`, `posted once; ${requests} requests (${window.answered()}× 429); waited ${(waited / 1000).toFixed(1)} s, reset ${(window.resetInMs / 1000).toFixed(1)} s`)
  })

  it('a bloc sent into a rate-limit window arrives whole, in order, each item once', async () => {
    const ctx = await open()
    const window = fake.rateLimited!({ resetInMs: 3_000, now: clock.now })!
    const items = Array.from({ length: 6 }, (_, i) => ({ type: 'text', payload: { text: `bloc item ${i + 1}` } }))
    await rig.driver.sendMessage({ conversationId: ctx.conversationId, type: 'bloc', payload: { userId: ctx.userId, items } })
    const texts = fake.received(ctx.sessionId).map((m) => m.text ?? '').join('\n')
    const order = items.map((item) => texts.indexOf(item.payload.text))
    expect(order.filter((at) => at < 0)).toEqual([])
    expect([...order].sort((x, y) => x - y)).toEqual(order)
    for (const item of items) expect(texts.split(item.payload.text)).toHaveLength(2)
    // Where the answer names the reset, the first 429 holds the whole bloc until then: no second 429.
    if (namesReset) expect(window.answered()).toBe(1)
    else expect(window.answered()).toBeGreaterThanOrEqual(1)
    record(name, 'rate limits', 'bloc of 6 into a 3 s window', `all 6 once, in order (${window.answered()}× 429)`)
  })

  it('a reset beyond the budget fails fast with an error naming the provider, the limit and when it resets', async () => {
    const ctx = await open()
    const waitsBefore = clock.waits.length
    const resetAt = clock.now() + BEYOND_BUDGET_MS
    const window = fake.rateLimited!({ resetInMs: BEYOND_BUDGET_MS, now: clock.now })!
    const error = await send(ctx, 'never twice')
    window.clear()
    expect(error).toBeInstanceOf(Error)
    expect(error!.message).toContain(`${title} answered 429`)
    expect(error!.message).toContain(`${title} rate limit`)
    const waited = clock.waits.slice(waitsBefore).reduce((a, b) => a + b, 0)
    const tellsReset = /resets at (\d{4}-\d\d-\d\dT[\d:.]+Z)/.exec(error!.message)
    // Which branch applies is the vendor's documented answer, not what the client happened to do.
    expect(tellsReset !== null).toBe(namesReset)
    if (tellsReset) {
      // The vendor said when: no wait at all, one request, and the time it named (to its own precision).
      expect(Math.abs(Date.parse(tellsReset[1]!) - resetAt)).toBeLessThan(1_000 + JITTER_MS)
      expect(waited).toBe(0)
      expect(window.answered()).toBe(1)
    } else {
      // The vendor's docs give no reset (LiveChat): bounded backoff within the budget, then the same clear error.
      expect(error!.message).toContain('the provider did not say when it resets')
      expect(window.answered()).toBeGreaterThan(1)
      expect(waited).toBeGreaterThan(BUDGET_MS - LONGEST_BACKOFF_MS - JITTER_MS)
      expect(waited).toBeLessThanOrEqual(BUDGET_MS)
    }
    expect(copies(ctx.sessionId, 'never twice')).toBe(0)
    record(name, 'rate limits', 'reset beyond the 25 s budget', `clear error after ${window.answered()} request(s), ${(waited / 1000).toFixed(1)} s waited${tellsReset ? ', reset time named' : ' (no reset in the answer)'}`)
  })

  it('a daily-quota 429 is not retried', async () => {
    const ctx = await open()
    const window = fake.rateLimited!({ resetInMs: BEYOND_BUDGET_MS, now: clock.now, daily: true })
    if (!window) {
      record(name, 'rate limits', 'daily quota', 'n/a (no daily quota in the docs)')
      return
    }
    const waitsBefore = clock.waits.length
    const error = await send(ctx, 'daily')
    window.clear()
    expect(error).toBeInstanceOf(Error)
    expect(error!.message).toContain(`${title} rate limit`)
    expect(error!.message).toMatch(/quota exhausted/)
    expect(window.answered()).toBe(1)
    expect(clock.waits.length).toBe(waitsBefore)
    expect(copies(ctx.sessionId, 'daily')).toBe(0)
    record(name, 'rate limits', 'daily quota', '1 request, not retried, clear error')
  })
})
