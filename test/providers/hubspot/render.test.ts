/**
 * Rich text and markdown conversion (issue 12): linear time on hostile input (each known worst case at 100 kB must
 * finish far below one second), HTML entities looked up in an own-property map only, and no non-http(s) URL ever
 * becoming a link or an image.
 */
import { decodeEntities, escapeHtml, markdownToHtml, markdownToText, readRichText, textToHtml } from '../../../src/providers/hubspot/render'

const SIZE = 100_000
const fill = (unit: string) => unit.repeat(Math.ceil(SIZE / unit.length)).slice(0, SIZE)

/** Inputs that made the former regular expressions backtrack (quadratic or worse). */
const WORST: Record<string, string[]> = {
  richText: [
    fill('<a href="'),
    fill('<a href="x">'),
    fill('<script>'),
    fill('<img '),
    fill('<img src="'),
    fill('<'),
    fill('&a'),
    fill(' ') + 'x',
    fill('<li>'),
    fill('<!--'),
    `<a href="${fill('x')}`,
  ],
  markdown: [fill('['), fill('[a]('), fill('**a'), fill('*a'), fill('_a'), fill('__a'), fill('`'), fill('http://'), fill('- '), fill('1. ')],
  text: [fill('http://'), fill('https://a.b/'), fill(' \n'), fill('&<>"\'')],
}

const timed = (run: () => unknown) => {
  const started = performance.now()
  run()
  return performance.now() - started
}

describe('linear time: every known worst case at 100 kB in under a second', () => {
  it.each(WORST.richText!.map((input, i) => [i, input] as const))('rich text → plain text #%s', (_, input) => {
    expect(timed(() => readRichText(input))).toBeLessThan(1000)
  })
  it.each(WORST.markdown!.map((input, i) => [i, input] as const))('markdown → HTML and text #%s', (_, input) => {
    expect(timed(() => markdownToHtml(input))).toBeLessThan(1000)
    expect(timed(() => markdownToText(input))).toBeLessThan(1000)
  })
  it.each(WORST.text!.map((input, i) => [i, input] as const))('text → HTML #%s', (_, input) => {
    expect(timed(() => textToHtml(input))).toBeLessThan(1000)
    expect(timed(() => decodeEntities(input))).toBeLessThan(1000)
  })
})

describe('entities', () => {
  it('decodes the HTML character references an editor emits', () => {
    expect(decodeEntities('a &amp; b &lt;i&gt; &quot;q&quot; &#39;s&#x27; &nbsp;&#128512;')).toBe(`a & b <i> "q" 's' \u00a0😀`.replace('\u00a0', ' '))
  })
  it('leaves inherited names as typed (own-property lookup only)', () => {
    for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf']) {
      expect(decodeEntities(`&${name};`)).toBe(`&${name};`)
      expect(readRichText(`<p>&${name};</p>`).text).toBe(`&${name};`)
    }
  })
  it('leaves out-of-range and surrogate code points as typed', () => {
    expect(decodeEntities('&#xD800; &#1114112; &#0;')).toBe('&#xD800; &#1114112; &#0;')
  })
})

describe('no javascript:, data: or other non-http(s) URL becomes a link or an image', () => {
  it('agent rich text: such links keep only their label, such images are dropped', () => {
    const { text, images } = readRichText(
      '<p><a href="javascript:alert(1)">click</a> <a href="data:text/html,x">data</a> <a href="https://ok.example/p">ok</a></p>' +
        '<img src="data:image/png;base64,AAAA"><img src="javascript:x"><img src="https://cdn.example/i.png"><img src="&#106;avascript:x">'
    )
    expect(text).toBe('click data ok (https://ok.example/p)')
    expect(images).toEqual(['https://cdn.example/i.png'])
  })
  it('scripts and styles are dropped with their content; comments too', () => {
    expect(readRichText('a<script>alert("x")</script>b<style>p{}</style>c<!-- hidden -->d').text).toBe('abcd')
  })
  it('markdown links: only http(s) targets become <a>', () => {
    const html = markdownToHtml('[x](javascript:alert(1)) [y](data:text/html,z) [ok](https://ok.example/a)')
    expect(html).not.toMatch(/href="(javascript|data):/)
    expect(html).toContain('<a href="https://ok.example/a">ok</a>')
    expect(markdownToText('[ok](https://ok.example/a) [x](javascript:alert(1))')).toBe('ok (https://ok.example/a) [x](javascript:alert(1))')
  })
  it('text and markdown are escaped before any tag is added', () => {
    expect(textToHtml('<img src=x onerror=alert(1)> https://a.example/?q="x"')).toBe('<p>&lt;img src=x onerror=alert(1)&gt; <a href="https://a.example/?q=">https://a.example/?q=</a>&quot;x&quot;</p>')
    expect(markdownToHtml('**<b>bold</b>** _it_ `code`')).toBe('<p><strong>&lt;b&gt;bold&lt;/b&gt;</strong> <em>it</em> code</p>')
    expect(textToHtml('see https://a.example/?a=1&b=2')).toBe('<p>see <a href="https://a.example/?a=1&amp;b=2">https://a.example/?a=1&amp;b=2</a></p>')
    expect(escapeHtml(`<>&"'`)).toBe('&lt;&gt;&amp;&quot;&#39;')
  })
})

describe('what agents and users see', () => {
  it('rich text keeps structure: block ends become lines, lists become dashes, links keep their target', () => {
    expect(readRichText('<p>Line <b>one</b></p><ul><li>a</li><li><a href="https://x.example/doc">the doc</a></li></ul>').text).toBe('Line one\n\n- a\n- the doc (https://x.example/doc)')
    expect(readRichText('<div>a<br/>b</div><p></p><p></p><p></p><p>c</p>').text).toBe('a\nb\n\nc')
  })
  it('markdown lists, headings, bold and links', () => {
    expect(markdownToHtml('# Title\n- one\n- **two**\n\n1. [site](https://s.example)')).toBe(
      '<p>Title</p><ul><li>one</li><li><strong>two</strong></li></ul><ol><li><a href="https://s.example">site</a></li></ol>'
    )
    expect(markdownToText('# Title\n**bold** and _it_')).toBe('Title\nbold and it')
  })
})
