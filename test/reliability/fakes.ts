/**
 * Every provider's test double for the cross-provider reliability suites, keyed by the registry's provider names.
 * The provider list comes from the registry (src/providers/index.ts), not from here: a registered provider without a
 * double fails every reliability suite. Adding a provider = one line in FAKES (and a fuzz file, see fuzz/).
 */
import type { FakeProvider } from '../conformance/fake'
import { providerNames } from '../../src/providers'
import { ChatwootFake } from '../providers/chatwoot/fake'
import { FreshchatFake } from '../providers/freshchat/fake'
import { HttpFake } from '../providers/http/fake'
import { HubspotFake } from '../providers/hubspot/fake'
import { IntercomFake } from '../providers/intercom/fake'
import { LivechatFake } from '../providers/livechat/fake'
import { ZendeskFake } from '../providers/zendesk/fake'

export const FAKES: Readonly<Record<string, () => FakeProvider>> = {
  http: () => new HttpFake(),
  intercom: () => new IntercomFake(),
  livechat: () => new LivechatFake(),
  hubspot: () => new HubspotFake(),
  chatwoot: () => new ChatwootFake(),
  zendesk: () => new ZendeskFake(),
  freshchat: () => new FreshchatFake(),
}

export const registeredProviders: readonly string[] = providerNames

const fakeOf = (name: string) => (Object.prototype.hasOwnProperty.call(FAKES, name) ? FAKES[name] : undefined)

/**
 * `describe(title, …)` once per registered provider with its fake's factory. A provider without a fake gets one
 * failing test naming what to add, so the gap cannot go unnoticed.
 */
export const eachProvider = (title: string, body: (name: string, make: () => FakeProvider) => void, only: readonly string[] = registeredProviders) =>
  describe.each(only.map((name) => [name] as const))(title, (name) => {
    const make = fakeOf(name)
    if (!make) {
      it('has a test double', () => {
        throw new Error(`provider "${name}" is registered but has no test double: add it to FAKES in test/reliability/fakes.ts`)
      })
      return
    }
    body(name, make)
  })
