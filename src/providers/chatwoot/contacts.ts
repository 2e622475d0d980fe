/**
 * End users as Chatwoot contacts: found by e-mail (or by `identifier`, the Botpress user id) or created in the
 * integration's API inbox. Creating a contact with `inbox_id` also creates its contact_inbox, whose `source_id`
 * identifies the contact's session in that inbox ([CW] app/views/api/v1/accounts/contacts/create.json.jbuilder); for a
 * contact found instead, the link is made when the first conversation is created with `contact_id` + `inbox_id` +
 * `source_id` ([CW] conversations_controller.rb `build_contact_inbox`).
 */
import { randomUUID } from 'node:crypto'
import { ProviderError } from '../../core/errors'
import type { CreateContactInput, CreateContactResult } from '../../core/types'
import { asId, isRecord, isWebUrl, str } from '../shared'
import { describeError, TITLE, unwrap, type ChatwootApi } from './api'

type Found = { id: string; sourceId?: string }

const MAX_NAME = 255
/** Chatwoot validates phone numbers as E.164 ([CW] app/models/contact.rb). */
const E164 = /^\+[1-9]\d{1,14}$/

/** The source id of the contact's contact_inbox in `inboxId`, from a contact or a create answer. */
const sourceIdIn = (body: unknown, inboxId: string): string | undefined => {
  const payload = unwrap(body)
  if (!isRecord(payload)) return undefined
  const direct = isRecord(payload.contact_inbox) ? payload.contact_inbox : undefined
  if (direct && str(direct.source_id)) {
    const inbox = isRecord(direct.inbox) ? asId(direct.inbox.id) : asId(direct.inbox_id)
    if (!inbox || inbox === inboxId) return str(direct.source_id)
  }
  const contact = isRecord(payload.contact) ? payload.contact : payload
  const links = Array.isArray(contact.contact_inboxes) ? contact.contact_inboxes.filter(isRecord) : []
  const link = links.find((l) => (isRecord(l.inbox) ? asId(l.inbox.id) : asId(l.inbox_id)) === inboxId)
  return link ? str(link.source_id) : undefined
}

const contactIdOf = (body: unknown): string | undefined => {
  const payload = unwrap(body)
  if (!isRecord(payload)) return undefined
  return asId(isRecord(payload.contact) ? payload.contact.id : payload.id)
}

export const createContacts = (api: ChatwootApi, inboxId: () => Promise<string>) => {
  /** Exact match on a field among the search results (the search matches parts of name, e-mail, phone, identifier). */
  const search = async (field: 'email' | 'identifier', value: string, inbox: string): Promise<Found | undefined> => {
    const res = await api.call({ path: 'contacts/search', searchParams: { q: value }, operation: 'search contacts' })
    const list = (Array.isArray(unwrap(res.body)) ? (unwrap(res.body) as unknown[]) : []).filter(isRecord)
    const match = list.find((c) => {
      const actual = str(c[field])
      return !!actual && (field === 'email' ? actual.toLowerCase() === value : actual === value) && asId(c.id)
    })
    return match ? { id: asId(match.id)!, sourceId: sourceIdIn(match, inbox) } : undefined
  }

  const createNew = async (input: CreateContactInput, inbox: string, email?: string, identifier?: string): Promise<Found> => {
    const phone = input.phone && E164.test(input.phone) ? input.phone : undefined
    const body = {
      inbox_id: Number(inbox),
      name: input.name.slice(0, MAX_NAME),
      ...(email ? { email } : {}),
      ...(phone ? { phone_number: phone } : {}),
      ...(identifier ? { identifier } : {}),
      ...(isWebUrl(input.pictureUrl, 2000) ? { avatar_url: input.pictureUrl } : {}),
    }
    const res = await api.call({ method: 'POST', path: 'contacts', json: body, okStatuses: [422], operation: 'create contact' })
    if (res.status === 422) {
      // Taken e-mail or identifier: created meanwhile (another instance, another channel). Reuse it.
      const again = email ? await search('email', email, inbox) : identifier ? await search('identifier', identifier, inbox) : undefined
      if (again) return again
      const why = describeError(res.body)
      throw new ProviderError(`${TITLE} refused to create the contact (422)${why ? `: ${why}` : ''}`, { provider: TITLE, status: 422, operation: 'create contact' })
    }
    const id = contactIdOf(res.body)
    if (!id) throw new ProviderError(`${TITLE} created a contact but answered without its id`, { provider: TITLE, operation: 'create contact' })
    return { id, sourceId: sourceIdIn(res.body, inbox) }
  }

  return {
    async createContact(input: CreateContactInput): Promise<CreateContactResult> {
      const inbox = await inboxId()
      const email = input.email?.trim().toLowerCase() || undefined
      const identifier = input.botpressUserId?.trim() || undefined
      const found = email ? await search('email', email, inbox) : identifier ? await search('identifier', identifier, inbox) : undefined
      const contact = found ?? (await createNew(input, inbox, email, identifier))
      // A session id of our own for a found contact not linked to the inbox yet: the first conversation links it.
      return { id: contact.id, data: { sourceId: contact.sourceId ?? `botpress-${randomUUID()}` } }
    },
  }
}

export type ChatwootContacts = ReturnType<typeof createContacts>
