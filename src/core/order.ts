/**
 * The order of a session's assignments and closes, kept in two conversation tags the engine reads and writes anyway
 * (no extra Botpress round trip):
 * - `lastEventAt`: when the last assignment or close the session applied happened (the provider's event time or the
 *   signed timestamp; for an event that carries none, the time it was applied). An event older than that is a replay.
 * - `lastEventProofs`: short digests of the proofs (a signature, a signed delivery or event id) of the events applied
 *   *at* that time. Time cannot order two events that tie (a protocol signing in whole seconds), so an event at the same
 *   time whose proof was already applied is a replay too; a new proof at that time is applied and remembered. The list
 *   is reset when the time advances, so it only ever holds what happened in one tick.
 */
import { sha256 } from './crypto'
import { LIMITS } from './limits'

/** Hex characters kept of each proof's SHA-256: 64 bits, so two different proofs in one tick never collide in practice. */
export const PROOF_DIGEST_CHARS = 16
/** Digests remembered for one tick: 24 × 17 − 1 = 407 characters, within a tag value (500). Oldest forgotten first. */
export const MAX_TIED_PROOFS = 24

export type OrderTags = { lastEventAt?: string; lastEventProofs?: string }

/** The digest the engine remembers of a proof identity an adapter handed over (any length, any characters). */
export const proofDigest = (proof: string | undefined): string | undefined =>
  proof ? sha256(proof).slice(0, PROOF_DIGEST_CHARS) : undefined

const DIGEST = new RegExp(`^[0-9a-f]{${PROOF_DIGEST_CHARS}}$`)

/** The digests a tag holds; anything that is not one of ours (hand-edited, truncated) is dropped, never trusted. */
const proofsOf = (tag: string | undefined): string[] =>
  (tag ?? '').length > LIMITS.tagValue ? [] : (tag ?? '').split(' ').filter((d) => DIGEST.test(d))

const timeOf = (tag: string | undefined): number => (tag && /^\d{1,16}$/.test(tag) ? Number(tag) : NaN)

const finite = (at: number | undefined): at is number => at !== undefined && Number.isFinite(at)

/**
 * Whether an event was already applied or is older than what was: older than `lastEventAt`, or at that very time with
 * a proof already remembered for it.
 */
export const isReplay = (tags: Record<string, string | undefined>, at: number | undefined, proof: string | undefined): boolean => {
  if (!finite(at)) return false
  const last = timeOf(tags.lastEventAt)
  if (!Number.isFinite(last)) return false
  const when = Math.trunc(at)
  if (when < last) return true
  const digest = proofDigest(proof)
  return when === last && digest !== undefined && proofsOf(tags.lastEventProofs).includes(digest)
}

/** The ordering tags to write with an applied event (`at` absent: the time it is applied). */
export const orderTags = (tags: Record<string, string | undefined>, at: number | undefined, proof: string | undefined): OrderTags => {
  const when = Math.trunc(finite(at) ? at : Date.now())
  const digest = proofDigest(proof)
  const same = when === timeOf(tags.lastEventAt)
  const kept = same ? proofsOf(tags.lastEventProofs) : []
  const proofs = digest && !kept.includes(digest) ? [...kept, digest].slice(-MAX_TIED_PROOFS) : kept
  // An empty value removes the tag (Botpress's rule for tag updates).
  return { lastEventAt: String(when), lastEventProofs: proofs.join(' ') }
}
