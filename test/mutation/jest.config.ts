/** @jest-config-loader esbuild-register */
import type { Config } from 'jest'
import base from '../../jest.config'

// The suite StrykerJS runs against each mutant (stryker.config.mjs): the whole unit, conformance and reliability suite,
// without the tests that build or drive the bundle, a browser or child processes (they test the bundle on disk, not the
// instrumented sources) and without the fuzzers (1,000 requests per provider per mutant; `npm test` still runs them).
// MUTATE_TESTS=test/core,test/providers/http narrows the suite to those test folders (a quicker partial run; a
// mutant no selected test covers is reported "no coverage", so use it with a matching --mutate). An entry ending in
// `.test.ts` selects that one file (jest roots must be folders: its folder becomes a root, narrowed by testMatch).
const only = process.env.MUTATE_TESTS?.split(',').map((p) => p.trim().replace(/^\.?\//, '').replace(/\/+$/, '')).filter(Boolean)
const isFile = (p: string) => p.endsWith('.test.ts')
const roots = only?.length ? [...new Set(only.map((p) => (isFile(p) ? p.slice(0, p.lastIndexOf('/')) : p)))] : undefined
const testMatch = only?.length ? only.map((p) => (isFile(p) ? `**/${p}` : `**/${p}/**/*.test.ts`)) : undefined

const config: Config = {
  ...base,
  rootDir: '../..',
  ...(roots && testMatch ? { roots: roots.map((p) => `<rootDir>/${p}`), testMatch } : {}),
  testPathIgnorePatterns: ['/node_modules/', '/test/e2e/', '/test/playground/', '/test/dev/', '/test/reliability/fuzz/', '/test/core/deploy-body\\.test\\.ts$'],
}

export default config
