// What a `gatehouse run` process loads when it starts (issue: start-up CPU): the real binary with two
// gateway workers and JSON logs, each process writing the CommonJS modules it loaded (`require.cache`,
// which also holds the packages ESM imported) when it exits. Packages a process does not need must not
// be there: the checks fail as soon as an eager import of one comes back. Also: the schemas are
// validated by the code the build generated, never by ajv compiling them at start; and the embedded
// cluster's own source reads it without Node's fetch (its first request loads Node's internal undici
// and compiles llhttp's WebAssembly: ~0.2 CPU-s and ~40 MB on Node 20) and without protobufjs, and
// neither does a worker answering an agent's metrics (it asks the agent over node:http too).
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { writeEmbeddedConfig } from '../support/embedded-config.js';
import { startGatehouseProcess } from '../support/gatehouse-process.js';
import { tokenFor } from '../support/token.js';

interface Loaded {
  readonly pid: number;
  readonly worker: boolean;
  readonly files: readonly string[];
  /** URLs of the ES modules loaded. */
  readonly esm: readonly string[];
  /** Calls of the global fetch. */
  readonly fetchCalls: number;
  /** Node's own modules of fetch's engine loaded after the preload (process.moduleLoadList). */
  readonly internalUndici: readonly string[];
}

// Preloaded into every process of the run (NODE_OPTIONS is inherited by the workers node:cluster forks).
// ES modules are not in require.cache: a loader hook (it runs on a thread of its own) posts each URL it
// loads back to the process. (Registered from an --import preload: from a --require one, Node 20
// exits with 1 and no message.)
const RECORDER = `
import { writeFileSync } from 'node:fs';
import cluster from 'node:cluster';
import { createRequire, register } from 'node:module';
import { MessageChannel } from 'node:worker_threads';
const esm = [];
const { port1, port2 } = new MessageChannel();
port1.on('message', (url) => esm.push(url));
port1.unref();
register('data:text/javascript,' + encodeURIComponent(
  'let port; export function initialize(data) { port = data.port; }' +
  'export async function load(url, context, next) { port.postMessage(url); return next(url, context); }'),
  { parentURL: import.meta.url, data: { port: port2 }, transferList: [port2] });
const require = createRequire(import.meta.url);
// Node 24 loads its undici for any ES import of node:http (the namespace reads http's lazy WebSocket
// export); Node 20 only for fetch. What this import loads is the baseline, so what comes after it is
// fetch's doing on either. Reading the property loads nothing: undici comes with the first call.
await import('node:http');
const baseline = new Set(process.moduleLoadList);
const nodeFetch = globalThis.fetch;
let fetchCalls = 0;
globalThis.fetch = function fetch(...args) {
  fetchCalls++;
  return nodeFetch.apply(this, args);
};
process.on('exit', () => {
  const internalUndici = process.moduleLoadList.filter((name) => /undici/.test(name) && !baseline.has(name));
  const record = { pid: process.pid, worker: cluster.isWorker, files: Object.keys(require.cache), esm, fetchCalls, internalUndici };
  writeFileSync(process.env.GATEHOUSE_TEST_LOADED_DIR + '/' + process.pid + '.json', JSON.stringify(record));
});
`;

let dir: string;
let loaded: Loaded[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-startup-modules-'));
  const config = await writeEmbeddedConfig(dir, { ports: '21500-21549', workers: 2 });
  await writeFile(join(dir, 'recorder.mjs'), RECORDER);
  const gatehouse = startGatehouseProcess(['run', '--config', config], {
    env: { NODE_OPTIONS: `--import ${join(dir, 'recorder.mjs')}`, GATEHOUSE_TEST_LOADED_DIR: dir },
  });
  try {
    const running = await gatehouse.waitForLog((line) => line.msg === 'gatehouse is running', 30_000);
    // The source's first snapshot came from a poll; then it subscribes (GET_MASTER, SUBSCRIBE).
    await gatehouse.waitForLog((line) => line.msg === "subscribed to the Mesos master's event stream", 10_000);
    // A worker answers an agent's metrics, asking the agent itself (/metrics/snapshot): through
    // node:http, so no process below may have called fetch or loaded its engine for it either.
    const base = `http://127.0.0.1:${running['gatewayPort']}`;
    const headers = { authorization: `token=${await tokenFor(config, 'modules-check')}` };
    const slaves = (await (await fetch(`${base}/mesos/master/slaves`, { headers })).json()) as { slaves: { id: string }[] };
    const metrics = await fetch(`${base}/system/v1/agent/${slaves.slaves[0]!.id}/metrics/v0/node`, { headers });
    expect({ status: metrics.status, body: await metrics.json() }).toMatchObject({ status: 200, body: { datapoints: expect.any(Array) } });
  } finally {
    expect(await gatehouse.stop()).toBe(0);
  }
  for (const name of await readdir(dir)) {
    if (/^\d+\.json$/.test(name)) loaded.push(JSON.parse(await readFile(join(dir, name), 'utf8')) as Loaded);
  }
}, 60_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  loaded = [];
});

/**
 * Every module a process ran: dist/ is bundled, so a chunk it loaded stands for the modules its source
 * map lists (our .ts files and the packages' files); anything else loaded (externals, validators) as is.
 */
function modulesOf(process: Loaded): string[] {
  const paths = [...process.files, ...process.esm.filter((url) => url.startsWith('file:')).map((url) => fileURLToPath(url))];
  return paths.flatMap((path) => {
    const map = `${path}.map`;
    if (!path.includes('/dist/') || !existsSync(map)) return [path];
    return (JSON.parse(readFileSync(map, 'utf8')) as { sources: string[] }).sources.map((source) => resolve(dirname(path), source));
  });
}

const packageFiles = (process: Loaded, name: string) => modulesOf(process).filter((file) => file.includes(`/node_modules/${name}/`));

describe('a JSON-logging `gatehouse run` with two workers', () => {
  test('every process recorded what it loaded (the primary and both workers)', () => {
    expect(loaded.filter((p) => !p.worker)).toHaveLength(1);
    expect(loaded.filter((p) => p.worker)).toHaveLength(2);
  });

  const NEVER_LOADED: { name: string; pkg: string; where: 'every process' | 'workers' }[] = [
    { name: 'pino-pretty: only for human log lines', pkg: 'pino-pretty', where: 'every process' },
    { name: "ajv's compiler: the schemas are compiled at build time", pkg: 'ajv/dist/compile', where: 'every process' },
    { name: 'undici: only by the first request that needs it', pkg: 'undici', where: 'every process' },
    { name: 'yaml: workers get users and routes from the primary, never read a file', pkg: 'yaml', where: 'workers' },
    {
      name: "protobufjs: only by an agent call, or an operator API call in protobuf (the source's own JSON calls need none)",
      pkg: 'protobufjs',
      where: 'every process',
    },
  ];
  for (const { name, pkg, where } of NEVER_LOADED) {
    test(`${where} without ${name}`, () => {
      const processes = where === 'workers' ? loaded.filter((p) => p.worker) : loaded;
      expect(processes.length).toBeGreaterThan(0);
      for (const process of processes) expect(packageFiles(process, pkg), `pid ${process.pid}`).toEqual([]);
    });
  }

  test("no process called the global fetch or loaded its engine (the embedded cluster and an agent's metrics are read through node:http)", () => {
    expect(loaded.length).toBe(3);
    for (const process of loaded) {
      expect({ fetchCalls: process.fetchCalls, internalUndici: process.internalUndici }, `pid ${process.pid}`).toEqual({ fetchCalls: 0, internalUndici: [] });
    }
  });

  test('the gateway server is loaded by the workers that serve, not by the primary', () => {
    const server = (process: Loaded) => modulesOf(process).filter((file) => file.endsWith('/gateway/server.ts'));
    const [primary, workers] = [loaded.filter((p) => !p.worker), loaded.filter((p) => p.worker)];
    // The hook saw the primary's own modules, so an empty list means "not loaded", not "not recorded".
    expect(modulesOf(primary[0]!).some((file) => file.endsWith('/gateway/index.ts'))).toBe(true);
    expect(server(primary[0]!)).toEqual([]);
    for (const worker of workers) expect(server(worker), `pid ${worker.pid}`).toHaveLength(1);
  });

  test('the primary validated its files with the validators the build generated', () => {
    const primary = loaded.find((p) => !p.worker)!;
    const validators = primary.files.filter((file) => file.includes('/dist/config/validators/')).map((file) => file.replace(/.*\//, ''));
    expect(validators).toEqual(expect.arrayContaining(['gatehouse-config.cjs', 'users-file.cjs']));
  });
});
