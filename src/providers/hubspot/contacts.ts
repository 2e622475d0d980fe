/**
 * The end user on HubSpot's side: the CRM contact (found by e-mail or phone, else created when the app may) and the
 * delivery identifier the custom channel publishes their messages with (HS_EMAIL_ADDRESS, HS_PHONE_NUMBER in E.164,
 * else an opaque id pinned to the contact). Phone numbers are parsed with libphonenumber-js: a number written
 * without a country code uses `hubspot.defaultPhoneCountry`, and without it is not used at all (a country code is
 * never guessed). No error or log line carries a full e-mail address or phone number.
 */
import { createCache } from '../../core/cache'
import { HitlError, ProviderError } from '../../core/errors'
import { maskEmail } from '../../core/log'
import type { ContactRef, CreateContactInput, Data, ProviderDeps } from '../../core/types'
import { asId, isRecord, own, str } from '../shared'
import { TITLE, type HubspotApi } from './api'
import type { HubspotConfig } from './config'
import type { PhoneResult } from './phone'

const IDENTIFIER_TYPES = { HS_EMAIL_ADDRESS: true, HS_PHONE_NUMBER: true, CHANNEL_SPECIFIC_OPAQUE_ID: true } as const
export type DeliveryIdentifier = { type: keyof typeof IDENTIFIER_TYPES; value: string }
export type Identity = { id: string; name?: string; deliveryIdentifier: DeliveryIdentifier }

const isIdentifier = (v: unknown): v is DeliveryIdentifier => isRecord(v) && own(IDENTIFIER_TYPES, v.type) === true && typeof v.value === 'string'

export type { PhoneResult } from './phone'

/**
 * A phone number in E.164 (what HubSpot expects of HS_PHONE_NUMBER), or why it cannot be one. libphonenumber-js and its
 * metadata (./phone.ts) are evaluated the first time a number is parsed, not when the adapter loads: a webhook never
 * needs them.
 */
export const toE164 = (raw: string, defaultCountry?: string): PhoneResult => (require('./phone') as typeof import('./phone')).toE164(raw, defaultCountry)

const splitName = (name: string) => {
  const parts = name.trim().split(/\s+/).filter(Boolean)
  return { firstname: parts[0] ?? '', lastname: parts.slice(1).join(' ') }
}

/** Each contact's identity on the channel, per process (it never changes once written). */
const identities = createCache<Identity>({ name: 'hubspot contact identities', max: 5000 })

export const createContacts = (config: HubspotConfig, api: HubspotApi, deps: ProviderDeps, scope: string) => {
  const { logger } = deps

  const phoneOf = (raw: string | undefined): string | undefined => {
    if (!raw) return undefined
    const result = toE164(raw, config.defaultPhoneCountry)
    if (result.ok) return result.e164
    logger.warn(`the end user's phone number is not used for HubSpot: ${result.reason}`)
    return undefined
  }

  const opaque = (id: string): DeliveryIdentifier => ({ type: 'CHANNEL_SPECIFIC_OPAQUE_ID', value: `botpress-contact-${id}` })

  /** What createContact learnt, remembered as the contact's identity on the channel. */
  const result = (id: string, name: string, identifier: DeliveryIdentifier | undefined) => {
    identities.set(`${scope}:${id}`, { id, name, deliveryIdentifier: identifier ?? opaque(id) })
    const data: Data = identifier ? { deliveryIdentifier: identifier } : {}
    return { id, data }
  }

  /** A provider error about this end user, with their phone number taken out (e-mails are masked by the redactor). */
  const withoutPhone = (error: unknown, values: string[]) => {
    if (!(error instanceof ProviderError)) return error
    let message = error.message
    for (const v of values) if (v.length >= 4) message = message.split(v).join('[phone]')
    return message === error.message ? error : new ProviderError(message, error.details)
  }

  const createContact = async (input: CreateContactInput) => {
    const phone = input.email ? undefined : phoneOf(input.phone)
    const identifier: DeliveryIdentifier | undefined = input.email
      ? { type: 'HS_EMAIL_ADDRESS', value: input.email }
      : phone
        ? { type: 'HS_PHONE_NUMBER', value: phone }
        : undefined
    const phones = [...new Set([phone, input.phone?.trim()].filter((v): v is string => !!v))]
    try {
      if (identifier) {
        const filterGroups =
          identifier.type === 'HS_EMAIL_ADDRESS'
            ? [{ filters: [{ propertyName: 'email', operator: 'EQ', value: identifier.value }] }]
            : phones.flatMap((value) => ['phone', 'mobilephone'].map((propertyName) => ({ filters: [{ propertyName, operator: 'EQ', value }] })))
        const res = await api.bearer<{ results?: Array<{ id: unknown }> }>({
          method: 'POST',
          path: 'crm/v3/objects/contacts/search',
          json: { filterGroups, properties: ['email', 'firstname', 'lastname', 'phone', 'mobilephone'], limit: 1, after: '0', sorts: [] },
          idempotent: true,
          okStatuses: [403],
          operation: 'search contact',
        })
        if (res.status === 403) {
          throw new HitlError(`HubSpot refused to search contacts: grant the app the crm.objects.contacts.read scope and authorize it again (${refusal(res.body)})`)
        }
        const found = asId(res.body?.results?.[0]?.id)
        if (found) return result(found, input.name, identifier)
      }

      // Not in the CRM: created when the app may (scope crm.objects.contacts.write), otherwise a clear error.
      const res = await api.bearer<{ id?: unknown; message?: unknown }>({
        method: 'POST',
        path: 'crm/v3/objects/contacts',
        json: {
          properties: {
            ...splitName(input.name),
            ...(identifier?.type === 'HS_EMAIL_ADDRESS' ? { email: identifier.value } : {}),
            ...(identifier?.type === 'HS_PHONE_NUMBER' ? { phone: identifier.value } : {}),
          },
          associations: [],
        },
        okStatuses: [403, 409],
        operation: 'create contact',
      })
      if (res.status === 409) {
        const existing = /Existing ID:\s{0,3}(\d{1,20})/i.exec(String(str(res.body?.message) ?? '').slice(0, 500))?.[1]
        if (existing) return result(existing, input.name, identifier)
        throw new ProviderError(`${TITLE} says the contact already exists but did not name it; try again in a few seconds`, { provider: TITLE, status: 409, operation: 'create contact' })
      }
      if (res.status === 403) {
        const what = !identifier ? undefined : identifier.type === 'HS_EMAIL_ADDRESS' ? `the e-mail address ${maskEmail(identifier.value)}` : 'this phone number'
        throw new HitlError(
          what
            ? `No HubSpot contact has ${what}. Create the contact in HubSpot first, or grant the app the crm.objects.contacts.write scope so that missing contacts are created.`
            : 'HubSpot needs the end user\'s e-mail address or phone number (createUser "email" input) to find the CRM contact; ' +
                'or grant the app the crm.objects.contacts.write scope so that a contact is created from the name.'
        )
      }
      const id = asId(res.body?.id)
      if (!id) throw new ProviderError(`${TITLE} created the contact without answering its id`, { provider: TITLE, operation: 'create contact' })
      logger.info(`created HubSpot contact ${id}`)
      return result(id, input.name, identifier)
    } catch (error) {
      throw withoutPhone(error, phones)
    }
  }

  const refusal = (body: unknown) => logger.redact(isRecord(body) ? (str(body.message)?.slice(0, 300) ?? 'forbidden') : 'forbidden')

  /** The end user as a channel participant: their e-mail or phone (from createUser), else an opaque id. */
  const identity = async (contact: ContactRef, known?: Identity): Promise<Identity> => {
    if (known && known.id === contact.id) return known
    const cached = identities.get(`${scope}:${contact.id}`)
    if (cached) return cached
    const [data, profile] = await Promise.all([contact.data(), contact.profile()])
    const stored = isIdentifier(data.deliveryIdentifier) ? data.deliveryIdentifier : undefined
    const phone = stored || profile.email ? undefined : phoneOf(profile.phone)
    const deliveryIdentifier: DeliveryIdentifier =
      stored ?? (profile.email ? { type: 'HS_EMAIL_ADDRESS', value: profile.email } : phone ? { type: 'HS_PHONE_NUMBER', value: phone } : opaque(contact.id))
    return identities.set(`${scope}:${contact.id}`, { id: contact.id, name: profile.name, deliveryIdentifier })
  }

  return { createContact, identity, opaque }
}

export type Contacts = ReturnType<typeof createContacts>
