/**
 * No input may block the event loop (issue 12): every parser of untrusted text in the table (test/reliability/
 * worst-cases.ts) is fed each known worst case at 100 kB and must answer within one second — a bound far above the
 * expected milliseconds, so machine noise cannot trip it, while a backtracking pattern takes seconds to minutes.
 */
import { expectWithinBudget, PARSE_BUDGET_MS, PARSERS, WORST_CASE_LENGTH, WORST_CASES, worstCaseTimes } from './worst-cases'

it('the worst cases are 100 kB each', () => {
  for (const [name, text] of Object.entries(WORST_CASES)) {
    expect([name, text.length > WORST_CASE_LENGTH * 0.99 && text.length <= WORST_CASE_LENGTH + 1]).toEqual([name, true])
  }
})

describe.each(PARSERS.map((entry) => [entry.name, entry] as const))('%s', (_name, entry) => {
  it(`answers every 100 kB worst case within ${PARSE_BUDGET_MS} ms`, () => expectWithinBudget(entry))
})

it('the budget catches a quadratic parser (the test can fail)', () => {
  // An unbounded e-mail pattern backtracks quadratically on "a@b.b.b…@". Fed 10 kB (both ends of each input) so that
  // this check stays short, it is still by far the slowest on that case, which the table names.
  const quadratic = {
    name: 'backtracking e-mail pattern',
    parse: (s: string) => /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(s.slice(0, 5_000) + s.slice(-5_000)),
  }
  const [slowest, next] = worstCaseTimes(quadratic)
  expect(slowest!.input).toBe('e-mail then @')
  expect(slowest!.ms).toBeGreaterThan(10 * Math.max(next!.ms, 1))
})
