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
 *
 * Why node's http/https and not the API client (got) or fetch: the connection must go to the address that was checked.
 * The request gets a `lookup` that answers the pinned, checked address, so no second DNS answer (rebinding) is ever
 * used, while the Host header and TLS SNI/certificate check keep the real host name.
 */
import { promises as dnsPromises } from 'node:dns'
import * as http from 'node:http'
import * as https from 'node:https'
import { isIP, type LookupFunction } from 'node:net'
import { allowList, isAllowListed, refusedAddressReason, stripBrackets, type AllowEntry } from './address-policy'
import { fileNameFromDisposition, fileNameFromUrl } from './media-names'

export { refusedAddressReason } from './address-policy'
export { fileNameFromDisposition } from './media-names'

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
export const DEFAULT_MEDIA_TIMEOUT_MS = 10_000
export const MEDIA_MAX_REDIRECTS = 3
/** The environment variable naming hosts (`host` or `host:port`, comma-separated) reachable on non-public addresses. */
export const MEDIA_ALLOW_HOSTS_ENV = 'HITL_MEDIA_ALLOW_HOSTS'

/** The URL without query string or fragment, for logs and reasons. */
export const describeUrl = (url: string): string => {
  try {
    // Parsed from its first 4,000 characters: the description keeps 300, and parsing is linear in what it is given.
    const u = new URL(String(url).slice(0, 4_000))
    return `${u.protocol}//${u.host}${u.pathname}`.slice(0, 300)
  } catch {
    return '(not a URL)'
  }
}

// ── The fetcher ─────────────────────────────────────────────────────────────────────────────────────────────────────

export type LookupAddress = { address: string; family: number }
/** Every address a host name resolves to. */
export type MediaLookup = (hostname: string) => Promise<LookupAddress[]>

export type MediaTimers = {
  setTimeout: (callback: () => void, ms: number) => unknown
  clearTimeout: (handle: unknown) => void
}

export type MediaFetcherOptions = {
  /** Resolves host names (default: the system resolver, every address). */
  lookup?: MediaLookup
  /** Arms the whole-download deadline (default: the global timers). */
  timers?: MediaTimers
  /** Deadline when a call names none (default 10 s). */
  defaultTimeoutMs?: number
  /** The allow list's raw value, read at every call (default: `process.env.HITL_MEDIA_ALLOW_HOSTS`). */
  allowHosts?: () => string | undefined
  /**
   * Tests only: addresses to treat as public although the policy refuses them, so that two loopback listeners can
   * stand for a public and a private host and prove where a connection goes.
   */
  treatAsPublic?: (address: string) => boolean
  /** Tests only: certificate authorities to trust for https (default: node's bundled ones). */
  ca?: string
}

const systemLookup: MediaLookup = async (hostname) => await dnsPromises.lookup(hostname, { all: true, verbatim: true })

const globalTimers: MediaTimers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
}

type Failure = Extract<MediaFetchResult, { ok: false }>
const refuse = (reason: string): Failure => ({ ok: false, reason, transient: false })
const transient = (reason: string): Failure => ({ ok: false, reason, transient: true })

class DeadlineError extends Error {}

/** Network error codes that a later attempt may not meet again. */
const PERMANENT_CODES = new Set(['ENOTFOUND', 'ERR_INVALID_URL', 'ERR_TLS_CERT_ALTNAME_INVALID', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'CERT_HAS_EXPIRED', 'HPE_INVALID_CONSTANT', 'HPE_HEADER_OVERFLOW'])

const errorCode = (error: unknown): string => {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code.slice(0, 60) : error instanceof Error ? error.name.slice(0, 60) : 'error'
}

/** A `lookup` for node's http(s) that answers the address already checked, whatever the host name. */
const pinnedLookup = (pinned: LookupAddress): LookupFunction =>
  ((_hostname: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    if (options?.all) callback(null, [{ address: pinned.address, family: pinned.family }])
    else callback(null, pinned.address, pinned.family)
  }) as LookupFunction

type Hop =
  | { kind: 'redirect'; location: string }
  | { kind: 'done'; result: MediaFetchResult }

const positive = (n: unknown): n is number => typeof n === 'number' && Number.isFinite(n) && n > 0

export const createMediaFetcher = (options: MediaFetcherOptions = {}): MediaFetcher => {
  const lookup = options.lookup ?? systemLookup
  const timers = options.timers ?? globalTimers
  const readAllowHosts = options.allowHosts ?? (() => process.env[MEDIA_ALLOW_HOSTS_ENV])
  const treatAsPublic = options.treatAsPublic ?? (() => false)

  const addressReason = (address: string) => (treatAsPublic(address) ? undefined : refusedAddressReason(address))

  /** Where to connect for `u`: `'system'` (allow-listed: the normal resolution), a pinned checked address, or a refusal. */
  const resolve = async (u: URL, allow: AllowEntry[], signal: Promise<never>): Promise<Failure | 'system' | LookupAddress | null> => {
    if (isAllowListed(u, allow)) return 'system'
    const host = stripBrackets(u.hostname)
    if (isIP(host)) {
      const reason = addressReason(host)
      return reason ? refuse(`${describeUrl(u.href)} refused: ${reason} address`) : null
    }
    let addresses: LookupAddress[]
    try {
      addresses = await Promise.race([lookup(host), signal])
    } catch (error) {
      if (error instanceof DeadlineError) throw error
      const code = errorCode(error)
      const reason = `${describeUrl(u.href)}: host not resolved (${code})`
      return code === 'ENOTFOUND' ? refuse(reason) : transient(reason)
    }
    if (!Array.isArray(addresses) || !addresses.length) return refuse(`${describeUrl(u.href)}: host resolved to no address`)
    for (const a of addresses) {
      const reason = addressReason(String(a?.address))
      if (reason) return refuse(`${describeUrl(u.href)} refused: resolves to a ${reason} address`)
    }
    const pinned = String(addresses[0]!.address)
    return { address: pinned, family: isIP(pinned) }
  }

  const request = (
    u: URL,
    target: 'system' | LookupAddress | null,
    maxBytes: number,
    onAbort: (abort: (error: Error) => void) => void
  ): Promise<Hop> =>
    new Promise<Hop>((settle, fail) => {
      const where = describeUrl(u.href)
      const client = u.protocol === 'https:' ? https : http
      let settled = false
      const done = (hop: Hop) => {
        if (settled) return
        settled = true
        settle(hop)
      }
      const req = client.request({
        protocol: u.protocol,
        hostname: stripBrackets(u.hostname),
        port: u.port || undefined,
        path: `${u.pathname}${u.search}`,
        method: 'GET',
        headers: { accept: '*/*', 'accept-encoding': 'identity', 'user-agent': 'hitl-hub-media/1' },
        // A fresh connection per request: a pooled socket could be connected elsewhere than the address checked now.
        agent: false,
        ...(target && target !== 'system' ? { lookup: pinnedLookup(target) } : {}),
        ...(options.ca && u.protocol === 'https:' ? { ca: options.ca } : {}),
      })
      onAbort((error) => {
        if (settled) return
        settled = true
        req.destroy()
        fail(error)
      })
      req.on('error', (error) => {
        const code = errorCode(error)
        done({ kind: 'done', result: { ok: false, reason: `${where} could not be downloaded (${code})`, transient: !PERMANENT_CODES.has(code) } })
      })
      req.on('response', (res) => {
        const status = res.statusCode ?? 0
        const close = () => {
          res.destroy()
          req.destroy()
        }
        const stop = (result: MediaFetchResult) => {
          // Settle first: destroying emits 'aborted'/'error', which must not replace the real reason. The response is
          // paused (nothing more is read or kept) and the connection torn down once the current chunk is handled:
          // destroying the socket from inside its own data callback crashes Node under in-process HTTP mocks.
          done({ kind: 'done', result })
          res.pause()
          res.removeAllListeners('data')
          setImmediate(close)
        }
        /**
         * An answer without a body we want (redirect, error status): settled at once, its short body read and thrown
         * away rather than the socket torn down mid-response (in-process HTTP mocks crash Node when a socket they are
         * still writing to is destroyed). A long or slow body is still cut: after 64 KiB or 2 s, whichever comes first.
         */
        const discard = () => {
          let drained = 0
          // Not the injectable deadline timers: this guard is not part of the download's time budget.
          const cut = setTimeout(close, 2_000).unref()
          res.on('data', (chunk: Buffer) => {
            drained += chunk.length
            if (drained > 65_536) close()
          })
          res.on('error', () => undefined)
          res.on('close', () => clearTimeout(cut))
          res.resume()
        }
        if (status >= 300 && status < 400) {
          const location = res.headers.location
          done(
            typeof location === 'string' && location
              ? { kind: 'redirect', location: location.slice(0, 8_000) }
              : { kind: 'done', result: refuse(`${where} answered ${status} without a location`) }
          )
          return discard()
        }
        if (status < 200 || status >= 300) {
          const passing = status >= 500 || status === 429 || status === 408
          done({ kind: 'done', result: { ok: false, reason: `${where} answered ${status}`, transient: passing } })
          return discard()
        }
        const encoding = String(res.headers['content-encoding'] ?? 'identity').trim().toLowerCase()
        if (encoding !== 'identity' && encoding !== '') {
          return stop(refuse(`${where} sent a ${encoding.slice(0, 40)}-encoded body (not decoded: identity was asked for)`))
        }
        const declared = Number(res.headers['content-length'])
        if (Number.isFinite(declared) && declared > maxBytes) {
          return stop(refuse(`${where} is larger than ${maxBytes} bytes (declares ${declared})`))
        }
        const chunks: Buffer[] = []
        let received = 0
        res.on('data', (chunk: Buffer) => {
          if (settled) return
          received += chunk.length
          if (received > maxBytes) return stop(refuse(`${where} is larger than ${maxBytes} bytes (cut while downloading)`))
          chunks.push(chunk)
        })
        res.on('error', (error) => done({ kind: 'done', result: transient(`${where} could not be downloaded (${errorCode(error)})`) }))
        res.on('aborted', () => done({ kind: 'done', result: transient(`${where} could not be downloaded (connection closed)`) }))
        res.on('end', () => {
          if (!res.complete) return done({ kind: 'done', result: transient(`${where} could not be downloaded (connection closed)`) })
          const contentType = typeof res.headers['content-type'] === 'string' ? res.headers['content-type'].slice(0, 200) : undefined
          const disposition = res.headers['content-disposition']
          const fileName = fileNameFromDisposition(typeof disposition === 'string' ? disposition : undefined) ?? fileNameFromUrl(u)
          done({
            kind: 'done',
            result: {
              ok: true,
              body: Buffer.concat(chunks, received),
              ...(contentType ? { contentType } : {}),
              ...(fileName ? { fileName } : {}),
            },
          })
        })
      })
      req.end()
    })

  return async (url, fetchOptions) => {
    const maxBytes = positive(fetchOptions?.maxBytes) ? Math.floor(fetchOptions.maxBytes) : DEFAULT_MEDIA_MAX_BYTES
    const timeoutMs = positive(fetchOptions?.timeoutMs) ? fetchOptions.timeoutMs : (options.defaultTimeoutMs ?? DEFAULT_MEDIA_TIMEOUT_MS)
    const allow = allowList(readAllowHosts())

    // One deadline for the whole download: resolution, every redirect, every byte.
    let abortCurrent: ((error: Error) => void) | undefined
    let expired = false
    let rejectDeadline: (error: Error) => void = () => undefined
    const deadline = new Promise<never>((_, reject) => (rejectDeadline = reject))
    deadline.catch(() => undefined)
    const timer = timers.setTimeout(() => {
      expired = true
      const error = new DeadlineError('deadline')
      rejectDeadline(error)
      abortCurrent?.(error)
    }, timeoutMs)

    let current = typeof url === 'string' ? url.slice(0, 8_000) : ''
    try {
      for (let redirects = 0; ; redirects++) {
        let u: URL
        try {
          u = new URL(current)
        } catch {
          return refuse(redirects ? `redirected to something that is not a URL` : 'not a URL')
        }
        if (u.protocol !== 'http:' && u.protocol !== 'https:') {
          return refuse(`${redirects ? 'redirected to a ' : ''}${u.protocol.slice(0, 20)} URL refused: http(s) only`)
        }
        const target = await resolve(u, allow, deadline)
        if (target && typeof target === 'object' && 'ok' in target) return target
        if (expired) throw new DeadlineError('deadline')
        const hop = await request(u, target, maxBytes, (abort) => (abortCurrent = abort))
        abortCurrent = undefined
        if (hop.kind === 'done') return hop.result
        if (redirects >= MEDIA_MAX_REDIRECTS) return refuse(`${describeUrl(u.href)}: more than ${MEDIA_MAX_REDIRECTS} redirects`)
        try {
          current = new URL(hop.location, u).href
        } catch {
          return refuse(`${describeUrl(u.href)} redirected to something that is not a URL`)
        }
      }
    } catch (error) {
      if (error instanceof DeadlineError) return transient(`${describeUrl(current)} timed out after ${timeoutMs} ms`)
      return transient(`${describeUrl(current)} could not be downloaded (${errorCode(error)})`)
    } finally {
      timers.clearTimeout(timer)
    }
  }
}

/** The fetcher every adapter gets as `deps.media`. */
export const fetchMedia: MediaFetcher = createMediaFetcher()
