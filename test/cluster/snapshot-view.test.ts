// The one trust rule of a snapshot: its state at an age, and which states are served.
import { describe, expect, test } from 'vitest';
import { isUsable, stateAtAge, type SnapshotState } from '../../cluster/index.js';

describe('stateAtAge: fresh until staleAfter, stale until unusableAfter, then unusable', () => {
  const limits = { staleAfterMs: 75_000, unusableAfterMs: 300_000 };
  const cases: { name: string; ageMs: number; state: SnapshotState }[] = [
    { name: 'just fetched', ageMs: 0, state: 'fresh' },
    { name: 'a moment before staleAfter', ageMs: 74_999, state: 'fresh' },
    { name: 'at staleAfter', ageMs: 75_000, state: 'stale' },
    { name: 'a moment before unusableAfter', ageMs: 299_999, state: 'stale' },
    { name: 'at unusableAfter', ageMs: 300_000, state: 'unusable' },
    { name: 'long past', ageMs: 86_400_000, state: 'unusable' },
  ];
  test.each(cases)('$name ($ageMs ms) → $state', ({ ageMs, state }) => {
    expect(stateAtAge(ageMs, limits)).toBe(state);
  });
});

describe('isUsable: fresh and stale snapshots are served, empty and unusable are not', () => {
  const cases: { state: SnapshotState; usable: boolean }[] = [
    { state: 'empty', usable: false },
    { state: 'fresh', usable: true },
    { state: 'stale', usable: true },
    { state: 'unusable', usable: false },
  ];
  test.each(cases)('$state → $usable', ({ state, usable }) => {
    expect(isUsable(state)).toBe(usable);
  });
});
