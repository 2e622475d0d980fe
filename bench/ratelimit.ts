/**
 * A rate-limited send (issue 14): one user → agent message while the provider answers its documented 429 (each fake's
 * `rateLimited`, test/conformance/fake.ts) for a short window, in real time against the real bundle. Measured: requests
 * made (how many answered 429), the time the message took, and the reset the provider's answer gave.
 */
import type { World } from './world'

/** Short, so the bench stays quick; the vendor's answer rounds it to its own precision (Intercom: whole seconds). */
const WINDOW_MS = 2_000

export type RateLimitResult =
  | { status: 'ok'; windowMs: number; resetMs: number; requests: number; answered429: number; tookMs: number; posted: number }
  | { status: 'skipped'; reason: string }

export const runRateLimit = async (world: World, tag: string): Promise<RateLimitResult> => {
  const { fake, driver } = world
  if (!fake.rateLimited) return { status: 'skipped', reason: 'the test double has no rateLimited()' }
  const { userId } = await driver.callAction('createUser', { name: 'Rita Limit', email: `rita.${tag}@example.com` })
  const { conversationId } = await driver.callAction('startHitl', { userId, title: 'Rate limited', messageHistory: [] })
  const sessionId = world.emulator.store.conversations.find((c) => c.id === conversationId)?.tags?.externalId
  const before = fake.requestCount()
  const window = fake.rateLimited({ resetInMs: WINDOW_MS, now: () => Date.now() })
  if (!window) return { status: 'skipped', reason: 'no short-window rate limit' }
  const text = `rate limited ${tag}`
  const started = performance.now()
  try {
    await driver.sendMessage({ conversationId, type: 'text', payload: { text, userId } })
  } finally {
    window.clear()
  }
  const tookMs = Math.round(performance.now() - started)
  const requests = fake.requestCount() - before + (window.counted ? 0 : window.answered())
  const posted = sessionId ? fake.received(sessionId).filter((m) => m.text?.includes(text)).length : -1
  return { status: 'ok', windowMs: WINDOW_MS, resetMs: Math.round(window.resetInMs), requests, answered429: window.answered(), tookMs, posted }
}
