// The layer-4 mesh in process: a real ClusterStore fed Marathon-format snapshots, real backends on
// 127.0.0.1, real TCP clients connecting to the VIP addresses on the loopback.
import { spawn } from 'node:child_process';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ClusterStore } from '../../cluster/index.js';
import { Mesh, type MeshOptions } from '../../mesh/index.js';
import { refusedPorts } from '../support/refused-port.js';
import { tiedToWorker } from '../support/tied-to-worker.js';
import { until } from '../support/until.js';
import { vipSnapshot, type VipAppSpec } from '../support/vip-cluster.js';

const logger = pino({ level: 'silent' });

interface Backend {
  readonly server: Server;
  readonly port: number;
  readonly sockets: Set<Socket>;
  accepted: number;
}

/** A backend that greets each connection with its port, then echoes. */
async function echoBackend(options: { read?: boolean } = {}): Promise<Backend> {
  const sockets = new Set<Socket>();
  const backend = { sockets, accepted: 0 } as Backend & { server: Server; port: number };
  const server = createServer((socket) => {
    backend.accepted++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    if (options.read === false) {
      socket.pause();
      return;
    }
    socket.write(`hello from ${backend.port}\n`);
    socket.pipe(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  Object.assign(backend, { server, port: (server.address() as { port: number }).port });
  return backend;
}

async function closeBackend(b: Backend): Promise<void> {
  for (const s of b.sockets) s.destroy();
  await new Promise((resolve) => b.server.close(resolve));
}

/** The next data on a socket, or `closed` when it closes first. */
function nextData(socket: Socket): Promise<string> {
  return new Promise((resolve) => {
    socket.once('data', (d: Buffer) => resolve(d.toString()));
    socket.once('close', () => resolve('closed'));
  });
}

/** Connects and reads the first line (the backend's greeting). */
function greet(host: string, port: number): Promise<{ socket: Socket; line: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    let text = '';
    socket.on('error', reject);
    socket.on('data', function onData(chunk: Buffer) {
      text += chunk.toString();
      const nl = text.indexOf('\n');
      if (nl >= 0) {
        socket.off('data', onData);
        resolve({ socket, line: text.slice(0, nl) });
      }
    });
  });
}

async function greetOnce(host: string, port: number): Promise<string> {
  const { socket, line } = await greet(host, port);
  socket.destroy();
  return line;
}

function harness(options: Partial<MeshOptions> = {}) {
  const store = new ClusterStore({ staleAfterMs: 60_000, unusableAfterMs: 120_000, logger });
  const registry = new Registry();
  const mesh = new Mesh({
    feed: store,
    vipRange: '127.11.0.0/16',
    balance: 'round-robin',
    connectTimeoutMs: 2000,
    failureBackoffMs: 30_000,
    drainTimeoutMs: 0,
    logger,
    registry,
    ...options,
  });
  mesh.start();
  const publish = async (apps: VipAppSpec[]) => {
    store.publish(await vipSnapshot(apps));
    await mesh.settled();
  };
  const address = (name: string) => {
    const vip = mesh.table?.vips.find((v) => v.name === name || v.key.includes(name));
    if (!vip) throw new Error(`no VIP ${name}`);
    return vip;
  };
  return { store, mesh, registry, publish, address };
}

const backends: Backend[] = [];
const meshes: Mesh[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(meshes.splice(0).map((m) => m.close()));
});
afterAll(async () => {
  await Promise.all(backends.map(closeBackend));
});

let a: Backend;
let b: Backend;
beforeAll(async () => {
  a = await echoBackend();
  b = await echoBackend();
  backends.push(a, b);
});

const hello = (ports: number[], vip = '/hello:18000'): VipAppSpec => ({ id: '/hello', labels: { VIP_0: vip }, tasks: ports.map((port) => ({ port })) });

describe('mesh', () => {
  it('a named VIP reaches both tasks, round robin, and counts per VIP and backend', async () => {
    const h = harness();
    meshes.push(h.mesh);
    await h.publish([hello([a.port, b.port])]);
    const vip = h.address('hello.marathon.l4lb.thisdcos.directory');
    const seen: string[] = [];
    for (let i = 0; i < 4; i++) seen.push(await greetOnce(vip.address, vip.port));
    expect(new Set(seen)).toEqual(new Set([`hello from ${a.port}`, `hello from ${b.port}`]));
    expect(seen[0]).not.toBe(seen[1]);
    const metrics = await h.registry.metrics();
    expect(metrics).toContain(`gatehouse_mesh_connections_total{vip="${vip.key}",backend="127.0.0.1:${a.port}"} 2`);
    expect(metrics).toMatch(/gatehouse_mesh_bytes_total\{vip="[^"]+",backend="127.0.0.1:\d+",direction="to_client"\} \d+/);
  });

  // A new snapshot builds every VIP's pool again (any change in the cluster: another app's task, a
  // status). Round robin must go on where it was, not start over at the first backend each time: in a
  // busy cluster most connections would go to one task.
  it('round robin goes on across snapshots, whether they change the VIP or not', async () => {
    const h = harness();
    meshes.push(h.mesh);
    const other = (n: number): VipAppSpec => ({ id: '/other', labels: { VIP_0: '/other:18009' }, tasks: Array.from({ length: n }, () => ({ port: a.port })) });
    await h.publish([hello([a.port, b.port], '/rr:18008'), other(1)]);
    const vip = h.address('rr.marathon');
    const seen: string[] = [];
    for (let round = 2; round <= 5; round++) {
      seen.push(await greetOnce(vip.address, vip.port));
      await h.publish([hello([a.port, b.port], '/rr:18008'), other(round)]);
    }
    expect(seen).toEqual([0, 1, 2, 3].map((i) => (i % 2 === 0 ? seen[0] : seen[1])));
    expect(new Set(seen).size).toBe(2);
    // A backend added at the end of the order: the rotation goes on after the last picked, through it.
    const c = await echoBackend();
    backends.push(c);
    const order = [a, b, c].map((x) => `hello from ${x.port}`);
    const last = order.indexOf(seen.at(-1)!);
    await h.publish([hello([a.port, b.port, c.port], '/rr:18008'), other(1)]);
    const next: string[] = [];
    for (let i = 0; i < 3; i++) next.push(await greetOnce(vip.address, vip.port));
    expect(next).toEqual([1, 2, 3].map((i) => order[(last + i) % 3]));
  });

  // A named VIP's address moves when another app declares an IP VIP on that address inside
  // mesh.vipRange (IP VIPs keep their address; the named one takes the next free one). Its listener is
  // then built again on the new address, and the rotation goes on there too.
  it('round robin goes on when a named VIP moves to another address', async () => {
    const h = harness();
    meshes.push(h.mesh);
    await h.publish([hello([a.port, b.port], '/mover:18010')]);
    const before = h.address('mover.marathon');
    const first = await greetOnce(before.address, before.port);
    const claim: VipAppSpec = { id: '/claim', labels: { VIP_0: `${before.address}:18011` }, tasks: [{ port: a.port }] };
    await h.publish([hello([a.port, b.port], '/mover:18010'), claim]);
    const after = h.address('mover.marathon');
    expect(after.key).toBe(before.key);
    expect(after.address).not.toBe(before.address);
    const next = [await greetOnce(after.address, after.port), await greetOnce(after.address, after.port)];
    const other = first === `hello from ${a.port}` ? `hello from ${b.port}` : `hello from ${a.port}`;
    expect([first, ...next]).toEqual([first, other, first]);
  });

  it('least connections sends a new connection to the idle backend', async () => {
    const h = harness({ balance: 'least-connections' });
    meshes.push(h.mesh);
    await h.publish([hello([a.port, b.port], '/lc:18001')]);
    const vip = h.address('lc.marathon');
    const first = await greet(vip.address, vip.port);
    const second = await greet(vip.address, vip.port);
    sockets.push(first.socket, second.socket);
    expect(second.line).not.toBe(first.line);
    // The second closes: its backend is idle again, the first's is not. Round robin would now pick
    // the first's backend; least connections picks the idle one.
    second.socket.destroy();
    await until(async () => h.mesh.connections().length, (n) => n === 1);
    expect(await greetOnce(vip.address, vip.port)).toBe(second.line);
  });

  it('a refused connect is retried on another backend in the same client connection, and the backend is skipped after', async () => {
    const h = harness();
    meshes.push(h.mesh);
    const [dead] = (await refusedPorts(1)) as [number];
    await h.publish([hello([dead, a.port], '/retry:18002')]);
    const vip = h.address('retry.marathon');
    const lines = [];
    for (let i = 0; i < 4; i++) lines.push(await greetOnce(vip.address, vip.port));
    expect(lines).toEqual(Array(4).fill(`hello from ${a.port}`));
    const failures = h.mesh.status()[0]!.backends.find((x) => x.port === dead)!.failures;
    expect(failures).toBe(1);
  });

  it('a connect that times out is retried on another backend in the same client connection', async () => {
    // A backend whose accept queue is full: a process that listens with a backlog of 1 and never
    // runs its event loop again, so the kernel drops further SYNs and a connect hangs.
    const child = spawn(...tiedToWorker(process.execPath, [
      '-e',
      "const s=require('net').createServer();s.listen({port:0,host:'127.0.0.1',backlog:1},()=>{console.log(s.address().port);const t=Date.now();while(Date.now()-t<20000);process.exit(0)})",
    ]));
    try {
      const port = await new Promise<number>((resolve) => child.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))));
      const filler = Array.from({ length: 4 }, () => connect({ host: '127.0.0.1', port }).on('error', () => undefined));
      sockets.push(...filler);
      const h = harness({ connectTimeoutMs: 300 });
      meshes.push(h.mesh);
      await h.publish([hello([port, a.port], '/slow:18008')]);
      const vip = h.address('slow.marathon');
      expect(await greetOnce(vip.address, vip.port)).toBe(`hello from ${a.port}`);
      expect(h.mesh.status()[0]!.backends.find((x) => x.port === port)!.failures).toBe(1);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('a task that leaves the snapshot gets no new connections at once; its open connection drains', async () => {
    const h = harness();
    meshes.push(h.mesh);
    await h.publish([hello([a.port, b.port], '/drain:18003')]);
    const vip = h.address('drain.marathon');
    // Hold one connection to each backend.
    const held = [await greet(vip.address, vip.port), await greet(vip.address, vip.port)];
    sockets.push(...held.map((x) => x.socket));
    const onB = held.find((x) => x.line === `hello from ${b.port}`)!;
    await h.publish([hello([a.port], '/drain:18003')]);
    for (let i = 0; i < 6; i++) expect(await greetOnce(vip.address, vip.port)).toBe(`hello from ${a.port}`);
    // The connection to the removed task still works both ways.
    const echoed = nextData(onB.socket);
    onB.socket.write('still there\n');
    expect(await echoed).toBe('still there\n');
  });

  it('the drain timeout cuts a connection to a removed task', async () => {
    const h = harness({ drainTimeoutMs: 200 });
    meshes.push(h.mesh);
    await h.publish([hello([a.port], '/cut:18004')]);
    const vip = h.address('cut.marathon');
    const held = await greet(vip.address, vip.port);
    sockets.push(held.socket);
    const closed = new Promise<void>((resolve) => held.socket.once('close', () => resolve()));
    await h.publish([hello([b.port], '/cut:18004')]);
    await closed;
    expect(await greetOnce(vip.address, vip.port)).toBe(`hello from ${b.port}`);
  });

  it('a long-lived connection survives a new snapshot of the same VIP and an unrelated app\'s change', async () => {
    const h = harness();
    meshes.push(h.mesh);
    const other = (port: number): VipAppSpec => ({ id: '/other', labels: { VIP_0: '/other:18006' }, tasks: [{ port }] });
    await h.publish([hello([a.port], '/long:18005'), other(b.port)]);
    const vip = h.address('long.marathon');
    const held = await greet(vip.address, vip.port);
    sockets.push(held.socket);
    await h.publish([hello([a.port], '/long:18005'), other(b.port)]);
    await h.publish([hello([a.port], '/long:18005')]);
    await h.publish([hello([a.port], '/long:18005'), other(a.port)]);
    const echoed = nextData(held.socket);
    held.socket.write('ping\n');
    expect(await echoed).toBe('ping\n');
    expect(held.socket.destroyed).toBe(false);
  });

  it('a backend that accepts and never reads does not make Gatehouse buffer without bound', async () => {
    const stuck = await echoBackend({ read: false });
    backends.push(stuck);
    const h = harness();
    meshes.push(h.mesh);
    await h.publish([{ id: '/stuck', labels: { VIP_0: '/stuck:18007' }, tasks: [{ port: stuck.port }] }]);
    const vip = h.address('stuck.marathon');
    const socket = connect({ host: vip.address, port: vip.port });
    sockets.push(socket);
    await new Promise((resolve) => socket.once('connect', resolve));
    // Write until the client's own buffer holds 32 MiB: everything beyond the kernel's buffers and
    // Gatehouse's share must be waiting on the client's side.
    const chunk = Buffer.alloc(1 << 20, 120);
    while (socket.writableLength < 32 << 20) socket.write(chunk);
    const connection = await until(async () => h.mesh.connections()[0], (c) => c !== undefined && c.client.isPaused());
    expect(connection!.client.isPaused()).toBe(true);
    // Half a second more of the client pushing: what Gatehouse holds must not grow with it.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const settledBuffered = connection!.buffered;
    expect(settledBuffered).toBeLessThan(1 << 20);
    const sent = h.mesh.status()[0]!.backends[0]!.bytesToBackend;
    expect(sent).toBeLessThan(16 << 20);
  });

  const badOptions: [string, Partial<MeshOptions>, string][] = [
    ['a range that is not a CIDR', { vipRange: '127.11.0.0' }, 'mesh.vipRange "127.11.0.0" is not an IPv4 range (a.b.c.d/prefix)'],
    ['a zero connect timeout', { connectTimeoutMs: 0 }, 'mesh.connectTimeout must be longer than 0 (got 0 ms)'],
  ];
  for (const [name, options, message] of badOptions) {
    it(`refuses ${name} (ERR_MESH_CONFIG)`, () => {
      expect(() => harness(options)).toThrow(expect.objectContaining({ code: 'ERR_MESH_CONFIG', message }));
    });
  }

  it('two instances on the same state compute the same VIP addresses', async () => {
    const apps: VipAppSpec[] = ['alpha', 'beta', 'gamma', 'delta'].map((n, i) => ({
      id: `/${n}`,
      labels: { VIP_0: `/${n}:${18010 + i}` },
      tasks: [{ port: a.port }],
    }));
    const one = harness();
    const two = harness();
    meshes.push(one.mesh, two.mesh);
    // The second sees the apps in another order (and cannot bind what the first holds: its table is
    // computed all the same, which is what every node of a cluster does).
    await one.publish(apps);
    await two.publish([...apps].reverse());
    const addressesOf = (m: Mesh) => Object.fromEntries((m.table?.vips ?? []).map((v) => [v.key, v.address]));
    expect(Object.keys(addressesOf(one.mesh))).toHaveLength(4);
    expect(addressesOf(two.mesh)).toEqual(addressesOf(one.mesh));
    expect(new Set(Object.values(addressesOf(one.mesh))).size).toBe(4);
  });
});
