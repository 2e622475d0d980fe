/** Every provider's test double, for the cross-provider reliability suites. */
import type { FakeProvider } from '../conformance/fake'
import { ChatwootFake } from '../providers/chatwoot/fake'
import { HttpFake } from '../providers/http/fake'
import { HubspotFake } from '../providers/hubspot/fake'
import { IntercomFake } from '../providers/intercom/fake'
import { LivechatFake } from '../providers/livechat/fake'

export const fakes: Array<() => FakeProvider> = [() => new HttpFake(), () => new IntercomFake(), () => new LivechatFake(), () => new HubspotFake(), () => new ChatwootFake()]
