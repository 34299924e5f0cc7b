// The store: generations, staleness against an injected clock, subscribers isolated from each other.
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ClusterStore, type SnapshotData } from '../../cluster/index.js';

const data = (fetchedAt: number): SnapshotData => ({
  fetchedAt,
  source: { kind: 'file', origin: 't' },
  clusterName: null,
  leader: null,
  masters: [],
  agents: [],
  frameworks: [],
  apps: [],
});

describe('ClusterStore', () => {
  it('walks empty -> fresh -> stale -> unusable with the snapshot age, and confirm() refreshes it', () => {
    let now = 1_000_000;
    const store = new ClusterStore({ staleAfterMs: 75_000, unusableAfterMs: 3_600_000, logger: pino({ level: 'silent' }), now: () => now });
    const table: [number, string][] = [[0, 'fresh'], [74_999, 'fresh'], [75_000, 'stale'], [3_599_999, 'stale'], [3_600_000, 'unusable']];
    expect(store.status().state).toBe('empty');
    store.publish(data(now));
    const start = now;
    for (const [age, state] of table) {
      now = start + age;
      expect(store.status().state, `age ${age}`).toBe(state);
    }
    store.confirm();
    expect(store.status()).toMatchObject({ state: 'fresh', ageMs: 0, generation: 1 });
  });

  it('numbers snapshots, keeps them on failure, and a throwing subscriber does not stop the others', () => {
    const store = new ClusterStore({ staleAfterMs: 1000, unusableAfterMs: 2000, logger: pino({ level: 'silent' }) });
    const seen: number[] = [];
    store.subscribe(() => {
      throw new Error('boom');
    });
    store.subscribe((s) => seen.push(s.generation));
    store.publish(data(Date.now()));
    store.fail('http://m:5050', new Error('HTTP 500'));
    store.publish(data(Date.now()));
    expect(seen).toEqual([1, 2]);
    expect(store.current!.generation).toBe(2);
    expect(store.status().lastError).toBeNull();
  });

  const badOptions: [string, number, number, RegExp][] = [
    ['unusableAfter equal to staleAfter', 10, 10, /unusableAfterMs/],
    ['unusableAfter shorter than staleAfter', 10, 5, /unusableAfterMs/],
    ['staleAfter zero', 0, 10, /staleAfterMs/],
    ['staleAfter not a number', Number.NaN, 10, /staleAfterMs/],
  ];
  for (const [name, staleAfterMs, unusableAfterMs, message] of badOptions) {
    it(`refuses ${name}, naming the option`, () => {
      expect(() => new ClusterStore({ staleAfterMs, unusableAfterMs, logger: pino({ level: 'silent' }) })).toThrow(
        expect.objectContaining({ code: 'ERR_CLUSTER_CONFIG', message: expect.stringMatching(message) }),
      );
    });
  }
});
