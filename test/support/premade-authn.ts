// The files a first start of the binary would create for authn, written before it starts: a start
// then reads them instead of generating an RSA key (50-500 ms of CPU, random) and hashing a random
// admin password (scrypt, ~90 ms); and cheap password hashes. For e2e tests that are about something else; key creation and
// the first-start admin are tested where they are the subject (test/authn/, gateway.test.ts login).
import { randomBytes, scryptSync } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { loadOrCreateSigningKey, type SigningKey } from '../../authn/index.js';
import { rsaPrivatePem } from './rsa-keys.js';

/** Writes the run's `signing` test key at `path` (PKCS#8 PEM, mode 0600 in a 0700 directory, as the binary keeps it). */
export async function writeSigningKey(path: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFile(path, rsaPrivatePem('signing'), { mode: 0o600, flag: 'wx' });
}

/**
 * The run's `signing` key written at `path` and loaded as Gatehouse loads its own (loadOrCreateSigningKey),
 * for in-process tests about what a key does, not how it is made (test/authn/signing-key.test.ts).
 */
export async function premadeSigningKey(path: string): Promise<SigningKey> {
  await writeSigningKey(path);
  return (await loadOrCreateSigningKey(path)).key;
}

/** A users file with no users (valid for the binary): no first-start admin is created. */
export async function writeNoUsers(path: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, 'users: []\nserviceAccounts: []\n', { mode: 0o600, flag: 'wx' });
}

/** Both, for a config whose authn keys are `signingKey` and `users`. */
export async function premadeAuthn(signingKey: string, users?: string): Promise<void> {
  await Promise.all([writeSigningKey(signingKey), ...(users ? [writeNoUsers(users)] : [])]);
}

/**
 * A password hash in the users file's format (`scrypt$N$r$p$salt$hash`, authn/password-hash.ts) with
 * N = 1024 instead of the 16384 `gatehouse user add` uses: the binary checks a password with the
 * parameters stored beside its hash, so each login costs ~6 ms of CPU instead of ~90. For tests about
 * what happens around a login (redirects, limits, tokens), not about the hash's cost.
 */
export function quickPasswordHash(password: string): string {
  const salt = randomBytes(16);
  const hash = scryptSync(password, salt, 32, { N: 1024, r: 8, p: 1 });
  return `scrypt$1024$8$1$${salt.toString('base64')}$${hash.toString('base64')}`;
}
