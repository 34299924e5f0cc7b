// The record set's builder on its own: set semantics in short and long lists (past 16 values a name
// also gets a lookup structure), names that never share a list, which task inserted a record first
// (/v1/enumerate), and the built views. Found unchecked by mutation testing (TESTING.md).
import { describe, expect, it } from 'vitest';
import { RecordBuilder } from '../../dns/records/record-set-builder.js';

const ips = (n: number, v6 = false) => Array.from({ length: n }, (_, i) => (v6 ? `fd00::${i + 1}` : `10.0.0.${i + 1}`));

describe('RecordBuilder set semantics', () => {
  const cases: { name: string; count: number }[] = [
    { name: 'a short list', count: 3 },
    { name: 'a list of exactly 16', count: 16 },
    { name: 'a long list', count: 40 },
  ];
  for (const c of cases) {
    it(`${c.name}: duplicates of A, AAAA and SRV values are ignored, order kept`, () => {
      const builder = new RecordBuilder();
      const v4 = ips(c.count);
      const v6 = ips(c.count, true);
      builder.addresses('web.mesos.', [...v4, ...v6]);
      builder.addresses('web.mesos.', [...v4].reverse());
      builder.addresses('web.mesos.', [...v6].reverse());
      for (let round = 0; round < 2; round++) for (let p = 0; p < c.count; p++) builder.srv('_web._tcp.mesos.', 'web.mesos.', 31000 + p);
      builder.srv('_web._tcp.mesos.', 'other.mesos.', 31000); // same port, another target: kept
      const set = builder.build(() => []);
      expect(set.names.get('web.mesos.')).toMatchObject({ a: v4, aaaa: v6, srv: [] });
      expect(set.names.get('_web._tcp.mesos.')!.srv).toEqual([
        ...Array.from({ length: c.count }, (_, p) => ({ target: 'web.mesos.', port: 31000 + p })),
        { target: 'other.mesos.', port: 31000 },
      ]);
    });
  }

  it('no name shares another name\'s list', () => {
    const builder = new RecordBuilder();
    builder.addresses('a.mesos.', ['10.0.0.1']);
    builder.addresses('b.mesos.', ['fd00::1']);
    builder.srv('_c._tcp.mesos.', 'a.mesos.', 1);
    builder.addresses('empty.mesos.', []);
    const set = builder.build(() => []);
    expect([...set.names].map(([name, r]) => [name, r.a, r.aaaa, r.srv])).toEqual([
      ['a.mesos.', ['10.0.0.1'], [], []],
      ['b.mesos.', [], ['fd00::1'], []],
      ['_c._tcp.mesos.', [], [], [{ target: 'a.mesos.', port: 1 }]],
    ]);
  });
});

describe('RecordBuilder views', () => {
  it('a, aaaa and srv list only the names with such records, built once', () => {
    const builder = new RecordBuilder();
    builder.addresses('a.mesos.', ['10.0.0.1', 'fd00::1']);
    builder.srv('_c._tcp.mesos.', 'a.mesos.', 1);
    let enumerations = 0;
    const set = builder.build(() => (enumerations++, [{ name: 'marathon', tasks: [] }]));
    expect([...set.a]).toEqual([['a.mesos.', ['10.0.0.1']]]);
    expect([...set.aaaa]).toEqual([['a.mesos.', ['fd00::1']]]);
    expect([...set.srv]).toEqual([['_c._tcp.mesos.', [{ target: 'a.mesos.', port: 1 }]]]);
    expect(set.a).toBe(set.a);
    expect(set.enumerate()).toBe(set.enumerate());
    expect(enumerations).toBe(1);
  });
});

describe('RecordBuilder enumeration (which task inserted a record first)', () => {
  const tasks = [
    { framework: 0, name: 'web', id: 'web.1' },
    { framework: 0, name: 'web', id: 'web.2' },
    { framework: 1, name: 'job', id: 'job.1' },
  ];
  const fill = (builder: RecordBuilder) => {
    builder.attributeTo(0);
    builder.addresses('web.marathon.mesos.', ['10.0.0.1', 'fd00::1']);
    builder.srv('_web._tcp.marathon.mesos.', 'web.marathon.mesos.', 31000);
    builder.attributeTo(1);
    builder.addresses('web.marathon.mesos.', ['10.0.0.1']); // already there: not web.2's
    builder.attributeTo(-1);
    builder.addresses('leader.mesos.', ['10.0.0.9']); // nobody's
    builder.attributeTo(2);
    builder.addresses('job.chronos.mesos.', ['10.0.0.2']);
  };

  it('with owners tracked', () => {
    const builder = new RecordBuilder(true);
    fill(builder);
    expect(builder.enumeration(['marathon', 'chronos'], tasks)).toEqual([
      {
        name: 'marathon',
        tasks: [
          {
            name: 'web',
            id: 'web.1',
            records: [
              { name: 'web.marathon.mesos.', host: '10.0.0.1', rtype: 'A' },
              { name: 'web.marathon.mesos.', host: 'fd00::1', rtype: 'AAAA' },
              { name: '_web._tcp.marathon.mesos.', host: 'web.marathon.mesos.:31000', rtype: 'SRV' },
            ],
          },
          { name: 'web', id: 'web.2', records: null },
        ],
      },
      { name: 'chronos', tasks: [{ name: 'job', id: 'job.1', records: [{ name: 'job.chronos.mesos.', host: '10.0.0.2', rtype: 'A' }] }] },
    ]);
  });

  it('without owners tracked: every task without records', () => {
    const builder = new RecordBuilder();
    fill(builder);
    expect(builder.enumeration(['marathon', 'chronos'], tasks).flatMap((f) => f.tasks.map((t) => t.records))).toEqual([null, null, null]);
  });
});
