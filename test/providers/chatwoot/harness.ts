/** Builds the Chatwoot adapter directly (no Botpress): fast retries, an in-memory store, captured logs, a media fetcher of choice. */
import { resetCaches } from '../../../src/core/cache'
import type { MediaFetcher } from '../../../src/core/media'
import type { ContactRef, Data, SessionRef, Transcript } from '../../../src/core/types'
import { providers } from '../../../src/providers'
import type { ChatwootConfig } from '../../../src/providers/chatwoot/config'
import { makeProviderDeps, memoryStore, type MemoryStore } from '../../support/provider-deps'
import type { ChatwootFake } from './fake'

export { memoryStore }

export const makeAdapter = (fake: ChatwootFake, opts: { config?: Partial<ChatwootConfig>; store?: MemoryStore; media?: MediaFetcher; fresh?: boolean } = {}) => {
  if (opts.fresh !== false) resetCaches()
  const config = { ...fake.section(), ...opts.config } as ChatwootConfig
  const store = opts.store ?? memoryStore()
  const { deps, logs, added } = makeProviderDeps({ secrets: providers.chatwoot.secrets(config), store, media: opts.media })
  const adapter = providers.chatwoot.create(config, deps)
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
