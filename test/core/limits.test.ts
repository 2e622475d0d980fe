/**
 * Botpress's limits (issue 12): pinned against the runtime OpenAPI @botpress/api exports, applied before any provider
 * call, names cut by code point; the contact-point classification is linear on hostile input; masking helpers.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { classifyContactPoint, cut, LIMITS, sanitizeAgent } from '../../src/core/limits'
import { maskEmail, maskPhone } from '../../src/core/log'
import { HttpFake } from '../providers/http/fake'
import { useFakeRig } from '../support/rig'

type Schema = { maxLength?: number; properties?: Record<string, Schema>; additionalProperties?: Schema | boolean; $ref?: string }
type OpenApi = {
  paths: Record<string, Record<string, { operationId: string; requestBody?: { $ref?: string; content?: Record<string, { schema: Schema }> } }>>
}

/** The runtime API's OpenAPI document, exported by @botpress/api (its progress lines silenced). */
const runtimeOpenapi = (): OpenApi => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'core-limits-'))
  const { write } = process.stdout
  const { log, info } = console
  try {
    process.stdout.write = (() => true) as typeof process.stdout.write
    console.log = console.info = () => {}
    require('@botpress/api').runtimeApi.exportOpenapi(dir)
  } finally {
    process.stdout.write = write
    console.log = log
    console.info = info
  }
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, 'openapi.json'), 'utf8')) as OpenApi
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

const hasLoneSurrogate = (s: string) => /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s)

describe('Botpress limits, pinned to the runtime OpenAPI', () => {
  const doc = runtimeOpenapi()
  const resolve = <T>(node: T & { $ref?: string }): T =>
    node.$ref ? resolve(node.$ref.slice(2).split('/').reduce<Record<string, unknown>>((at, key) => at[key] as Record<string, unknown>, doc as unknown as Record<string, unknown>) as T & { $ref?: string }) : node
  const body = (operationId: string): Schema => {
    for (const methods of Object.values(doc.paths)) {
      for (const op of Object.values(methods)) {
        if (op.operationId === operationId) return resolve(resolve(op.requestBody!).content!['application/json']!.schema)
      }
    }
    throw new Error(`no operation ${operationId}`)
  }
  const field = (operationId: string, name: string) => resolve(body(operationId).properties![name]!)

  it.each(['getOrCreateUser', 'updateUser'])('%s: user name at most LIMITS.userName, picture URL longer than ours', (op) => {
    expect(field(op, 'name').maxLength).toBe(LIMITS.userName)
    expect(field(op, 'pictureUrl').maxLength).toBeGreaterThanOrEqual(LIMITS.pictureUrl)
  })

  it.each(['getOrCreateUser', 'createConversation', 'getOrCreateMessage'])('%s: tag values at most LIMITS.tagValue', (op) => {
    const tags = field(op, 'tags').additionalProperties as Schema
    expect(tags.maxLength).toBe(LIMITS.tagValue)
  })
})

describe('names are cut by code point', () => {
  it('never leaves a lone surrogate, and stays within the limit in UTF-16 units and in code points', () => {
    for (const name of ['😀'.repeat(300), `a${'😀'.repeat(300)}`, 'A'.repeat(5000), `${'é'.repeat(199)}😀😀`]) {
      const out = cut(name, LIMITS.userName)
      expect(hasLoneSurrogate(out)).toBe(false)
      expect(out.length).toBeLessThanOrEqual(LIMITS.userName)
      expect(out.endsWith('…')).toBe(true)
    }
    expect(cut('short', 200)).toBe('short')
    expect(sanitizeAgent({ id: 'a', name: `  ${'😀'.repeat(150)}  ` }).name).not.toMatch(/[\uD800-\uDBFF]…$/)
  })
})

describe('the contact-point classification is linear', () => {
  const worstCases: Array<[string, string]> = [
    ['"a@" repeated', 'a@'.repeat(50_000)],
    ['"a." repeated after an @', `a@${'a.'.repeat(50_000)}`],
    ['an @ then no dot', `x@${'a'.repeat(100_000)}`],
    ['whitespace then a letter', `${' '.repeat(100_000)}a`],
    ['digits', '1'.repeat(100_000)],
    ['digits and separators', '1-'.repeat(50_000)],
    ['a placeholder-looking tail', `a@no-reply.${'x.'.repeat(50_000)}botpress.com`],
  ]

  it.each(worstCases)('%s (100 kB) is classified in under a second', (_, input) => {
    const started = performance.now()
    expect(classifyContactPoint(input)).toEqual({})
    expect(performance.now() - started).toBeLessThan(1_000)
  })

  it('still recognises real addresses and numbers, and drops placeholders', () => {
    expect(classifyContactPoint(' Jane@Example.com ')).toEqual({ email: 'jane@example.com' })
    expect(classifyContactPoint('+1 (555) 010-0199')).toEqual({ phone: '+15550100199' })
    expect(classifyContactPoint('x@no-reply.abc.botpress.com')).toEqual({})
    expect(classifyContactPoint(`${'a'.repeat(250)}@example.com`)).toEqual({})
  })
})

describe('masking personal data for errors and logs', () => {
  it('keeps the first character and the domain of an address, the last two digits of a number', () => {
    expect(maskEmail('alice@example.com')).toBe('a***@example.com')
    expect(maskEmail('😀bob@example.com')).toBe('😀***@example.com')
    expect(maskEmail('not an address')).toBe('***')
    expect(maskPhone('+1 (555) 010-0199')).toBe('***99')
    expect(maskPhone('')).toBe('***')
  })
})

describe('createUser brings every value within its Botpress limit before the provider call', () => {
  const fake = new HttpFake()
  const rig = useFakeRig(fake, { reset: true })
  beforeEach(() => rig.driver.setConfiguration(fake.configuration()))

  it('a 10,000-character name creates one contact and one user, both with the same cut name', async () => {
    const name = `${'x'.repeat(199)}${'😀'.repeat(5_000)}`
    const { userId } = await rig.driver.callAction('createUser', { name, email: 'jane@example.com', pictureUrl: `https://cdn.example.com/${'a'.repeat(40_000)}` })
    const user = rig.user(userId)
    expect(user.name.length).toBeLessThanOrEqual(LIMITS.userName)
    expect(hasLoneSurrogate(user.name)).toBe(false)
    expect(user.pictureUrl).toBeUndefined()
    expect(fake.contacts()).toEqual([expect.objectContaining({ name: user.name })])
  })

  it('an agent name of emoji reaches Botpress without a lone surrogate', async () => {
    const { userId } = await rig.driver.callAction('createUser', { name: 'Jane' })
    const { conversationId } = await rig.driver.callAction('startHitl', { userId, messageHistory: [] })
    const sessionId = rig.conversation(conversationId).tags.externalId as string
    expect((await rig.webhook(await fake.agentAssigned(sessionId, { id: 'agent-emoji', name: `a${'😀'.repeat(300)}` }))).status).toBe(200)
    const agent = rig.users().find((u) => u.tags.kind === 'agent')!
    expect(agent.name.length).toBeLessThanOrEqual(LIMITS.userName)
    expect(hasLoneSurrogate(agent.name)).toBe(false)
  })
})
