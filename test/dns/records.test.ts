// Mesos-DNS's naming rules applied by hand to the project's own state (test/fixtures/master-state/harbor.json,
// its cases listed in test/fixtures/README.md): every record of the generator-test configuration F1, the
// IP-source variants and the production defaults F3.
//
// How the expected names follow from the rules: task label = sanitised task name, or the DiscoveryInfo
// name when there is one (then also the raw, unsanitised DiscoveryInfo name: `fish.market`); framework
// label = the name split on dots, each part sanitised (RFC952 in F1: at most 24 characters, leading digits
// dropped, so `Nightly Reports BY Cron Scheduler-4.2.0` -> `nightlyreportsbycronsche`); canonical
// name = `<label>-<hash>-<agent id tail>`, the hash the first five z-base-32 characters of SHA-1(task id),
// the tail the last `-` field of the agent id, lower-cased (`...-S1` -> `s1`, `...-S12` -> `s12`, `...-4` -> `4`).
// Hashes of the fixture's task ids: fish-market.3f9a1c20... t31yf, fish-market.41c07e55... 3jafx,
// ice-cream w4n7d, lighthouse cbs7n, tugboat 6bp18, buoy 1jebi, archiver kppdy, collector zexdg.
import { beforeAll, describe, expect, it } from 'vitest';
import type { SnapshotData } from '../../cluster/index.js';
import { buildRecordSet, type RecordOptions } from '../../dns/records/from-snapshot.js';
import type { RecordSet } from '../../dns/records/record-set.js';
import { HARBOR, fixtureJson, fixtureSnapshot } from '../support/fixtures.js';

const F1: RecordOptions = {
  domain: 'mesos',
  ipSources: ['netinfo', 'docker', 'mesos', 'host'],
  enforceRFC952: true,
  soaMname: 'mesos-dns.mesos.',
  nsIps: ['127.0.0.1'],
  masters: ['192.0.2.50:5050'],
};

let snapshot: SnapshotData;
let f1: RecordSet;

beforeAll(async () => {
  // F1 names the configured master as the leader (the state says 192.0.2.5).
  snapshot = await fixtureSnapshot(HARBOR, (doc) => (doc['leader'] = 'master@192.0.2.50:5050'));
  f1 = buildRecordSet(snapshot, F1);
});

const srvText = (records: RecordSet, name: string) => (records.srv.get(name) ?? []).map((v) => `${v.target}:${v.port}`).sort();
const sorted = (values: readonly string[] | undefined) => [...(values ?? [])].sort();

describe('F1 A records', () => {
  const table: [string, string[]][] = [
    ['sea-lion-t31yf-s1.marathon.mesos.', ['10.20.0.1']],
    ['sea-lion-t31yf-s1.marathon.slave.mesos.', ['198.51.100.21']],
    ['sea-lion.marathon.mesos.', ['10.20.0.1']],
    ['sea-lion.marathon.slave.mesos.', ['198.51.100.21']],
    ['sea.lion-t31yf-s1.marathon.mesos.', ['10.20.0.1']],
    ['sea.lion-t31yf-s1.marathon.slave.mesos.', ['198.51.100.21']],
    ['sea.lion.marathon.mesos.', ['10.20.0.1']],
    ['sea.lion.marathon.slave.mesos.', ['198.51.100.21']],
    ['ice-cream-w4n7d-s1.marathon.mesos.', ['198.51.100.21']],
    ['ice-cream-w4n7d-s1.marathon.slave.mesos.', ['198.51.100.21']],
    ['ice-cream.marathon.mesos.', ['198.51.100.21']],
    ['ice-cream.marathon.slave.mesos.', ['198.51.100.21']],
    ['lighthouse-cbs7n-s1.marathon.mesos.', ['198.51.100.21']],
    ['lighthouse-cbs7n-s1.marathon.slave.mesos.', ['198.51.100.21']],
    ['lighthouse.marathon.mesos.', ['198.51.100.21']],
    ['lighthouse.marathon.slave.mesos.', ['198.51.100.21']],
    ['nightlyreportsbycronsche.mesos.', ['198.51.100.22']],
    ['leader.mesos.', ['192.0.2.50']],
    ['fish-market-t31yf-s1.marathon.mesos.', ['10.20.0.1']],
    ['fish-market-t31yf-s1.marathon.slave.mesos.', ['198.51.100.21']],
    ['fish-market-3jafx-s12.marathon.mesos.', ['10.20.0.2']],
    ['fish-market-3jafx-s12.marathon.slave.mesos.', ['198.51.100.22']],
    ['fish-market.marathon.mesos.', ['10.20.0.1', '10.20.0.2']],
    ['fish-market.marathon.slave.mesos.', ['198.51.100.21', '198.51.100.22']],
    ['fish.market-t31yf-s1.marathon.mesos.', ['10.20.0.1']],
    ['fish.market-t31yf-s1.marathon.slave.mesos.', ['198.51.100.21']],
    ['fish.market-3jafx-s12.marathon.mesos.', ['10.20.0.2']],
    ['fish.market-3jafx-s12.marathon.slave.mesos.', ['198.51.100.22']],
    ['fish.market.marathon.mesos.', ['10.20.0.1', '10.20.0.2']],
    ['fish.market.marathon.slave.mesos.', ['198.51.100.21', '198.51.100.22']],
    ['marathon.mesos.', ['198.51.100.21']],
    ['master.mesos.', ['192.0.2.50']],
    ['master0.mesos.', ['192.0.2.50']],
    ['mesos-dns.mesos.', ['127.0.0.1']],
    ['tugboat-6bp18-s1.marathon.mesos.', ['10.20.0.3']],
    ['tugboat-6bp18-s1.marathon.slave.mesos.', ['198.51.100.21']],
    ['tugboat.marathon.mesos.', ['10.20.0.3']],
    ['tugboat.marathon.slave.mesos.', ['198.51.100.21']],
    ['hostnameonly.mesos.', ['127.0.0.1']],
    ['buoy-1jebi-s12.marathon.mesos.', ['198.51.100.22']],
    ['buoy-1jebi-s12.marathon.slave.mesos.', ['198.51.100.22']],
    ['buoy.marathon.mesos.', ['198.51.100.22']],
    ['buoy.marathon.slave.mesos.', ['198.51.100.22']],
    ['slave.mesos.', ['198.51.100.20', '198.51.100.21', '198.51.100.22']],
    ['archiver-kppdy-s1.nightlyreportsbycronsche.mesos.', ['198.51.100.21']],
    ['archiver-kppdy-s1.nightlyreportsbycronsche.slave.mesos.', ['198.51.100.21']],
    ['archiver.nightlyreportsbycronsche.mesos.', ['198.51.100.21']],
    ['archiver.nightlyreportsbycronsche.slave.mesos.', ['198.51.100.21']],
    ['collector-zexdg-4.metrics-v6.mesos.', ['203.0.113.40', '203.0.113.41']],
    ['collector.metrics-v6.mesos.', ['203.0.113.40', '203.0.113.41']],
  ];
  for (const [name, ips] of table) it(name, () => expect(sorted(f1.a.get(name))).toEqual(sorted(ips)));

  it('has exactly the A names derived by hand', () => expect([...f1.a.keys()].sort()).toEqual(table.map(([n]) => n).sort()));

  it('publishes nothing for the killed task ferry', () => {
    expect([...f1.a.keys(), ...f1.srv.keys()].filter((n) => n.includes('ferry'))).toEqual([]);
  });
});

describe('F1 AAAA records', () => {
  const table: [string, string[]][] = [
    ['metrics-v6.mesos.', ['2001:db8:4::7']],
    ['slave.mesos.', ['2001:db8:4::7']],
    ['collector-zexdg-4.metrics-v6.mesos.', ['fd02:a::3:9000:4']],
    ['collector-zexdg-4.metrics-v6.slave.mesos.', ['2001:db8:4::7']],
    ['collector.metrics-v6.mesos.', ['fd02:a::3:9000:4']],
    ['collector.metrics-v6.slave.mesos.', ['2001:db8:4::7']],
  ];
  for (const [name, ips] of table) it(name, () => expect(sorted(f1.aaaa.get(name))).toEqual(ips));
  it('has exactly these AAAA names', () => expect([...f1.aaaa.keys()].sort()).toEqual(table.map(([n]) => n).sort()));
});

describe('F1 SRV records', () => {
  const at = (target: string, ports: number[]) => ports.map((port) => `${target}.mesos.:${port}`);
  const both = (name: string, values: string[]): [string, string[]][] => [[name.replace('_PROTO', '_tcp'), values], [name.replace('_PROTO', '_udp'), values]];
  const fishSlave = [...at('fish-market-t31yf-s1.marathon.slave', [31801, 31802]), ...at('fish-market-3jafx-s12.marathon.slave', [31910, 31911])];
  const legacySlave = [...at('fish.market-t31yf-s1.marathon.slave', [31801, 31802]), ...at('fish.market-3jafx-s12.marathon.slave', [31910, 31911])];
  const table: [string, string[]][] = [
    ['_sea-lion._tcp.marathon.mesos.', at('sea-lion-t31yf-s1.marathon', [8080, 8443])],
    ...both('_sea-lion._PROTO.marathon.slave.mesos.', at('sea-lion-t31yf-s1.marathon.slave', [31801, 31802])),
    ['_web._sea-lion._tcp.marathon.mesos.', at('sea-lion-t31yf-s1.marathon', [8080])],
    ['_tls._sea-lion._tcp.marathon.mesos.', at('sea-lion-t31yf-s1.marathon', [8443])],
    ['_sea.lion._tcp.marathon.mesos.', at('sea.lion-t31yf-s1.marathon', [8080, 8443])],
    ...both('_sea.lion._PROTO.marathon.slave.mesos.', at('sea.lion-t31yf-s1.marathon.slave', [31801, 31802])),
    ['_web._sea.lion._tcp.marathon.mesos.', at('sea.lion-t31yf-s1.marathon', [8080])],
    ['_tls._sea.lion._tcp.marathon.mesos.', at('sea.lion-t31yf-s1.marathon', [8443])],
    ...both('_ice-cream._PROTO.marathon.mesos.', at('ice-cream-w4n7d-s1.marathon.slave', [31420, 31421])),
    ...both('_ice-cream._PROTO.marathon.slave.mesos.', at('ice-cream-w4n7d-s1.marathon.slave', [31420, 31421])),
    ...both('_lighthouse._PROTO.marathon.mesos.', at('lighthouse-cbs7n-s1.marathon.slave', [31500])),
    ...both('_lighthouse._PROTO.marathon.slave.mesos.', at('lighthouse-cbs7n-s1.marathon.slave', [31500])),
    ['_framework._tcp.nightlyreportsbycronsche.mesos.', ['nightlyreportsbycronsche.mesos.:25602']],
    ['_framework._tcp.metrics-v6.mesos.', ['metrics-v6.mesos.:25603']],
    ['_framework._tcp.marathon.mesos.', ['marathon.mesos.:25601']],
    ...both('_leader._PROTO.mesos.', ['leader.mesos.:5050']),
    ['_fish-market._tcp.marathon.mesos.', [...at('fish-market-t31yf-s1.marathon', [8080, 8443]), ...at('fish-market-3jafx-s12.marathon', [8080, 8443])]],
    ['_web._fish-market._tcp.marathon.mesos.', [...at('fish-market-t31yf-s1.marathon', [8080]), ...at('fish-market-3jafx-s12.marathon', [8080])]],
    ['_tls._fish-market._tcp.marathon.mesos.', [...at('fish-market-t31yf-s1.marathon', [8443]), ...at('fish-market-3jafx-s12.marathon', [8443])]],
    ...both('_fish-market._PROTO.marathon.slave.mesos.', fishSlave),
    ['_fish.market._tcp.marathon.mesos.', [...at('fish.market-t31yf-s1.marathon', [8080, 8443]), ...at('fish.market-3jafx-s12.marathon', [8080, 8443])]],
    ['_web._fish.market._tcp.marathon.mesos.', [...at('fish.market-t31yf-s1.marathon', [8080]), ...at('fish.market-3jafx-s12.marathon', [8080])]],
    ['_tls._fish.market._tcp.marathon.mesos.', [...at('fish.market-t31yf-s1.marathon', [8443]), ...at('fish.market-3jafx-s12.marathon', [8443])]],
    ...both('_fish.market._PROTO.marathon.slave.mesos.', legacySlave),
    ...both('_buoy._PROTO.marathon.mesos.', at('buoy-1jebi-s12.marathon.slave', [31644])),
    ...both('_buoy._PROTO.marathon.slave.mesos.', at('buoy-1jebi-s12.marathon.slave', [31644])),
    ['_slave._tcp.mesos.', ['slave.mesos.:5051']],
    ...both('_archiver._PROTO.nightlyreportsbycronsche.mesos.', at('archiver-kppdy-s1.nightlyreportsbycronsche.slave', [31777])),
    ...both('_archiver._PROTO.nightlyreportsbycronsche.slave.mesos.', at('archiver-kppdy-s1.nightlyreportsbycronsche.slave', [31777])),
    ...both('_collector._PROTO.metrics-v6.mesos.', at('collector-zexdg-4.metrics-v6.slave', [31960, 31961])),
    ...both('_collector._PROTO.metrics-v6.slave.mesos.', at('collector-zexdg-4.metrics-v6.slave', [31960, 31961])),
  ];
  for (const [name, values] of table) it(name, () => expect(srvText(f1, name)).toEqual([...values].sort()));
  it('has exactly the SRV names derived by hand', () => expect([...f1.srv.keys()].sort()).toEqual(table.map(([n]) => n).sort()));

  const absent = ['_ferry._tcp.marathon.mesos.', '_fish-market._udp.marathon.mesos.', '_fish-market.marathon.mesos.'];
  for (const name of absent) it(`has no ${name}`, () => expect(f1.srv.has(name)).toBe(false));
});

describe('acceptance checks 1-34 about record content (F1)', () => {
  type Check = { check: string; name: string; a?: string[]; aaaa?: string[]; srv?: string[] };
  const table: Check[] = [
    { check: '1', name: 'sea-lion.marathon.mesos.', a: ['10.20.0.1'] },
    { check: '2', name: 'fish-market.marathon.mesos.', a: ['10.20.0.1', '10.20.0.2'] },
    { check: '3', name: 'fish-market.marathon.slave.mesos.', a: ['198.51.100.21', '198.51.100.22'] },
    { check: '4', name: 'ice-cream.marathon.slave.mesos.', a: ['198.51.100.21'] },
    { check: '5', name: 'ice-cream.marathon.mesos.', a: ['198.51.100.21'] },
    { check: '6', name: 'tugboat.marathon.mesos.', a: ['10.20.0.3'] },
    { check: '7', name: 'tugboat.marathon.slave.mesos.', a: ['198.51.100.21'] },
    { check: '8', name: 'lighthouse.marathon.mesos.', a: ['198.51.100.21'], aaaa: [] },
    { check: '9', name: 'buoy.marathon.mesos.', a: ['198.51.100.22'] },
    { check: '10', name: 'marathon.mesos.', a: ['198.51.100.21'] },
    { check: '11', name: 'archiver.nightlyreportsbycronsche.mesos.', a: ['198.51.100.21'] },
    { check: '12', name: 'nightlyreportsbycronsche.mesos.', a: ['198.51.100.22'] },
    { check: '13', name: 'slave.mesos.', a: ['198.51.100.20', '198.51.100.21', '198.51.100.22'], aaaa: ['2001:db8:4::7'] },
    { check: '14', name: 'leader.mesos.', a: ['192.0.2.50'] },
    { check: '15', name: 'master.mesos.', a: ['192.0.2.50'] },
    { check: '16', name: 'master0.mesos.', a: ['192.0.2.50'] },
    { check: '16 (no master1 in F1)', name: 'master1.mesos.', a: [] },
    { check: '17', name: 'collector.metrics-v6.mesos.', a: ['203.0.113.40', '203.0.113.41'], aaaa: ['fd02:a::3:9000:4'] },
    { check: '18', name: 'collector.metrics-v6.slave.mesos.', a: [], aaaa: ['2001:db8:4::7'] },
    { check: '19', name: 'metrics-v6.mesos.', aaaa: ['2001:db8:4::7'] },
    { check: '20', name: 'fish-market-t31yf-s1.marathon.mesos.', a: ['10.20.0.1'] },
    { check: '20', name: 'fish-market-3jafx-s12.marathon.mesos.', a: ['10.20.0.2'] },
    { check: '21', name: 'ice-cream-w4n7d-s1.marathon.slave.mesos.', a: ['198.51.100.21'] },
    { check: '22', name: 'fish.market.marathon.mesos.', a: ['10.20.0.1', '10.20.0.2'] },
    { check: '23', name: 'mesos-dns.mesos.', a: ['127.0.0.1'] },
    {
      check: '24',
      name: '_sea-lion._tcp.marathon.mesos.',
      srv: ['sea-lion-t31yf-s1.marathon.mesos.:8443', 'sea-lion-t31yf-s1.marathon.mesos.:8080'],
    },
    {
      check: '25',
      name: '_fish-market._tcp.marathon.mesos.',
      srv: [
        'fish-market-t31yf-s1.marathon.mesos.:8443',
        'fish-market-t31yf-s1.marathon.mesos.:8080',
        'fish-market-3jafx-s12.marathon.mesos.:8443',
        'fish-market-3jafx-s12.marathon.mesos.:8080',
      ],
    },
    {
      check: '26',
      name: '_web._fish-market._tcp.marathon.mesos.',
      srv: ['fish-market-t31yf-s1.marathon.mesos.:8080', 'fish-market-3jafx-s12.marathon.mesos.:8080'],
    },
    {
      check: '27',
      name: '_tls._fish-market._tcp.marathon.mesos.',
      srv: ['fish-market-t31yf-s1.marathon.mesos.:8443', 'fish-market-3jafx-s12.marathon.mesos.:8443'],
    },
    {
      check: '28',
      name: '_ice-cream._tcp.marathon.mesos.',
      srv: ['ice-cream-w4n7d-s1.marathon.slave.mesos.:31420', 'ice-cream-w4n7d-s1.marathon.slave.mesos.:31421'],
    },
    {
      check: '28',
      name: '_ice-cream._udp.marathon.mesos.',
      srv: ['ice-cream-w4n7d-s1.marathon.slave.mesos.:31420', 'ice-cream-w4n7d-s1.marathon.slave.mesos.:31421'],
    },
    {
      check: '29',
      name: '_ice-cream._tcp.marathon.slave.mesos.',
      srv: ['ice-cream-w4n7d-s1.marathon.slave.mesos.:31420', 'ice-cream-w4n7d-s1.marathon.slave.mesos.:31421'],
    },
    {
      check: '30',
      name: '_fish-market._tcp.marathon.slave.mesos.',
      srv: [
        'fish-market-t31yf-s1.marathon.slave.mesos.:31801',
        'fish-market-t31yf-s1.marathon.slave.mesos.:31802',
        'fish-market-3jafx-s12.marathon.slave.mesos.:31910',
        'fish-market-3jafx-s12.marathon.slave.mesos.:31911',
      ],
    },
    { check: '31', name: '_slave._tcp.mesos.', srv: ['slave.mesos.:5051'] },
    { check: '32', name: '_framework._tcp.marathon.mesos.', srv: ['marathon.mesos.:25601'] },
    { check: '33', name: '_leader._tcp.mesos.', srv: ['leader.mesos.:5050'] },
    { check: '33', name: '_leader._udp.mesos.', srv: ['leader.mesos.:5050'] },
    {
      check: '34',
      name: '_collector._tcp.metrics-v6.mesos.',
      srv: ['collector-zexdg-4.metrics-v6.slave.mesos.:31960', 'collector-zexdg-4.metrics-v6.slave.mesos.:31961'],
    },
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
      ['fish-market-t31yf-s1.marathon.mesos.', 'a', ['10.20.0.1']],
      ['fish-market-3jafx-s12.marathon.mesos.', 'a', ['10.20.0.2']],
      ['ice-cream-w4n7d-s1.marathon.slave.mesos.', 'a', ['198.51.100.21']],
      ['collector-zexdg-4.metrics-v6.slave.mesos.', 'aaaa', ['2001:db8:4::7']],
    ];
    for (const [name, type, ips] of targets) expect(f1.names.get(name)?.[type], name).toEqual(ips);
    expect(f1.names.get('collector-zexdg-4.metrics-v6.slave.mesos.')?.a).toEqual([]);
  });
});

describe('IP-source variants (TestInsertState)', () => {
  const table: { sources: RecordOptions['ipSources']; name: string; type: 'a' | 'aaaa'; want: string[] }[] = [
    { sources: ['host'], name: 'fish-market.marathon.mesos.', type: 'a', want: ['198.51.100.21', '198.51.100.22'] },
    { sources: ['host'], name: 'fish-market.marathon.slave.mesos.', type: 'a', want: ['198.51.100.21', '198.51.100.22'] },
    { sources: ['host'], name: 'tugboat.marathon.mesos.', type: 'a', want: ['198.51.100.21'] },
    { sources: ['host'], name: 'ice-cream.marathon.slave.mesos.', type: 'a', want: ['198.51.100.21'] },
    { sources: ['host'], name: 'collector.metrics-v6.mesos.', type: 'aaaa', want: ['2001:db8:4::7'] },
    { sources: ['host'], name: 'collector.metrics-v6.slave.mesos.', type: 'aaaa', want: ['2001:db8:4::7'] },
    { sources: ['mesos', 'host'], name: 'fish-market.marathon.mesos.', type: 'a', want: ['198.51.100.21', '198.51.100.22'] },
    { sources: ['mesos', 'host'], name: 'tugboat.marathon.mesos.', type: 'a', want: ['10.20.0.3'] },
    { sources: ['mesos', 'host'], name: 'collector.metrics-v6.mesos.', type: 'aaaa', want: ['2001:db8:4::7'] },
    { sources: ['netinfo'], name: 'collector.metrics-v6.mesos.', type: 'a', want: ['203.0.113.40', '203.0.113.41'] },
    { sources: ['netinfo'], name: 'collector.metrics-v6.mesos.', type: 'aaaa', want: ['fd02:a::3:9000:4'] },
    { sources: ['netinfo'], name: 'collector.metrics-v6.slave.mesos.', type: 'aaaa', want: ['2001:db8:4::7'] },
    { sources: ['docker', 'host'], name: 'fish-market.marathon.mesos.', type: 'a', want: ['10.20.0.1', '10.20.0.2'] },
    { sources: ['docker', 'host'], name: 'tugboat.marathon.mesos.', type: 'a', want: ['198.51.100.21'] },
    { sources: ['docker', 'host'], name: 'collector.metrics-v6.mesos.', type: 'aaaa', want: ['2001:db8:4::7'] },
  ];
  for (const c of table) {
    it(`[${c.sources.join(', ')}] ${c.name} ${c.type.toUpperCase()}`, () => {
      const records = buildRecordSet(snapshot, { ...F1, ipSources: c.sources });
      expect(sorted(records[c.type].get(c.name))).toEqual(c.want);
    });
  }
});

describe('F3 production defaults', () => {
  const f3 = () => buildRecordSet(snapshot, { ...F1, enforceRFC952: false, ipSources: ['netinfo', 'mesos', 'host'], soaMname: 'ns1.mesos.' });
  const table: [string, string[]][] = [
    ['nightlyreportsbycronscheduler-4.2.0.mesos.', ['198.51.100.22']],
    ['archiver.nightlyreportsbycronscheduler-4.2.0.mesos.', ['198.51.100.21']],
    ['fish-market.marathon.mesos.', ['198.51.100.21', '198.51.100.22']],
    ['sea-lion.marathon.mesos.', ['198.51.100.21']],
    ['fish-market-t31yf-s1.marathon.mesos.', ['198.51.100.21']],
    ['fish-market-3jafx-s12.marathon.mesos.', ['198.51.100.22']],
    ['tugboat.marathon.mesos.', ['10.20.0.3']],
    ['collector.metrics-v6.mesos.', ['203.0.113.40', '203.0.113.41']],
    ['ns1.mesos.', ['127.0.0.1']],
  ];
  for (const [name, want] of table) it(name, () => expect(sorted(f3().a.get(name))).toEqual(want));
  it('no RFC952 names and no mesos-dns.mesos.', () => {
    const names = [...f3().names.keys()];
    expect(names.filter((n) => n.includes('nightlyreportsbycronsche.'))).toEqual([]);
    expect(names).not.toContain('mesos-dns.mesos.');
  });
  it('_framework._tcp of the dotted framework name', () =>
    expect(srvText(f3(), '_framework._tcp.nightlyreportsbycronscheduler-4.2.0.mesos.')).toEqual(['nightlyreportsbycronscheduler-4.2.0.mesos.:25602']));
});

describe('enumeration (/v1/enumerate)', () => {
  it('lists every framework, running tasks only, records attributed to the first inserter', () => {
    const frameworks = f1.enumerate().map((f) => f.name);
    expect(frameworks).toEqual(snapshot.frameworks.map((f) => f.name));
    const marathon = f1.enumerate().find((f) => f.name === 'marathon')!;
    expect(marathon.tasks.map((t) => t.name)).not.toContain('ferry.e4f5a6b7-8b7f-11ee-9c4e-0242ac110002');
    const fish = marathon.tasks.find((t) => t.name === 'fish.market')!;
    const seaLion = marathon.tasks.find((t) => t.name === 'sea.lion2')!;
    expect(fish.records?.[0]).toEqual({ name: 'fish.market.marathon.mesos.', host: '10.20.0.1', rtype: 'A' });
    // sea.lion2 has the same task id and agent as fish.market: its shared .slave records were inserted first by fish.market.
    expect(seaLion.records?.some((r) => r.name === 'sea-lion.marathon.mesos.')).toBe(true);
    const hostnameOnly = f1.enumerate().find((f) => f.name === 'hostname only')!;
    expect(hostnameOnly.tasks).toEqual([]);
  });
});

describe('healthyOnly', () => {
  it('leaves out tasks whose newest status is unhealthy, keeps unknown and healthy ones', async () => {
    const patched = await fixtureSnapshot(HARBOR, (doc) => {
      const marathon = (doc['frameworks'] as { name: string; tasks: { name: string; statuses: { healthy?: boolean }[] }[] }[]).find(
        (f) => f.name === 'marathon',
      )!;
      for (const task of marathon.tasks) {
        if (task.name === 'lighthouse') for (const s of task.statuses) s.healthy = false;
        if (task.name === 'tugboat') for (const s of task.statuses) s.healthy = true;
      }
    });
    const all = buildRecordSet(patched, F1);
    const healthy = buildRecordSet(patched, { ...F1, healthyOnly: true });
    expect(all.a.has('lighthouse.marathon.mesos.')).toBe(true);
    expect(healthy.a.has('lighthouse.marathon.mesos.')).toBe(false);
    expect(healthy.srv.has('_lighthouse._tcp.marathon.mesos.')).toBe(false);
    expect(healthy.a.get('tugboat.marathon.mesos.')).toEqual(['10.20.0.3']);
    expect(healthy.a.has('buoy.marathon.mesos.')).toBe(true);
  });
});

describe('set semantics at scale', () => {
  it('keeps every value once on names with hundreds of values (the Set path)', async () => {
    const doc = await fixtureJson(HARBOR);
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
    expect(records.aaaa.get('slave.mesos.')).toEqual(['2001:db8:4::7', '2001:db8::99']);
  });
});
