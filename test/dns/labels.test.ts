// Label sanitising, hashes and master records: Mesos-DNS's own test vectors.
import { describe, expect, it } from 'vitest';
import { parseMasterState, type SnapshotData } from '../../cluster/index.js';
import { domainFrag, hashTaskId, sanitizeLabel, agentTail } from '../../dns/records/labels.js';
import { buildRecordSet } from '../../dns/records/from-snapshot.js';

describe('sanitizeLabel', () => {
  const table: [string, string, string][] = [
    ['4abc123', '4abc123', 'abc123'],
    ['-4abc123', '4abc123', 'abc123'],
    ['a.b.c.d.e', 'a-b-c-d-e', 'a-b-c-d-e'],
    ['a.c.d_de.', 'a-c-d-de', 'a-c-d-de'],
    ['---a---b', 'a---b', 'a---b'],
    ['a---', 'a', 'a'],
    ['-', '', ''],
    ['', '', ''],
    ['r29f.dev.angrypigs', 'r29f-dev-angrypigs', 'r29f-dev-angrypigs'],
    ['fd%gsf---gs7-f$gs--d7fddg-123', 'fdgsf---gs7-fgs--d7fddg-123', 'fdgsf---gs7-fgs--d7fddg1'],
    ['89fdgsf---gs7-fgs--d7fddg---123', '89fdgsf---gs7-fgs--d7fddg---123', 'fdgsf---gs7-fgs--d7fddg1'],
    ['89fdgsf---gs7-fgs--d7fddg-', '89fdgsf---gs7-fgs--d7fddg', 'fdgsf---gs7-fgs--d7fddg'],
    ['chronos with a space AND MIXED CASE-2.0.1', 'chronoswithaspaceandmixedcase-2-0-1', 'chronoswithaspaceandmixe'],
    [`hello${'-'.repeat(56)}f`, `hello${'-'.repeat(56)}f`, 'hellof'],
    [`hello${'-'.repeat(58)}f`, 'hellof', 'hellof'],
    [
      '##fdgsf---gs7-fgs--d7fddg123456789012345678901234567890123456789-',
      'fdgsf---gs7-fgs--d7fddg123456789012345678901234567890123456789',
      'fdgsf---gs7-fgs--d7fddg1',
    ],
    [
      'fd%gsf---gs7-f$gs--d7fddg123456789012345678901234567890123456789-123',
      'fdgsf---gs7-fgs--d7fddg1234567890123456789012345678901234567891',
      'fdgsf---gs7-fgs--d7fddg1',
    ],
    ['ünïcödé-Näme', 'ncd-nme', 'ncd-nme'],
    ['emoji😀name', 'emojiname', 'emojiname'],
    // The edges of each kept range and the characters just outside them: ` { / : @ [ are dropped.
    ['`az{09/:AZ@[', 'az09az', 'az09az'],
    // RFC952 cuts at 24 inside the dashes: only the dashes right after the cut are skipped, not the later ones.
    [`abc${'-'.repeat(21)}x-y`, `abc${'-'.repeat(21)}x-y`, 'abcx-y'],
  ];
  for (const [input, rfc1123, rfc952] of table) {
    it(`"${input}" → "${rfc1123}" (RFC1123), "${rfc952}" (RFC952)`, () => {
      expect(sanitizeLabel(input, 'rfc1123')).toBe(rfc1123);
      expect(sanitizeLabel(input, 'rfc952')).toBe(rfc952);
    });
  }
});

describe('the default mode is RFC1123', () => {
  const long = `${'a'.repeat(30)}.b`;
  it('sanitizeLabel', () => expect(sanitizeLabel(long)).toBe(`${'a'.repeat(30)}-b`));
  it('domainFrag', () => expect(domainFrag(long)).toBe(`${'a'.repeat(30)}.b`));
});

describe('domainFrag', () => {
  const table: [string, string, string][] = [
    ['', '', ''],
    ['.', '', ''],
    ['..', '', ''],
    ['abc.', 'abc', 'abc'],
    ['.a.c', 'a.c', 'a.c'],
    ['a..c.e', 'a.c.e', 'a.c.e'],
    ['space space.com', 'spacespace.com', 'spacespace.com'],
    ['not$1234.com', 'not1234.com', 'not1234.com'],
    ['(@ host . com', 'host.com', 'host.com'],
    ['MiXeDcase.CoM', 'mixedcase.com', 'mixedcase.com'],
    ['pod_123$abc.marathon-0.6.0-dev.mesos', 'pod-123abc.marathon-0.6.0-dev.mesos', 'pod-123abc.marathon-0.dev.mesos'],
  ];
  for (const [input, rfc1123, rfc952] of table) {
    it(`"${input}"`, () => {
      expect(domainFrag(input, 'rfc1123')).toBe(rfc1123);
      expect(domainFrag(input, 'rfc952')).toBe(rfc952);
    });
  }
});

describe('hashTaskId and agentTail', () => {
  const hashes: [string, string][] = [
    ['test', 'iffe9'],
    ['liquor-store.b8db9f73-562f-11e4-a088-c20493233aa5', '4dfjd'],
    ['liquor-store.b71166c1-562f-11e4-a088-c20493233aa5', 'zasmd'],
    ['car-store.43758382-562f-11e4-a088-c20493233aa5', 'zinaz'],
    ['chronos.49b91a9a-3dda-11e4-a088-c20493233aa5', 'rx8q6'],
    ['nginx.1bc32344-3dda-11e4-a088-c20493233aa5', '6ud99'],
    ['reviewbot.8c9b3434-615a-11e4-a088-c20493233aa5', '8sq89'],
    ['some-box.b8db9f73-562f-11e4-a088-c20493233aa5', 'h3dyr'],
    ['toy-store.b8db9f73-562f-11e4-a088-c20493233aa5', 'go588'],
  ];
  for (const [id, hash] of hashes) it(`${id} → ${hash}`, () => expect(hashTaskId(id)).toBe(hash));
  it('agent tails', () => {
    expect(agentTail('20140803-125133-3041283216-5050-2410-0')).toBe('0');
    expect(agentTail('a1b2-S1')).toBe('s1');
  });
});

describe('master records (TestMasterRecord, domain foo.com)', () => {
  // The leader string goes through the real state parser, as a master's document would.
  async function masterRecords(leader: string, masters: string[]) {
    const snapshot: SnapshotData = await parseMasterState(
      { leader, frameworks: [], slaves: [] },
      { source: { kind: 'file', origin: 'test' }, fetchedAt: 0, resolveHost: async () => [] },
    );
    const records = buildRecordSet(snapshot, { domain: 'foo.com', ipSources: ['host'], enforceRFC952: false, soaMname: 'ns1.foo.com.', nsIps: [], masters });
    const out: Record<string, string[]> = {};
    for (const [name, ips] of [...records.a, ...records.aaaa]) out[name] = [...(out[name] ?? []), ...ips].sort();
    for (const [name, values] of records.srv) out[name] = values.map((v) => `${v.target}:${v.port}`);
    return out;
  }
  const table: { name: string; masters: string[]; leader: string; want: Record<string, string[]> }[] = [
    { name: 'no leader', masters: [], leader: '', want: {} },
    { name: 'leader "@"', masters: [], leader: '@', want: {} },
    { name: 'leader "1@"', masters: [], leader: '1@', want: {} },
    { name: 'leader "@2"', masters: [], leader: '@2', want: {} },
    { name: 'leader "3@4"', masters: [], leader: '3@4', want: {} },
    {
      name: 'leader only',
      masters: [],
      leader: '5@0.0.0.6:7',
      want: {
        'leader.foo.com.': ['0.0.0.6'],
        'master.foo.com.': ['0.0.0.6'],
        'master0.foo.com.': ['0.0.0.6'],
        '_leader._tcp.foo.com.': ['leader.foo.com.:7'],
        '_leader._udp.foo.com.': ['leader.foo.com.:7'],
      },
    },
    {
      name: 'IPv6 leader',
      masters: [],
      leader: '5@[2001:db8::1]:7',
      want: {
        'leader.foo.com.': ['2001:db8::1'],
        'master.foo.com.': ['2001:db8::1'],
        'master0.foo.com.': ['2001:db8::1'],
        '_leader._tcp.foo.com.': ['leader.foo.com.:7'],
        '_leader._udp.foo.com.': ['leader.foo.com.:7'],
      },
    },
    {
      name: 'leader is the only master',
      masters: ['0.0.0.6:7'],
      leader: '5@0.0.0.6:7',
      want: { 'master.foo.com.': ['0.0.0.6'], 'master0.foo.com.': ['0.0.0.6'] },
    },
    {
      name: 'other master first',
      masters: ['0.0.0.8:9'],
      leader: '5@0.0.0.6:7',
      want: { 'master.foo.com.': ['0.0.0.6', '0.0.0.8'], 'master0.foo.com.': ['0.0.0.8'], 'master1.foo.com.': ['0.0.0.6'] },
    },
    {
      name: 'duplicate master skipped',
      masters: ['0.0.0.8:9', '0.0.0.8:9'],
      leader: '5@0.0.0.6:7',
      want: { 'master0.foo.com.': ['0.0.0.8'], 'master1.foo.com.': ['0.0.0.6'] },
    },
    {
      name: 'leader in the list',
      masters: ['0.0.0.8:9', '0.0.0.6:7'],
      leader: '5@0.0.0.6:7',
      want: { 'master0.foo.com.': ['0.0.0.8'], 'master1.foo.com.': ['0.0.0.6'] },
    },
    {
      name: 'three masters',
      masters: ['0.0.0.8:9', '0.0.0.6:7', '0.0.0.7:0'],
      leader: '5@0.0.0.6:7',
      want: {
        'master.foo.com.': ['0.0.0.6', '0.0.0.7', '0.0.0.8'],
        'master0.foo.com.': ['0.0.0.8'],
        'master1.foo.com.': ['0.0.0.6'],
        'master2.foo.com.': ['0.0.0.7'],
      },
    },
    {
      name: 'IPv6 master',
      masters: ['0.0.0.8:9', '0.0.0.6:7', '[2001:db8::1]:0'],
      leader: '5@0.0.0.6:7',
      want: { 'master2.foo.com.': ['2001:db8::1'], 'master.foo.com.': ['0.0.0.6', '0.0.0.8', '2001:db8::1'] },
    },
  ];
  for (const c of table) {
    it(c.name, async () => {
      const got = await masterRecords(c.leader, c.masters);
      if (Object.keys(c.want).length === 0) expect(got).toEqual({});
      for (const [name, values] of Object.entries(c.want)) expect(got[name], name).toEqual([...values].sort());
    });
  }
});
