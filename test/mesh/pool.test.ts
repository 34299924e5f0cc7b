// Which backend a VIP's next connection goes to (mesh/backends.ts), across the pools every snapshot
// builds again: round robin goes on where the replaced pool stopped, through backends added, removed
// and in their backoff; least connections keeps to the idlest. Backends are named by port.
import { describe, expect, it } from 'vitest';
import type { VipBackend } from '../../cluster/index.js';
import { BackendStates, Pool } from '../../mesh/backends.js';

const backend = (port: number): VipBackend => ({ taskId: `t${port}`, app: '/app', ip: '127.0.0.1', port, agentIp: '127.0.0.1' });

/** The ports of the next `count` picks, with nothing in backoff and no failed attempts. */
function picks(pool: Pool, count: number, now = 0): number[] {
  return Array.from({ length: count }, () => pool.pick(null, now)!.backend.port);
}

describe('round robin across rebuilt pools', () => {
  // Each case: the first pool's ports and how many picks it serves, then the next pool's ports.
  const cases: { name: string; first: number[]; picked: number; next: number[]; want: number[] }[] = [
    { name: 'the same backends: it goes on', first: [1, 2, 3], picked: 1, next: [1, 2, 3], want: [2, 3, 1] },
    { name: 'after a whole turn: it goes on', first: [1, 2], picked: 3, next: [1, 2], want: [2, 1, 2] },
    { name: 'a backend added after the last picked: it comes next', first: [1, 2, 3], picked: 1, next: [1, 9, 2, 3], want: [9, 2, 3, 1] },
    { name: 'a backend added before it: after the others', first: [1, 2], picked: 2, next: [9, 1, 2], want: [9, 1, 2] },
    { name: 'the last picked removed: the one after it in the old order', first: [1, 2, 3, 4], picked: 2, next: [1, 3, 4], want: [3, 4, 1] },
    { name: 'the last picked and the one after it removed', first: [1, 2, 3, 4], picked: 2, next: [1, 4], want: [4, 1] },
    { name: 'the last one of the order picked, then removed: from the first', first: [1, 2, 3], picked: 3, next: [1, 2], want: [1, 2, 1] },
    { name: 'every backend replaced: from the first', first: [1, 2], picked: 1, next: [7, 8], want: [7, 8, 7] },
    { name: 'nothing picked yet: from the first', first: [1, 2, 3], picked: 0, next: [1, 2, 3], want: [1, 2, 3] },
    { name: 'nothing picked yet, the order changed: from the new first', first: [1, 2], picked: 0, next: [2, 1], want: [2, 1] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const states = new BackendStates();
      const first = new Pool(c.first.map(backend), states, 'round-robin');
      picks(first, c.picked);
      expect(picks(new Pool(c.next.map(backend), states, 'round-robin', first), c.want.length)).toEqual(c.want);
    });
  }

  it('an empty pool in between: the rotation starts over', () => {
    const states = new BackendStates();
    const first = new Pool([1, 2, 3].map(backend), states, 'round-robin');
    picks(first, 2);
    const empty = new Pool([], states, 'round-robin', first);
    expect(empty.pick(null, 0)).toBeNull();
    expect(picks(new Pool([1, 2, 3].map(backend), states, 'round-robin', empty), 2)).toEqual([1, 2]);
  });

  it('a backend in its backoff is passed over, and the rotation goes on after the one picked', () => {
    const states = new BackendStates();
    const pool = new Pool([1, 2, 3].map(backend), states, 'round-robin');
    states.get('127.0.0.1:2').skipUntil = 100;
    expect(picks(pool, 3, 50)).toEqual([1, 3, 1]);
    expect(picks(new Pool([1, 2, 3].map(backend), states, 'round-robin', pool), 2, 200)).toEqual([2, 3]);
  });

  it("a client's retry leaves out the backends it already failed on, and the rotation goes on after the one picked", () => {
    const pool = new Pool([1, 2, 3].map(backend), new BackendStates(), 'round-robin');
    expect(pool.pick(new Set(['127.0.0.1:1', '127.0.0.1:2']), 0)!.backend.port).toBe(3);
    expect(picks(pool, 2)).toEqual([1, 2]);
  });

  it('every backend already failed for this client: none, and the next client goes on as before', () => {
    const pool = new Pool([1, 2].map(backend), new BackendStates(), 'round-robin');
    expect(picks(pool, 1)).toEqual([1]);
    expect(pool.pick(new Set(['127.0.0.1:1', '127.0.0.1:2']), 0)).toBeNull();
    expect(picks(pool, 1)).toEqual([2]);
  });
});

describe('least connections', () => {
  const cases: { name: string; active: Record<number, number>; want: number }[] = [
    { name: 'the idlest backend', active: { 1: 3, 2: 0, 3: 1 }, want: 2 },
    { name: 'a tie: the first in turn', active: { 1: 1, 2: 1, 3: 1 }, want: 1 },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const states = new BackendStates();
      for (const [port, active] of Object.entries(c.active)) states.get(`127.0.0.1:${port}`).active = active;
      expect(picks(new Pool([1, 2, 3].map(backend), states, 'least-connections'), 1)).toEqual([c.want]);
    });
  }

  it('a backend new to the cluster counts no connections: it gets the next one', () => {
    const states = new BackendStates();
    states.get('127.0.0.1:1').active = 2;
    expect(picks(new Pool([1, 9].map(backend), states, 'least-connections'), 1)).toEqual([9]);
  });

  it('ties go round across rebuilt pools too', () => {
    const states = new BackendStates();
    const first = new Pool([1, 2, 3].map(backend), states, 'least-connections');
    expect(picks(first, 1)).toEqual([1]);
    expect(picks(new Pool([1, 2, 3].map(backend), states, 'least-connections', first), 3)).toEqual([2, 3, 1]);
  });
});

describe('every backend in its backoff', () => {
  for (const mode of ['round-robin', 'least-connections'] as const) {
    it(`${mode}: the next in turn all the same, rather than refusing the client`, () => {
      const states = new BackendStates();
      const pool = new Pool([1, 2].map(backend), states, mode);
      for (const port of [1, 2]) states.get(`127.0.0.1:${port}`).skipUntil = 100;
      expect(picks(pool, 3, 50)).toEqual([1, 2, 1]);
    });
  }
});

describe('backend states and members', () => {
  it('prune forgets an address only when no pool has it and no connection uses it', () => {
    const states = new BackendStates();
    for (const port of [1, 2, 3]) states.get(`127.0.0.1:${port}`).skipUntil = 100;
    states.get('127.0.0.1:2').active = 1;
    states.prune(new Set(['127.0.0.1:3']));
    // A forgotten address comes back fresh (no backoff); a kept one keeps what it had.
    expect([1, 2, 3].map((port) => states.get(`127.0.0.1:${port}`).skipUntil)).toEqual([0, 100, 100]);
  });

  it('has: the pool\'s members by address, nothing else', () => {
    const pool = new Pool([1, 2].map(backend), new BackendStates(), 'round-robin');
    expect(['127.0.0.1:1', '127.0.0.1:2', '127.0.0.1:3', '127.0.0.2:1'].map((key) => pool.has(key))).toEqual([true, true, false, false]);
  });
});
