'use strict'
// Stands in for cacheable-request in the bundle: got constructs it only when the `cache` option is set, which
// src/core/http.ts never does. got tests errors with `instanceof CacheError`, so the class is real. See ./README.md.
class CacheError extends Error {}
function CacheableRequest() {
  throw new Error('cacheable-request is left out of the bundle: got was given a `cache`, which src/core/http.ts never sets')
}
module.exports = CacheableRequest
module.exports.default = CacheableRequest
module.exports.CacheError = CacheError
module.exports.leftOut = true
