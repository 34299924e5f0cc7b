// Verifies a token and says who is calling. Only RS256, ES256 and EdDSA, each key with the one
// algorithm it is bound to (no `none`, no HMAC with a public key, no RS256 token passed off as
// ES256); `uid` (or `sub`) required; `exp`/`nbf` with 60 s leeway; issuer and audience for trusted
// issuers. Verified tokens are cached by their SHA-256 until they expire, so a busy client costs a
// lookup rather than a signature check.
import { createHash, type KeyObject } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, errors as joseErrors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import NodeCache from 'node-cache';
import { AuthnError } from './errors.js';
import { MAX_TOKEN_BYTES } from './token-extraction.js';
import { ALGORITHMS, type Algorithm, type RemoteIssuer, type StaticKey } from './trusted-keys.js';

export const LEEWAY_SECONDS = 60;
const MAX_CACHE_SECONDS = 600;

export interface Caller {
  readonly uid: string;
  readonly issuer: string | null;
  readonly expiresAt: number | null;   // epoch seconds
  readonly claims: JWTPayload;
}

export interface TokenVerifierOptions {
  /** The instance's own key and the issuer its tokens carry. */
  readonly own?: { readonly kid: string; readonly alg: Algorithm; readonly key: KeyObject; readonly issuer: string };
  readonly staticKeys?: readonly StaticKey[];
  readonly remote?: readonly RemoteIssuer[];
  readonly cacheSize?: number;
}

export class TokenVerifier {
  readonly #options: TokenVerifierOptions;
  readonly #cache: NodeCache;
  readonly #cacheSize: number;
  hits = 0;
  misses = 0;

  constructor(options: TokenVerifierOptions) {
    this.#options = options;
    this.#cacheSize = options.cacheSize ?? 50_000;
    this.#cache = new NodeCache({ stdTTL: MAX_CACHE_SECONDS, checkperiod: 60, useClones: false });
  }

  close(): void {
    this.#cache.close();
  }

  async verify(token: string): Promise<Caller> {
    if (token.length > MAX_TOKEN_BYTES) throw new AuthnError('ERR_AUTHN_TOKEN_TOO_LARGE', `the token is ${token.length} bytes, over the limit of ${MAX_TOKEN_BYTES}`);
    const cacheKey = createHash('sha256').update(token).digest('base64url');
    const cached = this.#cache.get<Caller>(cacheKey);
    const now = Date.now() / 1000;
    // Never serve a cached answer past the token's own expiry (plus leeway), whatever the cache TTL.
    if (cached && (cached.expiresAt === null || cached.expiresAt + LEEWAY_SECONDS > now)) {
      this.hits++;
      return cached;
    }
    this.misses++;
    const caller = await this.#verifyUncached(token);
    const ttl = Math.floor(Math.min(MAX_CACHE_SECONDS, caller.expiresAt === null ? 60 : caller.expiresAt + LEEWAY_SECONDS - now));
    if (ttl > 0 && this.#cache.getStats().keys < this.#cacheSize) this.#cache.set(cacheKey, caller, ttl);
    return caller;
  }

  async #verifyUncached(token: string): Promise<Caller> {
    let header: ReturnType<typeof decodeProtectedHeader>;
    let unverified: JWTPayload;
    try {
      header = decodeProtectedHeader(token);
      unverified = decodeJwt(token);
    } catch (error) {
      throw new AuthnError('ERR_AUTHN_TOKEN_MALFORMED', 'the token is not a JWT', { cause: error });
    }
    const alg = header.alg as Algorithm | undefined;
    if (!alg || !ALGORITHMS.includes(alg)) throw new AuthnError('ERR_AUTHN_ALGORITHM_REJECTED', `algorithm ${String(header.alg)} is not accepted (RS256, ES256, EdDSA only)`);

    const { own, staticKeys = [], remote = [] } = this.#options;
    const issuer = typeof unverified.iss === 'string' ? unverified.iss : undefined;
    const trustedRemote = remote.find((r) => r.issuer === issuer);
    let payload: JWTPayload;
    if (trustedRemote) {
      // jose picks the remote key by kid and refuses a key whose type or `alg` does not fit the token's.
      payload = await this.#check(token, trustedRemote.keys, { alg, issuer: trustedRemote.issuer, ...(trustedRemote.audience ? { audience: trustedRemote.audience } : {}) });
    } else if (own && header.kid === own.kid) {
      payload = await this.#check(token, this.#boundKey(own.key, own.alg, alg), { alg, issuer: own.issuer });
    } else {
      const named = header.kid ? staticKeys.filter((k) => k.kid === header.kid) : staticKeys.filter((k) => k.alg === alg);
      if (named.length === 0) throw new AuthnError('ERR_AUTHN_KEY_UNKNOWN', header.kid ? `no trusted key has kid "${header.kid}"` : `the token names no key (kid) and no trusted key is bound to ${alg}`);
      const candidates = named;
      let lastError: unknown = null;
      payload = undefined as unknown as JWTPayload;
      for (const candidate of candidates) {
        try {
          payload = await this.#check(token, this.#boundKey(candidate.key, candidate.alg, alg), { alg, ...(candidate.issuer ? { issuer: candidate.issuer } : {}), ...(candidate.audience ? { audience: candidate.audience } : {}) });
          lastError = null;
          break;
        } catch (error) {
          lastError = error;
        }
      }
      if (lastError) throw lastError;
    }
    const uid = typeof payload.uid === 'string' && payload.uid ? payload.uid : typeof payload.sub === 'string' && payload.sub ? payload.sub : null;
    if (!uid) throw new AuthnError('ERR_AUTHN_CLAIM_MISSING', 'the token has no uid (or sub) claim');
    return Object.freeze({ uid, issuer: payload.iss ?? null, expiresAt: typeof payload.exp === 'number' ? payload.exp : null, claims: payload });
  }

  #boundKey(key: KeyObject, keyAlg: Algorithm, tokenAlg: Algorithm): KeyObject {
    if (keyAlg !== tokenAlg) throw new AuthnError('ERR_AUTHN_ALGORITHM_REJECTED', `the token says ${tokenAlg} but its key is bound to ${keyAlg}`);
    return key;
  }

  async #check(token: string, key: KeyObject | JWTVerifyGetKey, expect: { alg: Algorithm; issuer?: string; audience?: string }): Promise<JWTPayload> {
    try {
      const verifyOptions = { algorithms: [expect.alg], clockTolerance: LEEWAY_SECONDS, ...(expect.issuer ? { issuer: expect.issuer } : {}), ...(expect.audience ? { audience: expect.audience } : {}) };
      const result = typeof key === 'function' ? await jwtVerify(token, key, verifyOptions) : await jwtVerify(token, key, verifyOptions);
      return result.payload;
    } catch (error) {
      throw translate(error);
    }
  }
}

function translate(error: unknown): AuthnError {
  if (error instanceof AuthnError) return error;
  if (error instanceof joseErrors.JWTExpired) return new AuthnError('ERR_AUTHN_TOKEN_EXPIRED', 'the token has expired', { cause: error });
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.claim === 'nbf') return new AuthnError('ERR_AUTHN_TOKEN_NOT_YET_VALID', 'the token is not valid yet (nbf)', { cause: error });
    if (error.claim === 'iss') return new AuthnError('ERR_AUTHN_ISSUER_MISMATCH', 'the token comes from another issuer', { cause: error });
    if (error.claim === 'aud') return new AuthnError('ERR_AUTHN_AUDIENCE_MISMATCH', 'the token is meant for another audience', { cause: error });
    return new AuthnError('ERR_AUTHN_TOKEN_MALFORMED', `claim ${error.claim}: ${error.reason}`, { cause: error });
  }
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return new AuthnError('ERR_AUTHN_ALGORITHM_REJECTED', 'the token algorithm is not accepted for its key', { cause: error });
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return new AuthnError('ERR_AUTHN_SIGNATURE_INVALID', 'the token signature does not verify', { cause: error });
  if (error instanceof joseErrors.JWKSNoMatchingKey) return new AuthnError('ERR_AUTHN_KEY_UNKNOWN', 'no key of the trusted issuer matches the token', { cause: error });
  // A key set that could not be (re)fetched or read: the token names a key we cannot get.
  if (error instanceof joseErrors.JWKSTimeout || error instanceof joseErrors.JWKSInvalid || (error instanceof joseErrors.JOSEError && error.code === 'ERR_JOSE_GENERIC')) {
    return new AuthnError('ERR_AUTHN_KEY_UNKNOWN', `the trusted issuer's keys could not be fetched: ${error.message}`, { cause: error });
  }
  if (error instanceof joseErrors.JOSEError) return new AuthnError('ERR_AUTHN_TOKEN_MALFORMED', `the token is not valid: ${error.code}`, { cause: error });
  return new AuthnError('ERR_AUTHN_KEY_UNKNOWN', `the token's keys could not be fetched: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
}
