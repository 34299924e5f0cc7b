// The instance's own signing key: a PEM file created on first start (RS256, mode 0600, in a 0700
// directory), read on every later start. Its public half is published as a JWKS.
import { createPublicKey, generateKeyPair, createPrivateKey, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { mkdir, open, readFile, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { calculateJwkThumbprint, exportJWK, type JWK } from 'jose';
import { AuthnError } from './errors.js';
import { algorithmOf } from './trusted-keys.js';

export interface SigningKey {
  readonly alg: 'RS256';
  readonly kid: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly publicJwk: JWK;
}

export interface LoadedSigningKey {
  readonly key: SigningKey;
  readonly created: boolean;
  /** Set when the file can be read by others than its owner. */
  readonly warning: string | null;
}

export async function loadOrCreateSigningKey(path: string): Promise<LoadedSigningKey> {
  let pem: string;
  let created = false;
  try {
    pem = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new AuthnError('ERR_AUTHN_KEY_FILE', `authn.signingKey: cannot read ${path}: ${(error as NodeJS.ErrnoException).code}`, {
        cause: error,
      });
    // On the thread pool: the prime search takes 50-500 ms of CPU, and at a first start DNS is already
    // answering on this thread.
    const { privateKey } = await promisify(generateKeyPair)('rsa', { modulusLength: 2048 });
    pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    // 'wx': never overwrite a key another process created meanwhile; 0600 from the first byte.
    const handle = await open(path, 'wx', 0o600).catch((e: NodeJS.ErrnoException) => {
      throw new AuthnError('ERR_AUTHN_KEY_FILE', `authn.signingKey: cannot create ${path}: ${e.code}`, { cause: e });
    });
    await handle.writeFile(pem);
    await handle.close();
    created = true;
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(pem);
  } catch (error) {
    throw new AuthnError('ERR_AUTHN_KEY_FILE', `authn.signingKey: ${path} is not a PEM private key`, { cause: error });
  }
  if (privateKey.asymmetricKeyType !== 'rsa')
    throw new AuthnError(
      'ERR_AUTHN_KEY_FILE',
      `authn.signingKey: ${path} holds a ${privateKey.asymmetricKeyType} key; the signing key must be RSA (RS256)`,
    );
  const publicKey = createPublicKey(privateKey);
  algorithmOf(publicKey, `authn.signingKey: ${path}`);
  const jwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(jwk);
  const mode = (await stat(path)).mode & 0o777;
  const warning = mode & 0o077 ? `authn.signingKey: ${path} is readable by others (mode ${mode.toString(8)}); chmod 600 it` : null;
  return { key: { alg: 'RS256', kid, privateKey, publicKey, publicJwk: { ...jwk, kid, alg: 'RS256', use: 'sig' } }, created, warning };
}
