/** Webhook fuzzing for the http provider (see ../fuzz.ts). */
import { runFuzz } from '../fuzz'

runFuzz('http')
