/** Builds the Chatwoot adapter directly (no Botpress): fast retries, an in-memory store, captured logs, a media fetcher of choice. */
import { resetCaches } from '../../../src/core/cache'
import { createHttpClientFactory, type HttpSettings } from '../../../src/core/http'
import { createLogger, Redactor } from '../../../src/core/log'
import { fetchMedia, type MediaFetcher } from '../../../src/core/media'
import type { ContactRef, Data, ProviderStore, SessionRef, Transcript } from '../../../src/core/types'
import { providers } from '../../../src/providers'
import type { ChatwootConfig } from '../../../src/providers/chatwoot/config'
import { ChatwootFake } from './fake'

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

export const makeAdapter = (
  fake: ChatwootFake,
  opts: { config?: Partial<ChatwootConfig>; store?: ReturnType<typeof memoryStore>; media?: MediaFetcher; fresh?: boolean } = {}
) => {
  if (opts.fresh !== false) resetCaches()
  const config = { ...fake.section(), ...opts.config } as ChatwootConfig
  const logs: string[] = []
  const redactor = new Redactor(providers.chatwoot.secrets(config))
  const added: string[] = []
  const line = (level: string) => (message: unknown) => logs.push(`${level}: ${String(message)}`)
  const store = opts.store ?? memoryStore()
  const adapter = providers.chatwoot.create(config, {
    http: createHttpClientFactory(redactor, fast),
    media: opts.media ?? fetchMedia,
    secrets: {
      add: (...values: Array<string | undefined>) => {
        added.push(...values.filter((v): v is string => !!v))
        redactor.add(values)
      },
    },
    logger: createLogger({ debug: line('debug'), info: line('info'), warn: line('warn'), error: line('error') }, redactor),
    store,
    ctx: { botId: 'bot_1', integrationId: 'int_1', webhookId: 'wh_1' },
  })
  return { adapter, store, logs, added, config }
}

export const contactRef = (id: string, data: Data = {}): ContactRef => ({
  id,
  botpressUserId: 'user_01',
  profile: async () => ({}),
  data: async () => data,
  saveData: async () => {},
})

export const sessionRef = (id: string): SessionRef => ({
  id,
  botpressConversationId: 'conv_01',
  data: async () => ({}),
  saveData: async () => {},
})

export const transcript = (text = ''): Transcript => ({ entries: [], text })

export const WEBHOOK_URL = 'https://webhook.botpress.cloud/4c2b9a0e-webhook'
