// The embedded master's v1 operator API over real HTTP: every call in JSON and in protobuf (decoded
// with protobufjs against the shipped .proto), SUBSCRIBE's event stream, GET /roles, and the bad
// inputs Mesos refuses. One cluster for the whole file.
import type { AddressInfo } from 'node:net';
import { createServer, request, type Server } from 'node:http';
import { connect } from 'node:net';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalAgent } from '../../../cluster/local/agent/agent.js';
import { OperatorApi } from '../../../cluster/local/api/operator-api.js';
import type { FrameworkScheduler } from '../../../cluster/local/master/master.js';
import { appDefinition } from '../../support/local-apps.js';
import { startTestCluster, type TestCluster } from '../../support/local-cluster.js';
import { call, Call, decode, encodeCall, MEDIA, Response, subscribe, type Wire } from '../../support/operator-api.js';
import { until } from '../../support/until.js';

let c: TestCluster;

beforeAll(async () => {
  c = await startTestCluster([appDefinition({ id: '/hello', instances: 2, cpus: 0.25, mem: 64 })], { resources: { cpus: 2, mem: 512, ports: '20600-20619' } });
  await until(() => c.get('/master/state'), (s: any) => s.frameworks[0]?.tasks.filter((t: any) => t.state === 'TASK_RUNNING').length === 2, 20_000);
}, 30_000);

afterAll(async () => {
  await c?.close();
});

/** A framework that takes nothing: it declines every offer at once. */
const idleFramework = (name: string): FrameworkScheduler => ({
  name,
  webuiUrl: null,
  resourceOffers: (offers) => offers.forEach((offer) => c.cluster.master.decline(offer.id)),
  statusUpdate: () => undefined,
});

describe('operator API calls, answered in JSON and in protobuf alike', () => {
  const wires: Wire[] = ['json', 'protobuf'];
  const cases: { call: string; check: (answer: any) => void }[] = [
    { call: 'GET_HEALTH', check: (a) => expect(a).toEqual({ type: 'GET_HEALTH', get_health: { healthy: true } }) },
    { call: 'GET_VERSION', check: (a) => expect(a.get_version.version_info.version).toMatch(/^1\.\d+\.\d+$/) },
    { call: 'GET_FLAGS', check: (a) => expect(a.get_flags.flags).toContainEqual({ name: 'cluster', value: 'gatehouse' }) },
    {
      call: 'GET_MASTER',
      check: (a) =>
        expect(a.get_master.master_info).toMatchObject({
          id: c.cluster.master.id,
          port: c.cluster.master.port,
          address: { ip: '127.0.0.1', port: c.cluster.master.port },
        }),
    },
    {
      call: 'GET_AGENTS',
      check: (a) => {
        const [agent] = a.get_agents.agents;
        expect(agent).toMatchObject({
          active: true,
          agent_info: { hostname: '127.0.0.1', id: { value: c.cluster.agents[0]!.id } },
          pid: expect.stringMatching(/@127\.0\.0\.1:\d+$/),
        });
        expect(agent.total_resources).toContainEqual(
          expect.objectContaining({ name: 'ports', type: 'RANGES', ranges: { range: [{ begin: 20600, end: 20619 }] } }),
        );
        expect(agent.allocated_resources).toContainEqual(expect.objectContaining({ name: 'cpus', scalar: { value: 0.5 } }));
      },
    },
    {
      call: 'GET_FRAMEWORKS',
      check: (a) =>
        expect(a.get_frameworks.frameworks[0]).toMatchObject({
          active: true,
          connected: true,
          framework_info: { name: 'marathon', id: { value: c.cluster.scheduler.frameworkId } },
        }),
    },
    { call: 'GET_EXECUTORS', check: (a) => expect(a.type).toBe('GET_EXECUTORS') },
    {
      call: 'GET_TASKS',
      check: (a) => {
        const running = a.get_tasks.tasks.filter((t: any) => t.state === 'TASK_RUNNING');
        expect(running).toHaveLength(2);
        // As /master/state: the master's own TASK_STAGING is not a status; the agent's carry the container id.
        expect(running[0].statuses.map((s: any) => s.state)).toEqual(['TASK_STARTING', 'TASK_RUNNING']);
        expect(running[0].statuses[1].container_status.network_infos[0].ip_addresses[0].ip_address).toBe('127.0.0.1');
        expect(running[0].statuses[0].container_status.container_id.value).toMatch(/^[0-9a-f-]{36}$/);
      },
    },
    {
      call: 'GET_ROLES',
      check: (a) => {
        const role = a.get_roles.roles.find((r: any) => r.name === '*');
        expect(role.frameworks).toContainEqual({ value: c.cluster.scheduler.frameworkId });
        expect(role.resources).toContainEqual(expect.objectContaining({ name: 'mem', scalar: { value: expect.any(Number) } }));
      },
    },
    { call: 'GET_STATE', check: (a) => expect(a.get_state.get_agents.agents).toHaveLength(1) },
  ];
  for (const wire of wires) {
    for (const { call: type, check } of cases) {
      it(`${type} (${wire})`, async () => check(await call(c.url, type, wire)));
    }
  }

  it('a JSON and a protobuf GET_STATE of the same cluster carry the same tasks', async () => {
    const [json, proto] = await Promise.all([call(c.url, 'GET_STATE', 'json'), call(c.url, 'GET_STATE', 'protobuf')]);
    const tasks = (answer: any) =>
      answer.get_state.get_tasks.tasks.map((t: any) => ({
        id: t.task_id.value,
        state: t.state,
        agent: t.agent_id.value,
        statuses: t.statuses.length,
        resources: t.resources,
      }));
    expect(tasks(proto)).toEqual(tasks(json));
    expect(tasks(json)).toHaveLength(2);
  });

  it('the protobuf answer keeps the fields Mesos requires even when false (Go clients refuse it otherwise)', async () => {
    const response = await fetch(`${c.url}/api/v1`, {
      method: 'POST',
      headers: { 'content-type': MEDIA.protobuf, accept: MEDIA.protobuf },
      body: encodeCall('GET_FRAMEWORKS', 'protobuf'),
    });
    const bytes = new Uint8Array(await response.arrayBuffer());
    // Framework.recovered (field 11, varint) = false is on the wire as 58 00.
    expect(Buffer.from(bytes).toString('hex')).toContain('5800');
    expect(decode(Response, bytes).get_frameworks.frameworks[0].recovered).toBe(false);
  });

  it('GET /roles answers Mesos\'s JSON with what each role holds, for `dcos quota list`', async () => {
    const roles = (await c.get('/roles')).roles;
    const star = roles.find((r: any) => r.name === '*');
    expect(star).toMatchObject({
      weight: 1,
      quota: { role: '*', limit: {}, guarantee: {}, consumed: { cpus: 0.5, mem: 128 } },
      allocated: { cpus: 0.5, mem: 128 },
      frameworks: [c.cluster.scheduler.frameworkId],
    });
    expect(await c.get('/master/roles')).toEqual({ roles: expect.any(Array) });
  });
});

/** One raw exchange: status, content type and body text. */
async function post(
  path: string,
  headers: Record<string, string>,
  body: Buffer | string,
  method = 'POST',
): Promise<{ status: number; type: string | null; text: string }> {
  const response = await fetch(`${c.url}${path}`, { method, headers, ...(method === 'GET' ? {} : { body }) });
  return { status: response.status, type: response.headers.get('content-type'), text: await response.text() };
}

describe('operator API: bad input gets a clear 4xx', () => {
  const json = { 'content-type': MEDIA.json };
  const proto = { 'content-type': MEDIA.protobuf, accept: MEDIA.protobuf };
  const cases: { name: string; method?: string; headers: Record<string, string>; body: Buffer | string; status: number; reason: RegExp }[] =
    [
      {
        name: 'GET instead of POST',
        method: 'GET',
        headers: json,
        body: '',
        status: 405,
        reason: /Expecting a 'POST' request, received 'GET'/,
      },
      {
        name: 'no Content-Type',
        headers: {},
        body: Buffer.from('{"type":"GET_HEALTH"}'),
        status: 400,
        reason: /Expecting 'Content-Type' to be present/,
      },
      {
        name: 'a Content-Type Mesos does not speak',
        headers: { 'content-type': 'text/plain' },
        body: '{"type":"GET_HEALTH"}',
        status: 415,
        reason: /received 'text\/plain'/,
      },
      {
        name: 'an Accept that allows neither answer type',
        headers: { ...json, accept: 'text/html' },
        body: '{"type":"GET_HEALTH"}',
        status: 406,
        reason: /Accept/,
      },
      {
        name: 'malformed protobuf',
        headers: proto,
        body: Buffer.from([0x08, 0x96]),
        status: 400,
        reason: /Failed to parse body into Call protobuf/,
      },
      {
        name: 'protobuf with a wire type that cannot be',
        headers: proto,
        body: Buffer.from([0x0f, 0x01]),
        status: 400,
        reason: /Failed to parse body into Call protobuf/,
      },
      { name: 'malformed JSON', headers: json, body: '{"type": ', status: 400, reason: /Failed to parse body into JSON/ },
      { name: 'JSON that is not an object', headers: json, body: '["GET_HEALTH"]', status: 400, reason: /not a JSON object/ },
      {
        name: 'an unknown call type (JSON)',
        headers: json,
        body: '{"type":"GET_EVERYTHING"}',
        status: 400,
        reason: /"GET_EVERYTHING" is not a value of mesos\.v1\.master\.Call\.Type/,
      },
      // proto2: a number the enum does not have is kept as an unknown field, so the call has no type.
      {
        name: 'an unknown call type (protobuf enum number)',
        headers: proto,
        body: Buffer.from([0x08, 0x63]),
        status: 400,
        reason: /Expecting 'type' to be present/,
      },
      { name: 'a call without a type', headers: json, body: '{}', status: 400, reason: /Expecting 'type' to be present/ },
      {
        name: 'a known call the embedded master does not do',
        headers: json,
        body: '{"type":"RESERVE_RESOURCES"}',
        status: 501,
        reason: /RESERVE_RESOURCES is not implemented/,
      },
    ];
  for (const t of cases) {
    it(t.name, async () => {
      const answer = await post('/api/v1', t.headers, t.body, t.method);
      expect(answer.status).toBe(t.status);
      expect(answer.type).toMatch(/^text\/plain/);
      expect(answer.text).toMatch(t.reason);
    });
  }

  it('a body over the limit is refused with 413, announced or streamed', async () => {
    const announced = await post('/api/v1', json, Buffer.alloc(2 * 1024 * 1024, 0x20));
    expect(announced.status).toBe(413);
    // Chunked, without a length: counted as it arrives.
    const streamed = await new Promise<number>((resolve, reject) => {
      const req = request(`${c.url}/api/v1`, { method: 'POST', headers: json }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      for (let i = 0; i < 40; i++) req.write(Buffer.alloc(64 * 1024, 0x20));
      req.end();
    });
    expect(streamed).toBe(413);
    expect((await call(c.url, 'GET_HEALTH', 'json')).get_health.healthy).toBe(true);
  });
});

describe('SUBSCRIBE', () => {
  for (const wire of ['json', 'protobuf'] as const) {
    it(`streams SUBSCRIBED with the whole state, HEARTBEAT, then the master's changes as they happen (${wire})`, async () => {
      const stream = await subscribe(c.url, wire);
      try {
        const subscribed = await stream.next();
        expect(subscribed.type).toBe('SUBSCRIBED');
        expect(subscribed.subscribed.heartbeat_interval_seconds).toBe(15);
        expect(subscribed.subscribed.get_state.get_tasks.tasks.filter((t: any) => t.state === 'TASK_RUNNING')).toHaveLength(2);
        expect((await stream.next()).type).toBe('HEARTBEAT');

        // A framework arrives, re-registers and leaves; an agent arrives and leaves.
        const master = c.cluster.master;
        const frameworkId = master.registerFramework(idleFramework(`idle-${wire}`));
        expect((await stream.next((e) => e.type === 'FRAMEWORK_ADDED')).framework_added.framework.framework_info).toMatchObject({
          name: `idle-${wire}`,
          id: { value: frameworkId },
        });
        master.registerFramework(idleFramework(`idle-${wire}`), { id: frameworkId });
        expect((await stream.next((e) => e.type === 'FRAMEWORK_UPDATED')).framework_updated.framework.framework_info.id.value).toBe(frameworkId);
        master.removeFramework(frameworkId);
        expect((await stream.next((e) => e.type === 'FRAMEWORK_REMOVED')).framework_removed.framework_info.id.value).toBe(frameworkId);
        const agent = new LocalAgent({
          id: master.nextAgentId(),
          hostname: '127.0.0.1',
          ip: '127.0.0.1',
          resources: { cpus: 0, mem: 0, disk: 0, ports: [] },
          workDir: c.cluster.agents[0]!.workDir.replace(/\/slaves\/.*$/, ''),
          isolation: c.cluster.isolation!,
          logger: pino({ level: 'silent' }),
          onStatus: (u) => master.statusUpdate(u),
        });
        master.registerAgent(agent);
        expect((await stream.next((e) => e.type === 'AGENT_ADDED')).agent_added.agent.agent_info.id.value).toBe(agent.id);
        master.removeAgent(agent.id);
        expect((await stream.next((e) => e.type === 'AGENT_REMOVED')).agent_removed.agent_id.value).toBe(agent.id);

        // A task is killed: the scheduler replaces it, and both show.
        const victim = subscribed.subscribed.get_state.get_tasks.tasks.find((t: any) => t.state === 'TASK_RUNNING').task_id.value;
        master.killTask(victim);
        const killed = await stream.next(
          (e) => e.type === 'TASK_UPDATED' && e.task_updated.status.task_id.value === victim && e.task_updated.state === 'TASK_KILLED',
        );
        expect(killed.task_updated.framework_id.value).toBe(c.cluster.scheduler.frameworkId);
        const added = await stream.next((e) => e.type === 'TASK_ADDED');
        expect(added.task_added.task).toMatchObject({ state: 'TASK_STAGING', name: 'hello' });
        const runningNow = await stream.next(
          (e) =>
            e.type === 'TASK_UPDATED' &&
            e.task_updated.status.task_id.value === added.task_added.task.task_id.value &&
            e.task_updated.state === 'TASK_RUNNING',
        );
        expect(runningNow.task_updated.status.container_status.network_infos[0].ip_addresses[0].ip_address).toBe('127.0.0.1');
      } finally {
        stream.close();
      }
      await until(async () => c.cluster.master.listenerCount('event'), (n) => n === 0);
    }, 30_000);
  }

  it('a subscriber that never reads is dropped once its unread events pass the limit; memory stays bounded', async () => {
    const lines: string[] = [];
    const limit = 256 * 1024;
    const api = new OperatorApi({
      master: c.cluster.master,
      clusterName: 'gatehouse',
      workDir: 'work',
      maxQueuedBytes: limit,
      logger: pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) }),
    });
    const server: Server = createServer((req, res) => api.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    // A raw client: it sends SUBSCRIBE and never reads a byte of the answer.
    const body = encodeCall('SUBSCRIBE', 'json');
    const socket = connect(port, '127.0.0.1');
    socket.pause();
    socket.write(`POST /api/v1 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`);
    socket.write(body);
    socket.on('error', () => undefined);
    try {
      await until(async () => api.events.stats().subscribers, (n) => n === 1);
      const master = c.cluster.master;
      // Frameworks come and go with long names: each pair of events is about 9 KB. 4 MB of socket
      // buffers fill first, then the master's own buffer grows until the limit drops the client.
      const name = 'x'.repeat(4000);
      let rounds = 0;
      while (!lines.some((l) => l.includes('dropping a SUBSCRIBE client')) && rounds < 5000) {
        master.removeFramework(master.registerFramework(idleFramework(name)));
        rounds++;
        if (rounds % 100 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
      expect(lines.join('')).toContain('dropping a SUBSCRIBE client that does not read its events');
      // Never more than the limit plus the record that crossed it was held for the client.
      const stats = api.events.stats();
      expect(stats).toMatchObject({ subscribers: 0, dropped: 1 });
      expect(stats.peakQueuedBytes).toBeGreaterThan(limit);
      expect(stats.peakQueuedBytes).toBeLessThan(limit + 16 * 1024);
    } finally {
      socket.destroy();
      api.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  }, 30_000);
});

describe('the .proto subset', () => {
  it('encodes calls as Mesos does (GET_AGENTS is 08 0a, GET_FRAMEWORKS 08 0b)', () => {
    expect(Buffer.from(Call.encode(Call.fromObject({ type: 'GET_AGENTS' })).finish()).toString('hex')).toBe('080a');
    expect(Buffer.from(Call.encode(Call.fromObject({ type: 'GET_FRAMEWORKS' })).finish()).toString('hex')).toBe('080b');
  });
});
