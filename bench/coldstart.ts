/**
 * Bundle size and cold start, side by side with the floor: a bare @botpress/sdk integration (no actions, a no-op
 * handler) bundled with the same esbuild options as scripts/build.mjs. Each cold start is a fresh `node` process that
 * requires the bundle, starts the SDK server and serves one `webhook_received` request (ours resolves the
 * configuration, creates the adapter and refuses the unsigned webhook with 401 — no network; the floor answers 200).
 */
import { spawn } from 'node:child_process'
import { generateKeyPairSync } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { buildWithLazyChunks } from '../scripts/lazy-chunks.mjs'
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
  /**
   * The same two bundles built other ways, like for like: unminified, and with the Botpress CLI's own esbuild options
   * (`bp build`/`bp deploy` minify by default and keep names, target es2020: botpress/botpress
   * packages/cli/src/utils/esbuild-utils.ts).
   */
  variants: Array<{ name: string; bytes: number; floorBytes: number; ratio: number }>
  /**
   * Require and first request with each provider configured (the first request creates that provider's adapter,
   * which evaluates its modules), each run paired with a floor run.
   */
  perProvider: Array<{ provider: string; runs: number; requireMs: number; firstRequestMs: number; totalMs: number; floorTotalMs: number; totalRatio: number; status: number }>
  /**
   * The lazy chunks (scripts/lazy-chunks.mjs): each module behind a require() boundary, its JavaScript bytes and the
   * bytes it ships as (brotli, base64). `jsBytes`: the bundle's JavaScript with every chunk decompressed.
   */
  chunks?: Array<{ key: string; bytes: number; shippedBytes: number }>
  jsBytes?: number
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

/** A complete section per provider (nothing is contacted: the unsigned webhook is refused before any request). */
const SECTIONS: Record<string, Record<string, unknown>> = {
  http: { endpointBaseUrl: 'http://127.0.0.1:9/hitl', webhookSecret: 'cold-start-secret-0123456789' },
  intercom: { accessToken: 'cold-start-token', clientSecret: 'cold-start-client-secret' },
  livechat: {
    clientId: 'cold-start-client',
    organizationId: 'cold-start-org',
    webhookSecret: 'cold-start-secret',
    agentToken: Buffer.from('cold-start-account:dal:cold-start-pat').toString('base64'),
    groupId: 0,
  },
  hubspot: { developerApiKey: 'cold-start-key', appId: '1', clientId: 'cold-start-client', clientSecret: 'cold-start-secret', refreshToken: 'cold-start-refresh', helpDeskId: '1' },
  chatwoot: { accountId: 1, apiAccessToken: 'cold-start-token', inboxId: 1 },
  zendesk: { subdomain: 'cold-start', appId: 'cold-start-app', keyId: 'app_cold-start', keySecret: 'cold-start-secret' },
  freshchat: {
    domain: 'cold-start.freshchat.com',
    apiKey: 'cold-start-key',
    webhookPublicKey: generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  },
}
const configFor = (provider: string) => ({ provider, [provider]: SECTIONS[provider] })
const CONFIG = configFor('http')

const coldRun = (probe: string, bundle: string, config: Record<string, unknown> = CONFIG): Promise<ColdRun> =>
  new Promise((resolve, reject) => {
    const started = performance.now()
    const child = spawn(process.execPath, [probe, bundle, JSON.stringify(config)], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, BP_LOG_FORMAT: '' } })
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
      const name = m ? m[1]! : input.startsWith('src/') ? `src/${input.split('/')[1]}` : input.startsWith('hitl-chunk:') ? 'lazy chunks (compressed text)' : input.startsWith('hitl-chunk-') ? 'lazy chunk loader' : input
      by.set(name, (by.get(name) ?? 0) + bytesInOutput)
    }
  }
  return [...by.entries()].map(([name, bytes]) => ({ name, bytes })).sort((a, b) => b.bytes - a.bytes)
}

const compare = (ours: Array<{ name: string; bytes: number }>, floor: Array<{ name: string; bytes: number }>) => {
  const floorBy = new Map(floor.map((f) => [f.name, f.bytes]))
  return ours.map((o) => ({ ...o, floorBytes: floorBy.get(o.name) ?? 0 })).sort((a, b) => b.bytes - b.floorBytes - (a.bytes - a.floorBytes))
}

/** The integration and the floor built another way, with the same options: bytes of each (no files written). */
const variant = async (name: string, options: Record<string, unknown>, chunked = true) => {
  const { build } = esbuild()
  const { plugins, ...base } = { ...BUNDLE_OPTIONS, sourcemap: false, logLevel: 'error' as const, write: false as const, ...options }
  const oursOptions = { ...base, plugins, absWorkingDir: ROOT, entryPoints: ['src/index.ts'], outfile: path.join(ROOT, 'ours.cjs') }
  const ours = chunked ? await buildWithLazyChunks(ROOT, oursOptions) : await build(oursOptions)
  const floor = await build({ ...base, stdin: { contents: FLOOR_SOURCE, resolveDir: ROOT, loader: 'ts', sourcefile: 'floor.ts' }, outfile: path.join(ROOT, 'floor.cjs') })
  const bytes = ours.outputFiles!.find((f) => f.path.endsWith('.cjs'))!.contents.byteLength
  const floorBytes = floor.outputFiles[0]!.contents.byteLength
  return { name, bytes, floorBytes, ratio: round(bytes / floorBytes) }
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
  const meta = await buildWithLazyChunks(ROOT, { ...BUNDLE_OPTIONS, absWorkingDir: ROOT, entryPoints: ['src/index.ts'], outfile: path.join(dir, 'meta', 'index.cjs'), metafile: true, write: false, logLevel: 'error' })
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
  // Every provider once configured: require + the first request that creates its adapter, paired with the floor.
  const perProvider: BundleResult['perProvider'] = []
  const providerRuns = Math.max(2, Math.round(runs / 3))
  for (const provider of Object.keys(SECTIONS)) {
    const ours: ColdRun[] = []
    const floors: ColdRun[] = []
    for (let i = 0; i < providerRuns; i++) {
      ours.push(await coldRun(probe, BUNDLE, configFor(provider)))
      floors.push(await coldRun(probe, floorBundle))
    }
    const s = summarizeRuns(ours)
    const f = summarizeRuns(floors)
    perProvider.push({
      provider,
      runs: providerRuns,
      requireMs: s.requireMs.median,
      firstRequestMs: s.firstRequestMs.median,
      totalMs: s.totalMs.median,
      floorTotalMs: f.totalMs.median,
      totalRatio: round(s.totalMs.median / f.totalMs.median),
      status: s.status,
    })
  }
  const variants = [
    await variant('unminified', { minify: false }),
    await variant('Botpress CLI options (minified, keepNames, es2020)', { minify: true, keepNames: true, target: 'es2020' }),
    await variant('one plain bundle, no lazy chunks (HITL_LAZY_CHUNKS=0)', {}, false),
  ]
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
    variants,
    perProvider,
    chunks: meta.chunks.map(({ key, bytes, shippedBytes }) => ({ key, bytes, shippedBytes })).sort((a, b) => b.bytes - a.bytes),
    jsBytes: integration.bytes - meta.chunks.reduce((sum, c) => sum + c.shippedBytes, 0) + meta.chunks.reduce((sum, c) => sum + c.bytes, 0),
    runs,
  }
}
