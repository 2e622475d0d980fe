// The options the integration is bundled with (scripts/build.mjs, and the bench's measurement of the same bundle).
import path from 'node:path'

/** got imports these at top level but calls them only for options we never set: see scripts/left-out/README.md. */
export const LEFT_OUT = ['http2-wrapper', 'cacheable-request', 'cacheable-lookup']

/** esbuild plugin: when got imports one of LEFT_OUT, the bundle gets the stub in scripts/left-out/ instead. */
export const leaveOut = (root) => ({
  name: 'leave-out-unused-got-modules',
  setup(build) {
    const filter = new RegExp(`^(${LEFT_OUT.join('|')})$`)
    build.onResolve({ filter }, (args) => {
      if (!/[\\/]node_modules[\\/]got[\\/]/.test(args.importer)) return undefined
      return { path: path.join(root, 'scripts', 'left-out', `${args.path}.cjs`) }
    })
  },
})

/** Minified like the Botpress CLI's default (`bp build`, `bp deploy`: minify on), for Node 20. */
export const bundleOptions = (root) => ({
  bundle: true,
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  format: 'cjs',
  minify: true,
  legalComments: 'none',
  plugins: [leaveOut(root)],
})
