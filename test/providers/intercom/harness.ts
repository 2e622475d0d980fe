/** Builds the Intercom adapter directly (no Botpress), with fast retry settings, an in-memory store, captured logs and no real sleeping. */
import { resetCaches } from '../../../src/core/cache'
import type { MediaFetcher } from '../../../src/core/media'
import type { HttpSettings } from '../../../src/core/http'
import type { ContactRef, Data, SessionRef, Transcript } from '../../../src/core/types'
import { providers } from '../../../src/providers'
import { createIntercomAdapter } from '../../../src/providers/intercom/adapter'
import type { IntercomConfig } from '../../../src/providers/intercom/config'
import { makeProviderDeps, memoryStore } from '../../support/provider-deps'
import { engineRefs } from '../../support/refs'
import { CLIENT_SECRET, TOKEN } from './fake'

export { memoryStore }

export type AdapterOpts = { store?: Data; settings?: HttpSettings; media?: MediaFetcher; cold?: boolean }

export const makeAdapter = (config: Partial<IntercomConfig> = {}, opts: AdapterOpts = {}) => {
  // Every adapter starts on a cold instance unless told otherwise: no identity remembered from another test.
  if (opts.cold !== false) resetCaches()
  const full: IntercomConfig = { accessToken: TOKEN, clientSecret: CLIENT_SECRET, ...config }
  const sleeps: number[] = []
  const store = memoryStore(opts.store)
  const { deps, logs } = makeProviderDeps({ secrets: providers.intercom.secrets(full), settings: opts.settings, store, media: opts.media })
  const adapter = createIntercomAdapter(full, deps, { sleep: async (ms) => void sleeps.push(ms) })
  return { adapter, store, logs, sleeps }
}

/** The engine's own references (test/support/refs.ts): saveData merges into the contact's state as in production. */
export const contactRef = (id: string, data: Data = {}): ContactRef => engineRefs().contact(id, { data })

export const sessionRef = (id: string, contactId?: string): SessionRef => engineRefs().session(id, { contactId })

export const transcript = (text = ''): Transcript => ({ entries: [], text })
