// Lazy chunks: the code a cold instance may never run ships inside the bundle as compressed text, compiled on first use.
//
// Why: V8 parses the whole of a script before running any of it, even the functions it compiles lazily; esbuild's
// lazy wrappers (`__esm`) keep a provider's modules unevaluated, not unparsed. Every cold instance used to pay the parse
// of all seven adapters, got and libphonenumber-js although it runs at most one adapter, and often no provider request
// at all (bench/results.md, "bundle and cold start"). A string literal costs V8 a scan, not a parse.
//
// What: every `require()` call in src/ (the lazy boundaries: each provider's `load()` of its adapter, got in
// src/core/http.ts, libphonenumber-js in src/providers/hubspot/contacts.ts) becomes a chunk: the module and what only it
// uses, bundled on its own (same esbuild options), brotli-compressed, base64 in the bundle. On the first call the
// chunk is decompressed and compiled once (`vm.compileFunction`, file name `hitl-hub:<path>` in stack traces). What a
// chunk shares with the rest (src/core, the SDK, the registry's own modules, zod) is not copied into it: the chunk's
// `require` answers with the bundle's own module instance (the host table), so classes, caches and state stay single.
// The build fails if a module would end up both in the bundle and in a chunk, or in two chunks.
//
// `HITL_LAZY_CHUNKS=0 npm run build` builds one plain bundle instead (readable stack traces with source maps).
import { build } from 'esbuild'
import { writeFileSync, mkdirSync } from 'node:fs'
import path from 'node:path'
import { brotliCompressSync, brotliDecompressSync, constants } from 'node:zlib'

const CHUNK_NS = 'hitl-chunk'
const HOST_NS = 'hitl-chunk-host'
const LOADER_NS = 'hitl-chunk-loader'

/** Runtime half, evaluated in the bundle when the first chunk is needed. No dependency but Node's own modules. */
const LOADER = `'use strict'
const { compileFunction } = require('node:vm')
const { brotliDecompressSync } = require('node:zlib')
const { builtinModules } = require('node:module')
const builtins = new Set(builtinModules)
exports.load = (key, packed, host) => {
  const code = brotliDecompressSync(Buffer.from(packed, 'base64')).toString('utf8')
  const mod = { exports: {} }
  const chunkRequire = (id) => {
    if (Object.prototype.hasOwnProperty.call(host, id)) return host[id]()
    const bare = id.startsWith('node:') ? id.slice(5) : id
    if (builtins.has(bare)) return require(id)
    throw new Error('lazy chunk ' + key + ' requires ' + id + ', which the bundle does not provide')
  }
  compileFunction(code, ['exports', 'require', 'module'], { filename: 'hitl-hub:' + key }).call(mod.exports, mod.exports, chunkRequire, mod)
  return mod.exports
}
`

const rel = (root, file) => path.relative(root, file).split(path.sep).join('/')
const inSrc = (root, importer) => rel(root, importer).startsWith('src/')
/** The folder whose files a chunk may carry: its own provider folder; a package chunk carries packages only. */
const ownFolderOf = (key) => (key.startsWith('src/') ? key.slice(0, key.lastIndexOf('/') + 1) : undefined)

/**
 * esbuild plugin, both halves: `require()` calls in src/ resolve to chunk modules; in a chunk's own build, what the
 * bundle already has resolves to host keys. `state` collects what each pass found.
 */
const chunkPlugin = (root, state, chunkKey) => ({
  name: 'hitl-lazy-chunks',
  setup(b) {
    b.onResolve({ filter: /.*/ }, async (args) => {
      if (args.pluginData?.hitlSkip || args.kind === 'entry-point' || args.namespace !== 'file') return undefined
      if (!args.importer || !path.isAbsolute(args.importer)) return undefined
      const boundary = args.kind === 'require-call' && inSrc(root, args.importer)
      if (chunkKey === undefined && !boundary) return undefined
      const resolved = await b.resolve(args.path, { importer: args.importer, resolveDir: args.resolveDir, kind: args.kind, pluginData: { hitlSkip: true } })
      if (resolved.errors.length || resolved.external || !path.isAbsolute(resolved.path)) return undefined
      const key = rel(root, resolved.path)
      if (boundary) {
        state.chunks.add(key)
        if (chunkKey === undefined) return { path: key, namespace: CHUNK_NS }
        return { path: `chunk:${key}`, external: true }
      }
      if (chunkKey === undefined) return undefined
      // Another chunk's entry imported statically (an adapter importing its configuration module): that chunk, once.
      if (state.chunks.has(key) && key !== chunkKey) return { path: `chunk:${key}`, external: true }
      const own = ownFolderOf(chunkKey)
      if (state.main.has(key) || (key.startsWith('src/') && !(own && key.startsWith(own)))) {
        state.host.add(key)
        return { path: key, external: true }
      }
      return undefined
    })
    if (chunkKey !== undefined) return
    b.onLoad({ filter: /.*/, namespace: CHUNK_NS }, (args) => {
      const packed = state.packed.get(args.path)
      if (packed === undefined) return { contents: 'module.exports = {}', loader: 'js' }
      return {
        contents: `module.exports = require('${LOADER_NS}').load(${JSON.stringify(args.path)}, ${JSON.stringify(packed)}, require('${HOST_NS}'))`,
        loader: 'js',
        resolveDir: root,
      }
    })
    b.onResolve({ filter: new RegExp(`^(${LOADER_NS}|${HOST_NS})$`) }, (args) => ({ path: args.path, namespace: args.path }))
    b.onResolve({ filter: new RegExp(`^${CHUNK_NS}:`) }, (args) => ({ path: args.path.slice(CHUNK_NS.length + 1), namespace: CHUNK_NS }))
    b.onLoad({ filter: /.*/, namespace: LOADER_NS }, () => ({ contents: LOADER, loader: 'js' }))
    b.onLoad({ filter: /.*/, namespace: HOST_NS }, () => {
      const entries = [...state.host].sort().map((key) => `  ${JSON.stringify(key)}: () => require(${JSON.stringify(path.join(root, key))}),`)
      for (const key of [...state.chunks].sort()) entries.push(`  ${JSON.stringify(`chunk:${key}`)}: () => require(${JSON.stringify(`${CHUNK_NS}:${key}`)}),`)
      return { contents: `module.exports = {\n${entries.join('\n')}\n}\n`, loader: 'js', resolveDir: root }
    })
  },
})

const bundledInputs = (metafile) => Object.keys(metafile.inputs).filter((i) => !i.includes(':'))

/**
 * Builds the bundle with lazy chunks. `options`: esbuild options (scripts/bundle.mjs `bundleOptions`) plus
 * `entryPoints`/`outfile`/`absWorkingDir`. Returns the main build result (its metafile when asked) and each chunk:
 * key, JavaScript bytes, bytes shipped (compressed, base64) and its metafile.
 */
export const buildWithLazyChunks = async (root, options) => {
  const { plugins = [], metafile: wantMeta, write = true, ...rest } = options
  const state = { chunks: new Set(), host: new Set(), main: new Set(), packed: new Map() }
  const mainBuild = (write) => build({ ...rest, plugins: [...plugins, chunkPlugin(root, state)], metafile: true, write })
  // Pass 1: the bundle without its chunks' contents, to learn what it holds and where its lazy boundaries are.
  let main = await mainBuild(false)
  const chunkMeta = new Map()
  for (let pass = 0; pass < 3; pass++) {
    state.main = new Set(bundledInputs(main.metafile))
    state.host.clear()
    const chunkCode = new Map()
    const queue = [...state.chunks]
    const seen = new Set()
    while (queue.length) {
      const key = queue.shift()
      if (seen.has(key)) continue
      seen.add(key)
      const before = new Set(state.chunks)
      const out = await build({
        ...rest,
        entryPoints: [path.join(root, key)],
        outfile: path.join(root, '.botpress', 'chunks', `${key.replace(/[^\w.-]+/g, '_')}.cjs`),
        sourcemap: false,
        metafile: true,
        write: false,
        plugins: [...plugins, chunkPlugin(root, state, key)],
      })
      chunkCode.set(key, out.outputFiles.find((f) => f.path.endsWith('.cjs')).text)
      chunkMeta.set(key, out.metafile)
      for (const k of state.chunks) if (!before.has(k)) queue.push(k)
    }
    for (const [key, code] of chunkCode) {
      const packed = brotliCompressSync(Buffer.from(code), { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: code.length } })
      state.packed.set(key, packed.toString('base64'))
    }
    // Pass 2..: the bundle with the chunks and the host table (which may bring modules only chunks used into it).
    main = await mainBuild(false)
    const inMain = new Set(bundledInputs(main.metafile))
    // The host table requires whole modules (no tree shaking): only project files may join the bundle through it.
    const pulled = [...inMain].filter((input) => !state.main.has(input) && !input.startsWith('src/'))
    if (pulled.length) throw new Error(`lazy chunks: a chunk pulls ${pulled[0]} (and ${pulled.length - 1} more) into the bundle whole: import it through a src/ module`)
    const owner = new Map()
    const clashes = []
    for (const [key, meta] of chunkMeta) {
      for (const input of bundledInputs(meta)) {
        if (inMain.has(input)) clashes.push(`${input} is in the bundle and in chunk ${key}`)
        if (owner.has(input) && owner.get(input) !== key) throw new Error(`lazy chunks: ${input} would be in two chunks (${owner.get(input)}, ${key}): require it from the core or from one chunk only`)
        owner.set(input, key)
      }
    }
    if (!clashes.length) {
      if (write) {
        for (const file of main.outputFiles) {
          mkdirSync(path.dirname(file.path), { recursive: true })
          writeFileSync(file.path, file.contents)
        }
      }
      const chunks = [...chunkCode].map(([key, code]) => ({ key, bytes: Buffer.byteLength(code), shippedBytes: state.packed.get(key).length, metafile: chunkMeta.get(key) }))
      return { ...main, metafile: wantMeta ? main.metafile : undefined, outputFiles: write ? undefined : main.outputFiles, chunks }
    }
    if (pass === 2) throw new Error(`lazy chunks: no stable split after 3 passes: ${clashes.slice(0, 5).join('; ')}`)
  }
  throw new Error('unreachable')
}

/** Reads a built bundle's chunk back (tests, bench): the JavaScript a chunk key decompresses to, or undefined. */
export const chunkSourceOf = (bundleText, key) => {
  const at = bundleText.indexOf(`${JSON.stringify(key)},`)
  if (at < 0) return undefined
  const start = bundleText.indexOf('"', at + JSON.stringify(key).length) + 1
  const end = bundleText.indexOf('"', start)
  return brotliDecompressSync(Buffer.from(bundleText.slice(start, end), 'base64')).toString('utf8')
}
