// The per-query answer builder on its own: which records each question type gets (ANY: all of them
// plus SOA and NS, and a second SOA when nothing answered), the rotation that spreads clients over a
// name's members, the SRV additionals, and truncation at the exact byte limit (TC, additionals
// dropped first, then the fewest answers, strictly below the limit). Written for what mutation
// testing found unchecked by the server tests.
import { describe, expect, it } from 'vitest';
import { encodeWithin, positiveSections, rotate, srvAdditional } from '../../dns/server/answer-sections.js';
import type { NameRecords } from '../../dns/records/record-set.js';
import { QNAME } from '../../dns/wire/encoder.js';
import { TYPE } from '../../dns/wire/format.js';
import { TEST_ZONE } from '../support/dns-server.js';

const web: NameRecords = {
  a: ['10.0.0.1', '10.0.0.2', '10.0.0.3'],
  aaaa: ['fd00::1', 'fd00::2'],
  srv: [
    { target: 'web-a.mesos.', port: 31001 },
    { target: 'web-b.mesos.', port: 31002 },
    { target: 'web-a.mesos.', port: 31003 },
  ],
};
const names = new Map<string, NameRecords>([
  ['web.mesos.', web],
  ['web-a.mesos.', { a: ['10.0.0.1'], aaaa: ['fd00::1'], srv: [] }],
  ['web-b.mesos.', { a: [], aaaa: ['fd00::2'], srv: [] }],
]);
const summary = (records: readonly { type: number; ip?: string; port?: number; name?: unknown }[]) =>
  records.map((r) => `${Object.keys(TYPE).find((k) => TYPE[k as keyof typeof TYPE] === r.type)} ${r.ip ?? r.port ?? ''}`.trim());

describe('positiveSections', () => {
  const cases: { name: string; type: number; entry: NameRecords; answers: string[]; authority: string[]; additional: string[] }[] = [
    { name: 'A: the addresses only', type: TYPE.A, entry: web, answers: ['A 10.0.0.1', 'A 10.0.0.2', 'A 10.0.0.3'], authority: [], additional: [] },
    { name: 'AAAA: the IPv6 addresses only', type: TYPE.AAAA, entry: web, answers: ['AAAA fd00::1', 'AAAA fd00::2'], authority: [], additional: [] },
    {
      name: 'SRV: the services, and one A and one AAAA per distinct target',
      type: TYPE.SRV,
      entry: web,
      answers: ['SRV 31001', 'SRV 31002', 'SRV 31003'],
      authority: [],
      additional: ['A 10.0.0.1', 'AAAA fd00::1', 'AAAA fd00::2'],
    },
    {
      name: 'ANY: everything, then SOA and NS',
      type: TYPE.ANY,
      entry: web,
      answers: ['SRV 31001', 'SRV 31002', 'SRV 31003', 'A 10.0.0.1', 'A 10.0.0.2', 'A 10.0.0.3', 'AAAA fd00::1', 'AAAA fd00::2'],
      authority: ['SOA', 'NS'],
      additional: ['A 10.0.0.1', 'AAAA fd00::1', 'AAAA fd00::2'],
    },
    {
      name: 'ANY with nothing to answer: a second SOA',
      type: TYPE.ANY,
      entry: { a: [], aaaa: [], srv: [] },
      answers: [],
      authority: ['SOA', 'NS', 'SOA'],
      additional: [],
    },
    { name: 'A of a name with only SRV: nothing', type: TYPE.A, entry: { a: [], aaaa: [], srv: web.srv }, answers: [], authority: [], additional: [] },
  ];
  it.each(cases)('$name', ({ type, entry, answers, authority, additional }) => {
    const s = positiveSections(names, TEST_ZONE, 7, entry, type, QNAME, 0);
    expect({ answers: summary(s.answers), authority: summary(s.authority), additional: summary(s.additional) }).toEqual({ answers, authority, additional });
    expect(s.rcode).toBe(0);
  });

  it('A records are owned by the given owner, SRV by the question; SOA carries the serial and the zone', () => {
    const s = positiveSections(names, TEST_ZONE, 42, web, TYPE.ANY, 'web.mesos.', 1);
    expect(s.answers.find((r) => r.type === TYPE.A)).toMatchObject({ name: 'web.mesos.', ttl: 60, ip: '10.0.0.2' });
    expect(s.answers.find((r) => r.type === TYPE.SRV)).toMatchObject({ name: QNAME, priority: 0, weight: 1, port: 31002, target: 'web-b.mesos.' });
    expect(s.authority[0]).toMatchObject({ type: TYPE.SOA, serial: 42, mname: 'ns1.mesos.', rname: 'root.ns1.mesos.', minimum: 60, expire: 86400 });
    expect(s.authority[1]).toMatchObject({ type: TYPE.NS, host: 'ns1.mesos.' });
  });
});

describe('rotate', () => {
  const cases: { name: string; values: number[]; by: number; want: number[] }[] = [
    { name: 'by 0', values: [1, 2, 3], by: 0, want: [1, 2, 3] },
    { name: 'by 1', values: [1, 2, 3], by: 1, want: [2, 3, 1] },
    { name: 'by 2', values: [1, 2, 3], by: 2, want: [3, 1, 2] },
    { name: 'a whole turn', values: [1, 2, 3], by: 3, want: [1, 2, 3] },
    { name: 'more than a turn', values: [1, 2, 3], by: 7, want: [2, 3, 1] },
    { name: 'two members', values: [1, 2], by: 1, want: [2, 1] },
    { name: 'one member', values: [1], by: 5, want: [1] },
    { name: 'none', values: [], by: 5, want: [] },
  ];
  it.each(cases)('$name', ({ values, by, want }) => {
    expect(rotate(values, by)).toEqual(want);
  });
});

describe('srvAdditional', () => {
  it('skips targets without addresses and names each target once', () => {
    const srv = [
      { target: 'gone.mesos.', port: 1 },
      { target: 'web-b.mesos.', port: 2 },
      { target: 'web-b.mesos.', port: 3 },
    ];
    const entry: NameRecords = { a: [], aaaa: [], srv };
    expect(srvAdditional(names, entry, 60).map((r) => [r.name, r.type])).toEqual([['web-b.mesos.', TYPE.AAAA]]);
  });
});

describe('encodeWithin', () => {
  const question = Buffer.from([3, 0x77, 0x65, 0x62, 5, 0x6d, 0x65, 0x73, 0x6f, 0x73, 0, 0, 33, 0, 1]); // web.mesos SRV IN
  const sections = positiveSections(names, TEST_ZONE, 1, web, TYPE.SRV, QNAME, 0);
  const counts = (b: Buffer) => ({ tc: (b.readUInt16BE(2) & 0x0200) !== 0, an: b.readUInt16BE(6), ns: b.readUInt16BE(8), ar: b.readUInt16BE(10) });
  const full = encodeWithin(1, 0x8400, question, sections, 65535, true, null);
  const bare = encodeWithin(1, 0x8400, question, { ...sections, additional: [] }, 65535, true, null);

  it('fits: everything, no TC', () => {
    expect(counts(full)).toEqual({ tc: false, an: 3, ns: 0, ar: 3 });
    expect(encodeWithin(1, 0x8400, question, sections, full.length, true, null)).toEqual(full);
  });
  it('one byte short: TC, the additionals go first, the answers stay when they fit strictly below the limit', () => {
    expect(counts(encodeWithin(1, 0x8400, question, sections, full.length - 1, true, null))).toEqual({ tc: true, an: 3, ns: 0, ar: 0 });
  });
  it('without the TC setting: truncated the same, no TC bit', () => {
    expect(counts(encodeWithin(1, 0x8400, question, sections, full.length - 1, false, null))).toMatchObject({ tc: false, an: 3, ar: 0 });
  });
  it('answers exactly at the limit are not below it: one answer goes', () => {
    expect(counts(encodeWithin(1, 0x8400, question, sections, bare.length, true, null))).toEqual({ tc: true, an: 2, ns: 0, ar: 0 });
  });
  it('fewer answers exactly at the limit are not below it either: one more goes', () => {
    const twoAnswers = encodeWithin(1, 0x8400, question, { ...sections, answers: sections.answers.slice(0, 2), additional: [] }, 65535, true, null);
    expect(counts(encodeWithin(1, 0x8400, question, sections, twoAnswers.length, true, null))).toEqual({ tc: true, an: 1, ns: 0, ar: 0 });
  });
  it('room for none: the header and question alone', () => {
    expect(counts(encodeWithin(1, 0x8400, question, sections, 40, true, null))).toEqual({ tc: true, an: 0, ns: 0, ar: 0 });
  });
  it('EDNS: the OPT record stays in the additional section, truncated or not', () => {
    const withOpt = encodeWithin(1, 0x8400, question, sections, 65535, true, 1232);
    expect(counts(withOpt)).toMatchObject({ tc: false, ar: 4 });
    // The OPT record last: the root as its owner, type 41, the UDP size, no extended flags, no data.
    expect([...withOpt.subarray(-11)]).toEqual([0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0]);
    expect(withOpt.length - full.length).toBe(11);
    expect(counts(encodeWithin(1, 0x8400, question, sections, withOpt.length - 1, true, 1232))).toMatchObject({ tc: true, an: 3, ar: 1 });
  });
});
