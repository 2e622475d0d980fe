/** What every part of the engine works with: Botpress (two clients, see botpress.ts), state references, the provider. */
import type { BotClient } from './botpress'
import type { EventClient } from './events'
import type { ActiveProvider } from './provider'
import type { Refs } from './refs'

export type EngineContext = {
  /** The client the operation runs with (on webhooks, the careful one). */
  client: BotClient
  /** The client that never repeats a POST: every hitl event goes through it. */
  events: EventClient
  refs: Refs
  active: ActiveProvider
  botId: string
}

/** Tags a record of optional strings keeps: the defined ones. */
export const clean = (tags: Record<string, string | undefined>): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const [key, value] of Object.entries(tags)) if (value !== undefined) out[key] = value
  return out
}
