/** Webhook fuzzing for the freshchat provider (see ../fuzz.ts). */
import { runFuzz } from '../fuzz'

runFuzz('freshchat')
