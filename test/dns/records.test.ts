// Mesos-DNS's own expectations for its fixture (reference mesos-dns.md §6.4–6.6): every record of
// configuration F1, the IP-source variants of TestInsertState and the F3 production defaults.
import { beforeAll, describe, expect, it } from 'vitest';
import type { SnapshotData } from '../../cluster/index.js';
import { buildRecordSet, type RecordOptions } from '../../dns/records.js';
import type { RecordSet } from '../../dns/record-set.js';
import { fixtureSnapshot } from '../support/fixtures.js';

const F1: RecordOptions = {
  domain: 'mesos',
  ipSources: ['netinfo', 'docker', 'mesos', 'host'],
  enforceRFC952: true,
  soaMname: 'mesos-dns.mesos.',
  nsIps: ['127.0.0.1'],
  masters: ['144.76.157.37:5050'],
};

let snapshot: SnapshotData;
let f1: RecordSet;

beforeAll(async () => {
  snapshot = await fixtureSnapshot('mesos-dns/fake-state.json', (doc) => (doc['leader'] = 'master@144.76.157.37:5050'));
  f1 = buildRecordSet(snapshot, F1);
});

const srvText = (records: RecordSet, name: string) => (records.srv.get(name) ?? []).map((v) => `${v.target}:${v.port}`).sort();
const sorted = (values: readonly string[] | undefined) => [...(values ?? [])].sort();

describe('F1 A records (§6.4)', () => {
  const table: [string, string[]][] = [
    ['big-dog-4dfjd-0.marathon.mesos.', ['10.3.0.1']],
    ['big-dog-4dfjd-0.marathon.slave.mesos.', ['1.2.3.11']],
    ['big-dog.marathon.mesos.', ['10.3.0.1']],
    ['big-dog.marathon.slave.mesos.', ['1.2.3.11']],
    ['big.dog-4dfjd-0.marathon.mesos.', ['10.3.0.1']],
    ['big.dog-4dfjd-0.marathon.slave.mesos.', ['1.2.3.11']],
    ['big.dog.marathon.mesos.', ['10.3.0.1']],
    ['big.dog.marathon.slave.mesos.', ['1.2.3.11']],
    ['car-store-zinaz-0.marathon.mesos.', ['1.2.3.11']],
    ['car-store-zinaz-0.marathon.slave.mesos.', ['1.2.3.11']],
    ['car-store.marathon.mesos.', ['1.2.3.11']],
    ['car-store.marathon.slave.mesos.', ['1.2.3.11']],
    ['chronos-rx8q6-0.marathon.mesos.', ['1.2.3.11']],
    ['chronos-rx8q6-0.marathon.slave.mesos.', ['1.2.3.11']],
    ['chronos.marathon.mesos.', ['1.2.3.11']],
    ['chronos.marathon.slave.mesos.', ['1.2.3.11']],
    ['chronoswithaspaceandmixe.mesos.', ['1.2.3.12']],
    ['leader.mesos.', ['144.76.157.37']],
    ['liquor-store-4dfjd-0.marathon.mesos.', ['10.3.0.1']],
    ['liquor-store-4dfjd-0.marathon.slave.mesos.', ['1.2.3.11']],
    ['liquor-store-zasmd-1.marathon.mesos.', ['10.3.0.2']],
    ['liquor-store-zasmd-1.marathon.slave.mesos.', ['1.2.3.12']],
    ['liquor-store.marathon.mesos.', ['10.3.0.1', '10.3.0.2']],
    ['liquor-store.marathon.slave.mesos.', ['1.2.3.11', '1.2.3.12']],
    ['liquor.store-4dfjd-0.marathon.mesos.', ['10.3.0.1']],
    ['liquor.store-4dfjd-0.marathon.slave.mesos.', ['1.2.3.11']],
    ['liquor.store-zasmd-1.marathon.mesos.', ['10.3.0.2']],
    ['liquor.store-zasmd-1.marathon.slave.mesos.', ['1.2.3.12']],
    ['liquor.store.marathon.mesos.', ['10.3.0.1', '10.3.0.2']],
    ['liquor.store.marathon.slave.mesos.', ['1.2.3.11', '1.2.3.12']],
    ['marathon.mesos.', ['1.2.3.11']],
    ['master.mesos.', ['144.76.157.37']],
    ['master0.mesos.', ['144.76.157.37']],
    ['mesos-dns.mesos.', ['127.0.0.1']],
    ['nginx-6ud99-0.marathon.mesos.', ['10.3.0.3']],
    ['nginx-6ud99-0.marathon.slave.mesos.', ['1.2.3.11']],
    ['nginx.marathon.mesos.', ['10.3.0.3']],
    ['nginx.marathon.slave.mesos.', ['1.2.3.11']],
    ['nopid.mesos.', ['127.0.0.1']],
    ['reviewbot-8sq89-1.marathon.mesos.', ['1.2.3.12']],
    ['reviewbot-8sq89-1.marathon.slave.mesos.', ['1.2.3.12']],
    ['reviewbot.marathon.mesos.', ['1.2.3.12']],
    ['reviewbot.marathon.slave.mesos.', ['1.2.3.12']],
    ['slave.mesos.', ['1.2.3.10', '1.2.3.11', '1.2.3.12']],
    ['some-box-h3dyr-0.chronoswithaspaceandmixe.mesos.', ['1.2.3.11']],
    ['some-box-h3dyr-0.chronoswithaspaceandmixe.slave.mesos.', ['1.2.3.11']],
    ['some-box.chronoswithaspaceandmixe.mesos.', ['1.2.3.11']],
    ['some-box.chronoswithaspaceandmixe.slave.mesos.', ['1.2.3.11']],
    ['toy-store-go588-3.ipv6-framework.mesos.', ['12.0.1.2', '12.0.1.3']],
    ['toy-store.ipv6-framework.mesos.', ['12.0.1.2', '12.0.1.3']],
  ];
  for (const [name, ips] of table) it(name, () => expect(sorted(f1.a.get(name))).toEqual(sorted(ips)));

  it('has exactly the A names of §6.4', () => expect([...f1.a.keys()].sort()).toEqual(table.map(([n]) => n).sort()));

  it('publishes nothing for the killed task poseidon', () => {
    expect([...f1.a.keys(), ...f1.srv.keys()].filter((n) => n.includes('poseidon'))).toEqual([]);
  });
});

describe('F1 AAAA records (§6.4)', () => {
  const table: [string, string[]][] = [
    ['ipv6-framework.mesos.', ['2001:db8::1']],
    ['slave.mesos.', ['2001:db8::1']],
    ['toy-store-go588-3.ipv6-framework.mesos.', ['fd01:b::1:8000:2']],
    ['toy-store-go588-3.ipv6-framework.slave.mesos.', ['2001:db8::1']],
    ['toy-store.ipv6-framework.mesos.', ['fd01:b::1:8000:2']],
    ['toy-store.ipv6-framework.slave.mesos.', ['2001:db8::1']],
  ];
  for (const [name, ips] of table) it(name, () => expect(sorted(f1.aaaa.get(name))).toEqual(ips));
  it('has exactly these AAAA names', () => expect([...f1.aaaa.keys()].sort()).toEqual(table.map(([n]) => n).sort()));
});

describe('F1 SRV records (§6.4)', () => {
  const at = (target: string, ports: number[]) => ports.map((port) => `${target}.mesos.:${port}`);
  const both = (name: string, values: string[]): [string, string[]][] => [[name.replace('_PROTO', '_tcp'), values], [name.replace('_PROTO', '_udp'), values]];
  const liquorSlave = [...at('liquor-store-4dfjd-0.marathon.slave', [31354, 31355]), ...at('liquor-store-zasmd-1.marathon.slave', [31737, 31738])];
  const legacySlave = [...at('liquor.store-4dfjd-0.marathon.slave', [31354, 31355]), ...at('liquor.store-zasmd-1.marathon.slave', [31737, 31738])];
  const table: [string, string[]][] = [
    ['_big-dog._tcp.marathon.mesos.', at('big-dog-4dfjd-0.marathon', [80, 443])],
    ...both('_big-dog._PROTO.marathon.slave.mesos.', at('big-dog-4dfjd-0.marathon.slave', [31354, 31355])),
    ['_http._big-dog._tcp.marathon.mesos.', at('big-dog-4dfjd-0.marathon', [80])],
    ['_https._big-dog._tcp.marathon.mesos.', at('big-dog-4dfjd-0.marathon', [443])],
    ['_big.dog._tcp.marathon.mesos.', at('big.dog-4dfjd-0.marathon', [80, 443])],
    ...both('_big.dog._PROTO.marathon.slave.mesos.', at('big.dog-4dfjd-0.marathon.slave', [31354, 31355])),
    ['_http._big.dog._tcp.marathon.mesos.', at('big.dog-4dfjd-0.marathon', [80])],
    ['_https._big.dog._tcp.marathon.mesos.', at('big.dog-4dfjd-0.marathon', [443])],
    ...both('_car-store._PROTO.marathon.mesos.', at('car-store-zinaz-0.marathon.slave', [31364, 31365])),
    ...both('_car-store._PROTO.marathon.slave.mesos.', at('car-store-zinaz-0.marathon.slave', [31364, 31365])),
    ...both('_chronos._PROTO.marathon.mesos.', at('chronos-rx8q6-0.marathon.slave', [31332])),
    ...both('_chronos._PROTO.marathon.slave.mesos.', at('chronos-rx8q6-0.marathon.slave', [31332])),
    ['_framework._tcp.chronoswithaspaceandmixe.mesos.', ['chronoswithaspaceandmixe.mesos.:25501']],
    ['_framework._tcp.ipv6-framework.mesos.', ['ipv6-framework.mesos.:25501']],
    ['_framework._tcp.marathon.mesos.', ['marathon.mesos.:25501']],
    ...both('_leader._PROTO.mesos.', ['leader.mesos.:5050']),
    ['_liquor-store._tcp.marathon.mesos.', [...at('liquor-store-4dfjd-0.marathon', [80, 443]), ...at('liquor-store-zasmd-1.marathon', [80, 443])]],
    ['_http._liquor-store._tcp.marathon.mesos.', [...at('liquor-store-4dfjd-0.marathon', [80]), ...at('liquor-store-zasmd-1.marathon', [80])]],
    ['_https._liquor-store._tcp.marathon.mesos.', [...at('liquor-store-4dfjd-0.marathon', [443]), ...at('liquor-store-zasmd-1.marathon', [443])]],
    ...both('_liquor-store._PROTO.marathon.slave.mesos.', liquorSlave),
    ['_liquor.store._tcp.marathon.mesos.', [...at('liquor.store-4dfjd-0.marathon', [80, 443]), ...at('liquor.store-zasmd-1.marathon', [80, 443])]],
    ['_http._liquor.store._tcp.marathon.mesos.', [...at('liquor.store-4dfjd-0.marathon', [80]), ...at('liquor.store-zasmd-1.marathon', [80])]],
    ['_https._liquor.store._tcp.marathon.mesos.', [...at('liquor.store-4dfjd-0.marathon', [443]), ...at('liquor.store-zasmd-1.marathon', [443])]],
    ...both('_liquor.store._PROTO.marathon.slave.mesos.', legacySlave),
    ...both('_reviewbot._PROTO.marathon.mesos.', at('reviewbot-8sq89-1.marathon.slave', [31744])),
    ...both('_reviewbot._PROTO.marathon.slave.mesos.', at('reviewbot-8sq89-1.marathon.slave', [31744])),
    ['_slave._tcp.mesos.', ['slave.mesos.:5051']],
    ...both('_some-box._PROTO.chronoswithaspaceandmixe.mesos.', at('some-box-h3dyr-0.chronoswithaspaceandmixe.slave', [31354])),
    ...both('_some-box._PROTO.chronoswithaspaceandmixe.slave.mesos.', at('some-box-h3dyr-0.chronoswithaspaceandmixe.slave', [31354])),
    ...both('_toy-store._PROTO.ipv6-framework.mesos.', at('toy-store-go588-3.ipv6-framework.slave', [31354, 31355])),
    ...both('_toy-store._PROTO.ipv6-framework.slave.mesos.', at('toy-store-go588-3.ipv6-framework.slave', [31354, 31355])),
  ];
  for (const [name, values] of table) it(name, () => expect(srvText(f1, name)).toEqual([...values].sort()));
  it('has exactly the SRV names of §6.4', () => expect([...f1.srv.keys()].sort()).toEqual(table.map(([n]) => n).sort()));

  const absent = ['_poseidon._tcp.marathon.mesos.', '_liquor-store._udp.marathon.mesos.', '_liquor-store.marathon.mesos.'];
  for (const name of absent) it(`has no ${name}`, () => expect(f1.srv.has(name)).toBe(false));
});

describe('acceptance checks 1-34 about record content (§6.6, F1)', () => {
  type Check = { check: string; name: string; a?: string[]; aaaa?: string[]; srv?: string[] };
  const table: Check[] = [
    { check: '1', name: 'big-dog.marathon.mesos.', a: ['10.3.0.1'] },
    { check: '2', name: 'liquor-store.marathon.mesos.', a: ['10.3.0.1', '10.3.0.2'] },
    { check: '3', name: 'liquor-store.marathon.slave.mesos.', a: ['1.2.3.11', '1.2.3.12'] },
    { check: '4', name: 'car-store.marathon.slave.mesos.', a: ['1.2.3.11'] },
    { check: '5', name: 'car-store.marathon.mesos.', a: ['1.2.3.11'] },
    { check: '6', name: 'nginx.marathon.mesos.', a: ['10.3.0.3'] },
    { check: '7', name: 'nginx.marathon.slave.mesos.', a: ['1.2.3.11'] },
    { check: '8', name: 'chronos.marathon.mesos.', a: ['1.2.3.11'], aaaa: [] },
    { check: '9', name: 'reviewbot.marathon.mesos.', a: ['1.2.3.12'] },
    { check: '10', name: 'marathon.mesos.', a: ['1.2.3.11'] },
    { check: '11', name: 'some-box.chronoswithaspaceandmixe.mesos.', a: ['1.2.3.11'] },
    { check: '12', name: 'chronoswithaspaceandmixe.mesos.', a: ['1.2.3.12'] },
    { check: '13', name: 'slave.mesos.', a: ['1.2.3.10', '1.2.3.11', '1.2.3.12'], aaaa: ['2001:db8::1'] },
    { check: '14', name: 'leader.mesos.', a: ['144.76.157.37'] },
    { check: '15', name: 'master.mesos.', a: ['144.76.157.37'] },
    { check: '16', name: 'master0.mesos.', a: ['144.76.157.37'] },
    { check: '16 (no master1 in F1)', name: 'master1.mesos.', a: [] },
    { check: '17', name: 'toy-store.ipv6-framework.mesos.', a: ['12.0.1.2', '12.0.1.3'], aaaa: ['fd01:b::1:8000:2'] },
    { check: '18', name: 'toy-store.ipv6-framework.slave.mesos.', a: [], aaaa: ['2001:db8::1'] },
    { check: '19', name: 'ipv6-framework.mesos.', aaaa: ['2001:db8::1'] },
    { check: '20', name: 'liquor-store-4dfjd-0.marathon.mesos.', a: ['10.3.0.1'] },
    { check: '20', name: 'liquor-store-zasmd-1.marathon.mesos.', a: ['10.3.0.2'] },
    { check: '21', name: 'car-store-zinaz-0.marathon.slave.mesos.', a: ['1.2.3.11'] },
    { check: '22', name: 'liquor.store.marathon.mesos.', a: ['10.3.0.1', '10.3.0.2'] },
    { check: '23', name: 'mesos-dns.mesos.', a: ['127.0.0.1'] },
    { check: '24', name: '_big-dog._tcp.marathon.mesos.', srv: ['big-dog-4dfjd-0.marathon.mesos.:443', 'big-dog-4dfjd-0.marathon.mesos.:80'] },
    { check: '25', name: '_liquor-store._tcp.marathon.mesos.', srv: ['liquor-store-4dfjd-0.marathon.mesos.:443', 'liquor-store-4dfjd-0.marathon.mesos.:80', 'liquor-store-zasmd-1.marathon.mesos.:443', 'liquor-store-zasmd-1.marathon.mesos.:80'] },
    { check: '26', name: '_http._liquor-store._tcp.marathon.mesos.', srv: ['liquor-store-4dfjd-0.marathon.mesos.:80', 'liquor-store-zasmd-1.marathon.mesos.:80'] },
    { check: '27', name: '_https._liquor-store._tcp.marathon.mesos.', srv: ['liquor-store-4dfjd-0.marathon.mesos.:443', 'liquor-store-zasmd-1.marathon.mesos.:443'] },
    { check: '28', name: '_car-store._tcp.marathon.mesos.', srv: ['car-store-zinaz-0.marathon.slave.mesos.:31364', 'car-store-zinaz-0.marathon.slave.mesos.:31365'] },
    { check: '28', name: '_car-store._udp.marathon.mesos.', srv: ['car-store-zinaz-0.marathon.slave.mesos.:31364', 'car-store-zinaz-0.marathon.slave.mesos.:31365'] },
    { check: '29', name: '_car-store._tcp.marathon.slave.mesos.', srv: ['car-store-zinaz-0.marathon.slave.mesos.:31364', 'car-store-zinaz-0.marathon.slave.mesos.:31365'] },
    { check: '30', name: '_liquor-store._tcp.marathon.slave.mesos.', srv: ['liquor-store-4dfjd-0.marathon.slave.mesos.:31354', 'liquor-store-4dfjd-0.marathon.slave.mesos.:31355', 'liquor-store-zasmd-1.marathon.slave.mesos.:31737', 'liquor-store-zasmd-1.marathon.slave.mesos.:31738'] },
    { check: '31', name: '_slave._tcp.mesos.', srv: ['slave.mesos.:5051'] },
    { check: '32', name: '_framework._tcp.marathon.mesos.', srv: ['marathon.mesos.:25501'] },
    { check: '33', name: '_leader._tcp.mesos.', srv: ['leader.mesos.:5050'] },
    { check: '33', name: '_leader._udp.mesos.', srv: ['leader.mesos.:5050'] },
    { check: '34', name: '_toy-store._tcp.ipv6-framework.mesos.', srv: ['toy-store-go588-3.ipv6-framework.slave.mesos.:31354', 'toy-store-go588-3.ipv6-framework.slave.mesos.:31355'] },
  ];
  for (const c of table) {
    it(`${c.check}: ${c.name}`, () => {
      const own = f1.names.get(c.name);
      if (c.a) expect(sorted(own?.a)).toEqual(sorted(c.a));
      if (c.aaaa) expect(sorted(own?.aaaa)).toEqual(sorted(c.aaaa));
      if (c.srv) expect(srvText(f1, c.name)).toEqual(sorted(c.srv));
    });
  }
  it('25/28/34: every SRV target owns the address the additional section needs', () => {
    const targets: [string, 'a' | 'aaaa', string[]][] = [
      ['liquor-store-4dfjd-0.marathon.mesos.', 'a', ['10.3.0.1']],
      ['liquor-store-zasmd-1.marathon.mesos.', 'a', ['10.3.0.2']],
      ['car-store-zinaz-0.marathon.slave.mesos.', 'a', ['1.2.3.11']],
      ['toy-store-go588-3.ipv6-framework.slave.mesos.', 'aaaa', ['2001:db8::1']],
    ];
    for (const [name, type, ips] of targets) expect(f1.names.get(name)?.[type], name).toEqual(ips);
    expect(f1.names.get('toy-store-go588-3.ipv6-framework.slave.mesos.')?.a).toEqual([]);
  });
});

describe('IP-source variants (TestInsertState)', () => {
  const table: { sources: RecordOptions['ipSources']; name: string; type: 'a' | 'aaaa'; want: string[] }[] = [
    { sources: ['host'], name: 'liquor-store.marathon.mesos.', type: 'a', want: ['1.2.3.11', '1.2.3.12'] },
    { sources: ['host'], name: 'liquor-store.marathon.slave.mesos.', type: 'a', want: ['1.2.3.11', '1.2.3.12'] },
    { sources: ['host'], name: 'nginx.marathon.mesos.', type: 'a', want: ['1.2.3.11'] },
    { sources: ['host'], name: 'car-store.marathon.slave.mesos.', type: 'a', want: ['1.2.3.11'] },
    { sources: ['host'], name: 'toy-store.ipv6-framework.mesos.', type: 'aaaa', want: ['2001:db8::1'] },
    { sources: ['host'], name: 'toy-store.ipv6-framework.slave.mesos.', type: 'aaaa', want: ['2001:db8::1'] },
    { sources: ['mesos', 'host'], name: 'liquor-store.marathon.mesos.', type: 'a', want: ['1.2.3.11', '1.2.3.12'] },
    { sources: ['mesos', 'host'], name: 'nginx.marathon.mesos.', type: 'a', want: ['10.3.0.3'] },
    { sources: ['mesos', 'host'], name: 'toy-store.ipv6-framework.mesos.', type: 'aaaa', want: ['2001:db8::1'] },
    { sources: ['netinfo'], name: 'toy-store.ipv6-framework.mesos.', type: 'a', want: ['12.0.1.2', '12.0.1.3'] },
    { sources: ['netinfo'], name: 'toy-store.ipv6-framework.mesos.', type: 'aaaa', want: ['fd01:b::1:8000:2'] },
    { sources: ['netinfo'], name: 'toy-store.ipv6-framework.slave.mesos.', type: 'aaaa', want: ['2001:db8::1'] },
    { sources: ['docker', 'host'], name: 'liquor-store.marathon.mesos.', type: 'a', want: ['10.3.0.1', '10.3.0.2'] },
    { sources: ['docker', 'host'], name: 'nginx.marathon.mesos.', type: 'a', want: ['1.2.3.11'] },
    { sources: ['docker', 'host'], name: 'toy-store.ipv6-framework.mesos.', type: 'aaaa', want: ['2001:db8::1'] },
  ];
  for (const c of table) {
    it(`[${c.sources.join(', ')}] ${c.name} ${c.type.toUpperCase()}`, () => {
      const records = buildRecordSet(snapshot, { ...F1, ipSources: c.sources });
      expect(sorted(records[c.type].get(c.name))).toEqual(c.want);
    });
  }
});

describe('F3 production defaults (§6.5)', () => {
  const f3 = () => buildRecordSet(snapshot, { ...F1, enforceRFC952: false, ipSources: ['netinfo', 'mesos', 'host'], soaMname: 'ns1.mesos.' });
  const table: [string, string[]][] = [
    ['chronoswithaspaceandmixedcase-2.0.1.mesos.', ['1.2.3.12']],
    ['some-box.chronoswithaspaceandmixedcase-2.0.1.mesos.', ['1.2.3.11']],
    ['liquor-store.marathon.mesos.', ['1.2.3.11', '1.2.3.12']],
    ['big-dog.marathon.mesos.', ['1.2.3.11']],
    ['liquor-store-4dfjd-0.marathon.mesos.', ['1.2.3.11']],
    ['liquor-store-zasmd-1.marathon.mesos.', ['1.2.3.12']],
    ['nginx.marathon.mesos.', ['10.3.0.3']],
    ['toy-store.ipv6-framework.mesos.', ['12.0.1.2', '12.0.1.3']],
    ['ns1.mesos.', ['127.0.0.1']],
  ];
  for (const [name, want] of table) it(name, () => expect(sorted(f3().a.get(name))).toEqual(want));
  it('no RFC952 names and no mesos-dns.mesos.', () => {
    const names = [...f3().names.keys()];
    expect(names.filter((n) => n.includes('chronoswithaspaceandmixe.'))).toEqual([]);
    expect(names).not.toContain('mesos-dns.mesos.');
  });
  it('_framework._tcp of the dotted framework name', () =>
    expect(srvText(f3(), '_framework._tcp.chronoswithaspaceandmixedcase-2.0.1.mesos.')).toEqual(['chronoswithaspaceandmixedcase-2.0.1.mesos.:25501']));
});

describe('enumeration (/v1/enumerate)', () => {
  it('lists every framework, running tasks only, records attributed to the first inserter', () => {
    const frameworks = f1.enumerate().map((f) => f.name);
    expect(frameworks).toEqual(snapshot.frameworks.map((f) => f.name));
    const marathon = f1.enumerate().find((f) => f.name === 'marathon')!;
    expect(marathon.tasks.map((t) => t.name)).not.toContain('poseidon.bc4e3796-3dda-11e4-a088-c20493233aa5');
    const liquor = marathon.tasks.find((t) => t.name === 'liquor.store')!;
    const bigDog = marathon.tasks.find((t) => t.name === 'big.dog2')!;
    expect(liquor.records?.[0]).toEqual({ name: 'liquor.store.marathon.mesos.', host: '10.3.0.1', rtype: 'A' });
    // big.dog2 has the same task id and agent as liquor.store: its shared .slave records were inserted first by liquor.store.
    expect(bigDog.records?.some((r) => r.name === 'big-dog.marathon.mesos.')).toBe(true);
    const noPid = f1.enumerate().find((f) => f.name === 'no pid')!;
    expect(noPid.tasks).toEqual([]);
  });
});

describe('healthyOnly', () => {
  it('leaves out tasks whose newest status is unhealthy, keeps unknown and healthy ones', async () => {
    const patched = await fixtureSnapshot('mesos-dns/fake-state.json', (doc) => {
      const marathon = (doc['frameworks'] as { name: string; tasks: { name: string; statuses: { healthy?: boolean }[] }[] }[]).find((f) => f.name === 'marathon')!;
      for (const task of marathon.tasks) {
        if (task.name === 'chronos') for (const s of task.statuses) s.healthy = false;
        if (task.name === 'nginx') for (const s of task.statuses) s.healthy = true;
      }
    });
    const all = buildRecordSet(patched, F1);
    const healthy = buildRecordSet(patched, { ...F1, healthyOnly: true });
    expect(all.a.has('chronos.marathon.mesos.')).toBe(true);
    expect(healthy.a.has('chronos.marathon.mesos.')).toBe(false);
    expect(healthy.srv.has('_chronos._tcp.marathon.mesos.')).toBe(false);
    expect(healthy.a.get('nginx.marathon.mesos.')).toEqual(['10.3.0.3']);
    expect(healthy.a.has('reviewbot.marathon.mesos.')).toBe(true);
  });
});

describe('set semantics at scale', () => {
  it('keeps every value once on names with hundreds of values (the Set path)', async () => {
    const doc = await import('../support/fixtures.js').then((m) => m.fixtureJson('mesos-dns/fake-state.json'));
    const slaves = doc['slaves'] as { id: string; pid: string }[];
    const template = slaves[0]!;
    for (let i = 0; i < 300; i++) slaves.push({ ...template, id: `${template.id}-x${i}`, pid: `slave(1)@10.9.${i >> 8}.${i & 255}:5051` });
    slaves.push({ ...template, id: `${template.id}-dup`, pid: 'slave(1)@10.9.0.7:5051' });
    slaves.push({ ...template, id: `${template.id}-v6`, pid: 'slave(1)@[2001:db8::99]:5051' });
    const { parseMasterState } = await import('../../cluster/index.js');
    const big = await parseMasterState(doc, { source: { kind: 'file', origin: 't' }, fetchedAt: 0, resolveHost: async () => [] });
    const records = buildRecordSet(big, F1);
    const a = records.a.get('slave.mesos.')!;
    expect(a.length).toBe(new Set(a).size);
    expect(a.length).toBe(3 + 300);
    expect(records.aaaa.get('slave.mesos.')).toEqual(['2001:db8::1', '2001:db8::99']);
  });
});
