/**
 * Bundle size and cold start, side by side with the floor: a bare @botpress/sdk integration (no actions, a no-op
 * handler) bundled with the same esbuild options as scripts/build.mjs. Each cold start is a fresh `node` process that
 * requires the bundle, starts the SDK server and serves one `webhook_received` request (ours resolves the
 * configuration, creates the adapter and refuses the unsigned webhook with 401 — no network; the floor answers 200).
 */
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { BUNDLE_OPTIONS, esbuild, ROOT, tempDir } from './load'
import { round, summarize, type Summary } from './stats'
import { BUNDLE } from './world'

export type ColdRun = { requireMs: number; firstRequestMs: number; totalMs: number; processMs: number; status: number }
export type Cold = { requireMs: Summary; firstRequestMs: Summary; totalMs: Summary; processMs: Summary; status: number }
export type BundleResult = {
  integration: { bytes: number; cold: Cold }
  floor: { bytes: number; cold: Cold }
  sizeRatio: number
  requireRatio: number
  totalRatio: number
  /** Bytes by package in the integration bundle and in the floor (esbuild metafiles of the same builds), largest additions first. */
  composition: Array<{ name: string; bytes: number; floorBytes: number }>
  runs: number
}

const FLOOR_SOURCE = `import * as sdk from '@botpress/sdk'
export default new sdk.Integration({
  register: async () => {},
  unregister: async () => {},
  actions: {},
  channels: {},
  handler: async () => {},
})
`

/** Runs in the fresh process: require, start, one request; prints one JSON line. */
const PROBE = `'use strict'
const t0 = performance.now()
const mod = require(process.argv[2])
const t1 = performance.now()
const http = require('node:http')
const config = JSON.parse(process.argv[3])
let server
const go = () => {
  const body = JSON.stringify({ req: { method: 'POST', path: '/', query: '', headers: { 'content-type': 'application/json' }, body: '{"remoteConversationId":"t_1"}' } })
  const headers = {
    'content-type': 'application/json', 'content-length': Buffer.byteLength(body),
    'x-bot-id': '3f1e2d3c-4b5a-4697-8812-345fedcba987', 'x-bot-user-id': 'user_01BENCH0000000000000000000',
    'x-integration-id': '9e8d7c6b-5a49-4382-9160-fedcba987654', 'x-integration-alias': 'hitl-hub', 'x-webhook-id': 'bench',
    'x-bp-operation': 'webhook_received', 'x-bp-configuration': Buffer.from(JSON.stringify(config)).toString('base64'),
  }
  const req = http.request({ host: '127.0.0.1', port: server.address().port, method: 'POST', path: '/', headers }, (res) => {
    res.resume()
    res.on('end', () => {
      const t2 = performance.now()
      process.stdout.write('\\n' + JSON.stringify({ requireMs: t1 - t0, firstRequestMs: t2 - t1, totalMs: t2 - t0, status: res.statusCode }) + '\\n')
      server.close()
      process.exit(0)
    })
  })
  req.end(body)
}
Promise.resolve(mod.default.start(0)).then((s) => {
  server = s
  if (server.listening) go()
  else server.once('listening', go)
})
`

const CONFIG = { provider: 'http', http: { endpointBaseUrl: 'http://127.0.0.1:9/hitl', webhookSecret: 'cold-start-secret-0123456789' } }

const coldRun = (probe: string, bundle: string): Promise<ColdRun> =>
  new Promise((resolve, reject) => {
    const started = performance.now()
    const child = spawn(process.execPath, [probe, bundle, JSON.stringify(CONFIG)], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, BP_LOG_FORMAT: '' } })
    let out = ''
    let err = ''
    child.stdout.on('data', (c) => (out += c))
    child.stderr.on('data', (c) => (err += c))
    child.on('error', reject)
    child.on('close', (code) => {
      const processMs = performance.now() - started
      const line = out.trim().split('\n').pop() ?? ''
      try {
        resolve({ ...JSON.parse(line), processMs })
      } catch {
        reject(new Error(`cold start of ${bundle} failed (exit ${code}): ${(err || out).slice(-500)}`))
      }
    })
  })

const summarizeRuns = (runs: ColdRun[]): Cold => ({
  requireMs: summarize(runs.map((r) => r.requireMs)),
  firstRequestMs: summarize(runs.map((r) => r.firstRequestMs)),
  totalMs: summarize(runs.map((r) => r.totalMs)),
  processMs: summarize(runs.map((r) => r.processMs)),
  status: runs[0]?.status ?? 0,
})

/** Groups the metafile's output bytes by package (node_modules/<pkg> or the project's top folder). */
const composition = (metafile: { outputs: Record<string, { inputs: Record<string, { bytesInOutput: number }> }> }) => {
  const by = new Map<string, number>()
  for (const [file, output] of Object.entries(metafile.outputs)) {
    if (!file.endsWith('.cjs')) continue
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input.replace(/\\/g, '/'))
      const name = m ? m[1]! : input.startsWith('src/') ? `src/${input.split('/')[1]}` : input
      by.set(name, (by.get(name) ?? 0) + bytesInOutput)
    }
  }
  return [...by.entries()].map(([name, bytes]) => ({ name, bytes })).sort((a, b) => b.bytes - a.bytes)
}

const compare = (ours: Array<{ name: string; bytes: number }>, floor: Array<{ name: string; bytes: number }>) => {
  const floorBy = new Map(floor.map((f) => [f.name, f.bytes]))
  return ours.map((o) => ({ ...o, floorBytes: floorBy.get(o.name) ?? 0 })).sort((a, b) => b.bytes - b.floorBytes - (a.bytes - a.floorBytes))
}

export const runColdStart = async (runs: number): Promise<BundleResult> => {
  const dir = tempDir('floor')
  const floorBundle = path.join(dir, 'floor', 'index.cjs')
  const { build } = esbuild()
  const floorMeta = await build({
    ...BUNDLE_OPTIONS,
    stdin: { contents: FLOOR_SOURCE, resolveDir: ROOT, loader: 'ts', sourcefile: 'floor.ts' },
    outfile: floorBundle,
    metafile: true,
    logLevel: 'error',
  })
  // The same build as scripts/build.mjs, again, only for its metafile (which package weighs what).
  const meta = await build({ ...BUNDLE_OPTIONS, absWorkingDir: ROOT, entryPoints: ['src/index.ts'], outfile: path.join(dir, 'meta', 'index.cjs'), metafile: true, logLevel: 'error' })
  const probe = path.join(dir, 'probe.cjs')
  fs.writeFileSync(probe, PROBE)

  const integrationRuns: ColdRun[] = []
  const floorRuns: ColdRun[] = []
  await coldRun(probe, BUNDLE) // warm the OS file cache for both, unmeasured
  await coldRun(probe, floorBundle)
  for (let i = 0; i < runs; i++) {
    // Alternate the order so drifting machine load hits both alike.
    if (i % 2) {
      floorRuns.push(await coldRun(probe, floorBundle))
      integrationRuns.push(await coldRun(probe, BUNDLE))
    } else {
      integrationRuns.push(await coldRun(probe, BUNDLE))
      floorRuns.push(await coldRun(probe, floorBundle))
    }
  }
  const integration = { bytes: fs.statSync(BUNDLE).size, cold: summarizeRuns(integrationRuns) }
  const floor = { bytes: fs.statSync(floorBundle).size, cold: summarizeRuns(floorRuns) }
  fs.rmSync(dir, { recursive: true, force: true })
  return {
    integration,
    floor,
    sizeRatio: round(integration.bytes / floor.bytes),
    requireRatio: round(integration.cold.requireMs.median / floor.cold.requireMs.median),
    totalRatio: round(integration.cold.totalMs.median / floor.cold.totalMs.median),
    composition: compare(composition(meta.metafile as any), composition(floorMeta.metafile as any)),
    runs,
  }
}
