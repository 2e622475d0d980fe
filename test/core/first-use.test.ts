/**
 * `onFirstUse` (src/core/botpress.ts): the careful Botpress client of a webhook is built only when the webhook gets
 * past verification and touches Botpress; a refused webhook builds none (issue 26, cold start).
 */
import { onFirstUse } from '../../src/core/botpress'

class Counter {
  #count = 0
  label = 'counter'
  add(n: number) {
    this.#count += n
    return this.#count
  }
}

describe('onFirstUse', () => {
  it('makes nothing until a member is read, then makes once', () => {
    const make = jest.fn(() => new Counter())
    const lazy = onFirstUse(make)
    expect(make).not.toHaveBeenCalled()
    expect(lazy.label).toBe('counter')
    expect(lazy.add(2)).toBe(2)
    expect(lazy.add(3)).toBe(5)
    expect(make).toHaveBeenCalledTimes(1)
  })

  it('binds methods to the made object (private fields work), the same function each time, rebound when replaced', () => {
    const lazy = onFirstUse(() => new Counter())
    const add = lazy.add
    expect(add(4)).toBe(4)
    expect(lazy.add).toBe(add)
    lazy.add = function (this: Counter, n: number) {
      return n * 100
    }
    expect(lazy.add(2)).toBe(200)
    expect('label' in lazy).toBe(true)
    expect('missing' in lazy).toBe(false)
  })
})
