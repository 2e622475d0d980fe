// Builds the integration bundle exactly where the Botpress CLI would (.botpress/dist/index.cjs), plus the local
// dev tools (emulator, agent desk, runner) under .botpress/dev/ and the browser playground's page under
// .botpress/dev/playground/. A current CLI deploys the same src with `bp deploy`.
import { build } from 'esbuild'
import { copyFileSync, existsSync, mkdirSync } from 'node:fs'
import { bundleOptions } from './bundle.mjs'
import { buildWithLazyChunks } from './lazy-chunks.mjs'

const common = { bundle: true, platform: 'node', target: 'node20', sourcemap: true, logLevel: 'warning' }

const integration = { ...bundleOptions(process.cwd()), logLevel: 'warning', entryPoints: ['src/index.ts'], outfile: '.botpress/dist/index.cjs' }
// Adapters, got and libphonenumber-js ship as lazy chunks, compiled on first use (scripts/lazy-chunks.mjs).
if (process.env.HITL_LAZY_CHUNKS === '0') await build(integration)
else await buildWithLazyChunks(process.cwd(), integration)

const devEntries = ['dev/start.ts'].filter((f) => existsSync(f))
if (devEntries.length && !process.argv.includes('--bundle-only')) {
  await build({ ...common, entryPoints: devEntries, outdir: '.botpress/dev', format: 'cjs', outExtension: { '.js': '.cjs' }, external: ['@botpress/api'] })
  // npm start's second provider is the Chatwoot double (dev/second-provider.ts): it reads Chatwoot's OpenAPI description
  // next to its module, which is the built runner once bundled.
  mkdirSync('.botpress/dev/spec', { recursive: true })
  copyFileSync('test/providers/chatwoot/spec/application_swagger.json', '.botpress/dev/spec/application_swagger.json')
}

// The playground page: plain TypeScript + DOM bundled for the browser, and its two static files.
const web = 'dev/playground/web'
if (existsSync(`${web}/app.ts`) && !process.argv.includes('--bundle-only')) {
  const out = '.botpress/dev/playground'
  await build({ entryPoints: [`${web}/app.ts`], outfile: `${out}/app.js`, bundle: true, platform: 'browser', format: 'iife', target: ['es2020'], sourcemap: true, logLevel: 'warning' })
  mkdirSync(out, { recursive: true })
  for (const file of ['index.html', 'style.css']) copyFileSync(`${web}/${file}`, `${out}/${file}`)
}
