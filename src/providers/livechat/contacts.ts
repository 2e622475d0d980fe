/**
 * End users as LiveChat customers: a new customer identity (cookie grant, ./auth.ts) with the user's name, e-mail,
 * phone and avatar; and, when LiveChat anonymized the customer's chat, a fresh identity for the same contact.
 */
import { ProviderError } from '../../core/errors'
import type { ContactProfile, ContactRef, CreateContactInput, CreateContactResult } from '../../core/types'
import { isWebUrl } from '../shared'
import { LivechatError } from './api'
import type { CredentialHolder, CustomerCredentials } from './auth'
import { credentialRecord, type Livechat } from './context'
import { maskEmail } from '../../core/log'

const profileBody = (p: ContactProfile): Record<string, unknown> => ({
  ...(p.name ? { name: p.name } : {}),
  ...(p.email ? { email: p.email } : {}),
  ...(isWebUrl(p.pictureUrl) ? { avatar: p.pictureUrl } : {}),
  ...(p.phone ? { session_fields: [{ phone: p.phone }] } : {}),
})

/** A LiveChat error may echo what it refused: the e-mail address and phone number never reach an error or a log. */
const withoutPersonalData = (error: unknown, p: ContactProfile): unknown => {
  if (!(error instanceof ProviderError)) return error
  let message = error.message
  if (p.email) message = message.split(p.email).join(maskEmail(p.email))
  if (p.phone) message = message.split(p.phone).join('[phone]')
  if (message === error.message) return error
  return error instanceof LivechatError ? new LivechatError(message, error.details, error.errorType, error.data) : new ProviderError(message, error.details)
}

/** A brand-new customer identity with the profile set on it. Not persisted here: the caller saves the credentials. */
const newCustomer = async (lc: Livechat, profile: ContactProfile): Promise<CustomerCredentials> => {
  let credentials = await lc.withRedirectUri((uri) => lc.auth.mint(uri))
  const holder: CredentialHolder = { load: async () => credentials, save: async (c) => void (credentials = c) }
  const body = profileBody(profile)
  if (Object.keys(body).length > 0) {
    try {
      await lc.customerCall(holder, 'update_customer', body, { idempotent: true })
    } catch (error) {
      throw withoutPersonalData(error, profile)
    }
  }
  return credentials
}

export const createContact = async (lc: Livechat, input: CreateContactInput): Promise<CreateContactResult> => {
  const credentials = await newCustomer(lc, input)
  // The core saves `data` with the contact once this returns.
  return { id: credentials.customerId, data: credentialRecord(credentials) }
}

/**
 * The contact's LiveChat customer can no longer chat (its chat was anonymized, or LiveChat refuses it): a new customer
 * identity with the same profile, saved in the contact's data (the Botpress user keeps its tag; `customerId` in the
 * data names the customer from now on) and the old chat forgotten.
 */
export const replaceCustomer = async (lc: Livechat, contact: ContactRef): Promise<void> => {
  const profile = await contact.profile().catch((): ContactProfile => ({}))
  const credentials = await newCustomer(lc, profile)
  await contact.saveData({ ...credentialRecord(credentials), chatId: null })
  lc.deps.logger.info(`LiveChat: the end user continues as a new LiveChat customer (${credentials.customerId}); the previous one can no longer chat`)
}
