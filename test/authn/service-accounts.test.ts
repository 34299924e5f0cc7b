// Service accounts in the users file (public key inline or in a file beside it, checked at load with
// positions), files that are not what they should be, and rewrites that keep mode 0600.
import { generateKeyPairSync } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoginLimiter, addOrUpdateUser, loadUsers, login, parseUsers } from '../../authn/index.js';
import { ConfigError, formatProblem } from '../../config/index.js';
import { runGatehouse } from '../support/gatehouse-process.js';
import { premadeSigningKey } from '../support/premade-authn.js';

let dir: string;
const account = generateKeyPairSync('ed25519');
const accountPem = account.publicKey.export({ type: 'spki', format: 'pem' }).toString();
const indented = accountPem.trimEnd().split('\n').map((line) => `      ${line}`).join('\n');
const small = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-accounts-'));
  await mkdir(join(dir, 'keys'));
  await writeFile(join(dir, 'keys', 'ci.pem'), accountPem);
  await writeFile(join(dir, 'keys', 'small.pem'), small);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const problemsOf = (yaml: string): string[] => {
  try {
    parseUsers(yaml, join(dir, 'u.yaml'));
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map((p) => formatProblem(p).replaceAll(`${dir}/`, ''));
    throw error;
  }
  return [];
};

describe('service accounts', () => {
  const good: { name: string; yaml: string }[] = [
    { name: 'PEM inline', yaml: `serviceAccounts:\n  - uid: ci\n    publicKey: |\n${indented}\n` },
    { name: 'PEM in a file relative to the users file', yaml: 'serviceAccounts:\n  - { uid: ci, publicKeyFile: keys/ci.pem, groups: [deploy] }\n' },
  ];
  for (const c of good) {
    it(`loads a key given as ${c.name}`, () => {
      const parsed = parseUsers(c.yaml, join(dir, 'u.yaml'));
      expect(parsed.serviceAccounts[0]!.publicKey.trim()).toBe(accountPem.trim());
    });
  }

  const bad: { name: string; yaml: string; want: string }[] = [
    {
      name: 'neither publicKey nor publicKeyFile',
      yaml: 'serviceAccounts:\n  - { uid: ci }\n',
      want: 'u.yaml:2:5: serviceAccounts[0]: needs exactly one of publicKey (PEM) and publicKeyFile (path)',
    },
    {
      name: 'both publicKey and publicKeyFile',
      yaml: `serviceAccounts:\n  - uid: ci\n    publicKeyFile: keys/ci.pem\n    publicKey: |\n${indented}\n`,
      want: 'u.yaml:2:5: serviceAccounts[0]: needs exactly one of publicKey (PEM) and publicKeyFile (path)',
    },
    {
      name: 'a publicKey that is not PEM',
      yaml: 'serviceAccounts:\n  - uid: ci\n    publicKey: hello\n',
      want: 'u.yaml:3:16: serviceAccounts[0].publicKey: is not a PEM public key (RSA, EC P-256 or Ed25519)',
    },
    {
      name: 'a missing key file',
      yaml: 'serviceAccounts:\n  - uid: ci\n    publicKeyFile: keys/nope.pem\n',
      want: 'u.yaml:3:20: serviceAccounts[0].publicKeyFile: cannot read keys/nope.pem: ENOENT',
    },
    {
      name: 'a 1024-bit RSA key file',
      yaml: 'serviceAccounts:\n  - uid: ci\n    publicKeyFile: keys/small.pem\n',
      want: 'u.yaml:3:20: serviceAccounts[0].publicKeyFile: RSA key of 1024 bits; RS256 keys must have at least 2048',
    },
    { name: 'users that is not a list', yaml: 'users: alice\n', want: 'u.yaml:1:8: users: must be a list, got string "alice"' },
    {
      name: 'a uid with a slash',
      yaml: 'serviceAccounts:\n  - { uid: "a/b", publicKeyFile: keys/ci.pem }\n',
      want: 'u.yaml:2:12: serviceAccounts[0].uid: must match pattern "^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$", got string "a/b"',
    },
  ];
  for (const c of bad) {
    it(`rejects ${c.name} with its position`, () => {
      expect(problemsOf(c.yaml)).toContain(c.want);
    });
  }

  const notYaml: { name: string; text: string }[] = [
    { name: 'YAML that does not parse', text: 'users: [\n' },
    { name: 'a top-level list', text: '- a\n- b\n' },
    { name: 'binary noise', text: '\u0000\u0001\u0002' },
  ];
  for (const c of notYaml) it(`refuses ${c.name} with a ConfigError, not a crash`, () => expect(problemsOf(c.text).length).toBeGreaterThan(0));

  it('a service account from a key file logs in, and a rewrite keeps the file reference and mode 0600', async () => {
    const path = join(dir, 'users.yaml');
    await writeFile(path, 'users: []\nserviceAccounts:\n  - { uid: ci, publicKeyFile: keys/ci.pem }\n', { mode: 0o644 });
    const key = await premadeSigningKey(join(dir, 'signing.pem'));
    const users = await loadUsers(path);
    const proof = await new SignJWT({ uid: 'ci' }).setProtectedHeader({ alg: 'EdDSA' }).setExpirationTime('2m').sign(account.privateKey);
    const limiter = new LoginLimiter();
    const answer = await login(
      { body: { uid: 'ci', token: proof }, clientAddress: '127.0.0.1', secure: false },
      { users: () => users, signingKey: key, tokenTtlMs: 60_000, limiter },
    );
    limiter.close();
    expect(answer.status).toBe(200);

    await addOrUpdateUser(path, 'alice', 'pw');
    const text = await readFile(path, 'utf8');
    expect(text).toContain('publicKeyFile: keys/ci.pem');
    expect(text).not.toContain('BEGIN PUBLIC KEY');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it('a stale temp file left with mode 0644 does not leak into the users file', async () => {
    const path = join(dir, 'stale.yaml');
    const temp = `${path}.${process.pid}.tmp`;
    await writeFile(temp, 'junk');
    await chmod(temp, 0o644);
    await addOrUpdateUser(path, 'bob', 'pw');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await loadUsers(path)).users.map((u) => u.uid)).toEqual(['bob']);
  });

  it('gatehouse user add refuses a broken users file with its position and leaves it untouched (real process)', async () => {
    const users = join(dir, 'broken', 'users.yaml');
    await mkdir(join(dir, 'broken'));
    await writeFile(users, 'users:\n  - uid: bob\n    password: hunter2\n');
    const config = join(dir, 'broken', 'gatehouse.yaml');
    await writeFile(
      config,
      `cluster: { source: file, file: { path: state.json } }\nauthn:\n  signingKey: ${join(dir, 'broken', 'key.pem')}\n  users: ${users}\n`,
    );
    const result = await runGatehouse(['user', 'add', 'carol', '--config', config], { input: 'pw\n' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${users}:3:15: users[0].password: is not a password hash`);
    expect(await readFile(users, 'utf8')).toBe('users:\n  - uid: bob\n    password: hunter2\n');
  });
});
