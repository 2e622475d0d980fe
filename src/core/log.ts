/**
 * Logging that cannot leak: every line goes through a redactor that knows the configuration's secrets,
 * hides e-mail addresses and international phone numbers and masks credential-looking query parameters.
 */
export type LogSink = {
  debug(...args: unknown[]): void
  info(...args: unknown[]): void
  warn(...args: unknown[]): void
  error(...args: unknown[]): void
}

export type Logger = {
  debug(message: string): void
  info(message: string): void
  warn(message: string): void
  error(message: string): void
  redact(text: string): string
}

// Bounded quantifiers: an unbounded local part made redaction quadratic on long text without "@".
const EMAIL = /[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,24}/g
/** Longer lines are cut before redaction: logs are for people, and a provider can send megabytes. */
const MAX_LINE = 8_000
const SECRET_PARAM = /([?&](?:hapikey|api_key|apikey|access_token|refresh_token|token|code|client_secret|secret_key|key)=)[^&#\s"']*/gi
const BEARER = /(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/g
// International phone numbers (`+` and at least 7 digits; separators: space, dot, dash, parentheses). Bounded quantifier.
const PHONE = /\+\d[\d ().-]{5,22}\d/g
const phoneInLog = (found: string) => (found.replace(/\D/g, '').length >= 7 ? '[phone]' : found)

/**
 * Where to cut a line longer than MAX_LINE: never inside a surrogate pair, and before the word that spans the cut when
 * it holds an `@` (an e-mail address cut before its domain would no longer match the pattern and stay readable).
 * Bounded look-around (an address is at most 254 characters).
 */
const cutAt = (text: string): number => {
  let end = MAX_LINE
  const last = text.charCodeAt(end - 1)
  if (last >= 0xd800 && last <= 0xdbff) end--
  const space = (i: number) => {
    const c = text.charCodeAt(i)
    return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d
  }
  let start = end
  while (start > 0 && end - start < 300 && !space(start - 1)) start--
  let stop = end
  while (stop < text.length && stop - end < 300 && !space(stop)) stop++
  return text.slice(start, stop).includes('@') ? start : end
}

const isSecret = (s: unknown): s is string => typeof s === 'string' && s.length >= 4
// Longest first, so that a secret containing another is replaced whole.
const sortLongestFirst = (list: string[]) => [...new Set(list)].sort((a, b) => b.length - a.length)

export class Redactor {
  private readonly configured: string[]
  private learnt: string[] = []
  private secrets: string[]

  constructor(secrets: Array<string | undefined | null> = []) {
    this.configured = [...new Set(secrets.filter(isSecret))]
    this.secrets = sortLongestFirst(this.configured)
  }

  /**
   * Secrets learnt at run time (access tokens, refresh tokens, customer tokens): from now on redacted everywhere this
   * redactor serves (logs and provider errors), exactly like the configured ones. Bounded: a long-lived instance that
   * keeps learning tokens forgets the oldest learnt ones first (they expired long before); configured ones stay.
   */
  add(more: Array<string | undefined | null>): void {
    const fresh = more.filter((s): s is string => isSecret(s) && !this.secrets.includes(s))
    if (!fresh.length) return
    this.learnt = [...fresh, ...this.learnt].slice(0, 500)
    this.secrets = sortLongestFirst([...this.configured, ...this.learnt])
  }

  with(more: Array<string | undefined | null>): Redactor {
    return new Redactor([...this.secrets, ...more])
  }

  redact(text: string): string {
    let out = text
    for (const secret of this.secrets) {
      if (out.includes(secret)) out = out.split(secret).join('[redacted]')
    }
    // Cut after the secrets are gone (a secret across the cut would leave a readable piece), before the regexes.
    if (out.length > MAX_LINE) out = `${out.slice(0, cutAt(out))}… [${out.length - MAX_LINE} more characters]`
    return out.replace(SECRET_PARAM, '$1[redacted]').replace(BEARER, '$1 [redacted]').replace(EMAIL, '[email]').replace(PHONE, phoneInLog)
  }
}

export const createLogger = (sink: LogSink, redactor: Redactor): Logger => {
  const line = (level: keyof LogSink) => (message: string) => sink[level](redactor.redact(message))
  return {
    debug: line('debug'),
    info: line('info'),
    warn: line('warn'),
    error: line('error'),
    redact: (text) => redactor.redact(text),
  }
}

/**
 * An e-mail address fit for an error or a log line: first character of the local part, then `***`, then the domain
 * (`a***@example.com`). Linear; anything that is not an address (or is too long to be one) is fully masked.
 */
export const maskEmail = (address: string): string => {
  const at = address.lastIndexOf('@')
  if (at < 1 || address.length > 254) return '***'
  return `${String.fromCodePoint(address.codePointAt(0)!)}***${address.slice(at)}`
}

/** A phone number fit for an error or a log line: only its last two digits (`***89`). */
export const maskPhone = (phone: string): string => {
  let digits = ''
  for (let i = phone.length - 1; i >= 0 && digits.length < 2; i--) {
    const c = phone.charCodeAt(i)
    if (c >= 48 && c <= 57) digits = phone[i] + digits
  }
  return `***${digits}`
}

const LOCAL_CHAR = /[A-Za-z0-9._%+-]/

/** Every e-mail address inside a text (a provider's error message) masked (`j***@example.com`): one pass, bounded look-back, no pattern over the text. */
export const maskEmailsIn = (text: string): string => {
  let out = ''
  let from = 0
  for (let at = text.indexOf('@'); at >= 0; at = text.indexOf('@', at + 1)) {
    let start = at
    while (start > from && at - start < 64 && LOCAL_CHAR.test(text[start - 1]!)) start--
    if (start === at || !/[A-Za-z0-9-]/.test(text[at + 1] ?? '')) continue
    out += `${text.slice(from, start)}${text[start]}***`
    from = at
  }
  return out + text.slice(from)
}
