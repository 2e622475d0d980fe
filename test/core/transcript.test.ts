import { buildTranscript, openingText, outboundToPayload, renderOutbound, renderPayload, toOutbound, webUrl, type HistoryMessage } from '../../src/core/transcript'
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

describe('links that reach a person are http(s) only', () => {
  const UNSAFE = ['javascript:alert(document.cookie)', 'JavaScript:alert(1)', ' javascript:alert(1)', 'java\tscript:alert(1)', 'data:image/png;base64,iVBORw0KGgo=', 'vbscript:msgbox(1)', 'file:///etc/passwd', 'ftp://example.com/a.pdf', '//evil.example/x.png', 'https://', 'x'.repeat(5000)]
  const names = { user: () => 'Jane', bot: 'Bot' }

  it.each(UNSAFE)('%j never becomes a link, image or attachment in the transcript', (url) => {
    const history = [
      { source: { type: 'user' as const, userId: 'u1' }, type: 'image', payload: { imageUrl: url, title: 'cat' } },
      { source: { type: 'bot' as const }, type: 'file', payload: { fileUrl: url } },
      { source: { type: 'bot' as const }, type: 'card', payload: { title: 'Deal', imageUrl: url, actions: [{ action: 'url', label: 'Open', value: url }] } },
      { source: { type: 'bot' as const }, type: 'carousel', payload: { items: [{ title: 'One', imageUrl: url }] } },
      { source: { type: 'bot' as const }, type: 'bloc', payload: { items: [{ type: 'video', payload: { videoUrl: url } }] } },
    ]
    const t = buildTranscript(history, names)
    expect(t.text).not.toContain(url.trim())
    expect(t.text.split('(link removed: not an http(s) address)')).toHaveLength(6)
    expect(t.text).toContain('Jane: [Image: cat] (link removed')
    // The payloads handed to the provider with the entries carry no such URL either.
    expect(JSON.stringify(t.entries.map((e) => e.payload))).not.toContain(JSON.stringify(url).slice(1, -1).trim())
    expect(t.entries.map((e) => e.type)).toEqual(['text', 'text', 'card', 'carousel', 'bloc'])
    expect(t.entries[4]!.payload).toEqual({ items: [{ type: 'text', payload: { text: '[Video] (link removed: not an http(s) address)' } }] })
  })

  it.each(UNSAFE)('%j is never handed to an adapter as a medium, nor sent on as a Botpress medium', (url) => {
    expect(toOutbound('image', { imageUrl: url, title: 'cat' })).toEqual({ type: 'text', text: '[Image: cat] (link removed: not an http(s) address)' })
    expect(toOutbound('bloc', { items: [{ type: 'file', payload: { fileUrl: url } }] })).toEqual({
      type: 'bloc',
      items: [{ type: 'text', text: '[File] (link removed: not an http(s) address)' }],
    })
    expect(outboundToPayload({ type: 'audio', url, title: 'memo' })).toEqual({
      type: 'text',
      payload: { text: '[Audio: memo] (link removed: not an http(s) address)' },
    })
    expect(renderOutbound({ type: 'video', url })).toBe('[Video] (link removed: not an http(s) address)')
  })

  it('keeps http(s) media as they are', () => {
    expect(toOutbound('image', { imageUrl: ' https://cdn.example.com/a.png ', title: 'a' })).toEqual({ type: 'image', url: 'https://cdn.example.com/a.png', title: 'a' })
    expect(outboundToPayload({ type: 'file', url: 'http://example.com/f.pdf' })).toEqual({ type: 'file', payload: { fileUrl: 'http://example.com/f.pdf' } })
    expect(webUrl('HTTPS://Example.com/x')).toBe('HTTPS://Example.com/x')
  })

  it.each([
    ['[click](javascript:alert(1))', '[click] (javascript:alert(1))'],
    ['![x](data:image/svg+xml;base64,PHN2Zz4=)', '![x] (data:image/svg+xml;base64,PHN2Zz4=)'],
    ['[a]( <JAVASCRIPT:alert(1)>)', '[a] ( < JAVASCRIPT:alert(1)>)'],
    ['[a](java\nscript:alert(1))', '[a] (java\nscript:alert(1))'],
    ['[a](javascript&#58;alert(1))', '[a] (javascript&#58;alert(1))'],
    ['[ref]\n\n[ref]: javascript:alert(1)', '[ref]\n\n[ref] : javascript:alert(1)'],
    ['see <javascript:alert(1)> now', 'see < javascript:alert(1)> now'],
    ['<vbscript:x>', '< vbscript:x>'],
    [`[a](${' '.repeat(500)}javascript:alert(1))`, `[a] (${' '.repeat(500)}javascript:alert(1))`],
    [`[a](j${'\t'.repeat(500)}avascript:alert(1))`, `[a] (j${'\t'.repeat(500)}avascript:alert(1))`],
    [`[a](${'a'.repeat(40)}:x)`, `[a] (${'a'.repeat(40)}:x)`],
  ])('markdown link %j is rendered inert', (markdown, expected) => {
    const t = buildTranscript([{ source: { type: 'bot' }, type: 'markdown', payload: { markdown } }], names)
    expect(t.entries[0]!.text).toBe(expected)
    expect(renderOutbound({ type: 'markdown', markdown })).toBe(expected)
  })

  it.each([
    '[docs](https://example.com/docs)',
    '![cat](http://example.com/cat.png)',
    '[mail](mailto:help@example.com)',
    '[rel](/help) [anchor](#top) [page](page.html)',
    '<https://example.com> and a < b, x<y:z>',
    'array[i](j) and [a]: b',
  ])('leaves %j unchanged', (markdown) => {
    expect(renderPayload('markdown', { markdown })).toBe(markdown.trim())
  })

  it('the opening text cannot carry a link either (title and description come from the bot)', () => {
    const text = openingText({ title: '[x](javascript:alert(1))', description: '<data:text/html,hi>', extras: {}, transcript: { entries: [], text: '' } })
    expect(text).toBe('[x] (javascript:alert(1))\n< data:text/html,hi>')
  })

  it('hostile shapes do not throw: nulls, non-objects, deep blocs, non-numeric coordinates', () => {
    let deep: Record<string, unknown> = { type: 'text', payload: { text: 'bottom' } }
    for (let i = 0; i < 10_000; i++) deep = { type: 'bloc', payload: { items: [deep] } }
    const history = [
      { source: { type: 'bot' as const }, type: 'carousel', payload: { items: [null, 3, { title: 'ok' }] } },
      { source: { type: 'bot' as const }, type: 'bloc', payload: (deep as { payload: Record<string, unknown> }).payload },
      { source: { type: 'bot' as const }, type: 'location', payload: { latitude: 'north', longitude: null } },
      { source: { type: 'bot' as const }, type: 'choice', payload: { text: 'Pick', options: [null, { value: 'v' }] } },
      null as unknown as HistoryMessage,
    ]
    const t = buildTranscript(history, names)
    expect(t.text).toBe(['Bot: [Card]', '  [Card]', '  [Card] ok', 'Bot: [Bloc]', 'Bot: [Location] ?, ?', 'Bot: Pick', '  1. v'].join('\n'))
    // Nesting is cut at a fixed depth: what is deeper is named, never recursed into.
    const bloc = (item: unknown) => ({ type: 'bloc', items: [item] })
    expect(toOutbound('bloc', (deep as { payload: Record<string, unknown> }).payload)).toEqual(bloc(bloc(bloc(bloc({ type: 'text', text: '[Bloc]' })))))
    expect(t.text).not.toMatch(/undefined/)
  })
})
