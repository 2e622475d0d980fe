/** Parsing cost of the Zendesk webhook mapping and renderers on the known worst-case texts (test/reliability/worst-cases.ts). */
import { parseWebhook } from '../../../src/providers/zendesk/webhook'
import { contentsOf, label, openingMessages } from '../../../src/providers/zendesk/render'
import { expectWithinBudget } from '../../reliability/worst-cases'

const ctx = { appId: 'app', owner: 'tag', firstReply: () => true }
const delivery = (text: string) =>
  JSON.stringify({
    app: { id: 'app' },
    events: [
      {
        id: 'e1',
        type: 'conversation:message',
        createdAt: text.slice(0, 100),
        payload: {
          conversation: { id: 'c1', metadata: { botpress_hitl: 'tag' } },
          message: {
            id: 'm1',
            received: text,
            author: { type: 'business', displayName: text, avatarUrl: text, subtypes: [text] },
            metadata: { '__zendesk_msg.agent.id': text.slice(0, 100) },
            content: { type: 'file', text, mediaUrl: `https://example.com/${text}`, altText: text, mediaType: text },
          },
        },
      },
    ],
  })

it('parseWebhook stays linear on every worst case (text, names, URLs, dates)', () => {
  expectWithinBudget({ name: 'zendesk parseWebhook', parse: (text) => parseWebhook({ method: 'POST', path: '/', query: '', headers: {}, body: delivery(text) }, ctx) })
})

it('the renderers stay linear on every worst case', () => {
  expectWithinBudget({
    name: 'zendesk render',
    parse: (text) => {
      contentsOf({ type: 'text', text })
      contentsOf({ type: 'file', url: text, title: text })
      label(text)
      openingMessages({ title: text, description: text, extras: { routing: text, subject: text }, transcript: { entries: [], text } })
    },
  })
})
