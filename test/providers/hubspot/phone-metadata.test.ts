/**
 * The bundle carries libphonenumber-js's "min" metadata without its formatting rules (scripts/phone-metadata.mjs,
 * applied by scripts/bundle.mjs). Parsing must not notice: every country's example number, written the ways an end
 * user writes it (national, with the national prefix, +code, 00code, one digit short or long), parses to the same
 * E.164 number and the same isPossible() as with the full "min" metadata, the way src/providers/hubspot/contacts.ts
 * calls it.
 */
import { getCountryCallingCode, parsePhoneNumberFromString, type CountryCode, type MetadataJson } from 'libphonenumber-js/core'
import examples from 'libphonenumber-js/examples.mobile.json'
import full from 'libphonenumber-js/metadata.min.json'
import { withoutFormats } from '../../../scripts/phone-metadata.mjs'

const trimmed = withoutFormats(full as unknown as Parameters<typeof withoutFormats>[0]) as unknown as MetadataJson
const metadata = full as unknown as MetadataJson

const answer = (text: string, country: CountryCode | undefined, m: MetadataJson) => {
  const parsed = parsePhoneNumberFromString(text, { defaultCountry: country }, m)
  return parsed ? { number: parsed.number, possible: parsed.isPossible(), country: parsed.country } : undefined
}

const spellings = (country: CountryCode, national: string): Array<[string, CountryCode | undefined]> => {
  const code = getCountryCallingCode(country, metadata)
  const prefix = (full as unknown as { countries: Record<string, unknown[]> }).countries[country]![5]
  return [
    [national, country],
    [typeof prefix === 'string' ? `${prefix}${national}` : national, country],
    [`+${code}${national}`, undefined],
    [`+${code} ${national.slice(0, 3)} ${national.slice(3)}`, undefined],
    [`+${code}${national.slice(0, -1)}`, undefined],
    [`+${code}${national}9`, undefined],
    [`${national.slice(0, -1)}`, country],
  ]
}

describe('phone metadata without formats (the bundle’s) parses like the full "min" metadata', () => {
  const countries = Object.keys(examples) as CountryCode[]

  it('covers every country with an example', () => {
    expect(countries.length).toBeGreaterThan(240)
  })

  it('removes the formats, and only them (smaller by more than half)', () => {
    expect(JSON.stringify(trimmed).length).toBeLessThan(JSON.stringify(full).length / 2)
    const f = full as unknown as { countries: Record<string, unknown[]> }
    const t = trimmed as unknown as { countries: Record<string, unknown[]> }
    for (const c of Object.keys(f.countries)) expect(t.countries[c]!.filter((_, i) => i !== 4)).toEqual(f.countries[c]!.filter((_, i) => i !== 4))
  })

  it.each(countries.map((c) => [c]))('%s', (country) => {
    const national = (examples as Record<string, string>)[country]!
    expect(answer(`+${getCountryCallingCode(country, metadata)}${national}`, undefined, trimmed)?.possible).toBe(true)
    for (const [text, region] of spellings(country, national)) {
      expect({ text, ...answer(text, region, trimmed) }).toEqual({ text, ...answer(text, region, metadata) })
    }
  })
})
