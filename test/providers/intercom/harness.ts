/** Builds the Intercom adapter directly (no Botpress), with fast retry settings, an in-memory store, captured logs and no real sleeping. */
import { resetCaches } from '../../../src/core/cache'
import { fetchMedia, type MediaFetcher } from '../../../src/core/media'
import { createHttpClientFactory, type HttpSettings } from '../../../src/core/http'
import { createLogger, Redactor } from '../../../src/core/log'
import type { ContactRef, Data, ProviderStore, SessionRef, Transcript } from '../../../src/core/types'
import { providers } from '../../../src/providers'
import { createIntercomAdapter } from '../../../src/providers/intercom/adapter'
import type { IntercomConfig } from '../../../src/providers/intercom/config'
import { engineRefs } from '../../support/refs'
import { CLIENT_SECRET, TOKEN } from './fake'

export const fast: HttpSettings = { retries: 2, backoffMs: 5, backoffLimitMs: 20, maxRetryAfterMs: 2_000, timeoutMs: 2_000 }

export const memoryStore = (initial: Data = {}): ProviderStore & { data: Data; reads: number } => {
  const store = {
    data: { ...initial },
    reads: 0,
    get: async () => {
      store.reads++
      return { ...store.data }
    },
    set: async (data: Data) => {
      store.data = { ...data }
    },
  }
  return store
}

export type AdapterOpts = { store?: Data; settings?: HttpSettings; media?: MediaFetcher; cold?: boolean }

export const makeAdapter = (config: Partial<IntercomConfig> = {}, opts: AdapterOpts = {}) => {
  // Every adapter starts on a cold instance unless told otherwise: no identity remembered from another test.
  if (opts.cold !== false) resetCaches()
  const full: IntercomConfig = { accessToken: TOKEN, clientSecret: CLIENT_SECRET, ...config }
  const logs: string[] = []
  const sleeps: number[] = []
  const redactor = new Redactor(providers.intercom.secrets(full))
  const line = (level: string) => (message: unknown) => logs.push(`${level}: ${String(message)}`)
  const store = memoryStore(opts.store)
  const adapter = createIntercomAdapter(
    full,
    {
      http: createHttpClientFactory(redactor, opts.settings ?? fast),
      media: opts.media ?? fetchMedia,
      secrets: { add: (...values: Array<string | undefined>) => redactor.add(values) },
      logger: createLogger({ debug: line('debug'), info: line('info'), warn: line('warn'), error: line('error') }, redactor),
      store,
      ctx: { botId: 'bot_1', integrationId: 'int_1', webhookId: 'wh_1' },
    },
    { sleep: async (ms) => void sleeps.push(ms) }
  )
  return { adapter, store, logs, sleeps }
}

/** The engine's own references (test/support/refs.ts): saveData merges into the contact's state as in production. */
export const contactRef = (id: string, data: Data = {}): ContactRef => engineRefs().contact(id, { data })

export const sessionRef = (id: string, contactId?: string): SessionRef => engineRefs().session(id, { contactId })

export const transcript = (text = ''): Transcript => ({ entries: [], text })
