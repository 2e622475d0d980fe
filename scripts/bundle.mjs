// The options the integration is bundled with (scripts/build.mjs, and the bench's measurement of the same bundle).
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { withoutFormats } from './phone-metadata.mjs'

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

/** esbuild plugin: libphonenumber-js's "min" metadata without the formatting rules nothing in the bundle uses. */
export const phoneMetadataWithoutFormats = () => ({
  name: 'phone-metadata-without-formats',
  setup(build) {
    build.onLoad({ filter: /[\\/]libphonenumber-js[\\/]metadata\.min\.json\.js$/ }, (args) => {
      const json = JSON.parse(readFileSync(args.path.replace(/\.js$/, ''), 'utf8'))
      return { contents: `export default ${JSON.stringify(withoutFormats(json))}`, loader: 'js' }
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
  plugins: [leaveOut(root), phoneMetadataWithoutFormats()],
})
