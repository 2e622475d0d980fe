/**
 * `npm start`: the whole hand-off on one machine, no account anywhere. Starts the Botpress runtime emulator, the local
 * agent desk (a generic-HTTP-protocol service) and the built integration bundle through the SDK's own server, registers
 * with provider "http", plays one session end to end printing both sides, then stays up for manual use
 * (`--once` exits after the session).
 */
import { randomBytes } from 'node:crypto'
import path from 'node:path'
import readline from 'node:readline'
import { startAgentDesk } from './agent-desk'
import { IntegrationDriver, startEmulator } from './emulator'

const args = process.argv.slice(2)
const once = args.includes('--once')
const portArg = (name: string, fallback: number) => {
  const i = args.indexOf(name)
  return i >= 0 ? Number(args[i + 1]) : fallback
}

const tty = process.stdout.isTTY && !process.env.NO_COLOR
const paint = (code: string) => (s: string) => (tty ? `\x1b[${code}m${s}\x1b[0m` : s)
const c = {
  dim: paint('2'),
  user: paint('36'),
  agent: paint('35'),
  bp: paint('33'),
  ok: paint('32'),
  bad: paint('31'),
}
const say = (line: string) => process.stdout.write(line + '\n')
const describePayload = (type: string, payload: any) =>
  type === 'text' ? payload.text : `[${type}] ${payload.imageUrl ?? payload.fileUrl ?? payload.audioUrl ?? payload.videoUrl ?? JSON.stringify(payload)}`
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function main() {
  const secret = randomBytes(24).toString('hex')
  const emulator = await startEmulator({ port: portArg('--bp-port', 0), quiet: true })
  process.env.BP_API_URL = emulator.url
  process.env.BP_TOKEN = emulator.token
  const desk = await startAgentDesk({ port: portArg('--desk-port', 0), secret, quiet: true })

  // The integration exactly as Botpress runs it: the built bundle, served by the SDK's HTTP server.
  const bundle = require(path.resolve(__dirname, '../dist/index.cjs'))
  const server = await bundle.default.start(portArg('--port', 0))
  const address = server.address()
  const integrationUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`

  const configuration = { provider: 'http', http: { endpointBaseUrl: desk.url, webhookSecret: secret } }
  const driver = new IntegrationDriver({ emulator, integrationUrl, configuration, webhookId: 'local-webhook' })
  emulator.attach(driver)
  const webhookUrl = `${emulator.url}/webhook/local-webhook`
  desk.setWebhookUrl(webhookUrl)

  emulator.on('message', ({ message, user }: any) => {
    if (message.userId === emulator.botUserId) return
    say(c.bp(`  botpress ◂ message from ${user?.name ?? message.userId}: ${describePayload(message.type, message.payload)}`))
  })
  emulator.on('event', (event: any) => {
    const agent = event.payload?.userId && emulator.store.users.find((u: any) => u.id === event.payload.userId)
    const who = agent ? ` → agent "${agent.name}" (${agent.id})` : ''
    say(c.bp(`  botpress ◂ event ${event.type}${who}`))
  })
  desk.on('message', (m: any) => {
    if (m.from === 'agent') return
    say(c.agent(`  desk ◂ ${m.from === 'system' ? 'notice' : 'user'}: ${describePayload(m.type, m.payload)}`))
  })
  desk.on('ticket', (t: any) => {
    say(c.agent(`  desk ◂ new ticket ${t.id} "${t.title ?? ''}" with ${t.transcript?.length ?? 0} history lines`))
    t.transcript?.forEach((line: string, i: number) => {
      const author = (t.history?.[i] as { authorName?: string } | undefined)?.authorName
      say(c.dim(`           ${author ? `${author}: ` : ''}${line.replace(/\n/g, ' / ')}`))
    })
  })

  say(c.ok('HITL hub running locally'))
  say(c.dim(`  Botpress emulator  ${emulator.url}`))
  say(c.dim(`  integration        ${integrationUrl}  (.botpress/dist/index.cjs via the SDK server)`))
  say(c.dim(`  agent desk         ${desk.url}`))
  say(c.dim(`  webhook URL        ${webhookUrl}`))

  await driver.register()
  say(c.ok('✔ registered with provider "http"'))

  // ── one whole session ──────────────────────────────────────────────────────
  const { userId } = await driver.callAction('createUser', { name: 'Jane Doe', email: 'jane@example.com' })
  say(c.user(`▸ createUser → ${userId}`))
  const history = [
    { source: { type: 'bot' }, type: 'text', payload: { text: 'Hi! How can I help?' } },
    { source: { type: 'user', userId }, type: 'text', payload: { text: 'My order never arrived' } },
    { source: { type: 'bot' }, type: 'choice', payload: { text: 'Talk to a human?', options: [{ label: 'Yes', value: 'yes' }] } },
    { source: { type: 'user', userId }, type: 'text', payload: { text: 'Yes' } },
  ]
  const { conversationId } = await driver.callAction('startHitl', {
    userId,
    title: 'Order never arrived',
    description: 'Order #42, placed 10 days ago',
    messageHistory: history,
  })
  say(c.user(`▸ startHitl → conversation ${conversationId}`))
  const ticket = desk.tickets[desk.tickets.length - 1]!

  say(c.user('▸ user: "Here is the receipt" + an image'))
  await driver.sendMessage({ conversationId, type: 'text', payload: { text: 'Here is the receipt', userId } })
  await driver.sendMessage({ conversationId, type: 'image', payload: { imageUrl: 'https://picsum.photos/200', title: 'receipt.png', userId } })

  const alice = { id: 'agent_alice', name: 'Alice (support)', pictureUrl: 'https://i.pravatar.cc/100?u=alice' }
  say(c.agent(`▸ desk: ${alice.name} takes ticket ${ticket.id}`))
  await desk.assign(ticket.id, alice)
  say(c.agent('▸ desk: Alice replies'))
  await desk.reply(ticket.id, alice, { type: 'text', payload: { text: 'Sorry about that! A new parcel ships today.' } })
  say(c.agent('▸ desk: Alice closes the ticket'))
  await desk.close(ticket.id)
  await sleep(50)

  const stopped = emulator.store.events.filter((e: any) => e.type === 'hitlStopped').length
  const violations = emulator.violations.length + desk.violations.length
  say(violations ? c.bad(`✘ ${violations} request(s) the official specs reject`) : c.ok('✔ every request matched the official specs'))
  say(stopped ? c.ok('✔ session played end to end') : c.bad('✘ hitlStopped was not received'))

  if (once) {
    server.close()
    await desk.stop()
    await emulator.close()
    process.exit(violations || !stopped ? 1 : 0)
  }

  manual(driver, desk, userId)
}

/** Manual mode: type lines to talk as the end user or as the agent. */
function manual(driver: IntegrationDriver, desk: Awaited<ReturnType<typeof startAgentDesk>>, userId: string) {
  say('')
  say(c.ok('Still running. Type:'))
  say('  new <title>        escalate a new session for Jane')
  say('  u <text>           the end user writes (newest session)')
  say('  a <text>           the agent (Alice) replies')
  say('  assign <name>      assign the newest ticket to an agent')
  say('  close              the agent closes the ticket        end   the user ends (stopHitl)')
  say(c.dim(`  or drive the desk over HTTP: GET ${desk.url}/desk/tickets, POST ${desk.url}/desk/tickets/<id>/reply`))
  let conversationId: string | undefined
  const rl = readline.createInterface({ input: process.stdin })
  rl.on('line', async (line) => {
    const [cmd, ...rest] = line.trim().split(' ')
    const text = rest.join(' ')
    const ticket = desk.tickets[desk.tickets.length - 1]
    const alice = { id: 'agent_alice', name: 'Alice (support)' }
    try {
      if (cmd === 'new') {
        ;({ conversationId } = await driver.callAction('startHitl', { userId, title: text || 'Manual session', messageHistory: [] }))
      } else if (cmd === 'u' && conversationId) {
        await driver.sendMessage({ conversationId, type: 'text', payload: { text, userId } })
      } else if (cmd === 'a' && ticket) {
        await desk.reply(ticket.id, alice, { type: 'text', payload: { text } })
      } else if (cmd === 'assign' && ticket) {
        await desk.assign(ticket.id, { id: `agent_${text || 'bob'}`, name: text || 'Bob' })
      } else if (cmd === 'close' && ticket) {
        await desk.close(ticket.id)
      } else if (cmd === 'end' && conversationId) {
        await driver.callAction('stopHitl', { conversationId })
        say(c.ok('  stopHitl done'))
      } else if (cmd) {
        say(c.dim('  (unknown command, or start a session with: new <title>)'))
      }
    } catch (error) {
      say(c.bad(`  ${(error as Error).message}`))
    }
  })
}

main().catch((error) => {
  console.error(c.bad(`npm start failed: ${error?.stack ?? error}`))
  process.exit(1)
})
