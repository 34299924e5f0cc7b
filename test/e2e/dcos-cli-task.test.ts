// `dcos task ls`, `dcos task download`, `dcos task log [--follow]` and `dcos node log --leader`
// against the real `gatehouse run` binary. The `dcos` CLI cannot be installed here (neither npm nor
// Debian has it), so this replays, request by request, what its core plugin (dcos/dcos-core-cli)
// sends, with the headers it sets, and reads each answer the way it does. The source of each step
// (read, not copied):
//
//   pkg/cmd/task/task.go      findTasks: mesos.NewClientWithContext (cluster URL + /mesos), State() =
//                             GET /mesos/master/state; a task matches when its id contains the argument.
//   pkg/mesos/client.go       Debug: GET /agent/<agent>/files/debug -> map[string]string; Browse: GET
//                             /agent/<agent>/files/browse?path=<path> (the path is not encoded); the
//                             file download: GET /agent/<agent>/files/download?path=<file.Path>.
//   pkg/cmd/task/task_ls.go   containerID = Statuses[0].ContainerStatus.ContainerID (its Parent, if
//                             set); executor id = ExecutorID or the task id; the sandbox is the
//                             files/debug value whose key ends in /frameworks/F/executors/E/runs/C;
//                             Browse(value + "/" + path) with path "." by default; prints base names.
//   pkg/cmd/task/task_download.go  getPath: the files/debug value whose key contains that suffix;
//                             download: Browse(parent), then each file's Download(file.Path).
//   pkg/cmd/task/task_log.go  `--lines` 10 by default: Skip = -lines; file "stdout".
//   pkg/logs/client.go        PrintTask: GET /system/v1/logs/v2/task/<id>/file/<file>?cursor=END&skip=<n>
//                             with Accept: text/plain, prints the body; with --follow an SSE client
//                             (r3labs/sse: Accept text/event-stream, Cache-Control no-cache) whose
//                             event data is unmarshalled as an Entry. PrintComponent: GET
//                             /system/v1<route>/logs/v2/component<service>?skip=<n> with Accept:
//                             application/json, one Entry per line.
//   pkg/logs/types.go         Entry {fields{MESSAGE, PRIORITY, SYSLOG_IDENTIFIER, _PID, …}, cursor,
//                             monotonic_timestamp, realtime_timestamp}.
//   pkg/cmd/node/node_log.go  --leader: route /leader/mesos; --component C: service /C.service.
//   pkg/networking/client.go + types.go  Nodes: GET /net/v1/nodes -> [{updated, public_ips, private_ip, hostname}].
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatehouseProcess, type GatehouseProcess } from '../support/gatehouse-process.js';
import { RawClient } from '../support/raw-http.js';
import { until } from '../support/until.js';
import { premadeAuthn } from '../support/premade-authn.js';
import { tokenFor } from '../support/token.js';
import { writeEmbeddedConfig } from '../support/embedded-config.js';

type Json = any;
let dir: string;
let gatehouse: GatehouseProcess;
let port: number;
let token: string;

const APP = `
id: /hello
instances: 1
cpus: 0.1
mem: 64
portDefinitions: [{ port: 0, name: http }]
labels: { DCOS_SERVICE_NAME: hello }
cmd: >-
  exec node -e "require('http').createServer((q, s) => { console.log('request ' + q.url); s.end('hello'); }).listen(+process.env.PORT0, process.env.HOST, () => console.log('listening on ' + process.env.PORT0))"
`;

/** A request as the CLI's Go httpclient sends it: its User-Agent, gzip, `Authorization: token=…`. */
async function cli(path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; body: string }> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, {
    headers: { 'user-agent': 'dcos-cli/1.2', authorization: `token=${token}`, 'accept-encoding': 'gzip', ...headers },
  });
  return { status: response.status, headers: response.headers, body: await response.text() };
}

/** task.go findTasks: the master state through /mesos, tasks whose id contains the argument. */
async function findTasks(id: string): Promise<Json[]> {
  const state = await cli('/mesos/master/state');
  expect(state.status).toBe(200);
  return (JSON.parse(state.body) as Json).frameworks.flatMap((f: Json) => f.tasks).filter((t: Json) => t.id.includes(id));
}

/** task_ls.go / task_download.go: the sandbox path from files/debug, as the CLI finds it. */
async function sandboxOf(task: Json): Promise<string> {
  const containerId = task.statuses[0].container_status.container_id;
  const container = containerId.parent?.value ?? containerId.value;
  const executor = task.executor_id || task.id;
  const debug = await cli(`/agent/${task.slave_id}/files/debug`);
  expect(debug.status).toBe(200);
  const suffix = `/frameworks/${task.framework_id}/executors/${executor}/runs/${container}`;
  const matches = Object.entries(JSON.parse(debug.body) as Record<string, string>).filter(([key]) => key.endsWith(suffix));
  expect(matches).toHaveLength(1);
  return matches[0]![1];
}

let task: Json;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-task-e2e-'));
  await mkdir(join(dir, 'apps.d'));
  await writeFile(join(dir, 'apps.d', 'hello.yaml'), APP);
  // Two workers: the component log is then the primary's, asked for over IPC.
  const config = await writeEmbeddedConfig(dir, { ports: '20560-20579', workers: 2 });
  await premadeAuthn(join(dir, 'key.pem'), join(dir, 'users.yaml'));
  gatehouse = startGatehouseProcess(['run', '--config', config]);
  const running = await gatehouse.waitForLog((l) => l.msg === 'gatehouse is running', 60_000);
  port = Number(running['gatewayPort']);
  token = await tokenFor(config, 'operator');
  [task] = await until(() => findTasks('hello').catch(() => []), (t) => t[0]?.state === 'TASK_RUNNING', 20_000);
  // RUNNING is the process started; its first line says it listens.
  await until(
    () => cli(`/system/v1/logs/v2/task/${task.id}/file/stdout?cursor=END&skip=-10`, { accept: 'text/plain' }).then((r) => r.body),
    (b) => b.includes('listening on'),
    10_000,
  );
}, 120_000);

afterAll(async () => {
  await gatehouse?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
}, 30_000);

describe('dcos task ls / task download', () => {
  it('task ls: statuses carry the container id, files/debug maps it, browse lists the sandbox', async () => {
    expect(task.statuses[0].container_status.container_id.value).toMatch(/^[0-9a-f-]{36}$/);
    const sandbox = await sandboxOf(task);
    const ls = await cli(`/agent/${task.slave_id}/files/browse?path=${sandbox}/.`);
    expect(ls.status).toBe(200);
    const names = (JSON.parse(ls.body) as Json[]).map((entry) => entry.path.split('/').at(-1)).sort();
    expect(names).toEqual(['stderr', 'stdout']);
    // `--long` prints MODE, LINKS, UID, GID, SIZE, DATE from the same entries.
    for (const entry of JSON.parse(ls.body) as Json[]) expect(Object.keys(entry).sort()).toEqual(['gid', 'mode', 'mtime', 'nlink', 'path', 'size', 'uid']);
  });

  it('task download: browse the sandbox, then download each file', async () => {
    const sandbox = await sandboxOf(task);
    const files = JSON.parse((await cli(`/agent/${task.slave_id}/files/browse?path=${sandbox}`)).body) as Json[];
    const stdout = files.find((f) => f.path.endsWith('/stdout'))!;
    expect(stdout.mode.startsWith('d')).toBe(false);
    const download = await cli(`/agent/${task.slave_id}/files/download?path=${stdout.path}`);
    expect(download.status).toBe(200);
    expect(download.body).toContain('listening on');
  });

  it('/slave/<id>/ serves the agent as /agent/<id>/ does', async () => {
    const viaAgent = JSON.parse((await cli(`/agent/${task.slave_id}/files/debug`)).body);
    const viaSlave = await cli(`/slave/${task.slave_id}/files/debug`);
    expect(viaSlave.status).toBe(200);
    expect(JSON.parse(viaSlave.body)).toEqual(viaAgent);
    expect(JSON.parse((await cli(`/slave/${task.slave_id}/state`)).body).id).toBe(task.slave_id);
  });
});

describe('dcos task log', () => {
  it('prints the task\'s last lines, with its `listening on` line', async () => {
    const log = await cli(`/system/v1/logs/v2/task/${task.id}/file/stdout?cursor=END&skip=-10`, { accept: 'text/plain' });
    expect(log.status).toBe(200);
    expect(log.body).toMatch(/^listening on \d+$/m);
  });

  it('--follow: a line the task writes afterwards arrives as an Entry', async () => {
    const entries: Json[] = [];
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: `/system/v1/logs/v2/task/${task.id}/file/stdout?cursor=END&skip=-10`,
        headers: { accept: 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', authorization: `token=${token}` },
      },
      (res) => {
        expect(res.statusCode).toBe(200);
        expect(res.headers['content-type']).toBe('text/event-stream');
        let buffer = '';
        res.setEncoding('utf8').on('data', (chunk: string) => {
          buffer += chunk;
          for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
            const data = /^data: (.*)$/m.exec(buffer.slice(0, end))?.[1];
            buffer = buffer.slice(end + 2);
            if (data) entries.push(JSON.parse(data));
          }
        });
      },
    );
    req.on('error', () => undefined);
    req.end();
    try {
      await until(async () => entries.length, (n) => n > 0, 5000);
      const marker = `/marker-${Date.now()}`;
      // The task prints each request it serves: this is a line written after the follow began.
      expect((await cli(`/service/hello${marker}`)).status).toBe(200);
      await until(async () => entries.map((e) => e.fields.MESSAGE), (m) => m.includes(`request ${marker}`), 5000);
      expect(entries.map((e) => e.fields.MESSAGE)).toContain(`request ${marker}`);
      expect(entries[0].fields).toMatchObject({ FILE: 'stdout', EXECUTOR_ID: task.id, AGENT_ID: task.slave_id });
    } finally {
      req.destroy();
    }
  });

  it('an unknown task: 404 with the reason', async () => {
    const log = await cli('/system/v1/logs/v2/task/no-such-task/file/stdout?cursor=END&skip=-10', { accept: 'text/plain' });
    expect(log.status).toBe(404);
    expect(JSON.parse(log.body)).toMatchObject({ code: 'ERR_GATEWAY_LOG_NOT_FOUND', description: expect.stringContaining('task no-such-task not found') });
  });

  it('needs a token like every other route', async () => {
    const response = await fetch(`http://127.0.0.1:${port}/system/v1/logs/v2/task/${task.id}/file/stdout`);
    expect(response.status).toBe(401);
  });
});

describe('dcos node log --leader', () => {
  it('prints Gatehouse\'s recent lines as journald entries, each one of its real log lines', async () => {
    const log = await cli('/system/v1/leader/mesos/logs/v2/component?skip=-10', { accept: 'application/json' });
    expect(log.status).toBe(200);
    const entries = log.body.trim().split('\n').map((line) => JSON.parse(line) as Json);
    expect(entries).toHaveLength(10);
    const logged = new Set(gatehouse.logs.map((l) => l.msg));
    for (const entry of entries) {
      expect(entry.fields).toMatchObject({ SYSLOG_IDENTIFIER: 'gatehouse', _SYSTEMD_UNIT: 'gatehouse.service' });
      expect(typeof entry.realtime_timestamp).toBe('number');
      // MESSAGE is the line's msg, then its other fields.
      expect([...logged].some((msg) => entry.fields.MESSAGE === msg || entry.fields.MESSAGE.startsWith(`${msg} {`))).toBe(true);
    }
  });

  it('--component: the embedded scheduler\'s unit has its lines', async () => {
    const log = await cli('/system/v1/leader/mesos/logs/v2/component/dcos-marathon.service?skip=-100', { accept: 'application/json' });
    expect(log.status).toBe(200);
    const units = new Set(log.body.trim().split('\n').map((line) => (JSON.parse(line) as Json).fields.UNIT));
    expect([...units]).toEqual(['dcos-marathon.service']);
  });
});

describe('/net/v1/nodes (dcos node list)', () => {
  it('dcos-net\'s node list: each node\'s private IP, public IPs, hostname and last update', async () => {
    const nodes = await cli('/net/v1/nodes');
    expect(nodes.status).toBe(200);
    const list = JSON.parse(nodes.body) as Json[];
    expect(list).toEqual([
      {
        private_ip: '127.0.0.1',
        public_ips: [],
        hostname: '127.0.0.1',
        updated: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      },
    ]);
  });
});

describe('sandbox escapes through the gateway (raw requests)', () => {
  const escapes: { name: string; target: (agent: string, sandbox: string) => string; status: number }[] = [
    { name: 'a relative ../../etc/passwd', target: (a) => `/agent/${a}/files/read?path=../../etc/passwd&offset=0`, status: 400 },
    {
      name: 'dot-dot after the sandbox, via /slave/',
      target: (a, s) => `/slave/${a}/files/read?path=${s}/../../../../../../etc/passwd&offset=0`,
      status: 403,
    },
    {
      name: 'an encoded dot-dot in the query',
      target: (a, s) => `/agent/${a}/files/download?path=${s}/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd`,
      status: 403,
    },
    { name: 'a symlink out of the sandbox', target: (a, s) => `/slave/${a}/files/download?path=${s}/escape`, status: 403 },
    { name: 'an absolute path outside the sandboxes', target: (a) => `/agent/${a}/files/browse?path=/etc`, status: 404 },
    {
      name: 'dot-dot in the URL path climbs out of the agent route, not the host',
      target: (a) => `/agent/${a}/%2e%2e/%2e%2e/etc/passwd`,
      status: 404,
    },
    { name: 'an encoded slash in the URL path', target: (a) => `/slave/${a}/files%2fread?path=/etc/passwd`, status: 400 },
  ];
  for (const c of escapes) {
    it(`${c.name}: ${c.status}, never the file`, async () => {
      const sandbox = await sandboxOf(task);
      await symlink('/etc', join(sandbox, 'escape')).catch(() => undefined);
      const client = await RawClient.open(port);
      try {
        client.write(`GET ${c.target(task.slave_id, sandbox)} HTTP/1.1\r\nHost: gatehouse\r\nAuthorization: token=${token}\r\nConnection: close\r\n\r\n`);
        const [answer] = await client.responsesUntil(1);
        expect(answer!.status).toBe(c.status);
        expect(answer!.body.toString('utf8')).not.toMatch(/root:x:0:0/);
      } finally {
        client.destroy();
      }
    });
  }
});
