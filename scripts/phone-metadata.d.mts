// Types of scripts/phone-metadata.mjs.
export declare const METADATA_VERSION: number
export declare const withoutFormats: <T extends { version: number; countries: Record<string, unknown[]>; nonGeographic?: Record<string, unknown[]> }>(metadata: T) => T
