'use strict'
// Stands in for http2-wrapper in the bundle: got reaches it only with `http2: true`, which src/core/http.ts never sets.
// See ./README.md.
const unused = () => {
  throw new Error('http2-wrapper is left out of the bundle: got was asked for HTTP/2 (`http2: true`), which src/core/http.ts never sets')
}
module.exports = {
  leftOut: true,
  get auto() { return unused() },
  get globalAgent() { return unused() },
  get Agent() { return unused() },
  get request() { return unused() },
}
