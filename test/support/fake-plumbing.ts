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

  /** Replaces whatever is queued for `operation` with these faults. */
  replace(operation: string, ...faults: Fault[]) {
    this.queues.set(operation, faults)
  }

  /** Forgets the faults queued for `operation` only. */
  drop(operation: string) {
    this.queues.delete(operation)
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

/**
 * What a fake that names every request by the vendor's operationId records: the calls it received, what the vendor's
 * spec refuses (`violations()`, must stay empty) and the faults queued per operation. The fake answers the rest.
 */
export abstract class OperationRecorder<C extends { operationId?: string }> {
  calls: C[] = []
  protected problems: string[] = []
  protected readonly faults = new FaultQueue()

  requestCount() {
    return this.calls.length
  }

  violations() {
    return [...this.problems]
  }

  /** Answers the next calls of an operation (by operationId) with these faults, in order, before serving it again. */
  inject(operationId: string, ...faults: Fault[]) {
    this.faults.inject(operationId, ...faults)
  }

  callsTo(operationId: string) {
    return this.calls.filter((c) => c.operationId === operationId)
  }

  /** Forget the calls, the violations and the queued faults. */
  protected forgetRecords() {
    this.calls = []
    this.problems = []
    this.faults.clear()
  }
}
