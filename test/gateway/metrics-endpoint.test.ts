// dcos-metrics' v0 API as the gateway answers it for a real Mesos cluster (no dcos-metrics on the
// agents): a stand-in agent on a real socket serves Mesos's agent JSON (`/state`,
// `/monitor/statistics` without container ids, as Mesos's has none, `/metrics/snapshot`), and the
// gateway's answers are read over HTTP.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseMasterState, type Snapshot, type SnapshotView } from '../../cluster/index.js';
import { answerMetrics } from '../../gateway/metrics/metrics-endpoint.js';
import { fetchCallsDuring } from '../support/fetch-calls.js';
import { masterState } from '../support/master-state.js';

const FW = 'fw-0000';
const AGENT = 'agent-S0';
const GONE_AGENT = 'agent-gone';
const CONTAINER = 'c0ffee00-1111-2222-3333-444455556666';
const QUIET = 'dead0000-1111-2222-3333-444455556666';
let agent: Server;
let gateway: Server;
let gatewayPort: number;
let snapshot: Snapshot;
let withSnapshotEndpoint = true;

const view: SnapshotView = {
  get current() {
    return snapshot;
  },
  status: () => ({ state: 'fresh', ageMs: 0, generation: 1, lastError: null, source: snapshot.source }) as any,
  subscribe: () => () => undefined,
};

const AGENT_JSON: Record<string, unknown> = {
  '/state': {
    id: AGENT,
    hostname: 'agent-host',
    frameworks: [{
      id: FW, name: 'marathon', role: 'slave_public', principal: 'dcos_marathon',
      executors: [
        { id: 'web.1', container: CONTAINER, directory: '/x', tasks: [{ id: 'web.1', name: 'web', labels: [{ key: 'team', value: 'blue' }] }] },
        { id: 'quiet.1', container: QUIET, directory: '/y', tasks: [{ id: 'quiet.1', name: 'quiet' }] },
      ],
      completed_executors: [{ id: 'old.1', container: 'old-container', directory: '/z', tasks: [] }],
    }],
  },
  '/monitor/statistics': [{
    executor_id: 'web.1', executor_name: 'Command Executor (Task: web.1)', framework_id: FW, source: 'web.1',
    statistics: { timestamp: 1_700_000_000.5, cpus_user_time_secs: 12.5, cpus_system_time_secs: 1.25, cpus_limit: 1.1, mem_total_bytes: 52_428_800, mem_limit_bytes: 167_772_160 },
  }],
  '/metrics/snapshot': {
    'system/cpus_total': 8, 'system/load_1min': 0.5, 'system/load_5min': 0.75, 'system/load_15min': 1,
    'system/mem_total_bytes': 16e9, 'system/mem_free_bytes': 4e9, 'slave/cpus_total': 7,
  },
};

beforeAll(async () => {
  agent = createServer((req, res) => {
    const body = AGENT_JSON[new URL(req.url ?? '/', 'http://agent').pathname];
    if (body === undefined || (req.url === '/metrics/snapshot' && !withSnapshotEndpoint)) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => agent.listen(0, '127.0.0.1', resolve));
  const doc = masterState({
    leader: 'master@127.0.0.1:5050',
    // An agent whose port nobody listens on: port 1 on loopback refuses.
    agents: [{ id: AGENT, host: '127.0.0.1', port: (agent.address() as AddressInfo).port }, { id: GONE_AGENT, host: '127.0.0.1', port: 1 }],
    frameworks: [{ id: FW, name: 'marathon', tasks: [{ id: 'web.1', name: 'web', agent: AGENT }] }],
  });
  snapshot = {
    ...(await parseMasterState(doc, { source: { kind: 'mesos', origin: 'metrics test' }, fetchedAt: Date.now(), resolveHost: async () => ['127.0.0.1'] })),
    generation: 1,
  };
  gateway = createServer((req, res) => void answerMetrics({ store: view, clusterId: 'cluster-1' }, req, res, new URL(req.url ?? '/', 'http://g').pathname));
  await new Promise<void>((resolve) => gateway.listen(0, '127.0.0.1', resolve));
  gatewayPort = (gateway.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise((resolve) => gateway.close(resolve));
  await new Promise((resolve) => agent.close(resolve));
});

const get = async (path: string, method = 'GET') => {
  const response = await fetch(`http://127.0.0.1:${gatewayPort}${path}`, { method });
  const text = await response.text();
  return { status: response.status, json: text ? JSON.parse(text) : null };
};
const base = `/system/v1/agent/${AGENT}/metrics/v0`;

describe('against a Mesos agent without dcos-metrics', () => {
  it('a container: its ResourceStatistics as datapoints, the executor, framework and task as dimensions', async () => {
    const { status, json } = await get(`${base}/containers/${CONTAINER}`);
    expect(status).toBe(200);
    expect(json.dimensions).toEqual({
      mesos_id: AGENT, cluster_id: 'cluster-1', container_id: CONTAINER, executor_id: 'web.1', framework_id: FW, framework_name: 'marathon',
      framework_role: 'slave_public', framework_principal: 'dcos_marathon', task_id: 'web.1', task_name: 'web', hostname: 'agent-host',
      labels: { team: 'blue' },
    });
    const at = new Date(1_700_000_000_500).toISOString();
    expect(json.datapoints).toEqual([
      { name: 'cpus.user_time_secs', value: 12.5, unit: 'seconds', timestamp: at },
      { name: 'cpus.system_time_secs', value: 1.25, unit: 'seconds', timestamp: at },
      { name: 'cpus.limit', value: 1.1, unit: 'count', timestamp: at },
      { name: 'mem.total_bytes', value: 52_428_800, unit: 'bytes', timestamp: at },
      { name: 'mem.limit_bytes', value: 167_772_160, unit: 'bytes', timestamp: at },
    ]);
  });

  it('the node: cores, load and memory from /metrics/snapshot, nothing made up (no filesystem, no CPU percent)', async () => {
    const { status, json } = await get(`${base}/node`);
    expect(status).toBe(200);
    // The hostname the master knows the agent by (the snapshot's): no /state read for the node.
    expect(json.dimensions).toEqual({ mesos_id: AGENT, cluster_id: 'cluster-1', hostname: '127.0.0.1' });
    expect(json.datapoints.map((d: any) => [d.name, d.value, d.unit])).toEqual([
      ['cpu.cores', 8, 'count'], ['load.1min', 0.5, 'count'], ['load.5min', 0.75, 'count'], ['load.15min', 1, 'count'],
      ['memory.total', 16e9, 'bytes'], ['memory.free', 4e9, 'bytes'],
    ]);
  });

  it('the node of an agent without /metrics/snapshot: no datapoints, still its dimensions', async () => {
    withSnapshotEndpoint = false;
    try {
      const { status, json } = await get(`${base}/node`);
      expect(status).toBe(200);
      expect(json).toEqual({ datapoints: [], dimensions: { mesos_id: AGENT, cluster_id: 'cluster-1', hostname: '127.0.0.1' } });
    } finally {
      withSnapshotEndpoint = true;
    }
  });

  it.each([
    { name: '/containers lists the live executors\' containers (not completed ones)', path: `${base}/containers`, status: 200, json: [CONTAINER, QUIET] },
    { name: 'a live container without statistics: 204', path: `${base}/containers/${QUIET}`, status: 204, json: null },
    { name: 'a known container\'s app metrics: 204 (none collected)', path: `${base}/containers/${CONTAINER}/app`, status: 204, json: null },
  ])('$name', async ({ path, status, json }) => {
    expect(await get(path)).toEqual({ status, json });
  });

  it.each([
    { name: 'a completed container', path: `${base}/containers/old-container`, status: 404, code: 'ERR_GATEWAY_METRICS_NOT_FOUND', says: 'container old-container is not running' },
    { name: 'an unknown agent', path: '/system/v1/agent/nope/metrics/v0/containers', status: 404, code: 'ERR_GATEWAY_METRICS_NOT_FOUND', says: 'agent nope unknown' },
    { name: 'a node sub-path', path: `${base}/node/x`, status: 404, code: 'ERR_GATEWAY_METRICS_NOT_FOUND', says: 'not a metrics path' },
    { name: 'an agent that does not answer', path: `/system/v1/agent/${GONE_AGENT}/metrics/v0/containers`, status: 502, code: 'ERR_GATEWAY_UPSTREAM_FAILED', says: 'did not answer /state' },
  ])('$name: $status with the reason', async ({ path, status, code, says }) => {
    const answer = await get(path);
    expect(answer.status).toBe(status);
    expect(answer.json).toMatchObject({ code, description: expect.stringContaining(says) });
  });

  it('asks the agent over node:http, never through the global fetch (it loads Node\'s undici into the worker)', async () => {
    const agentOrigin = `http://127.0.0.1:${(agent.address() as AddressInfo).port}`;
    let answers: number[] = [];
    const calls = await fetchCallsDuring(async () => {
      answers = [(await get(`${base}/containers/${CONTAINER}`)).status, (await get(`${base}/node`)).status];
    });
    expect(answers).toEqual([200, 200]);
    expect(calls.filter((url) => url.startsWith(agentOrigin))).toEqual([]);
  });

  it('a write: 405 naming GET', async () => {
    const answer = await get(`${base}/node`, 'POST');
    expect(answer.status).toBe(405);
    expect(answer.json.description).toContain('metrics are read with GET');
  });
});
