// libphonenumber-js's "min" metadata without the formatting rules: the integration parses numbers into E.164 and asks
// `isPossible()` (src/providers/hubspot/contacts.ts), which never formats. The formats are 49 KB of the 83 KB of the
// metadata; parsing reads the calling codes, national prefixes, leading digits, patterns and possible lengths, all kept.
// test/providers/hubspot/phone-metadata.test.ts proves parsing gives the same answers with and without them.

/** The metadata layout this trims (libphonenumber-js 1.13 "min" metadata, `version: 4`, formats at index 4). */
export const METADATA_VERSION = 4
const FORMATS = 4

export const withoutFormats = (metadata) => {
  if (metadata.version !== METADATA_VERSION) {
    throw new Error(`libphonenumber-js metadata version ${metadata.version}: scripts/phone-metadata.mjs knows version ${METADATA_VERSION} only, check where its formats are`)
  }
  const trim = (plans) =>
    Object.fromEntries(
      Object.entries(plans).map(([key, plan]) => {
        if (!Array.isArray(plan)) throw new Error(`libphonenumber-js metadata: ${key} is not an array`)
        // A plan without formats has 0 or nothing there; anything else at that index means the layout changed.
        if (plan.length <= FORMATS || plan[FORMATS] === 0) return [key, plan]
        if (!Array.isArray(plan[FORMATS])) throw new Error(`libphonenumber-js metadata: ${key} has no formats at index ${FORMATS}`)
        const copy = [...plan]
        copy[FORMATS] = 0
        return [key, copy]
      })
    )
  return { ...metadata, countries: trim(metadata.countries), nonGeographic: trim(metadata.nonGeographic ?? {}) }
}
