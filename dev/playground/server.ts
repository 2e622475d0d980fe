/**
 * The browser playground's HTTP transport (dev only, loopback only): a tiny node:http server with a JSON API, a
 * server-sent event stream and the static page built by scripts/build.mjs (.botpress/dev/playground/). What each API
 * call does to the session (createUser, startHitl, messages, stopHitl, the local desk's agent actions) and the state
 * the page shows live in ./session.ts; this file only routes, guards and streams.
 *
 *   GET  /                     the page            GET /api/state    the snapshot    GET /api/events   SSE (snapshot, then deltas)
 *   POST /api/user/message     {type:"text", text} | {type:"image"|"file", url}     ("/end" ends the session)
 *   POST /api/user/escalate    {title, description?}
 *   POST /api/user/end
 *   POST /api/desk/tickets/:id/reply     {agent, type:"text", text} | {agent, type:"image"|"file", url}
 *   POST /api/desk/tickets/:id/assign    {agent}        /transfer {agent}        /close
 *
 * Only JSON POSTs under the playground's own loopback Host are served. Errors answer `{ error }` with a sentence meant
 * for the person at the keyboard (400 bad input, 403 foreign Host, 404 unknown route or ticket, 409 refused in the
 * current state, 413 body too large, 415 not JSON, 502 the integration or the provider failed).
 */
import { readFile } from 'node:fs/promises'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { PlaygroundError } from './input'
import { allowMediaHost } from './media-hosts'
import { PlaygroundSession, type SessionOptions } from './session'
import type { StreamEvents } from './types'


export interface PlaygroundOptions extends SessionOptions {
  /** Where index.html, app.js and style.css are (scripts/build.mjs writes them to .botpress/dev/playground). */
  staticDir: string
  /** Default 0 (any free port). */
  port?: number
  /** Default 127.0.0.1. Keep it on loopback: the API acts on the integration without authentication. */
  host?: string
}

const MAX_BODY = 64 * 1024

const STATIC: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/index.html': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/app.js.map': { file: 'app.js.map', type: 'application/json; charset=utf-8' },
  '/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
}
/** A sample image served by the playground itself, so attachments work without the internet. */
const SAMPLE_SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="240" height="160" viewBox="0 0 240 160"><rect width="240" height="160" rx="12" fill="#fef3c7"/><rect x="24" y="20" width="192" height="120" rx="6" fill="#fff" stroke="#d97706"/><text x="40" y="52" font-family="sans-serif" font-size="18" fill="#92400e">RECEIPT #42</text><text x="40" y="84" font-family="sans-serif" font-size="14" fill="#78350f">1 × parcel ........ 19.90</text><text x="40" y="112" font-family="sans-serif" font-size="14" fill="#78350f">Total .............. 19.90</text></svg>`
const CSP = "default-src 'self'; img-src 'self' http: https: data:; media-src 'self' http: https:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

const isObject = (v: unknown): v is Record<string, any> => typeof v === 'object' && v !== null && !Array.isArray(v)
const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error))

export class Playground {
  url = ''
  /** What the API acts on: the end user's session and, with a local desk, the agents'. */
  readonly session: PlaygroundSession
  private readonly server: http.Server
  private readonly clients = new Set<http.ServerResponse>()
  private readonly heartbeat: NodeJS.Timeout
  private readonly unsubscribe: Array<() => void> = []

  constructor(private readonly opts: PlaygroundOptions) {
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((error) => this.json(res, 500, { error: `playground failure: ${errorText(error)}` }))
    })
    this.heartbeat = setInterval(() => this.clients.forEach((c) => c.write(': keep-alive\n\n')), 15_000).unref()
    this.session = new PlaygroundSession(opts, (event, data) => this.publish(event, data))
    this.unsubscribe.push(() => this.session.dispose())
  }

  async listen(port = this.opts.port ?? 0) {
    const host = this.opts.host ?? '127.0.0.1'
    await new Promise<void>((resolve, reject) => {
      const fail = (error: Error) => reject(error)
      this.server.once('error', fail).listen(port, host, () => {
        this.server.off('error', fail)
        resolve()
      })
    })
    const { port: bound } = this.server.address() as AddressInfo
    const hostPort = `${host.includes(':') ? `[${host}]` : host}:${bound}`
    this.url = `http://${hostPort}/`
    // Its sample media (/samples/…) are fetched by the integration in this process: allow exactly this host:port.
    this.unsubscribe.push(allowMediaHost(hostPort))
    return this
  }

  async close() {
    this.unsubscribe.splice(0).forEach((off) => off())
    clearInterval(this.heartbeat)
    this.clients.forEach((c) => c.end())
    this.clients.clear()
    this.server.closeAllConnections()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }

  snapshot() {
    return this.session.snapshot()
  }

  // ── HTTP ───────────────────────────────────────────────────────────────────

  private async handle(req: http.IncomingMessage, res: http.ServerResponse) {
    // Loopback only, and only under its own name: a page from another site cannot drive the API (DNS rebinding, CSRF).
    const { port } = this.server.address() as AddressInfo
    const host = req.headers.host ?? ''
    if (![`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`].includes(host)) {
      return this.json(res, 403, { error: `unexpected Host header “${host}”: open the playground at ${this.url}` })
    }
    const url = new URL(req.url ?? '/', 'http://playground')
    const method = req.method ?? 'GET'

    if (method === 'GET' || method === 'HEAD') {
      if (url.pathname === '/api/state') return this.json(res, 200, this.snapshot())
      if (url.pathname === '/api/events') return this.stream(req, res)
      if (url.pathname === '/samples/receipt.svg') {
        return res.writeHead(200, { 'content-type': 'image/svg+xml', 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' }).end(SAMPLE_SVG)
      }
      if (url.pathname === '/favicon.ico') return res.writeHead(204).end()
      const entry = STATIC[url.pathname]
      if (entry) return this.file(res, entry)
      return this.json(res, 404, { error: `no page ${url.pathname}` })
    }
    if (method !== 'POST') return this.json(res, 405, { error: `${method} is not supported` }, { allow: 'GET, POST' })

    if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) return this.json(res, 415, { error: 'send JSON (content-type: application/json)' })
    let body: Record<string, any>
    try {
      body = await readJson(req)
    } catch (error) {
      return this.json(res, error instanceof PlaygroundError ? error.status : 400, { error: errorText(error) })
    }
    try {
      const desk = /^\/api\/desk\/tickets\/([^/]+)\/(reply|assign|transfer|close)$/.exec(url.pathname)
      let answer: unknown
      if (url.pathname === '/api/user/message') answer = await this.session.userMessage(body)
      else if (url.pathname === '/api/user/escalate') answer = await this.session.escalate(body)
      else if (url.pathname === '/api/user/end') answer = await this.session.end()
      else if (desk) answer = await this.session.deskAction(decodeURIComponent(desk[1]!), desk[2] as 'reply', body)
      else return this.json(res, 404, { error: `no API route POST ${url.pathname}` })
      return this.json(res, 200, answer)
    } catch (error) {
      if (error instanceof PlaygroundError) return this.json(res, error.status, { error: error.message })
      throw error
    }
  }

  private stream(req: http.IncomingMessage, res: http.ServerResponse) {
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform', connection: 'keep-alive' })
    res.write('retry: 1000\n\n')
    res.write(`event: snapshot\ndata: ${JSON.stringify(this.snapshot())}\n\n`)
    this.clients.add(res)
    req.on('close', () => this.clients.delete(res))
  }

  private async file(res: http.ServerResponse, entry: { file: string; type: string }) {
    let content: Buffer
    try {
      content = await readFile(path.join(this.opts.staticDir, entry.file))
    } catch {
      return this.json(res, 404, { error: `${entry.file} is missing from ${this.opts.staticDir}: run “npm run build” first` })
    }
    const headers: Record<string, string> = { 'content-type': entry.type, 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' }
    if (entry.file === 'index.html') Object.assign(headers, { 'content-security-policy': CSP, 'referrer-policy': 'no-referrer' })
    res.writeHead(200, headers).end(content)
  }

  private json(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
    if (res.headersSent) return void res.end()
    const text = JSON.stringify(body)
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'content-length': String(Buffer.byteLength(text)), ...headers }).end(text)
  }

  private publish<K extends keyof StreamEvents>(event: K, data: StreamEvents[K]) {
    const chunk = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`
    this.clients.forEach((c) => c.write(chunk))
  }
}

const readJson = async (req: http.IncomingMessage): Promise<Record<string, any>> => {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > MAX_BODY) throw new PlaygroundError(413, 'the request body is larger than 64 KB')
    chunks.push(chunk as Buffer)
  }
  const raw = Buffer.concat(chunks).toString('utf8')
  if (!raw.trim()) return {}
  let parsed: unknown
  try {
    parsed = JSON.parse(raw)
  } catch {
    throw new PlaygroundError(400, 'the body is not valid JSON')
  }
  if (!isObject(parsed)) throw new PlaygroundError(400, 'the body must be a JSON object')
  return parsed
}

/** Starts the playground server on loopback. */
export async function startPlayground(opts: PlaygroundOptions): Promise<Playground> {
  const playground = new Playground(opts)
  try {
    return await playground.listen()
  } catch (error) {
    await playground.close() // drop its emulator and desk listeners
    throw error
  }
}
