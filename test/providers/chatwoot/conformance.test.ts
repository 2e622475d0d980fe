import { runConformance } from '../../conformance/suite'
import { ChatwootFake } from './fake'

runConformance(() => new ChatwootFake())
