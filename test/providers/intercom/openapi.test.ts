/** The spec check of the fake is only worth something if it rejects what Intercom would: prove it does. */
import { intercomSpec } from './openapi'

const HOST = 'https://api.intercom.io'
const headers = { 'intercom-version': '2.15', authorization: 'Bearer tok', accept: 'application/json', 'content-type': 'application/json' }
const check = (method: string, path: string, body?: unknown, h: Record<string, string> = headers) =>
  intercomSpec().validate({ method, url: `${HOST}${path}`, headers: h, body: body === undefined ? '' : JSON.stringify(body) })

describe('OpenAPI request validation (Intercom 2.15)', () => {
  it('accepts the requests the adapter makes', () => {
    const contact = '6650a4f2c1d3e4f5a6b7c8d9'
    const ok: Array<[string, string, unknown?]> = [
      ['GET', '/me'],
      ['GET', '/admins/7001'],
      ['POST', '/contacts/search', { query: { field: 'email', operator: '=', value: 'jane@example.com' } }],
      ['POST', '/contacts', { role: 'user', email: 'jane@example.com', name: 'Jane', avatar: 'https://x.test/a.png' }],
      ['POST', '/contacts', { role: 'user', name: 'Anon', phone: '+15551234567' }],
      ['POST', '/conversations', { from: { type: 'user', id: contact }, body: 'Hello' }],
      ['PUT', '/conversations/215000000000001', { title: 'Refund' }],
      ['POST', '/conversations/215000000000001/reply', { message_type: 'comment', type: 'user', intercom_user_id: contact, body: 'hi', attachment_urls: ['https://x.test/cat.png'] }],
      ['POST', '/conversations/215000000000001/reply', { message_type: 'note', type: 'admin', admin_id: '991001', body: '<p>[Bot] hi</p>' }],
      [
        'POST',
        '/conversations/215000000000001/reply',
        { message_type: 'comment', type: 'user', intercom_user_id: contact, body: '<p>[File: Invoice] https://x.test/i.pdf</p>', attachment_files: [{ content_type: 'application/pdf', data: 'JVBERi0=', name: 'Invoice.pdf' }] },
      ],
      ['POST', '/conversations/215000000000001/parts', { message_type: 'close', type: 'admin', admin_id: '991001' }],
      ['POST', '/conversations/215000000000001/parts', { message_type: 'assignment', type: 'team', admin_id: '991001', assignee_id: '42' }],
    ]
    for (const [method, path, body] of ok) expect({ call: `${method} ${path}`, ...check(method, path, body) }).toMatchObject({ errors: [] })
  })

  it.each([
    ['an unknown path', () => check('GET', '/nope'), /no such path/],
    ['a wrong method', () => check('DELETE', '/me'), /method not allowed/],
    ['a missing bearer token', () => check('GET', '/me', undefined, { 'intercom-version': '2.15' }), /Authorization/],
    ['an unknown Intercom-Version', () => check('GET', '/me', undefined, { ...headers, 'intercom-version': '3.0' }), /Intercom-Version/],
    ['a conversation opened without body', () => check('POST', '/conversations', { from: { type: 'user', id: '6650a4f2c1d3e4f5a6b7c8d9' } }), /body/],
    ['a contact id of the wrong length', () => check('POST', '/conversations', { from: { type: 'user', id: 'abc' }, body: 'x' }), /from\/id/],
    ['a reply with an unknown type', () => check('POST', '/conversations/1/reply', { message_type: 'comment', type: 'bot', body: 'x' }), /body/],
    ['a close without admin_id', () => check('POST', '/conversations/1/parts', { message_type: 'close', type: 'admin' }), /body/],
    ['more than 10 attachment URLs', () => check('POST', '/conversations/1/reply', { message_type: 'comment', type: 'user', intercom_user_id: 'c', body: 'x', attachment_urls: Array(11).fill('https://x.test/a.png') }), /body/],
    ['a non-integer admin id in the path', () => check('GET', '/admins/agent-alice'), /admin_id/],
    ['more than 10 files inline', () => check('POST', '/conversations/1/reply', { message_type: 'comment', type: 'user', user_id: 'u', body: 'x', attachment_files: Array(11).fill({ content_type: 'text/plain', data: 'eA==', name: 'x.txt' }) }), /body/],
    ['a body on a GET', () => check('GET', '/me', { x: 1 }), /takes no body/],
  ])('rejects %s', (_, run, pattern) => {
    const { errors } = run()
    expect(errors.length).toBeGreaterThan(0)
    expect(errors.join('\n')).toMatch(pattern)
  })
})
