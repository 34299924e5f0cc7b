// RSA-2048 key pairs for tests, made once per run by rsa-keys-setup.ts. Within a file, different names
// are different keys; `signing` is the one premade-authn.ts writes as Gatehouse's own signing key, so
// a key meant as a stranger's must have another name.
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { inject } from 'vitest';

export const RSA_KEY_NAMES = ['signing', 'a', 'b', 'c', 'd'] as const;
export type RsaKeyName = (typeof RSA_KEY_NAMES)[number];

declare module 'vitest' {
  export interface ProvidedContext {
    rsaKeys: Record<RsaKeyName, string>;
  }
}

export interface RsaKeyPair {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

const pairs = new Map<RsaKeyName, RsaKeyPair>();

/** The private key as PKCS#8 PEM, as `gatehouse` writes its signing key. */
export function rsaPrivatePem(name: RsaKeyName): string {
  const pem = inject('rsaKeys')?.[name];
  if (!pem) throw new Error(`no RSA test key "${name}": is test/support/rsa-keys-setup.ts in the vitest config's globalSetup?`);
  return pem;
}

/** The key pair as KeyObjects, as generateKeyPairSync('rsa') returns it. */
export function rsaKeyPair(name: RsaKeyName): RsaKeyPair {
  let pair = pairs.get(name);
  if (!pair) {
    const privateKey = createPrivateKey(rsaPrivatePem(name));
    pair = { privateKey, publicKey: createPublicKey(privateKey) };
    pairs.set(name, pair);
  }
  return pair;
}
