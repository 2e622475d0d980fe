/** Webhook fuzzing for the livechat provider (see ../fuzz.ts). */
import { runFuzz } from '../fuzz'

runFuzz('livechat')
