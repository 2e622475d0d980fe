/** Webhook fuzzing for the chatwoot provider (see ../fuzz.ts). */
import { runFuzz } from '../fuzz'

runFuzz('chatwoot')
