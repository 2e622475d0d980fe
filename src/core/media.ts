/**
 * The one way an adapter downloads a URL it did not build itself (media an end user or an agent names).
 *
 * CONTRACT (stable; adapters code against it):
 * - `fetchMedia(url, { maxBytes, timeoutMs? })` never throws; it answers `{ ok: true, body, contentType, fileName }`
 *   or `{ ok: false, reason, transient }`. `reason` never contains the URL's query string.
 * - http(s) only; every resolved address checked against private/loopback/link-local/… ranges before connecting and on
 *   every redirect (at most 3), the connection made to the checked address; `HITL_MEDIA_ALLOW_HOSTS` opens named
 *   hosts (`host` or `host:port`, comma-separated) for local development and tests.
 * - streamed and cut at `maxBytes` while it arrives, no content decoding, one attempt, one deadline for the whole download.
 * - on `ok: false` the adapter degrades the message to a titled link (the message is never lost) and logs `reason`.
 */
export type MediaFetchOptions = {
  /** Hard cap: the provider's own upload limit, 10 MB when it documents none. */
  maxBytes: number
  /** Deadline for the whole download (default 10 s). */
  timeoutMs?: number
}

export type MediaFetchResult =
  | { ok: true; body: Buffer; contentType?: string; fileName?: string }
  | {
      ok: false
      reason: string
      /** The failure may pass (timeout, 5xx, reset) as opposed to a refusal (bad scheme, private address, too large, 4xx). */
      transient: boolean
    }

export type MediaFetcher = (url: string, options: MediaFetchOptions) => Promise<MediaFetchResult>

export const DEFAULT_MEDIA_MAX_BYTES = 10 * 1024 * 1024

/** The URL without query string or fragment, for logs and reasons. */
export const describeUrl = (url: string): string => {
  try {
    const u = new URL(url)
    return `${u.protocol}//${u.host}${u.pathname}`.slice(0, 300)
  } catch {
    return '(not a URL)'
  }
}

/**
 * PLACEHOLDER implementation, replaced by the safe fetcher (issue: untrusted URLs). Refuses non-http(s) schemes and
 * buffers with a size check only.
 */
export const fetchMedia: MediaFetcher = async (url, options) => {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return { ok: false, reason: 'not a URL', transient: false }
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    return { ok: false, reason: `scheme ${parsed.protocol} refused`, transient: false }
  }
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(options.timeoutMs ?? 10_000) })
    if (!response.ok) return { ok: false, reason: `${describeUrl(url)} answered ${response.status}`, transient: response.status >= 500 }
    const body = Buffer.from(await response.arrayBuffer())
    if (body.length > options.maxBytes) return { ok: false, reason: `larger than ${options.maxBytes} bytes`, transient: false }
    return { ok: true, body, contentType: response.headers.get('content-type') ?? undefined }
  } catch (error) {
    return { ok: false, reason: `${describeUrl(url)} could not be downloaded (${(error as Error).name})`, transient: true }
  }
}
