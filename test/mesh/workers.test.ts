// mesh.workers: the primary binds each VIP and hands the listening socket to worker processes (the
// compiled dist/mesh/mesh-worker.js: run `npm run build` first), which accept from it too. A worker's
// connections are made by holding the primary's event loop busy while clients connect: the kernel's
// shared accept queue is then served by the worker alone.
import { connect, createServer, type Server, type Socket } from 'node:net';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterStore } from '../../cluster/index.js';
import { Mesh } from '../../mesh/index.js';
import { until } from '../support/until.js';
import { vipSnapshot, type VipAppSpec } from '../support/vip-cluster.js';

const logger = pino({ level: 'silent' });
const backends: { server: Server; port: number; sockets: Set<Socket> }[] = [];
let store: ClusterStore;
let mesh: Mesh;
let registry: Registry;
const held: Socket[] = [];

async function backend() {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.write(`hello from ${(server.address() as { port: number }).port}\n`);
    socket.pipe(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const b = { server, port: (server.address() as { port: number }).port, sockets };
  backends.push(b);
  return b;
}

const app = (ports: number[], vip = '/work:18050'): VipAppSpec => ({ id: '/work', labels: { VIP_0: vip }, tasks: ports.map((port) => ({ port })) });
async function publish(apps: VipAppSpec[]): Promise<void> {
  store.publish(await vipSnapshot(apps));
  await mesh.settled();
  // A stats round trip: the workers have handled every message sent before it.
  await mesh.refreshStats();
}
const vip = () => mesh.table!.vips[0]!;

/** `n` clients connected while this process (the primary) is busy: the worker accepts them. Resolves with their greetings. */
async function throughWorker(n: number): Promise<{ sockets: Socket[]; lines: string[] }> {
  const before = mesh.connections().length;
  const sockets = Array.from({ length: n }, () => connect({ host: vip().address, port: vip().port }));
  held.push(...sockets);
  const lines = Promise.all(
    sockets.map(
      (s) =>
        new Promise<string>((resolve, reject) => {
          let text = '';
          s.on('error', reject);
          s.on('data', (d: Buffer) => {
            text += d.toString();
            if (text.includes('\n')) resolve(text.split('\n')[0]!);
          });
        }),
    ),
  );
  // Right after the connects (queued as next-ticks by connect()), before this loop polls again: it is
  // held while the kernel completes them and the worker accepts them. Blocked, not spinning: a busy loop
  // took a core from the processes it waits for.
  await new Promise<void>((resolve) =>
    process.nextTick(() => {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 400);
      resolve();
    }),
  );
  const got = await lines;
  expect(mesh.connections().length).toBe(before);
  return { sockets, lines: got };
}

/**
 * throughWorker, tried again (up to five times) when the primary took a connection after all: a loaded
 * machine can leave the worker unscheduled for the whole hold. `made`: every connection of every try
 * (each is counted in the VIP's totals, whoever accepted it).
 */
async function throughWorkerRetried(n: number): Promise<{ lines: string[]; made: number }> {
  for (let attempt = 1; ; attempt++) {
    try {
      return { lines: (await throughWorker(n)).lines, made: attempt * n };
    } catch (error) {
      if (attempt === 5) throw error;
    }
  }
}

let a: Awaited<ReturnType<typeof backend>>;
let b: Awaited<ReturnType<typeof backend>>;
beforeAll(async () => {
  a = await backend();
  b = await backend();
  store = new ClusterStore({ staleAfterMs: 60_000, unusableAfterMs: 120_000, logger });
  registry = new Registry();
  mesh = new Mesh({
    feed: store, vipRange: '127.11.0.0/16', balance: 'round-robin', connectTimeoutMs: 2000, failureBackoffMs: 1000, drainTimeoutMs: 0, logger, registry, workers: 2,
  });
  mesh.start();
  await publish([app([a.port, b.port])]);
  expect(await mesh.workers()).toHaveLength(1);
});

afterAll(async () => {
  for (const s of held) s.destroy();
  await mesh.close();
  for (const x of backends) {
    for (const s of x.sockets) s.destroy();
    await new Promise((resolve) => x.server.close(resolve));
  }
});

describe('mesh workers', () => {
  it('a worker accepts from the VIP socket and balances over both backends', async () => {
    const { lines } = await throughWorker(4);
    expect(new Set(lines)).toEqual(new Set([`hello from ${a.port}`, `hello from ${b.port}`]));
  });

  it("counts the worker's connections in /metrics and the VIP status", async () => {
    const ownBefore = mesh.connections().length;
    await mesh.refreshStats();
    const total = () => mesh.status()[0]!.backends.reduce((n, x) => n + x.connections, 0);
    const before = total();
    await throughWorker(3);
    await mesh.refreshStats();
    expect(total()).toBe(before + 3);
    expect(mesh.status()[0]!.backends.reduce((n, x) => n + x.active, 0)).toBe(ownBefore + held.length);
    const metrics = await registry.metrics();
    const counted = [...metrics.matchAll(/^gatehouse_mesh_connections_total\{vip="[^"]+",backend="[^"]+"\} (\d+)$/gm)].reduce((n, m) => n + Number(m[1]), 0);
    expect(counted).toBe(before + 3);
  });

  it('a new table reaches the workers: a removed backend gets no new connections there, its open ones drain', async () => {
    const { sockets, lines } = await throughWorker(2);
    const onB = sockets[lines.indexOf(`hello from ${b.port}`)]!;
    await publish([app([a.port])]);
    const { lines: after } = await throughWorker(4);
    expect(after).toEqual(Array(4).fill(`hello from ${a.port}`));
    const echoed = new Promise<string>((resolve) => onB.once('data', (d: Buffer) => resolve(d.toString())));
    onB.write('still there\n');
    expect(await echoed).toBe('still there\n');
    await publish([app([a.port, b.port])]);
  });

  it("a new table does not start the worker's rotation over: one connection at a time, a snapshot between each, alternate", async () => {
    // A connection the primary took after all is tried again: the primary's picks are its own turn, not the worker's.
    const seen: string[] = [];
    for (let i = 0; i < 4; i++) {
      seen.push(...(await throughWorkerRetried(1)).lines);
      // A change elsewhere in the cluster: every VIP's pool is built again, in the worker too.
      await publish([app([a.port, b.port]), { id: '/elsewhere', labels: {}, tasks: [{ port: 40_000 + i }] }]);
    }
    await publish([app([a.port, b.port])]);
    expect(new Set(seen)).toEqual(new Set([`hello from ${a.port}`, `hello from ${b.port}`]));
    expect(seen.slice(1).filter((line, i) => line === seen[i]), seen.join(', ')).toEqual([]);
  });

  it('a worker that dies is replaced, serves every VIP again, and its counters are kept', async () => {
    await mesh.refreshStats();
    const connectionsBefore = mesh.status()[0]!.backends.reduce((n, x) => n + x.connections, 0);
    const [pid] = await mesh.workers();
    process.kill(pid!, 'SIGKILL');
    const [replacement] = await until(async () => mesh.workers(), (pids) => pids.length === 1 && pids[0] !== pid);
    expect(replacement).not.toBe(pid);
    const { lines, made } = await throughWorkerRetried(2);
    expect(lines).toHaveLength(2);
    await mesh.refreshStats();
    expect(mesh.status()[0]!.backends.reduce((n, x) => n + x.connections, 0)).toBe(connectionsBefore + made);
  });
});
