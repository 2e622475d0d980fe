/**
 * The definition as Botpress will receive it: the create-integration request `bp deploy` builds from
 * integration.definition.ts (test/support/integration-body.ts follows the CLI step by step), validated against the
 * admin API's OpenAPI that @botpress/api exports, plus the checks the CLI makes before sending anything.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import * as sdk from '@botpress/sdk'
import Ajv, { type ValidateFunction } from 'ajv'
import addFormats from 'ajv-formats'
import definition from '../../integration.definition'
import { buildCreateIntegrationBody, cliChecks, toUpdateBody } from '../support/integration-body'

const root = path.resolve(__dirname, '../..')
const semverValid: (v: string) => string | null = require('semver').valid
const HITL_INTERFACE_ID = 'intver_01JXHITL0000000000000000000'

type Json = Record<string, any>
let openapi: Json
let validateCreate: ValidateFunction
let validateUpdate: ValidateFunction
const resolved: Array<{ name: string; version: string }> = []
let body: Json

const requestSchema = (operation: string) => {
  const op = Object.values(openapi.paths as Record<string, Record<string, Json>>)
    .flatMap((methods) => Object.values(methods))
    .find((o) => o.operationId === operation)
  if (!op) throw new Error(`no ${operation} in the admin OpenAPI`)
  const name = String(op.requestBody.$ref).split('/').pop()!
  return `admin.json#/components/requestBodies/${name}/content/application~1json/schema`
}
const errorsOf = (validate: ValidateFunction, value: unknown) => (validate(value) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`))

beforeAll(() => {
  const dir = mkdtempSync(path.join(tmpdir(), 'admin-openapi-'))
  try {
    // In a child process: @botpress/api logs its progress through a logger bound to the console at load time.
    const script = `require('@botpress/api').adminApi.exportOpenapi(${JSON.stringify(dir)})`
    execFileSync(process.execPath, ['-e', script], { cwd: root, stdio: 'pipe' })
    openapi = JSON.parse(readFileSync(path.join(dir, 'openapi.json'), 'utf8'))
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  // OpenAPI 3.0 schema objects: `nullable` is understood by ajv; other OpenAPI-only keywords are annotations.
  const ajv = new Ajv({ strict: false, allErrors: true })
  addFormats(ajv)
  ajv.addSchema(openapi, 'admin.json')
  validateCreate = ajv.getSchema(requestSchema('createIntegration'))!
  validateUpdate = ajv.getSchema(requestSchema('updateIntegration'))!
  body = buildCreateIntegrationBody(definition, {
    root,
    resolveInterface: (ref) => {
      resolved.push(ref)
      return HITL_INTERFACE_ID
    },
  })
})

describe('the deploy request body', () => {
  it('is a valid createIntegration request of the admin API', () => {
    expect(errorsOf(validateCreate, body)).toEqual([])
  })

  it('is a valid updateIntegration request when the version already exists (the fields the operation declares)', () => {
    const declared = Object.keys(openapi.components.requestBodies.updateIntegrationBody.content['application/json'].schema.properties)
    const update = toUpdateBody(body, declared)
    expect(Object.keys(update)).not.toContain('name')
    expect(errorsOf(validateUpdate, update)).toEqual([])
  })

  it('the validator refuses what the API refuses (so the two tests above can fail)', () => {
    const tooLongTitle = { ...body, actions: { ...body.actions, startHitl: { ...body.actions.startHitl, title: 'x'.repeat(65) } } }
    expect(errorsOf(validateCreate, tooLongTitle).join('\n')).toMatch(/must NOT have more than 64 characters/)
    const unknownField = { ...body, channels: { hitl: { ...body.channels.hitl, color: 'blue' } } }
    expect(errorsOf(validateCreate, unknownField).join('\n')).toMatch(/must NOT have additional properties/)
    const interfaceByNameOnly = { ...body, interfaces: { hitl: { name: 'hitl', version: '2.1.0' } } }
    expect(errorsOf(validateCreate, interfaceByNameOnly).join('\n')).toMatch(/must have required property 'id'/)
    expect(errorsOf(validateCreate, { version: '1.0.0' }).join('\n')).toMatch(/must have required property 'name'/)
  })

  it('carries the hitl interface resolved by name and version, with our entity, actions, events and channel', () => {
    expect(resolved).toEqual([{ name: 'hitl', version: '2.1.0' }])
    expect(Object.values(body.interfaces)).toEqual([
      {
        id: HITL_INTERFACE_ID,
        entities: { hitlSession: { name: 'hitlSession' } },
        actions: { createUser: { name: 'createUser' }, startHitl: { name: 'startHitl' }, stopHitl: { name: 'stopHitl' } },
        events: { hitlAssigned: { name: 'hitlAssigned' }, hitlStopped: { name: 'hitlStopped' } },
        channels: { hitl: { name: 'hitl' } },
      },
    ])
  })

  it('describes the channel, tags, states, events, actions and entity as JSON Schema', () => {
    expect(body).toMatchObject({ name: 'hitl-hub', version: '0.1.0', title: 'HITL Hub', visibility: 'private', sdkVersion: expect.any(String) })
    const hitl = body.channels.hitl
    expect(Object.keys(hitl.messages)).toEqual(['text', 'image', 'audio', 'video', 'file', 'bloc'])
    expect(hitl.messages.image.schema).toMatchObject({ type: 'object', properties: { imageUrl: { type: 'string' }, userId: { type: 'string' } }, required: expect.arrayContaining(['imageUrl']) })
    expect(Object.keys(hitl.conversation.tags)).toEqual(expect.arrayContaining(['externalId', 'externalAltId', 'provider', 'contactId', 'userId', 'agentId', 'status']))
    expect(Object.keys(hitl.message.tags)).toEqual(['externalId'])
    expect(Object.keys(body.user.tags)).toEqual(['externalId', 'provider', 'kind', 'claim'])
    expect(Object.keys(body.states)).toEqual(Object.keys(definition.states!))
    expect(Object.keys(body.events)).toEqual(['hitlAssigned', 'hitlStopped'])
    expect(body.actions.startHitl.input.schema.properties).toMatchObject({ userId: { type: 'string' }, messageHistory: { type: 'array' } })
    expect(body.entities.hitlSession.schema.properties.priority).toMatchObject({ enum: ['low', 'normal', 'high', 'urgent'] })
    // Every embedded schema is one Botpress can use: it compiles as JSON Schema and has no $ref left.
    const ajv = new Ajv({ strict: false })
    const schemas = [
      body.configuration.schema,
      ...Object.values<Json>(body.actions).flatMap((a) => [a.input.schema, a.output.schema]),
      ...Object.values<Json>(body.events).map((e) => e.schema),
      ...Object.values<Json>(hitl.messages).map((m) => m.schema),
      ...Object.values<Json>(body.states).map((s) => s.schema),
      ...Object.values<Json>(body.entities).map((e) => e.schema),
    ]
    for (const schema of schemas) {
      expect(() => ajv.compile(schema)).not.toThrow()
      expect(JSON.stringify(schema)).not.toContain('"$ref"')
    }
  })

  it('sends the configuration form Studio renders: the selector, one section per provider, the unsigned opt-in reading as insecure', () => {
    const schema = body.configuration.schema
    const validate = new Ajv({ strict: false }).compile(schema)
    expect(validate({ provider: 'http', http: { endpointBaseUrl: 'https://desk.example.com/hitl', webhookSecret: 's' } })).toBe(true)
    expect(validate({ provider: 'http', http: { endpointBaseUrl: 'https://desk.example.com/hitl', allowUnsignedWebhooks: true } })).toBe(true)
    expect(validate({ provider: 'nosuchdesk' })).toBe(false)
    expect(validate({ provider: 'http', http: { endpointBaseUrl: 'https://x', allowUnsignedWebhooks: 'yes' } })).toBe(false)
    expect(Object.keys(schema.properties)).toEqual(['provider', 'http', 'intercom', 'livechat', 'hubspot', 'chatwoot', 'zendesk', 'freshchat'])
    const http = schema.properties.http
    expect(http.required ?? []).not.toContain('allowUnsignedWebhooks')
    expect(http.properties.allowUnsignedWebhooks).toMatchObject({ type: 'boolean', 'x-zui': { title: 'Accept unsigned webhooks (insecure)' } })
    expect(http.properties.webhookSecret).toMatchObject({ type: 'string', 'x-zui': { secret: true } })
  })

  it('ships the icon as an SVG and the readme as the Markdown hub.md, base64-encoded', () => {
    const icon = Buffer.from(body.icon, 'base64').toString('utf8')
    expect(icon).toMatch(/^\s*(<\?xml[^>]*>\s*)?<svg[\s>]/)
    expect(icon.trimEnd()).toMatch(/<\/svg>$/)
    const readme = Buffer.from(body.readme, 'base64').toString('utf8')
    expect(readme).toBe(readFileSync(path.join(root, 'hub.md'), 'utf8'))
    expect(readme).toMatch(/^# /m)
  })
})

describe('the checks the CLI makes before sending', () => {
  it('pass for our definition: SVG icon, Markdown readme, a name with at most one "/", a semver version', () => {
    expect(cliChecks(definition, semverValid)).toEqual([])
  })
  it('fail for a definition that breaks each of them', () => {
    const broken = new sdk.IntegrationDefinition({ name: 'a/b/c', version: '1.0', icon: 'icon.png', readme: 'README.txt' })
    expect(cliChecks(broken, semverValid)).toEqual([
      'Icon must be an SVG file',
      'Readme must be a Markdown file',
      'Invalid name "a/b/c": a single forward slash is allowed',
      'Invalid version "1.0" for integration "a/b/c"',
    ])
  })
})
