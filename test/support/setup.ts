/**
 * Keeps test output readable and lets tests inspect what was logged: every console line is captured in
 * `capturedLogs` (see test/support/logs.ts) and printed only with TEST_LOGS=1.
 */
import { format } from 'node:util'
import { installHttpClock } from './http-clock'

const captured: string[] = ((globalThis as any).__capturedLogs ??= [])
for (const level of ['log', 'info', 'debug', 'warn', 'error'] as const) {
  const original = console[level].bind(console)
  console[level] = (...args: unknown[]) => {
    captured.push(`${level}: ${format(...args)}`)
    if (process.env.TEST_LOGS) original(...args)
  }
}

/**
 * The media fetcher (src/core/media.ts) resolves and checks every host before connecting, and nothing resolves in the
 * sandbox. These are exactly the media hosts the provider fakes serve with msw (HubSpot's FILE_HOST and LiveChat's
 * WEB_HOSTS, the conformance suite's images): allow-listed, they skip the address check and msw answers them in-process.
 * The fetcher's own tests unset or override this per test.
 */
process.env.HITL_MEDIA_ALLOW_HOSTS = 'example.com,media.test,x.test'

/**
 * Every HTTP client built without a clock of its own waits on a virtual clock (backoff, Retry-After, rate-limit resets,
 * pacing): the suite never sleeps for real. Timeouts stay real (they guard against a stuck connection).
 */
installHttpClock()
