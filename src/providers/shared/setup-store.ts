/** What a provider's register left in its store (ids of what it created, the webhook secret), read through a cache. */
import type { Cache } from '../../core/cache'
import type { ProviderDeps } from '../../core/types'

/**
 * `read`: from this instance's cache, else from the store (one Botpress read on a cold instance). `save`: merges into
 * the store (a field given as undefined is removed) and caches what was kept. Either way the webhook secret is
 * registered for redaction, and `onKept` sees the kept data (a verification cache of its own, say).
 */
export const storedSetup = <T extends { webhookSecret?: string }>(options: {
  deps: Pick<ProviderDeps, 'store' | 'secrets'>
  cache: Cache<T>
  key: string
  pick: (data: Record<string, unknown>) => T
  onKept?: (data: T) => void
}) => {
  const { deps, cache, key, pick, onKept } = options
  const keep = (data: T): T => {
    deps.secrets.add(data.webhookSecret)
    onKept?.(data)
    return cache.set(key, data)
  }
  return {
    read: async (): Promise<T> => cache.get(key) ?? keep(pick(await deps.store.get())),
    save: async (data: T): Promise<void> => {
      const next: Record<string, unknown> = { ...(await deps.store.get()), ...data }
      for (const field of Object.keys(next)) if (next[field] === undefined) delete next[field]
      await deps.store.set(next)
      keep(pick(next))
    },
  }
}
