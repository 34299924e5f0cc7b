// A worker's mirror of the primary's store: swaps snapshots whole, ages the status between messages.
import { describe, expect, it } from 'vitest';
import { snapshotToWire, type Snapshot, type SnapshotWire } from '../../cluster/index.js';
import { SnapshotMirror } from '../../gateway/index.js';

describe('SnapshotMirror', () => {
  let now = 1_000_000;
  const snapshot = { generation: 7, fetchedAt: now, source: { kind: 'file', origin: 'x' }, frameworks: [], agents: [] } as unknown as Snapshot;
  const status = { state: 'fresh', ageMs: 1000, generation: 7, lastError: null, source: snapshot.source } as const;
  /** A mirror of its own per case (each runs alone), on this file's clock. */
  const mirror = () => new SnapshotMirror({ staleAfterMs: 75_000, unusableAfterMs: 300_000, now: () => now });
  /** One that took the snapshot above, 1 s old when it arrived. */
  const holding = () => {
    const m = mirror();
    m.update(status, snapshot);
    return m;
  };

  it('is empty until the primary sends something', () => {
    const m = mirror();
    expect(m.current).toBeNull();
    expect(m.status()).toMatchObject({ state: 'empty', ageMs: null, generation: 0 });
  });

  it('takes a snapshot with its status, frozen', () => {
    const m = holding();
    expect(m.current?.generation).toBe(7);
    expect(Object.isFrozen(m.current)).toBe(true);
    expect(m.status()).toMatchObject({ state: 'fresh', ageMs: 1000, generation: 7 });
  });

  const ages: [string, number, string][] = [
    ['fresh a minute on', 60_000, 'fresh'],
    ['stale past staleAfter', 75_000, 'stale'],
    ['unusable past unusableAfter', 300_000, 'unusable'],
  ];
  for (const [name, later, state] of ages) {
    it(`ages locally without messages: ${name}`, () => {
      const m = holding();
      const start = now;
      now = start + later;
      expect(m.status()).toMatchObject({ state, ageMs: 1000 + later });
      now = start;
    });
  }

  it('a status-only message keeps the snapshot and resets the age', () => {
    const m = holding();
    now += 10_000;
    m.update({ ...status, ageMs: 0 });
    expect(m.current?.generation).toBe(7);
    expect(m.status().ageMs).toBe(0);
  });
});

describe('SnapshotMirror.subscribe (the cluster SnapshotView, as the store has it)', () => {
  const status = { state: 'fresh', ageMs: 0, generation: 1, lastError: null, source: { kind: 'file', origin: 'x' } } as const;
  const snapshotOf = (generation: number) => ({ generation, fetchedAt: 0, source: status.source, frameworks: [], agents: [] }) as unknown as Snapshot;

  it('tells subscribers of each new snapshot, not of status-only messages, until they unsubscribe', () => {
    const mirror = new SnapshotMirror({ staleAfterMs: 75_000, unusableAfterMs: 300_000 });
    const seen: number[] = [];
    const unsubscribe = mirror.subscribe((s) => seen.push(s.generation));
    mirror.update({ ...status, generation: 1 }, snapshotOf(1));
    mirror.update({ ...status, generation: 1 });
    mirror.update({ ...status, state: 'empty', ageMs: null, generation: 0 }, null);
    mirror.update({ ...status, generation: 2 }, snapshotOf(2));
    unsubscribe();
    mirror.update({ ...status, generation: 3 }, snapshotOf(3));
    expect(seen).toEqual([1, 2]);
  });

  it('a throwing subscriber does not keep the snapshot from the others, and its error is raised after', () => {
    const mirror = new SnapshotMirror({ staleAfterMs: 75_000, unusableAfterMs: 300_000 });
    const seen: string[] = [];
    mirror.subscribe(() => { seen.push('first'); throw new Error('subscriber broke'); });
    mirror.subscribe(() => seen.push('second'));
    expect(() => mirror.update(status, snapshotOf(1))).toThrow('subscriber broke');
    expect(seen).toEqual(['first', 'second']);
    expect(mirror.current?.generation).toBe(1);
  });
});

describe('SnapshotMirror.updateFromWire (a snapshot as the primary sends it)', () => {
  const status = { state: 'fresh', ageMs: 0, generation: 4, lastError: null, source: null } as const;
  const cases: { name: string; wire: () => SnapshotWire | null | undefined; want: number | null }[] = [
    { name: 'a wire text becomes the current snapshot', wire: () => snapshotToWire(snapshotOfGeneration(4)), want: 4 },
    { name: 'null (no snapshot in the primary) clears it', wire: () => null, want: null },
    { name: 'absent (a status-only message) keeps the one before', wire: () => undefined, want: 2 },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const mirror = new SnapshotMirror({ staleAfterMs: 75_000, unusableAfterMs: 300_000 });
      mirror.update({ ...status, generation: 2 }, snapshotOfGeneration(2));
      mirror.updateFromWire(status, c.wire());
      expect(mirror.current?.generation ?? null).toBe(c.want);
      if (c.want === 4) expect(Object.isFrozen(mirror.current!.frameworks)).toBe(true);
    });
  }
});

function snapshotOfGeneration(generation: number): Snapshot {
  const source = { kind: 'file', origin: 'x' } as const;
  return { generation, fetchedAt: 1, source, frameworks: [], agents: [], masters: [], apps: [], leader: null, clusterName: null };
}
