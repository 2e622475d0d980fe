/** Builds the LiveChat adapter directly (no Botpress runtime) against the fake, with in-memory states and captured logs. */
import { fetchMedia, type MediaFetcher } from '../../../src/core/media'
import { createHttpClientFactory, type HttpSettings } from '../../../src/core/http'
import { createLogger, Redactor } from '../../../src/core/log'
import type { ContactRef, Data, ProviderAdapter, ProviderStore, Transcript } from '../../../src/core/types'
import { providers } from '../../../src/providers'
import type { LivechatConfig } from '../../../src/providers/livechat/config'
import { engineRefs } from '../../support/refs'
import type { LivechatFake } from './fake'

export const fast: HttpSettings = { retries: 2, backoffMs: 5, backoffLimitMs: 20, maxRetryAfterMs: 2_000, timeoutMs: 2_000 }
export const WEBHOOK_URL = 'https://webhook.botpress.cloud/wh_livechat_test'

export const memoryStore = (initial: Data = {}) => {
  let data: Data = { ...initial }
  const store: ProviderStore & { data: () => Data } = {
    get: async () => ({ ...data }),
    set: async (next) => void (data = { ...next }),
    data: () => data,
  }
  return store
}

export type Harness = ReturnType<typeof harness>

export const harness = (fake: LivechatFake, overrides: Partial<LivechatConfig> = {}, store = memoryStore(), deps: { media?: MediaFetcher } = {}) => {
  const config: LivechatConfig = { ...fake.section(), ...overrides }
  const definition = providers.livechat
  const redactor = new Redactor(definition.secrets(config))
  const logs: string[] = []
  const sink = {
    debug: (m: unknown) => logs.push(`debug: ${m}`),
    info: (m: unknown) => logs.push(`info: ${m}`),
    warn: (m: unknown) => logs.push(`warn: ${m}`),
    error: (m: unknown) => logs.push(`error: ${m}`),
  }
  const adapter: ProviderAdapter = definition.create(config, {
    http: createHttpClientFactory(redactor, fast),
    media: deps.media ?? fetchMedia,
    secrets: { add: (...values: Array<string | undefined>) => redactor.add(values) },
    logger: createLogger(sink, redactor),
    store,
    ctx: { botId: 'bot_1', integrationId: 'int_1', webhookId: 'wh_livechat_test' },
  })
  return { adapter, config, store, logs, redact: (text: string) => redactor.redact(text) }
}

export type Contact = ContactRef & { state: () => Data }

/** The engine's own references (test/support/refs.ts): saveData merges into Botpress state as in production. */
export const contactRef = (id: string, initial: Data = {}, profile: { name?: string } = { name: 'Jane Doe' }): Contact =>
  engineRefs().contact(id, { botpressUserId: `user_${id.slice(0, 8)}`, profile, data: initial })

export const sessionRef = (id: string, altId: string | undefined, contactId: string | undefined, initial: Data = {}) =>
  engineRefs().session(id, { altId, contactId, conversationId: `conv_${id}`, data: initial })

export const emptyTranscript: Transcript = { entries: [], text: '' }

/** createContact + openSession, as the core does it, with the data persisted in memory. */
export const openSession = async (h: Harness, opts: { title?: string; description?: string; transcript?: Transcript; routing?: string; contact?: Contact } = {}) => {
  let contact: Contact
  if (opts.contact) contact = opts.contact
  else {
    const created = await h.adapter.createContact({ name: 'Jane Doe', email: 'jane@example.com' })
    contact = contactRef(created.id, created.data ?? {})
  }
  const opened = await h.adapter.openSession({
    botpressConversationId: 'conv_1',
    contact,
    title: opts.title,
    description: opts.description,
    extras: opts.routing ? { routing: opts.routing } : {},
    transcript: opts.transcript ?? emptyTranscript,
  })
  const session = sessionRef(opened.id, opened.altId, contact.id, opened.data ?? {})
  return { contact, session, opened }
}
