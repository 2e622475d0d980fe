/**
 * Jest transformer: TypeScript, and the ES-module-only packages in node_modules (got 14, msw 2's dependencies),
 * compiled to CommonJS with esbuild (already a dependency for the bundle). Cached by jest on source + options.
 */
const { createHash } = require('node:crypto')
const { transformSync, version } = require('esbuild')

module.exports = {
  getCacheKey(source, path, options) {
    return createHash('sha256').update(version).update('\0').update(path).update('\0').update(source).update(String(options?.configString ?? '')).digest('hex')
  },
  process(source, path) {
    const loader = /\.tsx?$/.test(path) ? 'ts' : 'js'
    const result = transformSync(source, {
      loader,
      format: 'cjs',
      target: 'node20',
      sourcemap: 'external',
      sourcefile: path,
      // Keep class and function names: tests and errors print them.
      keepNames: false,
      logLevel: 'silent',
    })
    return { code: result.code, map: result.map }
  },
}
