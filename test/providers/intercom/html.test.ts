/**
 * Agent HTML → text for the end user: linear on hostile input (100 kB worst cases, each under one second: the bound is
 * far above the expected milliseconds, so machine noise cannot trip it), lists with paragraphs, and no URL but http(s)
 * ever becoming a link or an image.
 */
import { attribute, decodeEntities, htmlToSegments, htmlToText, looksLikeHtml } from '../../../src/providers/intercom/html'
import { partMessages } from '../../../src/providers/intercom/webhook'
import { maskEmailsIn } from '../../../src/core/log'

const K100 = 100_000
const fill = (unit: string, head = '', tail = '') => head + unit.repeat(Math.ceil((K100 - head.length - tail.length) / unit.length)) + tail

describe('intercom HTML conversion is linear', () => {
  const worst: Array<[string, string]> = [
    ['unterminated tags', fill('<a ')],
    ['unterminated quoted attributes', fill(' "', '<p')],
    ['many unterminated comments', fill('<!--')],
    ['tags that never close their quote', fill('<a href="x')],
    ['spaces before a non-space at the end of a line', fill(' ', 'a', 'b')],
    ['blank lines', fill('<br>')],
    ['bare angle brackets', fill('<')],
    ['entity-like runs', fill('&amp')],
    ['deeply nested lists', fill('<ul><li>')],
    ['deeply nested links around a long label', fill('<a href="https://x.test/">') + 'x'.repeat(K100) + '</a>'.repeat(K100 / 4)],
    ['images between links', fill('<a href="https://x.test/"><img src="https://x.test/i.png">')],
    ['list items with paragraphs', fill('<li><p>x</p></li>', '<ol>', '</ol>')],
    ['one huge attribute list', `<img${' a=b'.repeat(K100 / 4)} src="https://x.test/i.png">`],
  ]

  it.each(worst)('%s (100 kB) converts in under a second', (_, html) => {
    const started = performance.now()
    htmlToSegments(html)
    looksLikeHtml(html)
    partMessages({ body: html, part_type: 'comment' })
    expect(performance.now() - started).toBeLessThan(1000)
  })

  it('e-mail masking is linear too', () => {
    for (const text of [fill('@'), fill('a@'), fill('a', '', '@b'), fill('a@b.c ')]) {
      const started = performance.now()
      maskEmailsIn(text)
      expect(performance.now() - started).toBeLessThan(1000)
    }
  })
})

describe('intercom HTML conversion: what a person reads', () => {
  it.each([
    ['<ul><li><p>Print the label</p></li><li><p>Drop it off</p></li></ul>', '- Print the label\n- Drop it off'],
    ['<ol><li><p>First</p></li><li><p>Second</p><p>with more</p></li></ol>', '1. First\n2. Second\nwith more'],
    ['<ul><li><p></p></li></ul>', '-'],
    ['<a href="mailto:help@x.test">Write to us</a>', 'Write to us (help@x.test)'],
    ['<a href="javascript:alert(1)">click</a> <a href="data:text/html,x">here</a> <a href="vbscript:x">there</a>', 'click here there'],
    ['<a href=" JAVASCRIPT:alert(1)">x</a>', 'x'],
    ['&constructor; &__proto__; &toString;', '&constructor; &__proto__; &toString;'],
  ])('%s → %j', (html, text) => {
    expect(htmlToText(html)).toBe(text)
  })

  it('only http(s) images become images; javascript:, data: and relative ones are dropped', () => {
    expect(
      htmlToSegments('<img src="javascript:alert(1)"><img src="data:image/png;base64,AAAA"><img src="/local.png"><img src="https://x.test/ok.png" alt="ok">')
    ).toEqual([{ type: 'image', url: 'https://x.test/ok.png', title: 'ok' }])
  })

  it('attachments with a non-web URL never reach the user', () => {
    const attachments = [
      { url: 'javascript:alert(1)', name: 'a.pdf', content_type: 'application/pdf' },
      { url: 'data:application/pdf;base64,AAAA', name: 'b.pdf' },
      { url: 'https://files.intercom.test/c.pdf', name: 'c.pdf', content_type: 'application/pdf' },
    ]
    expect(partMessages({ body: 'files', part_type: 'comment', attachments })).toEqual([
      { type: 'text', text: 'files' },
      { type: 'file', url: 'https://files.intercom.test/c.pdf', title: 'c.pdf' },
    ])
  })

  it('reads attributes in any quoting, decoded, whatever else the tag holds', () => {
    expect(attribute(' class="x" href=\'https://a.test/?a=1&amp;b=2\' data-x=y', 'href')).toBe('https://a.test/?a=1&b=2')
    expect(attribute(' src=https://a.test/i.png alt=hi', 'alt')).toBe('hi')
    expect(attribute(' title="a > b" src="s"', 'src')).toBe('s')
    expect(attribute(' href', 'href')).toBeUndefined()
    expect(decodeEntities('&#x1F600; &#0; &#xD800;')).toBe('😀 &#0; &#xD800;')
  })
})
