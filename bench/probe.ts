/**
 * Watches the round trips the integration makes, on the server side of each one: the Botpress emulator's node:http
 * server, a loopback provider service (the agent desk), or an msw server (requests it answers with a mock).
 * Each request becomes an interval [start, end] on one clock (performance.now() of this process), so the longest
 * chain of strictly sequential round trips can be read off the overlaps.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http'

export type Side = 'botpress' | 'provider'
export type Interval = { side: Side; start: number; end: number; bytes: number; what: string }

export class Recorder {
  readonly intervals: Interval[] = []
  add(interval: Interval) {
    this.intervals.push(interval)
  }
  mark(): number {
    return this.intervals.length
  }
  since(mark: number): Interval[] {
    return this.intervals.slice(mark)
  }
}

/**
 * The longest chain of round trips each of which starts after the previous one ended: the maximum set of pairwise
 * non-overlapping intervals (greedy by earliest end is optimal). Parallel requests overlap and count once.
 */
export const chainDepth = (intervals: Interval[]): number => {
  let depth = 0
  let lastEnd = -Infinity
  for (const iv of [...intervals].sort((a, b) => a.end - b.end)) {
    if (iv.start >= lastEnd) {
      depth++
      lastEnd = iv.end
    }
  }
  return depth
}

/** Records every request a node:http server answers that `classify` assigns to a side (others are ignored). */
export const hookHttpServer = (server: Server, classify: (req: IncomingMessage) => Side | undefined, recorder: Recorder) => {
  server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
    const side = classify(req)
    if (!side) return
    const start = performance.now()
    const bytes = Number(req.headers['content-length'] ?? 0) || 0
    res.once('finish', () => recorder.add({ side, start, end: performance.now(), bytes, what: `${req.method} ${req.url}` }))
  })
}

export const isLoopback = (url: string) => {
  const host = new URL(url).hostname
  return host === '127.0.0.1' || host === 'localhost' || host === '[::1]' || host === '::1'
}

/** The bits of an msw SetupServer the bench uses (duck-typed: the bench bundles no msw of its own). */
export type MswServerLike = {
  use(...handlers: unknown[]): void
  events: {
    on(event: 'request:start', listener: (e: { request: Request; requestId: string }) => void): void
    on(event: 'response:mocked', listener: (e: { response: Response; request: Request; requestId: string }) => void): void
  }
}

/** Records every request an msw server answers with a mock (provider requests; loopback passthroughs are ignored). */
export const hookMsw = (server: MswServerLike, recorder: Recorder) => {
  const pending = new Map<string, { start: number; bytes: Promise<number> }>()
  server.events.on('request:start', ({ request, requestId }) => {
    if (isLoopback(request.url)) return
    const declared = Number(request.headers.get('content-length'))
    const bytes = declared > 0 ? Promise.resolve(declared) : request.clone().arrayBuffer().then((b) => b.byteLength, () => 0)
    pending.set(requestId, { start: performance.now(), bytes })
  })
  server.events.on('response:mocked', ({ request, requestId }) => {
    const started = pending.get(requestId)
    if (!started) return
    pending.delete(requestId)
    const end = performance.now()
    const url = new URL(request.url)
    const interval: Interval = { side: 'provider', start: started.start, end, bytes: 0, what: `${request.method} ${url.host}${url.pathname}` }
    recorder.add(interval)
    void started.bytes.then((b) => (interval.bytes = b))
  })
}

/** Adds `latency.ms` before every mocked provider answer: an msw handler placed first that answers nothing (falls through). */
export const delayMsw = (server: MswServerLike, mswHttp: { all: (path: string, resolver: (info: { request: Request }) => Promise<undefined>) => unknown }, latency: { ms: number }) => {
  server.use(
    mswHttp.all('*', async ({ request }) => {
      if (latency.ms > 0 && !isLoopback(request.url)) await new Promise((r) => setTimeout(r, latency.ms))
      return undefined
    })
  )
}
