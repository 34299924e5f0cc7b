// How a write through the Marathon API lands in the app files, on real files read back by the real
// catalog: the folder's format for new apps, JSON and YAML group files edited in place, removals,
// refusals that leave every file (and no temp file) behind.
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppCatalog } from '../../../cluster/local/apps/app-catalog.js';
import { AppFileError, AppFileWriter } from '../../../cluster/local/apps/app-file-writer.js';

let dir: string;
let catalog: AppCatalog;
let writer: AppFileWriter;

async function open(files: Record<string, string | undefined>): Promise<void> {
  for (const [name, text] of Object.entries(files)) if (text !== undefined) await writeFile(join(dir, name), text);
  catalog = new AppCatalog({ dir, logger: pino({ level: 'silent' }), pollMs: 600_000, debounceMs: 600_000 });
  await catalog.start();
  writer = new AppFileWriter(catalog);
}

const contents = async (): Promise<Record<string, string>> =>
  Object.fromEntries(await Promise.all((await readdir(dir)).sort().map(async (n) => [n, await readFile(join(dir, n), 'utf8')] as const)));

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-app-writer-'));
});
afterEach(async () => {
  await catalog?.close();
  await rm(dir, { recursive: true, force: true });
});

const JSON_GROUP = `{
  "id": "/data",
  "apps": [
    { "id": "db", "cmd": "sleep 1", "mem": 64, "instances": 1 },
    { "id": "cache", "cmd": "sleep 2" }
  ]
}
`;

describe('AppFileWriter', () => {
  it('a new app in a folder of JSON files is a JSON file; a JSON group keeps its key order and the other app', async () => {
    await open({ 'data.json': JSON_GROUP, 'x.json': '{"id": "/x", "cmd": "sleep 3"}' });
    await writer.put('/grp/new', { id: '/grp/new', cmd: 'sleep 4', instances: 2 }, { create: true });
    expect((await contents())['grp_new.json']).toBe('{\n  "id": "/grp/new",\n  "cmd": "sleep 4",\n  "instances": 2\n}\n');
    await writer.put('/data/db', { id: '/data/db', cmd: 'sleep 1', mem: 64, instances: 3 }, { create: false });
    expect(JSON.parse((await contents())['data.json']!)).toEqual({
      id: '/data',
      apps: [
        { id: 'db', cmd: 'sleep 1', mem: 64, instances: 3 },
        { id: 'cache', cmd: 'sleep 2' },
      ],
    });
    expect(Object.keys(JSON.parse((await contents())['data.json']!).apps[0])).toEqual(['id', 'cmd', 'mem', 'instances']);
    expect(catalog.apps().find((a) => a.id === '/data/db')?.instances).toBe(3);
  });

  const edits = [
    {
      name: 'a plain value is replaced in the text, comments and spacing stay',
      text: 'id: /a   # the app\ninstances: 1     # one\ncmd: x\n',
      change: { instances: 2 },
      after: 'id: /a   # the app\ninstances: 2     # one\ncmd: x\n',
    },
    {
      name: 'a quoted value',
      text: 'id: /a\ncmd: "sleep 1"\nmem: 64\n',
      change: { cmd: 'sleep 2' },
      after: 'id: /a\ncmd: sleep 2\nmem: 64\n',
    },
    {
      name: 'a block scalar keeps its style, the next key and its comment stay',
      text: 'id: /a\ncmd: >-\n  exec sleep\n  600\nmem: 64 # mine\n',
      change: { cmd: 'sleep 1' },
      after: 'id: /a\ncmd: >-\n  sleep 1\nmem: 64 # mine\n',
    },
    { name: 'a new key is added at the end', text: 'id: /a\ncmd: x\n', change: { mem: 48 }, after: 'id: /a\ncmd: x\nmem: 48\n' },
  ];
  it.each(edits)('edit: $name', async ({ text, change, after }) => {
    await open({ 'a.yaml': text });
    const current = (await writer.read('/a'))!;
    await writer.put('/a', { ...current, ...change }, { create: false });
    expect((await contents())['a.yaml']).toBe(after);
    expect(catalog.files()[0]!.status).toBe('ok');
  });

  const removals = [
    { name: 'a one-app file goes', files: { 'a.yaml': 'id: /a\ncmd: x\n' }, app: '/a', after: {} },
    {
      name: 'a YAML group keeps its other app and comments',
      files: { 'g.yaml': '# g\nid: /g\napps:\n  - id: a # first\n    cmd: x\n  - id: b\n    cmd: y\n' },
      app: '/g/a',
      after: { 'g.yaml': '# g\nid: /g\napps:\n  - id: b\n    cmd: y\n' },
    },
    {
      name: 'a JSON group keeps its other app',
      files: { 'data.json': JSON_GROUP },
      app: '/data/cache',
      after: {
        'data.json':
          '{\n  "id": "/data",\n  "apps": [\n    {\n      "id": "db",\n      "cmd": "sleep 1",\n      "mem": 64,\n      "instances": 1\n    }\n  ]\n}\n',
      },
    },
    { name: 'a group file goes with its last app', files: { 'g.yaml': 'id: /g\napps:\n  - id: a\n    cmd: x\n' }, app: '/g/a', after: {} },
  ];
  it.each(removals)('remove: $name', async ({ files, app, after }) => {
    await open(files);
    await writer.remove(app);
    expect(await contents()).toEqual(after);
    expect(catalog.apps().map((a) => a.id)).not.toContain(app);
  });

  const refusals = [
    {
      name: 'an invalid definition',
      files: { 'a.yaml': 'id: /a\ncmd: x\n' },
      write: () => writer.put('/a', { id: '/a', cmd: 'x', mem: 'lots' }, { create: false }),
      code: 'ERR_CLUSTER_APP_FILE_INVALID',
    },
    {
      name: 'a change of an app not in any file',
      files: {},
      write: () => writer.put('/a', { id: '/a', cmd: 'x' }, { create: false }),
      code: 'ERR_CLUSTER_APP_FILE_NOT_FOUND',
    },
    {
      name: 'a new app whose file name is taken by a broken file',
      files: { 'a.yaml': 'id: /a\ncmd: [' },
      write: () => writer.put('/a', { id: '/a', cmd: 'x' }, { create: true }),
      code: 'ERR_CLUSTER_APP_FILE_CONFLICT',
    },
    {
      name: 'an app of a quarantined file',
      files: { 'g.yaml': 'id: /g\napps:\n  - id: a\n    cmd: x\n' },
      write: async () => {
        await writeFile(join(dir, 'g.yaml'), 'id: /g\napps:\n  - id: a\n    cmd: 5\n');
        await catalog.reload();
        return writer.put('/g/a', { id: '/g/a', cmd: 'y' }, { create: false });
      },
      code: 'ERR_CLUSTER_APP_FILE_CONFLICT',
    },
    {
      name: 'a file replaced on disk since it was loaded',
      files: { 'a.yaml': 'id: /a\ncmd: x\n' },
      write: async () => {
        await writeFile(join(dir, 'a.yaml'), 'id: /a\ncmd: z\n');
        return writer.remove('/a');
      },
      code: 'ERR_CLUSTER_APP_FILE_CONFLICT',
    },
  ];
  it.each(refusals)('refused: $name, and no file changes', async ({ files, write, code }) => {
    await open(files);
    const before = await contents();
    const error = await write().then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(AppFileError);
    expect((error as AppFileError).code).toBe(code);
    const after = await contents();
    // The refusals that edit a file first (to make the conflict) see that edit, and nothing else.
    for (const name of Object.keys(after)) expect(name.startsWith('.')).toBe(false);
    expect(Object.keys(after)).toEqual(Object.keys(before));
  });
});
