import { runConformance } from '../../conformance/suite'
import { HttpFake } from './fake'

runConformance(() => new HttpFake())
