/** Builds the LiveChat adapter directly (no Botpress runtime) against the fake, with in-memory states and captured logs. */
import type { MediaFetcher } from '../../../src/core/media'
import type { ContactRef, Data, ProviderAdapter, Transcript } from '../../../src/core/types'
import { providers } from '../../../src/providers'
import type { LivechatConfig } from '../../../src/providers/livechat/config'
import { makeProviderDeps, memoryStore } from '../../support/provider-deps'
import { engineRefs } from '../../support/refs'
import type { LivechatFake } from './fake'

export { memoryStore }
export const WEBHOOK_URL = 'https://webhook.botpress.cloud/wh_livechat_test'

export type Harness = ReturnType<typeof harness>

export const harness = (fake: LivechatFake, overrides: Partial<LivechatConfig> = {}, store = memoryStore(), deps: { media?: MediaFetcher } = {}) => {
  const config: LivechatConfig = { ...fake.section(), ...overrides }
  const definition = providers.livechat
  const built = makeProviderDeps({ secrets: definition.secrets(config), store, media: deps.media, webhookId: 'wh_livechat_test' })
  const adapter: ProviderAdapter = definition.create(config, built.deps)
  return { adapter, config, store, logs: built.logs, redact: (text: string) => built.redactor.redact(text) }
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
