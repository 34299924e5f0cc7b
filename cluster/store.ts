// The one current snapshot. Sources publish whole snapshots; the store numbers them, swaps the
// reference and tells subscribers. A failed fetch changes nothing but the failure count and the
// last error: the previous snapshot keeps serving, and its age says how much to trust it.
import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Snapshot, SnapshotData } from './snapshot.js';
import { tasksOf } from './snapshot.js';
import { ClusterError } from './errors.js';
import { isUsable, stateAtAge, type SnapshotView, type StalenessLimits, type StoreStatus } from './snapshot-view.js';

export interface ClusterStoreOptions extends StalenessLimits {
  readonly logger: Logger;
  readonly registry?: Registry;
  readonly now?: () => number;
}

export class ClusterStore implements SnapshotView {
  #current: Snapshot | null = null;
  #lastError: string | null = null;
  #confirmedAt = 0;
  readonly #subscribers = new Set<(snapshot: Snapshot) => void>();
  readonly #options: ClusterStoreOptions;
  readonly #now: () => number;
  readonly #failures: Counter<'source'>;
  readonly #successes: Counter<'source'>;

  constructor(options: ClusterStoreOptions) {
    if (!(options.staleAfterMs > 0))
      throw new ClusterError('ERR_CLUSTER_CONFIG', `cluster store: staleAfterMs must be a positive number (got ${options.staleAfterMs})`);
    if (!(options.unusableAfterMs > options.staleAfterMs))
      throw new ClusterError(
        'ERR_CLUSTER_CONFIG',
        `cluster store: unusableAfterMs (${options.unusableAfterMs}) must be greater than staleAfterMs (${options.staleAfterMs})`,
      );
    this.#options = options;
    this.#now = options.now ?? Date.now;
    const registers = options.registry ? [options.registry] : [];
    this.#failures = new Counter({
      name: 'gatehouse_cluster_fetch_failures_total',
      help: 'Cluster state fetches that failed (the last good snapshot kept serving)',
      labelNames: ['source'],
      registers,
    });
    this.#successes = new Counter({ name: 'gatehouse_cluster_fetch_successes_total', help: 'Cluster snapshots accepted', labelNames: ['source'], registers });
    const store = this;
    new Gauge({
      name: 'gatehouse_cluster_snapshot_age_seconds',
      help: 'Age of the current cluster snapshot (-1 when there is none)',
      registers,
      collect() {
        const age = store.status().ageMs;
        this.set(age === null ? -1 : age / 1000);
      },
    });
    new Gauge({
      name: 'gatehouse_cluster_snapshot_generation',
      help: 'Generation number of the current snapshot',
      registers,
      collect() {
        this.set(store.#current?.generation ?? 0);
      },
    });
    new Gauge({
      name: 'gatehouse_cluster_tasks',
      help: 'Tasks in the current snapshot',
      registers,
      collect() {
        this.set(store.#current ? tasksOf(store.#current).length : 0);
      },
    });
    new Gauge({
      name: 'gatehouse_cluster_snapshot_usable',
      help: '1 when the snapshot is fresh or stale, 0 when empty or unusable',
      registers,
      collect() {
        this.set(isUsable(store.status().state) ? 1 : 0);
      },
    });
  }

  get current(): Snapshot | null {
    return this.#current;
  }

  publish(data: SnapshotData): Snapshot {
    const snapshot: Snapshot = Object.freeze({ ...data, generation: (this.#current?.generation ?? 0) + 1 });
    this.#current = snapshot;
    this.#confirmedAt = data.fetchedAt;
    this.#lastError = null;
    this.#successes.inc({ source: data.source.kind });
    for (const subscriber of this.#subscribers) {
      try {
        subscriber(snapshot);
      } catch (error) {
        this.#options.logger.error({ err: error, generation: snapshot.generation }, 'a snapshot subscriber failed');
      }
    }
    return snapshot;
  }

  fail(origin: string, error: unknown, kind = 'mesos'): void {
    const reason = error instanceof Error ? error.message : String(error);
    this.#lastError = `${origin}: ${reason}`;
    this.#failures.inc({ source: kind });
    this.#options.logger.warn({ origin, reason, generation: this.#current?.generation ?? 0 }, 'cluster state fetch failed; keeping the last good snapshot');
  }

  /** The source re-read its origin and found the same document: the snapshot is current again. */
  confirm(at = this.#now()): void {
    this.#confirmedAt = Math.max(this.#confirmedAt, at);
    this.#lastError = null;
  }

  subscribe(subscriber: (snapshot: Snapshot) => void): () => void {
    this.#subscribers.add(subscriber);
    return () => this.#subscribers.delete(subscriber);
  }

  status(): StoreStatus {
    const current = this.#current;
    if (!current) return { state: 'empty', ageMs: null, generation: 0, lastError: this.#lastError, source: null };
    const ageMs = Math.max(0, this.#now() - Math.max(current.fetchedAt, this.#confirmedAt));
    return { state: stateAtAge(ageMs, this.#options), ageMs, generation: current.generation, lastError: this.#lastError, source: current.source };
  }
}
