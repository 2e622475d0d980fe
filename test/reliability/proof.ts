/**
 * A proof one character off (authenticity matrix): the same request with its authenticity proof changed at one
 * character, the first, the middle or the last significant one, keeping its length and its alphabet (hex stays hex,
 * base64 stays base64), so that only a comparison of every character refuses it: not a length check, not a format check.
 *
 * A fake may say where its proof is (`FakeProvider.oneCharOff`); otherwise the proof is found generically: the header
 * values, query parameters and top-level JSON body fields that the fake's own `forged` changes.
 */
import type { FakeProvider } from '../conformance/fake'
import type { WebhookRequest } from '../../src/core/types'

export type Position = 'first' | 'middle' | 'last'
export const POSITIONS: readonly Position[] = ['first', 'middle', 'last']

const ALPHABETS = ['0123456789', 'abcdef', 'ghijklmnopqrstuvwxyz', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', '+/', '-_']

/** Another character of the same alphabet (and of the same case, so a case-insensitive comparison still differs). */
export const otherChar = (c: string): string => {
  const alphabet = ALPHABETS.find((a) => a.includes(c))
  if (!alphabet) return c === '.' ? ',' : '.'
  return alphabet[(alphabet.indexOf(c) + 1) % alphabet.length]!
}

/** The significant span of a proof value: after a scheme prefix such as `sha256=`, before base64 padding. */
const span = (value: string): [number, number] => {
  const prefix = /^[a-z0-9]{1,16}=(?=[^=])/i.exec(value)?.[0].length ?? 0
  return [prefix, value.replace(/=+$/, '').length]
}

export const offAt = (value: string, at: Position): string => {
  const [start, end] = span(value)
  if (end <= start) throw new Error(`proof value too short to change one character: ${JSON.stringify(value)}`)
  const i = at === 'first' ? start : at === 'last' ? end - 1 : Math.floor((start + end - 1) / 2)
  return `${value.slice(0, i)}${otherChar(value[i]!)}${value.slice(i + 1)}`
}

type Located = { headers: string[]; query: string[]; body: string[] }

const jsonObject = (text: string): Record<string, unknown> | undefined => {
  try {
    const value: unknown = JSON.parse(text)
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}

/** Where `forged` puts its tampering: the places the proof travels in. */
export const locateProof = (valid: WebhookRequest, forged: WebhookRequest): Located => {
  const headers = Object.keys(valid.headers).filter((k) => typeof valid.headers[k] === 'string' && forged.headers[k] !== valid.headers[k])
  const q = new URLSearchParams(valid.query)
  const fq = new URLSearchParams(forged.query)
  const query = [...q.keys()].filter((k) => fq.get(k) !== q.get(k))
  const body: string[] = []
  if (forged.body !== valid.body) {
    const a = jsonObject(valid.body)
    const b = jsonObject(forged.body)
    if (a && b) body.push(...Object.keys(a).filter((k) => typeof a[k] === 'string' && a[k] !== b[k]))
  }
  if (!headers.length && !query.length && !body.length) {
    throw new Error('could not find where the proof travels (forged changes no header, query parameter or JSON body field): implement oneCharOff in the fake')
  }
  return { headers, query, body }
}

/** Every form of the proof the request carries, each changed at the same position (one character, same length). */
export const oneCharOff = (fake: FakeProvider, req: WebhookRequest, at: Position): WebhookRequest => {
  if (fake.oneCharOff) return fake.oneCharOff(req, at)
  const where = locateProof(req, fake.forged(req))
  const headers = { ...req.headers }
  for (const k of where.headers) headers[k] = offAt(headers[k]!, at)
  const query = new URLSearchParams(req.query)
  for (const k of where.query) query.set(k, offAt(query.get(k)!, at))
  let body = req.body
  if (where.body.length) {
    const json = jsonObject(req.body)!
    for (const k of where.body) json[k] = offAt(json[k] as string, at)
    body = JSON.stringify(json)
  }
  return { ...req, headers, query: where.query.length ? query.toString() : req.query, body }
}
