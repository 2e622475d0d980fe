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
  /** Switching providers: the adapters of sessions opened on another provider whose section is still configured (draining). */
  owners?: SessionOwners
}

/** Who a session tagged with another provider belongs to; `closed` runs after one of its sessions was closed here. */
export type SessionOwners = {
  of(name: string): ActiveProvider | undefined
  closed?(provider: ActiveProvider): Promise<void>
}

/**
 * The context for a session tagged `provider`: the active provider's own, or (a session opened before a switch) the
 * same context with the provider it was opened on, while that one is still configured. Unchanged otherwise: the caller
 * then treats the session as belonging to a provider that is gone.
 */
export const ownerContext = (ctx: EngineContext, provider: string | undefined): EngineContext => {
  if (!provider || provider === ctx.active.name) return ctx
  const owner = ctx.owners?.of(provider)
  return owner ? { ...ctx, active: owner } : ctx
}

/** Tags a record of optional strings keeps: the defined ones. */
export const clean = (tags: Record<string, string | undefined>): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const [key, value] of Object.entries(tags)) if (value !== undefined) out[key] = value
  return out
}
