import { buildTranscript, renderPayload, toOutbound } from '../../src/core/transcript'
import { classifyContactPoint } from '../../src/core/engine'

describe('transcript', () => {
  it('renders every default message type readably, naming authors, never "undefined"', () => {
    const t = buildTranscript(
      [
        { source: { type: 'bot' }, type: 'text', payload: { text: 'Hello' } },
        { source: { type: 'user', userId: 'u1' }, type: 'image', payload: { imageUrl: 'https://x/i.png' } },
        { source: { type: 'user', userId: 'u1' }, type: 'file', payload: { fileUrl: 'https://x/f.pdf', title: 'Invoice' } },
        { source: { type: 'bot' }, type: 'dropdown', payload: { text: 'Pick', options: [{ label: 'A', value: 'a' }, { label: 'B', value: 'b' }] } },
        { source: { type: 'bot' }, type: 'carousel', payload: { items: [{ title: 'One', subtitle: 'first', actions: [{ label: 'Buy' }] }] } },
        { source: { type: 'bot' }, type: 'location', payload: { latitude: 45.5, longitude: -73.6, address: 'Montréal' } },
        { source: { type: 'bot' }, type: 'bloc', payload: { items: [{ type: 'text', payload: { text: 'x' } }, { type: 'markdown', payload: { markdown: '**y**' } }] } },
        { source: { type: 'bot' }, type: 'text', payload: { text: '' } },
      ],
      { user: (id) => (id === 'u1' ? 'Jane' : 'User'), bot: 'Bot' }
    )
    expect(t.entries).toHaveLength(7)
    expect(t.text).toBe(
      [
        'Bot: Hello',
        'Jane: [Image] https://x/i.png',
        'Jane: [File: Invoice] https://x/f.pdf',
        'Bot: Pick',
        '  1. A',
        '  2. B',
        'Bot: [Card] One — first (Buy)',
        'Bot: [Location: Montréal] 45.5, -73.6',
        'Bot: x',
        '  **y**',
      ].join('\n')
    )
    expect(t.text).not.toMatch(/undefined/)
  })

  it('an empty history is an empty transcript', () => {
    expect(buildTranscript([], { user: () => 'U', bot: 'Bot' })).toEqual({ entries: [], text: '' })
  })

  it('renders a card without optional fields cleanly', () => {
    expect(renderPayload('card', { title: 'T', actions: [] })).toBe('[Card] T')
    expect(renderPayload('image', {})).toBe('[Image]')
  })

  it('normalizes hitl payloads, blocs included', () => {
    expect(toOutbound('bloc', { items: [{ type: 'text', payload: { text: 'a' } }, { type: 'video', payload: { videoUrl: 'https://v' } }] })).toEqual({
      type: 'bloc',
      items: [{ type: 'text', text: 'a' }, { type: 'video', url: 'https://v', title: undefined }],
    })
  })
})

describe('createUser email input', () => {
  it.each([
    ['Jane.Doe@Example.COM', { email: 'jane.doe@example.com' }],
    ['user_1@no-reply.bot_9.botpress.com', {}],
    ['+1 (514) 555-0100', { phone: '+15145550100' }],
    ['', {}],
    [undefined, {}],
    ['not an address', {}],
  ])('%p → %p', (input, expected) => {
    expect(classifyContactPoint(input as string | undefined)).toEqual(expected)
  })
})
