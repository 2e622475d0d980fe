import { runConformance } from '../../conformance/suite'
import { ZendeskFake } from './fake'

runConformance(() => new ZendeskFake())
