/** Builds the Zendesk adapter directly (no Botpress): fast retries, an in-memory store, captured logs. */
import { resetCaches } from '../../../src/core/cache'
import { providers } from '../../../src/providers'
import type { ZendeskConfig } from '../../../src/providers/zendesk/config'
import { makeProviderDeps, memoryStore, type MemoryStore } from '../../support/provider-deps'
import type { ZendeskFake } from './fake'

export { memoryStore }

export const WEBHOOK_URL = 'https://webhook.botpress.cloud/7f3e2b1a-zendesk'

export const makeAdapter = (fake: ZendeskFake, opts: { config?: Partial<ZendeskConfig>; store?: MemoryStore; fresh?: boolean } = {}) => {
  if (opts.fresh !== false) resetCaches()
  const config = { ...fake.section(), ...opts.config } as ZendeskConfig
  const store = opts.store ?? memoryStore()
  const { deps, logs, added } = makeProviderDeps({ secrets: providers.zendesk.secrets(config), store })
  const adapter = providers.zendesk.create(config, deps)
  return { adapter, store, logs, added, config }
}
