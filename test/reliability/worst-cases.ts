/**
 * Parsing cost (issue 12): the known worst-case inputs for text parsers, and the table of parsers that must stay linear
 * on them. Used by test/reliability/parsing-cost.test.ts (fails above one second per input) and by the bench
 * (bench/parsing.ts: time per worst-case input).
 *
 * Adding a parser is one entry in PARSERS: `{ name, parse }`, `parse` taking the hostile text and calling the parser
 * the way production does (wrapped in a payload, a header, …); `extraCases` adds inputs specific to it. Provider helpers
 * can also reuse WORST_CASES and `worstCaseTimes` in their own folders.
 */
import { Redactor } from '../../src/core/log'
import { describeUrl, fileNameFromDisposition, refusedAddressReason } from '../../src/core/media'
import { buildTranscript, inertLinks, openingText, renderOutbound, toOutbound, webUrl } from '../../src/core/transcript'

/** Every worst case is this long (100 kB of text). */
export const WORST_CASE_LENGTH = 100_000
/** The bound: far above the expected milliseconds, so that a noisy shared machine cannot trip it; a quadratic parser takes seconds. */
export const PARSE_BUDGET_MS = 1_000

/** `unit` repeated to exactly `length` characters (never splitting a surrogate pair of a two-unit `unit`). */
const fill = (unit: string, length = WORST_CASE_LENGTH) => unit.repeat(Math.ceil(length / unit.length)).slice(0, length - (length % unit.length))

/** Inputs that make backtracking patterns and naive scanners quadratic: long runs without the delimiter they expect. */
export const WORST_CASES: Readonly<Record<string, string>> = {
  'one long word': fill('a'),
  'spaces only': fill(' '),
  'line breaks only': fill('\n'),
  'many @': fill('@'),
  'a@ pairs': fill('a@'),
  'local@domain without a TLD end': fill(`${'a'.repeat(64)}@${'b.'.repeat(100)}1 `),
  'e-mail then @': `a@${fill('b.', WORST_CASE_LENGTH - 3)}@`,
  'dots': fill('a.'),
  '< without >': fill('<'),
  'tag openers without >': fill('<a '),
  'autolink schemes without >': fill('<javascript'),
  'nested brackets': `${fill('[', WORST_CASE_LENGTH / 2)}${fill(']', WORST_CASE_LENGTH / 2)}`,
  'link openers': fill(']('),
  'unsafe link openers': fill('](javascript:'),
  'image openers': fill('!['),
  'bracket-paren nesting': fill('[('),
  'emphasis runs': fill('*_'),
  'backticks': fill('`'),
  'entities without ;': fill('&#x'),
  'nested tags': fill('<div><b>'),
  'unclosed attributes': fill('<a href="'),
  'comment openers': fill('<!--'),
  'URL schemes': fill('http://'),
  'quotes': fill('"'),
  'backslashes': fill('\\'),
  'semicolons and =': fill(';='),
  'credential parameters': fill('?token='),
  'bearer without token': fill('Bearer '),
  'phone-like digits': fill('+1 (5'),
  'digits': fill('1'),
  'surrogate pairs': fill('😀'),
  'lone surrogates': fill('\uD800'),
}

export type ParserEntry = {
  name: string
  /** Calls the parser on hostile text as production does. */
  parse: (input: string) => unknown
  /** Inputs specific to this parser, on top of WORST_CASES. */
  extraCases?: Readonly<Record<string, string>>
}

const redactor = new Redactor(Array.from({ length: 30 }, (_, i) => `configured-secret-${i}-${'x'.repeat(24)}`))
redactor.add(Array.from({ length: 500 }, (_, i) => `learnt-token-${i}-abcdefgh`))

const names = { user: () => 'Jane', bot: 'Bot' }

/** The core's parsers of untrusted text. Providers' parsers are added in their own folders (or here, one entry each). */
export const PARSERS: ParserEntry[] = [
  {
    name: 'transcript (buildTranscript: one markdown message)',
    parse: (s) => buildTranscript([{ source: { type: 'bot' }, type: 'markdown', payload: { markdown: s } }], names),
  },
  {
    name: 'transcript (buildTranscript: medium, card, choice)',
    parse: (s) =>
      buildTranscript(
        [
          { source: { type: 'user', userId: 'u1' }, type: 'image', payload: { imageUrl: `https://x.test/${s}`, title: s } },
          { source: { type: 'bot' }, type: 'card', payload: { title: 'Deal', imageUrl: s, actions: [{ action: 'url', label: 'Open', value: s }] } },
          { source: { type: 'bot' }, type: 'choice', payload: { text: 'Pick', options: [{ label: s.slice(0, 1_000), value: 'a' }] } },
        ],
        names
      ),
  },
  { name: 'link neutralizer (inertLinks)', parse: inertLinks },
  {
    name: 'opening text (title)',
    parse: (s) => openingText({ title: s, extras: {}, transcript: { entries: [], text: 'Bot: hi' } }),
  },
  { name: 'outbound normalization (toOutbound + renderOutbound)', parse: (s) => renderOutbound(toOutbound('bloc', { items: [{ type: 'markdown', payload: { markdown: s } }, { type: 'file', payload: { fileUrl: s, title: 'f' } }] })) },
  { name: 'URL check (webUrl)', parse: (s) => [webUrl(s), webUrl(`https://x.test/${s}`)] },
  { name: 'log redaction (Redactor.redact, 530 secrets)', parse: (s) => redactor.redact(s) },
  {
    name: 'media file name (Content-Disposition)',
    parse: (s) => [fileNameFromDisposition(s), fileNameFromDisposition(`attachment; filename="${s}`), fileNameFromDisposition(`attachment; filename*=UTF-8''${s}`)],
    extraCases: { 'percent escapes': fill('%E2%82'), 'parameters': fill('a=b;') },
  },
  { name: 'media URL description (describeUrl)', parse: (s) => [describeUrl(s), describeUrl(`https://x.test/${s}?${s}`)] },
  { name: 'media address check (refusedAddressReason)', parse: (s) => refusedAddressReason(s), extraCases: { 'IPv6 groups': fill('1:'), 'IPv4 dots': fill('1.') } },
]

export type WorstCaseTime = { parser: string; input: string; ms: number }

/**
 * Times `entry` on every worst case (and its own), once each, the slowest first. The time is this process's CPU time
 * (what the parse costs the event loop), not wall time, so that other processes on a shared machine do not count.
 */
export const worstCaseTimes = (entry: ParserEntry): WorstCaseTime[] =>
  Object.entries({ ...WORST_CASES, ...entry.extraCases })
    .map(([input, text]) => {
      const started = process.cpuUsage()
      entry.parse(text)
      const used = process.cpuUsage(started)
      return { parser: entry.name, input, ms: (used.user + used.system) / 1000 }
    })
    .sort((a, b) => b.ms - a.ms)

/**
 * Asserts that `entry` answers every worst case within PARSE_BUDGET_MS of CPU (after one warm-up call, so that the JIT
 * is not measured). For a provider's own test: `it('…', () => expectWithinBudget({ name, parse }))`.
 */
export const expectWithinBudget = (entry: ParserEntry): void => {
  entry.parse('warm-up')
  const over = worstCaseTimes(entry)
    .filter((t) => t.ms > PARSE_BUDGET_MS)
    .map((t) => `${t.input}: ${Math.round(t.ms)} ms`)
  expect(over).toEqual([])
}
