/** Regions (data centers): X-Region from token prefixes, and misdirected_request answered by one retry in the named region. */
import { ConfigurationError, ProviderError } from '../../../src/core/errors'
import { LivechatFake, PAT_SECRET } from './fake'
import { harness, memoryStore, openSession, WEBHOOK_URL } from './harness'

const fake = new LivechatFake()
beforeAll(() => fake.start())
afterAll(() => fake.stop())
beforeEach(() => fake.reset())
afterEach(() => expect(fake.violations()).toEqual([]))

const regionsOf = (api: string, action: string) => fake.callsTo(api, action).map((c) => c.headers['x-region'])

it('an organization in fra works: X-Region from the PAT prefix and from the customer tokens', async () => {
  fake.options.region = 'fra'
  fake.options.patRegion = 'fra'
  const h = harness(fake)
  await h.adapter.connect({ webhookUrl: WEBHOOK_URL })
  const { session, contact } = await openSession(h)
  await h.adapter.sendMessage({ session, author: { kind: 'user', contact }, message: { type: 'text', text: 'Bonjour' }, botpressMessageId: 'm' })
  expect(regionsOf('agent', 'list_chats')).toEqual(['fra'])
  const registered = regionsOf('configuration', 'register_webhook')
  expect(registered.length).toBeGreaterThan(0)
  expect([...new Set(registered)]).toEqual(['fra'])
  expect(regionsOf('customer', 'start_chat')).toEqual(['fra'])
  expect(regionsOf('customer', 'send_event')).toEqual(['fra'])
  expect(contact.state().token).toMatch(/^fra:/)
})

it('a PAT without region prefix learns the region from misdirected_request, retries once, and remembers it (not the token)', async () => {
  fake.options.region = 'fra'
  fake.options.patRegion = null
  const store = memoryStore()
  await harness(fake, {}, store).adapter.connect({ webhookUrl: WEBHOOK_URL })
  expect(regionsOf('agent', 'list_chats')).toEqual([undefined, 'fra'])
  expect(store.data.region).toBe('fra')
  const h = harness(fake, {}, store)
  await h.adapter.connect({ webhookUrl: WEBHOOK_URL })
  expect(regionsOf('agent', 'list_chats')).toEqual([undefined, 'fra', 'fra'])
  const saved = JSON.stringify(store.data)
  expect(saved).not.toContain(PAT_SECRET)
  expect(saved).not.toContain(h.config.agentToken)
})

it('a customer call sent to the wrong region is retried in the region LiveChat names, which is remembered', async () => {
  fake.options.tokenPrefix = 'fra'
  const store = memoryStore()
  const h = harness(fake, {}, store)
  const { session, contact } = await openSession(h)
  expect(contact.state().token).toMatch(/^fra:/)
  await h.adapter.sendMessage({ session, author: { kind: 'user', contact }, message: { type: 'text', text: 'hi' }, botpressMessageId: 'm' })
  expect(fake.received(session.id).map((m) => m.text)).toEqual(['hi'])
  expect(regionsOf('customer', 'send_event')).toEqual(['fra', 'dal'])
  expect(store.data.region).toBe('dal')
})

it('when LiveChat does not name the right region, the error says the region is wrong', async () => {
  fake.options.region = 'fra'
  fake.options.patRegion = 'dal'
  fake.options.namesRegion = false
  const h = harness(fake)
  const error = await h.adapter.connect({ webhookUrl: WEBHOOK_URL }).catch((e) => e)
  expect(error).toBeInstanceOf(ConfigurationError)
  expect(error.message).toMatch(/misdirected_request: the request went to the wrong region \(data center\) \(sent to region "dal"\); LiveChat did not say which region is right/)
  expect(error.message).toMatch(/same LiveChat organization/)
  expect(error.message).not.toContain(PAT_SECRET)
})

it('a customer call in the wrong region that LiveChat does not resolve fails clearly', async () => {
  const h = harness(fake)
  const { session, contact } = await openSession(h)
  const wrong = { status: 421, body: { error: { type: 'misdirected_request', message: 'Wrong region' } } }
  fake.inject('customer send_event', wrong)
  const error = await h.adapter.sendMessage({ session, author: { kind: 'user', contact }, message: { type: 'text', text: 'hi' }, botpressMessageId: 'm' }).catch((e) => e)
  expect(error).toBeInstanceOf(ProviderError)
  expect(error.message).toMatch(/^LiveChat answered 421 on customer send_event: misdirected_request: the request went to the wrong region/)
})

it('a PAT that names its region: agent calls (an agent lookup, an assignment’s get_chat) read no Botpress state (issue 26)', async () => {
  fake.options.region = 'fra'
  fake.options.patRegion = 'fra'
  fake.addAgent({ id: 'ada@example.com', name: 'Ada' })
  const store = memoryStore({ region: 'dal' })
  const h = harness(fake, {}, store)
  expect((await h.adapter.describeAgent!('ada@example.com')).name).toBe('Ada')
  expect(regionsOf('configuration', 'get_agent')).toEqual(['fra'])
  expect(store.reads).toBe(0)
})
