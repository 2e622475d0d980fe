/**
 * A local agent desk: an in-memory "external service" of the generic HITL API protocol on loopback, for `npm start`,
 * end-to-end tests and a browser playground. It validates every request against the official specs (./specs),
 * verifies and sends signed requests when a secret is set, and lets code or a human act as agents.
 *
 * This module is its entry point. The parts, one job each:
 *   ./model.ts     users, tickets and messages; the agent actions (webhooks to the integration); what each protocol call does
 *   ./server.ts    the HTTP transport: loopback-only guards, protocol request checks, the control API, server-sent events
 *   ./protocol.ts  the protocol itself: spec validation, request signing, agent message rules
 */
import type { AgentDeskOptions } from './model'
import { AgentDesk } from './server'

export * from './model'
export { AgentDesk } from './server'

/** Starts a desk on loopback (any free port unless `opts.port`). */
export async function startAgentDesk(opts: AgentDeskOptions = {}): Promise<AgentDesk> {
  return new AgentDesk(opts).listen()
}
