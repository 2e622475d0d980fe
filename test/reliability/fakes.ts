/** Every provider's test double, for the cross-provider reliability suites. */
import type { FakeProvider } from '../conformance/fake'
import { HttpFake } from '../providers/http/fake'

export const fakes: Array<() => FakeProvider> = [() => new HttpFake()]
