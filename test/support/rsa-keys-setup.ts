// vitest globalSetup: the RSA keys tests use, handed to every worker (test/support/rsa-keys.ts). An
// RSA-2048 key costs 50-500 ms of CPU (its prime search is random); generated where each test needed
// one, the suite paid for ~20 per run. They are made once and kept for later runs in
// node_modules/.cache/gatehouse-tests/ (mode 0600, like every key file): five keys made on two cores held
// every test back by 0.3-0.8 s at each start. No test depends on a key being new, only on the names
// being different keys; a kept file that does not hold them all, as valid RSA-2048 keys, is made again.
import { createPrivateKey, generateKeyPair } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { RSA_KEY_NAMES, type RsaKeyName } from './rsa-keys.js';

type RsaKeys = Record<RsaKeyName, string>;

const KEPT = join(fileURLToPath(new URL('../../node_modules/.cache/gatehouse-tests/', import.meta.url)), 'rsa-keys.json');

function newKey(): Promise<string> {
  return new Promise((resolve, reject) =>
    generateKeyPair('rsa', { modulusLength: 2048 }, (error, _publicKey, privateKey) =>
      error ? reject(error) : resolve(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()),
    ),
  );
}

function isRsa2048(pem: unknown): pem is string {
  if (typeof pem !== 'string') return false;
  try {
    const key = createPrivateKey(pem);
    return key.asymmetricKeyType === 'rsa' && key.asymmetricKeyDetails?.modulusLength === 2048;
  } catch {
    return false;
  }
}

/**
 * The keys kept at `path`, or null when the file is missing, unreadable, not JSON, or does not hold a
 * distinct valid key per name: the caller then makes new ones.
 */
export async function keptKeys(path: string): Promise<RsaKeys | null> {
  const kept: unknown = await readFile(path, 'utf8')
    .then((text) => JSON.parse(text) as unknown)
    .catch(() => null);
  if (typeof kept !== 'object' || kept === null) return null;
  const pems = RSA_KEY_NAMES.map((name) => (kept as Record<string, unknown>)[name]);
  if (!pems.every(isRsa2048) || new Set(pems).size !== pems.length) return null;
  return Object.fromEntries(RSA_KEY_NAMES.map((name, i) => [name, pems[i]])) as RsaKeys;
}

async function keep(keys: RsaKeys): Promise<void> {
  await mkdir(dirname(KEPT), { recursive: true, mode: 0o700 });
  // Written beside it, then renamed: a run starting meanwhile reads the old file or the new one, never half.
  const next = `${KEPT}.${process.pid}`;
  await writeFile(next, JSON.stringify(keys), { mode: 0o600 });
  await rename(next, KEPT);
}

export default async function setup(project: TestProject): Promise<void> {
  let keys = await keptKeys(KEPT);
  if (!keys) {
    // On the thread pool: the keys are found on every core at once.
    const pems = await Promise.all(RSA_KEY_NAMES.map(newKey));
    keys = Object.fromEntries(RSA_KEY_NAMES.map((name, i) => [name, pems[i]!])) as RsaKeys;
    await keep(keys);
  }
  project.provide('rsaKeys', keys);
}
