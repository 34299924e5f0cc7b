// `dcos node list`, `dcos task` and `dcos quota list` (the DC/OS CLI's core plugin) against the real
// `gatehouse run` binary with its embedded cluster, through the gateway. The CLI cannot be installed
// here, so its requests are replayed one by one with the headers and content types it sends, and
// each answer is read the way it reads it: protobuf answers decoded against the .proto files (a
// missing required field fails the decode, as it fails the Go client's). Each step names the
// dcos/dcos-core-cli file it comes from (read, not copied):
//
//   pkg/mesos/client.go        NewClientWithContext: base URL <cluster>/mesos. Agents(), Frameworks(),
//                              Tasks(): POST /api/v1 with a protobuf master.Call, Content-Type and
//                              Accept application/x-protobuf, the body read whole and proto.Unmarshal'ed
//                              into master.Response; 503 means "could not connect to the leading mesos
//                              master". State(): GET /master/state; StateSummary(): GET /master/state-summary;
//                              Masters(): GET /mesos_dns/v1/hosts/master.mesos (cluster URL).
//   pkg/cmd/node/node_list.go  `dcos node list`: State, StateSummary, /net/v1/nodes (its failure is
//                              ignored), Agents and Masters; agents matched to state slaves by
//                              agent_info.id.value, status from drain_info/deactivated/active.
//   pkg/cmd/task/task.go       `dcos task` runs `dcos task list`.
//   pkg/cmd/task/task_list.go  Tasks, then (table) Agents and Frameworks: host from agent_info.hostname,
//                              user from framework_info.user, matched by ids.
//   pkg/cmd/quota/quota_list.go  `dcos quota list`: GET /mesos/roles (and Marathon's groups), keeping
//                              roles whose quota.role is a group; limit/consumed read as numbers.
// The CLI's HTTP client (dcos-cli pkg/httpclient) adds `Authorization: token=<jwt>`; Go's transport adds
// `Accept-Encoding: gzip` and `User-Agent: Go-http-client/1.1`.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatehouseProcess, type GatehouseProcess } from '../support/gatehouse-process.js';
import { quickPasswordHash, writeSigningKey } from '../support/premade-authn.js';
import { Call, Event, Response, decode } from '../support/operator-api.js';
import { RecordIoReader } from '../../cluster/recordio.js';
import { until } from '../support/until.js';
import { writeEmbeddedConfig } from '../support/embedded-config.js';

let dir: string;
let gatehouse: GatehouseProcess;
let gateway: string;
let token: string;
const PASSWORD = 'operator api password';

const APP = `
id: /hello
instances: 2
cpus: 0.1
mem: 32
portDefinitions: [{ port: 0, name: http }]
cmd: exec node -e "require('http').createServer((q, s) => s.end('hi')).listen(+process.env.PORT0, process.env.HOST)"
`;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-operator-e2e-'));
  await mkdir(join(dir, 'apps.d'));
  await writeFile(join(dir, 'apps.d', 'hello.yaml'), APP);
  const config = await writeEmbeddedConfig(dir, { ports: '20680-20699', dnsHttp: true });
  await writeFile(join(dir, 'users.yaml'), `users:\n  - { uid: operator, password: ${JSON.stringify(quickPasswordHash(PASSWORD))} }\n`, { mode: 0o600 });
  await writeSigningKey(join(dir, 'key.pem'));
  gatehouse = startGatehouseProcess(['run', '--config', config]);
  const running = await gatehouse.waitForLog((l) => l.msg === 'gatehouse is running', 30_000);
  gateway = `http://127.0.0.1:${running['gatewayPort']}`;
  // `dcos auth login` (pkg/login/login.go in dcos-cli): POST the credentials, keep the token.
  const login = await fetch(`${gateway}/acs/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ uid: 'operator', password: PASSWORD }),
  });
  token = ((await login.json()) as { token: string }).token;
  await until(
    () => getJson('/mesos/master/state').catch(() => null),
    (s: any) => s?.frameworks?.[0]?.tasks?.filter((t: any) => t.state === 'TASK_RUNNING').length === 2,
    30_000,
  );
}, 60_000);

afterAll(async () => {
  await gatehouse?.stop();
  await rm(dir, { recursive: true, force: true });
});

const goHeaders = (): Record<string, string> => ({ authorization: `token=${token}`, 'user-agent': 'Go-http-client/1.1', 'accept-encoding': 'gzip' });

async function getJson(path: string): Promise<any> {
  const response = await fetch(`${gateway}${path}`, { headers: goHeaders() });
  if (response.status !== 200) throw new Error(`GET ${path}: HTTP ${response.status}`);
  return response.json();
}

/** pkg/mesos/client.go: proto.Marshal(master.Call{Type}), Post("/api/v1", "application/x-protobuf", ..., Header("Accept", "application/x-protobuf")). */
async function operatorCall(type: string): Promise<{ status: number; contentType: string | null; response: any }> {
  const body = Buffer.from(Call.encode(Call.fromObject({ type })).finish());
  const answer = await fetch(`${gateway}/mesos/api/v1`, {
    method: 'POST',
    headers: {
      ...goHeaders(),
      'content-type': 'application/x-protobuf',
      accept: 'application/x-protobuf',
      'content-length': String(body.length),
    },
    body,
  });
  const bytes = new Uint8Array(await answer.arrayBuffer());
  // The CLI reads the whole body and unmarshals it without looking at the Content-Type.
  return {
    status: answer.status,
    contentType: answer.headers.get('content-type'),
    response: answer.status === 200 ? decode(Response, bytes) : Buffer.from(bytes).toString(),
  };
}

describe('the DC/OS CLI\'s operator API requests through the gateway', () => {
  it('dcos node list: state, state-summary, GET_AGENTS (protobuf) and Mesos-DNS masters line up', async () => {
    // node_list.go runs these at once.
    const [state, summary, agents, masters] = await Promise.all([
      getJson('/mesos/master/state'),
      getJson('/mesos/master/state-summary'),
      operatorCall('GET_AGENTS'),
      getJson('/mesos_dns/v1/hosts/master.mesos'),
    ]);
    expect(agents).toMatchObject({ status: 200, contentType: 'application/x-protobuf' });
    expect(agents.response.type).toBe('GET_AGENTS');
    for (const slave of state.slaves) {
      const agent = agents.response.get_agents.agents.find((a: any) => a.agent_info.id.value === slave.id);
      expect(agent).toMatchObject({ active: true, agent_info: { hostname: slave.hostname } });
      // The status the CLI prints: drain_info absent (UNKNOWN), not deactivated, active -> ACTIVE.
      const status = agent.drain_info?.state ?? 'UNKNOWN';
      expect(status === 'UNKNOWN' && !agent.deactivated && agent.active ? 'ACTIVE' : status).toBe('ACTIVE');
      expect(summary.slaves.map((s: any) => s.id)).toContain(slave.id);
      // node_list.go splits the pid on "@" and ":" for the IP.
      expect(slave.pid.split('@')[1].split(':')[0]).toBe('127.0.0.1');
    }
    expect(masters.map((m: any) => m.ip)).toContain(state.hostname);
  });

  it('dcos task: GET_TASKS, then GET_AGENTS and GET_FRAMEWORKS (protobuf), joined by id into the table', async () => {
    const tasks = await operatorCall('GET_TASKS');
    const agents = await operatorCall('GET_AGENTS');
    const frameworks = await operatorCall('GET_FRAMEWORKS');
    for (const answer of [tasks, agents, frameworks]) expect(answer).toMatchObject({ status: 200, contentType: 'application/x-protobuf' });
    // client.go Tasks(): tasks + completed + unreachable + orphan.
    const all = ['tasks', 'completed_tasks', 'unreachable_tasks', 'orphan_tasks'].flatMap((k) => tasks.response.get_tasks[k] ?? []);
    const rows = all.filter((t: any) => t.state === 'TASK_RUNNING').map((t: any) => ({
      name: t.name,
      host: agents.response.get_agents.agents.find((a: any) => a.agent_info.id.value === t.agent_id.value)?.agent_info.hostname,
      user: frameworks.response.get_frameworks.frameworks.find((f: any) => f.framework_info.id.value === t.framework_id.value)?.framework_info.user,
      state: t.state.replace(/^TASK_/, ''),
    }));
    expect(rows).toHaveLength(2);
    for (const row of rows) expect(row).toEqual({ name: 'hello', host: '127.0.0.1', user: expect.any(String), state: 'RUNNING' });
    expect(rows[0]!.user).not.toBe('');
  });

  it('dcos quota list: GET /mesos/roles answers roles with numbers the CLI can read', async () => {
    const { roles } = await getJson('/mesos/roles');
    const star = roles.find((r: any) => r.name === '*');
    expect(star.quota.role).toBe('*');
    expect(typeof star.quota.consumed.cpus).toBe('number');
    expect(star.quota.consumed.cpus).toBeCloseTo(0.2);
    expect(star.quota.limit).toEqual({});
  });

  it('a bad call through the gateway gets Mesos\'s 400 with the reason', async () => {
    const answer = await fetch(`${gateway}/mesos/api/v1`, {
      method: 'POST',
      headers: { ...goHeaders(), 'content-type': 'application/x-protobuf', accept: 'application/x-protobuf' },
      body: Buffer.from([0x08, 0x96]),
    });
    expect(answer.status).toBe(400);
    expect(await answer.text()).toMatch(/Failed to parse body into Call protobuf/);
  });

  it('SUBSCRIBE streams through the gateway: SUBSCRIBED then HEARTBEAT arrive at once, unbuffered', async () => {
    const abort = new AbortController();
    const body = Buffer.from(Call.encode(Call.fromObject({ type: 'SUBSCRIBE' })).finish());
    const answer = await fetch(`${gateway}/mesos/api/v1`, {
      method: 'POST',
      headers: { ...goHeaders(), 'content-type': 'application/x-protobuf', accept: 'application/x-protobuf' },
      body,
      signal: abort.signal,
    });
    expect(answer.status).toBe(200);
    const reader = new RecordIoReader(16 * 1024 * 1024);
    const events: any[] = [];
    try {
      for await (const chunk of answer.body as AsyncIterable<Uint8Array>) {
        for (const record of reader.push(chunk)) events.push(decode(Event, record));
        if (events.length >= 2) break;
      }
    } finally {
      abort.abort();
    }
    expect(events.map((e) => e.type)).toEqual(['SUBSCRIBED', 'HEARTBEAT']);
    expect(events[0].subscribed.get_state.get_tasks.tasks.filter((t: any) => t.state === 'TASK_RUNNING')).toHaveLength(2);
  });
});
