/** Webhook fuzzing for the zendesk provider (see ../fuzz.ts). */
import { runFuzz } from '../fuzz'

runFuzz('zendesk')
