// `npm start`'s experience with the real binary: the embedded cluster runs an app from an app file,
// `dig` resolves its tasks and SRV ports, the gateway reaches them after login, a killed task comes
// back and DNS follows, an edited app file scales, and no task outlives a killed Gatehouse.
import { mkdtemp, readdir, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dig } from '../support/dig.js';
import { startGatehouseProcess, type GatehouseProcess } from '../support/gatehouse-process.js';
import { until } from '../support/until.js';
import { tokenFor } from '../support/token.js';

let dir: string;
let gatehouse: GatehouseProcess;
let dnsPort: number;
let gateway: string;
let cluster: string;
let token: string;

const APP = (instances: number): string => `
id: /hello
instances: ${instances}
cpus: 0.1
mem: 64
portDefinitions: [{ port: 0, name: http }]
labels: { DCOS_SERVICE_NAME: hello }
# A killed task comes back after 0.2 s instead of Marathon's default 1 s (the case tests the return, not the wait).
backoffSeconds: 0.2
cmd: >-
  exec node -e "require('http').createServer((q, s) => s.end('hello from ' + process.env.MESOS_TASK_ID + ' path ' + q.url)).listen(+process.env.PORT0, process.env.HOST)"
`;

/** Host PIDs of processes whose environment names one of our tasks. */
async function taskProcesses(): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const environ = await readFile(`/proc/${entry}/environ`, 'latin1').catch(() => '');
    if (environ.includes(`MESOS_SANDBOX=${dir}`)) found.push(Number(entry));
  }
  return found;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-local-e2e-'));
  await mkdir(join(dir, 'apps.d'));
  await writeFile(join(dir, 'apps.d', 'hello.yaml'), APP(2));
  const config = join(dir, 'gatehouse.yaml');
  await writeFile(config, [
    'cluster:', '  source: local', '  local:', `    apps: ${JSON.stringify(join(dir, 'apps.d'))}`, `    workDir: ${JSON.stringify(join(dir, 'work'))}`,
    '    http: 127.0.0.1:0', '    resources: { cpus: 2, mem: 1024, disk: 1024, ports: "20400-20499" }',
    'dns:', '  listen: 127.0.0.1:0', '  http: ""', '  ttl: 0',
    // One worker: the round-robin check below counts on one process's rotation.
    'gateway:', '  listen: 127.0.0.1:0', '  workers: 1', `  routes: ${JSON.stringify(join(dir, 'routes.d'))}`,
    'authn:', `  signingKey: ${JSON.stringify(join(dir, 'key.pem'))}`, `  users: ${JSON.stringify(join(dir, 'users.yaml'))}`,
  ].join('\n'));
  gatehouse = startGatehouseProcess(['run', '--config', config]);
  const running = await gatehouse.waitForLog((l) => l.msg === 'gatehouse is running', 30_000);
  dnsPort = (running['dns'] as { udpPort: number }).udpPort;
  gateway = `http://127.0.0.1:${running['gatewayPort']}`;
  cluster = String((await gatehouse.waitForLog((l) => l.msg.startsWith('embedded cluster started')))['url']);
  token = await tokenFor(config, 'tester');
}, 60_000);

afterAll(async () => {
  await gatehouse?.stop();
  await rm(dir, { recursive: true, force: true });
});

const aRecords = async (): Promise<string[]> => [...new Set((await dig(dnsPort, 'hello.marathon.mesos', 'A')).answer.map((a) => a.data))];
const srvPorts = async (): Promise<number[]> =>
  [...new Set((await dig(dnsPort, '_hello._tcp.marathon.mesos', 'SRV')).answer.map((a) => Number(a.data.split(' ')[2])))].sort();
const runningTasks = async (): Promise<{ id: string; ports: number[] }[]> =>
  (
    (await (await fetch(`${cluster}/v2/apps/hello`)).json()) as { app: { tasks: { id: string; ports: number[]; state: string }[] } }
  ).app.tasks.filter((t) => t.state === 'TASK_RUNNING');

/** How many running tasks answer on their port (this app has no health check to wait for). */
const listeningCount = async (): Promise<number> => {
  const answers = await Promise.all((await runningTasks()).map((t) => fetch(`http://127.0.0.1:${t.ports[0]}/`).then((r) => r.ok, () => false)));
  return answers.filter(Boolean).length;
};

describe('gatehouse run with the embedded cluster', () => {
  it('dig resolves the app\'s tasks and their SRV ports', async () => {
    const ports = await until(srvPorts, (p) => p.length === 2, 30_000);
    const tasks = await runningTasks();
    expect(ports).toEqual(tasks.flatMap((t) => t.ports).sort());
    for (const port of ports) expect(port >= 20400 && port <= 20499).toBe(true);
    expect(await aRecords()).toEqual(['127.0.0.1']);
  });

  it('the gateway reaches the tasks with a token, and refuses without one', async () => {
    expect((await fetch(`${gateway}/service/hello/`)).status).toBe(401);
    // Both tasks listening first: a task that is RUNNING but not yet listening refuses the gateway's
    // connect and is ejected for a while, which is right, but then every request goes to the other.
    await until(listeningCount, (n) => n === 2, 15_000);
    const seen = new Set<string>();
    for (let i = 0; i < 6; i++) {
      const response = await until(() => fetch(`${gateway}/service/hello/abc`, { headers: { authorization: `token=${token}` } }), (r) => r.status === 200);
      const text = await response.text();
      expect(text).toMatch(/^hello from hello\.[0-9a-f-]+ path \/abc$/);
      seen.add(text.split(' ')[2]!);
    }
    expect(seen.size).toBe(2); // round robin over both tasks
  });

  it('a killed task comes back and DNS follows its new port', async () => {
    const before = await runningTasks();
    const victim = before[0]!;
    const pids = await taskProcesses();
    const environ = await Promise.all(pids.map(async (pid) => [pid, await readFile(`/proc/${pid}/environ`, 'latin1').catch(() => '')] as const));
    const victims = environ.filter(([, env]) => env.includes(`MESOS_TASK_ID=${victim.id}`)).map(([pid]) => pid);
    expect(victims.length).toBeGreaterThan(0);
    for (const pid of victims) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Gone already: killing one process of the task can take the others with it.
      }
    }
    const after = await until(runningTasks, (t) => t.length === 2 && !t.some((x) => x.id === victim.id), 20_000);
    const expected = after.flatMap((t) => t.ports).sort();
    expect(await until(srvPorts, (p) => JSON.stringify(p) === JSON.stringify(expected), 10_000)).toEqual(expected);
  });

  it('saving the app file scales the app, and DNS follows', async () => {
    await writeFile(join(dir, 'apps.d', 'hello.yaml'), APP(3));
    expect((await until(srvPorts, (p) => p.length === 3, 20_000)).length).toBe(3);
    await writeFile(join(dir, 'apps.d', 'hello.yaml'), APP(1));
    expect((await until(srvPorts, (p) => p.length === 1, 20_000)).length).toBe(1);
  });

  it('the Mesos and Marathon APIs are proxied at /mesos/ and /marathon/', async () => {
    const headers = { authorization: `token=${token}` };
    const state = (await (await fetch(`${gateway}/mesos/master/state`, { headers })).json()) as { frameworks: { name: string }[] };
    expect(state.frameworks.map((f) => f.name)).toEqual(['marathon']);
    const apps = (await (await fetch(`${gateway}/marathon/v2/apps`, { headers })).json()) as { apps: { id: string }[] };
    expect(apps.apps.map((a) => a.id)).toEqual(['/hello']);
  });

  it('an agent and its task sandboxes are reachable at /agent/<id>/', async () => {
    const headers = { authorization: `token=${token}` };
    const state = (await (await fetch(`${cluster}/master/state`)).json()) as { slaves: { id: string }[] };
    const agentId = state.slaves[0]!.id;
    const agent = (await (await fetch(`${gateway}/agent/${agentId}/state`, { headers })).json()) as {
      id: string;
      frameworks: { executors: { directory: string }[] }[];
    };
    expect(agent.id).toBe(agentId);
    const sandbox = agent.frameworks[0]!.executors[0]!.directory;
    const files = (await (
      await fetch(`${gateway}/agent/${agentId}/files/browse?path=${encodeURIComponent(sandbox)}`, { headers })
    ).json()) as { path: string }[];
    expect(files.map((f) => f.path.split('/').at(-1)).sort()).toEqual(['stderr', 'stdout']);
    expect((await fetch(`${gateway}/agent/${agentId}/state`)).status).toBe(401);
  });

  it('no task outlives Gatehouse, even killed with SIGKILL', async () => {
    expect((await taskProcesses()).length).toBeGreaterThan(0);
    await gatehouse.stop('SIGKILL');
    const left = await until(taskProcesses, (p) => p.length === 0, 10_000);
    expect(left).toEqual([]);
  });
});
