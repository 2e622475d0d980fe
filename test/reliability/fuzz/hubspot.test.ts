/** Webhook fuzzing for the hubspot provider (see ../fuzz.ts). */
import { runFuzz } from '../fuzz'

runFuzz('hubspot')
