// Bad input never crashes the server or stops it answering: every malformed shape gets FORMERR
// (when a header can be echoed) or silence, and the next good query is answered as before.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DnsServer } from '../../dns/index.js';
import { buildRecordSet } from '../../dns/index.js';
import { HARBOR, fixtureSnapshot } from '../support/fixtures.js';
import { countsOf, query, rcodeOf, sendTcpRaw, sendUdp } from '../support/dns-client.js';
import { startDnsServer } from '../support/dns-server.js';

let server: DnsServer;
let port: number;

beforeAll(async () => {
  const snapshot = await fixtureSnapshot(HARBOR);
  const records = buildRecordSet(snapshot, {
    domain: 'mesos',
    ipSources: ['netinfo', 'mesos', 'host'],
    enforceRFC952: false,
    soaMname: 'ns1.mesos.',
    nsIps: ['127.0.0.1'],
  });
  ({ server, port } = await startDnsServer(records));
});
afterAll(() => server.close());

const header = (fields: { id?: number; flags?: number; qd?: number; an?: number; ns?: number; ar?: number }) => {
  const h = Buffer.alloc(12);
  h.writeUInt16BE(fields.id ?? 0xbeef, 0);
  h.writeUInt16BE(fields.flags ?? 0x0100, 2);
  h.writeUInt16BE(fields.qd ?? 1, 4);
  h.writeUInt16BE(fields.an ?? 0, 6);
  h.writeUInt16BE(fields.ns ?? 0, 8);
  h.writeUInt16BE(fields.ar ?? 0, 10);
  return h;
};
const question = Buffer.from([10, ...Buffer.from('lighthouse'), 8, ...Buffer.from('marathon'), 5, ...Buffer.from('mesos'), 0, 0, 1, 0, 1]);

const cases: { name: string; packet: Buffer; expect: 'silence' | number }[] = [
  { name: 'empty datagram', packet: Buffer.alloc(0), expect: 'silence' },
  { name: 'truncated header (5 bytes)', packet: Buffer.from([1, 2, 3, 4, 5]), expect: 'silence' },
  { name: 'a response (QR=1) is never answered', packet: Buffer.concat([header({ flags: 0x8100 }), question]), expect: 'silence' },
  { name: 'no question (qdcount 0)', packet: header({ qd: 0 }), expect: 1 },
  { name: 'two questions', packet: Buffer.concat([header({ qd: 2 }), question, question]), expect: 1 },
  { name: 'question cut in the middle of a label', packet: Buffer.concat([header({}), question.subarray(0, 6)]), expect: 1 },
  { name: 'question without type and class', packet: Buffer.concat([header({}), question.subarray(0, question.length - 4)]), expect: 1 },
  {
    name: 'compression pointer in the question (loop to itself)',
    packet: Buffer.concat([header({}), Buffer.from([0xc0, 12, 0, 1, 0, 1])]),
    expect: 1,
  },
  { name: 'forward compression pointer', packet: Buffer.concat([header({}), Buffer.from([0xc0, 40, 0, 1, 0, 1])]), expect: 1 },
  {
    name: 'label longer than 63',
    packet: Buffer.concat([header({}), Buffer.from([64, ...Buffer.alloc(64, 97), 0, 0, 1, 0, 1])]),
    expect: 1,
  },
  {
    name: 'name longer than 255 bytes',
    packet: Buffer.concat([
      header({}),
      ...Array.from({ length: 5 }, () => Buffer.from([60, ...Buffer.alloc(60, 97)])),
      Buffer.from([0, 0, 1, 0, 1]),
    ]),
    expect: 1,
  },
  { name: 'additional count larger than the records present', packet: Buffer.concat([header({ ar: 3 }), question]), expect: 1 },
  {
    name: 'record with rdlength past the end',
    packet: Buffer.concat([header({ ar: 1 }), question, Buffer.from([0, 0, 41, 16, 0, 0, 0, 0, 0, 0, 200])]),
    expect: 1,
  },
  { name: 'opcode STATUS', packet: Buffer.concat([header({ flags: 0x1100 }), question]), expect: 4 },
  { name: 'oversized garbage (4000 bytes)', packet: Buffer.concat([header({}), Buffer.alloc(3988, 0xff)]), expect: 1 },
];

// Each case has its own socket, and a silent one waits out its reply timeout: they run at once.
describe.concurrent('malformed UDP packets', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const reply = await sendUdp(port, c.packet);
      if (c.expect === 'silence') expect(reply).toBeNull();
      else {
        expect(reply).not.toBeNull();
        expect(reply!.readUInt16BE(0)).toBe(0xbeef);
        expect(reply![2]! & 0x80).toBe(0x80);
        expect(rcodeOf(reply!)).toBe(c.expect);
      }
      // ... and the server still answers a good query.
      const good = await sendUdp(port, query('lighthouse.marathon.mesos'));
      expect(good && rcodeOf(good)).toBe(0);
      expect(good && countsOf(good).an).toBe(1);
    });
  }
});

describe('odd but well-formed queries', () => {
  const odd: { name: string; packet: Buffer; rcode: number; answers: number }[] = [
    { name: 'unknown type 65280 on an existing name: NODATA', packet: query('lighthouse.marathon.mesos', 65280), rcode: 0, answers: 0 },
    { name: 'unknown type on a missing name: NXDOMAIN', packet: query('nope.mesos', 65280), rcode: 3, answers: 0 },
    { name: 'class CH is answered like IN (as Mesos-DNS does)', packet: query('lighthouse.marathon.mesos', 1, { qclass: 3 }), rcode: 0, answers: 1 },
    { name: 'non-UTF-8 bytes in a label', packet: query('\u00ff\u00fe\u0080.marathon.mesos'), rcode: 3, answers: 0 },
    { name: 'root name', packet: query(''), rcode: 5, answers: 0 },
    { name: 'the apex itself (no A): NXDOMAIN', packet: query('mesos'), rcode: 3, answers: 0 },
  ];
  for (const c of odd) {
    it(c.name, async () => {
      const reply = await sendUdp(port, c.packet);
      expect(reply).not.toBeNull();
      expect(rcodeOf(reply!)).toBe(c.rcode);
      expect(countsOf(reply!).an).toBe(c.answers);
    });
  }
});

describe.concurrent('malformed TCP streams', () => {
  it('a frame announcing more bytes than sent, then close: no reply, server fine', async () => {
    const reply = await sendTcpRaw(port, Buffer.from([0x10, 0x00, 1, 2, 3]));
    expect(reply.length).toBe(0);
  });
  it('a garbage frame gets FORMERR, the next frame on the same connection is answered', async () => {
    const garbage = Buffer.concat([header({ qd: 0 })]);
    const good = query('lighthouse.marathon.mesos', 1, { id: 7 });
    const frame = (b: Buffer) => Buffer.concat([Buffer.from([b.length >> 8, b.length & 255]), b]);
    const reply = await sendTcpRaw(port, Buffer.concat([frame(garbage), frame(good)]));
    const first = reply.subarray(2, 2 + reply.readUInt16BE(0));
    const secondAt = 2 + first.length;
    const second = reply.subarray(secondAt + 2, secondAt + 2 + reply.readUInt16BE(secondAt));
    expect(rcodeOf(first)).toBe(1);
    expect(second.readUInt16BE(0)).toBe(7);
    expect(countsOf(second).an).toBe(1);
  });
  it('a zero-length frame and a flood of junk bytes do not stop the server', async () => {
    await sendTcpRaw(port, Buffer.concat([Buffer.from([0, 0]), Buffer.alloc(70000, 0x41)]));
    const good = await sendUdp(port, query('lighthouse.marathon.mesos'));
    expect(good && rcodeOf(good)).toBe(0);
  });
});
