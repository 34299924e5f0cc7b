// How the mesh forwards bytes: byte for byte both ways (its backend side reads into a reused buffer,
// which must never be overwritten while a write of it is still queued), backpressure both ways,
// half-closes passed on, and byte counters that include connections still open. Real sockets on
// 127.0.0.1, a real ClusterStore, ports chosen by the kernel.
import { createHash } from 'node:crypto';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterStore } from '../../cluster/index.js';
import { Mesh } from '../../mesh/index.js';
import { until } from '../support/until.js';
import { vipSnapshot } from '../support/vip-cluster.js';

const logger = pino({ level: 'silent' });
const MiB = 1 << 20;

/** Deterministic bytes that differ chunk to chunk, so a chunk overwritten by a later one shows in the hash. */
function pattern(size: number, seed: number): Buffer {
  const out = Buffer.allocUnsafe(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out.writeUInt32LE(x >>> 0, i);
  }
  return out;
}
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

type Behaviour = (socket: Socket) => void;
let behaviour: Behaviour = () => undefined;
let server: Server;
let mesh: Mesh;
let registry: Registry;
let vip: { address: string; port: number; key: string };
const open = new Set<Socket>();

beforeAll(async () => {
  server = createServer({ allowHalfOpen: true }, (socket) => {
    open.add(socket);
    socket.on('close', () => open.delete(socket));
    socket.on('error', () => undefined);
    behaviour(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const store = new ClusterStore({ staleAfterMs: 60_000, unusableAfterMs: 120_000, logger });
  registry = new Registry();
  mesh = new Mesh({
    feed: store, vipRange: '127.11.0.0/16', balance: 'round-robin', connectTimeoutMs: 2000, failureBackoffMs: 1000, drainTimeoutMs: 0, logger, registry,
  });
  mesh.start();
  store.publish(await vipSnapshot([{ id: '/fwd', labels: { VIP_0: '/fwd:18040' }, tasks: [{ port }] }]));
  await mesh.settled();
  vip = mesh.table!.vips[0]!;
});

afterAll(async () => {
  await mesh.close();
  for (const s of open) s.destroy();
  await new Promise((resolve) => server.close(resolve));
});

function client(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: vip.address, port: vip.port, allowHalfOpen: true });
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Everything a socket reads until its end; `slow`: reading stops for a moment every few chunks. */
function readAll(socket: Socket, slow = false): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let n = 0;
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      if (slow && ++n % 4 === 0) {
        socket.pause();
        setTimeout(() => socket.resume(), 5);
      }
    });
    socket.once('end', () => resolve(Buffer.concat(chunks)));
    socket.once('error', reject);
  });
}

/** Writes `data` in pieces of `size`, a few per turn of the event loop, then ends. */
function trickle(socket: Socket, data: Buffer, size: number): void {
  let offset = 0;
  const step = () => {
    if (socket.destroyed) return;
    for (let i = 0; i < 8 && offset < data.length; i++, offset += size) socket.write(data.subarray(offset, offset + size));
    if (offset < data.length) setImmediate(step);
    else socket.end();
  };
  step();
}

describe('mesh forwarding', () => {
  const transfers: { name: string; direction: 'download' | 'upload'; size: number; slow: boolean; pieces?: number }[] = [
    // Small reads on the mesh's side while the client's buffers are full: writes that leave a few bytes
    // queued (too few to stop reading) must not have their buffer read into again.
    { name: 'an 8 MiB download sent in 1,500-byte pieces to a client that reads only once the mesh queues', direction: 'download', size: 8 * MiB, slow: false, pieces: 1500 },
    { name: 'an 8 MiB download read at full speed', direction: 'download', size: 8 * MiB, slow: false },
    { name: 'an 8 MiB download read slowly (writes to the client queue)', direction: 'download', size: 8 * MiB, slow: true },
    { name: 'an 8 MiB upload read slowly by the backend', direction: 'upload', size: 8 * MiB, slow: true },
    { name: 'a 100-byte answer', direction: 'download', size: 100, slow: false },
  ];
  for (const t of transfers) {
    it(`forwards ${t.name} byte for byte`, async () => {
      const data = pattern(t.size, t.size + (t.slow ? 7 : 3));
      const received = new Promise<Buffer>((resolve) => {
        behaviour = (socket) => {
          if (t.direction === 'download' && t.pieces) trickle(socket, data, t.pieces);
          else if (t.direction === 'download') socket.end(data);
          else void readAll(socket, t.slow).then((b) => (socket.end(), resolve(b)));
        };
      });
      const earlier = new Set(mesh.connections());
      const socket = await client();
      if (t.pieces) {
        socket.pause();
        await until(async () => mesh.connections().find((c) => !earlier.has(c))?.client.writableLength ?? 0, (n) => n > 0);
        socket.resume();
      }
      if (t.direction === 'download') {
        const got = await readAll(socket, t.slow);
        socket.end();
        expect(got.length).toBe(data.length);
        expect(sha(got)).toBe(sha(data));
      } else {
        socket.end(data);
        const got = await received;
        expect(got.length).toBe(data.length);
        expect(sha(got)).toBe(sha(data));
      }
    });
  }

  const stalls: { name: string; side: 'client' | 'backend' }[] = [
    { name: 'a client that never reads what the backend sends', side: 'client' },
    { name: 'a backend that never reads what the client sends', side: 'backend' },
  ];
  for (const s of stalls) {
    it(`holds a bounded amount for ${s.name}`, async () => {
      const chunk = Buffer.alloc(MiB, 120);
      let backendSocket: Socket | null = null;
      behaviour = (socket) => {
        backendSocket = socket;
        if (s.side === 'backend') socket.pause();
        else while (socket.writableLength < 64 * MiB) socket.write(chunk);
      };
      const earlier = new Set(mesh.connections());
      const socket = await client();
      if (s.side === 'client') socket.pause();
      else while (socket.writableLength < 64 * MiB) socket.write(chunk);
      const connection = await until(
        async () => mesh.connections().find((c) => !earlier.has(c) && c.upstream?.readyState === 'open'),
        (c) => c !== undefined,
      );
      const writer = await until(async () => (s.side === 'client' ? backendSocket : socket), (w) => w !== null);
      // The writer keeps pushing for half a second: what Gatehouse holds stays bounded, the rest waits
      // at the writer (beyond the four kernel socket buffers on the way).
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(connection!.buffered).toBeLessThan(4 * MiB);
      expect(writer!.writableLength).toBeGreaterThan(32 * MiB);
      socket.destroy();
    });
  }

  const halfCloses: { name: string; first: 'client' | 'backend' }[] = [
    { name: 'the client ends its side first: the backend sees the end and still answers', first: 'client' },
    { name: 'the backend ends its side first: the client can still send to it', first: 'backend' },
  ];
  for (const h of halfCloses) {
    it(`passes a half-close on: ${h.name}`, async () => {
      const backendGot = new Promise<string>((resolve) => {
        behaviour = (socket) => {
          if (h.first === 'backend') socket.end('bye\n');
          void readAll(socket).then((b) => {
            if (h.first === 'client') socket.end(`got ${b.toString()}`);
            resolve(b.toString());
          });
        };
      });
      const socket = await client();
      const answer = readAll(socket);
      if (h.first === 'client') {
        socket.end('question');
        expect((await answer).toString()).toBe('got question');
      } else {
        expect((await answer).toString()).toBe('bye\n');
        socket.end('after your end');
        expect(await backendGot).toBe('after your end');
      }
      await new Promise((resolve) => (socket.destroyed ? resolve(undefined) : socket.once('close', resolve)));
    });
  }

  it('counts the bytes of connections still open in /metrics and status', async () => {
    behaviour = (socket) => socket.write(pattern(300_000, 9));
    const socket = await client();
    let read = 0;
    socket.on('data', (d: Buffer) => (read += d.length));
    await until(async () => read, (n) => n === 300_000);
    socket.write('x'.repeat(1000));
    const status = await until(
      async () => mesh.status()[0]!.backends[0]!,
      (b) => b.bytesToBackend >= 1000,
    );
    const before = status.bytesToClient;
    expect(before).toBeGreaterThanOrEqual(300_000);
    const metrics = await registry.metrics();
    const toClient = Number(new RegExp(`gatehouse_mesh_bytes_total\\{vip="${vip.key}",backend="[^"]+",direction="to_client"\\} (\\d+)`).exec(metrics)?.[1]);
    expect(toClient).toBe(before);
    socket.destroy();
  });
});
