// mesh.interface with the real binary, in a network namespace of the test's own (`ip netns add`, as
// root): a VIP of DC/OS's range 11.0.0.0/8 is made local on the `minuteman` link, `dig` and `curl` run
// in the namespace reach both tasks through it, a Gatehouse killed with SIGKILL leaves the link and the
// next start replaces it, a clean stop removes the link and its addresses, and without CAP_NET_ADMIN the
// mesh keeps to the loopback range. Without the privilege to make a namespace every case is skipped with
// the reason.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import { parseDig } from '../support/dig.js';
import { writeEmbeddedConfig } from '../support/embedded-config.js';
import { addNetworkNamespace, deleteNetworkNamespace } from '../support/network-namespace.js';
import { premadeAuthn } from '../support/premade-authn.js';
import { startGatehouseProcess, type GatehouseProcess } from '../support/gatehouse-process.js';
import { until } from '../support/until.js';

const run = promisify(execFile);
const NS = `gh-mesh-e2e-${process.pid}`;
const VIP_NAME = 'meshnet.marathon.l4lb.thisdcos.directory';
const VIP_PORT = 18700;

const APPS = `
apps:
  - id: /meshnet
    instances: 2
    cpus: 0.1
    mem: 64
    portDefinitions: [{ port: 0, name: http, labels: { VIP_0: "/meshnet:${VIP_PORT}" } }]
    cmd: >-
      exec node -e "require('http').createServer((q, s) => s.end(process.env.MESOS_TASK_ID)).listen(+process.env.PORT0, process.env.HOST)"
`;

let skipReason: string | null = null;
let dir = '';
let config = '';
let gatehouse: GatehouseProcess | null = null;
let dnsPort = 0;
let address = '';

/** Runs a command inside the test's namespace; resolves with its stdout ('' when it failed). */
const inNamespace = (command: string, ...args: string[]) =>
  run('ip', ['netns', 'exec', NS, command, ...args], { timeout: 10_000 }).then((r) => r.stdout, () => '');
const ipJson = async <T>(...args: string[]): Promise<T> => JSON.parse((await inNamespace('ip', '-j', ...args)) || '[]') as T;
const minuteman = async () =>
  (await ipJson<{ ifname: string; ifalias?: string }[]>('link', 'show')).find((l) => l.ifname === 'minuteman') ?? null;
const routedLocally = async () =>
  (await ipJson<{ dst: string; type: string }[]>('route', 'show', 'table', 'local')).filter((r) => r.dst.startsWith('11.')).map((r) => r.dst);
/** One HTTP request on a new connection through the VIP, by curl in the namespace: the task id that answered. */
const viaVip = () => inNamespace('curl', '-s', '--max-time', '3', `http://${address}:${VIP_PORT}/`);

/** Whether `gatehouse` runs with CAP_NET_ADMIN (no prefix dropping it). */
let privileged = false;

async function start(prefix: readonly string[] = []): Promise<GatehouseProcess> {
  const started = startGatehouseProcess(['run', '--config', config], { prefix: ['ip', 'netns', 'exec', NS, ...prefix] });
  const running = await started.waitForLog((l) => l.msg === 'gatehouse is running', 30_000);
  dnsPort = (running['dns'] as { udpPort: number }).udpPort;
  privileged = prefix.length === 0;
  return started;
}

/**
 * The Gatehouse the first cases look at: with CAP_NET_ADMIN, its link made, both tasks answering. Each
 * case runs alone and in any order: one before may have stopped it, or run one without the capability
 * (the same work dir: only one may run).
 */
async function privilegedRunning(): Promise<GatehouseProcess> {
  if (gatehouse && privileged) return gatehouse;
  await gatehouse?.stop();
  gatehouse = await start();
  await bothTasksAnswer();
  return gatehouse;
}

/** A task answers through the VIP. */
const aTaskAnswers = () => until(viaVip, (id) => id.startsWith('meshnet.'), 30_000);

/** Both tasks answer through the VIP (each task must listen first: RUNNING is not listening). */
async function bothTasksAnswer(): Promise<Set<string>> {
  return until(async () => new Set(await Promise.all([viaVip(), viaVip(), viaVip(), viaVip()])), (ids) => ids.size === 2 && !ids.has(''), 30_000);
}

function needsNamespace(ctx: TestContext): void {
  if (skipReason) ctx.skip(skipReason);
}

beforeAll(async () => {
  skipReason = await addNetworkNamespace(NS);
  if (skipReason) return;
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-mesh-interface-'));
  await mkdir(join(dir, 'apps.d'));
  await writeFile(join(dir, 'apps.d', 'apps.yaml'), APPS);
  // Not a first start's test: the key and users file it would create, made beforehand (premade-authn.ts).
  await premadeAuthn(join(dir, 'key.pem'), join(dir, 'users.yaml'));
  config = await writeEmbeddedConfig(dir, {
    ports: '21300-21349',
    dnsTtl: 0,
    extra: ['mesh:', '  vipRange: 11.0.0.0/8', '  interface: minuteman', '  failureBackoff: 1s'],
  });
  gatehouse = await start();
  address = parseDig(await inNamespace('dig', '@127.0.0.1', '-p', String(dnsPort), VIP_NAME, 'A', '+norec', '+time=2', '+tries=1')).answer[0]?.data ?? '';
  await bothTasksAnswer();
}, 60_000);

afterAll(async () => {
  await gatehouse?.stop();
  if (!skipReason) await deleteNetworkNamespace(NS);
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('mesh.interface (real binary, in a network namespace)', () => {
  it('the VIP name resolves to an address of 11.0.0.0/8, made local on the minuteman link marked as this Gatehouse\'s', async (ctx) => {
    needsNamespace(ctx);
    const running = await privilegedRunning();
    expect(address).toMatch(/^11\.\d+\.\d+\.\d+$/);
    expect((await minuteman())?.ifalias).toMatch(new RegExp(`^gatehouse-mesh pid=${running.child.pid} `));
    expect(await routedLocally()).toEqual([address]);
  });

  it('connections to the VIP reach both tasks through the link', async (ctx) => {
    needsNamespace(ctx);
    await privilegedRunning();
    const answers: string[] = [];
    for (let i = 0; i < 6; i++) answers.push(await viaVip());
    // The answers in order in the message: one task throughout, or an empty answer (curl failed), tell different causes.
    expect([...new Set(answers)].sort(), `the six answers in order: ${JSON.stringify(answers)}`).toEqual([
      expect.stringMatching(/^meshnet\./),
      expect.stringMatching(/^meshnet\./),
    ]);
  });

  it('killed with SIGKILL, Gatehouse leaves the link; the next start removes it, makes its own, and serves the VIP again', async (ctx) => {
    needsNamespace(ctx);
    const killedPid = (await privilegedRunning()).child.pid!;
    await gatehouse!.stop('SIGKILL');
    gatehouse = null;
    expect((await minuteman())?.ifalias).toMatch(new RegExp(`^gatehouse-mesh pid=${killedPid} `));

    gatehouse = await start();
    const removed = await gatehouse.waitForLog((l) => l.msg.startsWith('removed interface minuteman left by'));
    expect(removed).toMatchObject({ interface: 'minuteman', previousPid: killedPid });
    expect((await minuteman())?.ifalias).toMatch(new RegExp(`^gatehouse-mesh pid=${gatehouse.child.pid} `));
    expect(await aTaskAnswers()).toMatch(/^meshnet\./);
    expect(await routedLocally()).toEqual([address]);
  });

  it('a clean stop removes the link and every address it made local', async (ctx) => {
    needsNamespace(ctx);
    expect(await (await privilegedRunning()).stop()).toBe(0);
    gatehouse = null;
    expect(await minuteman()).toBeNull();
    expect(await routedLocally()).toEqual([]);
  });

  it('without CAP_NET_ADMIN: one warning with the code, and DNS and the VIP keep to the loopback range', async (ctx) => {
    needsNamespace(ctx);
    await gatehouse?.stop();
    gatehouse = await start(['setpriv', '--bounding-set', '-net_admin']);
    const warnings = gatehouse.logs.filter((l) => l['code'] === 'ERR_MESH_INTERFACE_PRIVILEGES');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.msg).toMatch(/needs CAP_NET_ADMIN.*; the VIPs keep to the loopback range 127\.11\.0\.0\/16 instead of 11\.0\.0\.0\/8$/);
    expect(await minuteman()).toBeNull();
    const loopback = parseDig(await inNamespace('dig', '@127.0.0.1', '-p', String(dnsPort), VIP_NAME, 'A', '+norec', '+time=2', '+tries=1')).answer[0]?.data ?? '';
    expect(loopback).toMatch(/^127\.11\.\d+\.\d+$/);
    const answered = await until(
      () => inNamespace('curl', '-s', '--max-time', '3', `http://${loopback}:${VIP_PORT}/`),
      (id) => id.startsWith('meshnet.'),
      30_000,
    );
    expect(answered).toMatch(/^meshnet\./);
  });
});
