// Builds the integration bundle exactly where the Botpress CLI would (.botpress/dist/index.cjs), plus the local
// dev tools (emulator, agent desk, runner) under .botpress/dev/. A current CLI deploys the same src with `bp deploy`.
import { build } from 'esbuild'
import { existsSync } from 'node:fs'

const common = { bundle: true, platform: 'node', target: 'node20', sourcemap: true, logLevel: 'warning' }

await build({ ...common, entryPoints: ['src/index.ts'], outfile: '.botpress/dist/index.cjs', format: 'cjs', minify: true, legalComments: 'none' })

const devEntries = ['dev/start.ts', 'bench/run.ts'].filter((f) => existsSync(f))
if (devEntries.length && !process.argv.includes('--bundle-only')) {
  await build({ ...common, entryPoints: devEntries, outdir: '.botpress/dev', format: 'cjs', outExtension: { '.js': '.cjs' }, external: ['@botpress/api'] })
}
