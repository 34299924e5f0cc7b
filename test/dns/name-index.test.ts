// The answer table's name index (dns/server/name-index.ts): names found by comparing the query's
// text with the wire-form name in the slab, label by label; near misses are not found.
import { describe, expect, it } from 'vitest';
import { NameIndex } from '../../dns/server/name-index.js';
import { WireWriter } from '../../dns/wire/encoder.js';

function indexOf(names: readonly string[]): NameIndex {
  const index = new NameIndex(names.length);
  const w = new WireWriter(64);
  for (const name of names) {
    w.u16(0xbeef); // bytes between the names, as the slab has answers between its questions
    const at = w.length;
    w.plainName(name);
    index.add(name, at);
  }
  index.seal(w.buf.subarray(0, w.length));
  return index;
}

const NAMES = ['web.mesos', 'mesos', 'a.b.c.mesos', '_web._tcp.marathon.mesos', 'x1.mesos', `${'y'.repeat(63)}.mesos`];

describe('NameIndex', () => {
  const index = indexOf(NAMES);
  const cases: { name: string; query: string; want: number }[] = [
    ...NAMES.map((name, number) => ({ name: `held: ${name.slice(0, 30)}`, query: name, want: number })),
    { name: 'a prefix of a held name', query: 'web.meso', want: -1 },
    { name: 'a held name with a label more', query: 'web.mesos.x', want: -1 },
    { name: 'the same characters, the dot elsewhere', query: 'webm.esos', want: -1 },
    { name: 'a digit where a label ends (length bytes are small numbers)', query: 'x1\x05mesos', want: -1 },
    { name: 'upper case', query: 'WEB.mesos', want: -1 },
    { name: 'the trailing dot', query: 'web.mesos.', want: -1 },
    { name: 'the root', query: '', want: -1 },
    { name: 'a character past latin1 that truncates to a held one', query: 'w\u0165b.mesos', want: -1 },
  ];
  for (const c of cases) it(c.name, () => expect(index.get(c.query)).toBe(c.want));

  it('nameOf gives each name back; size counts them', () => {
    expect(NAMES.map((_, number) => index.nameOf(number))).toEqual(NAMES);
    expect(index.size).toBe(NAMES.length);
  });

  it('20,000 names (many share a slot and probe on): every one found, none of their near misses', () => {
    const many = Array.from({ length: 20_000 }, (_, i) => `task-${i}.marathon.mesos`);
    const big = indexOf(many);
    expect(many.every((name, number) => big.get(name) === number)).toBe(true);
    expect(many.some((name) => big.get(`${name}x`) !== -1 || big.get(name.replace('.', '-')) !== -1)).toBe(false);
  });
});
