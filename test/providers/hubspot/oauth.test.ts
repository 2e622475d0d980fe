/**
 * OAuth after the v1 retirement, and tokens that never leak.
 * - Refresh goes to POST /oauth/2026-03/token with a form body (grant_type, client_id, client_secret, refresh_token):
 *   https://developers.hubspot.com/docs/api-reference/legacy/authentication/oauth-tokens/v1/migration-guide (steps 2-3;
 *   v1 is retired on 2027-02-16: https://developers.hubspot.com/changelog/v1-oauth-api-deprecation). The fake records
 *   any call to /oauth/v1/token as a violation.
 * - The portal comes from POST /oauth/2026-03/token/introspect (`hub_id`):
 *   https://developers.hubspot.com/docs/api-reference/2026-03/authentication/oauth-tokens/token-introspect
 * - An installation made under v1 (stored access token, rotated refresh token) keeps working across the switch.
 * - Tokens obtained at run time are redacted from every error, like configured secrets (issue 13).
 */
import { createHash } from 'node:crypto'
import { ProviderError } from '../../../src/core/errors'
import { resetCaches } from '../../../src/core/cache'
import { leakedSecrets, makeAdapter, memoryStore, sessionRef, useHubspotFake, WEBHOOK_URL } from './harness'

const fake = useHubspotFake()

const touch = (adapter: ReturnType<typeof makeAdapter>['adapter'], thread = '7000000001') => adapter.closeSession(sessionRef('bp-x', { altId: thread }))

/** The fingerprint the adapter keys stored tokens with (client id + configured refresh token): unchanged by the switch. */
const fingerprint = (clientId: string, refreshToken: string) => createHash('sha256').update(`${clientId}\n${refreshToken}`).digest('hex').slice(0, 16)

it('refreshes on /oauth/2026-03/token with a form body only (no query parameters, no Authorization header)', async () => {
  const { adapter } = makeAdapter(fake)
  await touch(adapter)
  const [call] = fake.callsOf('token')
  expect(call!.path).toBe('/oauth/2026-03/token')
  expect(call!.query).toBe('')
  expect(call!.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/)
  expect(call!.body).toEqual({ grant_type: 'refresh_token', client_id: fake.credentials.clientId, client_secret: fake.credentials.clientSecret, refresh_token: fake.credentials.refreshToken })
  expect(fake.count('tokenV1')).toBe(0)
})

it('register learns the portal by introspection (hub_id), not from the token answer, and keeps it', async () => {
  const { adapter, store } = makeAdapter(fake)
  await adapter.connect({ webhookUrl: WEBHOOK_URL })
  expect(store.data.portalId).toBe(String(fake.hubId))
  const call = fake.callsOf('introspect').at(-1)!
  expect(call.path).toBe('/oauth/2026-03/token/introspect')
  expect(call.body).toMatchObject({ client_id: fake.credentials.clientId, client_secret: fake.credentials.clientSecret, token_type_hint: 'access_token' })
  // the token introspected is the access token in use
  expect(fake.accessTokens.has((call.body as Record<string, string>).token!)).toBe(true)
})

it('an installation made under v1 keeps working: stored access token used as is, rotated refresh token refreshed on 2026-03', async () => {
  // What the v1-era adapter stored: a valid access token, a rotated refresh token, the hub id it read.
  const rotated = 'refresh-rotated-under-v1-0001'
  fake.refreshTokens = new Set([rotated])
  const access = 'CKv1-era-access-token-000000000000000000000000'
  fake.accessTokens.set(access, Date.now() + 600_000)
  const store = memoryStore({
    oauth: { key: fingerprint(fake.credentials.clientId, fake.credentials.refreshToken), accessToken: access, refreshAt: Date.now() + 300_000, expiresAt: Date.now() + 600_000, refreshToken: rotated, hubId: String(fake.hubId) },
  })
  const { adapter } = makeAdapter(fake, { store })
  await touch(adapter)
  expect(fake.count('token')).toBe(0)
  expect(fake.callsOf('patchThread')[0]!.headers.authorization).toBe(`Bearer ${access}`)
  // expired: refreshed with the rotated refresh token on the new path
  ;(store.data.oauth as Record<string, number>).refreshAt = Date.now() - 1
  resetCaches()
  await touch(makeAdapter(fake, { store }).adapter)
  expect(fake.callsOf('token').map((c) => [c.path, (c.body as Record<string, string>).refresh_token])).toEqual([['/oauth/2026-03/token', rotated]])
  // the portal is learnt at that refresh (one introspection), the v1-era hub id having served meanwhile
  expect(store.data.portalId).toBe(String(fake.hubId))
  expect(fake.count('tokenV1')).toBe(0)
})

it('N concurrent calls needing a refresh on 2026-03 → one refresh, rotation kept', async () => {
  fake.rotateRefreshTokens = true
  const { adapter, store } = makeAdapter(fake)
  await Promise.all(Array.from({ length: 8 }, (_, i) => touch(adapter, String(7000000300 + i))))
  expect(fake.count('token')).toBe(1)
  expect((store.data.oauth as Record<string, string>).refreshToken).toMatch(/^refresh-/)
  expect((store.data.oauth as Record<string, string>).refreshToken).not.toBe(fake.credentials.refreshToken)
})

describe('tokens obtained at run time never reach an error', () => {
  it('an API error echoing the access token (and the client secret) is redacted', async () => {
    const { adapter, store } = makeAdapter(fake)
    await touch(adapter)
    const token = (store.data.oauth as Record<string, string>).accessToken!
    fake.fail('patchThread', { status: 400, body: { status: 'error', category: 'VALIDATION_ERROR', message: `token ${token} cannot close this thread (secret ${fake.credentials.clientSecret})` } })
    const error = await touch(adapter).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ProviderError)
    expect((error as Error).message).toMatch(/HubSpot answered 400/)
    expect((error as Error).message).not.toContain(token)
    expect(leakedSecrets(fake, (error as Error).message)).toEqual([])
  })

  it('a 401 that survives the refresh, echoing the refused token, is redacted', async () => {
    const { adapter, store } = makeAdapter(fake)
    await touch(adapter)
    const token = (store.data.oauth as Record<string, string>).accessToken!
    fake.fail('patchThread', { status: 401, body: { status: 'error', category: 'EXPIRED_AUTHENTICATION', message: `token ${token} expired` } }, 2)
    const error = await touch(adapter).catch((e: unknown) => e)
    expect((error as Error).message).toMatch(/401 on close thread even with a freshly refreshed access token/)
    expect((error as Error).message).not.toContain(token)
  })

  it("the token endpoint's refusal echoing the refresh token and the client secret is redacted (RFC 6749 fields read)", async () => {
    fake.echoInErrors = true
    const { adapter } = makeAdapter(fake, { config: { refreshToken: 'refresh-revoked-0000-0000' } })
    const error = await touch(adapter).catch((e: unknown) => e)
    expect((error as Error).message).toMatch(/refused to refresh the OAuth access token \(400 BAD_REFRESH_TOKEN/)
    expect((error as Error).message).not.toContain('refresh-revoked-0000-0000')
    expect(leakedSecrets(fake, (error as Error).message)).toEqual([])
  })
})
