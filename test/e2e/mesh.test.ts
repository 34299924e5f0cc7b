// The mesh with the real binary and the embedded cluster: an app file declares a VIP, `dig` resolves
// its thisdcos.directory name to the VIP address, real TCP connections there reach both tasks, the
// gateway lists it at /net/v1/vips, a killed task's connects are retried on the other task, and a bad
// label is reported with its app while the good VIP keeps serving. With `mesh.workers: 2`: the main
// process and a worker process accept VIP connections (the counters on /metrics are both's).
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dig } from '../support/dig.js';
import { runGatehouse, startGatehouseProcess, type GatehouseProcess } from '../support/gatehouse-process.js';
import { until } from '../support/until.js';
import { writeEmbeddedConfig } from '../support/embedded-config.js';
import { premadeAuthn } from '../support/premade-authn.js';

let dir: string;
let gatehouse: GatehouseProcess;
let dnsPort: number;
let gateway: string;
let token: string;

const VIP_NAME = 'meshcheck.marathon.l4lb.thisdcos.directory';
const VIP_PORT = 18600;

const APPS = `
apps:
  - id: /meshcheck
    instances: 2
    cpus: 0.1
    mem: 64
    portDefinitions: [{ port: 0, name: http, labels: { VIP_0: "/meshcheck:${VIP_PORT}" } }]
    cmd: >-
      exec node -e "require('http').createServer((q, s) => s.end(process.env.MESOS_TASK_ID)).listen(+process.env.PORT0, process.env.HOST)"
  - id: /badlabel
    instances: 1
    cpus: 0.1
    mem: 64
    portDefinitions: [{ port: 0, name: http, labels: { VIP_0: nonsense } }]
    cmd: exec sleep 600
`;

type VipsBody = { vip: string; protocol: string; backend: { ip: string; port: number }[] }[];
const vips = async (): Promise<VipsBody> =>
  (await (await fetch(`${gateway}/net/v1/vips`, { headers: { authorization: `token=${token}` } })).json()) as VipsBody;
const backendsOf = async () => (await vips()).find((v) => v.vip === `${VIP_NAME}:${VIP_PORT}`)?.backend ?? [];

/** Whether host:port accepts a TCP connection now. */
function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

let address: string;
/** One HTTP/1.0 request on a new TCP connection to the VIP: the body (the task id that answered). */
function viaVip(): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: address, port: VIP_PORT });
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('error', reject);
    socket.on('end', () => resolve(text.slice(text.indexOf('\r\n\r\n') + 4)));
    socket.write('GET / HTTP/1.0\r\n\r\n');
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-mesh-e2e-'));
  await mkdir(join(dir, 'apps.d'));
  await writeFile(join(dir, 'apps.d', 'apps.yaml'), APPS);
  // Not a first start's test: the key and users file it would create, made beforehand (premade-authn.ts).
  await premadeAuthn(join(dir, 'key.pem'), join(dir, 'users.yaml'));
  const config = await writeEmbeddedConfig(dir, { ports: '20800-20899', dnsTtl: 0, extra: ['mesh:', '  failureBackoff: 30s', '  workers: 2'] });
  gatehouse = startGatehouseProcess(['run', '--config', config]);
  const running = await gatehouse.waitForLog((l) => l.msg === 'gatehouse is running', 30_000);
  dnsPort = (running['dns'] as { udpPort: number }).udpPort;
  gateway = `http://127.0.0.1:${running['gatewayPort']}`;
  token = (await runGatehouse(['token', '--uid', 'tester', '--config', config])).stdout.trim();
  // Both tasks running and listening.
  const backends = await until(backendsOf, (b) => b.length === 2, 30_000);
  // RUNNING is not listening: a connect through the VIP refused by a task still starting would skip
  // that task for failureBackoff (30 s here), so each task must accept a connection first.
  for (const backend of backends) await until(() => accepts(backend.ip, backend.port), (ok) => ok, 30_000);
  address = (await dig(dnsPort, VIP_NAME)).answer[0]?.data ?? '';
  await until(async () => new Set(await Promise.all([viaVip(), viaVip(), viaVip(), viaVip()]).catch(() => [])).size, (n) => n === 2, 20_000);
}, 60_000);

afterAll(async () => {
  await gatehouse?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('mesh (real binary, embedded cluster)', () => {
  it('mesh.workers: 2 runs one mesh worker process beside the main one', async () => {
    const children = async (pid: number): Promise<string[]> => {
      const tasks = await readdir(`/proc/${pid}/task`);
      const ids = (await Promise.all(tasks.map((t) => readFile(`/proc/${pid}/task/${t}/children`, 'utf8').catch(() => '')))).join(' ');
      return Promise.all(ids.split(' ').filter(Boolean).map((id) => readFile(`/proc/${id}/cmdline`, 'latin1').catch(() => '')));
    };
    const workers = await until(async () => (await children(gatehouse.child.pid!)).filter((c) => c.includes('mesh-worker.js')), (w) => w.length === 1);
    expect(workers).toHaveLength(1);
  });

  it('dig resolves the VIP name to an address of mesh.vipRange', async () => {
    expect(address).toMatch(/^127\.11\.\d+\.\d+$/);
    const result = await dig(dnsPort, VIP_NAME);
    expect(result.flags).toContain('aa');
  });

  it('connections to the VIP reach both tasks', async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 6; i++) seen.add(await viaVip());
    expect(seen.size).toBe(2);
    expect([...seen].every((id) => id.startsWith('meshcheck.'))).toBe(true);
  });

  it('/net/v1/vips lists the VIP in dcos-net\'s shape, and /metrics counts per VIP and backend', async () => {
    expect((await fetch(`${gateway}/net/v1/vips`)).status).toBe(401);
    const body = await vips();
    expect(body).toEqual([
      { vip: `${VIP_NAME}:${VIP_PORT}`, protocol: 'tcp', backend: expect.arrayContaining([{ ip: '127.0.0.1', port: expect.any(Number) }]) },
    ]);
    const metrics = await (await fetch(`${gateway}/metrics`, { headers: { authorization: `token=${token}` } })).text();
    expect(metrics).toMatch(
      new RegExp(
        `gatehouse_mesh_connections_total\\{vip="tcp://${VIP_NAME.replace(/\./g, '\\.')}:${VIP_PORT}",backend="127\\.0\\.0\\.1:\\d+"\\} [1-9]`,
      ),
    );
  });

  it('a bad label is reported with its app and label, and the good VIP keeps serving', async () => {
    const line = await gatehouse.waitForLog((l) => l.msg.startsWith('VIP label ignored'));
    expect(line).toMatchObject({ app: '/badlabel', label: 'VIP_0', value: 'nonsense' });
    expect(line.msg).toBe('VIP label ignored: app /badlabel, VIP_0: "nonsense" is not a VIP: expected /name:port or ip:port');
    expect(await viaVip()).toMatch(/^meshcheck\./);
  });

  it('a killed task: its connects are retried on the other task, and once it left the snapshot it gets none', async () => {
    const before = await backendsOf();
    const victimPort = before[0]!.port;
    const victim = await until(async () => {
      for (let i = 0; i < 4; i++) {
        const id = await viaVip();
        const pid = await pidOfTask(id);
        if (pid && (await portOfPid(pid)) === victimPort) return { id, pid };
      }
      return null;
    }, (v) => v !== null, 10_000);
    process.kill(victim!.pid, 'SIGKILL');
    // kill() returns before the task has died: until its sockets are closed, a connect can still complete
    // in its listen backlog and be reset a moment later (no balancer can retry that one). Once its port
    // refuses, and while the snapshot still lists it: every request is answered, by the other task.
    await until(() => accepts(before[0]!.ip, victimPort), (ok) => !ok, 5000);
    const answers = [];
    for (let i = 0; i < 6; i++) answers.push(await viaVip());
    expect(answers.every((id) => id !== victim!.id)).toBe(true);
    // Once it left the snapshot (Marathon starts a replacement on another port), it never answers.
    await until(backendsOf, (b) => !b.some((x) => x.port === victimPort), 20_000);
    for (let i = 0; i < 6; i++) expect(await viaVip()).not.toBe(victim!.id);
  });
});

/** The PID of the task process whose environment names this task id. */
async function pidOfTask(taskId: string): Promise<number | null> {
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const environ = await readFile(`/proc/${entry}/environ`, 'latin1').catch(() => '');
    if (environ.includes(`MESOS_TASK_ID=${taskId}\u0000`) && environ.includes(`MESOS_SANDBOX=${dir}`)) {
      const cmdline = await readFile(`/proc/${entry}/cmdline`, 'latin1').catch(() => '');
      if (cmdline.startsWith('node')) return Number(entry);
    }
  }
  return null;
}

async function portOfPid(pid: number): Promise<number | null> {
  const environ = await readFile(`/proc/${pid}/environ`, 'latin1').catch(() => '');
  const match = /(?:^|\u0000)PORT0=(\d+)/.exec(environ);
  return match ? Number(match[1]) : null;
}
