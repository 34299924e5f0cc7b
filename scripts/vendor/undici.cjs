// What the gateway takes from undici (gateway/proxy.ts): its connection pool. dist/vendor/undici.cjs is
// built from this file, not from the package's index, which loads all of undici (fetch, WebSocket,
// cookies, mocks) and, through its cookies module reading globalThis.Headers, Node's own copy of
// undici as well: ~120 ms of CPU at a gateway worker's first proxied request against ~50 for the pool.
'use strict';
module.exports = { Pool: require('undici/lib/dispatcher/pool.js') };
