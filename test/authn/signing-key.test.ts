// The instance's signing key file (authn/signing-key.ts): created once with mode 0600 in a 0700
// directory and read back on later starts (never overwritten), a warning when others may read it, and
// a refusal naming the file for anything that is not an RSA private key or cannot be read or created.
// One RSA key is generated for the whole file; the other keys are small EC ones.
import { generateKeyPairSync } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthnError, loadOrCreateSigningKey, type LoadedSigningKey } from '../../authn/index.js';

let dir: string;
let keyFile: string;
let created: LoadedSigningKey;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-signing-key-'));
  keyFile = join(dir, 'new', 'nested', 'signing-key.pem');
  created = await loadOrCreateSigningKey(keyFile);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('loadOrCreateSigningKey: the first start', () => {
  it('creates an RSA key in a file of mode 0600, in a directory of mode 0700, with no warning', async () => {
    expect([created.created, created.warning, created.key.alg, created.key.privateKey.asymmetricKeyType]).toEqual([true, null, 'RS256', 'rsa']);
    expect([(await stat(keyFile)).mode & 0o777, (await stat(join(dir, 'new', 'nested'))).mode & 0o777]).toEqual([0o600, 0o700]);
  });

  it('publishes the public half as a JWK named by its thumbprint, for signatures', () => {
    const { publicJwk, kid, publicKey } = created.key;
    expect(publicJwk).toMatchObject({ kty: 'RSA', kid, alg: 'RS256', use: 'sig' });
    expect(kid).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(publicKey.type).toBe('public');
  });

  it('a later start reads the same key back: not created, same kid, the file unchanged', async () => {
    const before = await readFile(keyFile, 'utf8');
    const again = await loadOrCreateSigningKey(keyFile);
    expect([again.created, again.key.kid, await readFile(keyFile, 'utf8')]).toEqual([false, created.key.kid, before]);
  });
});

describe('loadOrCreateSigningKey: the file mode', () => {
  const modes: [string, number, boolean][] = [
    ['0600', 0o600, false],
    ['0400', 0o400, false],
    ['0640 (the group may read it)', 0o640, true],
    ['0604 (anyone may read it)', 0o604, true],
  ];
  for (const [name, mode, warned] of modes) {
    it(`${name}: ${warned ? 'a warning naming the file and its mode' : 'no warning'}`, async () => {
      const file = join(dir, `mode-${mode.toString(8)}.pem`);
      await writeFile(file, await readFile(keyFile));
      await chmod(file, mode);
      const { warning } = await loadOrCreateSigningKey(file);
      expect(warning).toBe(warned ? `authn.signingKey: ${file} is readable by others (mode ${mode.toString(8)}); chmod 600 it` : null);
    });
  }
});

describe('loadOrCreateSigningKey: refusals name the file', () => {
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const cases: { name: string; setup: () => Promise<string>; message: (path: string) => string; cause: boolean }[] = [
    {
      name: 'not PEM',
      setup: async () => {
        const file = join(dir, 'not-pem.pem');
        await writeFile(file, 'hello', { mode: 0o600 });
        return file;
      },
      message: (path) => `authn.signingKey: ${path} is not a PEM private key`,
      cause: true,
    },
    {
      name: 'an EC key',
      setup: async () => {
        const file = join(dir, 'ec.pem');
        await writeFile(file, ec, { mode: 0o600 });
        return file;
      },
      message: (path) => `authn.signingKey: ${path} holds a ec key; the signing key must be RSA (RS256)`,
      cause: false,
    },
    {
      name: 'a directory where the file should be',
      setup: async () => {
        const path = join(dir, 'a-directory.pem');
        await mkdir(path);
        return path;
      },
      message: (path) => `authn.signingKey: cannot read ${path}: EISDIR`,
      cause: true,
    },
    {
      name: 'a file where its directory should be',
      setup: async () => {
        const file = join(dir, 'a-file');
        await writeFile(file, '');
        return join(file, 'signing-key.pem');
      },
      message: (path) => `authn.signingKey: cannot read ${path}: ENOTDIR`,
      cause: true,
    },
    {
      // Never created through a link (it could point anywhere): the file is opened to create it only.
      name: 'a dangling symbolic link where the file should be',
      setup: async () => {
        const path = join(dir, 'link.pem');
        await symlink(join(dir, 'nowhere.pem'), path);
        return path;
      },
      message: (path) => `authn.signingKey: cannot create ${path}: EEXIST`,
      cause: true,
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const path = await c.setup();
      const error = await loadOrCreateSigningKey(path).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AuthnError);
      const { code, message, cause } = error as AuthnError;
      expect([code, message, cause instanceof Error]).toEqual(['ERR_AUTHN_KEY_FILE', c.message(path), c.cause]);
    });
  }
});
