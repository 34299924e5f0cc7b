// The verifier's two caches (recent tokens by their string, verified tokens by their hash) on a
// clock the test moves, the caller it returns, static keys named by kid, option messages and its log
// lines: what mutation testing found unchecked (TESTING.md).
import { generateKeyPairSync, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { Writable } from 'node:stream';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { TokenVerifier, staticKeyFromPem, type StaticKey, type TokenVerifierOptions } from '../../authn/index.js';
import { MAX_TOKEN_BYTES } from '../../authn/token-extraction.js';

const ed = generateKeyPairSync('ed25519');
const ed2 = generateKeyPairSync('ed25519');
const pem = (key: KeyObject) => key.export({ type: 'spki', format: 'pem' }).toString();
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
/** An EdDSA token signed by hand (fast: no library per token). */
const edToken = (payload: Record<string, unknown>, header: Record<string, unknown> = {}, key = ed.privateKey) => {
  const input = `${b64({ alg: 'EdDSA', ...header })}.${b64(payload)}`;
  return `${input}.${cryptoSign(null, Buffer.from(input), key).toString('base64url')}`;
};

let edKey: StaticKey;
let ed2Key: StaticKey;
beforeAll(async () => {
  edKey = await staticKeyFromPem(pem(ed.publicKey), 'ed.pem');
  ed2Key = await staticKeyFromPem(pem(ed2.publicKey), 'ed2.pem', { issuer: 'second' });
});

const T = 1_900_000_000; // epoch seconds where each test's clock starts
const opened: TokenVerifier[] = [];
function verifierAt(options: Partial<TokenVerifierOptions> = {}) {
  const clock = { ms: T * 1000 };
  const verifier = new TokenVerifier({ staticKeys: [edKey, ed2Key], now: () => clock.ms, ...options });
  opened.push(verifier);
  return { verifier, clock };
}
afterEach(() => {
  for (const v of opened.splice(0)) v.close();
  vi.useRealTimers();
});

describe('recent tokens (by their string)', () => {
  it('an unknown token is not recent', () => {
    expect(verifierAt().verifier.recent(edToken({ uid: 'a' }))).toBeNull();
  });

  it('a verified token is recent until the second of its exp, then gone for good', async () => {
    const { verifier, clock } = verifierAt();
    const token = edToken({ uid: 'a', exp: T + 100 });
    const caller = await verifier.verify(token);
    expect(verifier.recent(token)).toBe(caller);
    expect(verifier.hits).toBe(1);
    clock.ms = (T + 100) * 1000 - 1;
    expect(verifier.recent(token)).toBe(caller);
    clock.ms = (T + 100) * 1000;
    expect(verifier.recent(token)).toBeNull();
    clock.ms = T * 1000; // the entry was dropped, not only skipped
    expect(verifier.recent(token)).toBeNull();
  });

  it('a token without exp is kept 60 s; then the hashed cache serves it (the same caller) and it is recent again', async () => {
    const registry = new Registry();
    const { verifier, clock } = verifierAt({ registry });
    const token = edToken({ uid: 'a' });
    const caller = await verifier.verify(token);
    expect(caller).toEqual({ uid: 'a', issuer: null, expiresAt: null, claims: { uid: 'a' } });
    clock.ms += 59_000;
    expect(verifier.recent(token)).toBe(caller);
    clock.ms += 2_000;
    expect(verifier.recent(token)).toBeNull();
    expect(await verifier.verify(token)).toBe(caller);
    expect([verifier.misses, verifier.hits]).toEqual([1, 2]);
    expect(verifier.recent(token)).toBe(caller);
    clock.ms += 61_000; // kept again for the hashed entry's remaining time (about 60 s), not for ever
    expect(verifier.recent(token)).toBeNull();
    const checks = (await registry.getSingleMetric('gatehouse_authn_token_checks_total')!.get()).values;
    expect(checks.map((v) => [v.labels['result'], v.value]).sort()).toEqual([['cached', 3], ['verified', 1]]);
  });

  it('a token with a far exp is kept cacheSeconds; after that the hashed cache serves it until exp', async () => {
    const { verifier, clock } = verifierAt({ cacheSeconds: 100 });
    const token = edToken({ uid: 'a', exp: T + 1000 });
    await verifier.verify(token);
    clock.ms += 101_000;
    expect(verifier.recent(token)).toBeNull();
    await verifier.verify(token);
    expect([verifier.misses, verifier.hits]).toEqual([1, 1]);
  });

  it('a token verified at its exp (inside the leeway) is checked again, not served from the hashed cache', async () => {
    const { verifier, clock } = verifierAt({ cacheSeconds: 2000 });
    const token = edToken({ uid: 'a', exp: T + 1000 });
    await verifier.verify(token);
    clock.ms = (T + 1000) * 1000;
    await verifier.verify(token);
    expect([verifier.misses, verifier.hits]).toEqual([2, 0]);
  });

  it('a token whose cache time is 0 takes no cache slot', async () => {
    const { verifier, clock } = verifierAt({ cacheSize: 1 });
    clock.ms = (T + 10) * 1000;
    await verifier.verify(edToken({ uid: 'late', exp: T + 10 })); // at its exp: nothing left to cache
    const token = edToken({ uid: 'b', exp: T + 100 });
    await verifier.verify(token);
    await verifier.verify(token);
    expect([verifier.misses, verifier.hits]).toEqual([2, 1]);
  });

  it('a cache of 2 keeps both of two recent tokens (nothing is evicted early)', async () => {
    const { verifier } = verifierAt({ cacheSize: 2 });
    const tokens = ['a', 'b'].map((uid) => edToken({ uid, exp: T + 100 }));
    for (const t of tokens) await verifier.verify(t);
    expect(tokens.map((t) => verifier.recent(t)?.uid ?? null)).toEqual(['a', 'b']);
  });

  it('close() forgets the recent tokens and stops the cache timer', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'setInterval', 'clearTimeout', 'clearInterval'] });
    const { verifier } = verifierAt();
    const token = edToken({ uid: 'a', exp: T + 100 });
    await verifier.verify(token);
    expect(vi.getTimerCount()).toBeGreaterThan(0);
    verifier.close();
    expect(verifier.recent(token)).toBeNull();
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('the caller', () => {
  const cases: { name: string; payload: Record<string, unknown>; uid?: string; issuer?: string | null; code?: string }[] = [
    { name: 'sub when uid is empty', payload: { uid: '', sub: 's' }, uid: 's', issuer: null },
    { name: 'a sub that is a number is no uid', payload: { sub: 42 }, code: 'ERR_AUTHN_CLAIM_MISSING' },
    { name: 'an empty sub is no uid', payload: { sub: '' }, code: 'ERR_AUTHN_CLAIM_MISSING' },
    { name: 'an iss that is not a string is no issuer', payload: { uid: 'a', iss: 42 }, uid: 'a', issuer: null },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const { verifier } = verifierAt();
      const result = verifier.verify(edToken({ exp: T + 100, ...c.payload }));
      if (c.code) await expect(result).rejects.toMatchObject({ code: c.code, message: 'the token has no uid (or sub) claim' });
      else expect(await result).toEqual({ uid: c.uid, issuer: c.issuer, expiresAt: T + 100, claims: { exp: T + 100, ...c.payload } });
    });
  }

  it(`a token of exactly ${MAX_TOKEN_BYTES} bytes is read; one byte more is too large, and says its size`, async () => {
    const { verifier } = verifierAt();
    await expect(verifier.verify('a'.repeat(MAX_TOKEN_BYTES))).rejects.toMatchObject({ code: 'ERR_AUTHN_TOKEN_MALFORMED' });
    await expect(verifier.verify('a'.repeat(MAX_TOKEN_BYTES + 1))).rejects.toMatchObject({
      code: 'ERR_AUTHN_TOKEN_TOO_LARGE',
      message: `the token is ${MAX_TOKEN_BYTES + 1} bytes, over the limit of ${MAX_TOKEN_BYTES}`,
    });
  });
});

describe('static keys named by kid', () => {
  const cases: { name: string; token: () => string; uid?: string; code?: string; message?: string }[] = [
    {
      name: 'the kid of the key that signed it',
      token: () => edToken({ uid: 'a', iss: 'second', exp: T + 100 }, { kid: ed2Key.kid }, ed2.privateKey),
      uid: 'a',
    },
    {
      name: 'the kid of one trusted key, signed by another trusted key of the same algorithm: refused',
      token: () => edToken({ uid: 'a', exp: T + 100 }, { kid: ed2Key.kid }, ed.privateKey),
      code: 'ERR_AUTHN_SIGNATURE_INVALID',
    },
    {
      name: 'no kid and no key for the algorithm',
      token: () => `${b64({ alg: 'ES256' })}.${b64({ uid: 'a' })}.${'A'.repeat(86)}`,
      code: 'ERR_AUTHN_KEY_UNKNOWN',
      message: 'no trusted key is bound to ES256',
    },
    {
      name: 'an unknown kid, named in the refusal up to 64 characters',
      token: () => `${b64({ alg: 'ES256', kid: `${'k'.repeat(64)}TAIL` })}.${b64({ uid: 'a' })}.${'A'.repeat(86)}`,
      code: 'ERR_AUTHN_KEY_UNKNOWN',
      message: `no trusted key has kid "${'k'.repeat(64)}" or is bound to ES256`,
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const result = verifierAt().verifier.verify(c.token());
      if (c.uid) expect((await result).uid).toBe(c.uid);
      else await expect(result).rejects.toMatchObject({ code: c.code, ...(c.message ? { message: c.message } : {}) });
    });
  }
});

describe('options and log lines', () => {
  const bad: { name: string; options: Partial<TokenVerifierOptions>; message: string }[] = [
    { name: 'cacheSize', options: { cacheSize: -1 }, message: 'TokenVerifier option cacheSize must be an integer >= 0' },
    { name: 'cacheSeconds', options: { cacheSeconds: 1.5 }, message: 'TokenVerifier option cacheSeconds must be an integer > 0' },
    { name: 'now', options: { now: 1 as unknown as () => number }, message: 'TokenVerifier option now must be a function' },
  ];
  for (const c of bad) it(`a bad ${c.name} is named with what it must be`, () => expect(() => verifierAt(c.options)).toThrow(c.message));

  it('cacheSeconds: 1 is a good value', () => expect(() => verifierAt({ cacheSeconds: 1 })).not.toThrow());

  it('an own key without a kid is named with what it must be', () => {
    const rsa = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    expect(() => verifierAt({ own: { kid: '', alg: 'ES256', key: rsa.publicKey, issuer: 'gatehouse' } })).toThrow(
      'TokenVerifier option own must be a public KeyObject with a kid and an issuer',
    );
  });

  it('a refused token is logged by its code only; start() without remote issuers logs nothing', async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({ write: (chunk, _enc, done) => (lines.push(JSON.parse(String(chunk))), done()) });
    const { verifier } = verifierAt({ logger: pino({ level: 'debug' }, sink), registry: new Registry() });
    await verifier.start();
    await expect(verifier.verify(edToken({ uid: 'a' }, {}, generateKeyPairSync('ed25519').privateKey))).rejects.toThrow();
    expect(lines.map(({ code, msg }) => ({ code, msg }))).toEqual([{ code: 'ERR_AUTHN_SIGNATURE_INVALID', msg: 'token refused' }]);
  });
});
