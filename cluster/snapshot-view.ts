// What every reader of cluster state sees, whoever holds the state: the store in the primary process,
// or a gateway worker's mirror of it. DNS and the gateway consume this view, never a store directly,
// so the trust rule (how old is too old) is spelled once, here.
import type { Snapshot, SnapshotSource } from './snapshot.js';

export type SnapshotState = 'empty' | 'fresh' | 'stale' | 'unusable';

export interface StoreStatus {
  readonly state: SnapshotState;
  readonly ageMs: number | null;
  readonly generation: number;
  readonly lastError: string | null;
  readonly source: SnapshotSource | null;
}

/** How old a snapshot may grow before it is stale (still served) and then unusable (not served). */
export interface StalenessLimits {
  readonly staleAfterMs: number;
  readonly unusableAfterMs: number;
}

export interface SnapshotView {
  /** The newest snapshot, or null before the first one. */
  readonly current: Snapshot | null;
  status(): StoreStatus;
  /** Called with every new snapshot; returns the unsubscribe function. */
  subscribe(listener: (snapshot: Snapshot) => void): () => void;
}

/** The state of a snapshot that is `ageMs` old. */
export function stateAtAge(ageMs: number, limits: StalenessLimits): 'fresh' | 'stale' | 'unusable' {
  return ageMs >= limits.unusableAfterMs ? 'unusable' : ageMs >= limits.staleAfterMs ? 'stale' : 'fresh';
}

/** Served from: fresh, or stale but not yet unusable. */
export function isUsable(state: SnapshotState): boolean {
  return state === 'fresh' || state === 'stale';
}
