/**
 * `npm run bench` (issue #8; built and started by bench/run.mjs): round trips, latency, handler CPU, transcript scaling, bundle size and cold start,
 * and (issue 12) the time per worst-case input of every parser of untrusted text.
 * Prints the tables and writes bench/results.json (and bench/results.md, the same tables in markdown for the README).
 *
 * The parent process only orchestrates: each provider's measurements run in fresh child processes of this same file
 * (`--child session|cpu --provider <name>`), so module state (agent cache, msw interception) never leaks between
 * providers, and each cold start is a fresh `node` process of its own.
 *
 *   npm run bench                      everything (a few minutes at most)
 *   npm run bench -- --quick           fewer repetitions (a smoke run)
 *   npm run bench -- --only http,intercom
 */
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { providers } from '../src/providers'
import { runColdStart, type BundleResult } from './coldstart'
import { runCpu, type CpuResult } from './cpu'
import { runParsingCost } from './parsing'
import { ROOT, tempDir } from './load'
import { evaluateTargets, renderMarkdown, renderText, summaryTables, tables, type ProviderResult, type Results } from './report'
import { SCENARIOS, type Scenario } from './scenarios'
import { runSession, type SessionResult } from './session'
import { BUNDLE, quietConsole } from './world'

const args = process.argv.slice(2)
const flag = (name: string) => args.includes(name)
const option = (name: string) => {
  const i = args.indexOf(name)
  return i >= 0 ? args[i + 1] : undefined
}
const quick = flag('--quick')
const REPEATS = quick ? 3 : 9
const TRANSCRIPT_REPEATS = quick ? 2 : 5
const COLD_RUNS = quick ? 4 : 12
const CPU_SCALE = quick ? 0.25 : 1
const CHILD_TIMEOUT_MS = 180_000

const say = (line: string) => process.stdout.write(line + '\n')

/** Runs one measurement in a fresh child process of this file; its result comes back through a JSON file. */
const child = (mode: 'session' | 'cpu', scenario: Scenario): Promise<unknown> =>
  new Promise((resolve, reject) => {
    const out = path.join(tempDir('child'), 'result.json')
    const argv = ['--expose-gc', '--enable-source-maps', __filename, '--child', mode, '--provider', scenario.provider, '--out', out, ...(quick ? ['--quick'] : [])]
    // The test doubles serve media on example.com (msw, in process): the media fetcher may reach only named hosts.
    const env = { ...process.env, HITL_MEDIA_ALLOW_HOSTS: process.env.HITL_MEDIA_ALLOW_HOSTS ?? 'example.com' }
    const proc = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'], cwd: ROOT, env })
    let log = ''
    proc.stdout.on('data', (c) => (log += c))
    proc.stderr.on('data', (c) => (log += c))
    const timer = setTimeout(() => proc.kill('SIGKILL'), CHILD_TIMEOUT_MS)
    proc.on('error', reject)
    proc.on('close', (code, signal) => {
      clearTimeout(timer)
      try {
        const result = JSON.parse(fs.readFileSync(out, 'utf8'))
        fs.rmSync(path.dirname(out), { recursive: true, force: true })
        if (result.error) reject(new Error(result.error))
        else resolve(result)
      } catch {
        reject(new Error(`child ${mode}/${scenario.provider} ended (${signal ?? `exit ${code}`}) without a result:\n${log.slice(-2000)}`))
      }
    })
  })

const runChild = async () => {
  const mode = option('--child')
  const provider = option('--provider')
  const out = option('--out')!
  const scenario = SCENARIOS.find((s) => s.provider === provider)
  quietConsole()
  let result: unknown
  try {
    if (!scenario) throw new Error(`no scenario for provider ${provider}`)
    if (mode === 'session') result = await runSession(scenario, REPEATS, TRANSCRIPT_REPEATS)
    else if (mode === 'cpu') result = await runCpu(scenario, CPU_SCALE)
    else throw new Error(`unknown child mode ${mode}`)
  } catch (error) {
    result = { error: (error as Error)?.stack ?? String(error) }
  }
  fs.writeFileSync(out, JSON.stringify(result))
  process.exit(0)
}

/** Why a provider cannot run yet, or undefined when it can. */
const unavailable = (scenario: Scenario): string | undefined => {
  if (!fs.existsSync(path.join(ROOT, scenario.fake))) return `no test double yet (${scenario.fake})`
  const definition = (providers as Record<string, { available: boolean }>)[scenario.provider]
  if (!definition) return `no provider "${scenario.provider}" in src/providers`
  if (!definition.available) return `adapter not available yet (src/providers/${scenario.provider})`
  return undefined
}

const main = async () => {
  const started = performance.now()
  if (!fs.existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: run through \`npm run bench\` (it builds first)`)
  const only = option('--only')?.split(',')
  const scenarios = SCENARIOS.filter((s) => !only || only.includes(s.provider))
  const cpu = os.cpus()
  const results: Omit<Results, 'targets'> = {
    meta: {
      date: new Date().toISOString(),
      node: process.version,
      platform: `${os.platform()} ${os.arch()}`,
      cpu: `${cpu[0]?.model ?? 'unknown'} × ${cpu.length}`,
      quick,
      repeats: REPEATS,
      transcriptRepeats: TRANSCRIPT_REPEATS,
      coldRuns: COLD_RUNS,
      addedLatencyMs: 20,
    },
    providers: {},
  }

  for (const scenario of scenarios) {
    const why = unavailable(scenario)
    if (why) {
      say(`▸ ${scenario.provider}: skipped — ${why}`)
      results.providers[scenario.provider] = { status: 'skipped', reason: why }
      continue
    }
    let entry: ProviderResult
    try {
      say(`▸ ${scenario.provider}: round trips, latency and transcript scaling …`)
      const session = (await child('session', scenario)) as SessionResult
      for (const check of session.checks) say(`  ! ${check}`)
      say(`▸ ${scenario.provider}: handler CPU …`)
      let cpuResult: CpuResult | undefined
      let cpuError: string | undefined
      try {
        cpuResult = (await child('cpu', scenario)) as CpuResult
      } catch (error) {
        cpuError = (error as Error).message
        say(`  ! handler CPU failed: ${cpuError.split('\n')[0]}`)
      }
      entry = { status: 'ok', session, ...(cpuResult ? { cpu: cpuResult } : {}), ...(cpuError ? { cpuError } : {}) }
    } catch (error) {
      const reason = (error as Error).message
      say(`  ✘ ${scenario.provider} failed: ${reason.split('\n').slice(0, 8).join('\n    ')}`)
      entry = { status: 'failed', reason }
    }
    results.providers[scenario.provider] = entry
  }

  if (!flag('--no-cold')) {
    say(`▸ bundle size and cold start (${COLD_RUNS} fresh processes each) …`)
    try {
      results.bundle = (await runColdStart(COLD_RUNS)) as BundleResult
    } catch (error) {
      results.bundleError = (error as Error).message
      say(`  ✘ cold start failed: ${results.bundleError}`)
    }
  }

  if (!flag('--no-parsing')) {
    say('▸ parsing cost: each parser of untrusted text on every 100 kB worst case …')
    results.parsing = runParsingCost(quick ? 1 : 3)
  }

  const full: Results = { ...results, targets: evaluateTargets(results) }
  full.meta.durationS = Math.round((performance.now() - started) / 100) / 10
  const all = tables(full)
  say('')
  for (const t of all) say(renderText(t) + '\n')
  for (const [provider, r] of Object.entries(full.providers)) if (r.status !== 'ok') say(`${provider}: ${r.status} — ${r.reason.split('\n')[0]}`)
  const missed = full.targets.filter((t) => !t.met)
  say(`\n${full.targets.length - missed.length}/${full.targets.length} targets met; ${full.meta.durationS} s`)

  const benchDir = path.join(ROOT, 'bench')
  fs.writeFileSync(path.join(benchDir, 'results.json'), JSON.stringify(full, null, 2) + '\n')
  const skipped = Object.entries(full.providers)
    .filter(([, r]) => r.status !== 'ok')
    .map(([p, r]) => `- ${p}: ${r.status} — ${(r as { reason: string }).reason.split('\n')[0]}`)
  const md = [
    `Measured ${full.meta.date} on ${full.meta.cpu}, Node ${full.meta.node}${quick ? ' (quick run)' : ''}; \`npm run bench\` took ${full.meta.durationS} s.`,
    '## Summary',
    ...summaryTables(full).map(renderMarkdown),
    '## Detail',
    ...all.filter((t) => t.title !== 'targets').map(renderMarkdown),
    ...(skipped.length ? ['**not measured**', '', ...skipped] : []),
  ].join('\n\n')
  fs.writeFileSync(path.join(benchDir, 'results.md'), md + '\n')
  say('wrote bench/results.json and bench/results.md')
}

if (option('--child')) void runChild()
else
  main().catch((error) => {
    console.error(`bench failed: ${error?.stack ?? error}`)
    process.exit(1)
  })
