// The verifier on malformed tokens, its cache (never past exp, bounded), its options and its metrics,
// and the keys it refuses to trust.
import { generateKeyPairSync, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  TokenVerifier,
  issueToken,
  loadOrCreateSigningKey,
  loadTrustedIssuers,
  staticKeyFromPem,
  type SigningKey,
  type TokenVerifierOptions,
} from '../../authn/index.js';
import { rsaKeyPair } from '../support/rsa-keys.js';
import { premadeSigningKey } from '../support/premade-authn.js';

let dir: string;
let own: SigningKey;
let verifier: TokenVerifier;
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const ed = generateKeyPairSync('ed25519');
const pem = (key: KeyObject) => key.export({ type: 'spki', format: 'pem' }).toString();
const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);
const sign = (key: KeyObject, alg: string, claims: Record<string, unknown>, header: Record<string, unknown> = {}): Promise<string> =>
  new SignJWT(claims).setProtectedHeader({ alg, ...header }).sign(key);
// A token built by hand, for headers and payloads jose would not sign.
const rawToken = (header: unknown, payload: unknown, key: KeyObject) => {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${cryptoSign(key.asymmetricKeyType === 'ed25519' ? null : 'sha256', Buffer.from(input), key).toString('base64url')}`;
};
const ownOptions = (): TokenVerifierOptions => ({ own: { kid: own.kid, alg: own.alg, key: own.publicKey, issuer: 'gatehouse' } });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-verifier-'));
  own = await premadeSigningKey(join(dir, 'signing-key.pem'));
  verifier = new TokenVerifier({
    ...ownOptions(),
    staticKeys: [
      await staticKeyFromPem(pem(ec.publicKey), 'ec.pem', { issuer: 'ci', audience: 'gatehouse' }),
      await staticKeyFromPem(pem(ed.publicKey), 'ed.pem'),
    ],
  });
});
afterAll(async () => {
  verifier.close();
  await rm(dir, { recursive: true, force: true });
});

describe('malformed tokens and unaccepted algorithms', () => {
  const ownToken = (claims: Record<string, unknown>, header: Record<string, unknown> = {}) =>
    sign(own.privateKey, 'RS256', { iss: 'gatehouse', ...claims }, { kid: own.kid, ...header });
  const cases: { name: string; token: () => Promise<string> | string; code: string }[] = [
    { name: 'empty string', token: () => '', code: 'ERR_AUTHN_TOKEN_MALFORMED' },
    { name: 'four parts', token: async () => `${await ownToken({ uid: 'a', exp: now() + 60 })}.x`, code: 'ERR_AUTHN_TOKEN_MALFORMED' },
    { name: 'header is not JSON', token: () => `${b64('{alg')}.${b64({ uid: 'a' })}.c2ln`, code: 'ERR_AUTHN_TOKEN_MALFORMED' },
    { name: 'header is a JSON array', token: () => `${b64(['RS256'])}.${b64({ uid: 'a' })}.c2ln`, code: 'ERR_AUTHN_TOKEN_MALFORMED' },
    { name: 'no alg', token: () => `${b64({ typ: 'JWT' })}.${b64({ uid: 'a' })}.c2ln`, code: 'ERR_AUTHN_ALGORITHM_REJECTED' },
    { name: 'alg: NONE in capitals', token: () => `${b64({ alg: 'NONE' })}.${b64({ uid: 'a' })}.`, code: 'ERR_AUTHN_ALGORITHM_REJECTED' },
    {
      name: 'RS384 with our key and kid',
      token: () => sign(own.privateKey, 'RS384', { uid: 'a', iss: 'gatehouse', exp: now() + 60 }, { kid: own.kid }),
      code: 'ERR_AUTHN_ALGORITHM_REJECTED',
    },
    {
      name: 'PS256 with our key and kid',
      token: () => sign(own.privateKey, 'PS256', { uid: 'a', iss: 'gatehouse', exp: now() + 60 }, { kid: own.kid }),
      code: 'ERR_AUTHN_ALGORITHM_REJECTED',
    },
    {
      name: 'crit extension, properly signed',
      token: () =>
        rawToken({ alg: 'RS256', kid: own.kid, crit: ['x'], x: 1 }, { uid: 'a', iss: 'gatehouse', exp: now() + 60 }, own.privateKey),
      code: 'ERR_AUTHN_TOKEN_MALFORMED',
    },
    {
      name: 'kid is a number',
      token: () => `${b64({ alg: 'RS256', kid: 7 })}.${b64({ uid: 'a' })}.c2ln`,
      code: 'ERR_AUTHN_TOKEN_MALFORMED',
    },
    {
      name: 'a character outside base64url in the signature',
      token: async () => `${(await ownToken({ uid: 'a', exp: now() + 60 })).slice(0, -2)}+/`,
      code: 'ERR_AUTHN_TOKEN_MALFORMED',
    },
    {
      name: 'payload is a JSON array, properly signed',
      token: () => rawToken({ alg: 'EdDSA' }, [1, 2], ed.privateKey),
      code: 'ERR_AUTHN_TOKEN_MALFORMED',
    },
    { name: 'exp is a string', token: () => ownToken({ uid: 'a', exp: String(now() + 60) }), code: 'ERR_AUTHN_TOKEN_MALFORMED' },
    { name: 'nbf is null', token: () => ownToken({ uid: 'a', exp: now() + 60, nbf: null }), code: 'ERR_AUTHN_TOKEN_MALFORMED' },
    { name: 'uid is an empty string and no sub', token: () => ownToken({ uid: '', exp: now() + 60 }), code: 'ERR_AUTHN_CLAIM_MISSING' },
    { name: 'uid is a number', token: () => ownToken({ uid: 42, exp: now() + 60 }), code: 'ERR_AUTHN_CLAIM_MISSING' },
    {
      name: 'our kid, signed by another RSA key',
      token: () =>
        sign(
          rsaKeyPair('a').privateKey,
          'RS256',
          { uid: 'a', iss: 'gatehouse', exp: now() + 60 },
          { kid: own.kid },
        ),
      code: 'ERR_AUTHN_SIGNATURE_INVALID',
    },
    {
      name: 'ES256 signature of the wrong length',
      token: async () => `${(await sign(ec.privateKey, 'ES256', { uid: 'a', iss: 'ci', aud: 'gatehouse', exp: now() + 60 })).slice(0, -4)}`,
      code: 'ERR_AUTHN_SIGNATURE_INVALID',
    },
    {
      name: 'ES256 from the trusted key but for another audience',
      token: () => sign(ec.privateKey, 'ES256', { uid: 'a', iss: 'ci', aud: 'elsewhere', exp: now() + 60 }),
      code: 'ERR_AUTHN_AUDIENCE_MISMATCH',
    },
    {
      name: 'ES256 from the trusted key without an audience',
      token: () => sign(ec.privateKey, 'ES256', { uid: 'a', iss: 'ci', exp: now() + 60 }),
      code: 'ERR_AUTHN_AUDIENCE_MISMATCH',
    },
    {
      name: 'EdDSA signed by an untrusted Ed25519 key',
      token: () => sign(generateKeyPairSync('ed25519').privateKey, 'EdDSA', { uid: 'a', exp: now() + 60 }),
      code: 'ERR_AUTHN_SIGNATURE_INVALID',
    },
    { name: 'expired beyond the 60 s leeway', token: () => ownToken({ uid: 'a', exp: now() - 61 }), code: 'ERR_AUTHN_TOKEN_EXPIRED' },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      await expect(verifier.verify(await c.token())).rejects.toMatchObject({ code: c.code });
    });
  }

  const accepted: { name: string; token: () => Promise<string>; uid: string }[] = [
    {
      name: "a trusted PEM key used with a kid of the signer's own naming",
      token: () => sign(ed.privateKey, 'EdDSA', { uid: 'ci-bot', exp: now() + 60 }, { kid: 'ci-key-1' }),
      uid: 'ci-bot',
    },
    {
      name: 'an audience list that includes ours',
      token: () => sign(ec.privateKey, 'ES256', { sub: 'svc', iss: 'ci', aud: ['x', 'gatehouse'], exp: now() + 60 }),
      uid: 'svc',
    },
    { name: 'no exp (checked only when present)', token: () => sign(ed.privateKey, 'EdDSA', { uid: 'no-exp' }), uid: 'no-exp' },
    {
      name: 'nbf inside the leeway',
      token: () => sign(ed.privateKey, 'EdDSA', { uid: 'soon', nbf: now() + 30, exp: now() + 600 }),
      uid: 'soon',
    },
    { name: 'uid wins over sub', token: () => sign(ed.privateKey, 'EdDSA', { uid: 'u', sub: 's', exp: now() + 60 }), uid: 'u' },
  ];
  for (const c of accepted) {
    it(`accepts ${c.name}`, async () => expect((await verifier.verify(await c.token())).uid).toBe(c.uid));
  }
});

describe('verified-token cache', () => {
  it('serves a token from the cache until its exp, re-verifies inside the leeway, refuses after it', async () => {
    let clock = Date.now();
    const v = new TokenVerifier({ ...ownOptions(), now: () => clock });
    try {
      const token = await sign(own.privateKey, 'RS256', { uid: 'a', iss: 'gatehouse', exp: Math.floor(clock / 1000) + 100 }, { kid: own.kid });
      await v.verify(token);
      await v.verify(token);
      expect([v.misses, v.hits]).toEqual([1, 1]);
      clock += 101_000; // past exp, inside the leeway: still accepted, but not from the cache
      expect((await v.verify(token)).uid).toBe('a');
      expect([v.misses, v.hits]).toEqual([2, 1]);
      clock += 60_000;
      await expect(v.verify(token)).rejects.toMatchObject({ code: 'ERR_AUTHN_TOKEN_EXPIRED' });
    } finally {
      v.close();
    }
  });

  const sizes: { name: string; cacheSize: number; hitsAfter: number }[] = [
    { name: 'a cache of 2 keeps the first two of three tokens', cacheSize: 2, hitsAfter: 2 },
    { name: 'a cache of 0 never serves from memory', cacheSize: 0, hitsAfter: 0 },
  ];
  for (const c of sizes) {
    it(c.name, async () => {
      const v = new TokenVerifier({ ...ownOptions(), cacheSize: c.cacheSize });
      try {
        const tokens = await Promise.all(['a', 'b', 'c'].map((uid) => issueToken(own, uid, 3_600_000)));
        for (const t of tokens) await v.verify(t);
        for (const t of tokens) await v.verify(t);
        expect(v.hits).toBe(c.hitsAfter);
        expect(v.misses).toBe(6 - c.hitsAfter);
      } finally {
        v.close();
      }
    });
  }

  it('a refused token is never cached: the same forged token is refused every time', async () => {
    const forged = `${(await issueToken(own, 'a', 60_000)).slice(0, -8)}AAAAAAAA`;
    for (let i = 0; i < 3; i++) await expect(verifier.verify(forged)).rejects.toMatchObject({ code: 'ERR_AUTHN_SIGNATURE_INVALID' });
  });
});

describe('options, metrics, keys', () => {
  const bad: { name: string; options: () => TokenVerifierOptions; names: string }[] = [
    { name: 'negative cacheSize', options: () => ({ cacheSize: -1 }), names: 'cacheSize' },
    { name: 'fractional cacheSize', options: () => ({ cacheSize: 1.5 }), names: 'cacheSize' },
    { name: 'cacheSeconds 0', options: () => ({ cacheSeconds: 0 }), names: 'cacheSeconds' },
    { name: 'own key is the private key', options: () => ({ own: { kid: own.kid, alg: 'RS256', key: own.privateKey, issuer: 'gatehouse' } }), names: 'own' },
    { name: 'own without issuer', options: () => ({ own: { kid: own.kid, alg: 'RS256', key: own.publicKey, issuer: '' } }), names: 'own' },
    { name: 'now is not a function', options: () => ({ now: 5 as unknown as () => number }), names: 'now' },
  ];
  for (const c of bad) {
    it(`refuses ${c.name}, naming the option`, () => {
      expect(() => new TokenVerifier(c.options())).toThrow(
        expect.objectContaining({ code: 'ERR_AUTHN_OPTIONS', message: expect.stringContaining(`option ${c.names} `) }),
      );
    });
  }

  it('counts checks by result on the registry it is given; two verifiers can share one', async () => {
    const registry = new Registry();
    const a = new TokenVerifier({ ...ownOptions(), registry });
    const b = new TokenVerifier({ ...ownOptions(), registry });
    try {
      const token = await issueToken(own, 'alice', 60_000);
      await a.verify(token);
      await a.verify(token);
      await expect(b.verify('x.y.z')).rejects.toMatchObject({ code: 'ERR_AUTHN_TOKEN_MALFORMED' });
      const text = await registry.metrics();
      expect(text).toContain('gatehouse_authn_token_checks_total{result="verified"} 1');
      expect(text).toContain('gatehouse_authn_token_checks_total{result="cached"} 1');
      expect(text).toContain('gatehouse_authn_token_checks_total{result="ERR_AUTHN_TOKEN_MALFORMED"} 1');
    } finally {
      a.close();
      b.close();
    }
  });

  const rsa1024 = generateKeyPairSync('rsa', { modulusLength: 1024 });
  const keyCases: { name: string; pem: () => string; message: RegExp }[] = [
    { name: 'a 1024-bit RSA key', pem: () => pem(rsa1024.publicKey), message: /1024 bits; RS256 keys must have at least 2048/ },
    { name: 'an EC P-384 key', pem: () => pem(generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey), message: /unsupported key type ec \(secp384r1\)/ },
    { name: 'not a PEM', pem: () => 'hello', message: /not a PEM public key/ },
  ];
  for (const c of keyCases) {
    it(`refuses to trust ${c.name}`, async () => {
      await expect(staticKeyFromPem(c.pem(), 'k.pem')).rejects.toMatchObject({ code: 'ERR_AUTHN_KEY_FILE', message: expect.stringMatching(c.message) });
    });
  }

  const trustCases: { name: string; trust: () => Promise<{ publicKey?: string; jwks?: string; issuer?: string }[]>; message: RegExp }[] = [
    {
      name: 'a missing public key file',
      trust: async () => [{ publicKey: join(dir, 'missing.pem') }],
      message: /authn\.trust\[0\]\.publicKey: cannot read .*missing\.pem: ENOENT/,
    },
    {
      name: 'a jwks without issuer',
      trust: async () => [{ jwks: 'http://127.0.0.1:1/jwks.json' }],
      message: /authn\.trust\[0\]: a jwks entry needs the issuer/,
    },
    {
      name: 'a key file holding a 1024-bit key',
      trust: async () => {
        const path = join(dir, 'small.pem');
        await writeFile(path, pem(rsa1024.publicKey));
        return [{ publicKey: path }];
      },
      message: /authn\.trust\[0\]\.publicKey .*1024 bits/,
    },
  ];
  for (const c of trustCases) {
    it(`trust: refuses ${c.name}`, async () => {
      await expect(loadTrustedIssuers(await c.trust())).rejects.toMatchObject({ code: 'ERR_AUTHN_KEY_FILE', message: expect.stringMatching(c.message) });
    });
  }

  const signingCases: { name: string; content: string | (() => string); mode: number; code?: string; warning?: RegExp }[] = [
    {
      name: 'a group-readable key is used with a warning',
      content: () => own.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      mode: 0o640,
      warning: /readable by others \(mode 640\); chmod 600/,
    },
    { name: 'a key file that is not PEM', content: 'not a key', mode: 0o600, code: 'ERR_AUTHN_KEY_FILE' },
    {
      name: 'an EC signing key',
      content: () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      mode: 0o600,
      code: 'ERR_AUTHN_KEY_FILE',
    },
    {
      name: 'a 1024-bit RSA signing key',
      content: () => rsa1024.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      mode: 0o600,
      code: 'ERR_AUTHN_KEY_FILE',
    },
  ];
  for (const [i, c] of signingCases.entries()) {
    it(`signing key: ${c.name}`, async () => {
      const path = join(dir, `signing-${i}.pem`);
      await writeFile(path, typeof c.content === 'string' ? c.content : c.content());
      await chmod(path, c.mode);
      if (c.code) await expect(loadOrCreateSigningKey(path)).rejects.toMatchObject({ code: c.code });
      else {
        const loaded = await loadOrCreateSigningKey(path);
        expect(loaded.created).toBe(false);
        expect(loaded.warning).toMatch(c.warning!);
      }
    });
  }
});
