// Types of scripts/bundle.mjs, for the bench and the tests that build the bundle the same way.
import type { BuildOptions, Plugin } from 'esbuild'

export declare const LEFT_OUT: string[]
export declare const leaveOut: (root: string) => Plugin
export declare const bundleOptions: (root: string) => BuildOptions & { format: 'cjs'; minify: boolean }
export declare const phoneMetadataWithoutFormats: () => Plugin
