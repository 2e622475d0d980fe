/** Builds the Intercom adapter directly (no Botpress), with fast retry settings, an in-memory store and captured logs. */
import { fetchMedia } from '../../../src/core/media'
import { createHttpClientFactory, type HttpSettings } from '../../../src/core/http'
import { createLogger, Redactor } from '../../../src/core/log'
import type { ContactRef, Data, ProviderStore, SessionRef, Transcript } from '../../../src/core/types'
import { providers } from '../../../src/providers'
import type { IntercomConfig } from '../../../src/providers/intercom/config'
import { engineRefs } from '../../support/refs'
import { CLIENT_SECRET, TOKEN } from './fake'

export const fast: HttpSettings = { retries: 2, backoffMs: 5, backoffLimitMs: 20, maxRetryAfterMs: 2_000, timeoutMs: 2_000 }

export const memoryStore = (initial: Data = {}): ProviderStore & { data: Data } => {
  const store = {
    data: { ...initial },
    get: async () => ({ ...store.data }),
    set: async (data: Data) => {
      store.data = { ...data }
    },
  }
  return store
}

export const makeAdapter = (config: Partial<IntercomConfig> = {}, opts: { store?: Data; settings?: HttpSettings } = {}) => {
  const full: IntercomConfig = { accessToken: TOKEN, clientSecret: CLIENT_SECRET, ...config }
  const logs: string[] = []
  const redactor = new Redactor(providers.intercom.secrets(full))
  const line = (level: string) => (message: unknown) => logs.push(`${level}: ${String(message)}`)
  const store = memoryStore(opts.store)
  const adapter = providers.intercom.create(full, {
    http: createHttpClientFactory(redactor, opts.settings ?? fast),
    media: fetchMedia,
    secrets: { add: (...values: Array<string | undefined>) => redactor.add(values) },
    logger: createLogger({ debug: line('debug'), info: line('info'), warn: line('warn'), error: line('error') }, redactor),
    store,
    ctx: { botId: 'bot_1', integrationId: 'int_1', webhookId: 'wh_1' },
  })
  return { adapter, store, logs }
}

/** The engine's own references (test/support/refs.ts): saveData merges into the contact's state as in production. */
export const contactRef = (id: string, data: Data = {}): ContactRef => engineRefs().contact(id, { data })

export const sessionRef = (id: string, contactId?: string): SessionRef => engineRefs().session(id, { contactId })

export const transcript = (text = ''): Transcript => ({ entries: [], text })
