// The token fast path piece by piece: decodeJws refuses what is not a JWS and says why, checkSignature
// refuses a token naming another algorithm than its key's (algorithm confusion) and signatures of the
// wrong length, and checkClaims takes exp, nbf, iss and aud at their exact edges. Real keys, real
// signatures (node:crypto); written for what mutation testing found unchecked by the other tests.
import { generateKeyPairSync, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checkClaims, checkSignature, decodeJws } from '../../authn/compact-jws.js';
import type { Algorithm } from '../../authn/trusted-keys.js';
import { rsaKeyPair } from '../support/rsa-keys.js';

const b64 = (value: unknown): string => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const keys: Record<Algorithm, { privateKey: KeyObject; publicKey: KeyObject }> = {
  RS256: rsaKeyPair('a'),
  ES256: generateKeyPairSync('ec', { namedCurve: 'P-256' }),
  EdDSA: generateKeyPairSync('ed25519'),
};
function signed(alg: Algorithm, payload: Record<string, unknown> = { sub: 'x' }, signWith: Algorithm = alg): string {
  const input = `${b64({ alg, typ: 'JWT' })}.${b64(payload)}`;
  const key = keys[signWith].privateKey;
  const signature =
    signWith === 'RS256'
      ? cryptoSign('sha256', Buffer.from(input), key)
      : signWith === 'ES256'
        ? cryptoSign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' })
        : cryptoSign(null, Buffer.from(input), key);
  return `${input}.${signature.toString('base64url')}`;
}

describe('decodeJws refuses, naming what is wrong', () => {
  const NOT_JWT = 'the token is not a JWT (three base64url parts separated by dots)';
  const MALFORMED = 'ERR_AUTHN_TOKEN_MALFORMED';
  const REJECTED = 'ERR_AUTHN_ALGORITHM_REJECTED';
  const rest = `${b64({})}.c2ln`;
  const ONLY = 'is not accepted (RS256, ES256, EdDSA only)';
  const RS = b64({ alg: 'RS256' });
  const cases: { name: string; token: string; code: string; message: string }[] = [
    { name: 'two parts', token: `${RS}.${b64({})}`, code: MALFORMED, message: NOT_JWT },
    { name: 'a header with a character outside base64url', token: `x${RS}!.${rest}`, code: MALFORMED, message: NOT_JWT },
    { name: 'a header with a character outside base64url first', token: `!${RS}.${rest}`, code: MALFORMED, message: NOT_JWT },
    { name: 'a header that is not JSON', token: `${b64('{nope')}.${rest}`, code: MALFORMED, message: 'the token header is not base64url JSON' },
    { name: 'a header that is a JSON array', token: `${b64([1])}.${rest}`, code: MALFORMED, message: 'the token header is not a JSON object' },
    { name: 'a header that is JSON null', token: `${b64('null')}.${rest}`, code: MALFORMED, message: 'the token header is not a JSON object' },
    { name: 'a header that is a JSON string', token: `${b64('"RS256"')}.${rest}`, code: MALFORMED, message: 'the token header is not a JSON object' },
    { name: 'alg none', token: `${b64({ alg: 'none' })}.${rest}`, code: REJECTED, message: `algorithm "none" ${ONLY}` },
    { name: 'no alg', token: `${b64({})}.${rest}`, code: REJECTED, message: `algorithm undefined ${ONLY}` },
    {
      name: 'a long alg, cut in the message',
      token: `${b64({ alg: 'H'.repeat(100) })}.${rest}`,
      code: REJECTED,
      message: `algorithm "${'H'.repeat(39)} ${ONLY}`,
    },
    {
      name: 'crit extensions',
      token: `${b64({ alg: 'RS256', crit: ['b64'] })}.${rest}`,
      code: MALFORMED,
      message: 'the token header has "crit" extensions, which are not supported',
    },
    {
      name: 'a kid that is not a string',
      token: `${b64({ alg: 'RS256', kid: 7 })}.${rest}`,
      code: MALFORMED,
      message: 'the token header "kid" is not a string',
    },
    { name: 'a payload that is not a JSON object', token: `${RS}.${b64('[]')}.c2ln`, code: MALFORMED, message: 'the token payload is not a JSON object' },
  ];
  it.each(cases)('$name', ({ token, code, message }) => {
    expect(() => decodeJws(token)).toThrow(expect.objectContaining({ code, message }));
  });

  it('a header that is not JSON keeps the parser\'s error as its cause', () => {
    expect(() => decodeJws(`${b64('{nope')}.${b64({})}.c2ln`)).toThrow(expect.objectContaining({ cause: expect.any(SyntaxError) }));
  });

  it('a good token: its parts, and the exact signing input', () => {
    const token = signed('RS256', { sub: 'alice' });
    const jws = decodeJws(token);
    expect(jws).toMatchObject({ alg: 'RS256', kid: undefined, payload: { sub: 'alice' } });
    expect(jws.signingInput.toString('ascii')).toBe(token.split('.').slice(0, 2).join('.'));
  });
});

describe('checkSignature', () => {
  const algs: Algorithm[] = ['RS256', 'ES256', 'EdDSA'];
  it.each(algs)('%s: a good signature verifies', (alg) => {
    expect(() => checkSignature(decodeJws(signed(alg)), keys[alg].publicKey, alg)).not.toThrow();
  });
  it.each(algs)('%s: a signature of another key does not', (alg) => {
    const other =
      alg === 'RS256'
        ? rsaKeyPair('b')
        : alg === 'ES256'
          ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
          : generateKeyPairSync('ed25519');
    expect(() => checkSignature(decodeJws(signed(alg)), other.publicKey, alg)).toThrow(
      expect.objectContaining({ code: 'ERR_AUTHN_SIGNATURE_INVALID', message: 'the token signature does not verify' }),
    );
  });
  it('a key of the wrong type for its algorithm (crypto throws) refuses the token, it does not crash', () => {
    expect(() => checkSignature(decodeJws(signed('RS256')), keys.EdDSA.publicKey, 'RS256')).toThrow(
      expect.objectContaining({ code: 'ERR_AUTHN_SIGNATURE_INVALID' }),
    );
  });
  it('a token naming another algorithm than its key is bound to is refused before any crypto', () => {
    expect(() => checkSignature(decodeJws(signed('RS256')), keys.ES256.publicKey, 'ES256')).toThrow(
      expect.objectContaining({ code: 'ERR_AUTHN_ALGORITHM_REJECTED', message: 'the token says RS256 but its key is bound to ES256' }),
    );
  });
  it.each(['ES256', 'EdDSA'] as const)('%s: a signature one byte too long is refused', (alg) => {
    const jws = decodeJws(signed(alg));
    const longer = { ...jws, signature: Buffer.concat([jws.signature, Buffer.from([0])]) };
    expect(() => checkSignature(longer, keys[alg].publicKey, alg)).toThrow(expect.objectContaining({ code: 'ERR_AUTHN_SIGNATURE_INVALID' }));
  });
  it('ES256: a DER-encoded signature (not the JWS form) is refused', () => {
    const token = signed('ES256');
    const input = token.split('.').slice(0, 2).join('.');
    const der = cryptoSign('sha256', Buffer.from(input), keys.ES256.privateKey);
    expect(() => checkSignature({ ...decodeJws(token), signature: der }, keys.ES256.publicKey, 'ES256')).toThrow(
      expect.objectContaining({ code: 'ERR_AUTHN_SIGNATURE_INVALID' }),
    );
  });
});

describe('checkClaims at the edges', () => {
  const now = 1_000_000;
  const base = { nowSeconds: now, leewaySeconds: 30 };
  type Expectations = Partial<typeof base & { issuer: string; audience: string }>;
  const cases: { name: string; payload: Record<string, unknown>; expect?: Expectations; code: string | null }[] = [
    { name: 'no claims at all', payload: {}, code: null },
    { name: 'exp just inside the leeway', payload: { exp: now - 29 }, code: null },
    { name: 'exp exactly at the leeway', payload: { exp: now - 30 }, code: 'ERR_AUTHN_TOKEN_EXPIRED' },
    { name: 'exp not a number', payload: { exp: '2030' }, code: 'ERR_AUTHN_TOKEN_MALFORMED' },
    { name: 'exp infinite', payload: { exp: Number.POSITIVE_INFINITY }, code: 'ERR_AUTHN_TOKEN_MALFORMED' },
    { name: 'iat not a number', payload: { iat: 'now' }, code: 'ERR_AUTHN_TOKEN_MALFORMED' },
    { name: 'nbf exactly at the leeway', payload: { nbf: now + 30 }, code: null },
    { name: 'nbf past the leeway', payload: { nbf: now + 31 }, code: 'ERR_AUTHN_TOKEN_NOT_YET_VALID' },
    { name: 'the expected issuer', payload: { iss: 'https://idp' }, expect: { issuer: 'https://idp' }, code: null },
    { name: 'an issuer when none is expected', payload: { iss: 'https://anyone' }, code: null },
    { name: 'another issuer', payload: { iss: 'https://evil' }, expect: { issuer: 'https://idp' }, code: 'ERR_AUTHN_ISSUER_MISMATCH' },
    { name: 'no issuer when one is expected', payload: {}, expect: { issuer: 'https://idp' }, code: 'ERR_AUTHN_ISSUER_MISMATCH' },
    { name: 'the audience as a string', payload: { aud: 'gw' }, expect: { audience: 'gw' }, code: null },
    { name: 'the audience in a list', payload: { aud: ['a', 'gw'] }, expect: { audience: 'gw' }, code: null },
    { name: 'another audience', payload: { aud: ['a'] }, expect: { audience: 'gw' }, code: 'ERR_AUTHN_AUDIENCE_MISMATCH' },
    { name: 'no audience when one is expected', payload: {}, expect: { audience: 'gw' }, code: 'ERR_AUTHN_AUDIENCE_MISMATCH' },
    { name: 'an audience that is an object', payload: { aud: { gw: true } }, expect: { audience: 'gw' }, code: 'ERR_AUTHN_AUDIENCE_MISMATCH' },
  ];
  it.each(cases)('$name', ({ payload, expect: more, code }) => {
    const run = () => checkClaims(payload, { ...base, ...more });
    if (code === null) expect(run).not.toThrow();
    else expect(run).toThrow(expect.objectContaining({ code }));
  });
  it('the refusals say what is wrong', () => {
    expect(() => checkClaims({ exp: 1 }, base)).toThrow('the token has expired');
    expect(() => checkClaims({ nbf: now + 99 }, base)).toThrow('the token is not valid yet (nbf)');
    expect(() => checkClaims({ exp: 'x' }, base)).toThrow('the "exp" claim is not a number');
    expect(() => checkClaims({}, { ...base, issuer: 'i' })).toThrow('the token comes from another issuer');
    expect(() => checkClaims({}, { ...base, audience: 'a' })).toThrow('the token is meant for another audience');
  });
});
