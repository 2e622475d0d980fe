import { runConformance } from '../../conformance/suite'
import { LivechatFake } from './fake'

runConformance(() => new LivechatFake())
