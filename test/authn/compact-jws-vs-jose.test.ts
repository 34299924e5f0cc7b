// The fast path (authn/compact-jws.ts, node:crypto on imported keys) is kept only because every token
// it accepts jose accepts and every token it refuses jose refuses. Each case here is signed for real,
// verified both ways with the same key, algorithm list, leeway, issuer and audience, and the two
// verdicts must agree. Where Gatehouse is deliberately stricter than jose, the case says so and why.
import { createSecretKey, generateKeyPairSync, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { CompactSign, SignJWT, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { checkClaims, checkSignature, decodeJws } from '../../authn/compact-jws.js';
import type { Algorithm } from '../../authn/trusted-keys.js';
import { rsaKeyPair } from '../support/rsa-keys.js';

const LEEWAY = 60;
const NOW = Math.floor(Date.now() / 1000);
const ISSUER = 'https://issuer.example';
const AUDIENCE = 'gatehouse';

const keys: Record<Algorithm, { privateKey: KeyObject; publicKey: KeyObject }> = {
  RS256: rsaKeyPair('a'),
  ES256: generateKeyPairSync('ec', { namedCurve: 'P-256' }),
  EdDSA: generateKeyPairSync('ed25519'),
};

const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

async function signed(alg: Algorithm, payload: Record<string, unknown>, header: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ alg, ...header }).sign(keys[alg].privateKey);
}

/** A token whose header and payload are written by hand, signed with `alg`'s private key as jose would. */
function handSigned(alg: Algorithm, header: unknown, payload: unknown): string {
  const input = `${b64(header)}.${b64(payload)}`;
  const key = keys[alg].privateKey;
  const signature = alg === 'RS256' ? cryptoSign('sha256', Buffer.from(input), key)
    : alg === 'ES256' ? cryptoSign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' })
    : cryptoSign(null, Buffer.from(input), key);
  return `${input}.${signature.toString('base64url')}`;
}

function fastVerdict(token: string, keyAlg: Algorithm, expect: { issuer?: string; audience?: string }): boolean {
  try {
    const jws = decodeJws(token);
    checkSignature(jws, keys[keyAlg].publicKey, keyAlg);
    checkClaims(jws.payload, { nowSeconds: NOW, leewaySeconds: LEEWAY, ...expect });
    return true;
  } catch {
    return false;
  }
}

async function joseVerdict(token: string, keyAlg: Algorithm, expect: { issuer?: string; audience?: string }): Promise<boolean> {
  try {
    await jwtVerify(token, keys[keyAlg].publicKey, { algorithms: [keyAlg], clockTolerance: LEEWAY, currentDate: new Date(NOW * 1000), ...expect });
    return true;
  } catch {
    return false;
  }
}

interface Case {
  readonly name: string;
  readonly token: () => Promise<string> | string;
  readonly keyAlg: Algorithm;
  readonly expect?: { issuer?: string; audience?: string };
  readonly accepted: boolean;
  /** Set when Gatehouse refuses what jose accepts, with the reason; jose's verdict is then checked to be `true`. */
  readonly stricterBecause?: string;
}

const base = { uid: 'alice', exp: NOW + 300 };
const cases: Case[] = [];
for (const alg of ['RS256', 'ES256', 'EdDSA'] as const) {
  cases.push(
    { name: `${alg}: a valid token`, keyAlg: alg, token: () => signed(alg, base), accepted: true },
    { name: `${alg}: no exp at all`, keyAlg: alg, token: () => signed(alg, { uid: 'alice' }), accepted: true },
    {
      name: `${alg}: expired beyond the leeway`,
      keyAlg: alg,
      token: () => signed(alg, { ...base, exp: NOW - LEEWAY - 1 }),
      accepted: false,
    },
    {
      name: `${alg}: expired within the leeway`,
      keyAlg: alg,
      token: () => signed(alg, { ...base, exp: NOW - LEEWAY + 5 }),
      accepted: true,
    },
    { name: `${alg}: exp exactly at now - leeway`, keyAlg: alg, token: () => signed(alg, { ...base, exp: NOW - LEEWAY }), accepted: false },
    { name: `${alg}: nbf beyond the leeway`, keyAlg: alg, token: () => signed(alg, { ...base, nbf: NOW + LEEWAY + 1 }), accepted: false },
    { name: `${alg}: nbf within the leeway`, keyAlg: alg, token: () => signed(alg, { ...base, nbf: NOW + LEEWAY }), accepted: true },
    {
      name: `${alg}: exp is a string`,
      keyAlg: alg,
      token: () => handSigned(alg, { alg }, { ...base, exp: String(NOW + 300) }),
      accepted: false,
    },
    { name: `${alg}: iat is a string`, keyAlg: alg, token: () => handSigned(alg, { alg }, { ...base, iat: 'yesterday' }), accepted: false },
    {
      name: `${alg}: the right issuer`,
      keyAlg: alg,
      expect: { issuer: ISSUER },
      token: () => signed(alg, { ...base, iss: ISSUER }),
      accepted: true,
    },
    {
      name: `${alg}: another issuer`,
      keyAlg: alg,
      expect: { issuer: ISSUER },
      token: () => signed(alg, { ...base, iss: 'https://evil.example' }),
      accepted: false,
    },
    {
      name: `${alg}: no issuer when one is expected`,
      keyAlg: alg,
      expect: { issuer: ISSUER },
      token: () => signed(alg, base),
      accepted: false,
    },
    {
      name: `${alg}: audience as a string`,
      keyAlg: alg,
      expect: { audience: AUDIENCE },
      token: () => signed(alg, { ...base, aud: AUDIENCE }),
      accepted: true,
    },
    {
      name: `${alg}: audience in a list`,
      keyAlg: alg,
      expect: { audience: AUDIENCE },
      token: () => signed(alg, { ...base, aud: ['other', AUDIENCE] }),
      accepted: true,
    },
    {
      name: `${alg}: another audience`,
      keyAlg: alg,
      expect: { audience: AUDIENCE },
      token: () => signed(alg, { ...base, aud: 'other' }),
      accepted: false,
    },
    { name: `${alg}: a kid in the header`, keyAlg: alg, token: () => signed(alg, base, { kid: 'k1' }), accepted: true },
    {
      name: `${alg}: a kid that is a number`,
      keyAlg: alg,
      token: () => handSigned(alg, { alg, kid: 7 }, base),
      accepted: false,
      stricterBecause: 'a kid that is not a string cannot pick a key; jose ignores kid entirely',
    },
    {
      name: `${alg}: the payload changed after signing`,
      keyAlg: alg,
      token: async () => {
        const [h, , s] = (await signed(alg, base)).split('.');
        return `${h}.${b64({ ...base, uid: 'root' })}.${s}`;
      },
      accepted: false,
    },
    {
      name: `${alg}: one signature bit flipped`,
      keyAlg: alg,
      token: async () => {
        const [h, p, s] = (await signed(alg, base)).split('.');
        const sig = Buffer.from(s!, 'base64url');
        sig[5] = sig[5]! ^ 1;
        return `${h}.${p}.${sig.toString('base64url')}`;
      },
      accepted: false,
    },
    {
      name: `${alg}: no signature`,
      keyAlg: alg,
      token: async () => {
        const [h, p] = (await signed(alg, base)).split('.');
        return `${h}.${p}.`;
      },
      accepted: false,
    },
    {
      name: `${alg}: a character outside base64url in the signature`,
      keyAlg: alg,
      token: async () => `${await signed(alg, base)}*`,
      accepted: false,
    },
    { name: `${alg}: four segments`, keyAlg: alg, token: async () => `${await signed(alg, base)}.x`, accepted: false },
    { name: `${alg}: a payload that is a JSON array`, keyAlg: alg, token: () => handSigned(alg, { alg }, [1, 2]), accepted: false },
    { name: `${alg}: a header that is not JSON`, keyAlg: alg, token: () => handSigned(alg, 'not json', base), accepted: false },
    {
      name: `${alg}: crit naming an unknown extension`,
      keyAlg: alg,
      token: () => handSigned(alg, { alg, crit: ['x-unknown'], 'x-unknown': 1 }, base),
      accepted: false,
    },
    { name: `${alg}: alg none, no signature`, keyAlg: alg, token: () => `${b64({ alg: 'none' })}.${b64(base)}.`, accepted: false },
  );
}
cases.push(
  { name: 'an RS256 token offered to an ES256 key', keyAlg: 'ES256', token: () => signed('RS256', base), accepted: false },
  { name: 'an ES256 token offered to an RS256 key', keyAlg: 'RS256', token: () => signed('ES256', base), accepted: false },
  { name: 'an EdDSA token offered to an ES256 key', keyAlg: 'ES256', token: () => signed('EdDSA', base), accepted: false },
  {
    name: 'HS256 signed with the RSA public key (PEM) as the HMAC secret: algorithm confusion',
    keyAlg: 'RS256',
    token: () =>
      new SignJWT(base)
        .setProtectedHeader({ alg: 'HS256' })
        .sign(createSecretKey(Buffer.from(keys.RS256.publicKey.export({ type: 'spki', format: 'pem' })))),
    accepted: false,
  },
  {
    name: 'ES256 with a DER-encoded signature instead of raw r||s',
    keyAlg: 'ES256',
    token: () => {
      const input = `${b64({ alg: 'ES256' })}.${b64(base)}`;
      return `${input}.${cryptoSign('sha256', Buffer.from(input), keys.ES256.privateKey).toString('base64url')}`;
    },
    accepted: false,
  },
  {
    name: 'a JWS over a non-JSON payload (CompactSign)',
    keyAlg: 'RS256',
    token: () => new CompactSign(new TextEncoder().encode('just bytes')).setProtectedHeader({ alg: 'RS256' }).sign(keys.RS256.privateKey),
    accepted: false,
  },
);

describe('the fast JWS path agrees with jose', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const token = await c.token();
      const expectations = c.expect ?? {};
      const fast = fastVerdict(token, c.keyAlg, expectations);
      const jose = await joseVerdict(token, c.keyAlg, expectations);
      expect(fast).toBe(c.accepted);
      if (c.stricterBecause) expect(jose).toBe(true);
      else expect(jose).toBe(fast);
    });
  }
});
