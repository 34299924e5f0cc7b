// Wire behaviour with the real `dig`: truncation and TCP, EDNS0 per mode, SERVFAIL while the zone is
// withdrawn, swaps under load, and forwarding to upstream resolvers (local stub servers).
import { createSocket, type Socket } from 'node:dgram';
import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { buildRecordSet, type DnsServer, type RecordSet } from '../../dns/index.js';
import type { SnapshotData } from '../../cluster/index.js';
import { dig } from '../support/dig.js';
import { query, rcodeOf, sendUdp } from '../support/dns-client.js';
import { startDnsServer } from '../support/dns-server.js';

const servers: DnsServer[] = [];
const stubs: (Socket | Server)[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
  for (const s of stubs.splice(0)) s.close();
});

/** A snapshot with `count` running tasks of one app on distinct IPs: a big A answer. */
function bigApp(count: number, name = 'web'): SnapshotData {
  const agent = { id: 'agent-S0', hostname: 'a', pid: { raw: 'slave(1)@10.0.0.1:5051', host: '10.0.0.1', port: 5051, ips: ['10.0.0.1'] }, ips: ['10.0.0.1'], active: true, resources: {}, attributes: {} };
  const tasks = Array.from({ length: count }, (_, i) => ({
    id: `${name}.${i}`, name, frameworkId: 'fw', agentId: 'agent-S0', state: 'TASK_RUNNING', statuses: [], labels: [],
    resources: { cpus: 0, mem: 0, disk: 0, ports: [31000 + i] }, discovery: null,
    ips: { netinfo: [`10.1.${i >> 8}.${i & 255}`], docker: [], mesos: [], host: ['10.0.0.1'] }, health: 'unknown' as const, appId: null,
  }));
  return { fetchedAt: 0, source: { kind: 'file', origin: 't' }, clusterName: null, leader: null, masters: [], agents: [agent], frameworks: [{ id: 'fw', name: 'marathon', pid: null, hostname: '', ips: [], active: true, webuiUrl: null, tasks }], apps: [] };
}
const records = (snapshot: SnapshotData): RecordSet =>
  buildRecordSet(snapshot, { domain: 'mesos', ipSources: ['netinfo', 'host'], enforceRFC952: false, soaMname: 'ns1.mesos.', nsIps: ['127.0.0.1'] });

async function start(recordSet: RecordSet | null, options = {}) {
  const started = await startDnsServer(recordSet, options);
  servers.push(started.server);
  return started;
}

describe('size limits', () => {
  it('60 A records over UDP: TC set, answers trimmed to fit 512 bytes, no additional', async () => {
    const { port } = await start(records(bigApp(60)));
    const r = await dig(port, 'web.marathon.mesos', 'A', ['+ignore', '+noedns']);
    expect(r.flags).toContain('tc');
    expect(r.answer.length).toBeGreaterThan(10);
    expect(r.answer.length).toBeLessThan(60);
    const raw = await sendUdp(port, query('web.marathon.mesos'));
    expect(raw!.length).toBeLessThanOrEqual(512);
  });

  it('the same query over TCP is complete', async () => {
    const { port } = await start(records(bigApp(60)));
    const r = await dig(port, 'web.marathon.mesos', 'A', ['+tcp']);
    expect(r.flags).not.toContain('tc');
    expect(r.answer).toHaveLength(60);
  });

  it('gatehouse mode honours the EDNS0 buffer size and answers with an OPT record', async () => {
    const { port } = await start(records(bigApp(60)));
    const r = await dig(port, 'web.marathon.mesos', 'A', ['+bufsize=4096', '+ignore']);
    expect(r.flags).not.toContain('tc');
    expect(r.answer).toHaveLength(60);
    expect(r.raw).toContain('OPT PSEUDOSECTION');
  });

  it('mesos-dns mode caps UDP at 512 bytes even with EDNS0 (as Mesos-DNS does)', async () => {
    const { port } = await start(records(bigApp(60)), { mode: 'mesos-dns' });
    const r = await dig(port, 'web.marathon.mesos', 'A', ['+bufsize=4096', '+ignore']);
    expect(r.flags).toContain('tc');
    expect(r.raw).not.toContain('OPT PSEUDOSECTION');
  });

  it('SetTruncateBit false: trimmed but TC never set', async () => {
    const { port } = await start(records(bigApp(60)), { zone: { domain: 'mesos', ttl: 60, soaMname: 'ns1.mesos.', soaRname: 'root.ns1.mesos.', soaRefresh: 60, soaRetry: 600, soaExpire: 86400, srvWeight: 1, recurse: false, setTruncateBit: false } });
    const raw = await sendUdp(port, query('web.marathon.mesos'));
    expect(raw![2]! & 0x02).toBe(0);
    expect(raw!.length).toBeLessThanOrEqual(512);
  });

  it('answers rotate between queries so load spreads over the tasks', async () => {
    const { port } = await start(records(bigApp(3)));
    const firsts = new Set<string>();
    for (let i = 0; i < 6; i++) firsts.add((await dig(port, 'web.marathon.mesos', 'A')).answer[0]!.data);
    expect(firsts.size).toBeGreaterThan(1);
  });
});

describe('zone availability (gatehouse mode)', () => {
  it('SERVFAIL before any records, for names that exist and names that do not', async () => {
    const { port } = await start(null);
    for (const name of ['web.marathon.mesos', 'nothing.mesos']) expect((await dig(port, name, 'A')).status).toBe('SERVFAIL');
  });

  it('SERVFAIL while withdrawn, answers again when available', async () => {
    const { server, port } = await start(records(bigApp(2)));
    server.setUnavailable('too old');
    expect((await dig(port, 'web.marathon.mesos', 'A')).status).toBe('SERVFAIL');
    server.setUnavailable(null);
    expect((await dig(port, 'web.marathon.mesos', 'A')).answer).toHaveLength(2);
  });

  it('swapping record sets under load never drops or fails a query', async () => {
    const { server, port } = await start(records(bigApp(2)));
    let swapping = true;
    const swaps = (async () => {
      for (let i = 0; swapping && i < 200; i++) {
        server.setRecords(records(bigApp(2 + (i % 3))), 100 + i);
        await new Promise((r) => setImmediate(r));
      }
    })();
    const replies = await Promise.all(Array.from({ length: 200 }, (_, i) => sendUdp(port, query('web.marathon.mesos', 1, { id: i }), 2000)));
    swapping = false;
    await swaps;
    expect(replies.every((r) => r !== null && rcodeOf(r) === 0)).toBe(true);
  });
});

/** A reply to `msg` with one A record: header + the question only (the client's OPT dropped) + the answer. */
function stubReply(msg: Buffer, ip: number[]): Buffer {
  let end = 12;
  while (msg[end] !== 0) end += msg[end]! + 1;
  end += 5;
  const reply = Buffer.concat([msg.subarray(0, end), Buffer.from([0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 30, 0, 4, ...ip])]);
  reply[2] = 0x81;
  reply[3] = 0x80;
  reply.writeUInt16BE(1, 6);
  reply.writeUInt32BE(0, 8);
  return reply;
}

describe('forwarding names outside the zone', () => {
  /** A stub upstream: answers every query with one A record 1.1.1.1 (or never, when `silent`). */
  async function udpStub(silent = false): Promise<number> {
    const socket = createSocket('udp4');
    stubs.push(socket);
    socket.on('message', (msg, rinfo) => {
      if (silent) return;
      socket.send(stubReply(msg, [1, 1, 1, 1]), rinfo.port, rinfo.address);
    });
    await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
    return socket.address().port;
  }
  async function tcpStub(): Promise<number> {
    const server = createServer((socket) => {
      socket.once('data', (data) => {
        const msg = data.subarray(2, 2 + data.readUInt16BE(0));
        const reply = stubReply(msg, [2, 2, 2, 2]);
        socket.end(Buffer.concat([Buffer.from([reply.length >> 8, reply.length & 255]), reply]));
      });
    });
    stubs.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    return (server.address() as { port: number }).port;
  }
  const deadPort = async () => {
    const socket = createSocket('udp4');
    await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
    const port = socket.address().port;
    socket.close();
    return port;
  };

  it('no resolvers: REFUSED without RA', async () => {
    const { port } = await start(records(bigApp(1)));
    const r = await dig(port, 'example.com', 'A');
    expect(r.status).toBe('REFUSED');
    expect(r.flags).not.toContain('ra');
  });

  it('relays the upstream answer unchanged (AA off)', async () => {
    const upstream = await udpStub();
    const { port } = await start(records(bigApp(1)), { resolvers: [{ host: '127.0.0.1', port: upstream }] });
    const r = await dig(port, 'example.com', 'A');
    expect(r.status).toBe('NOERROR');
    expect(r.flags).not.toContain('aa');
    expect(r.answer.map((a) => a.data)).toEqual(['1.1.1.1']);
  });

  it('tries the next resolver when the first does not answer', async () => {
    const silent = await udpStub(true);
    const upstream = await udpStub();
    const { port } = await start(records(bigApp(1)), { resolvers: [{ host: '127.0.0.1', port: silent }, { host: '127.0.0.1', port: upstream }], resolverTimeoutMs: 300 });
    expect((await dig(port, 'example.com', 'A', ['+time=3'])).answer.map((a) => a.data)).toEqual(['1.1.1.1']);
  });

  it('SERVFAIL when every resolver fails', async () => {
    const { port } = await start(records(bigApp(1)), { resolvers: [{ host: '127.0.0.1', port: await deadPort() }, { host: '127.0.0.1', port: await udpStub(true) }], resolverTimeoutMs: 300 });
    expect((await dig(port, 'example.com', 'A', ['+time=3'])).status).toBe('SERVFAIL');
  });

  it('forwards over TCP when the client asked over TCP', async () => {
    const upstream = await tcpStub();
    const { port } = await start(records(bigApp(1)), { resolvers: [{ host: '127.0.0.1', port: upstream }] });
    expect((await dig(port, 'example.com', 'A', ['+tcp'])).answer.map((a) => a.data)).toEqual(['2.2.2.2']);
  });
});
