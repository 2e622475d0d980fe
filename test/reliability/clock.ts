/**
 * A virtual clock for the HTTP client (src/core/http.ts `Clock`): `sleep` moves time forward at once instead of
 * waiting, and every wait is recorded, so tests assert how long the client would have waited without ever sleeping.
 */
import type { Clock } from '../../src/core/http'

export type VirtualClock = Clock & {
  /** Every sleep the client asked for, in ms, in order. */
  readonly waits: number[]
  /** Total virtual time slept. */
  waited(): number
  advance(ms: number): void
}

export const virtualClock = (start = Date.parse('2026-03-02T10:00:00.000Z')): VirtualClock => {
  let offset = 0
  const waits: number[] = []
  return {
    waits,
    now: () => start + offset,
    waited: () => waits.reduce((a, b) => a + b, 0),
    advance(ms) {
      offset += ms
    },
    async sleep(ms) {
      const delay = Math.max(0, ms)
      waits.push(delay)
      offset += delay
      // Let other work run, as a real timer would, without taking real time.
      await new Promise((resolve) => setImmediate(resolve))
    },
  }
}
