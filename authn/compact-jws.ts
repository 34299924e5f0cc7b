// Compact JWS checks with node:crypto on keys imported once. jose 6 verifies through WebCrypto,
// which costs 1.5 to 3.5 times as much per uncached RS256 token here (bench/authn.mjs; 3.5x measured
// 2026-12-05: 2.4k/s against 8.4k/s on a loaded machine), and a cold verification is what a flood of
// forged tokens costs us. The checks are jose's for these three algorithms, and
// test/authn/compact-jws-vs-jose.test.ts holds both to the same verdict on every accepted and refused
// case; the key's own algorithm decides how the signature is checked, never the token.
import { verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { AuthnError } from './errors.js';
import { ALGORITHMS, type Algorithm } from './trusted-keys.js';

export interface DecodedJws {
  readonly alg: Algorithm;
  readonly kid: string | undefined;
  readonly payload: Readonly<Record<string, unknown>>;
  readonly signingInput: Buffer;
  readonly signature: Buffer;
}

export interface ClaimExpectations {
  readonly nowSeconds: number;
  readonly leewaySeconds: number;
  readonly issuer?: string;
  readonly audience?: string;
}

// Buffer.from(…, 'base64url') skips characters outside the alphabet; a token must not get that slack.
const SEGMENT = /^[A-Za-z0-9_-]+$/;

function jsonObject(segment: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch (error) {
    throw new AuthnError('ERR_AUTHN_TOKEN_MALFORMED', `the token ${what} is not base64url JSON`, { cause: error });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new AuthnError('ERR_AUTHN_TOKEN_MALFORMED', `the token ${what} is not a JSON object`);
  return value as Record<string, unknown>;
}

/** Splits and decodes a compact JWS; nothing in it is trusted yet. */
export function decodeJws(token: string): DecodedJws {
  const parts = token.split('.');
  const malformed = () => new AuthnError('ERR_AUTHN_TOKEN_MALFORMED', 'the token is not a JWT (three base64url parts separated by dots)');
  if (parts.length !== 3 || !SEGMENT.test(parts[0]!)) throw malformed();
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
  const header = jsonObject(headerPart, 'header');
  // The algorithm first, so that `alg: none` (and its empty signature) is named for what it is.
  if (typeof header.alg !== 'string' || !(ALGORITHMS as readonly string[]).includes(header.alg)) {
    throw new AuthnError(
      'ERR_AUTHN_ALGORITHM_REJECTED',
      `algorithm ${JSON.stringify(header.alg)?.slice(0, 40) ?? 'undefined'} is not accepted (RS256, ES256, EdDSA only)`,
    );
  }
  if (!SEGMENT.test(payloadPart) || !SEGMENT.test(signaturePart)) throw malformed();
  // Extensions we would have to understand (b64: false and the like): refuse rather than guess.
  if (header.crit !== undefined) throw new AuthnError('ERR_AUTHN_TOKEN_MALFORMED', 'the token header has "crit" extensions, which are not supported');
  if (header.kid !== undefined && typeof header.kid !== 'string') throw new AuthnError('ERR_AUTHN_TOKEN_MALFORMED', 'the token header "kid" is not a string');
  return {
    alg: header.alg as Algorithm,
    kid: header.kid as string | undefined,
    payload: jsonObject(payloadPart, 'payload'),
    signingInput: Buffer.from(`${headerPart}.${payloadPart}`, 'ascii'),
    signature: Buffer.from(signaturePart, 'base64url'),
  };
}

/** Checks the signature with `key`, which is bound to `keyAlg`; a token naming another algorithm is refused first. */
export function checkSignature(jws: DecodedJws, key: KeyObject, keyAlg: Algorithm): void {
  if (jws.alg !== keyAlg) throw new AuthnError('ERR_AUTHN_ALGORITHM_REJECTED', `the token says ${jws.alg} but its key is bound to ${keyAlg}`);
  let valid = false;
  try {
    if (keyAlg === 'RS256') valid = cryptoVerify('sha256', jws.signingInput, key, jws.signature);
    else if (keyAlg === 'ES256')
      valid = jws.signature.length === 64 && cryptoVerify('sha256', jws.signingInput, { key, dsaEncoding: 'ieee-p1363' }, jws.signature);
    else valid = jws.signature.length === 64 && cryptoVerify(null, jws.signingInput, key, jws.signature);
  } catch {
    valid = false;
  }
  if (!valid) throw new AuthnError('ERR_AUTHN_SIGNATURE_INVALID', 'the token signature does not verify');
}

function numericDate(payload: Readonly<Record<string, unknown>>, claim: 'exp' | 'nbf' | 'iat'): number | undefined {
  const value = payload[claim];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new AuthnError('ERR_AUTHN_TOKEN_MALFORMED', `the "${claim}" claim is not a number`);
  return value;
}

/** Time claims with leeway, then issuer and audience when they are expected. Run after the signature check. */
export function checkClaims(payload: Readonly<Record<string, unknown>>, expect: ClaimExpectations): void {
  const exp = numericDate(payload, 'exp');
  const nbf = numericDate(payload, 'nbf');
  numericDate(payload, 'iat');
  if (exp !== undefined && exp <= expect.nowSeconds - expect.leewaySeconds) throw new AuthnError('ERR_AUTHN_TOKEN_EXPIRED', 'the token has expired');
  if (nbf !== undefined && nbf > expect.nowSeconds + expect.leewaySeconds)
    throw new AuthnError('ERR_AUTHN_TOKEN_NOT_YET_VALID', 'the token is not valid yet (nbf)');
  if (expect.issuer !== undefined && payload.iss !== expect.issuer) throw new AuthnError('ERR_AUTHN_ISSUER_MISMATCH', 'the token comes from another issuer');
  if (expect.audience !== undefined) {
    const aud = payload.aud;
    const audiences = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : [];
    if (!audiences.includes(expect.audience)) throw new AuthnError('ERR_AUTHN_AUDIENCE_MISMATCH', 'the token is meant for another audience');
  }
}
