/**
 * Which HubSpot conversation threads are ours. App webhooks are app-wide: every assignment or status change in
 * every inbox of the portal reaches us. A thread this integration opened is recorded when it opens; any other thread
 * is looked up once on HubSpot (its `originalChannelId`) and the verdict kept, so that foreign traffic costs no
 * Botpress request and at most one HubSpot request per foreign thread and process.
 */
import { createCache } from '../../core/cache'

export type Ownership = 'ours' | 'foreign'

const verdicts = createCache<Ownership>({ name: 'hubspot thread ownership', max: 20_000, ttlMs: 24 * 3600 * 1000 })

export const threadOwnership = (scope: string) => ({
  get: (threadId: string) => verdicts.get(`${scope}:${threadId}`),
  set: (threadId: string, verdict: Ownership) => verdicts.set(`${scope}:${threadId}`, verdict),
})
