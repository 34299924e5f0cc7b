// The answer table gives back the records it was built from (get, entries), read out of its
// pre-encoded answers, exactly as the record set held them: the Mesos-DNS HTTP API answers from
// it once the record set is dropped. And the record set is dropped: nothing in the table keeps it.
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { buildRecordSet } from '../../dns/index.js';
import type { NameRecords } from '../../dns/records/record-set.js';
import { AnswerTable } from '../../dns/server/answer-table.js';
import { ipv6Text } from '../../dns/wire/answer-reader.js';
import { HARBOR, fixtureSnapshot } from '../support/fixtures.js';
import { TEST_ZONE } from '../support/dns-server.js';

const none: NameRecords = { a: [], aaaa: [], srv: [] };
const rec = (r: Partial<NameRecords>): NameRecords => ({ ...none, ...r });
const LONGEST = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(55)}.mesos.`;

const cases: { name: string; records: [string, NameRecords][] }[] = [
  {
    name: 'A and AAAA, one and many values (more than the rotations), in their order',
    records: [
      ['web.mesos.', rec({ a: ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5', '10.0.0.6'], aaaa: ['fd00::1', 'fd00::2'] })],
      ['one.mesos.', rec({ a: ['0.0.0.0'] })],
      ['six.mesos.', rec({ aaaa: ['fd00::6'] })],
      [LONGEST, rec({ a: ['255.255.255.255'] })],
    ],
  },
  {
    name: 'SRV: a target twice (a pointer to its first copy), a target under the question, one elsewhere, ports in order',
    records: [
      ['_web._tcp.marathon.mesos.', rec({ srv: [
        { target: 'web-a.marathon.mesos.', port: 31000 },
        { target: 'web-b.marathon.slave.mesos.', port: 31001 },
        { target: 'web-a.marathon.mesos.', port: 31002 },
        { target: 'other.example.', port: 1 },
        { target: 'web-a.marathon.mesos.', port: 65535 },
      ] })],
      ['web-a.marathon.mesos.', rec({ a: ['10.1.0.1'], aaaa: ['fd00::a'] })],
      ['_self._tcp.mesos.', rec({ srv: [{ target: '_self._tcp.mesos.', port: 7 }], a: ['10.9.9.9'] })],
    ],
  },
  {
    name: 'IPv6 spelled another way than the reader writes it is given back as it was',
    records: [
      ['upper.mesos.', rec({ aaaa: ['FD00::1'] })],
      ['padded.mesos.', rec({ aaaa: ['fd00:0:0:0:0:0:0:1', 'fd00::2'] })],
      ['mapped.mesos.', rec({ aaaa: ['::ffff:10.0.0.1'] })],
      ['plain.mesos.', rec({ aaaa: ['2001:db8::1:0:0:1', '::1', '::'] })],
    ],
  },
  {
    name: 'values that are not IP literals, targets no query can name: the name keeps all its records',
    records: [
      ['bad.mesos.', rec({ a: ['10.0.0.300', '10.4.0.1'], aaaa: ['nope', 'fd00::4'] })],
      ['lead.mesos.', rec({ a: ['010.0.0.1'] })],
      ['_odd._tcp.mesos.', rec({ srv: [{ target: 'Upper.mesos.', port: 1 }, { target: 'bad.mesos.', port: 2 }] })],
      ['v6-in-a.mesos.', rec({ a: ['fd00::1'] })],
    ],
  },
  {
    name: 'names no query can name (legacy raw names) keep their place among the others',
    records: [
      ['Upper.mesos.', rec({ a: ['10.2.0.1'] })],
      ['web.mesos.', rec({ a: ['10.0.0.1'] })],
      ['_RAW._tcp.Mesos.', rec({ srv: [{ target: 'web.mesos.', port: 80 }] })],
      ['no-dot.mesos', rec({ a: ['10.0.0.2'] })],
      ['two.mesos.', rec({ a: ['10.0.0.3'] })],
      [`${'x'.repeat(64)}.mesos.`, rec({ a: ['10.3.0.2'] })],
      ['__proto__.', rec({ a: ['10.3.0.3'] })],
    ],
  },
];

describe('AnswerTable: the records read back from its answers', () => {
  for (const c of cases) {
    it(c.name, () => {
      const names = new Map(c.records);
      const table = new AnswerTable({ names }, TEST_ZONE, 1);
      expect([...table.entries()]).toEqual(c.records);
      for (const [name, records] of c.records) expect(table.get(name), name).toEqual(records);
    });
  }

  it('names it does not hold: undefined (also a held name without its trailing dot)', () => {
    const table = new AnswerTable({ names: new Map([['web.mesos.', rec({ a: ['10.0.0.1'] })]]) }, TEST_ZONE, 1);
    for (const name of ['missing.mesos.', 'web.mesos', 'WEB.mesos.', '']) expect(table.get(name), name).toBeUndefined();
  });

  it("a whole cluster's record set (the harbor fixture) comes back name for name, in order", async () => {
    const records = buildRecordSet(await fixtureSnapshot(HARBOR), {
      domain: 'mesos', ipSources: ['netinfo', 'docker', 'mesos', 'host'], enforceRFC952: false, soaMname: 'ns1.mesos.', nsIps: ['127.0.0.1', 'fd00::53'],
    });
    const table = new AnswerTable(records, TEST_ZONE, 1);
    expect([...table.entries()]).toEqual([...records.names]);
  });
});

describe('ipv6Text: the URL standard spelling (the records builder canonicalizes with URL)', () => {
  const cases = [
    '::', '::1', '1::', 'fd00::1', '2001:db8::1:0:0:1', '2001:db8:0:0:1::1', '1:0:0:2:0:0:0:3', '1:0:1:0:1:0:1:0',
    '0:1:0:0:1:0:0:0', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', '::ffff:10.0.0.1', 'fe80::abcd:0:0:1', '0:0:1::',
  ];
  for (const text of cases) {
    it(text, () => {
      const groups = new URL(`http://[${text}]/`).hostname.slice(1, -1);
      const bytes = Buffer.alloc(16);
      const full = groups.includes('::') ? expandV6(groups) : groups.split(':');
      full.forEach((g, i) => bytes.writeUInt16BE(parseInt(g, 16), 2 * i));
      expect(ipv6Text(bytes)).toBe(groups);
    });
  }
});

function expandV6(text: string): string[] {
  const [head, tail] = text.split('::') as [string, string];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  return [...left, ...new Array<string>(8 - left.length - right.length).fill('0'), ...right];
}

describe('AnswerTable: what it keeps', () => {
  it('the record set it was built from can be collected once the table is built', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    setFlagsFromString('--no-expose-gc');
    const build = () => {
      const names = new Map<string, NameRecords>([
        ['web.mesos.', rec({ a: ['10.0.0.1', '10.0.0.2'] })],
        ['_web._tcp.mesos.', rec({ srv: [{ target: 'web.mesos.', port: 80 }, { target: 'web.mesos.', port: 81 }] })],
      ]);
      return { table: new AnswerTable({ names }, TEST_ZONE, 1), names: new WeakRef(names) };
    };
    const { table, names } = build();
    // A WeakRef holds its target until the current job ends.
    await new Promise((resolve) => setImmediate(resolve));
    gc();
    expect(names.deref()).toBeUndefined();
    expect(table.get('_web._tcp.mesos.')!.srv).toEqual([{ target: 'web.mesos.', port: 80 }, { target: 'web.mesos.', port: 81 }]);
  });
});
