// `npm run bench`: builds the bench (bench/main.ts → .botpress/bench/run.cjs, bundled like the other dev tools) and
// runs it. The bench is built here rather than by scripts/build.mjs: a second dev entry there moves
// .botpress/dev/start.cjs to .botpress/dev/dev/start.cjs (esbuild's common outbase), which `npm start` and the
// end-to-end test load.
import { build } from 'esbuild'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
process.chdir(root)
process.setSourceMapsEnabled(true)

await build({
  entryPoints: ['bench/main.ts'],
  outfile: '.botpress/bench/run.cjs',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  // esbuild's JS API cannot be bundled; @botpress/api is loaded lazily by the emulator (as in scripts/build.mjs).
  external: ['@botpress/api', 'esbuild'],
  logLevel: 'warning',
})
createRequire(import.meta.url)('../.botpress/bench/run.cjs')
