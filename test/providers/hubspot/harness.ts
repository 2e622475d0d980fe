/** Builds the HubSpot adapter directly (no Botpress): fast retries, an in-memory store, captured logs. */
import type { MediaFetcher } from '../../../src/core/media'
import type { HttpSettings } from '../../../src/core/http'
import type { ContactProfile, ContactRef, Data, SessionRef, Transcript } from '../../../src/core/types'
import { providers } from '../../../src/providers'
import { resetCaches } from '../../../src/core/cache'
import type { HubspotConfig } from '../../../src/providers/hubspot/config'
import { timing } from '../../../src/providers/hubspot/setup'
import { fastHttp, makeProviderDeps, memoryStore, type MemoryStore } from '../../support/provider-deps'
import { engineRefs } from '../../support/refs'
import { useFakeRig } from '../../support/rig'
import { HubspotFake } from './fake'

export { memoryStore, type MemoryStore }

export const fast: HttpSettings = { ...fastHttp, maxRetryAfterMs: 3_000, timeoutMs: 3_000 }

export const WEBHOOK_ID = 'wh_hubspot_test'
export const WEBHOOK_URL = `https://webhook.botpress.cloud/${WEBHOOK_ID}`

/** Forget everything the adapter keeps per process, and make polling instant. */
export const resetProcess = () => {
  resetCaches()
  timing.connectPollMs = [5, 5, 5, 5]
  timing.readyPollMs = [5, 5]
  timing.sleep = async () => {}
}

export const makeAdapter = (
  fake: HubspotFake,
  opts: { config?: Partial<HubspotConfig>; store?: MemoryStore; settings?: HttpSettings; webhookId?: string; media?: MediaFetcher } = {}
) => {
  const config: HubspotConfig = { ...fake.credentials, ...opts.config }
  const store = opts.store ?? memoryStore()
  const { deps, logs } = makeProviderDeps({
    secrets: providers.hubspot.secrets(config),
    settings: opts.settings ?? fast,
    store,
    media: opts.media,
    webhookId: opts.webhookId ?? WEBHOOK_ID,
  })
  const adapter = providers.hubspot.create(config, deps)
  return { adapter, store, logs, config }
}

/** The engine's own references (test/support/refs.ts): saveData merges into Botpress state as in production. */
export const contactRef = (id: string, profile: ContactProfile = {}, data: Data = {}): ContactRef =>
  engineRefs().contact(id, { profile, data })

export const sessionRef = (id: string, opts: { altId?: string; contactId?: string; data?: Data } = {}): SessionRef =>
  engineRefs().session(id, { altId: opts.altId, contactId: opts.contactId, data: opts.data })

export const transcript = (text = ''): Transcript => ({ entries: [], text })

/** Every secret of a configuration plus the tokens the fake issued: none may appear in `text`. */
export const leakedSecrets = (fake: HubspotFake, text: string) =>
  [fake.credentials.developerApiKey, fake.credentials.clientSecret, fake.credentials.refreshToken, ...fake.accessTokens.keys(), ...fake.refreshTokens].filter(
    (s) => text.includes(s)
  )

/** A started HubSpot fake, reset (with the adapter's process memory) before each test and checked for contract violations after. */
export const useHubspotFake = (): HubspotFake => {
  const fake = new HubspotFake()
  beforeAll(() => fake.start())
  afterAll(() => fake.stop())
  beforeEach(() => {
    fake.resetAll()
    resetProcess()
  })
  afterEach(() => expect(fake.violations()).toEqual([]))
  return fake
}

/** The whole integration (Botpress emulator + msw HubSpot), strict, reset before each test and registered with HubSpot. */
export const useRegisteredHubspotRig = (fake: HubspotFake) =>
  useFakeRig(fake, {
    reset: true,
    strict: true,
    before: async (started) => {
      resetProcess()
      await started.driver.register()
    },
  })
