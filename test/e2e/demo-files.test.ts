// Trying the quick start leaves the checkout clean: a fresh git copy of the project runs the shipped
// config (its paths, with ephemeral ports in a file outside the copy), the README's steps are taken
// (first-start users file and key, a token, `instances: 3` in config/apps.d/hello.yaml, a user added)
// and `git status --porcelain` stays empty.
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { REPO_ROOT, runGatehouse, startGatehouseProcess, type GatehouseProcess } from '../support/gatehouse-process.js';
import { until } from '../support/until.js';

const run = promisify(execFile);
let dir: string;
let repo: string;
let config: string;
let gatehouse: GatehouseProcess | undefined;

const git = async (...args: string[]) => (await run('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd: repo })).stdout;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-demo-files-'));
  repo = join(dir, 'gatehouse');
  // The tracked files as they are now, committed in a repository of their own: a fresh clone.
  const tracked = (await run('git', ['ls-files', '-z'], { cwd: REPO_ROOT })).stdout.split('\0').filter(Boolean);
  for (const file of tracked) {
    if (!(await stat(join(REPO_ROOT, file)).then((s) => s.isFile(), () => false))) continue;
    await mkdir(dirname(join(repo, file)), { recursive: true });
    await copyFile(join(REPO_ROOT, file), join(repo, file));
  }
  for (const link of ['dist', 'node_modules']) await symlink(join(REPO_ROOT, link), join(repo, link));
  await git('init', '-q');
  await git('add', '-A');
  await git('commit', '-qm', 'fresh');
  expect(await git('status', '--porcelain')).toBe('');
  // The shipped config with its relative paths, only the listeners moved to free ports (outside the copy).
  const shipped = await readFile(join(repo, 'config', 'gatehouse.yaml'), 'utf8');
  config = join(dir, 'ports.yaml');
  await writeFile(config, shipped.replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:0').replace(/ports: "31000-32000"/, 'ports: "22300-22330"'));
}, 60_000);

afterAll(async () => {
  await gatehouse?.stop();
  await rm(dir, { recursive: true, force: true });
});

it('the quick start, edits included, leaves git status empty', async () => {
  gatehouse = startGatehouseProcess(['run', '--config', config], { cwd: repo });
  await gatehouse.waitForLog((l) => l.msg === 'gatehouse is running', 30_000);
  // stderr is a pipe of its own: the block printed after `gatehouse is running` may arrive later.
  expect((await gatehouse.waitForStderr(/Password \(shown once\): \S+/))[0]).toMatch(/Password/);
  const cluster = String((await gatehouse.waitForLog((l) => l.msg === 'embedded cluster started (Mesos and Marathon API)'))['url']);
  const taskCount = async () => ((await (await fetch(`${cluster}/v2/apps/hello`)).json()) as { app: { tasksRunning: number } }).app.tasksRunning;
  expect(await until(taskCount, (n) => n === 2, 30_000)).toBe(2);

  // The README's edit: the demo app's file, scaled to 3 while it runs.
  const hello = join(repo, 'config', 'apps.d', 'hello.yaml');
  await writeFile(hello, (await readFile(hello, 'utf8')).replace('instances: 2', 'instances: 3'));
  expect(await until(taskCount, (n) => n === 3, 30_000)).toBe(3);
  expect(await runGatehouse(['token', '--uid', 'me', '--config', config], { cwd: repo })).toMatchObject({ code: 0 });
  expect(await runGatehouse(['user', 'add', 'alice', '--config', config], { cwd: repo, input: 'alice-password\n' })).toMatchObject({ code: 0 });

  expect(await git('status', '--porcelain', '--untracked-files=all')).toBe('');
  // The shipped example is as it was: the edit went to the copy.
  expect(await readFile(join(repo, 'config', 'apps.d.example', 'hello.yaml'), 'utf8')).toContain('instances: 2');
  await gatehouse.stop();
  expect(await git('status', '--porcelain', '--untracked-files=all')).toBe('');
}, 120_000);
