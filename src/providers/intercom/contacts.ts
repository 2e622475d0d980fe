/**
 * The end user as an Intercom contact: found by e-mail (lower-cased) or by the Botpress user id kept as `external_id`,
 * created otherwise. Intercom's search is eventually consistent, so a create can meet a 409 for a contact search did
 * not return yet: that ends in reusing the contact, never in an error the user would see.
 */
import { ProviderError } from '../../core/errors'
import type { ContactRef, CreateContactInput, CreateContactResult, ProviderDeps } from '../../core/types'
import { asId, isRecord, isWebUrl, str } from '../shared'
import { TITLE, type ContactJson, type IntercomApi } from './api'

export type Role = 'user' | 'lead'
type FoundContact = { id: string; role: Role }

/** After a 409 without an id: how long to wait before each new search (search is eventually consistent). */
export const CONFLICT_SEARCH_DELAYS_MS = [0, 750, 2000]

const roleOf = (contact: ContactJson): Role => (contact.role === 'lead' ? 'lead' : 'user')

/** "A contact matching those details already exists with id=…" → the id (a bounded scan, no pattern over the message). */
export const conflictContactId = (body: unknown): string | undefined => {
  const errors = isRecord(body) && Array.isArray(body.errors) ? body.errors : []
  for (const e of errors) {
    const message = isRecord(e) && typeof e.message === 'string' ? e.message.slice(0, 1000) : ''
    const at = message.indexOf('id=')
    if (at < 0 || (at > 0 && /[A-Za-z0-9_]/.test(message[at - 1]!))) continue
    const match = /^[A-Za-z0-9_-]{1,64}/.exec(message.slice(at + 3))
    if (match) return match[0]
  }
  return undefined
}

/** The role createContact saved with the contact (a lead opens conversations as a lead). */
export const contactRole = async (contact: ContactRef): Promise<Role> => {
  const data = await contact.data().catch(() => ({}) as Record<string, unknown>)
  return data.role === 'lead' ? 'lead' : 'user'
}

export type ContactsOptions = { sleep?: (ms: number) => Promise<void> }

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

export const createContacts = (api: IntercomApi, deps: ProviderDeps, options: ContactsOptions = {}) => {
  const sleep = options.sleep ?? realSleep

  const search = async (field: 'email' | 'external_id' | 'phone', value: string): Promise<FoundContact | undefined> => {
    const res = await api.searchContacts(field, value)
    const list = (Array.isArray(res.body?.data) ? res.body.data : []).filter((c) => asId(c.id))
    const matching =
      field === 'email' ? list.filter((c) => typeof c.email !== 'string' || c.email.toLowerCase() === value.toLowerCase()) : list
    const best = matching.find((c) => c.role === 'user') ?? matching[0]
    return best ? { id: asId(best.id)!, role: roleOf(best) } : undefined
  }

  /** POST /contacts; a 409 (the contact exists, search had not indexed it yet) ends in reusing that contact. */
  const create = async (body: Record<string, unknown>, findAgain?: () => Promise<FoundContact | undefined>): Promise<FoundContact> => {
    const res = await api.createContact(body)
    if (res.status !== 409) {
      const id = asId(res.body?.id)
      if (!id) throw new ProviderError(`${TITLE} created a contact but answered without its id`, { provider: TITLE, operation: 'create contact' })
      return { id, role: roleOf(res.body) }
    }
    const existing = conflictContactId(res.body)
    if (existing) {
      deps.logger.debug(`Intercom: the contact already exists (${existing}); reusing it`)
      return { id: existing, role: 'user' }
    }
    for (const delay of findAgain ? CONFLICT_SEARCH_DELAYS_MS : []) {
      if (delay) await sleep(delay)
      const found = await findAgain!()
      if (found) return found
    }
    throw new ProviderError(
      `${TITLE} answered 409 Conflict on create contact (the contact already exists) but its search does not find it yet: try again in a minute`,
      { provider: TITLE, status: 409, operation: 'create contact' }
    )
  }

  return {
    async createContact(input: CreateContactInput): Promise<CreateContactResult> {
      const email = str(input.email)?.toLowerCase()
      const externalId = str(input.botpressUserId)
      const profile = {
        role: 'user',
        name: input.name,
        ...(input.phone ? { phone: input.phone } : {}),
        ...(isWebUrl(input.pictureUrl) ? { avatar: input.pictureUrl } : {}),
      }
      let contact: FoundContact
      if (email) {
        const lookup = () => search('email', email)
        contact = (await lookup()) ?? (await create({ ...profile, email }, lookup))
      } else if (externalId) {
        const lookup = () => search('external_id', externalId)
        contact = (await lookup()) ?? (await create({ ...profile, external_id: externalId }, lookup))
      } else {
        // No address: a contact of its own (phone numbers are shared too often to merge people by them).
        contact = await create(profile)
      }
      return { id: contact.id, data: { role: contact.role } }
    },
  }
}
