/**
 * Botpress's own limits on what the core writes (runtime API OpenAPI of @botpress/api, pinned by
 * test/core/limits.test.ts), and the linear, surrogate-safe helpers that bring untrusted values within them before any
 * provider or Botpress call.
 */
import { createHash } from 'node:crypto'
import type { Agent } from './types'

export const LIMITS = {
  /** User `name` (getOrCreateUser, updateUser). */
  userName: 200,
  /** Every tag value (users, conversations, messages). */
  tagValue: 500,
  /** User `pictureUrl` (Botpress allows 40,000; an avatar URL longer than this is not a real one). */
  pictureUrl: 2000,
  /** RFC 5321: a forward path is at most 256 octets including the angle brackets, so an address is at most 254. */
  email: 254,
} as const

const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff

/**
 * `text` within `max` UTF-16 units (so within `max` code points too), cut on a code point boundary and marked with
 * "…" when cut: never leaves a lone surrogate, whatever counts Botpress applies.
 */
export const cut = (text: string, max: number): string => {
  if (text.length <= max) return text
  let end = max - 1
  if (end > 0 && isHighSurrogate(text.charCodeAt(end - 1))) end--
  return `${text.slice(0, end)}…`
}

/** A provider id as a tag value: ids longer than a tag allows are hashed (stable, so dedupe still works). */
export const tagValue = (id: string) =>
  id.length <= LIMITS.tagValue ? id : `sha256:${createHash('sha256').update(id).digest('hex')}`

/** An http(s) URL Botpress will store as an avatar, or undefined. Length bounded before the pattern. */
export const pictureUrl = (raw: string | undefined): string | undefined => {
  const url = raw?.trim()
  return url && url.length <= LIMITS.pictureUrl && /^https?:\/\/\S+$/i.test(url) ? url : undefined
}

/** A display name Botpress accepts: trimmed, cut by code point to 200. */
export const userName = (raw: string | undefined): string | undefined => {
  const name = raw?.trim()
  return name ? cut(name, LIMITS.userName) : undefined
}

/** Agent details as Botpress accepts them: names cut by code point to 200, avatars only as reasonable http(s) URLs. */
export const sanitizeAgent = (agent: Agent): Agent => ({
  id: agent.id,
  name: userName(agent.name),
  pictureUrl: pictureUrl(agent.pictureUrl),
})

// Anchored, no nested quantifiers, and only ever run on at most 254 characters.
const PLACEHOLDER_EMAIL = /@no-reply\.[^@\s]+\.botpress\.com$/i
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/
const PHONE = /^\+?[\d\s().-]{6,20}$/

/**
 * Splits the `email` input of createUser into a real address, a phone number, or nothing (placeholders, junk).
 * Linear in the input: the length is bounded before any pattern runs (an address is at most 254 characters).
 */
export const classifyContactPoint = (raw: string | undefined): { email?: string; phone?: string } => {
  if (typeof raw !== 'string') return {}
  const value = raw.trim()
  if (!value || value.length > LIMITS.email) return {}
  if (EMAIL.test(value)) return PLACEHOLDER_EMAIL.test(value) ? {} : { email: value.toLowerCase() }
  if (PHONE.test(value)) {
    const digits = value.replace(/[^\d+]/g, '')
    if (digits.replace(/\D/g, '').length >= 6) return { phone: digits }
  }
  return {}
}
