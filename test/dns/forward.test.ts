// Names outside the zone go verbatim to the upstream resolvers (as Mesos-DNS forwards): tried in
// order, same transport as the client, first answer wins, none -> REFUSED, all failing -> SERVFAIL,
// the reply relayed as is and then cut to the client's size. Upstreams are stub servers here.
import { createSocket, type Socket } from 'node:dgram';
import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { DnsServer } from '../../dns/index.js';
import { dig } from '../support/dig.js';
import { countsOf, query, rcodeOf, sendUdp } from '../support/dns-client.js';
import { startDnsServer } from '../support/dns-server.js';
import type { RecordSet } from '../../dns/index.js';

const servers: DnsServer[] = [];
const stubs: (Socket | Server)[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
  for (const s of stubs.splice(0)) s.close();
});

const web = { a: ['10.0.0.1'], aaaa: [], srv: [] };
const zoneRecords: RecordSet = {
  names: new Map([['web.marathon.mesos.', web]]),
  a: new Map([['web.marathon.mesos.', web.a]]),
  aaaa: new Map(),
  srv: new Map(),
  enumerate: () => [],
};

async function start(resolvers: { host: string; port: number }[], options: Parameters<typeof startDnsServer>[1] = {}) {
  const started = await startDnsServer(zoneRecords, { resolvers, resolverTimeoutMs: 300, ...options });
  servers.push(started.server);
  return started;
}

/** A reply to `msg`: its header and question, then `count` A records (10.0.0.i), and an OPT when `opt` is set. */
function stubReply(msg: Buffer, count: number, opt = 0): Buffer {
  let end = 12;
  while (msg[end] !== 0) end += msg[end]! + 1;
  end += 5;
  const rrs = Array.from({ length: count }, (_, i) => Buffer.from([0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 30, 0, 4, 10, 0, i >> 8, i & 255]));
  const optRr = opt ? [Buffer.from([0, 0, 41, opt >> 8, opt & 255, 0, 0, 0, 0, 0, 0])] : [];
  const reply = Buffer.concat([msg.subarray(0, end), ...rrs, ...optRr]);
  reply[2] = 0x80 | (msg[2]! & 0x01);
  reply[3] = 0x80;
  reply.writeUInt16BE(count, 6);
  reply.writeUInt16BE(0, 8);
  reply.writeUInt16BE(optRr.length, 10);
  return reply;
}

interface StubOptions { count?: number; opt?: number; silent?: boolean; wrongId?: boolean }

async function udpStub(options: StubOptions = {}): Promise<{ port: number; seen: Buffer[] }> {
  const socket = createSocket('udp4');
  stubs.push(socket);
  const seen: Buffer[] = [];
  socket.on('message', (msg, rinfo) => {
    seen.push(Buffer.from(msg));
    if (options.silent) return;
    const reply = stubReply(msg, options.count ?? 1, options.opt);
    if (options.wrongId) reply.writeUInt16BE(msg.readUInt16BE(0) ^ 0xffff, 0);
    socket.send(reply, rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
  return { port: socket.address().port, seen };
}

async function tcpStub(count = 1): Promise<{ port: number; seen: Buffer[] }> {
  const seen: Buffer[] = [];
  const server = createServer((socket) => {
    socket.once('data', (data) => {
      const msg = data.subarray(2, 2 + data.readUInt16BE(0));
      seen.push(Buffer.from(msg));
      const reply = stubReply(msg, count);
      socket.end(Buffer.concat([Buffer.from([reply.length >> 8, reply.length & 255]), reply]));
    });
  });
  stubs.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { port: (server.address() as { port: number }).port, seen };
}

async function deadPort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
  const port = socket.address().port;
  socket.close();
  return port;
}

const at = (port: number) => ({ host: '127.0.0.1', port });

describe('forwarding', () => {
  it('no resolvers: REFUSED, header from the request, RA off', async () => {
    const { port } = await start([]);
    const reply = (await sendUdp(port, query('example.com', 1, { id: 4242, flags: 0x0100 })))!;
    expect(rcodeOf(reply)).toBe(5);
    expect(reply.readUInt16BE(0)).toBe(4242);
    expect(reply[3]! & 0x80).toBe(0);
    expect(reply[2]! & 0x01).toBe(1);
  });

  it('the request goes upstream byte for byte, the reply comes back as the upstream sent it', async () => {
    const upstream = await udpStub({ count: 2 });
    const { port } = await start([at(upstream.port)]);
    const request = query('example.com', 1, { id: 999, edns: 1232 });
    const reply = (await sendUdp(port, request))!;
    expect(upstream.seen[0]!.equals(request)).toBe(true);
    expect(reply.equals(stubReply(request, 2))).toBe(true);
  });

  it('first resolver silent, second answers', async () => {
    const silent = await udpStub({ silent: true });
    const upstream = await udpStub();
    const { port } = await start([at(silent.port), at(upstream.port)]);
    const r = await dig(port, 'example.com', 'A', ['+time=3']);
    expect(r.status).toBe('NOERROR');
    expect(silent.seen).toHaveLength(1);
  });

  it('first resolver refuses the connection (nothing listening), second answers', async () => {
    const upstream = await udpStub();
    const { port } = await start([at(await deadPort()), at(upstream.port)]);
    expect((await dig(port, 'example.com', 'A', ['+time=3'])).answer).toHaveLength(1);
  });

  it('a reply with another ID is not taken as the answer', async () => {
    const liar = await udpStub({ wrongId: true });
    const upstream = await udpStub();
    const { port } = await start([at(liar.port), at(upstream.port)]);
    expect((await dig(port, 'example.com', 'A', ['+time=3'])).answer).toHaveLength(1);
    expect(liar.seen).toHaveLength(1);
  });

  it('every resolver failing: SERVFAIL', async () => {
    const { port } = await start([at(await deadPort()), at((await udpStub({ silent: true })).port)]);
    expect((await dig(port, 'example.com', 'A', ['+time=3'])).status).toBe('SERVFAIL');
  });

  it('TCP from the client goes upstream over TCP', async () => {
    const upstream = await tcpStub(3);
    const { port } = await start([at(upstream.port)]);
    const r = await dig(port, 'example.com', 'A', ['+tcp']);
    expect(r.answer).toHaveLength(3);
    expect(upstream.seen).toHaveLength(1);
  });

  it('forwarding keeps working while the zone is withdrawn (gatehouse mode)', async () => {
    const upstream = await udpStub();
    const { server, port } = await start([at(upstream.port)]);
    server.setUnavailable('snapshot too old');
    expect((await dig(port, 'web.marathon.mesos', 'A')).status).toBe('SERVFAIL');
    expect((await dig(port, 'example.com', 'A')).status).toBe('NOERROR');
  });

  it('a zone resolver takes its zone; other names go to the default resolvers', async () => {
    const corp = await udpStub({ count: 2 });
    const fallback = await udpStub({ count: 1 });
    const { port } = await start([at(fallback.port)], { zoneResolvers: [{ zone: 'corp.example', upstreams: [at(corp.port)] }] });
    expect((await dig(port, 'db.CORP.example', 'A')).answer).toHaveLength(2);
    expect((await dig(port, 'example.com', 'A')).answer).toHaveLength(1);
  });
});

describe('size of relayed replies', () => {
  const cases: { name: string; mode: 'mesos-dns' | 'gatehouse'; edns: number; opt: number; truncated: boolean }[] = [
    { name: 'mesos-dns mode, upstream reply without OPT: cut at 512', mode: 'mesos-dns', edns: 0, opt: 0, truncated: true },
    { name: 'mesos-dns mode, upstream reply with OPT 4096: kept (the limit is the reply\'s OPT)', mode: 'mesos-dns', edns: 4096, opt: 4096, truncated: false },
    { name: 'gatehouse mode, client without EDNS0: cut at 512', mode: 'gatehouse', edns: 0, opt: 0, truncated: true },
    { name: 'gatehouse mode, client with EDNS0 4096: kept', mode: 'gatehouse', edns: 4096, opt: 4096, truncated: false },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const upstream = await udpStub({ count: 60, opt: c.opt });
      const { port } = await start([at(upstream.port)], { mode: c.mode });
      const reply = (await sendUdp(port, query('example.com', 1, c.edns ? { edns: c.edns } : {})))!;
      expect(reply.length).toBeLessThanOrEqual(c.truncated ? 511 : 4096);
      expect((reply[2]! >> 1) & 1).toBe(c.truncated ? 1 : 0);
      expect(countsOf(reply).an).toBe(c.truncated ? Math.floor((511 - 29) / 16) : 60);
    });
  }
});
