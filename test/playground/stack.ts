/**
 * The playground wired as `npm start` wires it, in-process: Botpress runtime emulator, the integration (through the
 * SDK's own handler, so these tests never rebuild or read .botpress/dist while another test file builds it), the
 * local agent desk (signed), and the playground server. Plus a tiny SSE reader and JSON helpers.
 */
import { build } from 'esbuild'
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import integration from '../../src/index'
import { startAgentDesk, type AgentDesk } from '../../dev/agent-desk'
import { IntegrationDriver, startEmulator, type Emulator } from '../../dev/emulator'
import { startPlayground, type Playground } from '../../dev/playground/server'

const root = path.resolve(__dirname, '../..')
export const SECRET = 'playground-test-secret-0123456789'

export interface Stack {
  emulator: Emulator
  desk: AgentDesk
  driver: IntegrationDriver
  playground: Playground
  url: string
  close(): Promise<void>
}

/**
 * `local` (default): provider http with the desk in the agent pane. `provider`: the same http provider and desk, but
 * the playground is not given the desk, exactly as with `--config` (the agent answers "elsewhere").
 */
export async function startStack(opts: { staticDir?: string; mode?: 'local' | 'provider' } = {}): Promise<Stack> {
  const emulator = await startEmulator({ quiet: true })
  process.env.BP_API_URL = emulator.url
  process.env.BP_TOKEN = emulator.token
  const desk = await startAgentDesk({ secret: SECRET, quiet: true })
  const driver = new IntegrationDriver({
    emulator,
    handler: integration.handler as any,
    configuration: { provider: 'http', http: { endpointBaseUrl: desk.url, webhookSecret: SECRET } },
    webhookId: 'playground-test',
  })
  emulator.attach(driver)
  desk.setWebhookUrl(driver.webhookUrl)
  await driver.register()
  const playground = await startPlayground({
    emulator,
    driver,
    provider: 'http',
    ...(opts.mode === 'provider' ? {} : { desk }),
    staticDir: opts.staticDir ?? emptyStaticDir(),
  })
  return {
    emulator,
    desk,
    driver,
    playground,
    url: playground.url.replace(/\/$/, ''),
    async close() {
      await playground.close()
      await desk.stop()
      await emulator.close()
    },
  }
}

const emptyStaticDir = () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'playground-static-'))
  writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>playground test page</title>')
  return dir
}

/** The page exactly as scripts/build.mjs builds it, into a fresh temporary directory. */
export async function buildPage(): Promise<string> {
  const out = mkdtempSync(path.join(os.tmpdir(), 'playground-page-'))
  const web = path.join(root, 'dev/playground/web')
  await build({ entryPoints: [path.join(web, 'app.ts')], outfile: path.join(out, 'app.js'), bundle: true, platform: 'browser', format: 'iife', target: ['es2020'], sourcemap: true, logLevel: 'silent' })
  mkdirSync(out, { recursive: true })
  for (const file of ['index.html', 'style.css']) copyFileSync(path.join(web, file), path.join(out, file))
  return out
}

export const post = async (base: string, route: string, body: unknown = {}, headers: Record<string, string> = {}) => {
  const res = await fetch(base + route, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })
  const text = await res.text()
  return { status: res.status, body: text ? JSON.parse(text) : undefined }
}

export const get = async (base: string, route: string) => {
  const res = await fetch(base + route)
  return { status: res.status, headers: res.headers, text: await res.text() }
}

export type SseEvent = { event: string; data: any }

/** Reads /api/events; `next(predicate)` resolves with the first matching event (already received or to come). */
export async function openStream(base: string) {
  const controller = new AbortController()
  const res = await fetch(`${base}/api/events`, { signal: controller.signal })
  if (!res.ok || !res.body) throw new Error(`SSE answered ${res.status}`)
  const events: SseEvent[] = []
  const waiters: Array<{ match: (e: SseEvent) => boolean; resolve: (e: SseEvent) => void }> = []
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader()
  let buffer = ''
  void (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read()
        if (done) return
        buffer += value
        let end: number
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end)
          buffer = buffer.slice(end + 2)
          const event = /^event: (.*)$/m.exec(block)?.[1]
          const data = /^data: (.*)$/m.exec(block)?.[1]
          if (!event || data === undefined) continue
          const e = { event, data: JSON.parse(data) }
          events.push(e)
          for (const w of [...waiters]) {
            if (!w.match(e)) continue
            waiters.splice(waiters.indexOf(w), 1)
            w.resolve(e)
          }
        }
      }
    } catch {
      // aborted
    }
  })()
  return {
    events,
    next(match: (e: SseEvent) => boolean, timeoutMs = 5000): Promise<SseEvent> {
      const seen = events.find(match)
      if (seen) return Promise.resolve(seen)
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching server-sent event within ${timeoutMs} ms; got ${events.map((e) => e.event).join(', ')}`)), timeoutMs)
        waiters.push({ match, resolve: (e) => (clearTimeout(timer), resolve(e)) })
      })
    },
    close: () => controller.abort(),
  }
}
