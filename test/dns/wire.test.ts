// The codec on its own: the query reader on good and hostile bytes, the encoder checked by an
// independent decoder (dns2's Packet), IP literals, the pre-encoded answer table against the
// per-query encoder, and the cutting of relayed replies.
import dns2 from 'dns2';
import { describe, expect, it } from 'vitest';
import { AnswerTable } from '../../dns/server/answer-table.js';
import type { NameRecords, RecordSet } from '../../dns/records/record-set.js';
import { encodeMessage, encodeQuestion, ipv6Groups, isIpv4Literal, QNAME } from '../../dns/wire/encoder.js';
import { truncateReply } from '../../dns/wire/relay-truncation.js';
import { parseQuery, TYPE, type ParsedQuery } from '../../dns/wire/format.js';
import { query } from '../support/dns-client.js';
import { TEST_ZONE } from '../support/dns-server.js';

const { Packet } = dns2;
const header = (counts: { qd?: number; an?: number; ns?: number; ar?: number } = {}, flags = 0x0100) => {
  const h = Buffer.alloc(12);
  h.writeUInt16BE(0xbeef, 0);
  h.writeUInt16BE(flags, 2);
  h.writeUInt16BE(counts.qd ?? 1, 4);
  h.writeUInt16BE(counts.an ?? 0, 6);
  h.writeUInt16BE(counts.ns ?? 0, 8);
  h.writeUInt16BE(counts.ar ?? 0, 10);
  return h;
};
const question = encodeQuestion('web.marathon.mesos', TYPE.A);
const opt = (size: number) => Buffer.from([0, 0, 41, size >> 8, size & 255, 0, 0, 0, 0, 0, 0]);

describe('parseQuery', () => {
  const good: { name: string; packet: Buffer; want: Partial<ParsedQuery> }[] = [
    {
      name: 'plain A query',
      packet: query('web.marathon.mesos'),
      want: { name: 'web.marathon.mesos', type: 1, qclass: 1, mixedCase: false, ednsSize: 0, questionEnd: 12 + 20 + 4 },
    },
    {
      name: 'mixed case is lower-cased and flagged',
      packet: query('WeB.Marathon.MESOS', 33),
      want: { name: 'web.marathon.mesos', type: 33, mixedCase: true },
    },
    { name: 'root name', packet: query(''), want: { name: '', questionEnd: 17 } },
    { name: 'EDNS0 size read from the OPT record', packet: query('a.mesos', 1, { edns: 4096 }), want: { ednsSize: 4096 } },
    { name: 'EDNS0 size below 512 counts as 512', packet: query('a.mesos', 1, { edns: 100 }), want: { ednsSize: 512 } },
    {
      name: 'a label holding a dot byte is flagged',
      packet: Buffer.concat([header(), Buffer.from([3, 97, 46, 98, 5, ...Buffer.from('mesos'), 0, 0, 1, 0, 1])]),
      want: { name: 'a.b.mesos', literalDot: true },
    },
    {
      name: 'non-ASCII bytes are read as latin1, never thrown on',
      packet: query('\u00ff\u00e9.mesos'),
      want: { name: '\u00ff\u00e9.mesos' },
    },
    {
      name: 'class CH and an unknown type are read as sent',
      packet: query('x.mesos', 65280, { qclass: 3 }),
      want: { type: 65280, qclass: 3 },
    },
    {
      name: 'a backward pointer in an additional record is fine',
      packet: Buffer.concat([header({ ar: 1 }), question, Buffer.from([0xc0, 12, 0, 41, 4, 0, 0, 0, 0, 0, 0, 0])]),
      want: { ednsSize: 1024 },
    },
    {
      name: '63-byte label and a 255-byte name are the maximum',
      packet: query(Array.from({ length: 4 }, (_, i) => (i < 3 ? 'a'.repeat(63) : 'b'.repeat(61))).join('.')),
      want: { questionEnd: 12 + 255 + 4 },
    },
  ];
  for (const c of good) {
    it(c.name, () => {
      const before = Buffer.from(c.packet);
      const parsed = parseQuery(c.packet);
      expect(typeof parsed).toBe('object');
      expect(parsed).toMatchObject(c.want);
      // The name is read by writing dots into the packet; it must be put back exactly.
      expect(c.packet.equals(before)).toBe(true);
    });
  }

  const bad: { name: string; packet: Buffer; want: string }[] = [
    { name: 'empty', packet: Buffer.alloc(0), want: 'drop' },
    { name: '11 bytes', packet: Buffer.alloc(11), want: 'drop' },
    { name: 'QR=1 (a response)', packet: Buffer.concat([header({}, 0x8100), question]), want: 'drop' },
    { name: 'opcode NOTIFY', packet: Buffer.concat([header({}, 0x2000), question]), want: 'notimp' },
    { name: 'qdcount 0', packet: header({ qd: 0 }), want: 'formerr' },
    { name: 'qdcount 2', packet: Buffer.concat([header({ qd: 2 }), question, question]), want: 'formerr' },
    { name: 'qdcount 256 (high byte only)', packet: Buffer.concat([header({ qd: 256 }), question]), want: 'formerr' },
    { name: 'name runs past the end', packet: Buffer.concat([header(), Buffer.from([10, 97, 97])]), want: 'formerr' },
    { name: 'no type and class', packet: Buffer.concat([header(), Buffer.from([1, 97, 0, 0, 1])]), want: 'formerr' },
    {
      name: 'pointer in the question (to itself)',
      packet: Buffer.concat([header(), Buffer.from([0xc0, 12, 0, 1, 0, 1])]),
      want: 'formerr',
    },
    {
      name: 'pointer in the question (forwards)',
      packet: Buffer.concat([header(), Buffer.from([1, 97, 0xc0, 30, 0, 1, 0, 1])]),
      want: 'formerr',
    },
    {
      name: 'label of 64 bytes',
      packet: Buffer.concat([header(), Buffer.from([64]), Buffer.alloc(64, 97), Buffer.from([0, 0, 1, 0, 1])]),
      want: 'formerr',
    },
    { name: 'reserved label type 0x80', packet: Buffer.concat([header(), Buffer.from([0x81, 97, 0, 0, 1, 0, 1])]), want: 'formerr' },
    { name: 'name of 257 bytes', packet: query(Array.from({ length: 5 }, () => 'a'.repeat(50)).join('.') + '.bbbbb'), want: 'formerr' },
    {
      name: 'additional record with a forward pointer',
      packet: Buffer.concat([header({ ar: 1 }), question, Buffer.from([0xc0, 60, 0, 41, 4, 0, 0, 0, 0, 0, 0, 0])]),
      want: 'formerr',
    },
    {
      name: 'additional record pointing at itself (loop)',
      packet: Buffer.concat([header({ ar: 1 }), question, Buffer.from([0xc0, 36, 0, 41, 4, 0, 0, 0, 0, 0, 0, 0])]),
      want: 'formerr',
    },
    { name: 'arcount larger than the records present', packet: Buffer.concat([header({ ar: 2 }), question, opt(1232)]), want: 'formerr' },
    {
      name: 'rdlength past the end',
      packet: Buffer.concat([header({ ar: 1 }), question, Buffer.from([0, 0, 41, 4, 0, 0, 0, 0, 0, 0, 99])]),
      want: 'formerr',
    },
    { name: 'two OPT records', packet: Buffer.concat([header({ ar: 2 }), question, opt(1232), opt(4096)]), want: 'formerr' },
  ];
  for (const c of bad) {
    it(`refuses: ${c.name}`, () => {
      expect(parseQuery(c.packet)).toBe(c.want);
    });
  }
});

describe('encoder, read back by dns2', () => {
  const zone = TEST_ZONE;
  const message = encodeMessage({
    id: 7,
    flags: 0x8400,
    question: encodeQuestion('_web._tcp.marathon.mesos', TYPE.SRV),
    answers: [
      { name: QNAME, type: TYPE.SRV, ttl: 60, priority: 0, weight: 1, port: 31000, target: 'web-abcde-0.marathon.mesos.' },
      { name: QNAME, type: TYPE.SRV, ttl: 60, priority: 0, weight: 1, port: 31001, target: 'web-abcde-0.marathon.mesos.' },
    ],
    authority: [
      {
        name: QNAME,
        type: TYPE.SOA,
        ttl: 60,
        mname: zone.soaMname,
        rname: zone.soaRname,
        serial: 4294967295,
        refresh: 60,
        retry: 600,
        expire: 86400,
        minimum: 60,
      },
      { name: 'marathon.mesos.', type: TYPE.NS, ttl: 60, host: 'ns1.mesos.' },
    ],
    additional: [
      { name: 'web-abcde-0.marathon.mesos.', type: TYPE.A, ttl: 60, ip: '10.0.0.7' },
      { name: 'web-abcde-0.marathon.mesos.', type: TYPE.AAAA, ttl: 60, ip: 'fd01:b::1:8000:2' },
      { name: '', type: TYPE.OPT, udpSize: 1232 },
    ],
  });
  const packet = Packet.parse(message);

  it('header and counts', () => {
    expect(packet.header).toMatchObject({ id: 7, qr: 1, aa: 1, qdcount: 1, ancount: 2, nscount: 2, arcount: 3 });
  });
  it('SRV records', () => {
    expect(packet.answers.map((a) => [a.name, a.ttl, a.priority, a.weight, a.port, a.target])).toEqual([
      ['_web._tcp.marathon.mesos', 60, 0, 1, 31000, 'web-abcde-0.marathon.mesos'],
      ['_web._tcp.marathon.mesos', 60, 0, 1, 31001, 'web-abcde-0.marathon.mesos'],
    ]);
  });
  it('SOA and NS', () => {
    expect(packet.authorities[0]).toMatchObject({
      name: '_web._tcp.marathon.mesos',
      primary: 'ns1.mesos',
      admin: 'root.ns1.mesos',
      serial: 4294967295,
      refresh: 60,
      retry: 600,
      expiration: 86400,
      minimum: 60,
    });
    expect(packet.authorities[1]).toMatchObject({ name: 'marathon.mesos', ns: 'ns1.mesos' });
  });
  it('A, AAAA and OPT in additional', () => {
    expect(packet.additionals[0]).toMatchObject({ name: 'web-abcde-0.marathon.mesos', address: '10.0.0.7' });
    expect(message.includes(Buffer.from([0xfd, 0x01, 0, 0x0b, 0, 0, 0, 0, 0, 0, 0, 1, 0x80, 0, 0, 2]))).toBe(true);
    // dns2 reports its own default as the OPT's class; the bytes say 1232.
    expect(packet.additionals[2]).toMatchObject({ type: 41 });
    expect(message.subarray(-11).equals(Buffer.from([0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0]))).toBe(true);
  });
  it('compresses: the target is spelled out once, and nothing is spelled out twice', () => {
    expect(message.indexOf('web-abcde-0')).toBe(message.lastIndexOf('web-abcde-0'));
    expect(message.indexOf('marathon')).toBe(message.lastIndexOf('marathon'));
  });
});

describe('IP literals', () => {
  const v4: [string, boolean][] = [
    ['1.2.3.4', true],
    ['255.255.255.255', true],
    ['0.0.0.0', true],
    ['256.1.1.1', false],
    ['1.2.3', false],
    ['1.2.3.4.5', false],
    ['01.2.3.4', false],
    ['1..2.3', false],
    ['a.b.c.d', false],
    ['', false],
    [' 1.2.3.4', false],
  ];
  for (const [ip, ok] of v4) it(`IPv4 ${JSON.stringify(ip)} -> ${ok}`, () => expect(isIpv4Literal(ip)).toBe(ok));
  const v6: [string, number[] | null][] = [
    ['::1', [0, 0, 0, 0, 0, 0, 0, 1]],
    ['2001:db8::1', [0x2001, 0xdb8, 0, 0, 0, 0, 0, 1]],
    ['fd01:b::1:8000:2', [0xfd01, 0xb, 0, 0, 0, 1, 0x8000, 2]],
    ['::', [0, 0, 0, 0, 0, 0, 0, 0]],
    ['::ffff:10.1.2.3', [0, 0, 0, 0, 0, 0xffff, 0x0a01, 0x0203]],
    ['1:2:3:4:5:6:7:8', [1, 2, 3, 4, 5, 6, 7, 8]],
    ['1::2::3', null],
    ['1:2:3', null],
    ['12345::', null],
    ['g::1', null],
  ];
  for (const [ip, groups] of v6) {
    it(`IPv6 ${ip}`, () => {
      if (groups) expect(ipv6Groups(ip)).toEqual(groups);
      else expect(() => ipv6Groups(ip)).toThrow(RangeError);
    });
  }
});

/** A record set by hand, as the record builder would shape it. */
function handRecords(entries: Record<string, Partial<NameRecords>>): RecordSet {
  const names = new Map<string, NameRecords>(Object.entries(entries).map(([n, r]) => [n, { a: r.a ?? [], aaaa: r.aaaa ?? [], srv: r.srv ?? [] }]));
  const view = <T>(pick: (r: NameRecords) => readonly T[]) => new Map([...names].filter(([, r]) => pick(r).length > 0).map(([n, r]) => [n, pick(r)]));
  return { names, a: view((r) => r.a), aaaa: view((r) => r.aaaa), srv: view((r) => r.srv), enumerate: () => [] };
}

describe('answer table: the pre-encoded answer equals the one encoded per query', () => {
  const records = handRecords({
    'web.marathon.mesos.': { a: ['10.0.0.1', '10.0.0.2', '10.0.0.3'], aaaa: ['fd00::1'] },
    'web-aaaaa-0.marathon.slave.mesos.': { a: ['10.1.0.1'] },
    'web-bbbbb-1.marathon.slave.mesos.': { a: ['10.1.0.2'], aaaa: ['fd00::2'] },
    '_web._tcp.marathon.mesos.': {
      srv: [
        { target: 'web-aaaaa-0.marathon.slave.mesos.', port: 31000 },
        { target: 'web-bbbbb-1.marathon.slave.mesos.', port: 31001 },
        { target: 'web-aaaaa-0.marathon.slave.mesos.', port: 31002 },
      ],
    },
    '_lonely._tcp.marathon.mesos.': { srv: [{ target: 'nowhere.marathon.mesos.', port: 1 }] },
    'Legacy.Raw.marathon.mesos.': { a: ['10.9.9.9'] },
    'bad-ip.marathon.mesos.': { a: ['10.0.0.300', '10.0.0.4'], aaaa: ['nope'] },
  });
  const table = new AnswerTable(records, TEST_ZONE, 9);
  const answer = (name: string, type: number) => {
    const msg = query(name, type);
    const parsed = parseQuery(msg) as ParsedQuery;
    return Packet.parse(table.respond(msg, parsed, { limit: 65535, optSize: null }));
  };
  const summary = (p: ReturnType<typeof answer>) => ({
    rcode: p.header.rcode, aa: p.header.aa,
    answers: p.answers.map((a) => `${a.name.toLowerCase()} ${a.type} ${a.address ?? ''}${a.target ?? ''} ${a.port ?? ''}`).sort(),
    additionals: p.additionals.map((a) => `${a.name} ${a.type} ${a.address}`).sort(),
  });
  const cases: [string, number][] = [
    ['web.marathon.mesos', TYPE.A], ['web.marathon.mesos', TYPE.AAAA], ['_web._tcp.marathon.mesos', TYPE.SRV],
    ['_lonely._tcp.marathon.mesos', TYPE.SRV], ['web-bbbbb-1.marathon.slave.mesos', TYPE.AAAA], ['bad-ip.marathon.mesos', TYPE.A],
  ];
  for (const [name, type] of cases) {
    it(`${name} type ${type}`, () => {
      const fast = answer(name, type);
      const exact = answer(name.toUpperCase(), type);
      expect(fast.answers.length).toBeGreaterThan(0);
      expect(summary(fast)).toEqual(summary(exact));
    });
  }

  it('SRV additional: one A and one AAAA per distinct target, none for targets without addresses', () => {
    const p = answer('_web._tcp.marathon.mesos', TYPE.SRV);
    expect(p.additionals.map((a) => `${a.name} ${a.type}`).sort()).toEqual([
      'web-aaaaa-0.marathon.slave.mesos 1',
      'web-bbbbb-1.marathon.slave.mesos 1',
      'web-bbbbb-1.marathon.slave.mesos 28',
    ]);
    expect(answer('_lonely._tcp.marathon.mesos', TYPE.SRV).additionals).toEqual([]);
  });

  it('values that are not IP literals are left out and counted', () => {
    expect(summary(answer('bad-ip.marathon.mesos', TYPE.A)).answers).toEqual(['bad-ip.marathon.mesos 1 10.0.0.4 ']);
    expect(answer('bad-ip.marathon.mesos', TYPE.AAAA).header.rcode).toBe(0);
    expect(table.skipped).toBe(2);
  });

  it('names with upper case (legacy raw DiscoveryInfo) never match', () => {
    expect(answer('legacy.raw.marathon.mesos', TYPE.A).header.rcode).toBe(3);
  });

  it('rotations: consecutive answers start with different members', () => {
    const firsts = new Set(Array.from({ length: 3 }, () => answer('web.marathon.mesos', TYPE.A).answers[0]!.address));
    expect(firsts.size).toBe(3);
  });

  it('a 512-byte cut is a valid message: answers from the start, no additional, TC', () => {
    const many = handRecords({ 'many.mesos.': { a: Array.from({ length: 60 }, (_, i) => `10.0.0.${i}`) } });
    const t = new AnswerTable(many, TEST_ZONE, 1);
    const msg = query('many.mesos', TYPE.A);
    const reply = t.respond(msg, parseQuery(msg) as ParsedQuery, { limit: 512, optSize: null });
    expect(reply.length).toBeLessThan(512);
    const p = Packet.parse(reply);
    expect(p.header.tc).toBe(1);
    expect(p.answers).toHaveLength(p.header.ancount);
    expect(p.header.ancount).toBe(Math.floor((511 - 12 - 15) / 16));
  });
});

describe('answer table: its slab is the writer\'s own buffer (no second slab per rebuild)', () => {
  // 20,000 names of one A record each: a slab of some 1 MB. Read right after construction, before any
  // collection, a right-sized copy shows as a second slab in the process's ArrayBuffer memory.
  const names: Record<string, Partial<NameRecords>> = {};
  for (let i = 0; i < 20_000; i++) names[`task-${i}.marathon.mesos.`] = { a: [`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`] };
  const records = handRecords(names);
  it('holds about one slab of ArrayBuffer memory while it is built', () => {
    const before = process.memoryUsage().arrayBuffers;
    const table = new AnswerTable(records, TEST_ZONE, 1);
    const grown = process.memoryUsage().arrayBuffers - before;
    expect(table.bytes).toBeGreaterThan(500_000);
    // Beside the slab: the index and the per-name arrays (some 40 bytes a name); a second slab would pass 2x.
    expect(grown).toBeLessThan(table.bytes * 2);
  });
});

describe('truncateReply (relayed answers)', () => {
  const bigReply = () => {
    const rrs = Array.from({ length: 40 }, (_, i) => Buffer.from([0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 30, 0, 4, 10, 0, 0, i]));
    const h = header({ an: 40, ns: 0, ar: 0 }, 0x8180);
    return Buffer.concat([h, question, ...rrs]);
  };
  const cases: { name: string; reply: Buffer; limit: number; tc: boolean; want: { length?: number; an?: number; tc: number } }[] = [
    {
      name: 'fits: unchanged',
      reply: Buffer.concat([header({ an: 0 }, 0x8180), question]),
      limit: 512,
      tc: true,
      want: { length: 36, an: 0, tc: 0 },
    },
    {
      name: 'too big: cut to answers that fit, TC set',
      reply: bigReply(),
      limit: 512,
      tc: true,
      want: { an: Math.floor((511 - 36) / 16), tc: 1 },
    },
    {
      name: 'too big, SetTruncateBit false: cut, TC clear',
      reply: bigReply(),
      limit: 512,
      tc: false,
      want: { an: Math.floor((511 - 36) / 16), tc: 0 },
    },
    {
      name: 'upstream TC cleared when SetTruncateBit is false',
      reply: Buffer.concat([header({ an: 0 }, 0x8380), question]),
      limit: 512,
      tc: false,
      want: { an: 0, tc: 0 },
    },
    {
      name: 'garbage bigger than the limit: header only',
      reply: Buffer.concat([header({ an: 9 }, 0x8180), Buffer.alloc(600, 0xff)]),
      limit: 512,
      tc: true,
      want: { length: 12, an: 0, tc: 1 },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const out = truncateReply(c.reply, c.limit, c.tc);
      expect(out.length).toBeLessThanOrEqual(c.limit);
      if (c.want.length !== undefined) expect(out.length).toBe(c.want.length);
      if (c.want.an !== undefined) expect(out.readUInt16BE(6)).toBe(c.want.an);
      expect((out[2]! >> 1) & 1).toBe(c.want.tc);
      if (out.length > 12) expect(Packet.parse(out).answers).toHaveLength(out.readUInt16BE(6));
    });
  }
});
