import { runConformance } from '../../conformance/suite'
import { HubspotFake } from './fake'

runConformance(() => new HubspotFake())
