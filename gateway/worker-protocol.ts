// Messages between `gatehouse run` (the primary) and its gateway worker processes (node:cluster IPC
// with `serialization: 'advanced'`, so snapshots cross as structured clones, not JSON).
import type { Snapshot, StoreStatus } from '../cluster/index.js';
import type { GatehouseConfig } from '../config/index.js';
import type { MetricObjectWithValues, MetricValue } from 'prom-client';

export type MetricsJson = MetricObjectWithValues<MetricValue<string>>[];

/** Primary → worker. */
export type ToWorker =
  | { readonly kind: 'gatehouse:init'; readonly config: GatehouseConfig; readonly dnsHttp: string | null; readonly pretty: boolean }
  /** A new snapshot (or only a new status: `snapshot` absent) of the primary's store. */
  | { readonly kind: 'gatehouse:snapshot'; readonly snapshot?: Snapshot | null; readonly status: StoreStatus }
  | { readonly kind: 'gatehouse:metrics-collect'; readonly id: number }
  | { readonly kind: 'gatehouse:metrics-text'; readonly id: number; readonly text: string }
  | { readonly kind: 'gatehouse:drain' };

/** Worker → primary. */
export type FromWorker =
  | { readonly kind: 'gatehouse:ready' }
  | { readonly kind: 'gatehouse:listening'; readonly port: number }
  | { readonly kind: 'gatehouse:failed'; readonly message: string; readonly code?: string }
  | { readonly kind: 'gatehouse:metrics-request'; readonly id: number }
  | { readonly kind: 'gatehouse:metrics-json'; readonly id: number; readonly metrics: MetricsJson };

function ours(message: unknown): boolean {
  return typeof message === 'object' && message !== null && typeof (message as { kind?: unknown }).kind === 'string' && (message as { kind: string }).kind.startsWith('gatehouse:');
}

/** Other IPC users (prom-client's own cluster messages) share the channel: only ours are taken. */
export const isFromWorker = (message: unknown): message is FromWorker => ours(message);
export const isToWorker = (message: unknown): message is ToWorker => ours(message);
