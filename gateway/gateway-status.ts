// `GET /gatehouse/v1/status`: which generation of users, routes and cluster snapshot each gateway
// process serves. The primary numbers each version it loads and pushes it to every worker; a worker
// reports what it applied. `converged` is true when every worker serves the primary's generations,
// which is what an operator checks after an edit, and what the tests wait for.

/** Generations served by one process: users file, route files, cluster snapshot. */
export interface Generations {
  readonly users: number;
  readonly routes: number;
  readonly snapshot: number;
}

export interface WorkerStatus {
  readonly worker: number;
  readonly pid: number | null;
  readonly generations: Generations | null;
}

export interface GatewayStatus {
  /** The process that answered this request. */
  readonly servedBy?: { readonly worker: number; readonly pid: number };
  /** What the primary loaded (the in-process gateway: what it serves). */
  readonly primary: { readonly pid: number; readonly generations: Generations };
  readonly workers: readonly WorkerStatus[];
  readonly converged: boolean;
}

export function sameGenerations(a: Generations | null, b: Generations): boolean {
  return a !== null && a.users === b.users && a.routes === b.routes && a.snapshot === b.snapshot;
}

export function gatewayStatus(primary: { pid: number; generations: Generations }, workers: readonly WorkerStatus[]): GatewayStatus {
  return { primary, workers, converged: workers.every((w) => sameGenerations(w.generations, primary.generations)) };
}
