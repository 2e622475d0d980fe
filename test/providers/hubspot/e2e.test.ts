/**
 * HubSpot through the whole integration (Botpress emulator + msw HubSpot): what the conformance suite does not
 * cover because it is HubSpot's own — batched app webhooks with a bad event, v1-only and stale deliveries, the echo
 * of our own close, agent attachments and inline images, assignment by bare user id.
 */
import { HubspotFake } from './fake'
import { useRegisteredHubspotRig } from './harness'

const fake = new HubspotFake()
const rig = useRegisteredHubspotRig(fake)

const alice = { id: 'agent-alice', name: 'Alice Agent', pictureUrl: 'https://example.com/alice.png' }

const open = async () => {
  const { userId } = await rig.driver.callAction('createUser', { name: 'Jane Doe', email: 'jane@example.com' })
  const { conversationId } = await rig.driver.callAction('startHitl', { userId, title: 'Help', messageHistory: [] })
  const conversation = rig.conversation(conversationId)
  return { userId, conversationId, sessionId: conversation.tags.externalId as string, threadId: conversation.tags.externalAltId as string }
}

it('register pointed the channel at the emulator\'s webhook URL, and the session carries both thread ids', async () => {
  const { sessionId, threadId, conversationId } = await open()
  expect([...fake.channels.values()].filter((c) => !c.archived).map((c) => c.webhookUrl)).toEqual([rig.driver.webhookUrl])
  expect(sessionId).toBe(`bp-${conversationId}`)
  expect(threadId).toBe(fake.thread(sessionId)!.id)
})

it('a batch with one malformed event: 200, the good events applied, the bad one skipped', async () => {
  const { conversationId, threadId } = await open()
  const actor = fake.actorOf(alice)
  const req = fake.appWebhook([
    fake.appEvent(threadId, { subscriptionType: 'conversation.propertyChange', propertyName: 'assignedTo', propertyValue: actor.userId }),
    { eventId: 77, subscriptionType: 'conversation.propertyChange' },
    fake.appEvent(threadId, { subscriptionType: 'conversation.propertyChange', propertyName: 'status', propertyValue: 'CLOSED' }),
  ])
  const res = await rig.driver.webhook(req)
  expect(res.status).toBe(200)
  expect(JSON.parse(res.body)).toMatchObject({ events: 2, applied: 2 })
  const assigned = rig.events('hitlAssigned')
  expect(assigned).toHaveLength(1)
  expect(rig.user(assigned[0]!.payload.userId)).toMatchObject({ name: 'Alice Agent', pictureUrl: alice.pictureUrl, tags: { kind: 'agent' } })
  expect(rig.events('hitlStopped').map((e) => e.payload)).toEqual([{ conversationId }])
})

it('a wholly malformed body → 400, nothing created', async () => {
  await open()
  const before = rig.writeCount()
  const res = await rig.driver.webhook(fake.appWebhook([{ eventId: 1 }, { nope: true }]))
  expect(res.status).toBe(400)
  expect(res.body).toMatch(/malformed/)
  expect(rig.writeCount()).toBe(before)
})

it('stale, forged or downgraded (v1 only) webhooks → 401 and nothing created', async () => {
  const { sessionId, threadId } = await open()
  const before = rig.writeCount()
  const stale = fake.agentMessage(sessionId, alice, { type: 'text', text: 'old' }, { timestamp: Date.now() - 10 * 60_000 })
  expect((await rig.driver.webhook(stale)).status).toBe(401)
  const wrongLength = { ...stale, headers: { ...stale.headers, 'x-hubspot-signature-v3': 'AAAA', 'x-hubspot-request-timestamp': String(Date.now()) } }
  expect((await rig.driver.webhook(wrongLength)).status).toBe(401)
  expect(rig.writeCount()).toBe(before)
  // HubSpot signs every request to an OAuth app with v3: a v1-only request is a v3 header stripped (a replay).
  const v1 = fake.appWebhook([fake.appEvent(threadId, { subscriptionType: 'conversation.deletion' })], { versions: ['v1'] })
  expect((await rig.driver.webhook(v1)).status).toBe(401)
  expect(rig.events('hitlStopped')).toHaveLength(0)
  expect(rig.writeCount()).toBe(before)
})

it('stopHitl closes the thread; HubSpot\'s echo of that close emits nothing', async () => {
  const { conversationId, sessionId } = await open()
  await rig.driver.callAction('stopHitl', { conversationId })
  expect(fake.thread(sessionId)!.status).toBe('CLOSED')
  expect((await rig.driver.webhook(fake.sessionClosed(sessionId))).status).toBe(200)
  expect(rig.events('hitlStopped')).toHaveLength(0)
})

it('an agent reply with text, an inline image and an attachment becomes three messages from the agent, once', async () => {
  const { conversationId, sessionId, threadId } = await open()
  const actor = fake.actorOf(alice)
  const delivery = fake.delivery({
    type: 'OUTGOING_CHANNEL_MESSAGE_CREATED',
    portalId: fake.hubId,
    channelIntegrationThreadIds: [sessionId],
    message: {
      id: 'hs-msg-1',
      direction: 'OUTGOING',
      conversationsThreadId: threadId,
      createdBy: actor.id,
      client: { clientType: 'HUBSPOT' },
      senders: [{ actorId: actor.id, name: actor.name }],
      text: 'Here you go',
      richText: '<p>Here you go <img src="https://example.com/inline.png"></p>',
      attachments: [{ type: 'FILE', fileId: '1', fileUsageType: 'OTHER', name: 'invoice.pdf', url: 'https://example.com/invoice.pdf' }],
    },
  })
  expect((await rig.driver.webhook(delivery)).status).toBe(200)
  expect((await rig.driver.webhook(delivery)).status).toBe(200)
  const messages = rig.messagesOf(conversationId).filter((m) => m.userId !== rig.botUserId)
  expect(messages.map((m) => [m.type, m.payload])).toEqual([
    ['text', { text: 'Here you go' }],
    ['image', { imageUrl: 'https://example.com/inline.png' }],
    ['file', { fileUrl: 'https://example.com/invoice.pdf', title: 'invoice.pdf' }],
  ])
  expect(new Set(messages.map((m) => m.userId)).size).toBe(1)
  expect(rig.user(messages[0]!.userId).name).toBe('Alice Agent')
})

it('channel-account events are acknowledged with 200 and no effect', async () => {
  await open()
  const before = rig.writeCount()
  const res = await rig.driver.webhook(fake.delivery({ type: 'CHANNEL_ACCOUNT_CREATED', portalId: fake.hubId, channelId: '1001', channelAccountId: '2002' }))
  expect(res.status).toBe(200)
  expect(rig.writeCount()).toBe(before)
})
