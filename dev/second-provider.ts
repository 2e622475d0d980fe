/**
 * `npm start`'s second provider, so that a switch can be watched: Chatwoot, played in-process by the project's Chatwoot
 * double (test/providers/chatwoot/fake.ts: msw answers the bundle's requests to app.chatwoot.com as Chatwoot's
 * Application API does, validated against Chatwoot's own OpenAPI description, and signs webhooks as Chatwoot signs
 * them). Nothing leaves the machine. Its agent is driven by typed commands (`ca`, `cassign`, `cclose`) and every
 * message the Chatwoot agent would see is printed.
 *
 * The double validates requests against spec/application_swagger.json next to its module; scripts/build.mjs copies
 * it next to the built runner.
 */
import { ChatwootFake } from '../test/providers/chatwoot/fake'
import type { IntegrationDriver } from './emulator'

export const SECOND_PROVIDER = 'chatwoot'
export const SECOND_TITLE = 'Chatwoot (local double)'

export const startSecondProvider = async (say: (line: string) => void, paint: (s: string) => string) => {
  const fake = new ChatwootFake()
  // A fresh account: nothing registered until the first save with Chatwoot active.
  fake.wipe({ preRegistered: false })
  await fake.start()
  const seen = new Map<string, number>()
  const alice = { id: 'agent-carla', name: 'Carla (Chatwoot)' }

  /** The newest Chatwoot conversation still open. */
  const newest = () => fake.sessions().filter((s) => !s.closed).pop()

  /** Prints what the Chatwoot agent received since the last call. */
  const flush = () => {
    for (const session of fake.sessions()) {
      const received = fake.received(session.id)
      const from = seen.get(session.id)
      if (from === undefined) say(paint(`  chatwoot ◂ new conversation ${session.id}: ${session.openingText.split('\n')[0] ?? ''}`))
      for (const m of received.slice(from ?? 0)) say(paint(`  chatwoot ◂ ${m.author}: ${m.text ?? m.url ?? m.kind}`))
      seen.set(session.id, received.length)
    }
  }

  const deliver = async (driver: IntegrationDriver, req: Awaited<ReturnType<ChatwootFake['agentMessage']>>) => {
    const res = await driver.webhook({ ...req, headers: Object.fromEntries(Object.entries(req.headers).filter((e): e is [string, string] => e[1] !== undefined)) })
    return res.status
  }

  return {
    section: () => fake.section(),
    flush,
    registrations: () => fake.registrations(),
    openSessions: () => fake.sessions().filter((s) => !s.closed).length,
    async reply(driver: IntegrationDriver, text: string) {
      const session = newest()
      if (!session) return 'no open Chatwoot conversation'
      return `webhook ${await deliver(driver, await fake.agentMessage(session.id, alice, { type: 'text', text }))}`
    },
    async assign(driver: IntegrationDriver, name: string) {
      const session = newest()
      if (!session) return 'no open Chatwoot conversation'
      return `webhook ${await deliver(driver, await fake.agentAssigned(session.id, { id: `agent-${name.toLowerCase()}`, name }))}`
    },
    async close(driver: IntegrationDriver) {
      const session = newest()
      if (!session) return 'no open Chatwoot conversation'
      return `webhook ${await deliver(driver, await fake.sessionClosed(session.id))}`
    },
    stop: () => fake.stop(),
  }
}

export type SecondProvider = Awaited<ReturnType<typeof startSecondProvider>>
