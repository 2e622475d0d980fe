/**
 * Intercom webhooks: signatures (through the engine, so that the HTTP answers are the real ones) and the mapping of
 * notifications to events, with fixtures shaped like Intercom's notification_event / conversation model.
 */
import { Engine, type BotClient } from '../../../src/core/engine'
import { BadRequestError } from '../../../src/core/errors'
import { createLogger, Redactor } from '../../../src/core/log'
import type { InboundEvent, WebhookRequest } from '../../../src/core/types'
import { providers } from '../../../src/providers'
import { htmlToSegments, htmlToText, textToHtml } from '../../../src/providers/intercom/html'
import { CLIENT_SECRET, IntercomFake, sign } from './fake'
import { makeAdapter } from './harness'

const fake = new IntercomFake({ webhookVersion: '2.11' })
beforeAll(() => fake.start())
afterAll(() => fake.stop())
afterEach(() => expect(fake.violations()).toEqual([]))
// One warm adapter (its workspace learned once with GET /me) for the mapping tests.
const { adapter } = makeAdapter()
const CONVERSATION = '215000000000042'
const admin = (id = '7001', name: string | null = 'Alice Agent') => ({ type: 'admin', id, name, email: 'alice@example.com' })
const user = { type: 'user', id: '6650a4f2c1d3e4f5a6b7c8d9', name: 'Jane Doe', email: 'jane@example.com' }
const bot = { type: 'bot', id: '991003', name: 'Fin', email: 'operator+fk1app2x@intercom.io' }

let partSeq = 0
const part = (fields: Record<string, unknown>) => ({
  type: 'conversation_part',
  id: String(++partSeq + 900),
  part_type: 'comment',
  body: null,
  created_at: 1_700_000_000 + partSeq,
  attachments: [],
  redacted: false,
  ...fields,
})
const notify = (topic: string, parts: unknown[], patch: Record<string, unknown> = {}) =>
  fake.notification(topic, fake.item(CONVERSATION, parts as never, patch as never))

/** The events without their time (asserted on its own below). */
const parse = async (req: WebhookRequest) => {
  // `proof` (the signature's identity, issue 27) is asserted by test/reliability/tied-replay.test.ts.
  const { proof: _proof, ...parsed } = await adapter.parseWebhook(req)
  return { ...parsed, events: parsed.events.map(({ at: _at, ...e }) => e as InboundEvent) }
}
const messagesOf = (events: InboundEvent[]) => events.flatMap((e) => (e.kind === 'agentMessage' ? [e.messageId, ...e.messages.map((m) => ('text' in m ? m.text : `${m.type}:${m.url}`))] : []))

/** A Botpress client that fails the test if the webhook reaches it: refusals must have no side effect. */
const untouchable = new Proxy({} as BotClient, {
  get: (_, name) => () => {
    throw new Error(`Botpress client called (${String(name)}) while the webhook should have been refused`)
  },
})
const engine = () => {
  const redactor = new Redactor([CLIENT_SECRET])
  const logger = createLogger({ debug() {}, info() {}, warn() {}, error() {} }, redactor)
  return new Engine(untouchable, { name: 'intercom', definition: providers.intercom, adapter, logger, redactor }, { botId: 'bot_1' })
}

describe('intercom webhooks: X-Hub-Signature', () => {
  const req = notify('conversation.admin.replied', [part({ author: admin(), body: '<p>Hello</p>' })])

  it('accepts the signature Intercom computes (HMAC-SHA1 of the raw body with the client secret)', () => {
    expect(req.headers['x-hub-signature']).toMatch(/^sha1=[0-9a-f]{40}$/)
    expect(adapter.verifyWebhook(req)).toEqual({ ok: true })
    // Header names arrive in any case; hex digits too.
    const upper = { ...req, headers: { 'X-Hub-Signature': req.headers['x-hub-signature']!.toUpperCase().replace('SHA1=', 'sha1=') } }
    expect(adapter.verifyWebhook(upper)).toEqual({ ok: true })
  })

  it.each([
    ['missing', { ...req, headers: { 'content-type': 'application/json' } }, 'missing X-Hub-Signature header'],
    ['forged (another secret)', fake.forged(req), 'X-Hub-Signature mismatch'],
    ['of the wrong length', { ...req, headers: { 'x-hub-signature': 'sha1=abc' } }, 'X-Hub-Signature mismatch'],
    ['of another algorithm', { ...req, headers: { 'x-hub-signature': req.headers['x-hub-signature']!.replace('sha1=', 'sha256=') } }, 'X-Hub-Signature mismatch'],
    ['stale: the body was changed after signing', { ...req, body: req.body.replace('Hello', 'Hellp') }, 'X-Hub-Signature mismatch'],
    ['empty', { ...req, headers: { 'x-hub-signature': '' } }, 'missing X-Hub-Signature header'],
  ])('refuses a %s signature with 401 and no side effect', async (_, bad, reason) => {
    expect(adapter.verifyWebhook(bad as WebhookRequest)).toEqual({ ok: false, reason })
    const reply = await engine().handleWebhook(bad as WebhookRequest)
    expect(reply.status).toBe(401)
    expect(reply.body).not.toContain(CLIENT_SECRET)
  })

  it('never throws on odd input (constant-time comparison of unequal lengths): refuses it as a mismatch', () => {
    // 40 characters but 80 bytes: a byte-length comparison that threw would turn this into a 500.
    expect(adapter.verifyWebhook({ ...req, headers: { 'x-hub-signature': 'sha1=' + 'é'.repeat(40) } })).toEqual({ ok: false, reason: 'X-Hub-Signature mismatch' })
  })

  it('accepts the hex digest in upper case (hex is case-insensitive) but not with one digit changed', () => {
    const sig = req.headers['x-hub-signature']!
    expect(adapter.verifyWebhook({ ...req, headers: { 'x-hub-signature': sig.toUpperCase().replace('SHA1=', 'sha1=') } })).toEqual({ ok: true })
    const hex = sig.slice('sha1='.length)
    for (const i of [0, 20, hex.length - 1]) {
      const off = `sha1=${hex.slice(0, i)}${hex[i] === '0' ? '1' : '0'}${hex.slice(i + 1)}`
      expect(adapter.verifyWebhook({ ...req, headers: { 'x-hub-signature': off } })).toEqual({ ok: false, reason: 'X-Hub-Signature mismatch' })
    }
  })
})

describe('intercom webhooks: conversation.admin.replied', () => {
  it('turns every admin comment into one agentMessage keyed by its part id, in order', async () => {
    const parts = [
      part({ id: '1001', author: admin(), body: '<p>First</p>', created_at: 1_700_000_001 }),
      part({ id: '1002', author: admin(), body: '<p>Second</p>', created_at: 1_700_000_002 }),
      part({ id: '1003', author: admin('7002', 'Bob Agent'), body: '<p>Third</p>', created_at: 1_700_000_003 }),
    ]
    const { events } = await parse(notify('conversation.admin.replied', parts))
    expect(events).toEqual([
      { kind: 'agentMessage', session: { id: CONVERSATION }, messageId: '1001', agent: { id: '7001', name: 'Alice Agent' }, messages: [{ type: 'text', text: 'First' }] },
      { kind: 'agentMessage', session: { id: CONVERSATION }, messageId: '1002', agent: { id: '7001', name: 'Alice Agent' }, messages: [{ type: 'text', text: 'Second' }] },
      { kind: 'agentMessage', session: { id: CONVERSATION }, messageId: '1003', agent: { id: '7002', name: 'Bob Agent' }, messages: [{ type: 'text', text: 'Third' }] },
    ])
  })

  it('orders parts by creation time when Intercom lists them out of order', async () => {
    const parts = [
      part({ id: '2002', author: admin(), body: '<p>later</p>', created_at: 1_700_000_200 }),
      part({ id: '2001', author: admin(), body: '<p>earlier</p>', created_at: 1_700_000_100 }),
    ]
    expect(messagesOf((await parse(notify('conversation.admin.replied', parts))).events)).toEqual(['2001', 'earlier', '2002', 'later'])
  })

  it('never forwards internal notes, nor parts written by the user or a bot', async () => {
    const parts = [
      part({ id: '3001', part_type: 'note', author: admin(), body: '<p>Internal: this customer is difficult</p>' }),
      part({ id: '3002', part_type: 'comment', author: user, body: '<p>user text</p>' }),
      part({ id: '3003', part_type: 'comment', author: bot, body: '<p>Fin answer</p>' }),
      part({ id: '3004', part_type: 'comment', author: admin(), body: '<p>Public reply</p>' }),
      part({ id: '3005', part_type: 'note_and_reopen', author: admin(), body: '<p>Another note</p>' }),
      part({ id: '3006', part_type: 'assignment', author: admin(), body: '<p>assigning</p>', assigned_to: { type: 'admin', id: '7001' } }),
    ]
    const parsed = await parse(notify('conversation.admin.replied', parts))
    // A public admin part with a body is a reply whatever its part_type (here "reply and assign").
    expect(messagesOf(parsed.events)).toEqual(['3004', 'Public reply', '3006', 'assigning'])
    expect(JSON.stringify(parsed.events)).not.toMatch(/Internal|Another note|Fin answer|user text/)
    expect(parsed.skipped).toEqual(expect.arrayContaining(['internal note 3001', 'internal note 3005', 'part 3002 written by user', 'part 3003 written by bot']))
  })

  it('delivers attachments by content type, with their names, after the text', async () => {
    const attachments = [
      { type: 'upload', name: 'photo.jpg', url: 'https://files.intercom.test/photo.jpg', content_type: 'image/jpeg', filesize: 10 },
      { type: 'upload', name: 'voice.ogg', url: 'https://files.intercom.test/voice.ogg', content_type: 'audio/ogg', filesize: 10 },
      { type: 'upload', name: 'clip.mp4', url: 'https://files.intercom.test/clip.mp4', content_type: 'video/mp4', filesize: 10 },
      { type: 'upload', name: 'invoice.pdf', url: 'https://files.intercom.test/invoice.pdf', content_type: 'application/pdf', filesize: 10 },
      { type: 'upload', name: 'mystery', url: 'https://files.intercom.test/mystery', content_type: null, filesize: 10 },
    ]
    const { events } = await parse(notify('conversation.admin.replied', [part({ id: '4001', author: admin(), body: '<p>Here you go</p>', attachments })]))
    expect(events).toHaveLength(1)
    expect(events[0]).toMatchObject({
      messageId: '4001',
      messages: [
        { type: 'text', text: 'Here you go' },
        { type: 'image', url: 'https://files.intercom.test/photo.jpg', title: 'photo.jpg' },
        { type: 'audio', url: 'https://files.intercom.test/voice.ogg', title: 'voice.ogg' },
        { type: 'video', url: 'https://files.intercom.test/clip.mp4', title: 'clip.mp4' },
        { type: 'file', url: 'https://files.intercom.test/invoice.pdf', title: 'invoice.pdf' },
        { type: 'file', url: 'https://files.intercom.test/mystery', title: 'mystery' },
      ],
    })
  })

  it('turns HTML into readable text and inline images into image messages, in reading order', async () => {
    const body =
      '<p class="no-margin">Hi <b>Jane</b> &amp; welcome!</p><p class="no-margin">See <a href="https://help.example.com/refunds" target="_blank">our refund policy</a>.</p>' +
      '<div class="intercom-container"><img src="https://downloads.intercomcdn.test/i/o/1/receipt.png" alt="receipt"></div>' +
      '<ul><li>Step one</li><li>Step two</li></ul><p>Thanks&nbsp;&#x1F600;<br>Alice</p>'
    const { events } = await parse(notify('conversation.admin.replied', [part({ id: '5001', author: admin(), body })]))
    expect(events[0]).toMatchObject({
      messages: [
        { type: 'text', text: 'Hi Jane & welcome!\nSee our refund policy (https://help.example.com/refunds).' },
        { type: 'image', url: 'https://downloads.intercomcdn.test/i/o/1/receipt.png', title: 'receipt' },
        { type: 'text', text: '- Step one\n- Step two\nThanks 😀\nAlice' },
      ],
    })
  })

  it('skips empty and redacted parts, and a notification without parts', async () => {
    const parts = [part({ id: '6001', author: admin(), body: '<p> </p>' }), part({ id: '6002', author: admin(), body: '<p>secret</p>', redacted: true })]
    const parsed = await parse(notify('conversation.admin.replied', parts))
    expect(parsed.events).toEqual([])
    expect(parsed.skipped).toEqual(['empty part 6001', 'redacted part 6002'])
    expect((await parse(notify('conversation.admin.replied', []))).events).toEqual([])
  })

  it('an admin without a name in the payload is sent without one (the core then asks describeAgent)', async () => {
    const { events } = await parse(notify('conversation.admin.replied', [part({ id: '6101', author: admin('7005', null), body: '<p>hi</p>' })]))
    expect(events[0]).toMatchObject({ agent: { id: '7005' } })
    expect((events[0] as { agent: object }).agent).not.toHaveProperty('name')
  })
})

describe('intercom webhooks: assignment and closing', () => {
  it('announces the assignee of the assignment part (name only when they assigned themselves)', async () => {
    const byOther = part({ part_type: 'assignment', author: admin('991002', 'Sam Supervisor'), assigned_to: { type: 'admin', id: '7001' } })
    expect((await parse(notify('conversation.admin.assigned', [byOther], { admin_assignee_id: 7001 }))).events).toEqual([
      { kind: 'agentAssigned', session: { id: CONVERSATION }, agent: { id: '7001' } },
    ])
    const self = part({ part_type: 'assignment', author: admin('7001', 'Alice Agent'), assigned_to: { type: 'admin', id: '7001' } })
    expect((await parse(notify('conversation.admin.assigned', [self]))).events).toEqual([
      { kind: 'agentAssigned', session: { id: CONVERSATION }, agent: { id: '7001', name: 'Alice Agent' } },
    ])
  })

  it('falls back to admin_assignee_id when no assignment part is included', async () => {
    expect((await parse(notify('conversation.admin.assigned', [], { admin_assignee_id: 7009 }))).events).toEqual([
      { kind: 'agentAssigned', session: { id: CONVERSATION }, agent: { id: '7009' } },
    ])
  })

  it.each([
    ['assigned to nobody', [part({ part_type: 'assignment', author: admin(), assigned_to: { type: 'nobody_admin', id: null } })], { admin_assignee_id: null }],
    ['assigned to a team only', [part({ part_type: 'assignment', author: admin(), assigned_to: { type: 'team', id: '42' } })], { admin_assignee_id: null }],
    ['assignee null', [], { admin_assignee_id: null }],
    ['assignee 0 (API 2.16 style)', [], { admin_assignee_id: 0 }],
    ['assignee id "0" in the part', [part({ part_type: 'assignment', author: admin(), assigned_to: { type: 'admin', id: '0' } })], {}],
  ])('ignores an unassignment (%s)', async (_, parts, patch) => {
    const parsed = await parse(notify('conversation.admin.assigned', parts, patch))
    expect(parsed.events).toEqual([])
    expect(parsed.skipped?.join()).toMatch(/unassigned/)
  })

  it('conversation.admin.closed ends the session; a closing message is delivered first', async () => {
    expect((await parse(notify('conversation.admin.closed', [part({ part_type: 'close', author: admin() })], { state: 'closed' }))).events).toEqual([
      { kind: 'sessionClosed', session: { id: CONVERSATION } },
    ])
    const withText = part({ id: '7001', part_type: 'close', author: admin(), body: '<p>Glad I could help, bye!</p>' })
    expect((await parse(notify('conversation.admin.closed', [withText]))).events).toEqual([
      { kind: 'agentMessage', session: { id: CONVERSATION }, messageId: '7001', agent: { id: '7001', name: 'Alice Agent' }, messages: [{ type: 'text', text: 'Glad I could help, bye!' }] },
      { kind: 'sessionClosed', session: { id: CONVERSATION } },
    ])
  })
})

describe('intercom webhooks: other notifications and malformed bodies', () => {
  it('answers ping with 200 and no event', async () => {
    const ping = fake.notification('ping', { type: 'ping', message: 'Hi there!' })
    expect(await parse(ping)).toEqual({ events: [], skipped: [expect.stringMatching(/ping/)] })
    const reply = await engine().handleWebhook(ping)
    expect(reply.status).toBe(200)
  })

  it('ignores topics it does not handle (200, a note in the debug log)', async () => {
    const parsed = await parse(fake.notification('contact.user.created', { type: 'contact', id: 'x' }))
    expect(parsed.events).toEqual([])
    expect(parsed.skipped?.[0]).toMatch(/contact\.user\.created/)
    const noted = await parse(notify('conversation.admin.noted', [part({ part_type: 'note', author: admin(), body: '<p>internal</p>' })]))
    expect(noted.events).toEqual([])
  })

  const signed = (body: string): WebhookRequest => ({ method: 'POST', path: '/', query: '', headers: { 'x-hub-signature': sign(body) }, body })

  it.each([
    ['not JSON', '{"type":"notification_event",', /not valid JSON/],
    ['empty', '', /empty/],
    ['without topic', JSON.stringify({ type: 'notification_event', data: { item: { type: 'conversation', id: '1' } } }), /topic/],
    ['without data.item', JSON.stringify({ type: 'notification_event', topic: 'conversation.admin.replied', data: {} }), /data\.item/],
    ['with a conversation without id', JSON.stringify({ type: 'notification_event', topic: 'conversation.admin.closed', data: { item: { type: 'conversation' } } }), /id/],
    [
      'with a part without id',
      JSON.stringify({ type: 'notification_event', topic: 'conversation.admin.replied', data: { item: { type: 'conversation', id: '1', conversation_parts: { conversation_parts: [{ part_type: 'comment', body: 'x' }] } } } }),
      /conversation_parts\.conversation_parts\.0\.id/,
    ],
  ])('rejects a notification %s with BadRequestError → 400 naming the reason', async (_, body, reason) => {
    const req = signed(body)
    await expect(Promise.resolve().then(() => adapter.parseWebhook(req))).rejects.toBeInstanceOf(BadRequestError)
    await expect(Promise.resolve().then(() => adapter.parseWebhook(req))).rejects.toThrow(reason)
    const reply = await engine().handleWebhook(req)
    expect(reply.status).toBe(400)
    expect(JSON.parse(reply.body!).error).toMatch(reason)
  })
})

describe('intercom HTML conversion', () => {
  it.each([
    ['<p>One</p><p>Two</p>', 'One\nTwo'],
    ['<p class="no-margin">Line</p><p class="no-margin"></p><p class="no-margin">After a blank line</p>', 'Line\n\nAfter a blank line'],
    ['a<br>b<br/>c', 'a\nb\nc'],
    ['<ol><li>first</li><li>second</li></ol>', '1. first\n2. second'],
    ['<ul><li>outer<ul><li>inner</li></ul></li></ul>', '- outer\n  - inner'],
    ['<a href="https://x.test/">https://x.test/</a>', 'https://x.test/'],
    ['<a href="mailto:help@x.test">help@x.test</a>', 'help@x.test'],
    ['<a href="javascript:alert(1)">click</a>', 'click'],
    ['5 &lt; 6 &amp;&amp; 7 &gt; 3 &quot;ok&quot; &#39;q&#39; &unknown; &#169;', '5 < 6 && 7 > 3 "ok" \'q\' &unknown; ©'],
    ['<script>alert(1)</script><style>p{}</style>visible', 'visible'],
    ['<pre>  keep\n    spaces</pre>', '  keep\n    spaces'],
    ['  lots   of\n\n  space  ', 'lots of space'],
    ['&lt;b&gt;not a tag&lt;/b&gt;', '<b>not a tag</b>'],
  ])('%s → text', (html, text) => {
    expect(htmlToText(html)).toBe(text)
  })

  it('skips images it cannot fetch (data: URIs)', () => {
    expect(htmlToSegments('<img src="data:image/png;base64,AAAA">hi')).toEqual([{ type: 'text', text: 'hi' }])
  })

  it('escapes text for notes', () => {
    expect(textToHtml('a < b & c\nnext\n\nnew para')).toBe('<p>a &lt; b &amp; c<br>next</p><p>new para</p>')
  })
})
