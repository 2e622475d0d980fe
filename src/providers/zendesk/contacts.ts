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

export const createContact = async (api: ZendeskApi, input: CreateContactInput): Promise<CreateContactResult> => {
  const externalId = externalIdOf(input)
  const givenName = Array.from(input.name.trim()).slice(0, MAX_PROFILE).join('')
  const email = input.email && input.email.length <= MAX_PROFILE ? input.email : undefined
  const profile = {
    ...(givenName ? { givenName } : {}),
    ...(email ? { email } : {}),
    ...(isWebUrl(input.pictureUrl, 2048) ? { avatarUrl: input.pictureUrl } : {}),
  }
  const created = await api.call({ method: 'POST', path: 'users', json: { externalId, profile }, okStatuses: [409], operation: 'CreateUser' })
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
