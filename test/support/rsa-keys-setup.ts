// vitest globalSetup: the RSA keys tests use, generated once per run and handed to every worker
// (test/support/rsa-keys.ts). An RSA-2048 key costs 50-500 ms of CPU (its prime search is random);
// generated where each test needed one, the suite paid for ~20 per run.
import { generateKeyPair } from 'node:crypto';
import type { TestProject } from 'vitest/node';
import { RSA_KEY_NAMES, type RsaKeyName } from './rsa-keys.js';

function newKey(): Promise<string> {
  return new Promise((resolve, reject) =>
    generateKeyPair('rsa', { modulusLength: 2048 }, (error, _publicKey, privateKey) =>
      error ? reject(error) : resolve(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()),
    ),
  );
}

export default async function setup(project: TestProject): Promise<void> {
  // On the thread pool: the keys are found on every core at once.
  const pems = await Promise.all(RSA_KEY_NAMES.map(newKey));
  project.provide('rsaKeys', Object.fromEntries(RSA_KEY_NAMES.map((name, i) => [name, pems[i]!])) as Record<RsaKeyName, string>);
}
