// The run's RSA test keys are kept between runs (test/support/rsa-keys-setup.ts); a kept file that is
// broken in any way must make the run make new keys, never fail it or hand a test a wrong key.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RSA_KEY_NAMES, rsaPrivatePem } from './support/rsa-keys.js';
import { keptKeys } from './support/rsa-keys-setup.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-kept-keys-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const valid = () => Object.fromEntries(RSA_KEY_NAMES.map((name) => [name, rsaPrivatePem(name)]));
const pem = (key: ReturnType<typeof generateKeyPairSync>['privateKey']) => key.export({ type: 'pkcs8', format: 'pem' }).toString();

describe('a kept key file that cannot serve is refused (null: new keys are made)', () => {
  const cases: { name: string; content: () => string | null }[] = [
    { name: 'no file', content: () => null },
    { name: 'not JSON', content: () => '{"signing": "-----BEGIN' },
    { name: 'JSON null', content: () => 'null' },
    { name: 'a JSON string', content: () => '"keys"' },
    { name: 'a name missing', content: () => JSON.stringify({ ...valid(), d: undefined }) },
    { name: 'a value that is not a key', content: () => JSON.stringify({ ...valid(), a: 'not a key' }) },
    { name: 'two names with one key', content: () => JSON.stringify({ ...valid(), b: rsaPrivatePem('a') }) },
    { name: 'an EC key', content: () => JSON.stringify({ ...valid(), c: pem(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey) }) },
    { name: 'an RSA-1024 key', content: () => JSON.stringify({ ...valid(), c: pem(generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey) }) },
  ];
  it.each(cases)('$name', async ({ name, content }) => {
    const path = join(dir, `${name.replace(/\W+/g, '-')}.json`);
    const text = content();
    if (text !== null) await writeFile(path, text);
    await expect(keptKeys(path)).resolves.toBeNull();
  });
});

it('a file with a distinct RSA-2048 key per name is used as it is', async () => {
  const path = join(dir, 'valid.json');
  await writeFile(path, JSON.stringify(valid()));
  expect(await keptKeys(path)).toEqual(valid());
});
