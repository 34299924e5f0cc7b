// A worker's mirror of the primary's store: swaps snapshots whole, ages the status between messages.
import { describe, expect, it } from 'vitest';
import type { Snapshot } from '../../cluster/index.js';
import { SnapshotMirror } from '../../gateway/index.js';

describe('SnapshotMirror', () => {
  let now = 1_000_000;
  const mirror = new SnapshotMirror({ staleAfterMs: 75_000, unusableAfterMs: 300_000, now: () => now });
  const snapshot = { generation: 7, fetchedAt: now, source: { kind: 'file', origin: 'x' }, frameworks: [], agents: [] } as unknown as Snapshot;

  it('is empty until the primary sends something', () => {
    expect(mirror.current).toBeNull();
    expect(mirror.status()).toMatchObject({ state: 'empty', ageMs: null, generation: 0 });
  });

  it('takes a snapshot with its status, frozen', () => {
    mirror.update({ state: 'fresh', ageMs: 1000, generation: 7, lastError: null, source: snapshot.source }, snapshot);
    expect(mirror.current?.generation).toBe(7);
    expect(Object.isFrozen(mirror.current)).toBe(true);
    expect(mirror.status()).toMatchObject({ state: 'fresh', ageMs: 1000, generation: 7 });
  });

  const ages: [string, number, string][] = [['fresh a minute on', 60_000, 'fresh'], ['stale past staleAfter', 75_000, 'stale'], ['unusable past unusableAfter', 300_000, 'unusable']];
  for (const [name, later, state] of ages) {
    it(`ages locally without messages: ${name}`, () => {
      const start = now;
      now = start + later;
      expect(mirror.status()).toMatchObject({ state, ageMs: 1000 + later });
      now = start;
    });
  }

  it('a status-only message keeps the snapshot and resets the age', () => {
    now += 10_000;
    mirror.update({ state: 'fresh', ageMs: 0, generation: 7, lastError: null, source: snapshot.source });
    expect(mirror.current?.generation).toBe(7);
    expect(mirror.status().ageMs).toBe(0);
  });
});
