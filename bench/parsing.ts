/**
 * Parsing cost (issue 12): every parser of untrusted text in test/reliability/worst-cases.ts (the table the reliability
 * test holds to one second) timed on each known worst case at 100 kB: CPU ms per worst-case input.
 */
import { PARSE_BUDGET_MS, PARSERS, WORST_CASE_LENGTH, WORST_CASES, worstCaseTimes } from '../test/reliability/worst-cases'

export type ParsingRow = { parser: string; worstInput: string; worstMs: number; medianMs: number; inputs: number }
export type ParsingResult = { inputChars: number; budgetMs: number; repeats: number; rows: ParsingRow[] }

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length ? s[Math.floor(s.length / 2)]! : 0
}
const round = (x: number) => Math.round(x * 100) / 100

export const runParsingCost = (repeats: number): ParsingResult => ({
  inputChars: WORST_CASE_LENGTH,
  budgetMs: PARSE_BUDGET_MS,
  repeats,
  rows: PARSERS.map((entry) => {
    entry.parse('warm-up')
    // Per input, the median of `repeats` runs; the row names the slowest input and the median over all inputs.
    const runs = new Map<string, number[]>()
    for (let i = 0; i < repeats; i++) for (const t of worstCaseTimes(entry)) runs.set(t.input, [...(runs.get(t.input) ?? []), t.ms])
    const perInput = [...runs].map(([input, ms]) => ({ input, ms: median(ms) })).sort((a, b) => b.ms - a.ms)
    return {
      parser: entry.name,
      worstInput: perInput[0]?.input ?? '',
      worstMs: round(perInput[0]?.ms ?? 0),
      medianMs: round(median(perInput.map((p) => p.ms))),
      inputs: Object.keys({ ...WORST_CASES, ...entry.extraCases }).length,
    }
  }),
})
