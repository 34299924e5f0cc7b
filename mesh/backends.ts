// Which backend a new connection goes to. Passive health only: a backend whose connect was refused or
// timed out is skipped for `failureBackoffMs` by every VIP that has it (it is one address, whatever
// VIP reaches it). A pool is built whole for each new VIP table and swapped in; the per-backend
// state lives in one map keyed by address, so it survives the swap.
import type { VipBackend } from '../cluster/index.js';

export type BalanceMode = 'round-robin' | 'least-connections';

export interface BackendState {
  readonly key: string;                    // `ip:port`
  /** Connections open to it right now, through any VIP. */
  active: number;
  /** Until this time (ms, monotonic) new connections avoid it. */
  skipUntil: number;
}

export class BackendStates {
  readonly #states = new Map<string, BackendState>();

  get(key: string): BackendState {
    let state = this.#states.get(key);
    if (!state) this.#states.set(key, (state = { key, active: 0, skipUntil: 0 }));
    return state;
  }

  /** Forgets addresses no pool has and no connection uses. */
  prune(inUse: ReadonlySet<string>): void {
    for (const [key, state] of this.#states) if (state.active === 0 && !inUse.has(key)) this.#states.delete(key);
  }
}

export interface PoolMember {
  readonly backend: VipBackend;
  readonly key: string;
  readonly state: BackendState;
}

export class Pool {
  readonly members: readonly PoolMember[];
  readonly #mode: BalanceMode;
  /** Each member's place in `members`, by key. */
  readonly #positions = new Map<string, number>();
  #next = 0;
  /** The backend picked last: the next pool of this VIP goes on after it. */
  #lastKey: string | null = null;

  /**
   * `previous`: the VIP's pool this one replaces. Every snapshot builds the pools again (any change in
   * the cluster), and a rotation that started over at the first backend each time would send most
   * connections of a busy cluster to one task: it goes on after the backend picked last, or after
   * where that one was when it left.
   */
  constructor(backends: readonly VipBackend[], states: BackendStates, mode: BalanceMode, previous?: Pool) {
    this.members = backends.map((backend) => {
      const key = `${backend.ip}:${backend.port}`;
      return { backend, key, state: states.get(key) };
    });
    this.#mode = mode;
    this.members.forEach((member, i) => this.#positions.set(member.key, i));
    if (previous) this.#continueFrom(previous);
  }

  /** Next: the backend after the one `previous` picked last, or, when that one left, the first after it in the old order that is still here. */
  #continueFrom(previous: Pool): void {
    const last = previous.#lastKey;
    if (this.members.length === 0 || last === null) return;
    this.#lastKey = last;
    const kept = this.#indexOf(last);
    if (kept >= 0) {
      this.#next = (kept + 1) % this.members.length;
      return;
    }
    const old = previous.members;
    const from = previous.#indexOf(last);
    for (let i = 1; i < old.length; i++) {
      const at = this.#indexOf(old[(from + i) % old.length]!.key);
      if (at >= 0) {
        this.#next = at;
        return;
      }
    }
  }

  #indexOf(key: string): number {
    return this.#positions.get(key) ?? -1;
  }

  has(key: string): boolean {
    return this.#positions.has(key);
  }

  /**
   * The next backend, leaving out `tried` (this client's failed attempts). Backends in their skip
   * time are chosen only when nothing else is left: trying one beats refusing the client.
   */
  pick(tried: ReadonlySet<string> | null, now: number): PoolMember | null {
    const n = this.members.length;
    if (n === 0) return null;
    let best: PoolMember | null = null;
    let fallback: PoolMember | null = null;
    const start = this.#next;
    for (let i = 0; i < n; i++) {
      const member = this.members[(start + i) % n]!;
      if (tried?.has(member.key)) continue;
      if (member.state.skipUntil > now) {
        fallback ??= member;
        continue;
      }
      if (this.#mode === 'round-robin') {
        best = member;
        this.#next = (start + i + 1) % n;
        break;
      }
      if (!best || member.state.active < best.state.active) best = member;
    }
    if (best && this.#mode === 'least-connections') this.#next = (this.#indexOf(best.key) + 1) % n;
    if (!best && fallback) this.#next = (this.#indexOf(fallback.key) + 1) % n;
    const picked = best ?? fallback;
    if (picked) this.#lastKey = picked.key;
    return picked;
  }
}
