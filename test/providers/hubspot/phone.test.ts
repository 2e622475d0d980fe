/**
 * Phone numbers: HubSpot's HS_PHONE_NUMBER delivery identifier and CRM `phone` take international (E.164) numbers.
 * A national number ("(555) 123-4567") is never given an invented country code: it uses the configured
 * `hubspot.defaultPhoneCountry` (ISO 3166 alpha-2) or is not used at all, with a log line that says why and does
 * not carry the number.
 */
import { hubspotConfigSchema } from '../../../src/providers/hubspot/config'
import { toE164 } from '../../../src/providers/hubspot/contacts'
import { contactRef, makeAdapter, transcript, useHubspotFake, WEBHOOK_URL } from './harness'

describe('toE164', () => {
  it('keeps the country code a number carries (+ or the ITU 00 prefix)', () => {
    expect(toE164('+44 20 7946 0958')).toEqual({ ok: true, e164: '+442079460958' })
    expect(toE164('0044 20 7946 0958')).toEqual({ ok: true, e164: '+442079460958' })
    expect(toE164('+1 (415) 555-0123', 'FR')).toEqual({ ok: true, e164: '+14155550123' })
  })

  it('never invents one: a national number without a default country is not a phone', () => {
    const result = toE164('(555) 123-4567')
    expect(result).toEqual({ ok: false, reason: 'it has no country code and hubspot.defaultPhoneCountry is not set' })
    // the old behaviour, "+5551234567", is a valid-looking wrong number
    expect(JSON.stringify(result)).not.toContain('5551234567')
  })

  it('uses the configured default country for national numbers', () => {
    expect(toE164('(415) 555-0123', 'US')).toEqual({ ok: true, e164: '+14155550123' })
    expect(toE164('06 12 34 56 78', 'fr')).toEqual({ ok: true, e164: '+33612345678' })
  })

  it('refuses what cannot be a number, and an unknown default country', () => {
    expect(toE164('12', 'US')).toMatchObject({ ok: false })
    expect(toE164('+1 2')).toMatchObject({ ok: false })
    expect(toE164('x'.repeat(100), 'US')).toMatchObject({ ok: false })
    expect(toE164('(415) 555-0123', 'ZZ')).toMatchObject({ ok: false, reason: expect.stringMatching(/not a country/) })
  })
})

it('the configuration accepts an ISO 3166 alpha-2 default country only', () => {
  const base = { developerApiKey: 'k', appId: '1', clientId: 'c', clientSecret: 's', refreshToken: 'r', helpDeskId: '1' }
  expect(hubspotConfigSchema.safeParse(base).success).toBe(true)
  expect(hubspotConfigSchema.safeParse({ ...base, defaultPhoneCountry: 'US' }).success).toBe(true)
  expect(hubspotConfigSchema.safeParse({ ...base, defaultPhoneCountry: 'USA' }).success).toBe(false)
  expect(hubspotConfigSchema.safeParse({ ...base, defaultPhoneCountry: '+1' }).success).toBe(false)
})

describe('createContact and the channel identity', () => {
  const fake = useHubspotFake()

  const open = async (made: ReturnType<typeof makeAdapter>, phone: string, conversation: string) => {
    await made.adapter.connect({ webhookUrl: WEBHOOK_URL })
    const contact = await made.adapter.createContact({ name: 'Bob Stone', phone })
    await made.adapter.openSession({ botpressConversationId: conversation, contact: contactRef(contact.id, { name: 'Bob Stone', phone }, contact.data), extras: {}, transcript: transcript() })
    return { contact, thread: fake.thread(`bp-${conversation}`)! }
  }

  it('a national number without a default country: no phone anywhere (contact by name, opaque identity), and the log says why without the number', async () => {
    const made = makeAdapter(fake)
    const { contact, thread } = await open(made, '(555) 123-4567', 'conv_nat')
    expect(fake.count('searchContacts')).toBe(0)
    expect(fake.contacts().find((c) => c.id === contact.id)).toMatchObject({ name: 'Bob Stone', phone: undefined })
    expect(thread.messages[0]!.senders[0]!.deliveryIdentifier).toEqual({ type: 'CHANNEL_SPECIFIC_OPAQUE_ID', value: `botpress-contact-${contact.id}` })
    const log = made.logs.join('\n')
    expect(log).toMatch(/phone number is not used for HubSpot: it has no country code and hubspot\.defaultPhoneCountry is not set/)
    expect(log).not.toMatch(/555|4567/)
  })

  it('with hubspot.defaultPhoneCountry, the national number becomes E.164 for the search, the contact and the channel', async () => {
    const made = makeAdapter(fake, { config: { defaultPhoneCountry: 'US' } })
    const { contact, thread } = await open(made, '(415) 555-0123', 'conv_us')
    const filters = (fake.callsOf('searchContacts')[0]!.body as { filterGroups: Array<{ filters: Array<{ value: string }> }> }).filterGroups.map((g) => g.filters[0]!.value)
    expect(filters).toContain('+14155550123')
    expect(fake.contacts().find((c) => c.id === contact.id)?.phone).toBe('+14155550123')
    expect(thread.messages[0]!.senders[0]!.deliveryIdentifier).toEqual({ type: 'HS_PHONE_NUMBER', value: '+14155550123' })
  })
})
