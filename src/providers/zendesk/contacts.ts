/**
 * End users as Sunco users: POST /v2/apps/{appId}/users (operationId CreateUser) with an `externalId` and a profile
 * (`components.schemas.userCreateBody`, `profile`). The external id is derived from the e-mail (a digest, so that no
 * address travels in a URL), so the same e-mail finds the same user: a 409 "User already exists" (CreateUser
 * responses) is answered by GET /v2/apps/{appId}/users/{userIdOrExternalId} (operationId GetUser).
 */
import { randomUUID } from 'node:crypto'
import { sha256 } from '../../core/crypto'
import { ProviderError } from '../../core/errors'
import type { CreateContactInput, CreateContactResult } from '../../core/types'
import { asId, isRecord, isWebUrl } from '../shared'
import { TITLE, type ZendeskApi } from './api'

const MAX_PROFILE = 128

const userIdOf = (body: unknown) => (isRecord(body) && isRecord(body.user) ? asId(body.user.id) : undefined)

export const externalIdOf = (input: Pick<CreateContactInput, 'email' | 'botpressUserId'>): string =>
  input.email ? `botpress-email-${sha256(input.email.toLowerCase()).slice(0, 40)}` : `botpress-user-${input.botpressUserId ?? randomUUID()}`

export const createContact = (api: ZendeskApi, input: CreateContactInput): Promise<CreateContactResult> => createContactWith(api, externalIdOf(input), input)

const createContactWith = async (api: ZendeskApi, externalId: string, input: Pick<CreateContactInput, 'name' | 'email' | 'pictureUrl'>): Promise<CreateContactResult> => {
  const givenName = Array.from(input.name.trim()).slice(0, MAX_PROFILE).join('')
  const email = input.email && input.email.length <= MAX_PROFILE ? input.email : undefined
  const profile = {
    ...(givenName ? { givenName } : {}),
    ...(email ? { email } : {}),
    ...(isWebUrl(input.pictureUrl, 2048) ? { avatarUrl: input.pictureUrl } : {}),
  }
  // Safe to repeat after a 5xx or a timeout: the external id is fixed before the first try, so a user stored by an attempt
  // whose answer was lost makes the repeat answer 409 (CreateUser responses), which finds that same user below.
  const created = await api.call({ method: 'POST', path: 'users', json: { externalId, profile }, okStatuses: [409], operation: 'CreateUser', idempotent: true })
  let id = created.status === 409 ? undefined : userIdOf(created.body)
  if (created.status === 409) {
    const found = await api.call({ path: `users/${encodeURIComponent(externalId)}`, operation: 'GetUser' })
    id = userIdOf(found.body)
    // Same e-mail, new name or picture: the profile follows the latest createUser (best kept in step with Botpress).
    if (id && Object.keys(profile).length) {
      await api.call({ method: 'PATCH', path: `users/${encodeURIComponent(id)}`, json: { profile }, operation: 'UpdateUser' }).catch(() => undefined)
    }
  }
  if (!id) throw new ProviderError(`${TITLE} answered the user request without the user's id`, { provider: TITLE, operation: 'CreateUser' })
  return { id }
}

/**
 * On an app without multi-conversations a user can be in one conversation only (spec `appSettings.multiConvoEnabled`:
 * "whether users are allowed to be part of several conversations"): each session then gets a messaging user of its
 * own, with the end user's profile, keyed by the Botpress conversation (a retried startHitl finds it again).
 */
export const createSessionUser = async (api: ZendeskApi, botpressConversationId: string, profile: { name?: string; email?: string }): Promise<string> => {
  const { id } = await createContactWith(api, `botpress-session-${botpressConversationId}`, { name: profile.name ?? '', ...(profile.email ? { email: profile.email } : {}) })
  return id
}
