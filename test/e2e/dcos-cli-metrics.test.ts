// `dcos task metrics details|summary` and `dcos node metrics details|summary` against the real
// `gatehouse run` binary (embedded cluster, two gateway workers), and the per-task series on /metrics.
// The `dcos` CLI cannot be installed here, so its requests are replayed from its public source
// (dcos/dcos-core-cli; read, not copied):
//
//   pkg/cmd/task/task_metrics_details.go  findTask (active tasks of GET /mesos/master/state whose id
//                             matches), containerID = Statuses[0].ContainerStatus.ContainerID.Value, then
//                             metrics.Client Task(agent, container) and App(agent, container); prints
//                             each datapoint's NAME and VALUE; "No metrics found" when both are nil.
//   pkg/cmd/task/task_metrics_summary.go  the same Task call, then the datapoints cpus.user_time_secs,
//                             cpus.system_time_secs, cpus.throttled_time_secs, mem.limit_bytes,
//                             mem.total_bytes, disk.used_bytes, disk.limit_bytes.
//   pkg/metrics/client.go     Node: GET /system/v1/agent/<id>/metrics/v0/node (200, else "HTTP <n> error");
//                             Task: GET …/metrics/v0/containers/<container> and App: …/containers/<container>/app
//                             (200: decoded, 204: nil, else an error).
//   pkg/metrics/types.go      {datapoints: [{name, value, unit, timestamp (RFC 3339), tags}], dimensions:
//                             {mesos_id, cluster_id, hostname, container_id, framework_name, task_name, labels}}.
//   pkg/cmd/node/node_metrics_summary.go  load.1min, cpu.total, memory.total, memory.free and the
//                             filesystem.capacity.total/used datapoints whose tag path is "/".
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatehouseProcess, type GatehouseProcess } from '../support/gatehouse-process.js';
import { until } from '../support/until.js';
import { premadeAuthn } from '../support/premade-authn.js';
import { tokenFor } from '../support/token.js';

type Json = any;
let dir: string;
let gatehouse: GatehouseProcess;
let port: number;
let token: string;
let busy: Json;
let hello: Json;

const APPS = {
  // Burns CPU in a shell loop, its CPU time must grow between two reads: a tenth of a core (10 ms of
  // counting, 0.1 s asleep), not the half its limit allows, which the test files running beside need.
  busy: 'id: /busy\ninstances: 1\ncpus: 0.5\nmem: 64\ncmd: "while :; do i=0; while [ $i -lt 5000 ]; do i=$((i+1)); done; sleep 0.1; done"\n',
  hello: 'id: /hello\ninstances: 1\ncpus: 0.1\nmem: 64\ncmd: "exec sleep 600"\n',
};

/** A request as the CLI's Go httpclient sends it (`Authorization: token=…`, JSON accepted). */
async function cli(path: string, init: { method?: string; auth?: boolean } = {}): Promise<{ status: number; body: string }> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, {
    method: init.method ?? 'GET',
    headers: { 'user-agent': 'dcos-cli/1.2', accept: 'application/json', ...(init.auth === false ? {} : { authorization: `token=${token}` }) },
  });
  return { status: response.status, body: await response.text() };
}

/** task.go findTask: an active task of the master state whose id contains the argument. */
async function findTask(id: string): Promise<Json | undefined> {
  const state = JSON.parse((await cli('/mesos/master/state')).body) as Json;
  return state.frameworks.flatMap((f: Json) => f.tasks).find((t: Json) => t.id.includes(id) && t.state === 'TASK_RUNNING');
}

/** client.go Task/App: 200 decoded, 204 nil, anything else an error. */
async function containerMetrics(task: Json, app = false): Promise<Json | null> {
  const container = task.statuses[0].container_status.container_id.value;
  const answer = await cli(`/system/v1/agent/${task.slave_id}/metrics/v0/containers/${container}${app ? '/app' : ''}`);
  if (answer.status === 204) return null;
  if (answer.status !== 200) throw new Error(`HTTP ${answer.status} error: ${answer.body}`);
  return JSON.parse(answer.body);
}

const value = (message: Json, name: string): number | undefined => message.datapoints.find((d: Json) => d.name === name)?.value;
const scrape = async (): Promise<string> => (await fetch(`http://127.0.0.1:${port}/metrics`)).text();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-metrics-e2e-'));
  await mkdir(join(dir, 'apps.d'));
  for (const [name, text] of Object.entries(APPS)) await writeFile(join(dir, 'apps.d', `${name}.yaml`), text);
  const config = join(dir, 'gatehouse.yaml');
  await writeFile(config, [
    'cluster:', '  source: local', '  local:', `    apps: ${JSON.stringify(join(dir, 'apps.d'))}`, `    workDir: ${JSON.stringify(join(dir, 'work'))}`,
    '    http: 127.0.0.1:0', '    resources: { cpus: 2, mem: 1024, disk: 1024, ports: "21100-21119" }',
    'dns:', '  listen: 127.0.0.1:0', '  http: ""',
    // Two workers: /metrics is then the primary's (which alone collects the task series), asked over IPC.
    'gateway:', '  listen: 127.0.0.1:0', '  workers: 2',
    'authn:', `  signingKey: ${JSON.stringify(join(dir, 'key.pem'))}`, `  users: ${JSON.stringify(join(dir, 'users.yaml'))}`,
  ].join('\n'));
  await premadeAuthn(join(dir, 'key.pem'), join(dir, 'users.yaml'));
  gatehouse = startGatehouseProcess(['run', '--config', config]);
  port = Number((await gatehouse.waitForLog((l) => l.msg === 'gatehouse is running', 60_000))['gatewayPort']);
  token = await tokenFor(config, 'operator');
  busy = await until(() => findTask('busy').catch(() => undefined), (t) => t !== undefined, 30_000);
  hello = await until(() => findTask('hello').catch(() => undefined), (t) => t !== undefined, 30_000);
}, 120_000);

afterAll(async () => {
  await gatehouse?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
}, 30_000);

describe('dcos task metrics', () => {
  it('details: the container\'s datapoints with dimensions; no app metrics (204, which the CLI reads as none)', async () => {
    const metrics = await until(() => containerMetrics(busy), (m) => m !== null, 10_000);
    expect(await containerMetrics(busy, true)).toBeNull();
    const container = busy.statuses[0].container_status.container_id.value;
    expect(metrics.dimensions).toMatchObject({
      mesos_id: busy.slave_id,
      container_id: container,
      executor_id: busy.id,
      framework_id: busy.framework_id,
      framework_name: 'marathon',
      task_id: busy.id,
      task_name: 'busy',
    });
    expect(metrics.dimensions.cluster_id).toMatch(/^[0-9a-f-]{36}$/);
    for (const point of metrics.datapoints) {
      expect(Object.keys(point).sort()).toEqual(['name', 'timestamp', 'unit', 'value']);
      expect(Number.isNaN(Date.parse(point.timestamp))).toBe(false);
    }
    expect(value(metrics, 'cpus.limit')).toBe(0.5);
    expect(value(metrics, 'mem.limit_bytes')).toBe(64 * 1024 * 1024);
    expect(value(metrics, 'mem.total_bytes')).toBeGreaterThan(0);
    expect(value(metrics, 'mem.total_bytes')).toBeLessThan(64 * 1024 * 1024);
  });

  it('summary: CPU time grows while a busy task runs', async () => {
    const cpu = async () => {
      const metrics = (await containerMetrics(busy))!;
      return value(metrics, 'cpus.user_time_secs')! + value(metrics, 'cpus.system_time_secs')!;
    };
    const first = await cpu();
    expect(first).toBeGreaterThanOrEqual(0);
    await until(cpu, (now) => now > first + 0.05, 15_000);
  });

  it('/containers lists the running containers', async () => {
    const answer = await cli(`/system/v1/agent/${busy.slave_id}/metrics/v0/containers`);
    expect(answer.status).toBe(200);
    const ids = JSON.parse(answer.body) as string[];
    expect(ids).toContain(busy.statuses[0].container_status.container_id.value);
    expect(ids).toContain(hello.statuses[0].container_status.container_id.value);
  });

  it.each([
    { name: 'an unknown container', path: (agent: string) => `/system/v1/agent/${agent}/metrics/v0/containers/no-such-container`, says: 'container no-such-container' },
    { name: 'an unknown container\'s app metrics', path: (agent: string) => `/system/v1/agent/${agent}/metrics/v0/containers/nope/app`, says: 'container nope' },
    { name: 'an unknown agent', path: () => '/system/v1/agent/no-such-agent/metrics/v0/node', says: 'agent no-such-agent unknown' },
    { name: 'a path that is no metrics path', path: (agent: string) => `/system/v1/agent/${agent}/metrics/v0/nodes`, says: 'not a metrics path' },
  ])('$name: 404 with the reason', async ({ path, says }) => {
    const answer = await cli(path(busy.slave_id));
    expect(answer.status).toBe(404);
    expect(JSON.parse(answer.body)).toMatchObject({ code: 'ERR_GATEWAY_METRICS_NOT_FOUND', description: expect.stringContaining(says) });
  });

  it('without a token: 401', async () => {
    expect((await cli(`/system/v1/agent/${busy.slave_id}/metrics/v0/node`, { auth: false })).status).toBe(401);
  });
});

describe('dcos node metrics', () => {
  it('details and summary: load, CPU, memory and the root filesystem of the agent\'s machine', async () => {
    const answer = await cli(`/system/v1/agent/${busy.slave_id}/metrics/v0/node`);
    expect(answer.status).toBe(200);
    const node = JSON.parse(answer.body) as Json;
    expect(node.dimensions).toMatchObject({ mesos_id: busy.slave_id, hostname: expect.any(String) });
    expect(value(node, 'load.1min')).toBeGreaterThanOrEqual(0);
    expect(value(node, 'cpu.cores')).toBeGreaterThan(0);
    expect(value(node, 'cpu.total')).toBeGreaterThanOrEqual(0);
    expect(value(node, 'cpu.total')).toBeLessThanOrEqual(100);
    expect(value(node, 'memory.total')).toBeGreaterThan(value(node, 'memory.free')!);
    const root = node.datapoints.filter((d: Json) => d.name.startsWith('filesystem.capacity.') && d.tags?.path === '/');
    expect(root.map((d: Json) => d.name).sort()).toEqual(['filesystem.capacity.free', 'filesystem.capacity.total', 'filesystem.capacity.used']);
    expect(node.datapoints.find((d: Json) => d.name === 'memory.total').unit).toBe('bytes');
    expect(node.datapoints.find((d: Json) => d.name === 'cpu.total').unit).toBe('percent');
  });
});

describe('per-task series on /metrics', () => {
  const series = (text: string, metric: string, taskId: string) =>
    text.split('\n').filter((line) => line.startsWith(`${metric}{`) && line.includes(`task_id="${taskId}"`));

  it('CPU seconds and memory bytes per running task, labelled with task, framework and agent; gone once the task is killed', async () => {
    const text = await until(scrape, (t) => series(t, 'gatehouse_task_memory_bytes', hello.id).length === 1, 15_000);
    expect(series(text, 'gatehouse_task_cpu_seconds_total', busy.id).map((l) => /mode="(\w+)"/.exec(l)![1]).sort()).toEqual(['system', 'user']);
    const [memory] = series(text, 'gatehouse_task_memory_bytes', hello.id);
    expect(memory).toContain('task_name="hello"');
    expect(memory).toContain('framework="marathon"');
    expect(memory).toContain(`agent_id="${hello.slave_id}"`);
    expect(Number(memory!.split(' ').at(-1))).toBeGreaterThan(0);
    expect(text).toContain('# TYPE gatehouse_task_cpu_seconds_total counter');
    expect(text).toMatch(/^gatehouse_task_series_dropped_total 0$/m);

    const removed = await cli('/marathon/v2/apps/hello', { method: 'DELETE' });
    expect(removed.status).toBe(200);
    const after = await until(scrape, (t) => series(t, 'gatehouse_task_memory_bytes', hello.id).length === 0, 20_000);
    expect(series(after, 'gatehouse_task_cpu_seconds_total', hello.id)).toEqual([]);
    expect(series(after, 'gatehouse_task_memory_bytes', busy.id)).toHaveLength(1);
  }, 40_000);
});
