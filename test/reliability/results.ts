/**
 * Reliability figures produced by the tests, written to test-artifacts/reliability.json so that the README's table is
 * copied from what the tests measured.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'

const file = path.resolve(__dirname, '../../test-artifacts/reliability.json')

export const record = (provider: string, suite: string, row: string, value: string | number) => {
  mkdirSync(path.dirname(file), { recursive: true })
  let data: Record<string, Record<string, Record<string, string | number>>> = {}
  try {
    data = JSON.parse(readFileSync(file, 'utf8'))
  } catch {
    // first write
  }
  data[provider] ??= {}
  data[provider]![suite] ??= {}
  data[provider]![suite]![row] = value
  writeFileSync(file, JSON.stringify(data, null, 2))
}
