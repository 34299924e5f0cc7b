// `gatehouse user add|list|remove` through the real binary: the users file's own rules (one validator),
// passwords of 8 characters or more, never echoed on a terminal (a real pty through `script`), atomic
// 0600 writes, and `gatehouse validate` reporting a broken users file.
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadUsers, verifyPassword } from '../../authn/index.js';
import { BIN, runGatehouse } from '../support/gatehouse-process.js';

let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'gatehouse-user-'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

// Each case has a directory, config and users file of its own: it runs alone, in any order.
async function project(): Promise<{ dir: string; config: string; users: string; user: (args: string[], input?: string) => ReturnType<typeof runGatehouse> }> {
  const dir = await mkdtemp(join(root, 'case-'));
  const users = join(dir, 'users.yaml');
  const config = join(dir, 'gatehouse.yaml');
  await writeFile(config, `cluster: { source: file, file: { path: state.json } }\nauthn: { users: ${JSON.stringify(users)}, signingKey: key.pem }\n`);
  const user = (args: string[], input?: string) => runGatehouse(['user', ...args, '--config', config], { cwd: dir, ...(input === undefined ? {} : { input }) });
  return { dir, config, users, user };
}

describe('gatehouse user add refuses what the users file would refuse', () => {
  it.each([
    {
      name: 'a uid with a space',
      uid: 'Bob Smith',
      stderr: /^gatehouse user add: "Bob Smith" is not a valid uid \(1 to 64 characters: .*\)\nRun 'gatehouse user --help' for usage\.\n$/,
    },
    { name: 'a uid starting with a dot', uid: '.hidden', stderr: /"\.hidden" is not a valid uid/ },
    { name: 'a uid of 65 characters', uid: 'a'.repeat(65), stderr: /is not a valid uid/ },
    { name: 'a uid with a slash', uid: 'a/b', stderr: /"a\/b" is not a valid uid/ },
  ])('$name: exit 1, nothing written', async ({ uid, stderr }) => {
    const { users, user } = await project();
    const result = await user(['add', uid], 'long-enough-password\n');
    expect(result.stderr).toMatch(stderr);
    expect(result.code).toBe(1);
    await expect(stat(users)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it.each([
    { name: '7 characters', password: '1234567' },
    { name: 'empty', password: '' },
  ])('a password of $name: exit 1, nothing written', async ({ password }) => {
    const { users, user } = await project();
    const result = await user(['add', 'alice'], `${password}\n`);
    expect(result.stderr).toMatch(/^gatehouse user add: (the password is too short: at least 8 characters|no password .*)\n/);
    expect(result.code).toBe(1);
    await expect(stat(users)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('add, list, remove', () => {
  it('adds users (piped password), writes 0600 atomically, lists uids and groups without hashes, removes', async () => {
    const { dir, users, user } = await project();
    expect(await user(['add', 'alice', '--groups', 'ops,dev'], 'alice-password\n')).toMatchObject({ code: 0, stdout: `added user alice in ${users}\n` });
    expect(await user(['add', 'bob.smith@example'], 'bob-password-1\n')).toMatchObject({ code: 0 });
    expect((await stat(users)).mode & 0o777).toBe(0o600);
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    const file = await loadUsers(users);
    expect(await verifyPassword(file, 'alice', 'alice-password')).toBe(true);

    const listed = await user(['list']);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toBe(
      'UID                KIND             GROUPS\nalice              user             ops,dev\nbob.smith@example  user             -\n',
    );
    expect(listed.stdout).not.toMatch(/scrypt/);

    expect(await user(['remove', 'alice'])).toMatchObject({ code: 0, stdout: `removed alice from ${users}\n` });
    expect(await user(['remove', 'alice'])).toMatchObject({ code: 1, stderr: `gatehouse user remove: no user "alice" in ${users}\n` });
    expect((await loadUsers(users)).users.map((u) => u.uid)).toEqual(['bob.smith@example']);
    expect((await stat(users)).mode & 0o777).toBe(0o600);
   }, 60_000);

  it('on a terminal the password is asked twice and never echoed (a real pty via script)', async () => {
    const { dir, config, users } = await project();
    const password = 'typed-in-secret-9';
    const child = spawn('script', ['-qfec', `${process.execPath} ${BIN} user add carol --config ${config}`, '/dev/null'], {
      cwd: dir,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let screen = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (screen += chunk));
    const waitFor = (text: string) => new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no "${text}" on the terminal; it shows: ${JSON.stringify(screen)}`)), 15_000);
      const check = () => {
        if (!screen.includes(text)) return;
        clearTimeout(timer);
        child.stdout.off('data', check);
        resolve();
      };
      child.stdout.on('data', check);
      check();
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    // Typed only once the prompt shows: before that the terminal is still in its echoing mode.
    await waitFor('password for carol: ');
    child.stdin.write(`${password}\r`);
    await waitFor('again: ');
    child.stdin.write(`${password}\r`);
    await waitFor('added user carol');
    child.stdin.end();
    expect(await exited).toBe(0);
    expect(screen).not.toContain(password);
    expect(await verifyPassword(await loadUsers(users), 'carol', password)).toBe(true);
  }, 30_000);
});

describe('gatehouse validate checks the users file', () => {
  it('a uid the schema rejects is reported at file:line:col, exit 1', async () => {
    const { dir, config, users } = await project();
    const broken = join(dir, 'broken-users.yaml');
    await writeFile(broken, 'users:\n  - uid: Bob Smith\n    password: "scrypt$16384$8$1$c2FsdA$aGFzaA"\n', { mode: 0o600 });
    const brokenConfig = join(dir, 'broken.yaml');
    await writeFile(
      brokenConfig,
      (await readFile(config, 'utf8'))
        .replace(JSON.stringify(users), JSON.stringify(broken))
        .replace(
          'source: file, file: { path: state.json }',
          `source: file, file: { path: state.json }, local: { apps: ${JSON.stringify(join(dir, 'no-apps'))} }`,
        ) + `gateway: { routes: ${JSON.stringify(join(dir, 'no-routes'))} }\n`,
    );
    const result = await runGatehouse(['validate', '--config', brokenConfig], { cwd: dir });
    expect(result.stdout).toMatch(new RegExp(`^${broken.replace(/[.]/g, '\\.')}:2:10: users\\[0\\]\\.uid: must match pattern .*"Bob Smith"\\n$`));
    expect(result.code).toBe(1);
  });
});
