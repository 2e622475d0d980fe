/**
 * Our declared hitl contract is the official one, field by field: the JSON schemas our integration definition produces
 * (the CLI's mapping, test/support/integration-body.ts `toJsonSchema`) against the golden file of the official
 * interface 2.1.0 (test/core/golden/hitl-2.1.0.json, written from botpress/botpress interfaces/hitl at 4f4a05a0c4).
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import definition from '../../integration.definition'
import { hitlInterface } from '../../src/interface/hitl'
import { toJsonSchema } from '../support/integration-body'

type Json = any
const golden: Json = JSON.parse(readFileSync(path.join(__dirname, 'golden/hitl-2.1.0.json'), 'utf8'))
const def = definition as Json

/** Every path where the two JSON values differ (a missing key, an extra key, a different value). */
const differences = (expected: Json, actual: Json, at = ''): string[] => {
  if (Array.isArray(expected) || Array.isArray(actual)) {
    if (!Array.isArray(expected) || !Array.isArray(actual)) return [`${at}: ${JSON.stringify(expected)} ≠ ${JSON.stringify(actual)}`]
    const length = Math.max(expected.length, actual.length)
    return Array.from({ length }, (_, i) => differences(expected[i], actual[i], `${at}/${i}`)).flat()
  }
  if (expected && actual && typeof expected === 'object' && typeof actual === 'object') {
    const keys = [...new Set([...Object.keys(expected), ...Object.keys(actual)])]
    return keys.flatMap((key) =>
      !(key in actual) ? [`${at}/${key}: missing`] : !(key in expected) ? [`${at}/${key}: not in the official interface`] : differences(expected[key], actual[key], `${at}/${key}`)
    )
  }
  return Object.is(expected, actual) ? [] : [`${at}: ${JSON.stringify(expected)} ≠ ${JSON.stringify(actual)}`]
}

/** As the CLI sends it: JSON (keys holding `undefined` are not part of a schema). */
const jsonSchemaOf = (holder: Json): Json => JSON.parse(JSON.stringify(toJsonSchema(holder)))
const ourEntity = () => jsonSchemaOf(def.entities.hitlSession)

/** The official schema with the entity reference resolved to our entity, as the SDK's extend resolves it. */
const withOurEntity = (node: Json): Json => {
  if (Array.isArray(node)) return node.map(withOurEntity)
  if (!node || typeof node !== 'object') return node
  if (node.$ref === 'hitlSession') return ourEntity()
  return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, withOurEntity(v)]))
}

const ours = () => ({
  events: Object.fromEntries(Object.entries(def.events).map(([k, e]: [string, Json]) => [k, { attributes: e.attributes, schema: jsonSchemaOf(e) }])),
  actions: Object.fromEntries(
    Object.entries(def.actions).map(([k, a]: [string, Json]) => [
      k,
      { title: a.title, description: a.description, attributes: a.attributes, input: jsonSchemaOf(a.input), output: jsonSchemaOf(a.output) },
    ])
  ),
  channels: { hitl: { messages: Object.fromEntries(Object.entries(def.channels.hitl.messages).map(([k, m]) => [k, jsonSchemaOf(m)])) } },
})

describe('the hitl interface we declare is the official 2.1.0, field by field', () => {
  it('has the golden file of the official interface it is compared with', () => {
    expect(golden.$comment).toMatch(/interfaces\/hitl\/interface\.definition\.ts at commit 4f4a05a0c4/)
    expect(golden.interface).toEqual({ name: 'hitl', version: '2.1.0', __advanced: { useLegacyZuiTransformer: true } })
    expect(hitlInterface.props.__advanced).toEqual(golden.interface.__advanced)
  })

  it('actions: titles, descriptions, attributes, input and output schemas', () => {
    expect(differences(withOurEntity(golden.actions), ours().actions)).toEqual([])
  })

  it('events: attributes and schemas', () => {
    expect(differences(golden.events, ours().events)).toEqual([])
  })

  it('channel hitl: the six message schemas, bloc items included', () => {
    expect(differences(golden.channels, ours().channels)).toEqual([])
  })

  it('entity hitlSession: the official title and description; our schema only adds optional settings', () => {
    const official = golden.entities.hitlSession
    expect({ title: def.entities.hitlSession.title, description: def.entities.hitlSession.description }).toEqual({
      title: official.title,
      description: official.description,
    })
    const entity = ourEntity()
    expect(differences(official.schema, { ...entity, properties: {} })).toEqual([])
    expect(Object.keys(entity.properties)).toEqual(['priority', 'routing', 'subject'])
    expect(entity.required).toBeUndefined()
  })

  it('a history bloc may hold markdown items, as the official contract says (the 400 the plugin used to get)', () => {
    const input = def.actions.startHitl.input.schema
    const bloc = { type: 'bloc', payload: { items: [{ type: 'markdown', payload: { markdown: '**late**' } }] } }
    expect(input.safeParse({ userId: 'u', messageHistory: [{ source: { type: 'bot' }, ...bloc }] }).success).toBe(true)
  })

  it('the comparison sees a change: the SDK default bloc in the history (no markdown item) is reported at its path', () => {
    const changed = ours().actions
    const history = changed.startHitl.input.properties.messageHistory.items.anyOf
    const bloc = history.find((h: Json) => h.properties.type.const === 'bloc')
    bloc.properties.payload.properties.items.items.anyOf.pop()
    changed.createUser.description = 'Create a user'
    expect(differences(withOurEntity(golden.actions), changed)).toEqual([
      '/createUser/description: "Create an end user in the external service and in Botpress" ≠ "Create a user"',
      expect.stringMatching(/^\/startHitl\/input\/properties\/messageHistory\/items\/anyOf\/10\/properties\/payload\/properties\/items\/items\/anyOf\/6: \{.*"const":"markdown".*\} ≠ undefined$/),
    ])
  })
})
