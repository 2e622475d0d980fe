// Prints the README's reliability tables from test-artifacts/reliability.json (written by the reliability tests):
//   npx jest test/reliability test/conformance/switching.test.ts && STRESS=1 npx jest test/reliability/fuzz && node test/reliability/table.mjs
import { readFileSync } from 'node:fs'

const data = JSON.parse(readFileSync(new URL('../../test-artifacts/reliability.json', import.meta.url), 'utf8'))
const providers = Object.keys(data)
const rows = (suite) => [...new Set(providers.flatMap((p) => Object.keys(data[p][suite] ?? {})))]
const table = (suite, title) => {
  const lines = [`**${title}**`, '', `| | ${providers.join(' | ')} |`, `|---|${providers.map(() => '---').join('|')}|`]
  for (const row of rows(suite)) lines.push(`| ${row} | ${providers.map((p) => String(data[p][suite]?.[row] ?? '').replace(/\|/g, '/')).join(' | ')} |`)
  return lines.join('\n')
}
console.log(
  [
    table('authenticity', 'Authenticity (test/reliability/authenticity.test.ts)'),
    table('guarantees', 'Webhook guarantees (test/reliability/guarantees.test.ts)'),
    table('fuzz', 'Fuzzing (test/reliability/fuzz/<provider>.test.ts)'),
    table('secrets', 'Secrets (test/reliability/secrets.test.ts)'),
    table('provider faults', 'Provider faults, first provider request of each operation (test/reliability/provider-faults.test.ts)'),
    table('rate limits', "Rate limits in each vendor's documented 429 shape, 25 s budget, virtual clock (test/reliability/rate-limits.test.ts)"),
    table('switching', 'Switching providers: column = the provider switched away from (test/conformance/switching.test.ts)'),
  ].join('\n\n')
)
