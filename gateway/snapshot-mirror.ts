// A worker process's view of the primary's cluster store: the last snapshot the primary sent, and its
// status with the age advancing locally between the primary's status messages (one a second).
import type { Snapshot, StoreStatus } from '../cluster/index.js';
import type { SnapshotView } from './server.js';

export interface SnapshotMirrorOptions {
  readonly staleAfterMs: number;
  readonly unusableAfterMs: number;
  readonly now?: () => number;
}

const EMPTY: StoreStatus = { state: 'empty', ageMs: null, generation: 0, lastError: null, source: null };

export class SnapshotMirror implements SnapshotView {
  readonly #options: SnapshotMirrorOptions;
  readonly #now: () => number;
  #current: Snapshot | null = null;
  #status: StoreStatus = EMPTY;
  #receivedAt = 0;

  constructor(options: SnapshotMirrorOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  get current(): Snapshot | null {
    return this.#current;
  }

  /** Swaps in a snapshot (already rebuilt from its clone, beside the old one) and/or a new status. */
  update(status: StoreStatus, snapshot?: Snapshot | null): void {
    if (snapshot !== undefined) this.#current = snapshot === null ? null : Object.freeze(snapshot);
    this.#status = status;
    this.#receivedAt = this.#now();
  }

  status(): StoreStatus {
    const base = this.#status;
    if (base.ageMs === null || base.state === 'empty') return base;
    const ageMs = base.ageMs + Math.max(0, this.#now() - this.#receivedAt);
    const state = ageMs >= this.#options.unusableAfterMs ? 'unusable' : ageMs >= this.#options.staleAfterMs ? 'stale' : 'fresh';
    return { ...base, ageMs, state };
  }
}
