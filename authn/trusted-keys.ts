// Public keys whose tokens are accepted, each bound to exactly one algorithm (derived from the key
// type, never from a token): the instance's own key, static PEM keys, and remote JWKS of trusted
// issuers (jose's remote key sets: cached, refetched on an unknown kid with a cooldown).
import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { calculateJwkThumbprint, createRemoteJWKSet, exportJWK } from 'jose';
import type { TrustedIssuer } from '../config/index.js';
import { AuthnError } from './errors.js';

/** How often, at most, a token with an unknown kid makes Gatehouse refetch a trusted issuer's JWKS
 * (`authn.trust[].refetchCooldown` overrides it per issuer). */
export const DEFAULT_JWKS_REFETCH_COOLDOWN_MS = 30_000;

export type Algorithm = 'RS256' | 'ES256' | 'EdDSA';
export const ALGORITHMS: readonly Algorithm[] = ['RS256', 'ES256', 'EdDSA'];

export interface StaticKey {
  readonly kid: string;
  readonly alg: Algorithm;
  readonly key: KeyObject;
  readonly issuer?: string;
  readonly audience?: string;
  readonly source: string;
}

export interface RemoteIssuer {
  readonly issuer: string;
  readonly audience?: string;
  readonly keys: ReturnType<typeof createRemoteJWKSet>;
  readonly url: string;
}

/** The one algorithm a key may verify, from its type; other key types are refused. */
export function algorithmOf(key: KeyObject, source: string): Algorithm {
  if (key.asymmetricKeyType === 'rsa') {
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < 2048) throw new AuthnError('ERR_AUTHN_KEY_FILE', `${source}: RSA key of ${bits} bits; RS256 keys must have at least 2048`);
    return 'RS256';
  }
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ES256';
  if (key.asymmetricKeyType === 'ed25519') return 'EdDSA';
  const curve = key.asymmetricKeyDetails?.namedCurve;
  throw new AuthnError(
    'ERR_AUTHN_KEY_FILE',
    `${source}: unsupported key type ${key.asymmetricKeyType}${curve ? ` (${curve})` : ''}; use RSA, EC P-256 or Ed25519`,
  );
}

export async function staticKeyFromPem(pem: string, source: string, extra: { issuer?: string; audience?: string } = {}): Promise<StaticKey> {
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch (error) {
    throw new AuthnError('ERR_AUTHN_KEY_FILE', `${source}: not a PEM public key`, { cause: error });
  }
  const alg = algorithmOf(key, source);
  const kid = await calculateJwkThumbprint(await exportJWK(key));
  return { kid, alg, key, source, ...extra };
}

export async function loadTrustedIssuers(
  trust: readonly TrustedIssuer[],
  options: { cooldownMs?: number; timeoutMs?: number } = {},
): Promise<{ staticKeys: StaticKey[]; remote: RemoteIssuer[] }> {
  const staticKeys: StaticKey[] = [];
  const remote: RemoteIssuer[] = [];
  for (const [i, entry] of trust.entries()) {
    const where = `authn.trust[${i}]`;
    if (entry.publicKey) {
      const pem = await readFile(entry.publicKey, 'utf8').catch((e: NodeJS.ErrnoException) => {
        throw new AuthnError('ERR_AUTHN_KEY_FILE', `${where}.publicKey: cannot read ${entry.publicKey}: ${e.code}`, { cause: e });
      });
      staticKeys.push(
        await staticKeyFromPem(pem, `${where}.publicKey (${entry.publicKey})`, {
          ...(entry.issuer ? { issuer: entry.issuer } : {}),
          ...(entry.audience ? { audience: entry.audience } : {}),
        }),
      );
    } else if (entry.jwks) {
      if (!entry.issuer) throw new AuthnError('ERR_AUTHN_KEY_FILE', `${where}: a jwks entry needs the issuer whose tokens it verifies`);
      // Keys are kept until a token names an unknown kid, so an issuer that is down does not lock
      // its users out; a refetch happens at most once per cooldown.
      let url: URL;
      try {
        url = new URL(entry.jwks);
      } catch (error) {
        throw new AuthnError('ERR_AUTHN_KEY_FILE', `${where}.jwks: ${JSON.stringify(entry.jwks)} is not a URL`, { cause: error });
      }
      if (url.protocol !== 'https:' && url.protocol !== 'http:')
        throw new AuthnError('ERR_AUTHN_KEY_FILE', `${where}.jwks: ${url.protocol} URLs are not supported (https or http)`);
      const cooldownDuration = entry.refetchCooldownMs ?? options.cooldownMs ?? DEFAULT_JWKS_REFETCH_COOLDOWN_MS;
      const keys = createRemoteJWKSet(url, {
        cooldownDuration,
        cacheMaxAge: Number.POSITIVE_INFINITY,
        timeoutDuration: options.timeoutMs ?? 5000,
      });
      remote.push({ issuer: entry.issuer, url: entry.jwks, keys, ...(entry.audience ? { audience: entry.audience } : {}) });
    }
  }
  return { staticKeys, remote };
}
