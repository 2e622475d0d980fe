/**
 * What every provider harness builds to construct an adapter directly (no Botpress): fast retry settings, an
 * in-memory store, a redactor seeded with the configuration's secrets that also learns the tokens obtained at run time,
 * and a logger whose lines are captured. One helper, so that every provider's adapter is tested with the same deps.
 */
import { createHttpClientFactory, type HttpSettings } from '../../src/core/http'
import { createLogger, Redactor } from '../../src/core/log'
import { fetchMedia, type MediaFetcher } from '../../src/core/media'
import type { Data, ProviderDeps, ProviderStore } from '../../src/core/types'

/** Fast retries for tests: short backoff, short waits on Retry-After and timeouts. */
export const fastHttp: HttpSettings = { retries: 2, backoffMs: 5, backoffLimitMs: 20, maxRetryAfterMs: 2_000, timeoutMs: 2_000 }

export type MemoryStore = ProviderStore & { data: Data; reads: number }

/** A provider store in memory; reads and writes copy (deeply, as the JSON state of Botpress would), reads are counted. */
export const memoryStore = (initial: Data = {}): MemoryStore => {
  const copy = (data: Data) => JSON.parse(JSON.stringify(data)) as Data
  const store = {
    data: copy(initial),
    reads: 0,
    get: async () => {
      store.reads++
      return copy(store.data)
    },
    set: async (data: Data) => {
      store.data = copy(data)
    },
  }
  return store
}

export type ProviderDepsOptions = {
  /** The configuration's secrets (the provider definition's `secrets(config)`): redacted from logs and errors. */
  secrets: Array<string | undefined>
  settings?: HttpSettings
  store?: ProviderStore
  media?: MediaFetcher
  webhookId?: string
}

/** The deps of an adapter under test, with the log lines it wrote, the secrets it registered at run time and its redactor. */
export const makeProviderDeps = (opts: ProviderDepsOptions) => {
  const logs: string[] = []
  const added: string[] = []
  const redactor = new Redactor(opts.secrets)
  const line = (level: string) => (message: unknown) => logs.push(`${level}: ${String(message)}`)
  const deps: ProviderDeps = {
    http: createHttpClientFactory(redactor, opts.settings ?? fastHttp),
    media: opts.media ?? fetchMedia,
    secrets: {
      add: (...values: Array<string | undefined>) => {
        added.push(...values.filter((v): v is string => !!v))
        redactor.add(values)
      },
    },
    logger: createLogger({ debug: line('debug'), info: line('info'), warn: line('warn'), error: line('error') }, redactor),
    store: opts.store ?? memoryStore(),
    ctx: { botId: 'bot_1', integrationId: 'int_1', webhookId: opts.webhookId ?? 'wh_1' },
  }
  return { deps, logs, added, redactor }
}
