// Messages between `gatehouse run` (the primary) and its gateway worker processes (node:cluster IPC
// with `serialization: 'advanced'`; a snapshot crosses as its JSON wire form, cluster/snapshot-wire.ts).
import type { UsersFile } from '../authn/index.js';
import type { SnapshotWire, StoreStatus } from '../cluster/index.js';
import type { GatehouseConfig } from '../config/index.js';
import type { MetricObjectWithValues, MetricValue } from 'prom-client';
import type { GatewayStatus, Generations } from './gateway-status.js';
import type { LogRecord } from './logs/log-ring.js';
import type { FileRoute, RouteFileStatus } from './route-files.js';

export type MetricsJson = MetricObjectWithValues<MetricValue<string>>[];

/** Primary → worker. */
export type ToWorker =
  | { readonly kind: 'gatehouse:init'; readonly config: GatehouseConfig; readonly dnsHttp: string | null; readonly pretty: boolean }
  /** A new snapshot in its wire form, made once for every worker (or only a new status: `snapshot` absent) of the primary's store. */
  | { readonly kind: 'gatehouse:snapshot'; readonly snapshot?: SnapshotWire | null; readonly status: StoreStatus }
  /** A big snapshot's wire form crosses in parts, in order: the `gatehouse:snapshot` after them carries the last one. */
  | { readonly kind: 'gatehouse:snapshot-part'; readonly text: string }
  | { readonly kind: 'gatehouse:metrics-collect'; readonly id: number }
  | { readonly kind: 'gatehouse:metrics-text'; readonly id: number; readonly text: string }
  | { readonly kind: 'gatehouse:drain' }
  /** The primary's users (it alone reads the users file), numbered: every worker serves the same ones. */
  | { readonly kind: 'gatehouse:users'; readonly generation: number; readonly users: UsersFile }
  /** The primary's route files (it alone reads gateway.routes), numbered. */
  | { readonly kind: 'gatehouse:routes'; readonly generation: number; readonly files: readonly WireRouteFile[] }
  | { readonly kind: 'gatehouse:status-reply'; readonly id: number; readonly status: GatewayStatus }
  /** The primary's recent log lines, for the component log a worker serves. */
  | { readonly kind: 'gatehouse:logs-reply'; readonly id: number; readonly records: readonly LogRecord[] };

/** Worker → primary. */
export type FromWorker =
  | { readonly kind: 'gatehouse:ready' }
  | { readonly kind: 'gatehouse:listening'; readonly port: number }
  | { readonly kind: 'gatehouse:failed'; readonly message: string; readonly code?: string }
  | { readonly kind: 'gatehouse:metrics-request'; readonly id: number }
  | { readonly kind: 'gatehouse:metrics-json'; readonly id: number; readonly metrics: MetricsJson }
  /** What the worker serves now, sent after every change: the primary shows it in /gatehouse/v1/status. */
  | { readonly kind: 'gatehouse:applied'; readonly generations: Generations }
  | { readonly kind: 'gatehouse:status-request'; readonly id: number }
  | { readonly kind: 'gatehouse:logs-request'; readonly id: number; readonly after: number };

/** A route file as it crosses IPC: URLs do not survive a structured clone, their hrefs do. */
export type WireRouteFile = Omit<RouteFileStatus, 'routes'> & { readonly routes: readonly (Omit<FileRoute, 'to'> & { readonly to: readonly string[] })[] };

export function routesToWire(files: readonly RouteFileStatus[]): WireRouteFile[] {
  return files.map((f) => ({ ...f, routes: f.routes.map((r) => ({ ...r, to: r.to.map((u) => u.href) })) }));
}

export function routesFromWire(files: readonly WireRouteFile[]): RouteFileStatus[] {
  return files.map((f) => ({ ...f, routes: f.routes.map((r) => ({ ...r, to: r.to.map((href) => new URL(href)) })) }));
}

function ours(message: unknown): boolean {
  return (
    typeof message === 'object' &&
    message !== null &&
    typeof (message as { kind?: unknown }).kind === 'string' &&
    (message as { kind: string }).kind.startsWith('gatehouse:')
  );
}

/** Other IPC users (prom-client's own cluster messages) share the channel: only ours are taken. */
export const isFromWorker = (message: unknown): message is FromWorker => ours(message);
export const isToWorker = (message: unknown): message is ToWorker => ours(message);
