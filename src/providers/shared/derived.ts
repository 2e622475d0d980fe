/**
 * A pure derivation of configuration text (a fingerprint of a token, a key), computed once per input on a warm
 * instance instead of once per request: adapters are built for every request, from the same configuration. Bounded;
 * in memory only (inputs and outputs may be secret: never logged).
 */
import { createCache } from '../../core/cache'

export const derivedOnce = (name: string, derive: (input: string) => string, max = 16): ((input: string) => string) => {
  const cache = createCache<string>({ name, max })
  return (input) => cache.get(input) ?? cache.set(input, derive(input))
}
