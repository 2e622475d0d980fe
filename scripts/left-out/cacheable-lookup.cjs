'use strict'
// Stands in for cacheable-lookup in the bundle: got constructs it only for `dnsCache: true`, which src/core/http.ts
// never sets. See ./README.md.
function CacheableLookup() {
  throw new Error('cacheable-lookup is left out of the bundle: got was asked for `dnsCache: true`, which src/core/http.ts never sets')
}
module.exports = CacheableLookup
module.exports.default = CacheableLookup
module.exports.leftOut = true
