// The pre-encoded answer table (dns/server/answer-table.ts) on its own, each reply read back by an
// independent decoder (dns2's Packet): negative answers and SOA/NS, the header bits a reply echoes,
// the OPT record, truncation at every limit (compared with the per-query encoder, which mixed-case
// questions take), rotations of A, AAAA and SRV answers, which names and SRV targets can be answered,
// and which names are in the zone. Written for what mutation testing found unchecked (TESTING.md):
// until this file only the end-to-end `dig` tests reached most of it.
import dns2 from 'dns2';
import { describe, expect, it } from 'vitest';
import type { NameRecords, ZoneOptions } from '../../dns/records/record-set.js';
import { AnswerTable } from '../../dns/server/answer-table.js';
import { parseQuery, skipName, TYPE, type ParsedQuery } from '../../dns/wire/format.js';
import { query } from '../support/dns-client.js';
import { TEST_ZONE } from '../support/dns-server.js';

const { Packet } = dns2;
const LONG_LABEL = 'y'.repeat(63);
// 254 characters with the trailing dot: the longest name a query can carry (255 bytes on the wire).
const LONGEST = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(55)}.mesos.`;
// One more: no query can name it, so the table leaves it out.
const LONGER = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(56)}.mesos.`;

const RECORDS: Record<string, Partial<NameRecords>> = {
  'web.mesos.': { a: ['10.0.0.1', '10.0.0.2', '10.0.0.3'], aaaa: ['fd00::1', 'fd00::2'] },
  'one.mesos.': { a: ['10.0.0.9'] },
  '_web._tcp.mesos.': {
    srv: [
      { target: 'web-a.mesos.', port: 31000 },
      { target: 'web-b.mesos.', port: 31001 },
      { target: 'web-a.mesos.', port: 31002 },
    ],
  },
  'web-a.mesos.': { a: ['10.1.0.1'], aaaa: ['fd00::a'] },
  'web-b.mesos.': { a: ['10.1.0.2'] },
  // A target no lower-case query can name is left out of the answer (and counted as skipped); the
  // question is longer than _web's, which shares its targets.
  '_oddity._tcp.mesos.': {
    srv: [
      { target: 'Upper.mesos.', port: 1 },
      { target: 'web-b.mesos.', port: 2 },
      { target: 'web-a.mesos.', port: 3 },
    ],
  },
  'Upper.mesos.': { a: ['10.2.0.1'] },
  // Values that are not IP literals are left out, in answers and in SRV additionals alike (an SRV
  // additional takes a target's first A and first AAAA, as Mesos-DNS does: here both are left out).
  'bad.mesos.': { a: ['10.0.0.300', '10.4.0.1'], aaaa: ['nope', 'fd00::4'] },
  '_bad._tcp.mesos.': { srv: [{ target: 'bad.mesos.', port: 1 }] },
  '_bad2._tcp.mesos.': { srv: [{ target: 'bad.mesos.', port: 1 }, { target: 'web-b.mesos.', port: 2 }] },
  // Three answers in a reply that does not start the table.
  'three.mesos.': { a: ['10.5.0.1', '10.5.0.2', '10.5.0.3'] },
  'A.mesos.': { a: ['10.2.0.2'] },
  'Z.mesos.': { a: ['10.2.0.3'] },
  [`${LONG_LABEL}.mesos.`]: { a: ['10.3.0.1'] },
  [`${'x'.repeat(64)}.mesos.`]: { a: ['10.3.0.2'] },
  [LONGEST]: { a: ['10.3.0.3'] },
  [LONGER]: { a: ['10.3.0.4'] },
  'odd!@[~.mesos.': { a: ['10.3.0.5'] },
  'sp ace.mesos.': { a: ['10.3.0.6'] },
  'del\x7f.mesos.': { a: ['10.3.0.7'] },
  'a..mesos.': { a: ['10.3.0.8'] },
  'nodot.mesos': { a: ['10.3.0.9'] },
};

function newTable(zone: ZoneOptions = TEST_ZONE): AnswerTable {
  const names = new Map<string, NameRecords>(Object.entries(RECORDS).map(([n, r]) => [n, { a: r.a ?? [], aaaa: r.aaaa ?? [], srv: r.srv ?? [] }]));
  return new AnswerTable({ names }, zone, 7);
}

interface Ask {
  id?: number;
  flags?: number;
  qclass?: number;
  limit?: number;
  optSize?: number | null;
}
function ask(table: AnswerTable, name: string | Buffer, type: number, o: Ask = {}): Buffer {
  const msg = typeof name === 'string' ? query(name, type, { id: o.id ?? 0x1234, flags: o.flags ?? 0x0100, qclass: o.qclass ?? 1 }) : name;
  return table.respond(msg, parseQuery(msg) as ParsedQuery, { limit: o.limit ?? 65535, optSize: o.optSize ?? null });
}

const TYPE_NAME: Record<number, string> = { 1: 'A', 2: 'NS', 6: 'SOA', 28: 'AAAA', 33: 'SRV', 41: 'OPT' };
/** A reply in one line: rcode, id, flags, then each section's records. */
function summary(reply: Buffer): string {
  const p = Packet.parse(reply);
  const h = p.header as unknown as Record<string, number>;
  const flags = ['aa', 'tc', 'rd', 'ra', 'ad', 'cd'].filter((f) => h[f]).join(',');
  const rr = (r: Record<string, any>) => {
    const value =
      r.type === 6 ? `${r.primary} ${r.admin} ${r.serial}`
      : r.type === 33 ? `${r.priority} ${r.weight} ${r.port} ${r.target}`
      : r.type === 41 ? `udp ${r.class}`
      : r.type === 2 ? r.ns
      : r.address;
    return `${r.name} ${r.type === 41 ? '' : `${r.ttl} `}${TYPE_NAME[r.type] ?? r.type} ${value}`;
  };
  const section = (rrs: Record<string, any>[]) => rrs.map(rr).join('; ');
  const question = p.questions.map((q: Record<string, any>) => `${q.name} ${TYPE_NAME[q.type] ?? q.type}`).join('; ');
  const sections = `an: ${section(p.answers)} | ns: ${section(p.authorities)} | ar: ${section(p.additionals)}`;
  return `q: ${question} | rcode ${h['rcode']} id ${h['id']} ${flags} | ${sections}`;
}

const SOA = (owner: string) => `${owner} 60 SOA ns1.mesos root.ns1.mesos 7`;

/** Walks every record by its RDLENGTH: it must end exactly at the reply's end (dns2 reads SRV data by its fields). */
function recordsByLength(reply: Buffer): number {
  const count = reply.readUInt16BE(6) + reply.readUInt16BE(8) + reply.readUInt16BE(10);
  let at = skipName(reply, 12) + 4;
  for (let i = 0; i < count; i++) {
    at = skipName(reply, at);
    at += 10 + reply.readUInt16BE(at + 8);
  }
  expect(at).toBe(reply.length);
  return count;
}

describe('AnswerTable: replies read back', () => {
  const cases: { name: string; q: string | (() => Buffer); type: number; o?: Ask; zone?: ZoneOptions; want: string }[] = [
    { name: 'one A record', q: 'one.mesos', type: TYPE.A, want: 'rcode 0 id 4660 aa,rd | an: one.mesos 60 A 10.0.0.9 | ns:  | ar: ' },
    { name: 'SOA of any name', q: 'one.mesos', type: TYPE.SOA, want: `rcode 0 id 4660 aa,rd | an:  | ns: ${SOA('one.mesos')} | ar: ` },
    { name: 'NS', q: 'mesos', type: TYPE.NS, want: 'rcode 0 id 4660 aa,rd | an:  | ns: mesos 60 NS ns1.mesos | ar: ' },
    { name: 'an unknown name: NXDOMAIN with the SOA', q: 'nope.mesos', type: TYPE.A, want: `rcode 3 id 4660 aa,rd | an:  | ns: ${SOA('nope.mesos')} | ar: ` },
    {
      name: 'SRV of an unknown name: NOERROR, nothing (as Mesos-DNS)',
      q: '_nope._tcp.mesos',
      type: TYPE.SRV,
      want: 'rcode 0 id 4660 aa,rd | an:  | ns:  | ar: ',
    },
    {
      name: 'ANY of an unknown name: NXDOMAIN',
      q: 'nope.mesos',
      type: TYPE.ANY,
      want: `rcode 3 id 4660 aa,rd | an:  | ns: ${SOA('nope.mesos')}; nope.mesos 60 NS ns1.mesos; ${SOA('nope.mesos')} | ar: `,
    },
    {
      name: 'a known name without AAAA: NODATA with the SOA',
      q: 'one.mesos',
      type: TYPE.AAAA,
      want: `rcode 0 id 4660 aa,rd | an:  | ns: ${SOA('one.mesos')} | ar: `,
    },
    { name: 'a known name without SRV: NODATA, nothing', q: 'one.mesos', type: TYPE.SRV, want: 'rcode 0 id 4660 aa,rd | an:  | ns:  | ar: ' },
    {
      name: 'a type the table has no slot for (TXT): NODATA with the SOA',
      q: 'one.mesos',
      type: 16,
      want: `rcode 0 id 4660 aa,rd | an:  | ns: ${SOA('one.mesos')} | ar: `,
    },
    {
      name: 'ANY of a known name: its records',
      q: 'web-a.mesos',
      type: TYPE.ANY,
      want:
        'rcode 0 id 4660 aa,rd | an: web-a.mesos 60 A 10.1.0.1; web-a.mesos 60 AAAA fd00::a | ' +
        `ns: ${SOA('web-a.mesos')}; web-a.mesos 60 NS ns1.mesos | ar: `,
    },
    {
      name: 'SRV: the answers, then one A and AAAA per target',
      q: '_web._tcp.mesos',
      type: TYPE.SRV,
      want:
        'rcode 0 id 4660 aa,rd | an: _web._tcp.mesos 60 SRV 0 1 31000 web-a.mesos; _web._tcp.mesos 60 SRV 0 1 31001 web-b.mesos; ' +
        '_web._tcp.mesos 60 SRV 0 1 31002 web-a.mesos | ns:  | ar: web-a.mesos 60 A 10.1.0.1; web-a.mesos 60 AAAA fd00::a; web-b.mesos 60 A 10.1.0.2',
    },
    {
      name: 'SRV: a target no query can name is left out',
      q: '_oddity._tcp.mesos',
      type: TYPE.SRV,
      want:
        'rcode 0 id 4660 aa,rd | an: _oddity._tcp.mesos 60 SRV 0 1 2 web-b.mesos; _oddity._tcp.mesos 60 SRV 0 1 3 web-a.mesos | ns:  | ' +
        'ar: web-b.mesos 60 A 10.1.0.2; web-a.mesos 60 A 10.1.0.1; web-a.mesos 60 AAAA fd00::a',
    },
    { name: 'the ID is echoed', q: 'one.mesos', type: TYPE.A, o: { id: 0xbeef }, want: 'rcode 0 id 48879 aa,rd | an: one.mesos 60 A 10.0.0.9 | ns:  | ar: ' },
    { name: 'RD off is echoed', q: 'one.mesos', type: TYPE.A, o: { flags: 0 }, want: 'rcode 0 id 4660 aa | an: one.mesos 60 A 10.0.0.9 | ns:  | ar: ' },
    {
      name: 'CD is echoed, AD is not',
      q: 'one.mesos',
      type: TYPE.A,
      o: { flags: 0x0130 },
      want: 'rcode 0 id 4660 aa,rd,cd | an: one.mesos 60 A 10.0.0.9 | ns:  | ar: ',
    },
    {
      name: 'CD is echoed, AD is not (negative answer)',
      q: 'nope.mesos',
      type: TYPE.A,
      o: { flags: 0x0130 },
      want: `rcode 3 id 4660 aa,rd,cd | an:  | ns: ${SOA('nope.mesos')} | ar: `,
    },
    { name: 'RD off (negative answer)', q: 'nope.mesos', type: TYPE.A, o: { flags: 0 }, want: `rcode 3 id 4660 aa | an:  | ns: ${SOA('nope.mesos')} | ar: ` },
    {
      name: 'RA when the zone recurses',
      q: 'one.mesos',
      type: TYPE.A,
      zone: { ...TEST_ZONE, recurse: true },
      want: 'rcode 0 id 4660 aa,rd,ra | an: one.mesos 60 A 10.0.0.9 | ns:  | ar: ',
    },
    {
      name: 'RA when the zone recurses (negative answer)',
      q: 'nope.mesos',
      type: TYPE.A,
      zone: { ...TEST_ZONE, recurse: true },
      want: `rcode 3 id 4660 aa,rd,ra | an:  | ns: ${SOA('nope.mesos')} | ar: `,
    },
    {
      name: 'an OPT record when asked for',
      q: 'one.mesos',
      type: TYPE.A,
      o: { optSize: 1232 },
      want: 'rcode 0 id 4660 aa,rd | an: one.mesos 60 A 10.0.0.9 | ns:  | ar:  OPT udp 1232',
    },
    {
      name: 'an OPT record on a negative answer',
      q: 'nope.mesos',
      type: TYPE.A,
      o: { optSize: 1232 },
      want: `rcode 3 id 4660 aa,rd | an:  | ns: ${SOA('nope.mesos')} | ar:  OPT udp 1232`,
    },
    {
      name: 'an OPT record after the SRV additionals',
      q: '_bad._tcp.mesos',
      type: TYPE.SRV,
      o: { optSize: 1232 },
      want: 'rcode 0 id 4660 aa,rd | an: _bad._tcp.mesos 60 SRV 0 1 1 bad.mesos | ns:  | ar:  OPT udp 1232',
    },
    {
      name: 'a legacy wildcard (web.*.mesos is web.mesos; the owner cleaned)',
      q: 'one.*.mesos',
      type: TYPE.A,
      want: 'rcode 0 id 4660 aa,rd | an: one.mesos 60 A 10.0.0.9 | ns:  | ar: ',
    },
    {
      name: 'a label holding a dot byte never matches (a.b.mesos spelt as one label)',
      q: () => Buffer.concat([query('x', TYPE.A).subarray(0, 12), Buffer.from([5, 119, 101, 98, 46, 97, 5, ...Buffer.from('mesos'), 0, 0, 1, 0, 1])]),
      type: TYPE.A,
      want: `rcode 3 id 4660 aa,rd | an:  | ns: ${SOA('web.a.mesos')} | ar: `,
    },
    {
      name: 'SOA of an unknown name: NOERROR with the SOA',
      q: 'nope.mesos',
      type: TYPE.SOA,
      want: `rcode 0 id 4660 aa,rd | an:  | ns: ${SOA('nope.mesos')} | ar: `,
    },
    {
      name: 'TXT of a name with SRV records: NODATA',
      q: '_web._tcp.mesos',
      type: 16,
      want: `rcode 0 id 4660 aa,rd | an:  | ns: ${SOA('_web._tcp.mesos')} | ar: `,
    },
    { name: 'TXT of a name with A and AAAA records: NODATA', q: 'web.mesos', type: 16, want: `rcode 0 id 4660 aa,rd | an:  | ns: ${SOA('web.mesos')} | ar: ` },
    {
      name: 'TXT of the name after one with SRV records: NODATA',
      q: 'web-a.mesos',
      type: 16,
      want: `rcode 0 id 4660 aa,rd | an:  | ns: ${SOA('web-a.mesos')} | ar: `,
    },
    {
      name: "SRV: a target's first address that is not an IP literal is left out of the additionals",
      q: '_bad._tcp.mesos',
      type: TYPE.SRV,
      want: 'rcode 0 id 4660 aa,rd | an: _bad._tcp.mesos 60 SRV 0 1 1 bad.mesos | ns:  | ar: ',
    },
    {
      name: 'SRV asked in mixed case (encoded for it): the same',
      q: '_BAD._tcp.mesos',
      type: TYPE.SRV,
      want: 'rcode 0 id 4660 aa,rd | an: _BAD._tcp.mesos 60 SRV 0 1 1 bad.mesos | ns:  | ar: ',
    },
    {
      name: 'AAAA asked in mixed case: values that are not IP literals left out',
      q: 'BAD.mesos',
      type: TYPE.AAAA,
      want: 'rcode 0 id 4660 aa,rd | an: bad.mesos 60 AAAA fd00::4 | ns:  | ar: ',
    },
    {
      name: 'a label of 63 characters',
      q: `${LONG_LABEL}.mesos`,
      type: TYPE.A,
      want: `rcode 0 id 4660 aa,rd | an: ${LONG_LABEL}.mesos 60 A 10.3.0.1 | ns:  | ar: `,
    },
    {
      name: 'a name of 254 characters',
      q: LONGEST.slice(0, -1),
      type: TYPE.A,
      want: `rcode 0 id 4660 aa,rd | an: ${LONGEST.slice(0, -1)} 60 A 10.3.0.3 | ns:  | ar: `,
    },
    { name: 'the printable edges (! @ [ ~)', q: 'odd!@[~.mesos', type: TYPE.A, want: 'rcode 0 id 4660 aa,rd | an: odd!@[~.mesos 60 A 10.3.0.5 | ns:  | ar: ' },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const table = newTable(c.zone);
      const msg = typeof c.q === 'string' ? c.q : c.q();
      const asked = `${typeof msg === 'string' ? msg : (parseQuery(msg) as ParsedQuery).name} ${TYPE_NAME[c.type] ?? c.type}`;
      expect(summary(ask(table, msg, c.type, c.o))).toBe(`q: ${asked} | ${c.want}`);
    });
  }

  it('a CHAOS-class question is answered from the records, encoded for it alone', () => {
    const reply = Packet.parse(ask(newTable(), 'one.mesos', TYPE.A, { qclass: 3 }));
    expect([reply.header.rcode, reply.questions[0]!.class, reply.answers.map((a: any) => a.address)]).toEqual([0, 3, ['10.0.0.9']]);
  });
});

describe('AnswerTable: which names it answers', () => {
  const unanswerable: [string, string][] = [
    ['upper case (a legacy raw name)', 'upper.mesos'],
    ['a space', 'sp ace.mesos'],
    ['DEL', 'del\x7f.mesos'],
    ['an empty label', 'a..mesos'],
  ];
  for (const [name, q] of unanswerable) {
    it(`not answered: ${name}`, () => expect(Packet.parse(ask(newTable(), q, TYPE.A)).header.rcode).toBe(3));
  }

  it('counts: the names it holds, and the values left out (the SRV target no query can name)', () => {
    const table = newTable();
    // Every name above but the eight no query can name (255 characters, a label of 64, upper case
    // three times, a space, DEL, an empty label) and the one without its trailing dot; skipped: the
    // SRV target and bad.mesos.'s two values that are not IP literals.
    expect([table.size, table.skipped]).toEqual([Object.keys(RECORDS).length - 9, 3]);
  });

  const inZone: [string, boolean][] = [
    ['mesos', true],
    ['a.mesos', true],
    ['a.b.mesos', true],
    ['amesos', false],
    ['mesos.com', false],
    ['a.mesox', false],
    ['esos', false],
    ['', false],
  ];
  for (const [name, want] of inZone) it(`inZone(${JSON.stringify(name)}) is ${want}`, () => expect(newTable().inZone(name)).toBe(want));
});

describe('AnswerTable: rotations', () => {
  const order = (reply: Buffer) => Packet.parse(reply).answers.map((a: any) => a.address ?? `${a.port}`).join(' ');

  it('A answers rotate through every order, one step per query', () => {
    const table = newTable();
    expect([1, 2, 3, 4].map(() => order(ask(table, 'web.mesos', TYPE.A)))).toEqual([
      '10.0.0.1 10.0.0.2 10.0.0.3',
      '10.0.0.2 10.0.0.3 10.0.0.1',
      '10.0.0.3 10.0.0.1 10.0.0.2',
      '10.0.0.1 10.0.0.2 10.0.0.3',
    ]);
  });

  it('AAAA answers rotate (records of 28 bytes)', () => {
    const table = newTable();
    expect([1, 2, 3].map(() => order(ask(table, 'web.mesos', TYPE.AAAA)))).toEqual(['fd00::1 fd00::2', 'fd00::2 fd00::1', 'fd00::1 fd00::2']);
  });

  it('SRV answers rotate, each rotation with valid name pointers and the same additionals; a rotation is encoded once', () => {
    const table = newTable();
    const replies = [1, 2, 3, 4, 5].map(() => ask(table, '_web._tcp.mesos', TYPE.SRV));
    // 12 header + 21 question; SRVs of 26, 26 and 20 bytes (a target written once, then pointed at:
    // `web-a` and a pointer to the question's `mesos`); additionals of 16 (A) and 28 (AAAA) bytes.
    expect(replies.map((r) => [r.length, recordsByLength(r)])).toEqual(Array(5).fill([165, 6]));
    expect(replies.map(order)).toEqual(['31000 31001 31002', '31001 31002 31000', '31002 31000 31001', '31000 31001 31002', '31001 31002 31000']);
    for (const reply of replies) {
      const p = Packet.parse(reply);
      expect(p.answers.map((a: any) => `${a.port} ${a.target}`).sort()).toEqual(['31000 web-a.mesos', '31001 web-b.mesos', '31002 web-a.mesos']);
      expect(p.additionals.map((a: any) => `${a.name} ${a.address}`).sort()).toEqual(['web-a.mesos 10.1.0.1', 'web-a.mesos fd00::a', 'web-b.mesos 10.1.0.2']);
    }
    expect(replies[4]).toEqual(replies[1]);
  });

  it("a single value never rotates, nor moves the others' rotation on", () => {
    const table = newTable();
    expect([1, 2].map(() => order(ask(table, 'one.mesos', TYPE.A)))).toEqual(['10.0.0.9', '10.0.0.9']);
    expect(order(ask(table, 'web.mesos', TYPE.A))).toBe('10.0.0.1 10.0.0.2 10.0.0.3');
  });

  it("an SRV rotation leaves out a target's first address that is not an IP literal, as the first does", () => {
    const table = newTable();
    const replies = [1, 2].map(() => Packet.parse(ask(table, '_bad2._tcp.mesos', TYPE.SRV)));
    expect(replies.map((p) => p.answers.map((a: any) => a.port).join(' '))).toEqual(['1 2', '2 1']);
    expect(replies.map((p) => p.additionals.map((a: any) => `${a.name} ${a.address}`).join('; '))).toEqual(['web-b.mesos 10.1.0.2', 'web-b.mesos 10.1.0.2']);
  });

  it('an SRV rotation leaves out targets no query can name, as the first does', () => {
    const table = newTable();
    expect([1, 2, 3].map(() => order(ask(table, '_oddity._tcp.mesos', TYPE.SRV)))).toEqual(['2 3', '3 2', '2 3']);
  });

  it('the rotations of two SRV names are kept apart (name 0 and name 4)', () => {
    const srv = (port: number) => ({ a: [], aaaa: [], srv: [1, 2, 3].map((i) => ({ target: 'web-a.mesos.', port: port + i })) });
    const address = { a: ['10.1.0.1'], aaaa: [], srv: [] };
    const names = new Map<string, NameRecords>([
      ['_zero._tcp.mesos.', srv(100)],
      ['web-a.mesos.', address],
      ['b.mesos.', address],
      ['c.mesos.', address],
      ['_four._tcp.mesos.', srv(400)],
    ]);
    const table = new AnswerTable({ names }, TEST_ZONE, 7);
    const asked = ['_zero', '_zero', '_zero', '_four', '_four', '_four'].map((n) => order(ask(table, `${n}._tcp.mesos`, TYPE.SRV)));
    expect(asked).toEqual(['101 102 103', '102 103 101', '103 101 102', '401 402 403', '402 403 401', '403 401 402']);
  });
});

describe('AnswerTable: truncation', () => {
  /** What decides truncation: the answers kept, TC, the additionals and the size. */
  const shape = (reply: Buffer) => {
    const p = Packet.parse(reply);
    return { an: p.header.ancount, ns: p.header.nscount, ar: p.header.arcount, tc: p.header.tc, bytes: reply.length };
  };

  // Questions of another class are encoded per query (answer-sections.ts), to the same size: the
  // pre-encoded copy must cut the same way at every limit, with and without OPT and the TC bit.
  for (const [type, label] of [[TYPE.A, 'A'], [TYPE.AAAA, 'AAAA']] as const) {
    for (const optSize of [null, 1232]) {
      for (const setTruncateBit of [true, false]) {
        it(`${label}, OPT ${optSize ?? 'none'}, TC bit ${setTruncateBit}: the pre-encoded reply cuts like the per-query one at every limit`, () => {
          const table = newTable({ ...TEST_ZONE, setTruncateBit });
          const full = ask(table, 'web.mesos', type, { optSize }).length;
          for (let limit = 20; limit <= full + 2; limit++) {
            const fast = shape(ask(table, 'web.mesos', type, { limit, optSize }));
            const exact = shape(ask(table, 'web.mesos', type, { limit, optSize, qclass: 3 }));
            expect({ limit, ...fast }).toEqual({ limit, ...exact });
          }
        });
      }
    }
  }

  it('three answers in a reply inside the table (a fresh table: the first rotation): cut like the per-query reply at every limit', () => {
    const full = ask(newTable(), 'three.mesos', TYPE.A).length;
    for (let limit = 20; limit <= full + 2; limit++) {
      const fast = shape(ask(newTable(), 'three.mesos', TYPE.A, { limit }));
      expect({ limit, ...fast }).toEqual({ limit, ...shape(ask(newTable(), 'three.mesos', TYPE.A, { limit, qclass: 3 })) });
    }
  });

  // Single values (no rotation) of names past the first: the pre-encoded reply sits inside the table.
  for (const [name, type] of [['one.mesos', TYPE.A], ['web-a.mesos', TYPE.AAAA]] as const) {
    it(`${name} ${TYPE_NAME[type]}: cut like the per-query reply at every limit`, () => {
      const table = newTable();
      const full = ask(table, name, type).length;
      for (let limit = 20; limit <= full + 2; limit++) {
        expect({ limit, ...shape(ask(table, name, type, { limit })) }).toEqual({ limit, ...shape(ask(table, name, type, { limit, qclass: 3 })) });
      }
    });
  }

  it('SRV: the whole reply at exactly the limit is not cut; one byte less drops the additionals first, with TC', () => {
    const table = newTable();
    const full = ask(table, '_web._tcp.mesos', TYPE.SRV);
    expect(shape(ask(table, '_web._tcp.mesos', TYPE.SRV, { limit: full.length }))).toEqual({ an: 3, ns: 0, ar: 3, tc: 0, bytes: full.length });
    const cut = shape(ask(table, '_web._tcp.mesos', TYPE.SRV, { limit: full.length - 1 }));
    expect([cut.an, cut.ar, cut.tc, cut.bytes < full.length - 1]).toEqual([3, 0, 1, true]);
  });

  // A negative answer only loses its SOA when the question alone nearly fills the limit.
  for (const optSize of [null, 1232]) {
    it(`a negative answer at its exact size keeps the SOA; one byte less drops it and sets TC (OPT ${optSize ?? 'none'})`, () => {
      const table = newTable();
      const full = ask(table, 'nope.mesos', TYPE.A, { optSize }).length;
      expect(shape(ask(table, 'nope.mesos', TYPE.A, { limit: full, optSize }))).toEqual({ an: 0, ns: 1, ar: optSize ? 1 : 0, tc: 0, bytes: full });
      const cut = shape(ask(table, 'nope.mesos', TYPE.A, { limit: full - 1, optSize }));
      expect(cut).toEqual({ an: 0, ns: 0, ar: optSize ? 1 : 0, tc: 1, bytes: 28 + (optSize ? 11 : 0) });
    });
  }

  it('a negative answer cut with the TC bit off: no SOA, no TC', () => {
    const table = newTable({ ...TEST_ZONE, setTruncateBit: false });
    const full = ask(table, 'nope.mesos', TYPE.A).length;
    expect(shape(ask(table, 'nope.mesos', TYPE.A, { limit: full - 1 }))).toEqual({ an: 0, ns: 0, ar: 0, tc: 0, bytes: 28 });
  });
});
