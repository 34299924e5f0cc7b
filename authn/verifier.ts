// Verifies a token and says who is calling. Only RS256, ES256 and EdDSA, each key with the one
// algorithm it is bound to (no `none`, no HMAC with a public key, no RS256 token passed off as
// ES256); `uid` (or `sub`) required; `exp`/`nbf` with 60 s leeway; issuer and audience for trusted
// issuers. Verified tokens are cached by their SHA-256, never past their `exp`, so a busy client
// costs a lookup rather than a signature check. In front of that cache, the most recently used tokens
// (at most RECENT_TOKENS) are kept by the token string itself, so that a repeat caller costs one Map
// lookup rather than a SHA-256 per request (measured: bench/gateway.mjs, README "Performance").
import { createHash, KeyObject } from 'node:crypto';
import { errors as joseErrors } from 'jose';
import NodeCache from 'node-cache';
import type { Logger } from 'pino';
import { Counter, Registry } from 'prom-client';
import { checkClaims, checkSignature, decodeJws, type DecodedJws } from './compact-jws.js';
import { AuthnError } from './errors.js';
import { MAX_TOKEN_BYTES } from './token-extraction.js';
import { algorithmOf, type Algorithm, type RemoteIssuer, type StaticKey } from './trusted-keys.js';

export const LEEWAY_SECONDS = 60;

export interface Caller {
  readonly uid: string;
  readonly issuer: string | null;
  readonly expiresAt: number | null;   // epoch seconds
  readonly claims: Readonly<Record<string, unknown>>;
}

export interface TokenVerifierOptions {
  /** The instance's own key and the issuer its tokens carry. */
  readonly own?: { readonly kid: string; readonly alg: Algorithm; readonly key: KeyObject; readonly issuer: string };
  readonly staticKeys?: readonly StaticKey[];
  readonly remote?: readonly RemoteIssuer[];
  /** Most verified tokens kept (default 50,000; 0 turns the cache off). */
  readonly cacheSize?: number;
  /** Longest a verified token is kept, even when its `exp` is later (default 600). */
  readonly cacheSeconds?: number;
  readonly logger?: Logger;
  /** Where `gatehouse_authn_token_checks_total` is registered (default: a registry of its own). */
  readonly registry?: Registry;
  /** Clock in epoch milliseconds, for tests. */
  readonly now?: () => number;
}

const CHECKS_METRIC = 'gatehouse_authn_token_checks_total';
/** Tokens kept by their string in front of the hashed cache (at most 8 KiB each: 8 MiB at worst). */
const RECENT_TOKENS = 1024;

function option(condition: boolean, name: string, wanted: string): void {
  if (!condition) throw new AuthnError('ERR_AUTHN_OPTIONS', `TokenVerifier option ${name} must be ${wanted}`);
}

export class TokenVerifier {
  readonly #options: TokenVerifierOptions;
  readonly #cache: NodeCache;
  /** token → caller and until when (epoch seconds, never past `exp` nor the hashed cache's TTL); insertion order, oldest first. */
  readonly #recent = new Map<string, { readonly caller: Caller; readonly until: number }>();
  readonly #recentSize: number;
  // No "last token served" shortcut in front of #recent: comparing a request's token with another
  // client's token character by character takes longer the longer their common prefix, a timing
  // oracle on that token. A Map lookup compares only keys whose hashes match.
  readonly #cacheSize: number;
  readonly #cacheSeconds: number;
  readonly #now: () => number;
  readonly #checks: Counter<'result'>;
  /** The `cached` child, bound once: labels are not hashed per request on the hot path. */
  readonly #cachedChecks: { inc(): void };
  // Remote keys come from jose as CryptoKeys; each is turned into a KeyObject once.
  readonly #remoteKeys = new WeakMap<object, { key: KeyObject; alg: Algorithm }>();
  hits = 0;
  misses = 0;

  constructor(options: TokenVerifierOptions) {
    option(options.cacheSize === undefined || (Number.isSafeInteger(options.cacheSize) && options.cacheSize >= 0), 'cacheSize', 'an integer >= 0');
    option(options.cacheSeconds === undefined || (Number.isSafeInteger(options.cacheSeconds) && options.cacheSeconds > 0), 'cacheSeconds', 'an integer > 0');
    option(
      options.own === undefined ||
        (options.own.key instanceof KeyObject && options.own.key.type === 'public' && !!options.own.kid && !!options.own.issuer),
      'own',
      'a public KeyObject with a kid and an issuer',
    );
    option(options.now === undefined || typeof options.now === 'function', 'now', 'a function');
    this.#options = options;
    this.#cacheSize = options.cacheSize ?? 50_000;
    this.#cacheSeconds = options.cacheSeconds ?? 600;
    this.#recentSize = Math.min(RECENT_TOKENS, this.#cacheSize);
    this.#now = options.now ?? Date.now;
    this.#cache = new NodeCache({ stdTTL: this.#cacheSeconds, checkperiod: 60, useClones: false });
    const registry = options.registry ?? new Registry();
    this.#checks = (registry.getSingleMetric(CHECKS_METRIC) as Counter<'result'> | undefined) ?? new Counter({
      name: CHECKS_METRIC,
      help: 'Token checks by result: cached, verified, or the ERR_AUTHN_ code that refused the token',
      labelNames: ['result'],
      registers: [registry],
    });
    this.#cachedChecks = this.#checks.labels('cached');
  }

  /** Fetches the remote key sets once so that an unreachable issuer is reported at start; never fails. */
  async start(): Promise<void> {
    await Promise.all((this.#options.remote ?? []).map(async (issuer) => {
      try {
        await issuer.keys.reload();
      } catch (error) {
        this.#options.logger?.warn(
          { issuer: issuer.issuer, url: issuer.url, reason: (error as Error).message },
          'trusted issuer keys could not be fetched; will retry when a token needs them',
        );
      }
    }));
  }

  close(): void {
    this.#recent.clear();
    this.#cache.close();
  }

  /**
   * The caller of a recently verified token, synchronously (no promise on the hot path), or null:
   * then verify() decides. Counted as a cache hit like verify() serving it.
   */
  recent(token: string): Caller | null {
    const recent = this.#recent.get(token);
    if (!recent) return null;
    if (recent.until > this.#now() / 1000) {
      this.hits++;
      this.#cachedChecks.inc();
      return recent.caller;
    }
    this.#recent.delete(token);
    return null;
  }

  async verify(token: string): Promise<Caller> {
    try {
      const caller = await this.#verify(token);
      return caller;
    } catch (error) {
      const refusal = error instanceof AuthnError ? error : translate(error);
      this.#checks.inc({ result: refusal.code });
      // The code only, never the token: a refused token may still be someone's real one.
      this.#options.logger?.debug({ code: refusal.code }, 'token refused');
      throw refusal;
    }
  }

  async #verify(token: string): Promise<Caller> {
    if (token.length > MAX_TOKEN_BYTES)
      throw new AuthnError('ERR_AUTHN_TOKEN_TOO_LARGE', `the token is ${token.length} bytes, over the limit of ${MAX_TOKEN_BYTES}`);
    const recent = this.recent(token);
    if (recent) return recent;
    const now = this.#now() / 1000;
    const cacheKey = createHash('sha256').update(token).digest('base64url');
    const cached = this.#cache.get<Caller>(cacheKey);
    // The cache's own TTL already stops at `exp`; this also holds when the clock is not node-cache's.
    if (cached && (cached.expiresAt === null || cached.expiresAt > now)) {
      this.hits++;
      this.#cachedChecks.inc();
      const expiresMs = this.#cache.getTtl(cacheKey);
      if (expiresMs) this.#remember(token, cached, Math.min(cached.expiresAt ?? Infinity, now + (expiresMs - Date.now()) / 1000));
      return cached;
    }
    this.misses++;
    const caller = await this.#verifyUncached(token, now);
    this.#checks.inc({ result: 'verified' });
    const ttl = Math.floor(Math.min(this.#cacheSeconds, caller.expiresAt === null ? 60 : caller.expiresAt - now));
    if (ttl > 0 && this.#cache.getStats().keys < this.#cacheSize) {
      this.#cache.set(cacheKey, caller, ttl);
      this.#remember(token, caller, now + ttl);
    }
    return caller;
  }

  /** Keeps a token by its string until `until` (epoch seconds); the oldest entry goes when full. */
  #remember(token: string, caller: Caller, until: number): void {
    if (this.#recentSize === 0 || !(until > this.#now() / 1000)) return;
    if (this.#recent.size >= this.#recentSize) this.#recent.delete(this.#recent.keys().next().value as string);
    this.#recent.set(token, { caller, until });
  }

  async #verifyUncached(token: string, nowSeconds: number): Promise<Caller> {
    const jws = decodeJws(token);
    const { own, staticKeys = [], remote = [] } = this.#options;
    const issuer = typeof jws.payload.iss === 'string' ? jws.payload.iss : undefined;
    const trustedRemote = remote.find((r) => r.issuer === issuer);
    let expect: { issuer?: string; audience?: string };
    if (trustedRemote) {
      await this.#checkRemote(jws, trustedRemote);
      expect = { issuer: trustedRemote.issuer, ...(trustedRemote.audience ? { audience: trustedRemote.audience } : {}) };
    } else if (own && jws.kid === own.kid) {
      checkSignature(jws, own.key, own.alg);
      expect = { issuer: own.issuer };
    } else {
      expect = this.#checkStatic(jws, staticKeys);
    }
    checkClaims(jws.payload, { nowSeconds, leewaySeconds: LEEWAY_SECONDS, ...expect });
    const { payload } = jws;
    const uid = typeof payload.uid === 'string' && payload.uid ? payload.uid : typeof payload.sub === 'string' && payload.sub ? payload.sub : null;
    if (!uid) throw new AuthnError('ERR_AUTHN_CLAIM_MISSING', 'the token has no uid (or sub) claim');
    return Object.freeze({ uid, issuer: issuer ?? null, expiresAt: typeof payload.exp === 'number' ? payload.exp : null, claims: payload });
  }

  /** A static PEM key is named by its thumbprint; a token with another kid (or none) may use any key bound to its algorithm. */
  #checkStatic(jws: DecodedJws, staticKeys: readonly StaticKey[]): { issuer?: string; audience?: string } {
    const named = jws.kid === undefined ? [] : staticKeys.filter((k) => k.kid === jws.kid);
    const candidates = named.length ? named : staticKeys.filter((k) => k.alg === jws.alg);
    if (candidates.length === 0) {
      throw new AuthnError(
        'ERR_AUTHN_KEY_UNKNOWN',
        jws.kid === undefined
          ? `no trusted key is bound to ${jws.alg}`
          : `no trusted key has kid ${JSON.stringify(jws.kid.slice(0, 64))} or is bound to ${jws.alg}`,
      );
    }
    let refusal: unknown = null;
    for (const candidate of candidates) {
      try {
        checkSignature(jws, candidate.key, candidate.alg);
        return { ...(candidate.issuer ? { issuer: candidate.issuer } : {}), ...(candidate.audience ? { audience: candidate.audience } : {}) };
      } catch (error) {
        refusal = error;
      }
    }
    throw refusal;
  }

  /** jose's remote set picks the key by kid, algorithm and key type (refetching on an unknown kid, with a cooldown). */
  async #checkRemote(jws: DecodedJws, issuer: RemoteIssuer): Promise<void> {
    const header = { alg: jws.alg, ...(jws.kid !== undefined ? { kid: jws.kid } : {}) };
    let keys: object[];
    try {
      keys = [await issuer.keys(header)];
    } catch (error) {
      if (!(error instanceof joseErrors.JWKSMultipleMatchingKeys)) throw translate(error);
      keys = [];
      for await (const key of error as unknown as AsyncIterable<object>) keys.push(key);
    }
    let refusal: unknown = new AuthnError('ERR_AUTHN_KEY_UNKNOWN', 'no key of the trusted issuer matches the token');
    for (const cryptoKey of keys) {
      try {
        const { key, alg } = this.#remoteKey(cryptoKey, issuer);
        checkSignature(jws, key, alg);
        return;
      } catch (error) {
        refusal = error;
      }
    }
    throw refusal;
  }

  #remoteKey(cryptoKey: object, issuer: RemoteIssuer): { key: KeyObject; alg: Algorithm } {
    let known = this.#remoteKeys.get(cryptoKey);
    if (!known) {
      const key = KeyObject.from(cryptoKey as Parameters<typeof KeyObject.from>[0]);
      try {
        known = { key, alg: algorithmOf(key, `a key of ${issuer.url}`) };
      } catch (error) {
        throw new AuthnError('ERR_AUTHN_KEY_UNKNOWN', `the trusted issuer's key is not usable: ${(error as Error).message}`, { cause: error });
      }
      this.#remoteKeys.set(cryptoKey, known);
    }
    return known;
  }
}

function translate(error: unknown): AuthnError {
  if (error instanceof AuthnError) return error;
  if (error instanceof joseErrors.JWKSNoMatchingKey)
    return new AuthnError('ERR_AUTHN_KEY_UNKNOWN', 'no key of the trusted issuer matches the token', { cause: error });
  // A key set that could not be (re)fetched or read: the token names a key we cannot get.
  if (error instanceof joseErrors.JOSEError)
    return new AuthnError('ERR_AUTHN_KEY_UNKNOWN', `the trusted issuer's keys could not be used: ${error.code}`, { cause: error });
  return new AuthnError(
    'ERR_AUTHN_KEY_UNKNOWN',
    `the token's keys could not be fetched: ${error instanceof Error ? error.message : String(error)}`,
    { cause: error },
  );
}
