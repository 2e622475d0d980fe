/**
 * A proxy in front of the Botpress emulator that can make Botpress commit a request and then answer 502 (a gateway
 * failing after the runtime did the work): the case a client that repeats POSTs turns into duplicates.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'

export type FlakyBotpress = {
  url: string
  /** The next `count` requests `METHOD /path` are forwarded (committed) and then answered 502. */
  commitThenFail(route: string, count?: number): void
  /** How many requests `METHOD /path` reached Botpress through the proxy. */
  count(route: string): number
  close(): Promise<void>
}

export const startFlakyBotpress = async (target: string): Promise<FlakyBotpress> => {
  const failures = new Map<string, number>()
  const counts = new Map<string, number>()
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', async () => {
      const route = `${req.method} ${(req.url ?? '/').split('?')[0]}`
      counts.set(route, (counts.get(route) ?? 0) + 1)
      const headers: Record<string, string> = {}
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string' && k !== 'host' && k !== 'content-length') headers[k] = v
      const body = chunks.length ? Buffer.concat(chunks) : undefined
      const answer = await fetch(`${target}${req.url}`, { method: req.method, headers, body })
      const text = await answer.text()
      const left = failures.get(route) ?? 0
      if (left > 0) {
        failures.set(route, left - 1)
        const error = { id: 'err_gateway', code: 502, type: 'Internal', message: 'Bad gateway (injected after the commit)' }
        res.writeHead(502, { 'content-type': 'application/json' }).end(JSON.stringify(error))
        return
      }
      res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' }).end(text)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    commitThenFail: (route, count = 1) => void failures.set(route, count),
    count: (route) => counts.get(route) ?? 0,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
