/**
 * An agent's message as the Botpress payload the end user's channel gets (src/core/webhook.ts toBotpressPayload):
 * each media type with its title exactly when the agent gave one, and a non-http(s) URL only ever as text naming it.
 */
import { toBotpressPayload } from '../../src/core/webhook'
import { UNSAFE_LINK_NOTE } from '../../src/core/transcript'

const URL_ = 'https://cdn.example.com/f'

describe('toBotpressPayload', () => {
  it.each([
    ['image', 'imageUrl'],
    ['audio', 'audioUrl'],
    ['video', 'videoUrl'],
    ['file', 'fileUrl'],
  ] as const)('%s: the URL under %s, the title only when given (an empty title is a title)', (type, key) => {
    expect(toBotpressPayload({ type, url: URL_, title: 'Name.ext' })).toStrictEqual({ type, payload: { [key]: URL_, title: 'Name.ext' } })
    expect(toBotpressPayload({ type, url: URL_ })).toStrictEqual({ type, payload: { [key]: URL_ } })
    expect(toBotpressPayload({ type, url: URL_, title: '' })).toStrictEqual({ type, payload: { [key]: URL_, title: '' } })
  })

  it.each([
    ['image', 'Image'],
    ['audio', 'Audio'],
    ['video', 'Video'],
    ['file', 'File'],
  ] as const)('%s with a javascript: URL: text naming it, with or without its title', (type, label) => {
    expect(toBotpressPayload({ type, url: 'javascript:alert(1)', title: 'x.pdf' })).toStrictEqual({ type: 'text', payload: { text: `[${label}: x.pdf] ${UNSAFE_LINK_NOTE}` } })
    expect(toBotpressPayload({ type, url: 'data:text/html,hi' })).toStrictEqual({ type: 'text', payload: { text: `[${label}] ${UNSAFE_LINK_NOTE}` } })
  })

  it('text stays text', () => {
    expect(toBotpressPayload({ type: 'text', text: 'hello' })).toStrictEqual({ type: 'text', payload: { text: 'hello' } })
  })
})
