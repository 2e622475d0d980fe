/**
 * `npm start`: the whole hand-off on one machine, no account anywhere. Starts the Botpress runtime emulator, the local
 * agent desk (a generic-HTTP-protocol service) and the built integration bundle's SDK handler, every one of them on
 * loopback (127.0.0.1) only, registers
 * with provider "http", plays one session end to end printing both sides, then stays up for manual use: the browser
 * playground (dev/playground) and typed commands. `--once` exits after the session.
 *
 * `--config <file.json>` runs against a real provider instead (no local desk, no scripted session): the playground's
 * agent pane then says to answer in the provider's UI. `--public-url <https://tunnel>` is the public address of the
 * emulator (`--bp-port`) that the provider's webhooks must reach.
 */
import { randomBytes } from 'node:crypto'
import path from 'node:path'
import readline from 'node:readline'
import { startAgentDesk } from './agent-desk'
import { IntegrationDriver, startEmulator, type Emulator } from './emulator'
import { loadConfigFile, PROVIDER_TITLES } from './playground/config'
import { PublicDriver } from './playground/driver'
import { startPlayground, type PlaygroundOptions } from './playground/server'
import { SECOND_PROVIDER, SECOND_TITLE, startSecondProvider, type SecondProvider } from './second-provider'
import { serveOnLoopback } from './serve'

const args = process.argv.slice(2)
const once = args.includes('--once')
const portArg = (name: string, fallback: number) => {
  const i = args.indexOf(name)
  return i >= 0 ? Number(args[i + 1]) : fallback
}
const stringArg = (name: string) => {
  const i = args.indexOf(name)
  if (i < 0) return undefined
  const value = args[i + 1]
  if (!value || value.startsWith('--')) throw new Error(`${name} needs a value`)
  return value
}
/** The playground's port when free (a stable URL to bookmark); any free port otherwise. */
const DEFAULT_UI_PORT = 3210

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
  if (args.includes('--help')) return usage()
  const configFile = stringArg('--config')
  if (configFile) return withProvider(configFile)
  const secret = randomBytes(24).toString('hex')
  const emulator = await startEmulator({ port: portArg('--bp-port', 0), quiet: true })
  process.env.BP_API_URL = emulator.url
  process.env.BP_TOKEN = emulator.token
  const desk = await startAgentDesk({ port: portArg('--desk-port', 0), secret, quiet: true })

  // The integration exactly as Botpress runs it: the built bundle's SDK handler, served on loopback only (the SDK's own
  // `start(port)` listens on every interface).
  const bundle = require(path.resolve(__dirname, '../dist/index.cjs'))
  const server = await serveOnLoopback(bundle.default.handler, portArg('--port', 0))
  const address = server.address()
  const integrationUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`

  // A second provider is configured too (its section complete, not active), so that `switch` can move new sessions to
  // it while the sessions already open drain on the desk, and back (README, Switching providers).
  const second = await startSecondProvider(say, c.agent)
  const sections = { http: { endpointBaseUrl: desk.url, webhookSecret: secret }, [SECOND_PROVIDER]: second.section() }
  const configuration = { provider: 'http', ...sections }
  const driver = new IntegrationDriver({ emulator, integrationUrl, configuration, webhookId: 'local-webhook' })
  emulator.attach(driver)
  const webhookUrl = `${emulator.url}/webhook/local-webhook`
  desk.setWebhookUrl(webhookUrl)

  printBotpress(emulator)
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
  say(c.dim(`  integration        ${integrationUrl}  (.botpress/dist/index.cjs, SDK handler on loopback)`))
  say(c.dim(`  agent desk         ${desk.url}  (provider "http")`))
  say(c.dim(`  second provider    ${SECOND_TITLE}  (provider "${SECOND_PROVIDER}", in-process; type \`switch\`)`))
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
    await second.stop()
    await desk.stop()
    await emulator.close()
    process.exit(violations || !stopped ? 1 : 0)
  }

  const playground = await openPlayground({ emulator, driver, desk, provider: 'http' })
  manual(driver, desk, userId, { emulator, second, sections })
  banner(playground.url, 'Two panes: the end user and the agent desk, with what Botpress received below.')
}

/** What Botpress receives, printed as it happens. */
function printBotpress(emulator: Emulator) {
  emulator.on('message', ({ message, user }: any) => {
    if (message.userId === emulator.botUserId) return
    say(c.bp(`  botpress ◂ message from ${user?.name ?? message.userId}: ${describePayload(message.type, message.payload)}`))
  })
  emulator.on('event', (event: any) => {
    const agent = event.payload?.userId && emulator.store.users.find((u: any) => u.id === event.payload.userId)
    const who = agent ? ` → agent "${agent.name}" (${agent.id})` : ''
    say(c.bp(`  botpress ◂ event ${event.type}${who}`))
  })
}

/** The browser playground on loopback (the page is built by scripts/build.mjs next to this runner). */
async function openPlayground(opts: Omit<PlaygroundOptions, 'staticDir' | 'port'>) {
  const staticDir = path.resolve(__dirname, 'playground')
  const fixed = args.includes('--ui-port')
  try {
    return await startPlayground({ ...opts, staticDir, port: portArg('--ui-port', DEFAULT_UI_PORT) })
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || fixed) throw error
    return startPlayground({ ...opts, staticDir, port: 0 })
  }
}

function banner(url: string, line: string) {
  const width = Math.max(url.length + 14, line.length + 4)
  const pad = (s: string) => s + ' '.repeat(Math.max(0, width - s.length))
  say('')
  say(c.ok(`┏${'━'.repeat(width)}┓`))
  say(c.ok(`┃${pad(`  Playground  ${url}`)}┃`))
  say(c.ok(`┃${pad(`  ${line}`)}┃`))
  say(c.ok(`┗${'━'.repeat(width)}┛`))
  say(c.dim('  Open it in a browser. Ctrl+C stops everything.'))
  // The playground allow-lists its own host:port (dev/playground/media-hosts.ts): its sample media reach the media
  // fetcher, every other private address stays refused.
  say(c.dim(`  Media downloads may reach ${process.env.HITL_MEDIA_ALLOW_HOSTS ?? '(no local host)'} (HITL_MEDIA_ALLOW_HOSTS); other private addresses are refused.`))
}

/** `--config <file>`: the integration against a real provider; the agent answers in the provider's own UI. */
async function withProvider(file: string) {
  let configuration: ReturnType<typeof loadConfigFile>
  try {
    configuration = loadConfigFile(path.resolve(process.cwd(), file))
  } catch (error) {
    say(c.bad(`✘ ${(error as Error).message}`))
    process.exit(1)
  }
  const provider = configuration.provider
  const title = PROVIDER_TITLES[provider] ?? provider
  const emulator = await startEmulator({ port: portArg('--bp-port', 0), quiet: true })
  process.env.BP_API_URL = emulator.url
  process.env.BP_TOKEN = emulator.token
  const bundle = require(path.resolve(__dirname, '../dist/index.cjs'))
  const server = await serveOnLoopback(bundle.default.handler, portArg('--port', 0))
  const address = server.address()
  const integrationUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`
  let driver: PublicDriver
  try {
    driver = new PublicDriver({ emulator, integrationUrl, configuration, webhookId: 'local-webhook' }, stringArg('--public-url'))
  } catch (error) {
    say(c.bad(`✘ ${(error as Error).message}`))
    process.exit(1)
  }
  emulator.attach(driver)
  printBotpress(emulator)

  say(c.ok(`HITL hub running locally against ${title}`))
  say(c.dim(`  configuration      ${file} (provider "${provider}")`))
  say(c.dim(`  Botpress emulator  ${emulator.url}`))
  say(c.dim(`  integration        ${integrationUrl}  (.botpress/dist/index.cjs, SDK handler on loopback)`))
  say(c.dim(`  webhook URL        ${driver.webhookUrl}`))
  if (/\/\/(127\.|localhost|\[::1\])/.test(driver.webhookUrl)) {
    const tunnel = `tunnel to ${emulator.url} (e.g. cloudflared tunnel --url ${emulator.url}) and restart with --public-url <https address> --bp-port <port>`
    if (provider === 'http') say(c.dim(`  note: the webhook URL is a loopback address: fine if your service runs on this machine, otherwise ${tunnel}.`))
    else say(c.bad(`  ⚠ ${title} cannot reach a loopback address, so agent replies would not arrive: ${tunnel}.`))
  }
  try {
    await driver.register()
  } catch (error) {
    say(c.bad(`✘ register failed for provider "${provider}": ${(error as Error).message}`))
    process.exit(1)
  }
  say(c.ok(`✔ registered with provider "${provider}"`))
  if (once) {
    server.close()
    await emulator.close()
    process.exit(0)
  }
  const playground = await openPlayground({ emulator, driver, provider, webhookUrl: driver.webhookUrl })
  banner(playground.url, `End-user pane only: answer in ${title}.`)
}

type SwitchDemo = { emulator: Emulator; second: SecondProvider; sections: Record<string, object> }

/** Manual mode: type lines to talk as the end user or as the agent, and switch providers. */
function manual(driver: IntegrationDriver, desk: Awaited<ReturnType<typeof startAgentDesk>>, userId: string, demo: SwitchDemo) {
  const { emulator, second } = demo
  let active = 'http'
  let sections: Record<string, object> = { ...demo.sections }
  say('')
  say(c.ok('Still running. Type:'))
  say('  new <title>        escalate a new session for Jane (on the active provider)')
  say('  u <text>           the end user writes (newest session)     w <n> <text>   in session n (see `status`)')
  say('  a <text>           the desk agent (Alice) replies           assign <name>  assign the newest desk ticket')
  say('  close              the desk agent closes the ticket         end   the user ends the newest session (stopHitl)')
  say(`  switch             make the other provider active and save: new sessions go there, open ones drain where they are`)
  say(`  clear              clear the inactive provider's section and save: its open sessions are stopped (cut)`)
  say(`  ca <text>          the ${SECOND_PROVIDER} agent replies     cassign <name>   cclose   (newest open ${SECOND_PROVIDER} conversation)`)
  say('  status             sessions per provider, and what register left on each')
  say(c.dim(`  or drive the desk over HTTP: GET ${desk.url}/desk/tickets, POST ${desk.url}/desk/tickets/<id>/reply`))
  const sessions = () =>
    emulator.store.conversations
      .filter((conv: any) => conv.channel === 'hitl')
      .sort((x: any, y: any) => String(x.createdAt).localeCompare(String(y.createdAt)))
  const status = () => {
    say(c.ok(`  active provider: ${active}; configured: ${Object.keys(sections).join(', ')}`))
    sessions().forEach((conv: any, i: number) => say(`  ${i + 1}. ${conv.id}  provider ${conv.tags.provider}  ${conv.tags.status}`))
    say(c.dim(`  ${SECOND_PROVIDER}: ${second.registrations()} webhook(s) registered by the integration, ${second.openSessions()} open conversation(s)`))
  }
  const save = async (provider: string, next: Record<string, object>) => {
    driver.setConfiguration({ provider, ...next })
    await driver.register()
    active = provider
    sections = next
  }
  let conversationId: string | undefined
  const rl = readline.createInterface({ input: process.stdin })
  rl.on('line', async (line) => {
    const [cmd, ...rest] = line.trim().split(' ')
    const text = rest.join(' ')
    const ticket = desk.tickets[desk.tickets.length - 1]
    const alice = { id: 'agent_alice', name: 'Alice (support)' }
    try {
      if (cmd === 'new') {
        ;({ conversationId } = await driver.callAction('startHitl', { userId: await userOn(driver, active, userId), title: text || 'Manual session', messageHistory: [] }))
        say(c.ok(`  session ${conversationId} opened on ${active}`))
      } else if (cmd === 'u' && conversationId) {
        await driver.sendMessage({ conversationId, type: 'text', payload: { text, userId: userOf(emulator, conversationId) } })
      } else if (cmd === 'w') {
        const target = sessions()[Number(rest[0]) - 1]
        if (!target) say(c.dim('  no such session (see `status`)'))
        else await driver.sendMessage({ conversationId: target.id, type: 'text', payload: { text: rest.slice(1).join(' '), userId: target.tags.userId } })
      } else if (cmd === 'a' && ticket) {
        await desk.reply(ticket.id, alice, { type: 'text', payload: { text } })
      } else if (cmd === 'assign' && ticket) {
        await desk.assign(ticket.id, { id: `agent_${text || 'bob'}`, name: text || 'Bob' })
      } else if (cmd === 'close' && ticket) {
        await desk.close(ticket.id)
      } else if (cmd === 'end' && conversationId) {
        await driver.callAction('stopHitl', { conversationId })
        say(c.ok('  stopHitl done'))
      } else if (cmd === 'switch') {
        const next = active === 'http' ? SECOND_PROVIDER : 'http'
        await save(next, { ...demo.sections, ...sections, [next]: demo.sections[next]! })
        say(c.ok(`  ✔ saved with provider "${next}": new sessions go there; sessions open on "${next === 'http' ? SECOND_PROVIDER : 'http'}" finish there`))
        status()
      } else if (cmd === 'clear') {
        const other = active === 'http' ? SECOND_PROVIDER : 'http'
        await save(active, { [active]: demo.sections[active]! })
        say(c.ok(`  ✔ saved without the "${other}" section: its open sessions were stopped and what register created there removed`))
        status()
      } else if (cmd === 'ca') {
        say(c.dim(`  ${await second.reply(driver, text || 'Hello from Chatwoot')}`))
      } else if (cmd === 'cassign') {
        say(c.dim(`  ${await second.assign(driver, text || 'Carla')}`))
      } else if (cmd === 'cclose') {
        say(c.dim(`  ${await second.close(driver)}`))
      } else if (cmd === 'status') {
        status()
      } else if (cmd) {
        say(c.dim('  (unknown command, or start a session with: new <title>)'))
      }
    } catch (error) {
      say(c.bad(`  ${(error as Error).message}`))
    }
    second.flush()
  })
}

/** The end user of a session (its `userId` tag). */
function userOf(emulator: Emulator, conversationId: string): string {
  return emulator.store.conversations.find((conv: any) => conv.id === conversationId)?.tags.userId ?? ''
}

/** Jane's Botpress user for `provider`: createUser runs once per provider (a user belongs to the provider it was created on). */
const janeByProvider = new Map<string, string>()
async function userOn(driver: IntegrationDriver, provider: string, httpUser: string): Promise<string> {
  if (provider === 'http') return httpUser
  const known = janeByProvider.get(provider)
  if (known) return known
  const { userId } = await driver.callAction('createUser', { name: 'Jane Doe', email: 'jane@example.com' })
  janeByProvider.set(provider, userId)
  return userId
}

function usage() {
  say(`npm start [-- options]
  --once                 play the scripted session and exit (non-zero if anything went wrong)
  --config <file.json>   run against a real provider: {"provider": "intercom", "intercom": {…}} (see README)
  --public-url <url>     with --config: public https address forwarding to the Botpress emulator (--bp-port)
  --ui-port <port>       playground port (default ${DEFAULT_UI_PORT}, or any free port)
  --bp-port, --desk-port, --port <port>   emulator, agent desk and integration ports (default: any free port)`)
}

main().catch((error) => {
  console.error(c.bad(`npm start failed: ${error?.stack ?? error}`))
  process.exit(1)
})
