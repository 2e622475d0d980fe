/**
 * Phone numbers into E.164 with libphonenumber-js (its "min" metadata, shipped without formatting rules: see
 * scripts/phone-metadata.mjs). Loaded by ./contacts.ts on first use only: the metadata is a large object literal.
 */
import { isSupportedCountry, parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/min'

export type PhoneResult = { ok: true; e164: string } | { ok: false; reason: string }

/** A phone number in E.164 (what HubSpot expects of HS_PHONE_NUMBER), or why it cannot be one. */
export const toE164 = (raw: string, defaultCountry?: string): PhoneResult => {
  const text = raw.trim()
  if (!text || text.length > 40) return { ok: false, reason: 'it is not a phone number' }
  // "+…" and the ITU international prefix "00…" carry their country code; anything else is national.
  const international = text.startsWith('+') ? text : text.startsWith('00') ? `+${text.slice(2)}` : undefined
  const country = defaultCountry?.trim().toUpperCase()
  let region: CountryCode | undefined
  if (!international) {
    if (!country) return { ok: false, reason: 'it has no country code and hubspot.defaultPhoneCountry is not set' }
    if (!isSupportedCountry(country)) return { ok: false, reason: `hubspot.defaultPhoneCountry "${country.slice(0, 8)}" is not a country libphonenumber knows` }
    region = country
  }
  const parsed = parsePhoneNumberFromString(international ?? text, region)
  if (!parsed || !parsed.isPossible()) {
    return { ok: false, reason: international ? 'it is not a possible international number' : `it is not a possible number of ${country}` }
  }
  return { ok: true, e164: parsed.number }
}

