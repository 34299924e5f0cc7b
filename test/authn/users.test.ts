// The users file and the two CLI commands that manage tokens and users, run as real processes.
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenVerifier, addOrUpdateUser, bootstrapAdmin, checkPassword, decide, loadOrCreateSigningKey, loadUsers, parseUsers, verifyPassword } from '../../authn/index.js';
import { ConfigError, formatProblem } from '../../config/index.js';
import { runGatehouse } from '../support/gatehouse-process.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-users-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('users file', () => {
  it('bootstraps an admin once, 0600, with a password that works', async () => {
    const path = join(dir, 'boot', 'users.yaml');
    const password = await bootstrapAdmin(path);
    expect(password).toMatch(/^[A-Za-z0-9_-]{20}$/);
    expect(await bootstrapAdmin(path)).toBeNull();
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const users = await loadUsers(path);
    expect(await verifyPassword(users, 'admin', password!)).toBe(true);
    expect(users.users[0]!.groups).toEqual(['admins']);
    expect(await readFile(path, 'utf8')).not.toContain(password!);
  });

  const table: { name: string; uid: string; password: string; ok: boolean }[] = [
    { name: 'right password', uid: 'alice', password: 'correct horse', ok: true },
    { name: 'wrong password', uid: 'alice', password: 'battery staple', ok: false },
    { name: 'unknown user', uid: 'mallory', password: 'correct horse', ok: false },
    { name: 'empty password', uid: 'alice', password: '', ok: false },
  ];
  describe('a user added with gatehouse user add\'s hash', () => {
    let users: Awaited<ReturnType<typeof loadUsers>>;
    beforeAll(async () => {
      const path = join(dir, 'users.yaml');
      await addOrUpdateUser(path, 'alice', 'correct horse', ['ops']);
      users = await loadUsers(path);
    });
    for (const c of table) it(c.name, async () => expect(await verifyPassword(users, c.uid, c.password)).toBe(c.ok));
  });

  it('updating a user keeps the others and the groups, and changes the salt', async () => {
    const path = join(dir, 'update.yaml');
    await addOrUpdateUser(path, 'a', 'one', ['g1']);
    await addOrUpdateUser(path, 'b', 'two');
    const before = (await loadUsers(path)).users.find((u) => u.uid === 'a')!.password;
    expect(await addOrUpdateUser(path, 'a', 'three')).toBe('updated');
    const users = await loadUsers(path);
    expect(users.users.map((u) => u.uid)).toEqual(['a', 'b']);
    expect(users.users[0]!.groups).toEqual(['g1']);
    expect(users.users[0]!.password).not.toBe(before);
    expect(await verifyPassword(users, 'a', 'three')).toBe(true);
  });

  const bad: { name: string; yaml: string; want: string }[] = [
    {
      name: 'plain-text password',
      yaml: 'users:\n  - uid: bob\n    password: hunter2\n',
      want: 'u.yaml:3:15: users[0].password: is not a password hash (scrypt$N$r$p$salt$hash); set passwords with `gatehouse user add`',
    },
    { name: 'unknown key', yaml: 'users:\n  - uid: bob\n    pasword: x\n', want: 'u.yaml:2:5: users[0]: missing required key "password"' },
    // Every rule of a usable hash is in test/authn/password-hash.test.ts (hashProblem); two of them here, with their position.
    {
      name: 'password hash that needs more memory than a check may use',
      yaml: 'users:\n  - uid: bob\n    password: scrypt$131072$8$1$AQEBAQEBAQEBAQEBAQEBAQ==$AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=\n',
      want: 'u.yaml:3:15: users[0].password: N 131072, r 8 and p 1 need 129 MiB to check; a check may use 64 MiB; set passwords with `gatehouse user add`',
    },
    {
      name: 'password hash of no bytes (any password would match it)',
      yaml: 'users:\n  - uid: bob\n    password: scrypt$1024$8$1$AQEBAQEBAQEBAQEBAQEBAQ==$A\n',
      want: 'u.yaml:3:15: users[0].password: the hash is 0 bytes; at least 16; set passwords with `gatehouse user add`',
    },
    {
      name: 'duplicate uid',
      yaml: 'users: []\nserviceAccounts:\n  - { uid: ci, publicKey: k }\n  - { uid: ci, publicKey: k }\n',
      want: 'u.yaml:4:12: serviceAccounts[1].uid: "ci" is defined twice',
    },
  ];
  for (const c of bad) {
    it(`rejects a ${c.name} with its position`, () => {
      try {
        parseUsers(c.yaml, 'u.yaml');
        expect.unreachable();
      } catch (error) {
        expect((error as ConfigError).problems.map(formatProblem)).toContain(c.want);
      }
    });
  }
});

// An unknown uid is checked against a hash of the file's own parameters (the costliest where they
// differ), so that it costs what a known uid with a wrong password costs: seen through the check
// verifyPassword is given, which records the hash and answers as checkPassword does.
describe('unknown uids are checked against a hash that costs what the file\'s own cost', () => {
  const hash = (n: number, r = 8, p = 1, keyLength = 32): string =>
    `scrypt$${n}$${r}$${p}$${Buffer.alloc(16, 1).toString('base64')}$${Buffer.alloc(keyLength, 2).toString('base64')}`;
  const file = (...hashes: string[]) => ({ users: hashes.map((password, i) => ({ uid: `u${i}`, password, groups: [] })), serviceAccounts: [] });
  const cases: { name: string; users: ReturnType<typeof file>; want: string }[] = [
    { name: 'one set of parameters: those', users: file(hash(1024), hash(1024)), want: 'scrypt$1024$8$1' },
    { name: 'parameters that differ: the costliest', users: file(hash(16), hash(4096, 8, 2), hash(1024, 16)), want: 'scrypt$4096$8$2' },
    { name: 'r and p count, not only N', users: file(hash(2048), hash(1024, 8, 3)), want: 'scrypt$1024$8$3' },
    { name: 'no users: hashPassword\'s', users: file(), want: 'scrypt$16384$8$1' },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const checked: string[] = [];
      const recording = (password: string, stored: string) => (checked.push(stored), checkPassword(password, stored));
      expect(await verifyPassword(c.users, 'nobody', 'x', recording)).toBe(false);
      expect(checked).toHaveLength(1);
      expect(checked[0]!.split('$').slice(0, 4).join('$')).toBe(c.want);
    });
  }
  it('a known uid whose hash a check cannot use (a file made in code) is checked against the same hash as an unknown one', async () => {
    const checked: string[] = [];
    const users = file(hash(1024), hash(1000));
    expect(await verifyPassword(users, 'u1', 'x', (password, stored) => (checked.push(stored), checkPassword(password, stored)))).toBe(false);
    expect(checked[0]!.split('$').slice(0, 4).join('$')).toBe('scrypt$1024$8$1');
  });

  it('the key length follows too', async () => {
    const checked: string[] = [];
    await verifyPassword(file(hash(16, 8, 1, 64)), 'nobody', 'x', (password, stored) => (checked.push(stored), checkPassword(password, stored)));
    expect(Buffer.from(checked[0]!.split('$')[5]!, 'base64')).toHaveLength(64);
  });
});

describe('policy', () => {
  const table: { name: string; caller: { uid: string; groups: string[] }; allow?: { uid?: string[]; groups?: string[] }; allowed: boolean }[] = [
    { name: 'no rule: any valid token', caller: { uid: 'a', groups: [] }, allowed: true },
    { name: 'listed uid', caller: { uid: 'alice', groups: [] }, allow: { uid: ['alice'] }, allowed: true },
    { name: 'listed group', caller: { uid: 'bob', groups: ['ops'] }, allow: { uid: ['alice'], groups: ['ops'] }, allowed: true },
    { name: 'neither', caller: { uid: 'eve', groups: ['dev'] }, allow: { uid: ['alice'], groups: ['ops'] }, allowed: false },
  ];
  for (const c of table) it(c.name, () => expect(decide(c.caller, c.allow).allowed).toBe(c.allowed));
  it('says why it refuses', () =>
    expect(decide({ uid: 'eve', groups: [] }, { groups: ['ops'] })).toEqual({
      allowed: false,
      reason: 'eve is not allowed here (requires group ops)',
    }));
});

describe('gatehouse token and gatehouse user add (real processes)', () => {
  let config: string;
  beforeAll(async () => {
    config = join(dir, 'gatehouse.yaml');
    await writeFile(
      config,
      `cluster: { source: file, file: { path: state.json } }\nauthn:\n  signingKey: ${join(dir, 'cli', 'key.pem')}\n  users: ${join(dir, 'cli', 'users.yaml')}\n  tokenTtl: 1h\n`,
    );
  });

  it('token: prints a token our verifier accepts, with the requested lifetime', async () => {
    const result = await runGatehouse(['token', '--uid', 'ci-bot', '--ttl', '10m', '--config', config]);
    expect(result.code).toBe(0);
    const token = result.stdout.trim();
    const key = (await loadOrCreateSigningKey(join(dir, 'cli', 'key.pem'))).key;
    const verifier = new TokenVerifier({ own: { kid: key.kid, alg: key.alg, key: key.publicKey, issuer: 'gatehouse' } });
    const caller = await verifier.verify(token);
    verifier.close();
    expect(caller.uid).toBe('ci-bot');
    expect(caller.expiresAt! - Date.now() / 1000).toBeGreaterThan(590);
    expect(caller.expiresAt! - Date.now() / 1000).toBeLessThan(610);
    expect((await stat(join(dir, 'cli', 'key.pem'))).mode & 0o777).toBe(0o600);
  });

  it('token: --uid is required, a bad --ttl is named', async () => {
    expect((await runGatehouse(['token', '--config', config])).stderr).toContain('--uid is required');
    const bad = await runGatehouse(['token', '--uid', 'x', '--ttl', 'soon', '--config', config]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--ttl "soon"');
  });

  it('user add: password from stdin, stored hashed, never echoed', async () => {
    const result = await runGatehouse(['user', 'add', 'carol', '--groups', 'ops,dev', '--config', config], { input: 's3cret-pass\n' });
    expect(result.code).toBe(0);
    expect(result.stdout + result.stderr).not.toContain('s3cret-pass');
    const users = await loadUsers(join(dir, 'cli', 'users.yaml'));
    expect(await verifyPassword(users, 'carol', 's3cret-pass')).toBe(true);
    expect(users.users[0]!.groups).toEqual(['ops', 'dev']);
    expect(await readFile(join(dir, 'cli', 'users.yaml'), 'utf8')).not.toContain('s3cret-pass');
  });

  it('user add: no password on stdin is refused', async () => {
    const result = await runGatehouse(['user', 'add', 'dave', '--config', config], { input: '' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('no password on stdin');
  });
});
