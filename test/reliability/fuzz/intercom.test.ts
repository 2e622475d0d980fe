/** Webhook fuzzing for the intercom provider (see ../fuzz.ts). */
import { runFuzz } from '../fuzz'

runFuzz('intercom')
