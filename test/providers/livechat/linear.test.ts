/**
 * No input may block the event loop (issue 12): every LiveChat helper that sees provider or user text, fed its known
 * worst cases at 100 kB, finishes far below one second (a bound far above the expected milliseconds, so machine noise
 * cannot trip it). Prints one bench line with the time per worst-case input.
 */
import { decodeAgentToken, regionOfToken } from '../../../src/providers/livechat/api'
import { cookieValue } from '../../../src/providers/livechat/auth'
import { groupFor, maskAgentId, normalizeAvatar, richText, splitMessage } from '../../../src/providers/livechat/render'
import { parseWebhook, verifyWebhook } from '../../../src/providers/livechat/webhook'
import { CLIENT_ID, ORG_ID, WEBHOOK_SECRET } from './fake'

const N = 100_000
const config = { organizationId: ORG_ID, clientId: CLIENT_ID }
const hook = (action: string, payload: unknown) => ({
  method: 'POST',
  path: '/',
  query: '',
  headers: {},
  body: JSON.stringify({ secret_key: WEBHOOK_SECRET, action, organization_id: ORG_ID, payload, additional_data: { chat_properties: { source: { client_id: CLIENT_ID } } } }),
})
const agentEvent = (event: Record<string, unknown>) => hook('incoming_event', { chat_id: 'C1', thread_id: 'T1', event: { id: 'T1_9', author_id: 'a@b.co', ...event } })

// Built before timing: only the helpers are measured.
const manyElements = Array.from({ length: N }, () => ({ title: 'x', buttons: [{ text: 'y' }, { text: 'z' }] }))
const manyUsers = Array.from({ length: 10_000 }, (_, i) => ({ id: `u${i}`, type: 'customer' }))

const cases: Array<[string, () => unknown]> = [
  ['split: one 100 kB word', () => splitMessage('x'.repeat(N))],
  ['split: 100 kB of spaces', () => splitMessage(' '.repeat(N))],
  ['split: 100 kB of line breaks', () => splitMessage('\n'.repeat(N))],
  ['split: 100 kB of 4-byte characters', () => splitMessage('😀'.repeat(N / 2))],
  ['split: alternating "a " pairs', () => splitMessage('a '.repeat(N / 2))],
  ['rich text: 100 kB titles', () => richText([{ title: 't'.repeat(N), subtitle: 's'.repeat(N), buttons: [{ text: 'b'.repeat(N) }] }])],
  ['rich text: 100 000 elements', () => richText(manyElements)],
  ['avatar: "a." × 50 000', () => normalizeAvatar('a.'.repeat(N / 2))],
  ['avatar: 100 kB host then "/"', () => normalizeAvatar(`${'a'.repeat(N)}.com/x.png`)],
  ['avatar: "a.a-" runs', () => normalizeAvatar(`${'a.a-'.repeat(N / 4)}!`)],
  ['cookie: "__lc_cid=" × 11 000', () => cookieValue('__lc_cid='.repeat(N / 9), '__lc_cid')],
  ['cookie: 100 kB of ", "', () => cookieValue(', '.repeat(N / 2), '__lc_cst')],
  ['mask: 100 kB of "@"', () => maskAgentId('@'.repeat(N))],
  ['agent token: 100 kB of "A"', () => decodeAgentToken('A'.repeat(N))],
  ['region: 100 kB of "a"', () => regionOfToken('a'.repeat(N))],
  ['routing: 100 kB of digits', () => groupFor('9'.repeat(N), 1)],
  ['verify: 100 kB body', () => verifyWebhook(WEBHOOK_SECRET, agentEvent({ type: 'message', text: 'x'.repeat(N) }))],
  ['parse: 100 kB message', () => parseWebhook(agentEvent({ type: 'message', text: 'x '.repeat(N / 2) }), config)],
  ['parse: 100 kB rich message', () => parseWebhook(agentEvent({ type: 'rich_message', elements: [{ title: 'x'.repeat(N) }] }), config)],
  ['parse: 100 kB file URL', () => parseWebhook(agentEvent({ type: 'file', url: `https://${'a'.repeat(N)}`, name: 'n'.repeat(N) }), config)],
  ['parse: incoming_chat with 10 000 users', () =>
    parseWebhook(hook('incoming_chat', { chat: { id: 'C1', users: manyUsers, thread: { id: 'T1' } } }), config)],
]

it('every text helper handles its 100 kB worst cases in well under a second each', () => {
  const timings: string[] = []
  for (const [name, run] of cases) {
    const start = process.hrtime.bigint()
    try {
      run()
    } catch {
      // A refusal (400) is a fine answer; only the time matters here.
    }
    const ms = Number(process.hrtime.bigint() - start) / 1e6
    timings.push(`${name}: ${ms.toFixed(1)} ms`)
    expect({ name, slow: ms > 1000 }).toEqual({ name, slow: false })
  }
  console.info(`livechat worst-case bench (100 kB): ${timings.join('; ')}`)
})

it('the helpers still answer correctly at those sizes', () => {
  const parts = splitMessage('x'.repeat(N))
  expect(parts.join('')).toBe('x'.repeat(N))
  expect(parts.every((p) => Buffer.byteLength(p) <= 15_000)).toBe(true)
  expect(splitMessage('😀'.repeat(N / 2)).join('')).toBe('😀'.repeat(N / 2))
  expect(normalizeAvatar('a.'.repeat(N / 2))).toBeUndefined()
  expect(normalizeAvatar('cdn.livechatinc.com/avatars/1.png')).toBe('https://cdn.livechatinc.com/avatars/1.png')
  expect(cookieValue(['__lc_cid=abc; Path=/, __lc_cst=def; Secure'], '__lc_cst')).toBe('def')
  expect(cookieValue(['x__lc_cst=nope; __lc_cst=yes'], '__lc_cst')).toBeUndefined()
  expect(maskAgentId('jane@example.com')).toBe('j***@example.com')
  expect(groupFor('9'.repeat(N), 7)).toBe(7)
})
