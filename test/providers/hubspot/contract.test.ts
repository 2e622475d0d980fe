/**
 * The request contract the HubSpot fake validates against still catches the mistakes it exists for: a missing
 * message direction, an undocumented delivery identifier type, an unknown query parameter, an invalid thread status.
 */
import { CONTRACT } from './contract'
import { hasOperation, validateRequest, validateResponse } from './contract-validator'

const PUBLISH = 'POST /conversations/v3/custom-channels/{channelId}/messages'
const PATCH_THREAD = 'PATCH /conversations/v3/conversations/threads/{threadId}'

const message = (overrides: Record<string, unknown> = {}) => ({
  messageDirection: 'INCOMING',
  channelAccountId: '2001',
  integrationThreadId: 'bp-conv-1',
  integrationIdempotencyId: 'bp-msg-1',
  timestamp: '2025-05-16T04:00:00.000Z',
  text: 'Hello',
  senders: [{ name: 'Ada Lovelace', deliveryIdentifier: { type: 'HS_EMAIL_ADDRESS', value: 'ada@example.com' } }],
  recipients: [],
  attachments: [{ type: 'FILE', fileId: '184467440738', fileUsageType: 'IMAGE' }],
  ...overrides,
})

const publish = (body: unknown, query = '') =>
  validateRequest(PUBLISH, { params: { channelId: '1001' }, query: new URLSearchParams(query), body, contentType: 'application/json' })

describe('HubSpot request contract', () => {
  it('accepts a well-formed publish', () => {
    expect(publish(message())).toEqual([])
  })

  it('rejects a publish without messageDirection', () => {
    const { messageDirection: _omit, ...body } = message()
    expect(publish(body)).toEqual([expect.stringContaining("must have required property 'messageDirection'")])
  })

  it('rejects a sender with an undocumented deliveryIdentifier type', () => {
    const errors = publish(message({ senders: [{ deliveryIdentifier: { type: 'EMAIL', value: 'ada@example.com' } }] }))
    expect(errors).toEqual([expect.stringMatching(/^body\/senders\/0\/deliveryIdentifier\/type must be equal to one of the allowed values \(HS_EMAIL_ADDRESS, /)])
  })

  it('rejects a FILE attachment without fileId or with an unknown fileUsageType', () => {
    expect(publish(message({ attachments: [{ type: 'FILE', fileUsageType: 'IMAGE' }] }))).toEqual([expect.stringContaining("must have required property 'fileId'")])
    expect(publish(message({ attachments: [{ type: 'FILE', fileId: '1', fileUsageType: 'VIDEO' }] }))).toEqual([
      expect.stringContaining('/attachments/0/fileUsageType must be equal to one of the allowed values'),
    ])
  })

  it('rejects an unknown query parameter, unless it is an allowed authentication parameter', () => {
    expect(publish(message(), 'hapikey=k')).toEqual(['query parameter hapikey is not in the contract'])
    const list = (query: string) =>
      validateRequest('GET /conversations/v3/custom-channels', { params: {}, query: new URLSearchParams(query), allowExtraQuery: ['hapikey', 'appId'] })
    expect(list('hapikey=k&appId=1&limit=100&after=MTA=')).toEqual([])
    expect(list('hapikey=k&appId=1&pageSize=100')).toEqual(['query parameter pageSize is not in the contract'])
    expect(list('hapikey=k&appId=1&limit=many')).toEqual(['query parameter limit must be integer'])
  })

  it('a channel PATCH must carry every field the generated client marks required (channelLogoUrl, channelAccountConnectionRedirectUrl, …)', () => {
    // PublicChannelIntegrationChannelPatch in HubSpot/hubspot-sdk-typescript (src/resources/conversations/custom-channels/custom-channels.ts)
    const full = {
      name: 'Botpress HITL',
      webhookUrl: 'https://webhook.botpress.cloud/wh_1',
      channelDescription: 'd',
      channelLogoUrl: 'https://botpress.com/favicon.ico',
      channelAccountConnectionRedirectUrl: 'https://app.botpress.cloud',
      capabilities: { deliveryIdentifierTypes: ['CHANNEL_SPECIFIC_OPAQUE_ID'] },
    }
    const patch = (body: unknown) =>
      validateRequest('PATCH /conversations/v3/custom-channels/{channelId}', { params: { channelId: '1001' }, query: new URLSearchParams(), body, contentType: 'application/json' })
    expect(patch(full)).toEqual([])
    const { channelLogoUrl: _l, channelAccountConnectionRedirectUrl: _r, ...partial } = full
    expect(patch(partial)).toEqual([
      expect.stringContaining("must have required property 'channelAccountConnectionRedirectUrl'"),
      expect.stringContaining("must have required property 'channelLogoUrl'"),
    ])
  })

  it("rejects a thread PATCH with status 'DONE' and accepts OPEN/CLOSED", () => {
    const patch = (body: unknown) => validateRequest(PATCH_THREAD, { params: { threadId: '7845123457' }, query: new URLSearchParams(), body, contentType: 'application/json' })
    expect(patch({ status: 'DONE' })).toEqual(['body/status must be equal to one of the allowed values (OPEN, CLOSED)'])
    expect(patch({ status: 'CLOSED' })).toEqual([])
    expect(patch({ status: 'OPEN' })).toEqual([])
  })

  it('checks the OAuth form, path parameter types and the content type', () => {
    const token = (body: Record<string, string>) =>
      validateRequest('POST /oauth/2026-03/token', { params: {}, query: new URLSearchParams(), body, contentType: 'application/x-www-form-urlencoded' })
    expect(token({ grant_type: 'refresh_token', client_id: 'c', client_secret: 's', refresh_token: 'r' })).toEqual([])
    expect(token({ grant_type: 'refresh_token', client_id: 'c', client_secret: 's' })).toEqual([expect.stringContaining("must have required property 'refresh_token'")])
    expect(token({ grant_type: 'password', client_id: 'c', client_secret: 's', refresh_token: 'r' })).toEqual([expect.stringContaining('body/grant_type must be equal to one of the allowed values')])
    expect(validateRequest(PUBLISH, { params: { channelId: 'abc' }, query: new URLSearchParams(), body: message(), contentType: 'text/plain' })).toEqual([
      'path parameter channelId must be integer',
      'content-type text/plain instead of application/json',
    ])
  })

  it('checks custom channel capabilities on create', () => {
    const create = (capabilities: unknown) =>
      validateRequest('POST /conversations/v3/custom-channels', { params: {}, query: new URLSearchParams(), body: { name: 'Botpress HITL', webhookUrl: 'https://webhook.botpress.cloud/wh_1', capabilities } })
    expect(create({ deliveryIdentifierTypes: ['HS_EMAIL_ADDRESS'], threadingModel: 'INTEGRATION_THREAD_ID', allowOutgoingMessages: true })).toEqual([])
    // identifier types are strings, not {type, value} objects (HubSpot's INVALID_CHANNEL_CAPABILITY_VALUES)
    expect(create({ deliveryIdentifierTypes: [{ type: 'HS_EMAIL_ADDRESS' }] })).toEqual(
      expect.arrayContaining([expect.stringContaining('/capabilities/deliveryIdentifierTypes/0 must be string')])
    )
    expect(create({ threadingModel: 'INTEGRATION_THREAD_ID' })).toEqual([expect.stringContaining("must have required property 'deliveryIdentifierTypes'")])
    expect(create({ deliveryIdentifierTypes: ['HS_EMAIL_ADDRESS'], threadingModel: 'BY_TOPIC' })).toEqual([expect.stringContaining('/capabilities/threadingModel must be equal to one of the allowed values')])
  })

  it("checks the fake's answers and knows every operation", () => {
    expect(validateResponse(PUBLISH, 201, { id: 'a6f2', conversationsThreadId: '7845123456', direction: 'INCOMING' })).toEqual([])
    expect(validateResponse(PUBLISH, 201, { id: 'a6f2' })).toEqual([expect.stringContaining("must have required property 'conversationsThreadId'")])
    expect(Object.keys(CONTRACT)).toHaveLength(28)
    // every schema compiles (ajv strict mode rejects unknown keywords and malformed schemas)
    for (const [key, op] of Object.entries(CONTRACT)) {
      expect(() => validateRequest(key, { params: {}, query: new URLSearchParams(), body: {} })).not.toThrow()
      for (const status of Object.keys(op.responses ?? {})) expect(() => validateResponse(key, Number(status), {})).not.toThrow()
    }
    expect(hasOperation(PATCH_THREAD)).toBe(true)
    expect(hasOperation('GET /conversations/v3/unknown')).toBe(false)
  })
})
