/**
 * Which addresses the media fetcher may connect to (src/core/media.ts): every loopback, private, link-local, CGNAT,
 * multicast, reserved or otherwise non-public IPv4/IPv6 range is refused, in every notation and embedding; and the
 * `HITL_MEDIA_ALLOW_HOSTS` allow list that opens named hosts for local development and tests.
 */
import { isIP } from 'node:net'

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

export type AllowEntry = { host: string; port?: string }

const normalizeHost = (host: string): string | undefined => {
  try {
    const u = new URL(`http://${isIP(host) === 6 ? `[${host}]` : host}/`)
    return stripBrackets(u.hostname)
  } catch {
    return undefined
  }
}

export const stripBrackets = (host: string) => (host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host)

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
export const allowList = (raw: string | undefined): AllowEntry[] =>
  (raw ?? '')
    .slice(0, 10_000)
    .split(',')
    .map(parseAllowEntry)
    .filter((e): e is AllowEntry => !!e)

const effectivePort = (u: URL) => u.port || (u.protocol === 'https:' ? '443' : '80')

export const isAllowListed = (u: URL, list: AllowEntry[]) => {
  const host = stripBrackets(u.hostname)
  const port = effectivePort(u)
  return list.some((e) => e.host === host && (e.port === undefined || e.port === port))
}
