import { runConformance } from '../../conformance/suite'
import { FreshchatFake } from './fake'

runConformance(() => new FreshchatFake())
