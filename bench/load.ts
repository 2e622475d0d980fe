/**
 * Loading code the bench is not built with: the provider test doubles (some are still being written, so they cannot be
 * static imports of bench/main.ts) and esbuild itself (its JS API refuses to be bundled). Each fake is bundled on the
 * fly with the esbuild API into a temporary directory together with the msw it uses, `__dirname`/`__filename` of the
 * project's own files pinned to their real location (fakes read spec files next to them).
 */
import fs from 'node:fs'
import { createRequire } from 'node:module'
import os from 'node:os'
import path from 'node:path'
import { bundleOptions } from '../scripts/bundle.mjs'

export const ROOT = path.resolve(__dirname, '../..')
export const projectRequire = createRequire(path.join(ROOT, 'package.json'))

type Esbuild = typeof import('esbuild')
export const esbuild = (): Esbuild => projectRequire('esbuild') as Esbuild

/** The options scripts/build.mjs bundles the integration with (scripts/bundle.mjs: minified, got's unused modules stubbed). */
export const BUNDLE_OPTIONS = bundleOptions(ROOT)

export const tempDir = (prefix: string) => fs.mkdtempSync(path.join(os.tmpdir(), `hitl-bench-${prefix}-`))

const pinDirname = {
  name: 'pin-dirname',
  setup(build: { onLoad: (opts: { filter: RegExp }, cb: (args: { path: string }) => { contents: string; loader: 'ts' | 'js' } | undefined) => void }) {
    build.onLoad({ filter: /\.[cm]?[jt]s$/ }, (args) => {
      if (args.path.includes(`${path.sep}node_modules${path.sep}`)) return undefined
      const source = fs.readFileSync(args.path, 'utf8')
      if (!/\b__(dirname|filename)\b/.test(source)) return undefined
      const contents = source
        .replace(/\b__dirname\b/g, JSON.stringify(path.dirname(args.path)))
        .replace(/\b__filename\b/g, JSON.stringify(args.path))
      return { contents, loader: args.path.endsWith('.ts') ? 'ts' : 'js' }
    })
  },
}

export type FakeModule = { exports: Record<string, unknown>; mswHttp?: { all: (...args: any[]) => unknown } }

/** Bundles `file` (relative to the project root) with msw and requires it. */
export const loadFake = async (file: string): Promise<FakeModule> => {
  const dir = tempDir('fake')
  const outfile = path.join(dir, 'fake.cjs')
  const entry = `export * as fakeExports from ${JSON.stringify(path.join(ROOT, file))}\nexport { http as mswHttp } from 'msw'\n`
  await esbuild().build({
    stdin: { contents: entry, resolveDir: ROOT, loader: 'ts', sourcefile: 'bench-fake-entry.ts' },
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    outfile,
    external: ['@botpress/api', 'esbuild'],
    plugins: [pinDirname as any],
    logLevel: 'error',
  })
  try {
    const mod = projectRequire(outfile)
    return { exports: mod.fakeExports, mswHttp: mod.mswHttp }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

/** The FakeProvider class a fake module exports: the first exported class with the FakeProvider methods. */
export const fakeClassOf = (exports: Record<string, unknown>, provider: string): new () => any => {
  const candidates = Object.values(exports).filter(
    (v): v is new () => any =>
      typeof v === 'function' && !!v.prototype && ['configuration', 'agentMessage', 'requestCount', 'start'].every((m) => typeof v.prototype[m] === 'function')
  )
  if (candidates.length === 1) return candidates[0]!
  const found = candidates.find((C) => {
    try {
      return new C().name === provider
    } catch {
      return false
    }
  })
  if (!found) throw new Error(`no exported FakeProvider class with name "${provider}"`)
  return found
}
