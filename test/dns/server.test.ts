// Wire behaviour with the real `dig`: truncation and TCP, EDNS0 per mode, SERVFAIL while the zone is
// withdrawn, swaps under load, lifecycle and metrics. Forwarding: forward.test.ts.
import { connect } from 'node:net';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { buildRecordSet, DnsError, DnsServer, type DnsServerOptions, type RecordSet } from '../../dns/index.js';
import type { SnapshotData } from '../../cluster/index.js';
import { dig } from '../support/dig.js';
import { query, rcodeOf, sendTcpRaw, sendUdp } from '../support/dns-client.js';
import { startDnsServer, TEST_ZONE } from '../support/dns-server.js';

const servers: DnsServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

/** A snapshot with `count` running tasks of one app on distinct IPs: a big A answer. */
function bigApp(count: number, name = 'web'): SnapshotData {
  const agent = {
    id: 'agent-S0',
    hostname: 'a',
    pid: { raw: 'slave(1)@10.0.0.1:5051', host: '10.0.0.1', port: 5051, ips: ['10.0.0.1'] },
    ips: ['10.0.0.1'],
    active: true,
    resources: {},
    attributes: {},
  };
  const tasks = Array.from({ length: count }, (_, i) => ({
    id: `${name}.${i}`, name, frameworkId: 'fw', agentId: 'agent-S0', state: 'TASK_RUNNING', statuses: [], labels: [],
    resources: { cpus: 0, mem: 0, disk: 0, ports: [31000 + i] }, discovery: null,
    ips: { netinfo: [`10.1.${i >> 8}.${i & 255}`], docker: [], mesos: [], host: ['10.0.0.1'] }, health: 'unknown' as const, appId: null, vipLabels: [],
  }));
  return {
    fetchedAt: 0,
    source: { kind: 'file', origin: 't' },
    clusterName: null,
    leader: null,
    masters: [],
    agents: [agent],
    frameworks: [{ id: 'fw', name: 'marathon', pid: null, hostname: '', ips: [], active: true, webuiUrl: null, tasks }],
    apps: [],
  };
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

  // Questions the pre-encoded table does not answer byte for byte are encoded per query: the same
  // size rule must hold there (Mesos-DNS truncates every UDP answer over 512 bytes the same way).
  const perQuery: { name: string; qname: string; type: string }[] = [
    { name: 'a mixed-case (0x20) question', qname: 'WeB.MaRaThOn.MeSoS', type: 'A' },
    { name: 'an ANY question', qname: 'web.marathon.mesos', type: 'ANY' },
    { name: "a question with Mesos-DNS's `.*` wildcard cleaning", qname: 'web.*.marathon.mesos', type: 'A' },
  ];
  for (const q of perQuery) {
    it(`60 A records over UDP for ${q.name}: TC set and the answer trimmed below 512 bytes`, async () => {
      const { port } = await start(records(bigApp(60)));
      // +notcp: dig 9.18 sends ANY over TCP unless told otherwise.
      const r = await dig(port, q.qname, q.type, ['+ignore', '+noedns', '+notcp']);
      expect(r.raw).toContain('(UDP)');
      expect(r.flags).toContain('tc');
      expect(r.answer.length).toBeGreaterThan(10);
      expect(r.answer.length).toBeLessThan(60);
    });
  }

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
    const { port } = await start(records(bigApp(60)), {
      zone: {
        domain: 'mesos',
        ttl: 60,
        soaMname: 'ns1.mesos.',
        soaRname: 'root.ns1.mesos.',
        soaRefresh: 60,
        soaRetry: 600,
        soaExpire: 86400,
        srvWeight: 1,
        recurse: false,
        setTruncateBit: false,
      },
    });
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


describe('lifecycle', () => {
  const base = {
    listen: { host: '127.0.0.1', port: 0 },
    zone: TEST_ZONE,
    resolvers: [],
    resolverTimeoutMs: 500,
    mode: 'gatehouse' as const,
    logger: pino({ level: 'silent' }),
  };
  const bad: { name: string; patch: Record<string, unknown>; option: string }[] = [
    { name: 'port out of range', patch: { listen: { host: '127.0.0.1', port: 70000 } }, option: 'listen.port' },
    { name: 'no host', patch: { listen: { host: '', port: 0 } }, option: 'listen.host' },
    { name: 'domain with a trailing dot', patch: { zone: { ...TEST_ZONE, domain: 'mesos.' } }, option: 'zone.domain' },
    { name: 'upper-case domain', patch: { zone: { ...TEST_ZONE, domain: 'Mesos' } }, option: 'zone.domain' },
    { name: 'negative ttl', patch: { zone: { ...TEST_ZONE, ttl: -1 } }, option: 'zone.ttl' },
    { name: 'SOA mname without a trailing dot', patch: { zone: { ...TEST_ZONE, soaMname: 'ns1.mesos' } }, option: 'zone.soaMname' },
    { name: 'resolver without a port', patch: { resolvers: [{ host: '127.0.0.1' }] }, option: 'resolvers[0]' },
    { name: 'zero resolver timeout', patch: { resolverTimeoutMs: 0 }, option: 'resolverTimeoutMs' },
    { name: 'unknown mode', patch: { mode: 'bind' }, option: 'mode' },
  ];
  for (const c of bad) {
    it(`refuses options: ${c.name}`, () => {
      let error: unknown;
      try {
        new DnsServer({ ...base, ...c.patch } as DnsServerOptions);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(DnsError);
      expect((error as DnsError).code).toBe('ERR_DNS_CONFIG');
      expect((error as DnsError).message).toContain(c.option);
    });
  }

  it('a port in use fails start() with ERR_DNS_LISTEN; close() after that is safe', async () => {
    const { port } = await start(null);
    const second = new DnsServer({ ...base, listen: { host: '127.0.0.1', port } });
    await expect(second.start()).rejects.toMatchObject({ code: 'ERR_DNS_LISTEN' });
    await second.close();
    await second.close();
    expect(() => second.address()).toThrow(DnsError);
  });

  it('a record set that cannot be read keeps the previous answers serving', async () => {
    const { server, port } = await start(records(bigApp(2)));
    const broken = { names: { [Symbol.iterator]: () => { throw new Error('boom'); }, size: 1, get: () => undefined } } as unknown as RecordSet;
    expect(() => server.setRecords(broken, 99)).toThrow(expect.objectContaining({ code: 'ERR_DNS_RECORDS' }));
    expect((await dig(port, 'web.marathon.mesos', 'A')).answer).toHaveLength(2);
  });
});

describe('TCP', () => {
  const frame = (msg: Buffer) => Buffer.concat([Buffer.from([msg.length >> 8, msg.length & 255]), msg]);
  const frames = (bytes: Buffer) => {
    const out: Buffer[] = [];
    for (let at = 0; at + 2 <= bytes.length; ) {
      const length = bytes.readUInt16BE(at);
      out.push(bytes.subarray(at + 2, at + 2 + length));
      at += 2 + length;
    }
    return out;
  };

  it('answers pipelined queries sent in one write, each with its own ID', async () => {
    const { port } = await start(records(bigApp(3)));
    const ids = [11, 12, 13, 14, 15];
    const bytes = Buffer.concat(ids.map((id, i) => frame(query(i % 2 ? 'web.marathon.mesos' : 'nothing.mesos', 1, { id }))));
    const replies = frames(await sendTcpRaw(port, bytes));
    expect(replies.map((r) => r.readUInt16BE(0))).toEqual(ids);
    expect(replies.map(rcodeOf)).toEqual([3, 0, 3, 0, 3]);
  });

  it('a query split across writes is answered once complete', async () => {
    const { port } = await start(records(bigApp(1)));
    const bytes = frame(query('web.marathon.mesos', 1, { id: 77 }));
    const socket = connect({ port, host: '127.0.0.1' });
    const reply = new Promise<Buffer>((resolve) => socket.once('data', resolve));
    await new Promise((r) => socket.once('connect', r));
    for (const b of bytes) {
      socket.write(Buffer.from([b]));
      await new Promise((r) => setImmediate(r));
    }
    const data = await reply;
    socket.destroy();
    expect(data.readUInt16BE(2)).toBe(77);
  });

  it('an idle connection is closed by the server', async () => {
    const { port } = await start(records(bigApp(1)), { tcpIdleMs: 100 });
    const socket = connect({ port, host: '127.0.0.1' });
    await new Promise((r) => socket.once('close', r));
    expect(socket.destroyed).toBe(true);
  });

  it('gatehouse mode echoes an OPT record over TCP too', async () => {
    const { port } = await start(records(bigApp(2)));
    const r = await dig(port, 'web.marathon.mesos', 'A', ['+tcp', '+bufsize=1232']);
    expect(r.raw).toContain('OPT PSEUDOSECTION');
    expect(r.answer).toHaveLength(2);
  });
});

describe('metrics', () => {
  it('counts responses by rcode, truncations and malformed packets on the registry given', async () => {
    const registry = new Registry();
    const { port } = await start(records(bigApp(60)), { registry });
    await dig(port, 'web.marathon.mesos', 'A', ['+ignore', '+noedns']);
    await dig(port, 'nothing.mesos', 'A');
    await dig(port, 'example.com', 'A');
    await sendUdp(port, Buffer.from([0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]));
    const text = await registry.metrics();
    expect(text).toMatch(/gatehouse_dns_responses_total\{rcode="NOERROR"\} 1/);
    expect(text).toMatch(/gatehouse_dns_responses_total\{rcode="NXDOMAIN"\} 1/);
    expect(text).toMatch(/gatehouse_dns_responses_total\{rcode="REFUSED"\} 1/);
    expect(text).toMatch(/gatehouse_dns_responses_total\{rcode="FORMERR"\} 1/);
    expect(text).toMatch(/gatehouse_dns_truncated_total 1/);
    expect(text).toMatch(/gatehouse_dns_malformed_total 1/);
    expect(text).toMatch(/gatehouse_dns_names \d+/);
  });
});
