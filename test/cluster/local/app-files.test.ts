// The app directory: per-file quarantine, duplicates across files, and the catalog's hot reload (write,
// rename-replace, delete, a directory that appears later), observed through subscribe. Real files in a
// temp dir; nothing here asserts how fast a reload happens, only what it ends with.
import { mkdir, mkdtemp, rename, rm, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it, type TestContext } from 'vitest';
import { formatAppProblem, type AppDefinition } from '../../../cluster/local/apps/app-definition.js';
import { AppCatalog, type AppCatalogOptions } from '../../../cluster/local/apps/app-catalog.js';
import { loadAppFiles } from '../../../cluster/local/apps/app-files.js';
import { ClusterError } from '../../../cluster/errors.js';
import { until } from '../../support/until.js';

const silent = pino({ level: 'silent' });
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-apps-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const app = (id: string, cmd = 'sleep 1000') => `id: ${id}\ncmd: ${cmd}\n`;
const ids = (apps: readonly AppDefinition[]) => apps.map((a) => a.id);

describe('loadAppFiles', () => {
  it('a missing directory is no apps, not an error', async () => {
    expect(await loadAppFiles(join(dir, 'nope'), new Map())).toEqual(new Map());
  });

  it('reads *.yaml, *.yml and *.json, sorted; skips other names, hidden files and directories', async () => {
    await writeFile(join(dir, 'b.yml'), app('b'));
    await writeFile(join(dir, 'a.yaml'), app('a'));
    await writeFile(join(dir, 'c.json'), '{"id": "c", "args": ["sleep", "1"]}');
    await writeFile(join(dir, 'notes.txt'), 'id: x');
    await writeFile(join(dir, '.d.yaml'), app('d'));
    await writeFile(join(dir, 'e.yaml~'), app('e'));
    await mkdir(join(dir, 'f.yaml'));
    const files = await loadAppFiles(dir, new Map());
    expect([...files.keys()]).toEqual(['a.yaml', 'b.yml', 'c.json'].map((n) => join(dir, n)));
    expect([...files.values()].map((f) => [f.status, ids(f.apps)])).toEqual([['ok', ['/a']], ['ok', ['/b']], ['ok', ['/c']]]);
  });

  it('a directory that cannot be read is an error naming it', async () => {
    const file = join(dir, 'plain');
    await writeFile(file, '');
    await expect(loadAppFiles(file, new Map())).rejects.toMatchObject({ code: 'ERR_CLUSTER_APPS_UNREADABLE', message: expect.stringContaining(file) });
  });

  it('a broken file is quarantined and keeps its last good apps; the others are unaffected', async () => {
    const web = join(dir, 'web.yaml');
    await writeFile(web, app('web'));
    await writeFile(join(dir, 'db.yaml'), app('db'));
    const first = await loadAppFiles(dir, new Map());
    await writeFile(web, 'id: web\ncmd: x\ninstances: many\n');
    const second = await loadAppFiles(dir, first);
    expect(second.get(web)).toEqual({
      file: web,
      status: 'quarantined',
      problems: [expect.objectContaining({ line: 3, col: 12, path: 'instances', severity: 'error' })],
      apps: first.get(web)!.apps,
    });
    expect(second.get(join(dir, 'db.yaml'))!.status).toBe('ok');
    // Without a last good version (first load), a broken file has no apps.
    expect((await loadAppFiles(dir, new Map())).get(web)!.apps).toEqual([]);
    // Fixed: serves its new content again.
    await writeFile(web, app('web', 'sleep 2'));
    const third = await loadAppFiles(dir, second);
    expect(third.get(web)).toMatchObject({ status: 'ok', problems: [], apps: [{ id: '/web', cmd: 'sleep 2' }] });
  });

  it('warnings (ignored Marathon keys) are reported but the file is ok', async () => {
    await writeFile(join(dir, 'a.yaml'), `${app('a')}constraints: [[hostname, UNIQUE]]\n`);
    const status = (await loadAppFiles(dir, new Map())).get(join(dir, 'a.yaml'))!;
    expect(status).toMatchObject({ status: 'ok', apps: [{ id: '/a' }], problems: [{ line: 3, col: 1, path: 'constraints', severity: 'warning' }] });
  });

  const duplicates: {
    name: string;
    files: Record<string, string>;
    expected: Record<string, { status: string; apps: string[]; problems: string[] }>;
  }[] = [
    {
      name: 'the same app in two files: the later file (by name) loses it, with an error naming the first',
      files: { 'a.yaml': app('web'), 'b.yaml': 'apps:\n  - id: other\n    cmd: x\n  - id: /web\n    cmd: y\n' },
      expected: {
        'a.yaml': { status: 'ok', apps: ['/web'], problems: [] },
        'b.yaml': {
          status: 'quarantined',
          apps: ['/other'],
          problems: ['b.yaml:4:5: apps[1].id: app /web is already defined in a.yaml:1:1; this definition is ignored'],
        },
      },
    },
    {
      name: 'resolved ids are compared: /grp/web in a group and in a single file',
      files: { '1-grp.yaml': 'id: /grp\napps:\n  - { id: web, cmd: x }\n', '2-web.json': '{"id": "/grp/web", "cmd": "y"}' },
      expected: {
        '1-grp.yaml': { status: 'ok', apps: ['/grp/web'], problems: [] },
        '2-web.json': {
          status: 'quarantined',
          apps: [],
          problems: ['2-web.json:1:1: id: app /grp/web is already defined in 1-grp.yaml:3:5; this definition is ignored'],
        },
      },
    },
    {
      name: 'three files: only the first keeps it',
      files: { 'a.yaml': app('x'), 'b.yaml': app('x'), 'c.yaml': app('x') },
      expected: {
        'a.yaml': { status: 'ok', apps: ['/x'], problems: [] },
        'b.yaml': {
          status: 'quarantined',
          apps: [],
          problems: ['b.yaml:1:1: id: app /x is already defined in a.yaml:1:1; this definition is ignored'],
        },
        'c.yaml': {
          status: 'quarantined',
          apps: [],
          problems: ['c.yaml:1:1: id: app /x is already defined in a.yaml:1:1; this definition is ignored'],
        },
      },
    },
  ];
  it.each(duplicates)('$name', async ({ files, expected }) => {
    for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
    const loaded = await loadAppFiles(dir, new Map());
    const shown = Object.fromEntries(
      [...loaded.values()].map((f) => [
        f.file.slice(dir.length + 1),
        { status: f.status, apps: ids(f.apps), problems: f.problems.map((p) => formatAppProblem(p).replaceAll(`${dir}/`, '')) },
      ]),
    );
    expect(shown).toEqual(expected);
  });
});

describe('AppCatalog', () => {
  const base = (): AppCatalogOptions => ({ dir, logger: silent, pollMs: 50, debounceMs: 20 });

  /** Records every set of apps a subscriber is given; `next` waits for one that satisfies `ok`. */
  function observe(catalog: AppCatalog) {
    const seen: (readonly AppDefinition[])[] = [];
    catalog.subscribe((apps) => seen.push(apps));
    const next = async (ok: (apps: readonly AppDefinition[]) => boolean) => {
      const last = await until(async () => seen.at(-1) ?? [], ok);
      expect(ok(last), `subscriber never saw the expected apps; last: ${JSON.stringify(ids(last))}`).toBe(true);
      return last;
    };
    return { seen, next };
  }

  const options: { name: string; options: Partial<AppCatalogOptions>; message: string }[] = [
    { name: 'empty dir', options: { dir: '' }, message: 'app catalog: dir must be a non-empty path' },
    { name: 'no logger', options: { logger: undefined as never }, message: 'app catalog: logger must be a pino logger' },
    { name: 'pollMs 0', options: { pollMs: 0 }, message: 'app catalog: pollMs must be a positive number of milliseconds, got 0' },
    { name: 'pollMs NaN', options: { pollMs: Number.NaN }, message: 'app catalog: pollMs must be a positive number of milliseconds, got NaN' },
    { name: 'debounceMs negative', options: { debounceMs: -1 }, message: 'app catalog: debounceMs must be a number of milliseconds >= 0, got -1' },
  ];
  it.each(options)('options: $name is refused', ({ options: bad, message }) => {
    let error: unknown;
    try {
      new AppCatalog({ ...base(), ...bad });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ClusterError);
    expect(error).toMatchObject({ code: 'ERR_CLUSTER_CONFIG', message });
  });

  it('start loads once; apps() is frozen and sorted by id; files() has every file', async () => {
    await writeFile(join(dir, 'z.yaml'), app('a'));
    await writeFile(join(dir, 'a.yaml'), app('b'));
    const catalog = new AppCatalog(base());
    try {
      await catalog.start();
      expect(ids(catalog.apps())).toEqual(['/a', '/b']);
      await expect(catalog.start()).rejects.toMatchObject({ code: 'ERR_CLUSTER_STARTED' });
      expect(Object.isFrozen(catalog.apps()) && Object.isFrozen(catalog.apps()[0])).toBe(true);
      expect(catalog.files().map((f) => [f.file, f.status])).toEqual([[join(dir, 'a.yaml'), 'ok'], [join(dir, 'z.yaml'), 'ok']]);
    } finally {
      await catalog.close();
    }
  });

  it('hot reload: a new file, a change, a rename-replace, a broken write (quarantined), a delete', async () => {
    await writeFile(join(dir, 'db.yaml'), app('db'));
    const catalog = new AppCatalog(base());
    try {
      await catalog.start();
      const { seen, next } = observe(catalog);
      const web = join(dir, 'web.yaml');

      await writeFile(web, app('web'));
      const added = await next((apps) => ids(apps).includes('/web'));
      const v1 = added.find((a) => a.id === '/web')!.version;

      await writeFile(web, app('web', 'sleep 2'));
      const changed = await next((apps) => apps.find((a) => a.id === '/web')?.cmd === 'sleep 2');
      const v2 = changed.find((a) => a.id === '/web')!.version;
      expect(v2).not.toBe(v1);

      // Editors and config management write beside and rename over the file.
      await writeFile(join(dir, '.web.yaml.tmp'), app('web', 'sleep 3'));
      await rename(join(dir, '.web.yaml.tmp'), web);
      await next((apps) => apps.find((a) => a.id === '/web')?.cmd === 'sleep 3');

      const notified = seen.length;
      await writeFile(web, 'id: web\ncmd: [broken\n');
      const files = await until(async () => catalog.files(), (f) => f.some((s) => s.file === web && s.status === 'quarantined'));
      expect(files.find((s) => s.file === web)).toMatchObject({ status: 'quarantined', problems: [expect.objectContaining({ severity: 'error' })] });
      expect(catalog.apps().find((a) => a.id === '/web')?.cmd).toBe('sleep 3');
      expect(seen.length, 'a quarantined file changes no app, so no subscriber call').toBe(notified);

      await unlink(web);
      const removed = await next((apps) => !ids(apps).includes('/web'));
      expect(ids(removed)).toEqual(['/db']);
      expect(catalog.files().map((f) => f.file)).toEqual([join(dir, 'db.yaml')]);
    } finally {
      await catalog.close();
    }
  });

  it('a directory missing at start is no apps; created later, it is picked up', async () => {
    const later = join(dir, 'apps.d');
    const catalog = new AppCatalog({ ...base(), dir: later });
    try {
      await catalog.start();
      expect(catalog.apps()).toEqual([]);
      const { next } = observe(catalog);
      await mkdir(later);
      await writeFile(join(later, 'web.yaml'), app('web'));
      await next((apps) => ids(apps).includes('/web'));
      // Removed with everything in it: no apps again.
      await rm(later, { recursive: true });
      await next((apps) => apps.length === 0);
      // Made anew (another directory to the kernel): followed again.
      await mkdir(later);
      await writeFile(join(later, 'db.yaml'), app('db'));
      await next((apps) => ids(apps).includes('/db'));
    } finally {
      await catalog.close();
    }
  });

  it('unchanged files are read zero times while another file takes five saves (each applied) and three reloads', async (ctx: TestContext) => {
    // Reads are counted by the kernel: a file's atime set to the epoch moves at its next read (relatime).
    const quiet = join(dir, 'quiet.yaml');
    const busy = join(dir, 'busy.yaml');
    await writeFile(quiet, app('quiet'));
    await writeFile(busy, app('busy', 'sleep 0'));
    // Quiet for an hour: its stat vouches for it (a file modified moments before its reading is read again).
    const hourAgo = new Date(Date.now() - 3_600_000);
    await utimes(quiet, hourAgo, hourAgo);
    const catalog = new AppCatalog({ ...base(), pollMs: 20 });
    try {
      await catalog.start();
      const { next } = observe(catalog);
      await utimes(quiet, new Date(0), hourAgo);
      await utimes(busy, new Date(0), (await stat(busy)).mtime);
      const readSince = async (file: string) => (await stat(file)).atimeMs > 0;

      await writeFile(busy, app('busy', 'sleep 1'));
      await next((apps) => apps.find((a) => a.id === '/busy')?.cmd === 'sleep 1');
      if (!(await readSince(busy))) ctx.skip('this filesystem does not move atime on a read (noatime): reads cannot be counted');
      for (let i = 2; i <= 5; i++) {
        await writeFile(busy, app('busy', `sleep ${i}`));
        await next((apps) => apps.find((a) => a.id === '/busy')?.cmd === `sleep ${i}`);
      }
      for (let i = 0; i < 3; i++) await catalog.reload();

      expect(await readSince(quiet), 'quiet.yaml was read again').toBe(false);
      expect(ids(catalog.apps())).toEqual(['/busy', '/quiet']);
    } finally {
      await catalog.close();
    }
  });

  it('reload() applies changes at once; concurrent reloads coalesce; unsubscribe stops calls; a throwing subscriber does not stop the others', async () => {
    const catalog = new AppCatalog({ ...base(), pollMs: 60_000 });
    try {
      await catalog.start();
      const calls: string[][] = [];
      const unsubscribe = catalog.subscribe((apps) => calls.push(ids(apps)));
      catalog.subscribe(() => {
        throw new Error('subscriber bug');
      });
      await writeFile(join(dir, 'a.yaml'), app('a'));
      await Promise.all([catalog.reload(), catalog.reload(), catalog.reload()]);
      expect(ids(catalog.apps())).toEqual(['/a']);
      expect(calls).toContainEqual(['/a']);
      unsubscribe();
      const before = calls.length;
      await writeFile(join(dir, 'b.yaml'), app('b'));
      await catalog.reload();
      expect(ids(catalog.apps())).toEqual(['/a', '/b']);
      expect(calls.length).toBe(before);
    } finally {
      await catalog.close();
    }
  });

  it('logs one readable line per reload, with the first problem of a quarantined file; counts reloads and failures', async () => {
    const lines: { level: number; msg: string }[] = [];
    const logger = pino(
      { level: 'info' },
      new Writable({ write: (chunk, _e, done) => void (lines.push(JSON.parse(String(chunk)) as { level: number; msg: string }), done()) }),
    );
    const registry = new Registry();
    await writeFile(join(dir, 'web.yaml'), app('web'));
    // The watcher's own reload must not fire between the writes and reload() (under load it did: 3 reloads).
    const catalog = new AppCatalog({ ...base(), logger, registry, pollMs: 60_000, debounceMs: 60_000 });
    try {
      await catalog.start();
      expect(lines.at(-1)?.msg).toBe(`apps reloaded: 1 app from 1 file in ${dir}; added /web`);
      await writeFile(join(dir, 'web.yaml'), 'id: web\ncmd: x\ncpus: 0\n');
      await writeFile(join(dir, 'db.yaml'), app('db'));
      await catalog.reload();
      expect(lines.at(-1)).toMatchObject({
        level: 40,
        msg: `apps reloaded: 2 apps from 2 files in ${dir}; added /db; quarantined web.yaml: ${join(dir, 'web.yaml')}:3:7: cpus: must be > 0, got number 0`,
      });
      const metrics = await registry.getMetricsAsJSON();
      const value = (name: string) => metrics.find((m) => m.name === name)?.values[0]?.value;
      expect(value('gatehouse_cluster_app_reloads_total')).toBe(2);
      expect(value('gatehouse_cluster_app_reload_failures_total')).toBe(1);
    } finally {
      await catalog.close();
    }
  });

  it('close after a failed start (the directory is a file) is safe, and so is closing twice', async () => {
    const file = join(dir, 'plain');
    await writeFile(file, '');
    const catalog = new AppCatalog({ ...base(), dir: file });
    await expect(catalog.start()).rejects.toMatchObject({ code: 'ERR_CLUSTER_APPS_UNREADABLE' });
    await catalog.close();
    await catalog[Symbol.asyncDispose]();
    expect(catalog.apps()).toEqual([]);
    await expect(catalog.start()).rejects.toMatchObject({ code: 'ERR_CLUSTER_CLOSED' });
  });
});
