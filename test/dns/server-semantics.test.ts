// Mesos-DNS's server semantics (answer sections, negative answers, case, ANY, forwarding, truncation;
// checks #24-48 of test/fixtures/README.md), asked with the real `dig` of a DnsServer in mesos-dns mode
// serving the records of the project's own state (test/fixtures/master-state/harbor.json) in
// Mesos-DNS's resolver-test configuration F2.
import { createSocket, type Socket } from 'node:dgram';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRecordSet, DnsServer, type RecordSet } from '../../dns/index.js';
import { dig, digTable, type DigRecord } from '../support/dig.js';
import { TEST_ZONE } from '../support/dns-server.js';
import { HARBOR, fixtureSnapshot } from '../support/fixtures.js';

let f2: RecordSet;
let server: DnsServer;
let port: number;
let upstream: Socket;
const started: DnsServer[] = [];

async function startServer(records: RecordSet, resolvers: { host: string; port: number }[], resolverTimeoutMs = 2000): Promise<number> {
  const s = new DnsServer({
    listen: { host: '127.0.0.1', port: 0 }, zone: TEST_ZONE, resolvers, resolverTimeoutMs, mode: 'mesos-dns', logger: pino({ level: 'silent' }),
  });
  started.push(s);
  await s.start();
  s.setRecords(records, 0);
  return s.address().udpPort;
}

/** The stub upstream of the reference test: every query answered with A 1.1.1.1 and A 2.2.2.2. */
function upstreamReply(msg: Buffer): Buffer {
  let end = 12;
  while (msg[end] !== 0) end += msg[end]! + 1;
  end += 5;
  const rr = (ip: number[]) => Buffer.from([0xc0, 12, 0, 1, 0, 1, 0, 0, 1, 44, 0, 4, ...ip]);
  const reply = Buffer.concat([msg.subarray(0, end), rr([1, 1, 1, 1]), rr([2, 2, 2, 2])]);
  reply[2] = 0x80 | (msg[2]! & 0x01);
  reply[3] = 0x80;
  reply.writeUInt16BE(2, 6);
  reply.writeUInt32BE(0, 8);
  return reply;
}

beforeAll(async () => {
  const snapshot = await fixtureSnapshot(HARBOR);
  f2 = buildRecordSet(snapshot, {
    domain: 'mesos',
    ipSources: ['netinfo', 'docker', 'mesos', 'host'],
    enforceRFC952: true,
    soaMname: 'ns1.mesos.',
    nsIps: ['127.0.0.1'],
    masters: ['192.0.2.50:5050'],
  });
  upstream = createSocket('udp4');
  upstream.on('message', (msg, rinfo) => upstream.send(upstreamReply(msg), rinfo.port, rinfo.address));
  await new Promise<void>((r) => upstream.bind(0, '127.0.0.1', () => r()));
  port = await startServer(f2, [{ host: '127.0.0.1', port: upstream.address().port }]);
  server = started[0]!;
});

afterAll(async () => {
  for (const s of started) await s.close();
  upstream?.close();
});

const srvSet = (records: readonly DigRecord[]) => records.filter((r) => r.type === 'SRV').map((r) => r.data).sort();
const addrSet = (records: readonly DigRecord[]) => records.map((r) => `${r.name} ${r.type} ${r.data}`).sort();

describe('SRV answers and their additional section (checks #24–34)', () => {
  const cases: { check: string; name: string; srv: string[]; additional?: string[] }[] = [
    {
      check: '#24',
      name: '_sea-lion._tcp.marathon.mesos.',
      srv: ['0 1 8443 sea-lion-t31yf-s1.marathon.mesos.', '0 1 8080 sea-lion-t31yf-s1.marathon.mesos.'],
    },
    {
      check: '#25',
      name: '_fish-market._tcp.marathon.mesos.',
      srv: [
        '0 1 8443 fish-market-t31yf-s1.marathon.mesos.',
        '0 1 8443 fish-market-3jafx-s12.marathon.mesos.',
        '0 1 8080 fish-market-t31yf-s1.marathon.mesos.',
        '0 1 8080 fish-market-3jafx-s12.marathon.mesos.',
      ],
      additional: ['fish-market-t31yf-s1.marathon.mesos. A 10.20.0.1', 'fish-market-3jafx-s12.marathon.mesos. A 10.20.0.2'],
    },
    {
      check: '#26',
      name: '_web._fish-market._tcp.marathon.mesos.',
      srv: ['0 1 8080 fish-market-t31yf-s1.marathon.mesos.', '0 1 8080 fish-market-3jafx-s12.marathon.mesos.'],
    },
    {
      check: '#27',
      name: '_tls._fish-market._tcp.marathon.mesos.',
      srv: ['0 1 8443 fish-market-t31yf-s1.marathon.mesos.', '0 1 8443 fish-market-3jafx-s12.marathon.mesos.'],
    },
    {
      check: '#28 tcp',
      name: '_ice-cream._tcp.marathon.mesos.',
      srv: ['0 1 31420 ice-cream-w4n7d-s1.marathon.slave.mesos.', '0 1 31421 ice-cream-w4n7d-s1.marathon.slave.mesos.'],
      additional: ['ice-cream-w4n7d-s1.marathon.slave.mesos. A 198.51.100.21'],
    },
    {
      check: '#28 udp',
      name: '_ice-cream._udp.marathon.mesos.',
      srv: ['0 1 31420 ice-cream-w4n7d-s1.marathon.slave.mesos.', '0 1 31421 ice-cream-w4n7d-s1.marathon.slave.mesos.'],
      additional: ['ice-cream-w4n7d-s1.marathon.slave.mesos. A 198.51.100.21'],
    },
    {
      check: '#29',
      name: '_ice-cream._tcp.marathon.slave.mesos.',
      srv: ['0 1 31420 ice-cream-w4n7d-s1.marathon.slave.mesos.', '0 1 31421 ice-cream-w4n7d-s1.marathon.slave.mesos.'],
    },
    {
      check: '#30',
      name: '_fish-market._tcp.marathon.slave.mesos.',
      srv: [
        '0 1 31801 fish-market-t31yf-s1.marathon.slave.mesos.',
        '0 1 31802 fish-market-t31yf-s1.marathon.slave.mesos.',
        '0 1 31910 fish-market-3jafx-s12.marathon.slave.mesos.',
        '0 1 31911 fish-market-3jafx-s12.marathon.slave.mesos.',
      ],
    },
    { check: '#32', name: '_framework._tcp.marathon.mesos.', srv: ['0 1 25601 marathon.mesos.'] },
    { check: '#33 tcp', name: '_leader._tcp.mesos.', srv: ['0 1 5050 leader.mesos.'] },
    { check: '#33 udp', name: '_leader._udp.mesos.', srv: ['0 1 5050 leader.mesos.'] },
    {
      check: '#34',
      name: '_collector._tcp.metrics-v6.mesos.',
      srv: ['0 1 31960 collector-zexdg-4.metrics-v6.slave.mesos.', '0 1 31961 collector-zexdg-4.metrics-v6.slave.mesos.'],
      additional: ['collector-zexdg-4.metrics-v6.slave.mesos. AAAA 2001:db8:4::7'],
    },
  ];
  // The table's questions in one dig run; each case checks its own answer.
  const ask = digTable(() => port, () => cases.map((c) => [c.name, 'SRV'] as const));
  for (const c of cases) {
    it(`${c.check}: ${c.name}`, async () => {
      const r = await ask(c.name, 'SRV');
      expect(r.status).toBe('NOERROR');
      expect(r.flags).toContain('aa');
      expect(srvSet(r.answer)).toEqual([...c.srv].sort());
      expect(r.answer.every((a) => a.ttl === 60 && a.name === c.name)).toBe(true);
      if (c.additional) expect(addrSet(r.additional)).toEqual([...c.additional].sort());
    });
  }

  it('#31: _slave._tcp.mesos. has one SRV and one A plus one AAAA in additional', async () => {
    const r = await dig(port, '_slave._tcp.mesos.', 'SRV');
    expect(srvSet(r.answer)).toEqual(['0 1 5051 slave.mesos.']);
    expect(r.additional.filter((a) => a.type === 'A')).toHaveLength(1);
    expect(r.additional.filter((a) => a.type === 'AAAA').map((a) => a.data)).toEqual(['2001:db8:4::7']);
  });
});

describe('negative answers (checks #35–42)', () => {
  const soa = 'ns1.mesos. root.ns1.mesos. 0 60 600 86400 60';
  const cases: { check: string; name: string; type: string; status: string; authority: string[] }[] = [
    {
      check: '#35 killed task',
      name: 'ferry.marathon.mesos.',
      type: 'A',
      status: 'NXDOMAIN',
      authority: [`ferry.marathon.mesos. SOA ${soa}`],
    },
    { check: '#36 SRV of a killed task', name: '_ferry._tcp.marathon.mesos.', type: 'SRV', status: 'NOERROR', authority: [] },
    {
      check: '#37 DI task has no host-port SRV outside .slave',
      name: '_fish-market._udp.marathon.mesos.',
      type: 'SRV',
      status: 'NOERROR',
      authority: [],
    },
    { check: '#38 A', name: 'missing.mesos.', type: 'A', status: 'NXDOMAIN', authority: [`missing.mesos. SOA ${soa}`] },
    { check: '#38 AAAA', name: 'missing.mesos.', type: 'AAAA', status: 'NXDOMAIN', authority: [`missing.mesos. SOA ${soa}`] },
    {
      check: '#39 NODATA',
      name: 'lighthouse.marathon.mesos.',
      type: 'AAAA',
      status: 'NOERROR',
      authority: [`lighthouse.marathon.mesos. SOA ${soa}`],
    },
    {
      check: '#40 a name owning only SRV',
      name: '_ice-cream._udp.marathon.mesos.',
      type: 'A',
      status: 'NOERROR',
      authority: [`_ice-cream._udp.marathon.mesos. SOA ${soa}`],
    },
    { check: '#41 SOA', name: 'non-existing.mesos.', type: 'SOA', status: 'NOERROR', authority: [`non-existing.mesos. SOA ${soa}`] },
    { check: '#42 NS', name: 'non-existing.mesos.', type: 'NS', status: 'NOERROR', authority: ['non-existing.mesos. NS ns1.mesos.'] },
    { check: 'apex A', name: 'mesos.', type: 'A', status: 'NXDOMAIN', authority: [`mesos. SOA ${soa}`] },
    {
      check: 'TXT of an existing name',
      name: 'lighthouse.marathon.mesos.',
      type: 'TXT',
      status: 'NOERROR',
      authority: [`lighthouse.marathon.mesos. SOA ${soa}`],
    },
    {
      check: 'PTR-like name inside the zone',
      name: 'missing.mesos.',
      type: 'PTR',
      status: 'NXDOMAIN',
      authority: [`missing.mesos. SOA ${soa}`],
    },
  ];
  const ask = digTable(() => port, () => cases.map((c) => [c.name, c.type] as const));
  for (const c of cases) {
    it(`${c.check}: ${c.name} ${c.type}`, async () => {
      const r = await ask(c.name, c.type);
      expect(r.status).toBe(c.status);
      expect(r.flags).toContain('aa');
      expect(r.answer).toHaveLength(0);
      expect(r.authority.map((a) => `${a.name} ${a.type} ${a.data}`)).toEqual(c.authority);
      expect(r.authority.every((a) => a.ttl === 60)).toBe(true);
    });
  }
});

describe('header, case and ANY (checks #43–44)', () => {
  it('#43: a mixed-case name is answered with the lower-cased owner, the question as sent', async () => {
    const r = await dig(port, 'lIgHtHoUsE.MARATHON.mesoS.', 'A');
    expect(r.status).toBe('NOERROR');
    expect(r.answer.map((a) => `${a.name} ${a.data}`)).toEqual(['lighthouse.marathon.mesos. 198.51.100.21']);
    expect(r.raw).toContain(';lIgHtHoUsE.MARATHON.mesoS.');
  });

  it('a mixed-case SRV query keeps the question as the owner', async () => {
    const r = await dig(port, '_Ice-Cream._TCP.marathon.mesos.', 'SRV');
    expect(r.answer.map((a) => a.name)).toEqual(['_Ice-Cream._TCP.marathon.mesos.', '_Ice-Cream._TCP.marathon.mesos.']);
    expect(addrSet(r.additional)).toEqual(['ice-cream-w4n7d-s1.marathon.slave.mesos. A 198.51.100.21']);
  });

  it('#44: AA set, RA off (RecurseOn false in F2), RD echoed', async () => {
    const withRd = await dig(port, 'lighthouse.marathon.mesos.', 'A', ['+rec']);
    expect(withRd.flags).toEqual(expect.arrayContaining(['qr', 'aa', 'rd']));
    expect(withRd.flags).not.toContain('ra');
    const withoutRd = await dig(port, 'lighthouse.marathon.mesos.', 'A');
    expect(withoutRd.flags).not.toContain('rd');
  });

  it('legacy `.*` cleaning: fish-market.*.marathon.mesos is looked up as fish-market.marathon.mesos', async () => {
    const r = await dig(port, 'fish-market.*.marathon.mesos.', 'A');
    expect(r.status).toBe('NOERROR');
    expect(r.answer.map((a) => `${a.name} ${a.data}`).sort()).toEqual(['fish-market.marathon.mesos. 10.20.0.1', 'fish-market.marathon.mesos. 10.20.0.2']);
  });

  it('ANY: SRV + A + AAAA in the answer, SOA and NS in authority', async () => {
    const r = await dig(port, 'collector.metrics-v6.mesos.', 'ANY');
    expect(r.status).toBe('NOERROR');
    expect(addrSet(r.answer)).toEqual([
      'collector.metrics-v6.mesos. A 203.0.113.40',
      'collector.metrics-v6.mesos. A 203.0.113.41',
      'collector.metrics-v6.mesos. AAAA fd02:a::3:9000:4',
    ]);
    expect(r.authority.map((a) => a.type)).toEqual(['SOA', 'NS']);
  });

  it('ANY of a missing name: NXDOMAIN with SOA, NS and a second SOA', async () => {
    const r = await dig(port, 'missing.mesos.', 'ANY');
    expect(r.status).toBe('NXDOMAIN');
    expect(r.authority.map((a) => a.type)).toEqual(['SOA', 'NS', 'SOA']);
  });

  it('every answer carries the zone TTL and the SOA the serial given to setRecords', async () => {
    server.setRecords(f2, 1234567);
    const r = await dig(port, 'missing.mesos.', 'A');
    expect(r.authority[0]!.data).toBe('ns1.mesos. root.ns1.mesos. 1234567 60 600 86400 60');
    server.setRecords(f2, 0);
  });
});

describe('forwarding and size (checks #45–48)', () => {
  it('#45: a name outside the domain is relayed from the upstream unchanged (AA off)', async () => {
    const r = await dig(port, 'google.com.', 'A', ['+rec']);
    expect(r.status).toBe('NOERROR');
    expect(r.flags).not.toContain('aa');
    expect(r.answer.map((a) => `${a.ttl} ${a.data}`)).toEqual(['300 1.1.1.1', '300 2.2.2.2']);
  });

  it('#46: no resolvers (externalon false) -> REFUSED', async () => {
    const p = await startServer(f2, []);
    expect((await dig(p, 'google.com.', 'A')).status).toBe('REFUSED');
  });

  it('#47: every upstream failing -> SERVFAIL', async () => {
    const silent = createSocket('udp4');
    await new Promise<void>((r) => silent.bind(0, '127.0.0.1', () => r()));
    try {
      const p = await startServer(f2, [{ host: '127.0.0.1', port: silent.address().port }], 200);
      expect((await dig(p, 'google.com.', 'A', ['+time=3'])).status).toBe('SERVFAIL');
    } finally {
      silent.close();
    }
  });

  it('#48: more than 512 bytes over UDP (with or without EDNS0) -> TC, trimmed; complete over TCP', async () => {
    const ips = Array.from({ length: 60 }, (_, i) => `10.9.${i >> 8}.${i & 255}`);
    const big: RecordSet = { ...f2, names: new Map([...f2.names, ['many.marathon.mesos.', { a: ips, aaaa: [], srv: [] }]]) };
    const p = await startServer(big, []);
    for (const extra of [['+noedns'], ['+bufsize=4096']]) {
      const r = await dig(p, 'many.marathon.mesos.', 'A', ['+ignore', ...extra]);
      expect(r.flags).toContain('tc');
      expect(r.answer.length).toBeGreaterThan(20);
      expect(r.answer.length).toBeLessThan(60);
      expect(r.raw).not.toContain('OPT PSEUDOSECTION');
    }
    const tcp = await dig(p, 'many.marathon.mesos.', 'A', ['+tcp']);
    expect(tcp.flags).not.toContain('tc');
    expect(tcp.answer.map((a) => a.data).sort()).toEqual([...ips].sort());
  });
});
