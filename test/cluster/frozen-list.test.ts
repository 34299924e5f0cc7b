// Snapshot lists are kept at their exact size: a list grown by push has room for 16 more items,
// which a snapshot of 10,000 tasks paid twice a task (container IPs, ports). Measured on the heap.
import { runInNewContext } from 'node:vm';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { expandPortRanges, frozenList } from '../../cluster/state-fields.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
setFlagsFromString('--no-expose-gc');

/** Heap bytes per list that `make` returns, kept alive. */
function bytesPerList(make: (i: number) => readonly unknown[]): number {
  const count = 20_000;
  gc();
  const before = getHeapStatistics().used_heap_size;
  const kept: (readonly unknown[])[] = new Array(count);
  for (let i = 0; i < count; i++) kept[i] = make(i);
  gc();
  const after = getHeapStatistics().used_heap_size;
  expect(kept).toHaveLength(count);
  return (after - before - count * 8) / count;
}

describe('frozenList: exact size', () => {
  const cases: { name: string; make: (i: number) => readonly unknown[] }[] = [
    { name: 'one item pushed (a task\'s container IP)', make: (i) => { const out: string[] = []; out.push(`10.0.${i >> 8}.${i & 255}`); return frozenList(out); } },
    { name: 'a port range of one port', make: (i) => expandPortRanges(`[${1000 + (i % 60000)}-${1000 + (i % 60000)}]`) },
  ];
  for (const c of cases) {
    it(c.name, () => {
      // One item: an array (32 bytes) and its store (24); grown by push the store alone is 152.
      expect(bytesPerList(c.make)).toBeLessThan(100);
    });
  }
});
