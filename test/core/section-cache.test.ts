/**
 * A warm instance checks each configuration section against its schema once (src/core/provider.ts `checkSection`):
 * every request carries the same configuration, and the zui check is the costliest part of resolving the provider.
 * A section that fails is checked again every time; a cached section is handed out as a copy.
 */
import { z } from '@botpress/sdk'
import { resetCaches } from '../../src/core/cache'
import { ConfigurationError } from '../../src/core/errors'
import { checkSection, type ProviderRegistry } from '../../src/core/provider'

const makeRegistry = () => {
  const schema = z.object({ token: z.string(), region: z.string().default('us') })
  const safeParse = jest.spyOn(schema, 'safeParse')
  const registry: ProviderRegistry = {
    acme: { name: 'acme', title: 'Acme', available: true, configSchema: schema, secrets: () => [], create: () => { throw new Error('not here') } },
  }
  return { registry, safeParse }
}

describe('checkSection on a warm instance', () => {
  beforeEach(() => resetCaches())

  it('parses a section once per content, and again when the content changes', () => {
    const { registry, safeParse } = makeRegistry()
    const first = checkSection(registry, { acme: { token: 't1' } }, 'acme')
    const second = checkSection(registry, { acme: { token: 't1' } }, 'acme')
    expect(first.section).toEqual({ token: 't1', region: 'us' })
    expect(second.section).toEqual({ token: 't1', region: 'us' })
    expect(safeParse).toHaveBeenCalledTimes(1)
    expect(checkSection(registry, { acme: { token: 't2' } }, 'acme').section).toEqual({ token: 't2', region: 'us' })
    expect(safeParse).toHaveBeenCalledTimes(2)
  })

  it('hands out copies: a caller changing its section does not change the next request’s', () => {
    const { registry } = makeRegistry()
    const first = checkSection(registry, { acme: { token: 't1' } }, 'acme')
    first.section.token = 'changed'
    expect(checkSection(registry, { acme: { token: 't1' } }, 'acme').section.token).toBe('t1')
  })

  it('never keeps a failing section: incomplete or invalid, it is refused every time', () => {
    const { registry, safeParse } = makeRegistry()
    for (let i = 0; i < 2; i++) {
      expect(() => checkSection(registry, { acme: {} }, 'acme')).toThrow(ConfigurationError)
      expect(() => checkSection(registry, { acme: { token: 5 } }, 'acme')).toThrow(/acme\.token/)
    }
    expect(safeParse).toHaveBeenCalledTimes(2)
  })
})
