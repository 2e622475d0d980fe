// Types of scripts/lazy-chunks.mjs, for the bench and the tests that build the bundle the same way.
import type { BuildOptions, BuildResult, Metafile } from 'esbuild'

export type LazyChunk = { key: string; bytes: number; shippedBytes: number; metafile: Metafile }
export declare const buildWithLazyChunks: (root: string, options: BuildOptions) => Promise<BuildResult & { chunks: LazyChunk[] }>
export declare const chunkSourceOf: (bundleText: string, key: string) => string | undefined
