/**
 * Serves the built integration on loopback only. The SDK's own `integration.start(port)` (its `serve`) listens on every
 * interface and cannot be given a host, so anyone on the network could drive the integration with a configuration of
 * their choosing. This is the same request mapping as the SDK's server (lower-cased raw headers, body read for
 * POST/PUT/PATCH, `/health`, 500 with `{error}` when the handler throws), bound to 127.0.0.1, and answering only
 * under its loopback names (a rebound DNS name gets 403).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Request as SdkRequest, Response as SdkResponse } from '@botpress/sdk'

export type SdkHandler = (req: SdkRequest) => Promise<SdkResponse | void>

const LOOPBACK = ['127.0.0.1', 'localhost', '[::1]']

const readBody = (req: IncomingMessage): Promise<string | undefined> =>
  new Promise((resolve, reject) => {
    if (req.method !== 'POST' && req.method !== 'PUT' && req.method !== 'PATCH') return resolve(undefined)
    let body = ''
    req.on('data', (chunk: Buffer) => (body += chunk.toString()))
    req.on('error', reject)
    req.on('end', () => resolve(body))
  })

const toSdkRequest = async (req: IncomingMessage): Promise<SdkRequest> => {
  const body = await readBody(req)
  const headers: Record<string, string> = {}
  for (let i = 0; i < req.rawHeaders.length; i += 2) headers[req.rawHeaders[i]!.toLowerCase()] = req.rawHeaders[i + 1]!
  const url = new URL(req.url ?? '', 'http://127.0.0.1')
  return { body, path: url.pathname, query: url.search.startsWith('?') ? url.search.slice(1) : url.search, headers, method: req.method?.toUpperCase() ?? 'GET' }
}

/** Starts `handler` (the bundle's `default.handler`) on 127.0.0.1:`port` (0: any free port). */
export const serveOnLoopback = async (handler: SdkHandler, port = 0): Promise<Server> => {
  const server = createServer(async (req, res) => {
    const { port: bound } = server.address() as AddressInfo
    if (!LOOPBACK.some((name) => req.headers.host === `${name}:${bound}`)) {
      req.resume()
      return void res.writeHead(403, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'loopback callers only' }))
    }
    try {
      const request = await toSdkRequest(req)
      if (request.path === '/health') return void res.writeHead(200).end('ok')
      const answer = await handler(request)
      res.writeHead(answer?.status ?? 200, answer?.headers ?? {}).end(answer?.body ?? '{}')
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error)
      if (!res.headersSent) res.writeHead(500).end(JSON.stringify({ error: message || 'Internal error occured' }))
      else res.end()
    }
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject).listen(port, '127.0.0.1', () => resolve())
  })
  return server
}
