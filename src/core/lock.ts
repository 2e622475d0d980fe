/**
 * Runs tasks with the same key one after another (within this instance): concurrent deliveries of one session's
 * webhooks are applied in arrival order, and an idempotency check cannot race its own write. The tails live in a
 * bounded cache (an entry exists only while its key has work queued).
 */
import { createCache } from './cache'

const tails = createCache<Promise<unknown>>({ name: 'engine.locks', max: 10_000 })

export const withKeyLock = async <T>(key: string, task: () => Promise<T>): Promise<T> => {
  const previous = tails.get(key) ?? Promise.resolve()
  const run = previous.then(task, task)
  const tail = run.catch(() => undefined)
  tails.set(key, tail)
  try {
    return await run
  } finally {
    if (tails.get(key) === tail) tails.delete(key)
  }
}
