/**
 * Plumbing the msw-based provider fakes share: injected faults queued per operation, and a rate-limit window in front
 * of the whole API. What the vendor answers (status, body, headers, with the docs cited) stays in each fake; only the
 * bookkeeping is here.
 */
import { http, HttpResponse } from 'msw'
import type { SetupServer } from 'msw/node'
import type { RateLimitWindow } from '../conformance/fake'

/** An injected answer: a status, optionally a JSON body and headers. */
export type Fault = { status: number; body?: unknown; headers?: Record<string, string> }

/** Faults queued per operation, answered in order before the operation is served again. */
export class FaultQueue {
  private readonly queues = new Map<string, Fault[]>()

  inject(operation: string, ...faults: Fault[]) {
    this.queues.set(operation, [...(this.queues.get(operation) ?? []), ...faults])
  }

  /** The answer to the next call of `operation` if a fault is queued for it (and consumed). */
  next(operation: string): Response | undefined {
    const fault = this.queues.get(operation)?.shift()
    if (!fault) return undefined
    return fault.body === undefined
      ? new HttpResponse(null, { status: fault.status, headers: fault.headers })
      : HttpResponse.json(fault.body as Record<string, unknown>, { status: fault.status, headers: fault.headers })
  }

  clear() {
    this.queues.clear()
  }
}

/**
 * Answers every request under `bases` (URL prefixes) with `answer()` until `until` on the client's clock `now`, or until
 * cleared, as a limit in front of the API does: the fake's own handlers (and its request count) never see them.
 * `resetInMs` is what the vendor's answer tells the client.
 */
export const rateLimitWindow = (
  server: SetupServer,
  opts: { bases: string[]; now: () => number; until: number; resetInMs: number; answer: () => Response }
): RateLimitWindow => {
  let answered = 0
  let active = true
  server.use(
    ...opts.bases.map((base) =>
      http.all(`${base}/*`, () => {
        if (!active || opts.now() >= opts.until) return undefined
        answered++
        return opts.answer()
      })
    )
  )
  return { answered: () => answered, resetInMs: opts.resetInMs, counted: false, clear: () => void (active = false) }
}
