/** @jest-config-loader esbuild-register */
import type { Config } from 'jest'

// got 14 and msw 2 pull in packages that ship only ES modules. Rather than pinning an old CommonJS got, jest
// compiles them (and our TypeScript) to CommonJS with esbuild (test/support/transform.cjs, cached after the first run),
// so the code under test is the same got the bundle ships. Large CommonJS packages are not transformed, for speed.
const cjsPackages = ['@botpress', '@bpinternal', 'typescript', 'ajv', 'ajv-formats', 'yaml', 'axios', 'fast-check', 'esbuild', 'lodash', 'playwright-core', 'zod']

const config: Config = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.(t|j|mj)sx?$': '<rootDir>/test/support/transform.cjs' },
  transformIgnorePatterns: [`/node_modules/(${cjsPackages.join('|')})/`, '\\.cjs$'],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'cjs', 'json'],
  // msw requires all of `graphql` at start-up for handlers no test uses: load it on first use instead.
  // got's HTTP/2, cache and DNS-cache modules are stubbed in the bundle (scripts/left-out/): tests run the same got.
  moduleNameMapper: {
    '^graphql$': '<rootDir>/test/support/lazy-graphql.cjs',
    '^(http2-wrapper|cacheable-request|cacheable-lookup)$': '<rootDir>/scripts/left-out/$1.cjs',
  },
  setupFiles: ['<rootDir>/test/support/setup.ts'],
  testTimeout: 20000,
}

export default config
