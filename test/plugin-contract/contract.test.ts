/**
 * The integration's real client, Botpress's HITL plugin (botpress/botpress plugins/hitl 1.4.2, commit 4f4a05a0c4),
 * played against the integration exactly as it calls it (./plugin.ts, each step cited from the plugin source), through
 * a runtime stand-in that validates every action input and output, message and event against the JSON schemas our
 * integration declares (./runtime.ts). Provider: the generic HTTP protocol, with the project's agent desk as the
 * service (test/providers/http/fake.ts).
 */
import { HttpFake } from '../providers/http/fake'
import { httpClock } from '../support/http-clock'
import { capturedLogs, clearLogs } from '../support/logs'
import { useFakeRig } from '../support/rig'
import { IntegrationError } from '../../dev/emulator'
import { CLOSING_NOTICE_GRACE_MS } from '../../src/core/send'
import { HitlPlugin, TEXT, type NoticeOrder } from './plugin'
import { RuntimeRefusal, SchemaRuntime } from './runtime'

const alice = { id: 'agent-alice', name: 'Alice Agent', pictureUrl: 'https://example.com/alice.png' }
const IMG = 'https://example.com/cat.png'

/**
 * An upstream conversation holding every message type the history may carry (the official interface's union, see
 * test/core/golden/hitl-2.1.0.json): the defaults, `markdown`, and a bloc with a markdown item.
 */
const everyType = (userId: string) => [
  { direction: 'outgoing' as const, userId: 'bot', type: 'text', payload: { text: 'Hi! How can I help?' } },
  { direction: 'incoming' as const, userId, type: 'text', payload: { text: 'My parcel is late' } },
  { direction: 'incoming' as const, userId, type: 'image', payload: { imageUrl: IMG, title: 'Receipt' } },
  { direction: 'incoming' as const, userId, type: 'audio', payload: { audioUrl: 'https://example.com/a.mp3' } },
  { direction: 'incoming' as const, userId, type: 'video', payload: { videoUrl: 'https://example.com/v.mp4' } },
  { direction: 'incoming' as const, userId, type: 'file', payload: { fileUrl: 'https://example.com/f.pdf', title: 'Invoice' } },
  { direction: 'incoming' as const, userId, type: 'location', payload: { latitude: 45.5, longitude: -73.6, address: 'Montreal' } },
  { direction: 'outgoing' as const, userId: 'bot', type: 'choice', payload: { text: 'Which order?', options: [{ label: '#42', value: '42' }] } },
  { direction: 'outgoing' as const, userId: 'bot', type: 'dropdown', payload: { text: 'Pick one', options: [{ label: 'A', value: 'a' }] } },
  {
    direction: 'outgoing' as const,
    userId: 'bot',
    type: 'card',
    payload: { title: 'Order #42', subtitle: 'Shipped', imageUrl: IMG, actions: [{ action: 'url', label: 'Track', value: 'https://example.com/t' }] },
  },
  {
    direction: 'outgoing' as const,
    userId: 'bot',
    type: 'carousel',
    payload: { items: [{ title: 'Order #42', actions: [{ action: 'postback', label: 'Open', value: 'open-42' }] }] },
  },
  { direction: 'outgoing' as const, userId: 'bot', type: 'markdown', payload: { markdown: '**Your order** is on its way' } },
  {
    direction: 'outgoing' as const,
    userId: 'bot',
    type: 'bloc',
    payload: {
      items: [
        { type: 'markdown', payload: { markdown: '_Tracking_ details:' } },
        { type: 'text', payload: { text: 'Carrier: ACME' } },
        { type: 'image', payload: { imageUrl: IMG } },
      ],
    },
  },
]

describe('the HITL plugin 1.4.2 against the integration (provider http)', () => {
  const fake = new HttpFake()
  const rig = useFakeRig(fake, { reset: true, strict: true })
  let runtime: SchemaRuntime
  let plugin: HitlPlugin

  beforeAll(async () => {
    runtime = new SchemaRuntime(rig)
    runtime.listen()
    await rig.driver.register()
    // The desk's agent actions reach the integration through the emulator's webhook ingress, as Botpress forwards them.
    fake.desk.setWebhookUrl(rig.driver.webhookUrl)
  })
  beforeEach(() => {
    runtime.reset()
    plugin = new HitlPlugin(runtime, rig, { agentAssignedTimeoutSeconds: 120 })
    clearLogs()
  })
  afterEach(() => {
    // Nothing any side sent was refused by a declared schema; the only key the runtime dropped is the plugin's `type`.
    expect(runtime.violations).toEqual([])
    expect([...new Set(runtime.stripped.map((s) => s.split('.')[1]))].filter((k) => k !== 'type')).toEqual([])
  })

  const ticketOf = (conversationId: string) => fake.desk.tickets.find((t) => t.botpressConversationId === conversationId)!

  /** A webchat user "Jane" with the whole history, handed off. */
  const handOff = async (opts: { email?: string; upstream?: string } = {}) => {
    const jane = plugin.upstreamUsers.get('user_jane') ?? plugin.addUser({ id: 'user_jane', name: 'Jane Doe', pictureUrl: 'https://example.com/jane.png' })
    const upstream = opts.upstream ?? 'conv_webchat_1'
    plugin.openUpstream(upstream, everyType(jane.id))
    const downstream = await plugin.startHitl({
      conversationId: upstream,
      userId: jane.id,
      userEmail: opts.email,
      title: 'Order never arrived',
      description: 'Order #42, paid on March 1',
      hitlSession: { priority: 'high', routing: 'billing' },
    })
    return { jane, upstream, downstream, ticket: ticketOf(downstream) }
  }

  it('createUser: the plugin\'s inputs (user-linker.ts:59-63), its placeholder e-mail kept off the desk (89-92)', async () => {
    const { jane, ticket } = await handOff()
    expect(plugin.createdUsers).toHaveLength(1)
    const [{ input, userId }] = plugin.createdUsers
    const placeholder = `user_jane@no-reply.${rig.emulator.botId.replaceAll('_', '-')}.botpress.com`
    expect(input).toEqual({ name: 'Jane Doe', pictureUrl: 'https://example.com/jane.png', email: placeholder })
    expect(rig.user(userId)).toMatchObject({ name: 'Jane Doe', pictureUrl: 'https://example.com/jane.png', tags: { kind: 'end-user', provider: 'http' } })
    const remote = fake.desk.users.find((u) => u.id === ticket.remoteUserId)!
    expect(remote).toMatchObject({ name: 'Jane Doe', pictureUrl: 'https://example.com/jane.png' })
    expect(remote.email).toBeUndefined()
    expect(JSON.stringify(fake.desk.requests)).not.toContain('no-reply')
    expect(jane.tags.downstream).toBe(userId)
  })

  it('createUser with the e-mail the bot knows (start-hitl.ts:14,57): the desk gets it, lower-cased', async () => {
    const { ticket } = await handOff({ email: 'Jane.Doe@Example.com' })
    expect(plugin.createdUsers[0]!.input.email).toBe('Jane.Doe@Example.com')
    expect(fake.desk.users.find((u) => u.id === ticket.remoteUserId)!.email).toBe('jane.doe@example.com')
  })

  it('startHitl (start-hitl.ts:120-126): title, description, hitlSession and a history of every message type, bloc with markdown items', async () => {
    const { downstream, ticket } = await handOff()
    expect(ticket).toMatchObject({ title: 'Order never arrived', description: 'Order #42, paid on March 1', hitlSession: { priority: 'high', routing: 'billing' } })
    const types = everyType('x').map((m) => m.type)
    expect((ticket.history as Array<{ type: string }>).map((h) => h.type)).toEqual(types)
    expect(ticket.transcript).toHaveLength(types.length)
    expect(ticket.transcript.at(-1)).toContain('Tracking')
    expect(ticket.transcript.at(-1)).toContain('Carrier: ACME')
    // The history's user messages name the downstream user (start-hitl.ts:100-103).
    const userId = plugin.createdUsers[0]!.userId
    expect((ticket.history as Array<{ source: { type: string; userId?: string } }>).filter((h) => h.source.type === 'user').map((h) => h.source.userId)).toEqual(
      Array(6).fill(userId)
    )
    expect(rig.conversation(downstream).tags).toMatchObject({ status: 'open', userId, externalId: ticket.id })
  })

  it('the runtime refuses what our declared schema refuses (so the validation above can fail)', async () => {
    plugin.addUser({ id: 'user_jane', name: 'Jane Doe' })
    const { userId } = await runtime.callAction('createUser', { name: 'Jane Doe' })
    await expect(
      runtime.callAction('startHitl', { userId, messageHistory: [{ source: { type: 'bot' }, type: 'bloc', payload: { items: [{ type: 'markdown', payload: {} }] } }] })
    ).rejects.toThrow(RuntimeRefusal)
    expect(runtime.violations).toHaveLength(1)
    runtime.violations.length = 0
  })

  it('user messages of every supported type (all.ts:91-94,170): payload.userId and the plugin\'s `type` field, delivered as the user', async () => {
    const { upstream, ticket } = await handOff()
    await plugin.userWrites(upstream, { type: 'text', payload: { text: 'Any news?' } })
    await plugin.userWrites(upstream, { type: 'image', payload: { imageUrl: IMG, title: 'Photo' } })
    await plugin.userWrites(upstream, { type: 'audio', payload: { audioUrl: 'https://example.com/a.mp3' } })
    await plugin.userWrites(upstream, { type: 'video', payload: { videoUrl: 'https://example.com/v.mp4' } })
    await plugin.userWrites(upstream, { type: 'file', payload: { fileUrl: 'https://example.com/f.pdf' } })
    await plugin.userWrites(upstream, { type: 'bloc', payload: { items: [{ type: 'markdown', payload: { markdown: '**see**' } }, { type: 'text', payload: { text: 'below' } }] } })
    const received = fake.received(ticket.id)
    expect(received.map((m) => [m.author, m.contactId, m.kind])).toEqual([
      ['user', ticket.remoteUserId, 'text'],
      ['user', ticket.remoteUserId, 'image'],
      ['user', ticket.remoteUserId, 'audio'],
      ['user', ticket.remoteUserId, 'video'],
      ['user', ticket.remoteUserId, 'file'],
      ['user', ticket.remoteUserId, 'text'],
      ['user', ticket.remoteUserId, 'text'],
    ])
    expect(received.map((m) => m.text ?? m.url)).toEqual(['Any news?', IMG, 'https://example.com/a.mp3', 'https://example.com/v.mp4', 'https://example.com/f.pdf', '**see**', 'below'])
    expect(runtime.stripped).toEqual(['text.type', 'image.type', 'audio.type', 'video.type', 'file.type', 'bloc.type'])
  })

  it('an agent who replies before any assignment is announced once: hitlAssigned before the message, the later formal assignment a no-op', async () => {
    const { upstream, downstream, ticket } = await handOff()
    expect((await fake.desk.reply(ticket.id, alice, { type: 'text', payload: { text: 'Hello Jane, Alice here' } })).status).toBe(200)
    const deliveries = await plugin.receive()
    expect(deliveries.map((d) => (d.kind === 'event' ? d.type : `message ${d.type}`))).toEqual(['hitlAssigned', 'message text'])
    expect((await fake.desk.assign(ticket.id, alice)).status).toBe(200)
    expect(await plugin.receive()).toEqual([])
    const agentUserId = rig.events('hitlAssigned')[0].payload.userId
    expect(rig.user(agentUserId)).toMatchObject({ name: 'Alice Agent', tags: { kind: 'agent', externalId: 'agent-alice' } })
    expect(plugin.said.get(upstream)).toEqual([
      `bot: ${TEXT.handoff}`,
      `bot: ${TEXT.assigned} (Alice Agent)`,
      `agent ${agentUserId}: text {"text":"Hello Jane, Alice here"}`,
    ])
    expect(rig.conversation(downstream).tags.agentId).toBe('agent-alice')
  })

  it('agent messages of every type reach the user, with the additionalData the desk sent (all.ts:84-87, 96-103)', async () => {
    const { upstream, ticket } = await handOff()
    await fake.desk.assign(ticket.id, alice)
    const replies = [
      { type: 'text' as const, payload: { text: 'On its way' }, additionalData: '{"crm":"case-7"}' },
      { type: 'image' as const, payload: { imageUrl: IMG } },
      { type: 'audio' as const, payload: { audioUrl: 'https://example.com/a.mp3' } },
      { type: 'video' as const, payload: { videoUrl: 'https://example.com/v.mp4' } },
      { type: 'file' as const, payload: { fileUrl: 'https://example.com/f.pdf', title: 'Label' } },
      { type: 'bloc' as const, payload: { items: [{ type: 'text', payload: { text: 'Two' } }, { type: 'text', payload: { text: 'parts' } }] }, additionalData: 'x'.repeat(500) },
    ]
    for (const reply of replies) expect((await fake.desk.reply(ticket.id, alice, reply)).status).toBe(200)
    await plugin.receive()
    const said = plugin.said.get(upstream)!
    expect(said.filter((l) => l.startsWith('agent '))).toHaveLength(7)
    expect(said.filter((l) => l.startsWith(`bot: ${TEXT.assigned}`))).toHaveLength(1)
    expect(plugin.relayedTags.map((t) => t.additionalData)).toEqual(['{"crm":"case-7"}', undefined, undefined, undefined, undefined, 'x'.repeat(500), 'x'.repeat(500)])
  })

  it('additionalData longer than the interface allows is refused with the reason, nothing reaches Botpress', async () => {
    const { ticket } = await handOff()
    const req = await fake.agentMessage(ticket.id, alice, { type: 'text', text: 'too much' }, { additionalData: 'x'.repeat(501) })
    const writes = rig.writeCount()
    const res = await rig.webhook(req)
    expect(res.status).toBe(400)
    expect(JSON.parse(res.body).error).toBe('message-from-agent is malformed: payload.additionalData has 501 characters, at most 500 are accepted')
    expect(rig.writeCount()).toBe(writes)
    await expect(fake.desk.reply(ticket.id, alice, { type: 'text', payload: { text: 'x' }, additionalData: 'x'.repeat(501) })).rejects.toThrow(
      'payload.additionalData must be a string of at most 500 characters'
    )
  })

  const closes: Array<[string, (p: HitlPlugin, upstream: string, order: NoticeOrder) => Promise<unknown>, string[]]> = [
    ['the /end command (all.ts:158-167, 205-235)', (p, u, o) => p.closeCommand(u, o), [`bot: ${TEXT.closedByUser}`]],
    ['the Studio "Stop HITL" card (stop-hitl.ts:6-46)', (p, u, o) => p.stopHitlAction(u, o), []],
    ['the agent-assignment timeout (human-agent-assigned-timeout.ts:76-98)', (p, u, o) => p.agentAssignedTimeout(u, 121, o), [`bot: ${TEXT.timeout}`]],
  ]
  describe.each(closes)('closing notice on %s', (_, close, toldUser) => {
    it('delivered before stopHitl: the agent reads it on the ticket, then the ticket closes', async () => {
      const { upstream, downstream, ticket } = await handOff()
      await close(plugin, upstream, 'notice-first')
      expect(fake.received(ticket.id).map((m) => [m.author, m.text])).toEqual([['bot', TEXT.cancelled]])
      expect(ticket.status).toBe('closed')
      expect(rig.conversation(downstream).tags).toMatchObject({ status: 'closed', closedBy: 'bot' })
      expect(rig.events('hitlStopped')).toEqual([])
      expect(plugin.said.get(upstream)).toEqual([`bot: ${TEXT.handoff}`, ...toldUser])
      expect(capturedLogs().filter((l) => l.startsWith('error'))).toEqual([])
    })

    it('delivered after stopHitl: answered 200, dropped with one info line (the protocol expects nothing after a close), no error', async () => {
      const { upstream, downstream, ticket } = await handOff()
      const before = fake.requestCount()
      await close(plugin, upstream, 'stop-first') // throws if the integration answers the notice with an error
      expect(fake.desk.requests.slice(before).map((r) => r.path)).toEqual(['/closeRemoteTicket'])
      expect(fake.received(ticket.id)).toEqual([])
      expect(ticket.status).toBe('closed')
      expect(rig.conversation(downstream).tags).toMatchObject({ status: 'closed', closedBy: 'bot' })
      expect(capturedLogs().filter((l) => /closing notice/.test(l))).toEqual([
        expect.stringMatching(new RegExp(`^info: .*closing notice for session ${downstream} arrived after the bot closed it; HTTP service cannot add it to a closed ticket: dropped`)),
      ])
      expect(capturedLogs().filter((l) => l.startsWith('error'))).toEqual([])
      expect(plugin.said.get(upstream)).toEqual([`bot: ${TEXT.handoff}`, ...toldUser])
    })
  })

  it('after the close, a user message is still refused, and so is a bot message once the grace period is over', async () => {
    const { upstream, downstream } = await handOff()
    const patient = plugin.upstreamUsers.get('user_jane')!.tags.downstream
    await plugin.closeCommand(upstream, 'notice-first')
    await expect(runtime.createMessage({ conversationId: downstream, type: 'text', payload: { text: 'wait!', userId: patient } })).rejects.toThrow(
      new IntegrationError('This HITL session is closed: start a new one', 400, '')
    )
    await runtime.createMessage({ conversationId: downstream, type: 'text', payload: { text: 'late but within the grace period' } })
    httpClock.advance(CLOSING_NOTICE_GRACE_MS + 1)
    await expect(runtime.createMessage({ conversationId: downstream, type: 'text', payload: { text: 'much later' } })).rejects.toThrow(
      'This HITL session is closed: start a new one'
    )
  })

  it('the timeout is ignored once an agent is assigned (human-agent-assigned-timeout.ts:21-24): nothing reaches the integration', async () => {
    const { upstream, ticket } = await handOff()
    await fake.desk.assign(ticket.id, alice)
    await plugin.receive()
    const before = fake.requestCount()
    expect(await plugin.agentAssignedTimeout(upstream, 500, 'stop-first')).toBe('ignored')
    expect(fake.requestCount()).toBe(before)
    expect(ticket.status).toBe('open')
  })

  it('the agent closes the ticket: hitlStopped returns the user to the bot (hitl-stopped.ts:34-38)', async () => {
    const { upstream, downstream, ticket } = await handOff()
    expect((await fake.desk.close(ticket.id)).status).toBe(200)
    expect(rig.conversation(downstream).tags).toMatchObject({ status: 'closed', closedBy: 'agent', closedAt: expect.stringMatching(/^\d{13}$/) })
    await plugin.receive()
    expect(plugin.said.get(upstream)).toEqual([`bot: ${TEXT.handoff}`, `bot: ${TEXT.stopped}`])
    expect(plugin.upstreams.get(upstream)!.hitlActive).toBe(false)
  })

  it('a second hand-off for the same user reuses the user (user-linker.ts:35-52): one createUser, a new ticket for the same contact', async () => {
    const first = await handOff()
    await plugin.closeCommand(first.upstream, 'stop-first')
    const second = await handOff({ upstream: 'conv_webchat_2' })
    expect(plugin.createdUsers).toHaveLength(1)
    expect(second.downstream).not.toBe(first.downstream)
    expect(second.ticket.id).not.toBe(first.ticket.id)
    expect(second.ticket.remoteUserId).toBe(first.ticket.remoteUserId)
    expect(fake.desk.users).toHaveLength(1)
    await plugin.userWrites(second.upstream, { type: 'text', payload: { text: 'Me again' } })
    expect(fake.received(second.ticket.id).map((m) => [m.author, m.contactId, m.text])).toEqual([['user', first.ticket.remoteUserId, 'Me again']])
    expect(first.ticket.status).toBe('closed')
  })
})
