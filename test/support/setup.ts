/**
 * Keeps test output readable and lets tests inspect what was logged: every console line is captured in
 * `capturedLogs` (see test/support/logs.ts) and printed only with TEST_LOGS=1.
 */
import { format } from 'node:util'

const captured: string[] = ((globalThis as any).__capturedLogs ??= [])
for (const level of ['log', 'info', 'debug', 'warn', 'error'] as const) {
  const original = console[level].bind(console)
  console[level] = (...args: unknown[]) => {
    captured.push(`${level}: ${format(...args)}`)
    if (process.env.TEST_LOGS) original(...args)
  }
}
