import { runConformance } from '../../conformance/suite'
import { IntercomFake } from './fake'

runConformance(() => new IntercomFake())
