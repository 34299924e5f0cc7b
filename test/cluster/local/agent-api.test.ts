// An embedded agent's HTTP API as Mesos clients (the DC/OS CLI, dcos-log, UIs) use it: the files API
// with its virtual sandbox paths, the agent state, resource statistics and the v1 agent calls; and
// every way a request tries to leave a sandbox, refused with a 4xx that says why.
import { appendFile, mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wholeCharacters } from '../../../cluster/local/agent/sandbox-files.js';
import { appDefinition } from '../../support/local-apps.js';
import { startTestCluster, type TestCluster } from '../../support/local-cluster.js';
import { until } from '../../support/until.js';

type Json = any;
let cluster: TestCluster;
let agentUrl: string;
let task: Json;
let sandbox: string;
let containerId: string;

const get = (path: string): Promise<Response> => fetch(`${agentUrl}${path}`);
const call = (body: unknown, headers: Record<string, string> = { 'content-type': 'application/json' }): Promise<Response> =>
  fetch(`${agentUrl}/api/v1`, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });

beforeAll(async () => {
  cluster = await startTestCluster(
    [
      appDefinition({
        id: '/talker',
        cmd: "printf 'listening on %s\\n' \"$PORT0\"; printf 'h\\303\\251llo \\342\\202\\254\\n'; exec sleep 600",
        portDefinitions: [{ port: 0, name: 'web', protocol: 'tcp', labels: {} }],
      }),
    ],
    { resources: { ports: '20550-20559' } },
  );
  const state = await until(() => cluster.get('/master/state'), (s: Json) => s.frameworks[0]?.tasks?.[0]?.state === 'TASK_RUNNING');
  const agent = state.slaves[0];
  agentUrl = `http://127.0.0.1:${agent.port}`;
  task = state.frameworks[0].tasks[0];
  containerId = task.statuses[0].container_status.container_id.value;
  sandbox = join(cluster.cluster.agents[0]!.workDir, 'frameworks', task.framework_id, 'executors', task.id, 'runs', containerId);
  await until(() => get(`/files/read?path=${sandbox}/stdout&offset=0`).then((r) => r.json()), (r: Json) => String(r.data).includes('€'));
}, 30_000);
afterAll(() => cluster?.close());

describe('task statuses and the agent state', () => {
  it('every status from the agent carries the container id of the task run, whose directory is runs/<id>', () => {
    expect(task.statuses.map((s: Json) => s.state)).toEqual(['TASK_STARTING', 'TASK_RUNNING']);
    for (const status of task.statuses) expect(status.container_status.container_id).toEqual({ value: containerId });
    expect(containerId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('/state has the executor with its container, directory, task and Mesos flags', async () => {
    const state = (await (await get('/state')).json()) as Json;
    const executor = state.frameworks[0].executors[0];
    expect(executor).toMatchObject({ id: task.id, framework_id: task.framework_id, container: containerId, directory: sandbox, type: 'COMMAND' });
    expect(executor.tasks.map((t: Json) => t.id)).toEqual([task.id]);
    expect(`${state.flags.work_dir}/slaves/${state.id}`).toBe(cluster.cluster.agents[0]!.workDir);
    expect(state.frameworks[0].completed_executors).toEqual([]);
  });

  it('/monitor/statistics and GET_CONTAINERS report the task\'s CPU and memory', async () => {
    const stats = (await (await get('/monitor/statistics')).json()) as Json[];
    expect(stats).toHaveLength(1);
    expect(stats[0]).toMatchObject({ executor_id: task.id, framework_id: task.framework_id, source: task.id });
    expect(stats[0].statistics.mem_rss_bytes).toBeGreaterThan(0);
    expect(stats[0].statistics.mem_limit_bytes).toBe(64 * 1024 * 1024);
    expect(stats[0].statistics.cpus_limit).toBe(0.1);
    expect(typeof stats[0].statistics.cpus_user_time_secs).toBe('number');
    const containers = (await (await call({ type: 'GET_CONTAINERS' })).json()) as Json;
    expect(containers.type).toBe('GET_CONTAINERS');
    expect(containers.get_containers.containers[0]).toMatchObject({
      container_id: { value: containerId },
      executor_id: { value: task.id },
      framework_id: { value: task.framework_id },
    });
    expect(containers.get_containers.containers[0].resource_statistics.mem_total_bytes).toBeGreaterThan(0);
  });
});

describe('/metrics/snapshot', () => {
  it('has Mesos\'s system/* keys for this machine and slave/* for the agent\'s resources and what its task holds', async () => {
    const snapshot = (await (await get('/metrics/snapshot')).json()) as Record<string, number>;
    expect(snapshot['system/cpus_total']).toBeGreaterThan(0);
    expect(snapshot['system/mem_total_bytes']).toBeGreaterThan(snapshot['system/mem_free_bytes']!);
    for (const key of ['system/load_1min', 'system/load_5min', 'system/load_15min']) expect(snapshot[key]).toBeGreaterThanOrEqual(0);
    expect(snapshot).toMatchObject({ 'slave/tasks_running': 1, 'slave/cpus_used': 0.1, 'slave/mem_used': 64 });
    expect(snapshot['slave/cpus_total']).toBeGreaterThanOrEqual(snapshot['slave/cpus_used']!);
  });
});

describe('the files API (Mesos /files/*)', () => {
  it('/files/debug maps the run\'s real path and the executor\'s runs/latest to the sandbox', async () => {
    const debug = (await (await get('/files/debug')).json()) as Record<string, string>;
    expect(debug[sandbox]).toBe(sandbox);
    expect(debug[`/frameworks/${task.framework_id}/executors/${task.id}/runs/latest`]).toBe(sandbox);
    // What `dcos task ls` matches: a key ending in /frameworks/<fw>/executors/<executor>/runs/<container>.
    expect(Object.keys(debug).filter((k) => k.endsWith(`/frameworks/${task.framework_id}/executors/${task.id}/runs/${containerId}`))).toEqual([sandbox]);
  });

  it('/files/browse lists entries under the requested path, with ls -l fields', async () => {
    const entries = (await (await get(`/files/browse?path=${sandbox}/.`)).json()) as Json[];
    expect(entries.map((e) => e.path)).toEqual([`${sandbox}/stderr`, `${sandbox}/stdout`]);
    expect(entries[1]).toMatchObject({ mode: '-rw-r--r--', nlink: 1 });
    expect(typeof entries[1].uid).toBe('string');
    const virtual = (await (await get(`/files/browse?path=/frameworks/${task.framework_id}/executors/${task.id}/runs/latest`)).json()) as Json[];
    expect(virtual.map((e) => e.path.split('/').at(-1))).toEqual(['stderr', 'stdout']);
  });

  it('/files/read: offset -1 gives the size, chunks are bounded and end on whole characters', async () => {
    const path = `${sandbox}/stdout`;
    const size = ((await (await get(`/files/read?path=${path}&offset=-1`)).json()) as Json).offset;
    const text = `listening on ${task.resources.ports.slice(1, 6)}\nhéllo €\n`;
    expect(size).toBe(Buffer.byteLength(text));
    expect(await (await get(`/files/read?path=${path}&offset=0&length=-1`)).json()).toEqual({ data: text, offset: 0 });
    // The euro sign is 3 bytes: a read that would end inside it stops before it.
    const cut = Buffer.byteLength(text) - 2;
    expect(await (await get(`/files/read?path=${path}&offset=0&length=${cut}`)).json()).toEqual({ data: text.slice(0, text.length - 2), offset: 0 });
    expect(await (await get(`/files/read?path=${path}&offset=${size + 10}`)).json()).toEqual({ data: '', offset: size + 10 });
    await writeFile(join(sandbox, 'big'), Buffer.alloc(200_000, 'x'));
    const big = (await (await get(`/files/read?path=${sandbox}/big&offset=0&length=-1`)).json()) as Json;
    expect(big.data.length).toBe(65536);
  });

  it('/files/download sends the file with its length and name', async () => {
    const response = await get(`/files/download?path=${sandbox}/stdout`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-disposition')).toContain('filename="stdout"');
    expect(await response.text()).toContain('listening on');
  });

  it('READ_FILE and LIST_FILES answer the same files as the HTTP endpoints', async () => {
    const read = (await (await call({ type: 'READ_FILE', read_file: { path: `${sandbox}/stdout`, offset: 0 } })).json()) as Json;
    expect(read.type).toBe('READ_FILE');
    expect(Buffer.from(read.read_file.data, 'base64').toString('utf8')).toContain('héllo €');
    expect(read.read_file.size).toBe(Buffer.from(read.read_file.data, 'base64').length);
    const list = (await (await call({ type: 'LIST_FILES', list_files: { path: sandbox } })).json()) as Json;
    expect(list.list_files.file_infos.map((f: Json) => f.path)).toContain(`${sandbox}/stdout`);
    expect(list.list_files.file_infos[0].mtime.nanoseconds).toBeGreaterThan(0);
  });

  it('a file appended to is read from where the last read ended', async () => {
    const path = `${sandbox}/grows`;
    await writeFile(path, 'one\n');
    const first = (await (await get(`/files/read?path=${path}&offset=0`)).json()) as Json;
    await appendFile(path, 'two\n');
    expect(await (await get(`/files/read?path=${path}&offset=${Buffer.byteLength(first.data)}`)).json()).toEqual({ data: 'two\n', offset: 4 });
  });
});

describe('requests that try to leave the sandbox are refused', () => {
  beforeAll(async () => {
    await mkdir(join(sandbox, 'sub'), { recursive: true });
    await symlink('/etc', join(sandbox, 'etc-link'));
    await symlink('/etc/passwd', join(sandbox, 'passwd-link'));
    await symlink('/nonexistent-outside/x', join(sandbox, 'dangling-out'));
    await symlink('stdout', join(sandbox, 'inside-link'));
  });

  const cases: { name: string; path: () => string; endpoint?: string; status: number; reason: RegExp }[] = [
    { name: 'a relative ../../etc/passwd', path: () => '../../etc/passwd', status: 400, reason: /must be absolute/ },
    {
      name: 'dot-dot segments after the sandbox',
      path: () => `${sandbox}/../../../../../../etc/passwd`,
      status: 403,
      reason: /'\.\.' segment/,
    },
    { name: 'dot-dot that would stay inside', path: () => `${sandbox}/sub/../stdout`, status: 403, reason: /'\.\.' segment/ },
    {
      name: 'an encoded dot-dot (%2e%2e, decoded once by the query)',
      path: () => `${sandbox}/%2e%2e/%2e%2e/etc/passwd`,
      status: 403,
      reason: /'\.\.' segment/,
    },
    {
      name: 'a double-encoded dot-dot is a name, not a step up',
      path: () => `${sandbox}/%252e%252e/etc/passwd`,
      status: 404,
      reason: /no such file/,
    },
    { name: 'an absolute path outside every sandbox', path: () => '/etc/passwd', status: 404, reason: /not in a sandbox/ },
    {
      name: 'the agent work dir above the sandboxes',
      path: () => cluster.cluster.agents[0]!.workDir,
      status: 404,
      reason: /not in a sandbox/,
    },
    { name: 'a symlink to a directory outside', path: () => `${sandbox}/etc-link/passwd`, status: 403, reason: /outside the sandbox/ },
    { name: 'a symlink to a file outside', path: () => `${sandbox}/passwd-link`, status: 403, reason: /outside the sandbox/ },
    { name: 'a dangling symlink pointing outside', path: () => `${sandbox}/dangling-out`, status: 403, reason: /symlink/ },
    { name: 'a NUL byte', path: () => `${sandbox}/stdout%00.txt`, status: 400, reason: /NUL or control/ },
    { name: 'browse of a symlink out', path: () => `${sandbox}/etc-link`, endpoint: 'browse', status: 403, reason: /outside the sandbox/ },
    {
      name: 'download of a symlink out',
      path: () => `${sandbox}/passwd-link`,
      endpoint: 'download',
      status: 403,
      reason: /outside the sandbox/,
    },
    { name: 'no path at all', path: () => '', status: 400, reason: /Expecting 'path=value'/ },
  ];
  for (const c of cases) {
    it(`${c.name}: ${c.status}`, async () => {
      const raw = c.path();
      // The raw string goes in the query as the CLI sends it (Go does not encode the path); only % sequences stay as written.
      const response = await get(`/files/${c.endpoint ?? 'read'}?path=${raw.replace(/ /g, '%20')}&offset=0`);
      const body = await response.text();
      expect(response.status).toBe(c.status);
      expect(body).toMatch(c.reason);
      expect(body).not.toMatch(/root:x:0:0/);
    });
  }

  it('a symlink that stays inside the sandbox is followed', async () => {
    expect(((await (await get(`/files/read?path=${sandbox}/inside-link&offset=0`)).json()) as Json).data).toContain('listening on');
  });

  it('READ_FILE refuses the same escapes with the same statuses', async () => {
    const outside = await call({ type: 'READ_FILE', read_file: { path: `${sandbox}/passwd-link`, offset: 0 } });
    expect(outside.status).toBe(403);
    expect(await outside.text()).toMatch(/outside the sandbox/);
  });
});

describe('bad agent calls', () => {
  const cases: { name: string; body: string; headers?: Record<string, string>; status: number; reason: RegExp }[] = [
    {
      name: 'an unknown call type',
      body: JSON.stringify({ type: 'LAUNCH_CONTAINER' }),
      status: 400,
      reason: /does not answer "LAUNCH_CONTAINER"/,
    },
    { name: 'no type', body: '{}', status: 400, reason: /'type'/ },
    { name: 'malformed JSON', body: '{"type":', status: 400, reason: /Failed to parse body into JSON/ },
    {
      name: 'READ_FILE without offset',
      body: JSON.stringify({ type: 'READ_FILE', read_file: { path: '/x' } }),
      status: 400,
      reason: /'offset'/,
    },
    { name: 'LIST_FILES without its section', body: JSON.stringify({ type: 'LIST_FILES' }), status: 400, reason: /'list_files'/ },
    { name: 'a Content-Type it does not take', body: '{}', headers: { 'content-type': 'text/plain' }, status: 415, reason: /Content-Type/ },
    {
      name: 'an Accept with neither JSON nor protobuf',
      body: JSON.stringify({ type: 'GET_CONTAINERS' }),
      headers: { 'content-type': 'application/json', accept: 'text/html' },
      status: 406,
      reason: /Accept/,
    },
  ];
  for (const c of cases) {
    it(`${c.name}: ${c.status} with the reason`, async () => {
      const response = await call(c.body, c.headers);
      expect(response.status).toBe(c.status);
      expect(await response.text()).toMatch(c.reason);
    });
  }

  it('a body over the limit is refused with 413', async () => {
    const response = await call(`{"type":"GET_CONTAINERS","pad":"${'x'.repeat(1_100_000)}"}`);
    expect(response.status).toBe(413);
  });
});

describe('wholeCharacters', () => {
  const cases: [string, Buffer, number][] = [
    ['ASCII', Buffer.from('abc'), 3],
    ['a whole euro sign', Buffer.from('a€'), 4],
    ['a euro sign cut after 1 byte', Buffer.from('a€').subarray(0, 2), 1],
    ['a euro sign cut after 2 bytes', Buffer.from('a€').subarray(0, 3), 1],
    ['a 4-byte emoji cut after 3 bytes', Buffer.from('😀').subarray(0, 3), 0],
    ['empty', Buffer.alloc(0), 0],
  ];
  for (const [name, bytes, want] of cases) it(name, () => expect(wholeCharacters(bytes)).toBe(want));
});
