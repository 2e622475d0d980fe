/**
 * `graphql` for msw, loaded on first use. msw's entry point requires its GraphQL handler, which requires the whole
 * `graphql` package (about 0.3 s of CPU in every test file that starts msw) although no test intercepts GraphQL. msw
 * only reads this module's properties when a GraphQL handler or request is actually used, so the real package is loaded
 * then. Mapped in jest.config.ts (moduleNameMapper); the path below is not matched by the mapper.
 */
const path = require('node:path')

let real
const load = () => (real ??= require(path.join(path.dirname(require.resolve('graphql/package.json')), 'index.js')))

module.exports = new Proxy(
  {},
  {
    get: (_, key) => load()[key],
    has: (_, key) => key in load(),
    ownKeys: () => Reflect.ownKeys(load()),
    getOwnPropertyDescriptor: (_, key) => {
      const descriptor = Reflect.getOwnPropertyDescriptor(load(), key)
      return descriptor && { ...descriptor, configurable: true }
    },
  }
)
