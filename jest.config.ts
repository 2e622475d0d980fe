import type { Config } from 'jest'

// got 14 and several of its dependencies ship only ES modules. Rather than pinning an old CommonJS got,
// jest transforms them (and our TypeScript) with swc into CommonJS, so the code under test is the same
// got the bundle ships.
const esmPackages = [
  'got',
  '@sindresorhus/is',
  '@szmarczak/http-timer',
  'byte-counter',
  'cacheable-lookup',
  'cacheable-request',
  'chunk-data',
  'decompress-response',
  'form-data-encoder',
  'get-stream',
  'http2-wrapper',
  'keyv',
  'lowercase-keys',
  'mimic-response',
  'normalize-url',
  'p-cancelable',
  'responselike',
  'type-fest',
  'uint8array-extras',
  '@keyv/serialize',
  'is-stream',
  'mimic-function',
  '@sec-ant/readable-stream',
]

const config: Config = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.(t|j|mj)sx?$': [
      '@swc/jest',
      {
        jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
        module: { type: 'commonjs' },
      },
    ],
  },
  transformIgnorePatterns: [`/node_modules/(?!(${esmPackages.join('|')})/)`],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'cjs', 'json'],
  testTimeout: 20000,
}

export default config
