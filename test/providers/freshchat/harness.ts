/** Builds the Freshchat adapter directly (no Botpress): fast retries, an in-memory store, captured logs, a media fetcher of choice. */
import { resetCaches } from '../../../src/core/cache'
import type { MediaFetcher } from '../../../src/core/media'
import type { ContactRef, SessionRef, Transcript } from '../../../src/core/types'
import { providers } from '../../../src/providers'
import type { FreshchatConfig } from '../../../src/providers/freshchat/config'
import { makeProviderDeps, memoryStore, type MemoryStore } from '../../support/provider-deps'
import type { FreshchatFake } from './fake'

export const makeAdapter = (fake: FreshchatFake, opts: { config?: Partial<FreshchatConfig>; store?: MemoryStore; media?: MediaFetcher; fresh?: boolean } = {}) => {
  if (opts.fresh !== false) resetCaches()
  const config = { ...(fake.configuration().freshchat as FreshchatConfig), ...opts.config } as FreshchatConfig
  const store = opts.store ?? memoryStore()
  const { deps, logs, added } = makeProviderDeps({ secrets: providers.freshchat.secrets(config), store, media: opts.media })
  const adapter = providers.freshchat.create(config, deps)
  return { adapter, store, logs, added, config }
}

export const contactRef = (id: string): ContactRef => ({
  id,
  botpressUserId: 'user_01',
  profile: async () => ({}),
  data: async () => ({}),
  saveData: async () => {},
})

export const sessionRef = (id: string, contactId?: string): SessionRef => ({
  id,
  botpressConversationId: 'conv_01',
  ...(contactId ? { contactId } : {}),
  data: async () => ({}),
  saveData: async () => {},
})

export const transcript = (text = ''): Transcript => ({ entries: [], text })

export const WEBHOOK_URL = 'https://webhook.botpress.cloud/4c2b9a0e-webhook'
