/**
 * The Sunshine Conversations payload → normalized events mapping on its own (no Botpress, no fake server). Shapes from
 * the spec (zendesk/sunshine-conversations-api-spec openapi.yaml: `x-webhooks."Webhook Event"`,
 * `components.schemas.conversationMessageEvent`, `author`, `content`, `switchboardPassControl` /
 * `switchboardReleaseControl`); the agent id in `__zendesk_msg.agent.id` as github.com/botpress/botpress
 * integrations/zendesk-messaging-hitl src/events/conversation-message.ts reads it. Each field read, what it yields,
 * and the reason given for what is skipped or refused. Fast enough to run against every mutant of
 * src/providers/zendesk/webhook.ts.
 */
import { BadRequestError } from '../../../src/core/errors'
import type { WebhookRequest } from '../../../src/core/types'
import { AGENT_ID_KEY, ORIGIN_KEY, contentOf, parseWebhook, timeOf, verifyWebhook } from '../../../src/providers/zendesk/webhook'

const request = (body: unknown, headers: Record<string, string> = {}): WebhookRequest => ({ method: 'POST', path: '/', query: '', headers, body: typeof body === 'string' ? body : JSON.stringify(body) })
const firstReplies: string[] = []
const ctx = (first = true) => ({
  appId: 'app-1',
  owner: 'tag-1',
  firstReply: (conversationId: string, agentId: string, messageId: string) => (firstReplies.push(`${conversationId}/${agentId}/${messageId}`), first),
})
const parse = (body: unknown, first = true) => parseWebhook(request(body), ctx(first))
const refusal = (body: unknown): string => {
  try {
    parse(body)
  } catch (error) {
    if (error instanceof BadRequestError) return error.reason
    throw error
  }
  throw new Error('accepted')
}
beforeEach(() => (firstReplies.length = 0))

const CREATED = '2024-05-01T10:00:00.000Z'
const RECEIVED = '2024-05-01T09:59:59.000Z'
const conversation = (over: Record<string, unknown> = {}) => ({ id: 'conv-1', metadata: { botpress_hitl: 'tag-1' }, ...over })
const messageEvent = (message: Record<string, unknown> = {}, conv: Record<string, unknown> = {}) => ({
  id: 'evt-1',
  type: 'conversation:message',
  createdAt: CREATED,
  payload: {
    conversation: conversation(conv),
    message: {
      id: 'msg-1',
      received: RECEIVED,
      author: { type: 'business', displayName: 'Alice Agent', avatarUrl: 'https://x.test/alice.png', subtypes: [] },
      metadata: { [AGENT_ID_KEY]: 123 },
      content: { type: 'text', text: 'Hi Jane' },
      ...message,
    },
  },
})
const delivery = (...events: unknown[]) => ({ app: { id: 'app-1' }, webhook: { id: 'wh', version: 'v2' }, events })
const control = (type: string, payload: Record<string, unknown> = {}, conv: Record<string, unknown> = {}) => ({ id: 'evt-2', type, createdAt: CREATED, payload: { conversation: conversation(conv), ...payload } })
const alice = { id: '123', name: 'Alice Agent', pictureUrl: 'https://x.test/alice.png' }

describe('conversation:message', () => {
  it("an agent's first reply → agentAssigned then agentMessage, dated by received; the body is the proof", () => {
    const body = JSON.stringify(delivery(messageEvent()))
    const at = Date.parse(RECEIVED)
    expect(parseWebhook(request(body), ctx())).toEqual({
      events: [
        { kind: 'agentAssigned', session: { id: 'conv-1' }, agent: alice, at },
        { kind: 'agentMessage', session: { id: 'conv-1' }, messageId: 'msg-1', agent: alice, messages: [{ type: 'text', text: 'Hi Jane' }], at },
      ],
      skipped: [],
      proof: `body ${body}`,
    })
    expect(firstReplies).toEqual(['conv-1/123/msg-1'])
  })

  it('a later reply of the same agent is a message only; without received, the event createdAt dates it; with neither, no date', () => {
    expect(parse(delivery(messageEvent({ received: undefined })), false).events).toEqual([
      { kind: 'agentMessage', session: { id: 'conv-1' }, messageId: 'msg-1', agent: alice, messages: [{ type: 'text', text: 'Hi Jane' }], at: Date.parse(CREATED) },
    ])
    const undated = { ...messageEvent({ received: undefined }), createdAt: undefined }
    expect(parse(delivery(undated), false).events[0]).not.toHaveProperty('at')
  })

  it('the agent: without the Zendesk id, an `agent` subtype is named by display name; name and avatar are optional and bounded', () => {
    const byName = messageEvent({ metadata: {}, author: { type: 'business', displayName: ' Bob ', subtypes: ['agent'] } })
    expect(parse(delivery(byName), false).events[0]).toMatchObject({ agent: { id: 'name:Bob', name: 'Bob' } })
    const bare = messageEvent({ author: { type: 'business', avatarUrl: 'javascript:alert(1)' } })
    expect((parse(delivery(bare), false).events[0] as { agent: unknown }).agent).toEqual({ id: '123' })
    const long = messageEvent({ metadata: { [AGENT_ID_KEY]: 'i'.repeat(300) }, author: { type: 'business', displayName: 'n'.repeat(300) } })
    expect((parse(delivery(long), false).events[0] as { agent: unknown }).agent).toEqual({ id: 'i'.repeat(200), name: 'n'.repeat(200) })
    const longName = messageEvent({ metadata: {}, author: { type: 'business', displayName: 'n'.repeat(300), subtypes: ['agent'] } })
    expect((parse(delivery(longName), false).events[0] as { agent: unknown }).agent).toEqual({ id: `name:${'n'.repeat(195)}`, name: 'n'.repeat(200) })
  })

  it.each([
    ['from the end user', { author: { type: 'user' } }, 'message msg-1 from the end user'],
    ['our own message', { metadata: { [ORIGIN_KEY]: 'bp' } }, 'our own message msg-1'],
    ['our own message (marker empty)', { metadata: { [ORIGIN_KEY]: '' } }, 'our own message msg-1'],
    ['an AI answer', { author: { type: 'business', subtypes: ['AI'] } }, 'automated message msg-1'],
    ['a bot', { author: { type: 'business', subtypes: ['x', 'bot'] } }, 'automated message msg-1'],
    ['an activity', { author: { type: 'business', subtypes: ['activity'] } }, 'automated message msg-1'],
    ['a business message without an agent', { metadata: {}, author: { type: 'business', displayName: 'Shop' } }, 'business message msg-1 without an agent (automated response)'],
    ['an `agent` subtype without a name', { metadata: {}, author: { type: 'business', subtypes: ['agent'] } }, 'business message msg-1 without an agent (automated response)'],
    ['a long message id', { id: `${'m'.repeat(60)}`, author: { type: 'user' } }, `message ${'m'.repeat(40)} from the end user`],
  ])('%s → no event, skipped with its reason', (_label, message, reason) => {
    expect(parse(delivery(messageEvent(message)))).toEqual({ events: [], skipped: [reason], proof: expect.any(String) })
    expect(firstReplies).toEqual([])
  })

  it('the automated subtypes are looked for in the first five only', () => {
    const sixth = messageEvent({ author: { type: 'business', subtypes: ['a', 'b', 'c', 'd', 'e', 'bot'] } })
    expect(parse(delivery(sixth), false).events).toHaveLength(1)
  })

  it('a deleted message, or content with nothing to relay: the assignment only, and the reason', () => {
    expect(parse(delivery(messageEvent({ deleted: true })))).toEqual({
      events: [{ kind: 'agentAssigned', session: { id: 'conv-1' }, agent: alice, at: Date.parse(RECEIVED) }],
      skipped: ['message msg-1 with nothing to relay'],
      proof: expect.any(String),
    })
    expect(parse(delivery(messageEvent({ deleted: 'yes' })), false).events).toHaveLength(1)
    expect(parse(delivery(messageEvent({ content: { type: 'text', text: '   ' } })), false)).toEqual({ events: [], skipped: ['message msg-1 with nothing to relay'], proof: expect.any(String) })
  })

  it.each([
    ['no message id', { id: undefined }],
    ['a message id of 201 characters', { id: 'm'.repeat(201) }],
  ])('%s → 400', (_label, message) => {
    expect(refusal(delivery(messageEvent(message)))).toBe('conversation:message has no message id')
  })

  it('an avatar URL over 2,000 characters is left out; 2,000 are kept', () => {
    const url = (n: number) => `https://x.test/${'a'.repeat(n - 15)}`
    const agentOf = (avatarUrl: string) => (parse(delivery(messageEvent({ author: { type: 'business', avatarUrl } })), false).events[0] as { agent: unknown }).agent
    expect(agentOf(url(2000))).toEqual({ id: '123', pictureUrl: url(2000) })
    expect(agentOf(url(2001))).toEqual({ id: '123' })
  })

  it('conversation ids: 200 characters are taken, 201 refused', () => {
    expect(parse(delivery(messageEvent({}, { id: 'c'.repeat(200) })), false).events[0]).toMatchObject({ session: { id: 'c'.repeat(200) } })
    expect(refusal(delivery(messageEvent({}, { id: 'c'.repeat(201) })))).toBe('conversation:message has no conversation id')
  })

  it('a message id of 200 characters is taken', () => {
    expect(parse(delivery(messageEvent({ id: 'm'.repeat(200) })), false).events[0]).toMatchObject({ messageId: 'm'.repeat(200) })
  })
})

describe('contentOf', () => {
  it.each([
    ['text', { type: 'text', text: ' Hi ' }, [{ type: 'text', text: 'Hi' }]],
    ['markdown when text is blank', { type: 'text', text: ' ', markdownText: '**Hi**' }, [{ type: 'text', text: '**Hi**' }]],
    ['markdown when text is absent', { type: 'text', markdownText: '_x_' }, [{ type: 'text', text: '_x_' }]],
    ['text wins over markdown', { type: 'text', text: 'plain', markdownText: '**md**' }, [{ type: 'text', text: 'plain' }]],
    ['a carousel: its text only', { type: 'carousel', text: 'Pick one', items: [] }, [{ type: 'text', text: 'Pick one' }]],
    ['a carousel without text', { type: 'carousel', items: [] }, []],
    ['an image with a caption and alt text', { type: 'image', text: 'Look', mediaUrl: 'https://x.test/p/cat.png', altText: 'A cat' }, [{ type: 'text', text: 'Look' }, { type: 'image', url: 'https://x.test/p/cat.png', title: 'A cat' }]],
    ['an image without alt text: titled by its file name', { type: 'image', mediaUrl: 'https://x.test/p/cat.png' }, [{ type: 'image', url: 'https://x.test/p/cat.png', title: 'cat.png' }]],
    ['an image at a bare URL: no title', { type: 'image', mediaUrl: 'https://x.test/' }, [{ type: 'image', url: 'https://x.test/' }]],
    ['a file typed by its media type', { type: 'file', mediaUrl: 'https://x.test/f/a', mediaType: 'video/mp4' }, [{ type: 'video', url: 'https://x.test/f/a', title: 'a' }]],
    ['a file typed by its name', { type: 'file', mediaUrl: 'https://x.test/f/song.mp3' }, [{ type: 'audio', url: 'https://x.test/f/song.mp3', title: 'song.mp3' }]],
    ['a plain file', { type: 'file', mediaUrl: 'https://x.test/f/report.pdf', mediaType: 'application/pdf' }, [{ type: 'file', url: 'https://x.test/f/report.pdf', title: 'report.pdf' }]],
    ['a media type read bounded (128 characters)', { type: 'file', mediaUrl: 'https://x.test/f/a', mediaType: `audio/${'x'.repeat(200)}` }, [{ type: 'audio', url: 'https://x.test/f/a', title: 'a' }]],
    ['a file at a URL that is not http(s): its caption only', { type: 'file', text: 'see', mediaUrl: 'file:///etc/passwd' }, [{ type: 'text', text: 'see' }]],
    ['a location', { type: 'location', coordinates: { lat: 45.5, long: -73.6 } }, [{ type: 'text', text: 'Location: 45.5, -73.6' }]],
    ['a location without numbers', { type: 'location', coordinates: { lat: '45', long: -73 } }, []],
    ['a location without longitude', { type: 'location', coordinates: { lat: 45 } }, []],
  ])('%s', (_label, content, expected) => {
    expect(contentOf(content)).toEqual(expected)
  })

  it('long texts are cut at 20,000 characters; names at 200', () => {
    expect(contentOf({ type: 'text', text: 'a'.repeat(50_000) })).toEqual([{ type: 'text', text: 'a'.repeat(20_000) }])
    expect(contentOf({ type: 'text', text: 'a'.repeat(20_000) })).toEqual([{ type: 'text', text: 'a'.repeat(20_000) }])
    expect(contentOf({ type: 'image', text: 'c'.repeat(30_000), mediaUrl: 'https://x.test/a.png', altText: 'n'.repeat(300) })).toEqual([
      { type: 'text', text: 'c'.repeat(20_000) },
      { type: 'image', url: 'https://x.test/a.png', title: 'n'.repeat(200) },
    ])
    expect(contentOf({ type: 'file', mediaUrl: `https://x.test/${'f'.repeat(300)}` })).toEqual([{ type: 'file', url: `https://x.test/${'f'.repeat(300)}`, title: 'f'.repeat(200) }])
  })

  it('a media URL over 2,000 characters is not relayed; 2,000 is', () => {
    const url = (n: number) => `https://x.test/${'a'.repeat(n - 19)}.png`
    expect(contentOf({ type: 'image', mediaUrl: url(2000), altText: 'x' })).toEqual([{ type: 'image', url: url(2000), title: 'x' }])
    expect(contentOf({ type: 'image', mediaUrl: url(2001), altText: 'x' })).toEqual([])
  })

  it('the text is trimmed after the first 40,000 characters are taken (leading blanks do not push it out)', () => {
    expect(contentOf({ type: 'text', text: `${' '.repeat(30_000)}tail` })).toEqual([{ type: 'text', text: 'tail' }])
  })
})

describe('switchboard events', () => {
  it.each([
    ['releaseControl', control('switchboard:releaseControl', { reason: 'ticketClosed' }), 'conv-1: switchboard:releaseControl (ticketClosed) ends the session'],
    ['passControl to another integration', control('switchboard:passControl', {}, { activeSwitchboardIntegration: { name: 'bot', integrationType: 'custom' } }), 'conv-1: switchboard:passControl ends the session'],
  ])('%s → sessionClosed at createdAt, with the reason noted', (_label, event, note) => {
    expect(parse(delivery(event))).toEqual({ events: [{ kind: 'sessionClosed', session: { id: 'conv-1' }, at: Date.parse(CREATED) }], skipped: [note], proof: expect.any(String) })
  })

  it('without createdAt: sessionClosed without a date; a long reason is cut at 40', () => {
    const event = { ...control('switchboard:releaseControl', { reason: 'r'.repeat(60) }), createdAt: 'never' }
    expect(parse(delivery(event))).toEqual({ events: [{ kind: 'sessionClosed', session: { id: 'conv-1' } }], skipped: [`conv-1: switchboard:releaseControl (${'r'.repeat(40)}) ends the session`], proof: expect.any(String) })
  })

  it.each([
    ['by type', { integrationType: 'zd:agentWorkspace' }],
    ['by name', { name: 'zd-agentWorkspace' }],
  ])('passControl to the agent workspace (%s) is the hand-off itself: skipped', (_label, active) => {
    expect(parse(delivery(control('switchboard:passControl', {}, { activeSwitchboardIntegration: active })))).toEqual({ events: [], skipped: ['conv-1 passed to the agent workspace'], proof: expect.any(String) })
  })

  it('releaseControl is never the hand-off, whatever integration is active', () => {
    expect(parse(delivery(control('switchboard:releaseControl', {}, { activeSwitchboardIntegration: { integrationType: 'zd:agentWorkspace' } }))).events).toHaveLength(1)
  })

  it('our own switchboard call is skipped', () => {
    expect(parse(delivery(control('switchboard:releaseControl', { metadata: { [ORIGIN_KEY]: '' } })))).toEqual({ events: [], skipped: ['our own switchboard:releaseControl of conv-1'], proof: expect.any(String) })
  })
})

describe('the delivery', () => {
  it('events of another app cost nothing; of this app, or naming none, are read', () => {
    expect(parse({ ...delivery(messageEvent()), app: { id: 'app-2' } })).toEqual({ events: [], skipped: ['events of app app-2 (not app-1)'] })
    expect(parse({ ...delivery(messageEvent()), app: undefined }).events).toHaveLength(2)
  })

  it('conversations of another owner are skipped; without metadata they are left to the engine', () => {
    expect(parse(delivery(messageEvent({}, { metadata: { botpress_hitl: 'tag-2' } })))).toEqual({ events: [], skipped: ['conversation:message of conversation conv-1 (not a Botpress hand-off)'], proof: expect.any(String) })
    expect(parse(delivery(messageEvent({}, { metadata: {} }))).skipped).toEqual(['conversation:message of conversation conv-1 (not a Botpress hand-off)'])
    expect(parse(delivery(messageEvent({}, { metadata: undefined }))).events).toHaveLength(2)
  })

  it('an event type the webhook does not subscribe to is skipped, even without a conversation', () => {
    expect(parse(delivery({ type: 'conversation:read', payload: {} }))).toEqual({
      events: [],
      skipped: ['event conversation:read (the webhook subscribes to conversation:message, switchboard:passControl, switchboard:releaseControl)'],
      proof: expect.any(String),
    })
  })

  it('one malformed event is skipped with its reason, the others apply; all malformed → 400 with the first reason', () => {
    const good = control('switchboard:releaseControl')
    expect(parse(delivery({ type: '' }, good))).toEqual({
      events: [{ kind: 'sessionClosed', session: { id: 'conv-1' }, at: Date.parse(CREATED) }],
      skipped: ['a malformed event: a Sunshine Conversations event has no "type"', 'conv-1: switchboard:releaseControl ends the session'],
      proof: expect.any(String),
    })
    expect(refusal(delivery({ type: 'switchboard:releaseControl', payload: { conversation: {} } }, { type: 'conversation:message', payload: { conversation: { id: 'c'.repeat(201) } } }))).toBe(
      'switchboard:releaseControl has no conversation id',
    )
  })

  it('at most 100 events are read, the rest noted', () => {
    const events = Array.from({ length: 103 }, (_, i) => control('switchboard:releaseControl', {}, { id: `c${i}` }))
    const parsed = parse(delivery(...events))
    expect(parsed.events).toHaveLength(100)
    expect(parsed.skipped![0]).toBe('3 events beyond the first 100')
    expect(parse(delivery(...events.slice(0, 100))).skipped!.some((s) => s.includes('beyond'))).toBe(false)
  })

  it.each([
    ['not an object', '"x"', 'the Sunshine Conversations webhook body is not a JSON object'],
    ['no events array', '{"app":{"id":"app-1"},"events":{}}', 'the Sunshine Conversations webhook has no "events" array'],
  ])('%s → 400 with the reason', (_label, body, reason) => {
    expect(refusal(body)).toBe(reason)
  })

  it('an empty events array is an empty answer, not a refusal', () => {
    expect(parse(delivery())).toEqual({ events: [], skipped: [], proof: expect.any(String) })
  })

  it('a failure that is not a malformed event is not swallowed', () => {
    const throwing = { ...ctx(), firstReply: () => { throw new Error('store down') } }
    expect(() => parseWebhook(request(delivery(messageEvent())), throwing)).toThrow('store down')
  })
})

describe('verifyWebhook (X-API-Key)', () => {
  const secret = async () => 'the-secret'
  it.each([
    [{}, 'no X-API-Key header'],
    [{ 'x-api-key': 'k'.repeat(513) }, 'X-API-Key too long'],
    [{ 'x-api-key': 'the-secreT' }, 'X-API-Key does not match the webhook secret'],
  ])('%j → refused: %s', async (headers, reason) => {
    expect(await verifyWebhook(request('{}', headers), secret)).toEqual({ ok: false, reason })
  })
  it('a 512-character key is compared (not refused as too long); the right key is accepted', async () => {
    const long = 'k'.repeat(512)
    expect(await verifyWebhook(request('{}', { 'x-api-key': long }), async () => long)).toEqual({ ok: true })
    expect(await verifyWebhook(request('{}', { 'x-api-key': 'the-secret' }), secret)).toEqual({ ok: true })
  })
  it('no stored secret → refused with the reason', async () => {
    expect(await verifyWebhook(request('{}', { 'x-api-key': 'x' }), async () => undefined)).toEqual({ ok: false, reason: 'no webhook secret stored yet: save the configuration (register)' })
  })
})

describe('timeOf', () => {
  it.each([
    [CREATED, Date.parse(CREATED)],
    ['Wed, 01 May 2024 10:00:00 GMT           ', Date.parse(CREATED)],
    ['Wed, 01 May 2024 10:00:00 GMT            ', undefined],
    ['later', undefined],
    [1714557600000, undefined],
  ])('%j → %j', (value, expected) => {
    expect(timeOf(value)).toBe(expected)
  })
})
