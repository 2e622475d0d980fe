/**
 * End to end over loopback: the built bundle (.botpress/dist/index.cjs) served by the SDK's own HTTP server, the Botpress
 * runtime emulator (webhook ingress included) and the local agent desk, with provider "http" and signing on.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import path from 'node:path'
import type { Server } from 'node:http'
import { startAgentDesk, type AgentDesk } from '../../dev/agent-desk'
import { IntegrationDriver, startEmulator, type Emulator } from '../../dev/emulator'

const root = path.resolve(__dirname, '../..')
const SECRET = 'e2e-secret-0123456789abcdef'

describe('end to end through the real bundle', () => {
  let emulator: Emulator
  let desk: AgentDesk
  let server: Server
  let driver: IntegrationDriver

  beforeAll(async () => {
    execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: root, stdio: 'pipe' })
    emulator = await startEmulator({ quiet: true })
    process.env.BP_API_URL = emulator.url
    process.env.BP_TOKEN = emulator.token
    desk = await startAgentDesk({ secret: SECRET, quiet: true })
    const bundle = require(path.join(root, '.botpress/dist/index.cjs'))
    expect(typeof bundle.default.start).toBe('function')
    server = await bundle.default.start(0)
    const address = server.address() as { port: number }
    driver = new IntegrationDriver({
      emulator,
      integrationUrl: `http://127.0.0.1:${address.port}`,
      configuration: { provider: 'http', http: { endpointBaseUrl: desk.url, webhookSecret: SECRET } },
      webhookId: 'e2e',
    })
    emulator.attach(driver)
    desk.setWebhookUrl(`${emulator.url}/webhook/e2e`)
  }, 60_000)

  afterAll(async () => {
    server?.close()
    await desk?.stop()
    await emulator?.close()
  })

  it('plays a whole session both ways', async () => {
    await driver.register()
    const { userId } = await driver.callAction('createUser', { name: 'Jane Doe', email: 'jane@example.com' })
    const { conversationId } = await driver.callAction('startHitl', {
      userId,
      title: 'Order never arrived',
      description: 'Order #42',
      messageHistory: [
        { source: { type: 'bot' }, type: 'text', payload: { text: 'How can I help?' } },
        { source: { type: 'user', userId }, type: 'text', payload: { text: 'My parcel is late' } },
      ],
    })
    const ticket = desk.tickets.at(-1)!
    expect(ticket).toMatchObject({ title: 'Order never arrived', description: 'Order #42', botpressConversationId: conversationId })
    expect(ticket.transcript).toEqual(['How can I help?', 'My parcel is late'])

    await driver.sendMessage({ conversationId, type: 'text', payload: { text: 'Any news?', userId } })
    await driver.sendMessage({ conversationId, type: 'image', payload: { imageUrl: 'https://example.com/r.png', userId } })
    expect(ticket.messages.map((m) => [m.from, m.type])).toEqual([
      ['user', 'text'],
      ['user', 'image'],
    ])

    const alice = { id: 'agent_alice', name: 'Alice', pictureUrl: 'https://example.com/alice.png' }
    expect((await desk.assign(ticket.id, alice)).status).toBe(200)
    expect((await desk.reply(ticket.id, alice, { type: 'text', payload: { text: 'On its way!' } })).status).toBe(200)
    expect((await desk.close(ticket.id)).status).toBe(200)

    const assigned = emulator.eventsOf('hitlAssigned')
    expect(assigned).toHaveLength(1)
    const agentUser = emulator.store.users.find((u: any) => u.id === (assigned[0]!.payload as any).userId)
    expect(agentUser).toMatchObject({ name: 'Alice', pictureUrl: alice.pictureUrl })
    const fromAgent = emulator.messagesOf(conversationId).filter((m) => m.userId === agentUser!.id)
    expect(fromAgent.map((m) => m.payload)).toEqual([{ text: 'On its way!' }])
    expect(emulator.eventsOf('hitlStopped')).toHaveLength(1)

    // A forged webhook through Botpress's ingress is refused before anything happens.
    const writes = emulator.requests.length
    const forged = await fetch(`${emulator.url}/webhook/e2e/message-from-agent`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-hitl-timestamp': String(Math.floor(Date.now() / 1000)), 'x-hitl-signature': 'sha256=00' },
      body: JSON.stringify({ remoteConversationId: ticket.id, remoteUserId: 'x', messageType: 'text', payload: { text: 'evil' } }),
    })
    expect(forged.status).toBe(401)
    expect(emulator.requests.length).toBe(writes)

    expect(emulator.violations).toEqual([])
    expect(desk.violations).toEqual([])
  })

  it('100 webhooks in parallel over loopback against the real bundle: 0 errors, nothing lost; sequential sends keep their order', async () => {
    const alice = { id: 'agent_alice', name: 'Alice' }
    const { userId } = await driver.callAction('createUser', { name: 'Load Test' })
    const sessions = await Promise.all(
      Array.from({ length: 10 }, async () => {
        const { conversationId } = await driver.callAction('startHitl', { userId, messageHistory: [] })
        return { conversationId, ticket: desk.tickets.find((t) => t.botpressConversationId === conversationId)! }
      })
    )
    // Ten sessions in parallel, ten messages each: 100 concurrent deliveries through Botpress's webhook ingress.
    const results = await Promise.all(
      sessions.flatMap((s, si) =>
        Array.from({ length: 10 }, (_, i) =>
          new Promise((r) => setTimeout(r, i * 2)).then(() => desk.reply(s.ticket.id, alice, { type: 'text', payload: { text: `s${si}-m${i}` } }))
        )
      )
    )
    expect(results.filter((r) => r.status !== 200)).toEqual([])
    sessions.forEach((s, si) => {
      const texts = emulator.messagesOf(s.conversationId).filter((m) => m.userId !== emulator.botUserId).map((m) => (m.payload as any).text)
      expect(texts.sort()).toEqual(Array.from({ length: 10 }, (_, i) => `s${si}-m${i}`).sort())
    })
    // Order: each session's messages sent one after another (sessions still in parallel) arrive in that order.
    await Promise.all(
      sessions.map(async (s, si) => {
        for (let i = 0; i < 5; i++) await desk.reply(s.ticket.id, alice, { type: 'text', payload: { text: `o${si}-${i}` } })
      })
    )
    sessions.forEach((s, si) => {
      const ordered = emulator.messagesOf(s.conversationId).map((m) => (m.payload as any).text).filter((t: string) => t?.startsWith('o'))
      expect(ordered).toEqual(Array.from({ length: 5 }, (_, i) => `o${si}-${i}`))
    })
    expect(emulator.violations).toEqual([])
  }, 60_000)

  it('npm start -- --once plays the scripted session and exits 0', () => {
    const run = spawnSync(process.execPath, ['.botpress/dev/start.cjs', '--once'], { cwd: root, encoding: 'utf8', timeout: 60_000 })
    if (run.status !== 0) throw new Error(`exit ${run.status}\n${run.stdout}\n${run.stderr}`)
    expect(run.stdout).toContain('registered with provider "http"')
    expect(run.stdout).toContain('hitlAssigned')
    expect(run.stdout).toContain('session played end to end')
  }, 90_000)
})
