/** The integration definition Botpress reads: hitl 2.1.0 extended, the configuration contract, provider-neutral tags. */
import definition from '../../integration.definition'
import { providers } from '../../src/providers'

describe('integration definition', () => {
  it('extends the hitl interface 2.1.0 with our hitlSession entity', () => {
    const [extension] = Object.values(definition.interfaces ?? {}) as any[]
    expect(extension).toMatchObject({ name: 'hitl', version: '2.1.0', entities: { hitlSession: { name: 'hitlSession' } } })
    expect(Object.keys(definition.actions!)).toEqual(['createUser', 'startHitl', 'stopHitl'])
    expect(Object.keys(definition.events!)).toEqual(['hitlAssigned', 'hitlStopped'])
    for (const item of [...Object.values(definition.actions!), ...Object.values(definition.events!)] as any[]) {
      expect(item.attributes).toMatchObject({ bpActionHiddenInStudio: 'true' })
    }
  })

  it('declares the hitl channel with the six message types, each carrying userId and additionalData', () => {
    const hitl = definition.channels!.hitl as any
    expect(Object.keys(hitl.messages)).toEqual(['text', 'image', 'audio', 'video', 'file', 'bloc'])
    for (const message of Object.values(hitl.messages) as any[]) {
      const parsed = message.schema.safeParse({ text: 'x', imageUrl: 'u', audioUrl: 'u', videoUrl: 'u', fileUrl: 'u', items: [], userId: 'user_1', additionalData: 'a' })
      expect(parsed.success).toBe(true)
      expect(parsed.data).toMatchObject({ userId: 'user_1', additionalData: 'a' })
    }
    expect(Object.keys(hitl.conversation.tags)).toEqual(expect.arrayContaining(['externalId', 'provider', 'contactId', 'userId', 'agentId', 'status']))
    expect(Object.keys(hitl.message.tags)).toEqual(['externalId'])
    expect(Object.keys(definition.user!.tags!)).toEqual(['externalId', 'provider', 'kind', 'claim'])
  })

  it('has the configuration contract: a provider selector and one optional section per provider', () => {
    const schema = definition.configuration!.schema as any
    expect(Object.keys(schema.shape)).toEqual(['provider', 'http', 'intercom', 'livechat', 'hubspot', 'chatwoot', 'zendesk', 'freshchat'])
    expect(schema.safeParse({ provider: 'http' }).success).toBe(true)
    expect(schema.safeParse({ provider: 'nosuchdesk' }).success).toBe(false)
    expect(Object.keys(schema.shape.livechat.unwrap().shape)).toEqual([
      'clientId', 'organizationId', 'webhookSecret', 'agentToken', 'groupId', 'apiBaseUrl', 'accountsBaseUrl',
    ])
    expect(schema.safeParse({ provider: 'livechat', livechat: { clientId: 'c', organizationId: 'o', webhookSecret: 's', agentToken: 't', groupId: '1' } }).success).toBe(false)
    // Generic HTTP: the secret is optional only together with the explicit, insecure-sounding opt-in (checked at register).
    expect(Object.keys(schema.shape.http.unwrap().shape)).toEqual(['endpointBaseUrl', 'webhookSecret', 'allowUnsignedWebhooks'])
    expect(schema.safeParse({ provider: 'http', http: { endpointBaseUrl: 'https://x', allowUnsignedWebhooks: true } }).success).toBe(true)
    expect(schema.safeParse({ provider: 'http', http: { endpointBaseUrl: 'https://x', allowUnsignedWebhooks: 'true' } }).success).toBe(false)
    expect(Object.keys(providers)).toEqual(['http', 'intercom', 'livechat', 'hubspot', 'chatwoot', 'zendesk', 'freshchat'])
    expect(Object.keys(schema.shape.chatwoot.unwrap().shape)).toEqual(['baseUrl', 'accountId', 'apiAccessToken', 'inboxId'])
    expect(Object.keys(schema.shape.zendesk.unwrap().shape)).toEqual(['subdomain', 'appId', 'keyId', 'keySecret', 'apiBaseUrl'])
    expect(Object.keys(schema.shape.freshchat.unwrap().shape)).toEqual(['domain', 'apiKey', 'webhookPublicKey', 'channelId', 'apiBaseUrl'])
    expect(Object.values(providers).every((p) => p.available)).toBe(true)
  })

  it('starts a session with the optional hitlSession extras', () => {
    const input = (definition.actions!.startHitl as any).input.schema
    const ok = input.safeParse({ userId: 'u', messageHistory: [], hitlSession: { priority: 'high', routing: '42' } })
    expect(ok.success).toBe(true)
    expect(input.safeParse({ userId: 'u', messageHistory: [], hitlSession: { priority: 'asap' } }).success).toBe(false)
  })
})
