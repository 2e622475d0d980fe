/**
 * OAuth: access token cached in the state with its expiry, refreshed early or once after a 401, one refresh however
 * many requests race, rotated refresh tokens kept, persistent 401 and bad refresh tokens end in clear errors; the
 * developer API key (in a query string) and the tokens never appear in errors or logs; 429 is retried honouring
 * Retry-After, within bounds.
 */
import { ProviderError } from '../../../src/core/errors'
import { httpClock } from '../../support/http-clock'
import { Redactor } from '../../../src/core/log'
import { resetCaches } from '../../../src/core/cache'

import { contactRef, leakedSecrets, makeAdapter, memoryStore, resetProcess, sessionRef, WEBHOOK_URL, useHubspotFake } from './harness'

const fake = useHubspotFake()

/** A cheap authenticated call: close an unknown thread (404 is an answer). */
const touch = (adapter: ReturnType<typeof makeAdapter>['adapter'], thread = '7000000001') => adapter.closeSession(sessionRef('bp-x', { altId: thread }))

const expireStoredToken = (store: ReturnType<typeof memoryStore>) => {
  const oauth = store.data.oauth as Record<string, unknown>
  oauth.refreshAt = Date.now() - 1
  resetCaches()
}

describe('access token', () => {
  it('is obtained once, cached in the state with its expiry and reused', async () => {
    const { adapter, store } = makeAdapter(fake)
    await touch(adapter)
    await touch(adapter)
    expect(fake.count('token')).toBe(1)
    const oauth = store.data.oauth as Record<string, number | string>
    expect(typeof oauth.accessToken).toBe('string')
    expect(Number(oauth.expiresAt) - Date.now()).toBeGreaterThan(1700_000)
    // refreshed five minutes before it expires
    expect(Number(oauth.expiresAt) - Number(oauth.refreshAt)).toBe(300_000)
    // the token answer names no portal: it is learnt by introspection (POST /oauth/2026-03/token/introspect → hub_id)
    expect(oauth.hubId).toBeUndefined()
    expect(store.data.portalId).toBe(String(fake.hubId))
    expect(fake.count('introspect')).toBe(1)
    // a cold instance reads it from the state instead of refreshing again
    resetCaches()
    const second = makeAdapter(fake, { store })
    await touch(second.adapter)
    expect(fake.count('token')).toBe(1)
  })

  it('is refreshed before it expires (proactive), not after a 401', async () => {
    const { adapter, store } = makeAdapter(fake)
    await touch(adapter)
    expireStoredToken(store)
    await touch(adapter)
    expect(fake.count('token')).toBe(2)
    expect(fake.calls.filter((c) => c.status === 401)).toHaveLength(0)
  })

  it('N concurrent calls with an expired token → exactly one refresh request (across adapter instances too)', async () => {
    const { adapter, store } = makeAdapter(fake)
    await touch(adapter)
    expireStoredToken(store)
    const other = makeAdapter(fake, { store }).adapter
    await Promise.all(Array.from({ length: 12 }, (_, i) => touch(i % 2 ? adapter : other, String(7000000100 + i))))
    expect(fake.count('token')).toBe(2)
  })

  it('a 401 on a cached token → one refresh, the request repeated once, success', async () => {
    const { adapter } = makeAdapter(fake)
    await touch(adapter)
    fake.expireAccessTokens()
    await Promise.all(Array.from({ length: 6 }, (_, i) => touch(adapter, String(7000000200 + i))))
    expect(fake.count('token')).toBe(2)
    expect(fake.calls.filter((c) => c.op === 'patchThread' && c.status === 401).length).toBeGreaterThan(0)
  })

  it('a persistent 401 ends in a clear error after a single refresh, never a loop', async () => {
    const { adapter } = makeAdapter(fake)
    await touch(adapter)
    fake.rejectAllBearer = true
    const before = fake.count('token')
    const error = await touch(adapter).catch((e) => e)
    expect(error).toBeInstanceOf(ProviderError)
    expect(error.message).toMatch(/401 on close thread even with a freshly refreshed access token/)
    expect(error.message).toMatch(/hubspot\.refreshToken/)
    expect(fake.count('token') - before).toBe(1)
    expect(fake.count('patchThread')).toBe(3)
    expect(leakedSecrets(fake, error.message)).toEqual([])
  })

  it('keeps a rotated refresh token and uses it next time (also on a cold instance)', async () => {
    fake.rotateRefreshTokens = true
    const { adapter, store } = makeAdapter(fake)
    await touch(adapter)
    const rotated = (store.data.oauth as Record<string, string>).refreshToken
    expect(rotated).toBeDefined()
    expect(rotated).not.toBe(fake.credentials.refreshToken)
    expireStoredToken(store)
    const cold = makeAdapter(fake, { store }).adapter
    await touch(cold)
    const used = fake.callsOf('token').map((c) => (c.body as Record<string, string>).refresh_token)
    expect(used).toEqual([fake.credentials.refreshToken, rotated])
    // the configured token is dead now: only the rotated one works
    expect(fake.refreshTokens.has(fake.credentials.refreshToken)).toBe(false)
  })

  it('a new refresh token in the configuration replaces the stored tokens', async () => {
    const { adapter, store } = makeAdapter(fake)
    await touch(adapter)
    fake.refreshTokens.add('refresh-brand-new-token-0001')
    resetCaches()
    const updated = makeAdapter(fake, { store, config: { refreshToken: 'refresh-brand-new-token-0001' } }).adapter
    await touch(updated)
    expect(fake.callsOf('token').map((c) => (c.body as Record<string, string>).refresh_token)).toEqual([
      fake.credentials.refreshToken,
      'refresh-brand-new-token-0001',
    ])
  })

  it('a refused refresh token → a clear error naming what to do, without secrets', async () => {
    const { adapter } = makeAdapter(fake, { config: { refreshToken: 'refresh-revoked-0000-0000' } })
    const error = await touch(adapter).catch((e) => e)
    expect(error).toBeInstanceOf(ProviderError)
    expect(error.message).toMatch(/refused to refresh the OAuth access token \(400 BAD_REFRESH_TOKEN/)
    expect(error.message).toMatch(/authorize the app again.*hubspot\.refreshToken/)
    expect(error.message).not.toContain('refresh-revoked-0000-0000')
    expect(leakedSecrets(fake, error.message)).toEqual([])
  })

  it('a wrong client id or secret is named', async () => {
    const wrongId = await touch(makeAdapter(fake, { config: { clientId: 'nope' } }).adapter).catch((e) => e)
    expect(wrongId.message).toMatch(/BAD_CLIENT_ID.*hubspot\.clientId/)
    resetProcess()
    const wrongSecret = await touch(makeAdapter(fake, { config: { clientSecret: 'not-the-secret-1234' } }).adapter).catch((e) => e)
    expect(wrongSecret.message).toMatch(/BAD_CLIENT_SECRET.*hubspot\.clientSecret/)
    expect(wrongSecret.message).not.toContain('not-the-secret-1234')
  })
})

describe('secrets never leak', () => {
  it('the developer API key travels in the query string but never appears in errors (HTTP error)', async () => {
    const { adapter } = makeAdapter(fake)
    fake.fail('listChannels', { status: 500 }, 10)
    const error = await adapter.connect({ webhookUrl: WEBHOOK_URL }).catch((e) => e)
    expect(error).toBeInstanceOf(ProviderError)
    expect(error.message).toMatch(/HubSpot answered 500.*list custom channels/)
    expect(fake.callsOf('listChannels')[0]!.query).toContain(`hapikey=${fake.credentials.developerApiKey}`)
    expect(leakedSecrets(fake, error.message)).toEqual([])
  })

  it('a refused developer API key is named, never shown', async () => {
    const { adapter } = makeAdapter(fake, { config: { developerApiKey: 'dev-key-wrong-0000-1111' } })
    const error = await adapter.connect({ webhookUrl: WEBHOOK_URL }).catch((e) => e)
    expect(error.message).toMatch(/401.*hubspot\.developerApiKey/)
    expect(error.message).not.toContain('dev-key-wrong-0000-1111')
  })

  it('network errors carry no URL with the key either', async () => {
    const { adapter } = makeAdapter(fake, { config: { apiBaseUrl: 'http://127.0.0.1:9' } })
    const error = await adapter.connect({ webhookUrl: WEBHOOK_URL }).catch((e) => e)
    expect(error).toBeInstanceOf(ProviderError)
    expect(error.message).toMatch(/could not be reached/)
    expect(leakedSecrets(fake, error.message)).toEqual([])
  })

  it('the redactor masks hapikey, tokens and bearer headers in any URL or text', () => {
    const r = new Redactor([])
    expect(r.redact('GET https://api.hubapi.com/conversations/v3/custom-channels?hapikey=abc-123&appId=42 failed')).toBe(
      'GET https://api.hubapi.com/conversations/v3/custom-channels?hapikey=[redacted]&appId=42 failed'
    )
    expect(r.redact('Authorization: Bearer CKDZpunPLhICAQEYs')).toBe('Authorization: Bearer [redacted]')
    expect(r.redact('…&refresh_token=6f18f26a&x=1')).toBe('…&refresh_token=[redacted]&x=1')
  })

  it('a runtime access token echoed in an error body is redacted', async () => {
    const { adapter } = makeAdapter(fake)
    await touch(adapter)
    const token = [...fake.accessTokens.keys()][0]!
    fake.fail('patchThread', { status: 400, body: { status: 'error', message: `bad token ${token}`, correlationId: 'c-1', category: 'VALIDATION_ERROR' } })
    const error = await touch(adapter).catch((e) => e)
    expect(error.message).toContain('bad token [redacted]')
    expect(leakedSecrets(fake, error.message)).toEqual([])
  })

  it('a whole session writes no secret, token or end-user e-mail to the logs', async () => {
    const { adapter, logs } = makeAdapter(fake)
    await adapter.connect({ webhookUrl: WEBHOOK_URL })
    const contact = await adapter.createContact({ name: 'Ada Lovelace', email: 'ada@example.com' })
    const opened = await adapter.openSession({
      botpressConversationId: 'conv_logs',
      contact: contactRef(contact.id, { name: 'Ada Lovelace', email: 'ada@example.com' }, contact.data),
      extras: {},
      transcript: { entries: [], text: 'Bot: hi' },
    })
    fake.expireAccessTokens()
    await adapter.closeSession(sessionRef(opened.id, { altId: opened.altId }))
    const all = logs.join('\n')
    expect(leakedSecrets(fake, all)).toEqual([])
    expect(all).not.toContain('ada@example.com')
  })
})

describe('rate limits', () => {
  it('429 → retried honouring Retry-After, then succeeds', async () => {
    const { adapter } = makeAdapter(fake)
    await touch(adapter)
    fake.fail('patchThread', { status: 429, headers: { 'retry-after': '1' }, body: { status: 'error', message: 'You have reached your ten_secondly_rolling limit.', errorType: 'RATE_LIMIT', correlationId: 'c', policyName: 'TEN_SECONDLY_ROLLING' } })
    const waitsBefore = httpClock.waits.length
    await touch(adapter)
    // Waited once on the (virtual) HTTP clock, for at least the second it named (plus jitter), not for real.
    const waits = httpClock.waits.slice(waitsBefore)
    expect(waits).toHaveLength(1)
    expect(waits[0]).toBeGreaterThanOrEqual(1000)
    expect(waits[0]).toBeLessThan(2000)
    expect(fake.count('patchThread')).toBe(3)
  })

  it('a non-idempotent publish is retried on 429 too (nothing was processed), within bounds', async () => {
    const { adapter } = makeAdapter(fake)
    fake.fail('createContact', { status: 429 }, 10)
    const error = await adapter.createContact({ name: 'Ada', email: 'ada@example.com' }).catch((e) => e)
    expect(error).toBeInstanceOf(ProviderError)
    expect(error.message).toMatch(/429.*create contact after 3 attempts/)
    expect(fake.count('createContact')).toBe(3)
  })
})
