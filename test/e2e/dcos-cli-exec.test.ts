// `dcos task exec [-i] [-t] TASK CMD ARGS...` against the real `gatehouse run` binary, through the
// gateway. The CLI cannot be installed here, so its requests are replayed from its public source
// (dcos/dcos-core-cli, read not copied), byte for byte in shape (test/support/exec-client.ts):
//
//   pkg/cmd/task/task.go      findTask: GET /mesos/master/state, the task whose id contains the
//                             argument; mesosHTTPClient: the endpoint <cluster>/slave/<agent id>/api/v1
//                             (Admin Router's /slave/ route), the CLI's token on every request.
//   pkg/cmd/task/task_exec.go the container = task.Statuses[0].ContainerStatus.ContainerID; exits with
//                             taskIO.Exec's code.
//   pkg/mesos/taskio.go       LAUNCH_NESTED_CONTAINER_SESSION (a new UUID under the task's container,
//                             shell false, arguments [cmd, args...], TERM=xterm and tty_info with -t);
//                             with -i, once the output's head is in, ATTACH_CONTAINER_INPUT (container
//                             id, then stdin, TTY_INFO 0x0 then the real size, an empty DATA at EOF);
//                             when both end, WAIT_CONTAINER: exit code = exit_status >> 8.
//   mesos-go httpcli/http.go + httpagent/util.go  the headers of each call and the answers it accepts.
import { randomUUID } from 'node:crypto';
import { readdir, readFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatehouseProcess, type GatehouseProcess } from '../support/gatehouse-process.js';
import { tokenFor } from '../support/token.js';
import { writeSigningKey } from '../support/premade-authn.js';
import { until } from '../support/until.js';
import {
  attachInput,
  frame,
  inputRecords,
  launchCall,
  launchSession,
  waitContainer,
  type ContainerId,
} from '../support/exec-client.js';

type Json = any;
let dir: string;
let gatehouse: GatehouseProcess;
let base: string;
const tokens: Record<'admin' | 'deployer' | 'operator', string> = { admin: '', deployer: '', operator: '' };
let task: Json;
let api: string;

const APP = `
id: /shell
cmd: exec sleep 600
env: { GREETING: hello from the task }
portDefinitions: [{ port: 0 }]
`;

const auth = (who: keyof typeof tokens): Record<string, string> => ({ authorization: `token=${tokens[who]}`, 'user-agent': 'dcos-cli/1.2' });

/** task_exec.go + taskio.go: the whole of `dcos task exec`, returning what it prints and its exit code. */
async function exec(
  who: keyof typeof tokens,
  args: readonly string[],
  options: { stdin?: readonly string[]; tty?: { rows: number; columns: number } } = {},
): Promise<{ status: number; stdout: string; stderr: string; exitCode: number | null; text: string }> {
  const id: ContainerId = { value: randomUUID(), parent: { value: task.statuses[0].container_status.container_id.value } };
  const session = await launchSession(api, auth(who), launchCall({ id, command: args[0]!, args: args.slice(1), tty: Boolean(options.tty) }));
  if (session.status !== 200) return { status: session.status, stdout: '', stderr: '', exitCode: null, text: await session.text };
  if (options.stdin || options.tty) {
    const input = attachInput(api, auth(who));
    input.send(inputRecords.containerId(id));
    if (options.tty) {
      input.send(inputRecords.ttyInfo(0, 0));
      input.send(inputRecords.ttyInfo(options.tty.rows, options.tty.columns));
    }
    for (const line of options.stdin ?? []) input.send(inputRecords.stdin(line));
    input.send(inputRecords.stdin(''));
    input.req.end();
  }
  const { stdout, stderr } = await session.done;
  const wait = await waitContainer(api, auth(who), id);
  return { status: 200, stdout, stderr, exitCode: wait.exitStatus === null ? null : wait.exitStatus >> 8, text: '' };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-exec-e2e-'));
  await mkdir(join(dir, 'apps.d'));
  await writeFile(join(dir, 'apps.d', 'shell.yaml'), APP);
  const config = join(dir, 'gatehouse.yaml');
  await writeFile(config, [
    'cluster:', '  source: local', '  local:', `    apps: ${JSON.stringify(join(dir, 'apps.d'))}`, `    workDir: ${JSON.stringify(join(dir, 'work'))}`,
    '    http: 127.0.0.1:0', '    resources: { cpus: 2, mem: 1024, disk: 1024, ports: "21020-21039" }',
    'dns:', '  listen: 127.0.0.1:0', '  http: ""',
    'gateway:', '  listen: 127.0.0.1:0', '  workers: 1', `  routes: ${JSON.stringify(join(dir, 'routes.d'))}`,
    // The exec policy: a uid besides the admin group (the first-start admin is in `admins`).
    '  exec: { allow: { uid: [deployer], groups: [admins] } }',
    'authn:', `  signingKey: ${JSON.stringify(join(dir, 'key.pem'))}`, `  users: ${JSON.stringify(join(dir, 'users.yaml'))}`,
  ].join('\n'));
  await writeSigningKey(join(dir, 'key.pem')); // the users file is not: the first-start admin is in the exec policy
  gatehouse = startGatehouseProcess(['run', '--config', config]);
  const running = await gatehouse.waitForLog((l) => l.msg === 'gatehouse is running', 60_000);
  base = `http://127.0.0.1:${Number(running['gatewayPort'])}`;
  for (const who of Object.keys(tokens) as (keyof typeof tokens)[]) tokens[who] = await tokenFor(config, who);
  // task.go findTask: the master state through /mesos.
  const state = await until(
    () => fetch(`${base}/mesos/master/state`, { headers: auth('admin') }).then((r) => r.json() as Promise<Json>),
    (s) => s.frameworks?.[0]?.tasks?.[0]?.state === 'TASK_RUNNING',
    30_000,
  );
  task = state.frameworks[0].tasks[0];
  api = `${base}/slave/${task.slave_id}/api/v1`;
}, 120_000);

afterAll(async () => {
  await gatehouse?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
}, 30_000);

describe('dcos task exec through the gateway', () => {
  it('dcos task exec ID printenv MESOS_TASK_ID prints the task id and exits 0', async () => {
    const result = await exec('admin', ['printenv', 'MESOS_TASK_ID']);
    expect(result).toMatchObject({ status: 200, stdout: `${task.id}\n`, stderr: '', exitCode: 0 });
    // Every exec is logged: who, in which task's container, what; then the task and the command's end.
    const parentContainer = task.statuses[0].container_status.container_id.value;
    const allowed = await gatehouse.waitForLog((l) => l.msg === 'exec call allowed' && l['call'] === 'LAUNCH_NESTED_CONTAINER_SESSION');
    expect(allowed).toMatchObject({ uid: 'admin', parentContainer, command: ['printenv', 'MESOS_TASK_ID'] });
    const started = await gatehouse.waitForLog((l) => l.msg === 'exec: command started in task');
    expect(started).toMatchObject({ task: task.id, command: ['printenv', 'MESOS_TASK_ID'] });
    expect(await gatehouse.waitForLog((l) => l.msg === 'exec: command ended')).toMatchObject({ task: task.id, status: 0 });
  });

  it('ls and a failing command: stdout and stderr apart, the exit code carried over', async () => {
    const result = await exec('admin', ['sh', '-c', 'ls; echo oops >&2; exit 4']);
    expect(result.stdout.split('\n').filter(Boolean).sort()).toEqual(['stderr', 'stdout']);
    expect(result.stderr).toBe('oops\n');
    expect(result.exitCode).toBe(4);
  });

  it("the command sees the task's environment and works in its sandbox", async () => {
    const { stdout } = await exec('admin', ['sh', '-c', 'echo "$GREETING"; pwd; echo "$MESOS_SANDBOX"']);
    const [greeting, cwd, sandbox] = stdout.trim().split('\n');
    expect(greeting).toBe('hello from the task');
    expect(cwd).toBe(sandbox);
    expect(cwd).toMatch(new RegExp(`/executors/${task.id}/runs/${task.statuses[0].container_status.container_id.value}$`));
  });

  it('-i: stdin piped to cat comes back; EOF ends it', async () => {
    const result = await exec('deployer', ['cat'], { stdin: ['one\n', 'two\n'] });
    expect(result).toMatchObject({ stdout: 'one\ntwo\n', exitCode: 0 });
  });

  it('-t: a TTY (tty prints /dev/pts/N) whose size follows TTY_INFO', async () => {
    // The size lands a moment after its record: the command waits for it (bounded), then prints it.
    const script = 'tty; i=0; while [ "$(stty size)" != "42 133" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done; stty size';
    const result = await exec('admin', ['sh', '-c', script], { tty: { rows: 42, columns: 133 } });
    expect(result.stdout).toMatch(/^\/dev\/pts\/\d+\r\n42 133\r\n$/);
    expect(result.exitCode).toBe(0);
  });

  it('a session cut off by the client (Ctrl-C) leaves no process behind', async () => {
    const marker = `${400 + Math.floor(Math.random() * 500)}.75`;
    const id: ContainerId = { value: randomUUID(), parent: { value: task.statuses[0].container_status.container_id.value } };
    const session = await launchSession(api, auth('admin'), launchCall({ id, command: 'sh', args: ['-c', `sleep ${marker} & sleep ${marker}; echo never`] }));
    const input = attachInput(api, auth('admin'));
    input.send(inputRecords.containerId(id));
    await until(() => processesWith(marker), (pids) => pids.length === 2, 10_000);
    input.req.destroy();
    session.response.destroy();
    expect(await until(() => processesWith(marker), (pids) => pids.length === 0, 10_000)).toEqual([]);
  });
});

describe('the exec policy (gateway.exec.allow) and bad calls', () => {
  it('no token: 401 before anything is read', async () => {
    const session = await launchSession(api, {}, launchCall({ id: { value: 'x', parent: { value: 'y' } }, command: 'id', args: [] }));
    expect(session.status).toBe(401);
  });

  it('a caller outside the policy: 403 naming the rule, for the launch and for an input stream', async () => {
    const refused = await exec('operator', ['id']);
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.text)).toMatchObject({
      code: 'ERR_GATEWAY_FORBIDDEN',
      description: expect.stringMatching(/gateway\.exec\.allow: LAUNCH_NESTED_CONTAINER_SESSION .*operator .*uid deployer or group admins/),
    });
    const input = attachInput(api, auth('operator'));
    input.send(inputRecords.containerId({ value: 'x', parent: { value: 'y' } }));
    const answer = await input.answer;
    input.req.destroy();
    expect(answer.status).toBe(403);
    expect(answer.body).toContain('ATTACH_CONTAINER_INPUT');
  });

  it('the same caller may still read: GET_CONTAINERS passes the policy', async () => {
    const response = await fetch(api, {
      method: 'POST',
      headers: { ...auth('operator'), 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ type: 'GET_CONTAINERS' }),
    });
    expect(response.status).toBe(200);
    expect(((await response.json()) as Json).get_containers.containers[0].executor_id.value).toBe(task.id);
  });

  const smuggled: { name: string; path?: string; body: Buffer; headers?: Record<string, string>; status: number; code: string }[] = [
    {
      name: "libprocess's /slave(1)/api/v1 path",
      path: '/api/v1'.replace('/api', '/slave(1)/api'),
      body: launchCall({ id: { value: 'x', parent: { value: 'y' } }, command: 'id', args: [] }),
      status: 403,
      code: 'ERR_GATEWAY_FORBIDDEN',
    },
    // Unknown to proto2 decoders (Mesos's too): no type at all, refused before anything is forwarded.
    { name: 'a call type number the enum does not name', body: Buffer.from([0x08, 0x63]), status: 400, code: 'ERR_GATEWAY_AGENT_CALL_INVALID' },
    { name: 'malformed protobuf', body: Buffer.from([0x08, 0x11, 0x4a, 0x7f, 0x01]), status: 400, code: 'ERR_GATEWAY_AGENT_CALL_INVALID' },
    {
      name: 'a launch in JSON labelled protobuf',
      body: Buffer.from(JSON.stringify({ type: 'LAUNCH_NESTED_CONTAINER_SESSION' })),
      status: 400,
      code: 'ERR_GATEWAY_AGENT_CALL_INVALID',
    },
    {
      name: 'a media type the agent does not take',
      body: Buffer.from('{"type":"LAUNCH_NESTED_CONTAINER_SESSION"}'),
      headers: { 'content-type': 'text/plain' },
      status: 415,
      code: 'ERR_GATEWAY_AGENT_CALL_MEDIA',
    },
  ];
  for (const c of smuggled) {
    it(`${c.name}: ${c.status} ${c.code}`, async () => {
      const url = c.path ? `${base}/slave/${task.slave_id}${c.path}` : api;
      const session = await launchSession(url, auth('operator'), c.body, c.headers ?? {});
      expect(session.status).toBe(c.status);
      expect(JSON.parse(await session.text)).toMatchObject({ code: c.code });
    });
  }

  it('an unknown task container: 404 with the reason from the agent', async () => {
    const call = launchCall({ id: { value: 'x', parent: { value: 'no-such-container' } }, command: 'id', args: [] });
    const session = await launchSession(api, auth('admin'), call);
    expect(session.status).toBe(404);
    expect(await session.text).toMatch(/Parent container no-such-container not found/);
  });

  it('an input stream whose first record is cut short: 400, nothing forwarded', async () => {
    const input = attachInput(api, auth('admin'));
    input.req.end(frame(inputRecords.containerId({ value: 'x', parent: { value: 'y' } })).subarray(0, 10));
    const answer = await input.answer;
    expect(answer.status).toBe(400);
    expect(answer.body).toContain('ERR_GATEWAY_AGENT_CALL_INVALID');
  });
});

/** Host PIDs of live processes whose command line holds `marker` (unique per case). */
async function processesWith(marker: string): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'latin1').catch(() => '');
    const stat = await readFile(`/proc/${entry}/stat`, 'latin1').catch(() => ') Z ');
    if (cmdline.split('\0').includes(marker) && !/\) Z /.test(stat)) found.push(Number(entry));
  }
  return found;
}
