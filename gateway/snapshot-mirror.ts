// A worker process's view of the primary's cluster store: the last snapshot the primary sent, and its
// status with the age advancing locally between the primary's status messages (one a second).
import { snapshotFromWire, stateAtAge, type Snapshot, type SnapshotView, type SnapshotWire, type StalenessLimits, type StoreStatus } from '../cluster/index.js';

export interface SnapshotMirrorOptions extends StalenessLimits {
  readonly now?: () => number;
}

const EMPTY: StoreStatus = { state: 'empty', ageMs: null, generation: 0, lastError: null, source: null };

export class SnapshotMirror implements SnapshotView {
  readonly #options: SnapshotMirrorOptions;
  readonly #now: () => number;
  #current: Snapshot | null = null;
  #status: StoreStatus = EMPTY;
  #receivedAt = 0;
  readonly #subscribers = new Set<(snapshot: Snapshot) => void>();

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
    if (snapshot) this.#tell(snapshot);
  }

  /** update() with a snapshot as the primary sends it (its wire form), rebuilt here beside the one serving. */
  updateFromWire(status: StoreStatus, wire?: SnapshotWire | null): void {
    this.update(status, wire === undefined || wire === null ? wire : snapshotFromWire(wire));
  }

  subscribe(subscriber: (snapshot: Snapshot) => void): () => void {
    this.#subscribers.add(subscriber);
    return () => this.#subscribers.delete(subscriber);
  }

  status(): StoreStatus {
    const base = this.#status;
    if (base.ageMs === null || base.state === 'empty') return base;
    const ageMs = base.ageMs + Math.max(0, this.#now() - this.#receivedAt);
    return { ...base, ageMs, state: stateAtAge(ageMs, this.#options) };
  }

  // Every subscriber hears of the snapshot even when one throws; the first error is raised after.
  #tell(snapshot: Snapshot): void {
    let failure: { error: unknown } | null = null;
    for (const subscriber of this.#subscribers) {
      try {
        subscriber(snapshot);
      } catch (error) {
        failure ??= { error };
      }
    }
    if (failure) throw failure.error;
  }
}
