// The app catalog on real files: hot reload on write, rename-replace and delete; a broken file keeps
// its last good apps; duplicates across files; subscribers hear only real changes.
import { mkdtemp, rename, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, expect, test } from 'vitest';
import { AppCatalog } from '../../../cluster/local/app-catalog.js';
import type { AppDefinition } from '../../../cluster/local/app-definition.js';
import { until } from '../../support/until.js';

const catalogs: AppCatalog[] = [];
afterEach(async () => {
  for (const c of catalogs.splice(0)) await c.close();
});

async function catalogIn(files: Record<string, string>): Promise<{ dir: string; catalog: AppCatalog; seen: (readonly AppDefinition[])[] }> {
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-apps-'));
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  const catalog = new AppCatalog({ dir, logger: pino({ level: 'silent' }), pollMs: 200, debounceMs: 20 });
  catalogs.push(catalog);
  const seen: (readonly AppDefinition[])[] = [];
  catalog.subscribe((apps) => seen.push(apps));
  await catalog.start();
  return { dir, catalog, seen };
}

const ids = (catalog: AppCatalog): string[] => catalog.apps().map((a) => a.id);

test('loads every app file of the directory, in file-name order', async () => {
  const { catalog } = await catalogIn({ 'b.yaml': 'id: b\ncmd: x\n', 'a.json': '{"apps": [{"id": "a1", "cmd": "x"}, {"id": "a2", "cmd": "x"}]}', 'notes.txt': 'not an app' });
  expect(ids(catalog)).toEqual(['/a1', '/a2', '/b']);
  expect(catalog.files().map((f) => f.status)).toEqual(['ok', 'ok']);
});

test('a missing directory means no apps, not an error; apps appear when it does', async () => {
  const parent = await mkdtemp(join(tmpdir(), 'gatehouse-apps-'));
  const dir = join(parent, 'apps.d');
  const catalog = new AppCatalog({ dir, logger: pino({ level: 'silent' }), pollMs: 100, debounceMs: 20 });
  catalogs.push(catalog);
  await catalog.start();
  expect(ids(catalog)).toEqual([]);
  await mkdir(dir);
  await writeFile(join(dir, 'a.yaml'), 'id: late\ncmd: x\n');
  expect(await until(async () => ids(catalog), (l) => l.length === 1)).toEqual(['/late']);
});

test('hot reload: a write, a rename-replace and a delete each reach subscribers', async () => {
  const { dir, catalog, seen } = await catalogIn({ 'a.yaml': 'id: a\ncmd: x\n' });
  await writeFile(join(dir, 'a.yaml'), 'id: a\ncmd: x\ninstances: 2\n');
  await until(async () => catalog.apps()[0]!.instances, (n) => n === 2);
  await writeFile(join(dir, '.b.tmp'), 'id: b\ncmd: x\n');
  await rename(join(dir, '.b.tmp'), join(dir, 'b.yaml'));
  await until(async () => ids(catalog), (l) => l.length === 2);
  await rm(join(dir, 'a.yaml'));
  expect(await until(async () => ids(catalog), (l) => l.length === 1)).toEqual(['/b']);
  expect(seen.map((apps) => apps.map((a) => `${a.id}×${a.instances}`).join(' '))).toEqual(['/a×1', '/a×2', '/a×2 /b×1', '/b×1']);
});

test('a broken file keeps its last good apps and says why; fixing it takes the new apps', async () => {
  const { dir, catalog, seen } = await catalogIn({ 'a.yaml': 'id: a\ncmd: x\n', 'b.yaml': 'id: b\ncmd: x\n' });
  await writeFile(join(dir, 'a.yaml'), 'id: a\ncmd: x\ninstances: many\n');
  const broken = await until(async () => catalog.files()[0]!, (f) => f.status === 'quarantined');
  expect(broken.problems.map((p) => `${p.line}:${p.col} ${p.message}`)).toEqual(['3:12 must be an integer, got string "many"']);
  expect(ids(catalog)).toEqual(['/a', '/b']);
  expect(seen).toHaveLength(1); // nothing changed for the scheduler
  await writeFile(join(dir, 'a.yaml'), 'id: a\ncmd: x\ninstances: 3\n');
  await until(async () => catalog.apps()[0]!.instances, (n) => n === 3);
  expect(catalog.files()[0]!.status).toBe('ok');
});

test('the same app id in two files: the first file (by name) keeps it, the second is told', async () => {
  const { catalog } = await catalogIn({ '10-web.yaml': 'id: web\ncmd: x\n', '20-copy.yaml': 'apps:\n  - { id: other, cmd: y }\n  - { id: /web, cmd: y }\n' });
  expect(ids(catalog)).toEqual(['/web', '/other']);
  expect(catalog.apps()[0]!.cmd).toBe('x');
  const second = catalog.files()[1]!;
  expect(second.status).toBe('quarantined');
  expect(second.problems[0]!.message).toBe(`app /web is already declared in ${catalog.files()[0]!.file}`);
  expect(second.problems[0]!.line).toBe(3);
});

test('saving a file unchanged tells nobody', async () => {
  const { dir, catalog, seen } = await catalogIn({ 'a.yaml': 'id: a\ncmd: x\n' });
  await writeFile(join(dir, 'a.yaml'), '# touched\nid: a\ncmd: x\n');
  await catalog.reload();
  expect(seen).toHaveLength(1);
});

test('close after a failed start is safe', async () => {
  const catalog = new AppCatalog({ dir: '/nonexistent/apps.d', logger: pino({ level: 'silent' }) });
  await catalog.start();
  await catalog.close();
  await catalog.close();
  expect(() => new AppCatalog({ dir: '', logger: pino({ level: 'silent' }) })).toThrow(/cluster.local.apps/);
});
