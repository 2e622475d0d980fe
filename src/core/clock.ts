/**
 * Where the HTTP client's delays come from (backoff, Retry-After, rate-limit resets, pacing). Production uses real time;
 * tests replace it with a virtual clock so that nothing ever sleeps (test/reliability/clock.ts).
 */
/** Where every delay of the client comes from (backoff, Retry-After, rate-limit resets, pacing): tests pass a virtual one. */
export type Clock = {
  now(): number
  sleep(ms: number): Promise<void>
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms))),
}

let activeClock: Clock = systemClock
/**
 * Replaces the clock of every client built from settings that name no clock of their own (the integration's, built
 * from the environment). For tests that drive the whole integration; call with no argument to restore real time.
 */
export const setHttpClock = (clock?: Clock) => {
  activeClock = clock ?? systemClock
}
/** The clock in force at the time of each call (so a test may swap it after clients were built). */
export const ambientClock: Clock = { now: () => activeClock.now(), sleep: (ms) => activeClock.sleep(ms) }
