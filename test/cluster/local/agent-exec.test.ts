// The embedded agent's exec calls (what `dcos task exec` reaches through the gateway), spoken to its
// own port as the DC/OS CLI speaks them (test/support/exec-client.ts): output streamed as RecordIO
// ProcessIO with stdout and stderr apart, stdin through ATTACH_CONTAINER_INPUT, a real TTY whose size
// follows TTY_INFO, the exit status through WAIT_CONTAINER, the task's environment, sandbox,
// namespaces and cgroup; and the ways it is refused or cut short.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appDefinition } from '../../support/local-apps.js';
import { startTestCluster, type TestCluster } from '../../support/local-cluster.js';
import { until } from '../../support/until.js';
import { attachInput, inputRecords, launchCall, launchSession, waitContainer, type ContainerId } from '../../support/exec-client.js';

type Json = any;
let cluster: TestCluster;
let api: string;
let task: Json;
let parent: ContainerId;
let sandbox: string;
let next = 0;

const nested = (): ContainerId => ({ value: `exec-${process.pid}-${next++}`, parent });
const alive = async (pid: number | undefined): Promise<boolean> =>
  pid !== undefined && (await readFile(`/proc/${pid}/stat`, 'latin1').then((s) => !/\) Z /.test(s), () => false));

beforeAll(async () => {
  cluster = await startTestCluster(
    [
      appDefinition({
        id: '/shell',
        env: { GREETING: 'hello from the task' },
        // What the task itself sees, for the exec'd command to be compared with.
        cmd: 'readlink /proc/self/ns/pid > task-ns; cat /proc/self/cgroup > task-cgroup; exec sleep 600',
        portDefinitions: [],
      }),
    ],
    { resources: { ports: '21000-21009' } },
  );
  const state = await until(() => cluster.get('/master/state'), (s: Json) => s.frameworks[0]?.tasks?.[0]?.state === 'TASK_RUNNING');
  api = `http://127.0.0.1:${state.slaves[0].port}/api/v1`;
  task = state.frameworks[0].tasks[0];
  parent = { value: task.statuses[0].container_status.container_id.value };
  sandbox = join(cluster.cluster.agents[0]!.workDir, 'frameworks', task.framework_id, 'executors', task.id, 'runs', parent.value);
  await until(() => readFile(join(sandbox, 'task-cgroup'), 'utf8').catch(() => ''), (text) => text.length > 0);
}, 30_000);
afterAll(() => cluster?.close());

describe('LAUNCH_NESTED_CONTAINER_SESSION', () => {
  it('streams stdout and stderr apart as RecordIO ProcessIO, and WAIT_CONTAINER gives the exit status', async () => {
    const id = nested();
    const session = await launchSession(api, {}, launchCall({ id, command: 'sh', args: ['-c', 'echo out; echo err >&2; exit 3'] }));
    expect(session.status).toBe(200);
    expect(session.headers['content-type']).toBe('application/recordio');
    expect(session.headers['message-content-type']).toBe('application/x-protobuf');
    const { stdout, stderr } = await session.done;
    expect(stdout).toBe('out\n');
    expect(stderr).toBe('err\n');
    const wait = await waitContainer(api, {}, id);
    expect(wait.status).toBe(200);
    expect(wait.exitStatus! >> 8).toBe(3);
  });

  it("runs with the task's environment, in its sandbox, its PID namespace and its cgroup", async () => {
    const script = 'printenv MESOS_TASK_ID GREETING; pwd; readlink /proc/self/ns/pid; cat /proc/self/cgroup; echo ---; cat task-ns task-cgroup';
    const { stdout } = await (await launchSession(api, {}, launchCall({ id: nested(), command: 'sh', args: ['-c', script] }))).done;
    const [mine, theTasks] = stdout.split('---\n') as [string, string];
    const lines = mine.trim().split('\n');
    expect(lines.slice(0, 3)).toEqual([task.id, 'hello from the task', sandbox]);
    expect(lines.slice(3).join('\n')).toBe(theTasks.trim());
  });

  it('answers the JSON form too (Message-Accept: application/json, data base64)', async () => {
    const body = JSON.stringify({
      type: 'LAUNCH_NESTED_CONTAINER_SESSION',
      launch_nested_container_session: { container_id: nested(), command: { value: 'echo json works', shell: true } },
    });
    const response = await fetch(api, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/recordio', 'message-accept': 'application/json' },
      body,
    });
    expect(response.headers.get('message-content-type')).toBe('application/json');
    const text = await response.text();
    const record = JSON.parse(text.slice(text.indexOf('\n') + 1, text.indexOf('\n') + 1 + Number(text.slice(0, text.indexOf('\n')))));
    expect(record).toMatchObject({ type: 'DATA', data: { type: 'STDOUT' } });
    expect(Buffer.from(record.data.data, 'base64').toString()).toBe('json works\n');
  });

  it('a connection closed before the command ends kills it and all it started', async () => {
    const marker = `${300 + next}.25`;
    const id = nested();
    const session = await launchSession(api, {}, launchCall({ id, command: 'sh', args: ['-c', `sleep ${marker} & exec sleep ${marker}`] }));
    await until(() => processesRunning(marker), (pids) => pids.length === 2);
    session.response.destroy();
    const status = await cluster.cluster.agents[0]!.nested.wait(id.value, parent.value);
    expect(status & 0x7f).toBe(9); // SIGKILL
    expect(await until(() => processesRunning(marker), (pids) => pids.length === 0)).toEqual([]);
  });
});

describe('backpressure', () => {
  it('a client that stops reading stops the command: what it wrote stays bounded, nothing piles up in the agent', async () => {
    const marker = `${100_000_000 + next}`;
    const session = await launchSession(api, {}, launchCall({ id: nested(), command: 'head', args: ['-c', marker, '/dev/zero'] }));
    session.response.pause();
    // `head` itself (nsenter, its parent, carries the same arguments).
    const isHead = async (p: number): Promise<boolean> => (await readFile(`/proc/${p}/comm`, 'latin1').catch(() => '')).trim() === 'head';
    const heads = async (): Promise<number[]> => {
      const pids = await processesRunning(marker);
      const flags = await Promise.all(pids.map(isHead));
      return pids.filter((_pid, i) => flags[i]);
    };
    const [pid] = await until(heads, (pids) => pids.length === 1);
    // Written bytes stop growing once the pipes and socket buffers are full (three equal readings in a row).
    const readings: number[] = [];
    await until(async () => {
      const io = await readFile(`/proc/${pid}/io`, 'latin1');
      readings.push(Number(/wchar: (\d+)/.exec(io)![1]));
      return readings.slice(-3);
    }, (last) => last.length === 3 && last[0] === last[2], 10_000);
    expect(readings.at(-1)!).toBeLessThan(32 * 1024 * 1024);
    expect(await alive(pid)).toBe(true);
    session.response.destroy();
    await until(() => processesRunning(marker), (pids) => pids.length === 0);
  });
});

describe('ATTACH_CONTAINER_INPUT', () => {
  it('-i: stdin reaches the command; the empty DATA record is EOF and ends it; answered 200 without Content-Type', async () => {
    const id = nested();
    const session = await launchSession(api, {}, launchCall({ id, command: 'cat', args: [] }));
    const input = attachInput(api, {});
    input.send(inputRecords.containerId(id));
    input.send(inputRecords.heartbeat());
    input.send(inputRecords.stdin('first line\n'));
    input.send(inputRecords.stdin('second line\n'));
    input.send(inputRecords.stdin(''));
    input.req.end();
    expect((await session.done).stdout).toBe('first line\nsecond line\n');
    const answer = await input.answer;
    expect(answer.status).toBe(200);
    expect(answer.contentType).toBeUndefined();
    expect((await waitContainer(api, {}, id)).exitStatus).toBe(0);
  });

  it('-t: the command gets a pseudo-terminal whose size follows TTY_INFO', async () => {
    const id = nested();
    const session = await launchSession(api, {}, launchCall({ id, command: 'sh', args: ['-c', 'tty; read go; stty size; echo "TERM=$TERM"'], tty: true }));
    const input = attachInput(api, {});
    input.send(inputRecords.containerId(id));
    input.send(inputRecords.ttyInfo(0, 0));
    input.send(inputRecords.ttyInfo(37, 121));
    // The size is set by the agent a moment after the record: the command reads it after a line.
    // The size is applied a moment after its record (stty on the terminal): wait until it is, then go on.
    const pts = await new Promise<string>((resolve) => session.response.on('data', (chunk: Buffer) => {
      const found = /\/dev\/pts\/\d+/.exec(chunk.toString('latin1'));
      if (found) resolve(found[0]);
    }));
    await until(() => sttySize(pts), (size) => size === '37 121');
    input.send(inputRecords.stdin('go\n'));
    const { stdout, stderr } = await session.done;
    input.req.destroy();
    expect(stdout).toMatch(/^\/dev\/pts\/\d+\r\n/);
    expect(stdout).toContain('37 121\r\n');
    expect(stdout).toContain('TERM=xterm');
    expect(stderr).toBe(''); // one terminal: everything is stdout
  });

  it('an input stream that breaks off ends the input: `cat` exits, nothing is left behind', async () => {
    const id = nested();
    const session = await launchSession(api, {}, launchCall({ id, command: 'cat', args: [] }));
    const input = attachInput(api, {});
    input.send(inputRecords.containerId(id));
    input.send(inputRecords.stdin('partial'));
    // Once cat has echoed it (the bytes are inside the record), the input connection breaks.
    await new Promise<void>((resolve) => session.response.on('data', (chunk: Buffer) => chunk.includes('partial') && resolve()));
    input.req.destroy();
    expect((await session.done).stdout).toBe('partial');
    expect((await waitContainer(api, {}, id)).exitStatus).toBe(0);
  });
});

describe('refused', () => {
  const cases: { name: string; body: () => Buffer; headers?: Record<string, string>; status: number; reason: RegExp }[] = [
    {
      name: 'a parent container no task has (unknown task)',
      body: () => launchCall({ id: { value: 'x1', parent: { value: 'no-such-container' } }, command: 'ls', args: [] }),
      status: 404,
      reason: /Parent container no-such-container not found/,
    },
    { name: 'malformed protobuf', body: () => Buffer.from([0x08, 0x11, 0x4a, 0x7f, 0x01]), status: 400, reason: /Failed to parse body into Call protobuf/ },
    {
      name: 'a container id without its parent',
      body: () => launchCall({ id: { value: 'orphan' }, command: 'ls', args: [] }),
      status: 400,
      reason: /must name its parent/,
    },
    {
      name: 'Accept without RecordIO',
      body: () => launchCall({ id: nested(), command: 'ls', args: [] }),
      headers: { accept: 'application/x-protobuf' },
      status: 406,
      reason: /application\/recordio/,
    },
  ];
  for (const c of cases) {
    it(`${c.name}: ${c.status} with the reason`, async () => {
      const session = await launchSession(api, {}, c.body(), c.headers ?? {});
      expect(session.status).toBe(c.status);
      expect(await session.text).toMatch(c.reason);
    });
  }

  it('WAIT_CONTAINER of an unknown container: 404', async () => {
    const wait = await waitContainer(api, {}, { value: 'never-launched', parent });
    expect(wait.status).toBe(404);
  });

  it('an input stream whose later record is another call type: 400, the command sees EOF', async () => {
    const id = nested();
    const session = await launchSession(api, {}, launchCall({ id, command: 'cat', args: [] }));
    const input = attachInput(api, {});
    input.send(inputRecords.containerId(id));
    input.send(launchCall({ id: nested(), command: 'id', args: [] }));
    const answer = await input.answer;
    expect(answer.status).toBe(400);
    expect(answer.body).toMatch(/ATTACH_CONTAINER_INPUT/);
    await session.done;
    input.req.destroy();
  });
});

async function sttySize(pts: string): Promise<string> {
  const { execFile } = await import('node:child_process');
  return new Promise((resolve) => execFile('stty', ['-F', pts, 'size'], (_error, stdout) => resolve(String(stdout).trim())));
}

/** Host PIDs of processes whose command line holds `marker` (the test's own, made unique per case). */
async function processesRunning(marker: string): Promise<number[]> {
  const { readdir } = await import('node:fs/promises');
  const found: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'latin1').catch(() => '');
    if (cmdline.split('\0').includes(marker) && (await alive(Number(entry)))) found.push(Number(entry));
  }
  return found;
}
