/**
 * The Freshchat payload → normalized events mapping on its own (no Botpress, no fake server): each field the parser reads
 * ([WH] https://crmsupport.freshworks.com/en/support/solutions/articles/50000004461: `actor`, `action`, `action_time`,
 * `data.message` / `data.assignment` / `data.resolve`; message parts as in github:freshworks/jaya-lib
 * packages/freshchat-api/src/interfaces/MessagePart.ts), what each one yields, and the reason given for what is
 * skipped or refused. Fast enough to run against every mutant of src/providers/freshchat/webhook.ts.
 */
import { BadRequestError } from '../../../src/core/errors'
import type { WebhookRequest } from '../../../src/core/types'
import { MAX_BODY, parseWebhook, timeOf, verifyWebhook } from '../../../src/providers/freshchat/webhook'

const request = (body: unknown): WebhookRequest => ({ method: 'POST', path: '/', query: '', headers: {}, body: typeof body === 'string' ? body : JSON.stringify(body) })
const parse = (body: unknown, channelId?: string) => parseWebhook(request(body), channelId ? { channelId } : {})
const refusal = (body: unknown): string => {
  try {
    parse(body)
  } catch (error) {
    if (error instanceof BadRequestError) return error.reason
    throw error
  }
  throw new Error('accepted')
}

const ACTION_TIME = '2024-05-01T10:00:00.000Z'
const CREATED_TIME = '2024-05-01T09:59:59.000Z'
const message = (over: Record<string, unknown> = {}) => ({
  id: 'msg-1',
  conversation_id: 'conv-1',
  channel_id: 'topic-1',
  actor_type: 'agent',
  actor_id: 'agent-1',
  message_type: 'normal',
  created_time: CREATED_TIME,
  message_parts: [{ text: { content: 'Hello' } }],
  ...over,
})
const created = (over: Record<string, unknown> = {}, top: Record<string, unknown> = {}) => ({
  actor: { actor_type: 'agent', actor_id: 'agent-1' },
  action: 'message_create',
  action_time: ACTION_TIME,
  data: { message: message(over) },
  ...top,
})
const partsOf = (...parts: unknown[]) => parse(created({ message_parts: parts })).events.flatMap((e) => (e.kind === 'agentMessage' ? e.messages : []))

describe('message_create', () => {
  it('an agent message → one agentMessage with its id, conversation, agent and created_time; the body is the proof', () => {
    const body = JSON.stringify(created())
    expect(parseWebhook(request(body), { channelId: 'topic-1' })).toEqual({
      events: [{ kind: 'agentMessage', session: { id: 'conv-1' }, messageId: 'msg-1', agent: { id: 'agent-1' }, messages: [{ type: 'text', text: 'Hello' }], at: Date.parse(CREATED_TIME) }],
      skipped: [],
      proof: `body ${body}`,
    })
  })

  it('without created_time the action_time dates it; with neither, no date', () => {
    expect(parse(created({ created_time: undefined })).events[0]).toMatchObject({ at: Date.parse(ACTION_TIME) })
    expect(parse(created({ created_time: undefined }, { action_time: undefined })).events[0]).not.toHaveProperty('at')
  })

  it('actor_type and actor_id fall back to the top-level actor', () => {
    const event = parse(created({ actor_type: undefined, actor_id: undefined }, { actor: { actor_type: 'agent', actor_id: 'agent-9' } })).events[0]
    expect(event).toMatchObject({ kind: 'agentMessage', agent: { id: 'agent-9' } })
    // The message's own fields win over the top-level actor.
    expect(parse(created({ actor_type: 'user' }, { actor: { actor_type: 'agent', actor_id: 'agent-9' } })).events).toEqual([])
    expect(parse(created({}, { actor: { actor_type: 'agent', actor_id: 'agent-9' } })).events[0]).toMatchObject({ agent: { id: 'agent-1' } })
  })

  it.each([
    ['a user message', { actor_type: 'user' }, 'message msg-1 from user'],
    ['a system message', { actor_type: 'system' }, 'message msg-1 from system'],
    ['no actor type anywhere', { actor_type: undefined }, 'message msg-1 from nobody'],
    ['a very long actor type', { actor_type: 'x'.repeat(50) }, `message msg-1 from ${'x'.repeat(19)}…`],
    ['a private note', { message_type: 'private' }, 'private message msg-1'],
    ["a bot's private note flag", { botsPrivateNote: true }, 'normal message msg-1'],
    ['another topic', { channel_id: 'topic-2' }, "an event of topic topic-2 (not the integration's)"],
    ['only a button', { message_parts: [{ url_button: { url: 'https://x.test', label: 'x' } }] }, 'message msg-1 without a part for the end user'],
    ['no parts', { message_parts: 'text' }, 'message msg-1 without a part for the end user'],
  ])('%s → no event, skipped with its reason', (_label, over, reason) => {
    const top = 'actor_type' in over ? { actor: { actor_id: 'agent-1' } } : {}
    expect(parse({ ...created(over, top) }, 'topic-1')).toEqual({ events: [], skipped: [reason], proof: expect.any(String) })
  })

  it('botsPrivateNote other than true is not a private note; no message_type is normal', () => {
    expect(parse(created({ botsPrivateNote: 'true' })).events).toHaveLength(1)
    expect(parse(created({ message_type: undefined })).events).toHaveLength(1)
  })

  it('the topic filter applies only when both the configured and the message topic are known', () => {
    expect(parse(created({ channel_id: 'topic-2' })).events).toHaveLength(1)
    expect(parse(created({ channel_id: undefined }), 'topic-1').events).toHaveLength(1)
    expect(parse(created({ channel_id: 'x'.repeat(60) }), 'topic-1').skipped).toEqual([`an event of topic ${'x'.repeat(39)}… (not the integration's)`])
  })

  it.each([
    ['no message id', { id: undefined }, 'message_create has no data.message.id'],
    ['a message id of 201 characters', { id: 'm'.repeat(201) }, 'message_create has no data.message.id'],
    ['no conversation id', { conversation_id: undefined }, 'message_create has no data.message.conversation_id'],
    ['an agent without actor_id', { actor_id: undefined }, 'message_create from an agent has no actor_id'],
  ])('%s → 400 with the reason', (_label, over, reason) => {
    expect(refusal(created(over, { actor: { actor_type: 'agent' } }))).toBe(reason)
  })

  it('ids up to 200 characters are taken; numeric ids as strings', () => {
    const long = 'c'.repeat(200)
    expect(parse(created({ id: 42, conversation_id: long, actor_id: 7 })).events[0]).toMatchObject({ messageId: '42', session: { id: long }, agent: { id: '7' } })
  })

  it('inherited properties are not read (prototype keys find nothing)', () => {
    const body = '{"action":"message_create","data":{"message":{"__proto__":{"id":"m"},"conversation_id":"c"}}}'
    expect(refusal(body)).toBe('message_create has no data.message.id')
    expect(refusal('{"action":"message_create","data":{"__proto__":{"message":{"id":"m"}}}}')).toBe('message_create has no data.message.id')
  })
})

describe('message parts', () => {
  it('text, image, video, audio and file parts in order; other parts skipped', () => {
    expect(
      partsOf(
        { text: { content: ' Hi ' } },
        { quick_reply_options: { text: 'x' } },
        { image: { url: 'https://x.test/a.png' } },
        { video: { url: 'https://x.test/v.mp4', content_type: 'video/mp4' } },
        { audio: { url: 'https://x.test/s.mp3' } },
        { file: { url: 'https://x.test/files/report.pdf', name: 'Report.pdf', content_type: 'application/pdf' } },
      ),
    ).toEqual([
      { type: 'text', text: 'Hi' },
      { type: 'image', url: 'https://x.test/a.png' },
      { type: 'video', url: 'https://x.test/v.mp4' },
      { type: 'audio', url: 'https://x.test/s.mp3' },
      { type: 'file', url: 'https://x.test/files/report.pdf', title: 'Report.pdf' },
    ])
  })

  it('a file is typed by its content type, else its name; its title is its name, else the last URL segment', () => {
    expect(partsOf({ file: { url: 'https://x.test/f/clip', name: 'clip', content_type: 'video/mp4' } })).toEqual([{ type: 'video', url: 'https://x.test/f/clip', title: 'clip' }])
    expect(partsOf({ file: { url: 'https://x.test/f/photo%20one.jpg' } })).toEqual([{ type: 'image', url: 'https://x.test/f/photo%20one.jpg', title: 'photo one.jpg' }])
    expect(partsOf({ file: { url: 'https://x.test/' } })).toEqual([{ type: 'file', url: 'https://x.test/' }])
    expect(partsOf({ file: { url: 'https://x.test/a', name: 'n'.repeat(300) } })).toEqual([{ type: 'file', url: 'https://x.test/a', title: `${'n'.repeat(199)}…` }])
    expect(partsOf({ file: { url: 'https://x.test/a', name: 'n'.repeat(200) } })).toEqual([{ type: 'file', url: 'https://x.test/a', title: 'n'.repeat(200) }])
    // The content type is read bounded: 100 characters of it.
    expect(partsOf({ file: { url: 'https://x.test/a', name: 'a', content_type: `audio/${'x'.repeat(200)}` } })[0]).toMatchObject({ type: 'audio' })
  })

  it('a text part is cut at 20,000 characters, marked; exactly 20,000 is kept whole', () => {
    expect(partsOf({ text: { content: 't'.repeat(20_001) } })).toEqual([{ type: 'text', text: `${'t'.repeat(19_999)}…` }])
    expect(partsOf({ text: { content: 't'.repeat(20_000) } })).toEqual([{ type: 'text', text: 't'.repeat(20_000) }])
  })

  it('URLs that are not http(s) or longer than 2,000 characters are not relayed', () => {
    const long = `https://x.test/${'a'.repeat(1990)}`
    expect(partsOf({ image: { url: 'javascript:alert(1)' } }, { video: { url: long } }, { audio: { url: 'ftp://x.test/a' } }, { file: { url: long } }, { text: { content: '   ' } })).toEqual([])
    const edge = `https://x.test/${'a'.repeat(1985)}`
    expect(edge).toHaveLength(2000)
    expect(partsOf({ image: { url: edge } })).toEqual([{ type: 'image', url: edge }])
    const over = `${edge}b`
    for (const kind of ['image', 'video', 'audio', 'file']) expect(partsOf({ [kind]: { url: over, name: 'n' } })).toEqual([])
  })

  it('at most 20 parts are read', () => {
    const parts = Array.from({ length: 25 }, (_, i) => ({ text: { content: `p${i}` } }))
    const out = partsOf(...parts)
    expect(out).toHaveLength(20)
    expect(out[19]).toEqual({ type: 'text', text: 'p19' })
  })
})

describe('assignment and resolution', () => {
  const assignment = (over: Record<string, unknown> = {}, conversation: Record<string, unknown> = {}) => ({
    action: 'conversation_assignment',
    action_time: ACTION_TIME,
    data: { assignment: { to_agent_id: 'agent-2', to_group_id: 'g', conversation: { conversation_id: 'conv-1', channel_id: 'topic-1', ...conversation }, ...over } },
  })
  const resolution = (conversation: Record<string, unknown> = {}, top: Record<string, unknown> = {}) => ({
    action: 'conversation_resolution',
    action_time: ACTION_TIME,
    data: { resolve: { conversation: { conversation_id: 'conv-1', channel_id: 'topic-1', ...conversation } } },
    ...top,
  })

  it('an assignment to an agent → agentAssigned at action_time', () => {
    expect(parse(assignment(), 'topic-1')).toEqual({ events: [{ kind: 'agentAssigned', session: { id: 'conv-1' }, agent: { id: 'agent-2' }, at: Date.parse(ACTION_TIME) }], skipped: [], proof: expect.any(String) })
    expect(parse({ ...assignment(), action_time: undefined }).events).toEqual([{ kind: 'agentAssigned', session: { id: 'conv-1' }, agent: { id: 'agent-2' } }])
  })

  it('an assignment to a group only, or in another topic → skipped with the reason', () => {
    expect(parse(assignment({ to_agent_id: undefined }))).toEqual({ events: [], skipped: ['conversation conv-1 assigned to a group only'], proof: expect.any(String) })
    expect(parse(assignment({}, { channel_id: 'topic-2' }), 'topic-1').skipped).toEqual(["an event of topic topic-2 (not the integration's)"])
  })

  it('a resolution → sessionClosed at action_time; in another topic, skipped', () => {
    expect(parse(resolution(), 'topic-1')).toEqual({ events: [{ kind: 'sessionClosed', session: { id: 'conv-1' }, at: Date.parse(ACTION_TIME) }], skipped: [], proof: expect.any(String) })
    expect(parse(resolution({}, { action_time: undefined })).events).toEqual([{ kind: 'sessionClosed', session: { id: 'conv-1' } }])
    expect(parse(resolution({ channel_id: 'topic-2' }), 'topic-1')).toEqual({ events: [], skipped: ["an event of topic topic-2 (not the integration's)"], proof: expect.any(String) })
  })

  it('without a conversation id → 400 naming the action', () => {
    expect(refusal(assignment({}, { conversation_id: undefined }))).toBe('conversation_assignment has no conversation.conversation_id')
    expect(refusal(resolution({ conversation_id: undefined }))).toBe('conversation_resolution has no conversation.conversation_id')
  })
})

describe('the delivery', () => {
  it.each([
    ['a reopen', { action: 'conversation_reopen', data: {} }, ['conversation_reopen (a resolved session stays closed)']],
    ['an unknown action', { action: 'x'.repeat(60) }, [`event ${'x'.repeat(39)}… (the integration uses message_create, conversation_assignment, conversation_resolution)`]],
  ])('%s → 200 with no event, skipped with the reason', (_label, body, skipped) => {
    expect(parse(body)).toEqual({ events: [], skipped, proof: expect.any(String) })
  })

  it.each([
    ['not an object', '[1]', 'the Freshchat webhook body is not a JSON object'],
    ['no action', '{"data":{}}', 'the Freshchat webhook has no "action"'],
    ['an empty action', '{"action":"  "}', 'the Freshchat webhook has no "action"'],
    ['a body over the limit', `{"action":"x","pad":"${'p'.repeat(MAX_BODY)}"}`, 'the Freshchat webhook body is too large'],
  ])('%s → 400 with the reason', (_label, body, reason) => {
    expect(refusal(body)).toBe(reason)
  })

  it('a body of exactly the limit is parsed', () => {
    const head = '{"action":"conversation_reopen","pad":"'
    const body = `${head}${'p'.repeat(MAX_BODY - head.length - 2)}"}`
    expect(body).toHaveLength(MAX_BODY)
    expect(parse(body).skipped).toEqual(['conversation_reopen (a resolved session stays closed)'])
  })

  it('verifyWebhook without a usable key refuses, with the reason', () => {
    expect(verifyWebhook(request('{}'), undefined)).toEqual({ ok: false, reason: 'freshchat.webhookPublicKey is not a valid RSA public key: every delivery is refused' })
  })
})

describe('timeOf', () => {
  it.each([
    ['an ISO time', '2024-05-01T10:00:00.000Z', Date.parse('2024-05-01T10:00:00.000Z')],
    ['Unix seconds', 1_714_557_600, 1_714_557_600_000],
    ['Unix seconds with a fraction', 1_714_557_600.4, 1_714_557_600_400],
    ['epoch ms', 1_714_557_600_123, 1_714_557_600_123],
    ['the first epoch-ms value', 1e12, 1e12],
    ['just below it (seconds)', 999_999_999_999, 999_999_999_999_000],
    ['a fraction of a ms', 1_714_557_600_123.6, 1_714_557_600_124],
    ['zero', 0, undefined],
    ['negative', -5, undefined],
    ['infinite', Infinity, undefined],
    ['not a time', 'soon', undefined],
    ['41 characters', `Wed, 01 May 2024 10:00:00 GMT${' '.repeat(12)}`, undefined],
    ['40 characters', `Wed, 01 May 2024 10:00:00 GMT${' '.repeat(11)}`, Date.parse('2024-05-01T10:00:00.000Z')],
    ['an object', { t: 1 }, undefined],
  ])('%s', (_label, value, expected) => {
    expect(timeOf(value)).toBe(expected)
  })
})
