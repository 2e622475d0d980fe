// Mutation testing (`npm run mutate`, README "Mutation testing"). Not part of `npm test` or CI: it reruns the tests
// that cover each mutant, which takes a long time. Incremental: test/mutation/stryker-incremental.json (committed)
// remembers every mutant's result, so a rerun after a change tests only the mutants whose code or tests changed.
// Narrow a run with `npm run mutate -- --mutate src/core/events.ts`.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: 'npm',
  testRunner: 'jest',
  jest: { projectType: 'custom', configFile: 'test/mutation/jest.config.ts', enableFindRelatedTests: false },
  checkers: ['typescript'],
  tsconfigFile: 'test/mutation/tsconfig.json',
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  coverageAnalysis: 'perTest',
  mutate: [
    'src/core/**/*.ts',
    '!src/core/types.ts',
    'src/providers/*/signature.ts',
    'src/providers/*/webhook.ts',
    'src/providers/*/events.ts',
    'src/providers/*/render.ts',
    'src/providers/*/html.ts',
  ],
  // Static mutants (module-level constants) need the whole suite per mutant: skipped, and counted as ignored.
  ignoreStatic: true,
  incremental: true,
  incrementalFile: 'test/mutation/stryker-incremental.json',
  // This machine is shared by several jobs: one test process. On an idle machine use 2 (`--concurrency 2`).
  concurrency: 1,
  // Every backoff, Retry-After and rate-limit wait runs on a virtual clock, so a mutant never slows a test by sleeping:
  // a test that takes twice its unmutated time (plus 10 s for a loaded machine) is stuck in a loop.
  timeoutFactor: 2,
  timeoutMS: 10000,
  // The first run (the whole suite in one process, recording which test covers which mutant) takes 10-20 min here.
  dryRunTimeoutMinutes: 60,
  reporters: ['clear-text', 'progress-append-only', 'json'],
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  thresholds: { high: 90, low: 80, break: null },
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
}
