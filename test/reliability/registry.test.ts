/**
 * The reliability suites cover the providers of the registry (src/providers/index.ts): each registered provider has a
 * test double (test/reliability/fakes.ts) and a fuzz file (test/reliability/fuzz/<name>.test.ts), and nothing is
 * tested that is not registered.
 */
import { existsSync } from 'node:fs'
import path from 'node:path'
import { FAKES, registeredProviders } from './fakes'

describe('reliability suites follow the provider registry', () => {
  it.each(registeredProviders.map((name) => [name]))('%s has a test double reporting its name', (name) => {
    expect(Object.keys(FAKES)).toContain(name)
    expect(FAKES[name]!().name).toBe(name)
  })

  it.each(registeredProviders.map((name) => [name]))('%s has a fuzz file', (name) => {
    expect(existsSync(path.join(__dirname, 'fuzz', `${name}.test.ts`))).toBe(true)
  })

  it('no double for a provider the registry does not list', () => {
    expect(Object.keys(FAKES).filter((name) => !registeredProviders.includes(name))).toEqual([])
  })
})
