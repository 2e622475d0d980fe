/**
 * The one cache facility of the integration. Botpress runs integrations as many short-lived instances, so a cache
 * only saves round trips on a warm instance: Botpress states (or the provider) stay the truth. Every cache is bounded
 * (oldest entry evicted first), may expire its entries, and is registered so that `resetCaches()` empties them all
 * (tests, and a configuration change inside one process).
 */
export type CacheOptions = {
  /** Shown in debugging only. */
  name: string
  /** Entries kept at most; the least recently written is evicted first. */
  max: number
  /** Lifetime of an entry in ms; absent: until evicted. */
  ttlMs?: number
  /** Injectable clock (tests). */
  now?: () => number
}

export type Cache<V> = {
  readonly name: string
  get(key: string): V | undefined
  has(key: string): boolean
  set(key: string, value: V): V
  delete(key: string): void
  clear(): void
  readonly size: number
}

const registry = new Set<Cache<unknown>>()

export const createCache = <V>(options: CacheOptions): Cache<V> => {
  const entries = new Map<string, { value: V; at: number }>()
  const now = options.now ?? Date.now
  const fresh = (entry: { at: number }) => options.ttlMs === undefined || now() - entry.at < options.ttlMs
  const cache: Cache<V> = {
    name: options.name,
    get(key) {
      const entry = entries.get(key)
      if (!entry) return undefined
      if (fresh(entry)) return entry.value
      entries.delete(key)
      return undefined
    },
    has(key) {
      return cache.get(key) !== undefined
    },
    set(key, value) {
      entries.delete(key)
      if (entries.size >= options.max) {
        const oldest = entries.keys().next()
        if (!oldest.done) entries.delete(oldest.value)
      }
      entries.set(key, { value, at: now() })
      return value
    },
    delete(key) {
      entries.delete(key)
    },
    clear() {
      entries.clear()
    },
    get size() {
      return entries.size
    },
  }
  registry.add(cache as Cache<unknown>)
  return cache
}

/**
 * Single-flight: concurrent callers with the same key share one running promise (token refreshes, one-time setup).
 * Bounded like a cache; an entry lives only while its promise runs.
 */
export const createSingleFlight = <V>(name: string, max = 1000) => {
  const running = createCache<Promise<V>>({ name, max })
  return (key: string, task: () => Promise<V>): Promise<V> => {
    const current = running.get(key)
    if (current) return current
    const started = task().finally(() => {
      if (running.get(key) === started) running.delete(key)
    })
    return running.set(key, started)
  }
}

/** Empties every cache created with createCache (tests; nothing in production needs it). */
export const resetCaches = () => {
  for (const cache of registry) cache.clear()
}
