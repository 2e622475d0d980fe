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

// ── Address policy ──────────────────────────────────────────────────────────────────────────────────────────────────

type Range = readonly [base: number, prefix: number, name: string]

const v4 = (a: number, b: number, c: number, d: number) => ((a << 24) | (b << 16) | (c << 8) | d) >>> 0

/** IPv4 ranges no media download may reach (RFC 6890 special-purpose registry, the non-global entries). */
const IPV4_REFUSED: readonly Range[] = [
  [v4(255, 255, 255, 255), 32, 'broadcast'],
  [v4(0, 0, 0, 0), 8, 'unspecified'],
  [v4(10, 0, 0, 0), 8, 'private'],
  [v4(100, 64, 0, 0), 10, 'carrier-grade NAT'],
  [v4(127, 0, 0, 0), 8, 'loopback'],
  [v4(169, 254, 0, 0), 16, 'link-local'],
  [v4(172, 16, 0, 0), 12, 'private'],
  [v4(192, 0, 0, 0), 24, 'IETF protocol assignment'],
  [v4(192, 0, 2, 0), 24, 'documentation'],
  [v4(192, 88, 99, 0), 24, '6to4 relay'],
  [v4(192, 168, 0, 0), 16, 'private'],
  [v4(198, 18, 0, 0), 15, 'benchmarking'],
  [v4(198, 51, 100, 0), 24, 'documentation'],
  [v4(203, 0, 113, 0), 24, 'documentation'],
  [v4(224, 0, 0, 0), 4, 'multicast'],
  [v4(240, 0, 0, 0), 4, 'reserved'],
]

const inRange = (ip: number, base: number, prefix: number) => {
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0
  return ((ip & mask) >>> 0) === ((base & mask) >>> 0)
}

const ipv4Reason = (ip: number): string | undefined => IPV4_REFUSED.find(([base, prefix]) => inRange(ip, base, prefix))?.[2]

/** Strict dotted quad (what `net.isIP` accepts as 4) → uint32. */
const parseIPv4 = (s: string): number | undefined => {
  const parts = s.split('.')
  if (parts.length !== 4) return undefined
  let out = 0
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return undefined
    const n = Number(part)
    if (n > 255) return undefined
    out = out * 256 + n
  }
  return out
}

/** IPv6 text (with an optional embedded IPv4 tail and zone id) → eight 16-bit groups. */
const parseIPv6 = (input: string): number[] | undefined => {
  const s = input.split('%')[0]!
  if (s.length > 45) return undefined
  const halves = s.split('::')
  if (halves.length > 2) return undefined
  const groups = (text: string): number[] | undefined => {
    if (text === '') return []
    const out: number[] = []
    const parts = text.split(':')
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!
      if (i === parts.length - 1 && part.includes('.')) {
        const ip = parseIPv4(part)
        if (ip === undefined) return undefined
        out.push(ip >>> 16, ip & 0xffff)
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(part)) return undefined
        out.push(parseInt(part, 16))
      }
    }
    return out
  }
  const head = groups(halves[0]!)
  const tail = halves.length === 2 ? groups(halves[1]!) : []
  if (!head || !tail) return undefined
  if (halves.length === 1) return head.length === 8 ? head : undefined
  const missing = 8 - head.length - tail.length
  if (missing < 1) return undefined
  return [...head, ...new Array<number>(missing).fill(0), ...tail]
}

const embedded = (hi: number, lo: number) => ((hi << 16) | lo) >>> 0

const ipv6Reason = (g: number[]): string | undefined => {
  const zeroUpTo = (n: number) => g.slice(0, n).every((x) => x === 0)
  const viaV4 = (form: string, hi: number, lo: number) => {
    const reason = ipv4Reason(embedded(hi, lo))
    return reason ? `${reason} (${form})` : undefined
  }
  if (zeroUpTo(8)) return 'unspecified'
  if (zeroUpTo(7) && g[7] === 1) return 'loopback'
  if (zeroUpTo(5) && g[5] === 0xffff) return viaV4('IPv4-mapped', g[6]!, g[7]!)
  if (zeroUpTo(4) && g[4] === 0xffff && g[5] === 0) return viaV4('IPv4-translated', g[6]!, g[7]!)
  if (zeroUpTo(6)) return 'IPv4-compatible (deprecated)'
  if (g[0] === 0x64 && g[1] === 0xff9b && g.slice(2, 6).every((x) => x === 0)) return viaV4('NAT64', g[6]!, g[7]!)
  if (g[0] === 0x64 && g[1] === 0xff9b && g[2] === 1) return 'local-use NAT64'
  if (g[0] === 0x2002) return viaV4('6to4', g[1]!, g[2]!)
  if (g[0] === 0x2001 && g[1] === 0) return 'Teredo'
  if (g[0] === 0x2001 && g[1] === 0xdb8) return 'documentation'
  if (g[0] === 0x100 && g[1] === 0 && g[2] === 0 && g[3] === 0) return 'discard-only'
  if ((g[0]! & 0xfe00) === 0xfc00) return 'unique-local'
  if ((g[0]! & 0xffc0) === 0xfe80) return 'link-local'
  if ((g[0]! & 0xffc0) === 0xfec0) return 'site-local'
  if ((g[0]! & 0xff00) === 0xff00) return 'multicast'
  // Every global unicast address is in 2000::/3 today; anything else is reserved.
  if ((g[0]! & 0xe000) !== 0x2000) return 'reserved'
  return undefined
}

/**
 * Why an IP address may not be reached by a media download (`'loopback'`, `'private'`, `'link-local'`, …), or
 * `undefined` when it is a public address. Anything that is not an IP address is refused.
 */
export const refusedAddressReason = (address: string): string | undefined => {
  const bare = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address
  const kind = isIP(bare.split('%')[0]!)
  if (kind === 4) {
    const ip = parseIPv4(bare)
    return ip === undefined ? 'not an IP address' : ipv4Reason(ip)
  }
  if (kind === 6) {
    const groups = parseIPv6(bare)
    return groups ? ipv6Reason(groups) : 'not an IP address'
  }
  return 'not an IP address'
}

// ── Allow list (HITL_MEDIA_ALLOW_HOSTS) ─────────────────────────────────────────────────────────────────────────────

type AllowEntry = { host: string; port?: string }

const normalizeHost = (host: string): string | undefined => {
  try {
    const u = new URL(`http://${isIP(host) === 6 ? `[${host}]` : host}/`)
    return stripBrackets(u.hostname)
  } catch {
    return undefined
  }
}

const stripBrackets = (host: string) => (host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host)

/** `host`, `host:port`, `[v6]`, `[v6]:port` or a bare IPv6 address. Anything else is ignored. */
const parseAllowEntry = (raw: string): AllowEntry | undefined => {
  const entry = raw.trim().toLowerCase()
  if (!entry || entry.length > 300) return undefined
  let host: string
  let port: string | undefined
  if (entry.startsWith('[')) {
    const close = entry.indexOf(']')
    if (close < 0) return undefined
    host = entry.slice(1, close)
    const rest = entry.slice(close + 1)
    if (rest && !rest.startsWith(':')) return undefined
    port = rest ? rest.slice(1) : undefined
  } else {
    const first = entry.indexOf(':')
    if (first >= 0 && first === entry.lastIndexOf(':')) {
      host = entry.slice(0, first)
      port = entry.slice(first + 1)
    } else {
      host = entry
    }
  }
  if (port !== undefined && !/^\d{1,5}$/.test(port)) return undefined
  if (!host || /[/?#@\s]/.test(host)) return undefined
  const normalized = normalizeHost(host)
  return normalized ? { host: normalized, ...(port !== undefined ? { port: String(Number(port)) } : {}) } : undefined
}

/** The allow list, read at call time: unset or empty allows nothing. */
const allowList = (raw: string | undefined): AllowEntry[] =>
  (raw ?? '')
    .slice(0, 10_000)
    .split(',')
    .map(parseAllowEntry)
    .filter((e): e is AllowEntry => !!e)

const effectivePort = (u: URL) => u.port || (u.protocol === 'https:' ? '443' : '80')

const isAllowListed = (u: URL, list: AllowEntry[]) => {
  const host = stripBrackets(u.hostname)
  const port = effectivePort(u)
  return list.some((e) => e.host === host && (e.port === undefined || e.port === port))
}

// ── File name ───────────────────────────────────────────────────────────────────────────────────────────────────────

const MAX_NAME_CODE_POINTS = 200

/** A file name safe to show and store: last path segment, no control characters, at most 200 code points. */
const cleanFileName = (name: string): string | undefined => {
  const lastSlash = Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\'))
  let out = ''
  let count = 0
  for (const ch of name.slice(lastSlash + 1, lastSlash + 1 + 4 * MAX_NAME_CODE_POINTS)) {
    const code = ch.codePointAt(0)!
    if (code < 0x20 || code === 0x7f || (code >= 0x80 && code < 0xa0)) continue
    out += ch
    if (++count >= MAX_NAME_CODE_POINTS) break
  }
  out = out.trim()
  return out && out !== '.' && out !== '..' ? out : undefined
}

const decodePercent = (text: string, charset: string): string | undefined => {
  try {
    if (charset === 'utf-8') return decodeURIComponent(text)
    // ISO-8859-1 (the only other charset RFC 8187 requires): each %XX is one code point.
    let out = ''
    for (let i = 0; i < text.length; i++) {
      if (text[i] === '%' && /^[0-9a-fA-F]{2}$/.test(text.slice(i + 1, i + 3))) {
        out += String.fromCharCode(parseInt(text.slice(i + 1, i + 3), 16))
        i += 2
      } else out += text[i]
    }
    return out
  } catch {
    return undefined
  }
}

/**
 * The file name a Content-Disposition header gives (`filename*` per RFC 8187 first, then `filename`), parsed in one
 * pass over at most 2,000 characters, or `undefined`.
 */
export const fileNameFromDisposition = (header: string | undefined): string | undefined => {
  if (!header) return undefined
  const text = header.slice(0, 2_000)
  // Split into parameters on `;` outside quotes, unquoting as we go.
  const params: Array<[string, string]> = []
  let name = ''
  let value = ''
  let inValue = false
  let quoted = false
  let escaped = false
  const flush = () => {
    if (inValue) params.push([name.trim().toLowerCase(), quoted ? value : value.trim()])
    name = ''
    value = ''
    inValue = false
    quoted = false
  }
  let inQuotes = false
  for (const ch of text) {
    if (inQuotes) {
      if (escaped) {
        value += ch
        escaped = false
      } else if (ch === '\\') escaped = true
      else if (ch === '"') inQuotes = false
      else value += ch
    } else if (ch === ';') flush()
    else if (!inValue && ch === '=') inValue = true
    else if (inValue && ch === '"' && value.trim() === '') {
      inQuotes = true
      quoted = true
      value = ''
    } else if (inValue) value += ch
    else name += ch
  }
  flush()
  const extended = params.find(([n]) => n === 'filename*')?.[1]
  if (extended) {
    const first = extended.indexOf("'")
    const second = first < 0 ? -1 : extended.indexOf("'", first + 1)
    if (second > 0) {
      const charset = extended.slice(0, first).toLowerCase()
      if (charset === 'utf-8' || charset === 'iso-8859-1') {
        const decoded = decodePercent(extended.slice(second + 1), charset)
        const clean = decoded === undefined ? undefined : cleanFileName(decoded)
        if (clean) return clean
      }
    }
  }
  const plain = params.find(([n]) => n === 'filename')?.[1]
  return plain ? cleanFileName(plain) : undefined
}

/** The last segment of the URL's path, percent-decoded, or `undefined`. */
const fileNameFromUrl = (u: URL): string | undefined => {
  const path = u.pathname.slice(-1_000)
  const segment = path.slice(path.lastIndexOf('/') + 1)
  if (!segment) return undefined
  let decoded = segment
  try {
    decoded = decodeURIComponent(segment)
  } catch {
    // keep it encoded
  }
  return cleanFileName(decoded)
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
