// Token verification cost, RS256: jose's jwtVerify (WebCrypto underneath) against TokenVerifier cold
// (node:crypto.verify on a pre-imported KeyObject, every call verifies), node:crypto.verify alone as
// the floor for a signature check, and the verified-token cache (a SHA-256 and a lookup).
//   npm run build && node bench/authn.mjs [--seconds 3]
import { createVerify } from 'node:crypto';
import { jwtVerify } from 'jose';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { benchRun, root } from './lib.mjs';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '3' } } });
const seconds = Number(values.seconds);
const { loadOrCreateSigningKey, issueToken, TokenVerifier } = await import(join(root, 'dist/authn/index.js'));

const { dir } = benchRun('gatehouse-authn-bench-');
const { key } = await loadOrCreateSigningKey(join(dir, 'key.pem'));
const tokens = await Promise.all(Array.from({ length: 2000 }, (_, i) => issueToken(key, `user${i}`, 3_600_000)));

async function rate(name, fn) {
  const until = performance.now() + seconds * 1000;
  let n = 0;
  while (performance.now() < until) {
    for (let i = 0; i < 50; i++) await fn(n++);
  }
  const perSecond = Math.round(n / seconds);
  console.log(`| ${name} | ${perSecond.toLocaleString('en')} | ${(1e6 / perSecond).toFixed(1)} µs |`);
  return perSecond;
}

console.log('| verification | per second | per call |\n| --- | ---: | ---: |');
// Cold: a cache of size 0 verifies every time.
const cold = new TokenVerifier({ own: { kid: key.kid, alg: key.alg, key: key.publicKey, issuer: 'gatehouse' }, cacheSize: 0 });
await rate('RS256 with jose jwtVerify', (i) => jwtVerify(tokens[i % tokens.length], key.publicKey, { algorithms: ['RS256'], issuer: 'gatehouse' }));
await rate('RS256 TokenVerifier cold (node:crypto)', (i) => cold.verify(tokens[i % tokens.length]));
const [head, payload, signature] = tokens[0].split('.');
const signature64 = Buffer.from(signature, 'base64url');
await rate('RS256 node:crypto.verify only (floor)', () => createVerify('RSA-SHA256').update(`${head}.${payload}`).verify(key.publicKey, signature64));
const cached = new TokenVerifier({ own: { kid: key.kid, alg: key.alg, key: key.publicKey, issuer: 'gatehouse' } });
for (const t of tokens) await cached.verify(t);
await rate('TokenVerifier cached (2,000 distinct tokens)', (i) => cached.verify(tokens[i % tokens.length]));
cold.close();
cached.close();
