// Per VIP and backend counters, bumped on the hot path as plain numbers; prom-client reads them only
// when /metrics is scraped (the same pattern as the DNS server's counters).
import { Counter, Gauge, type Registry } from 'prom-client';

export interface PairStats {
  connections: number;
  active: number;
  failures: number;
  /** Bytes from clients to the backend, and back. */
  bytesToBackend: number;
  bytesToClient: number;
}

/** A mesh worker's counters, as it sends them to the primary (mesh.workers). */
export interface WorkerStats {
  /** [vip key, backend ip:port, counters]. */
  readonly pairs: readonly (readonly [string, string, PairStats])[];
  readonly noBackend: readonly (readonly [string, number])[];
  /** Open connections per VIP key, draining ones included. */
  readonly open: readonly (readonly [string, number])[];
}

export class MeshMetrics {
  /** `vip key` -> `backend ip:port` -> stats. Kept after a backend leaves, as counters must be. */
  readonly #pairs = new Map<string, Map<string, PairStats>>();
  /** Client connections refused because a VIP had no backend to try. */
  readonly #noBackend = new Map<string, number>();
  vips = 0;
  /** Brings the byte counters up to date (open connections' bytes are added when read, not per chunk). */
  countOpenBytes: () => void = () => undefined;
  /** Fetches the other processes' counters (mesh.workers) before a scrape. */
  refreshRemote: () => Promise<void> = async () => undefined;

  pair(vip: string, backend: string): PairStats {
    let perVip = this.#pairs.get(vip);
    if (!perVip) this.#pairs.set(vip, (perVip = new Map()));
    let stats = perVip.get(backend);
    if (!stats) perVip.set(backend, (stats = { connections: 0, active: 0, failures: 0, bytesToBackend: 0, bytesToClient: 0 }));
    return stats;
  }

  noBackend(vip: string): void {
    this.#noBackend.set(vip, (this.#noBackend.get(vip) ?? 0) + 1);
  }

  /** The counters of the mesh's other processes (mesh.workers), by process: added to this one's when read. */
  readonly remote = new Map<string, WorkerStats>();

  /** Stats of one VIP's backends (for /net/v1/vips and the dashboard), every process's summed. */
  statsOf(vip: string): ReadonlyMap<string, PairStats> {
    return this.merged().pairs.get(vip) ?? new Map();
  }

  /** This process's counters, as a worker sends them to the primary. */
  snapshot(): Omit<WorkerStats, 'open'> {
    const pairs: [string, string, PairStats][] = [];
    for (const [vip, perVip] of this.#pairs) for (const [backend, s] of perVip) pairs.push([vip, backend, { ...s }]);
    return { pairs, noBackend: [...this.#noBackend] };
  }

  /** Every process's counters summed (one process: its own maps as they are). */
  merged(): { pairs: ReadonlyMap<string, ReadonlyMap<string, PairStats>>; noBackend: ReadonlyMap<string, number> } {
    if (this.remote.size === 0) return { pairs: this.#pairs, noBackend: this.#noBackend };
    const pairs = new Map<string, Map<string, PairStats>>();
    const noBackend = new Map(this.#noBackend);
    const add = (vip: string, backend: string, s: PairStats) => {
      let perVip = pairs.get(vip);
      if (!perVip) pairs.set(vip, (perVip = new Map()));
      const sum = perVip.get(backend);
      if (!sum) perVip.set(backend, { ...s });
      else for (const k of ['connections', 'active', 'failures', 'bytesToBackend', 'bytesToClient'] as const) sum[k] += s[k];
    };
    for (const [vip, perVip] of this.#pairs) for (const [backend, s] of perVip) add(vip, backend, s);
    for (const stats of this.remote.values()) {
      for (const [vip, backend, s] of stats.pairs) add(vip, backend, s);
      for (const [vip, n] of stats.noBackend) noBackend.set(vip, (noBackend.get(vip) ?? 0) + n);
    }
    return { pairs, noBackend };
  }

  register(registry: Registry | undefined): void {
    if (!registry) return;
    const metrics = this;
    const counter = (name: string, help: string, read: (s: PairStats) => number) =>
      new Counter({
        name, help, labelNames: ['vip', 'backend'], registers: [registry],
        async collect() {
          await metrics.refreshRemote();
          this.reset();
          for (const [vip, perVip] of metrics.merged().pairs) for (const [backend, s] of perVip) this.inc({ vip, backend }, read(s));
        },
      });
    counter('gatehouse_mesh_connections_total', 'Client connections forwarded to a backend, per VIP and backend', (s) => s.connections);
    counter(
      'gatehouse_mesh_connect_failures_total',
      'Connects to a backend refused or timed out (retried on another backend), per VIP and backend',
      (s) => s.failures,
    );
    new Gauge({
      name: 'gatehouse_mesh_active_connections', help: 'Connections open through a VIP to a backend', labelNames: ['vip', 'backend'], registers: [registry],
      async collect() {
        await metrics.refreshRemote();
        this.reset();
        for (const [vip, perVip] of metrics.merged().pairs) for (const [backend, s] of perVip) this.set({ vip, backend }, s.active);
      },
    });
    new Counter({
      name: 'gatehouse_mesh_bytes_total',
      help: 'Bytes forwarded, per VIP, backend and direction (to_backend, to_client)',
      labelNames: ['vip', 'backend', 'direction'],
      registers: [registry],
      async collect() {
        metrics.countOpenBytes();
        await metrics.refreshRemote();
        this.reset();
        for (const [vip, perVip] of metrics.merged().pairs) {
          for (const [backend, s] of perVip) {
            this.inc({ vip, backend, direction: 'to_backend' }, s.bytesToBackend);
            this.inc({ vip, backend, direction: 'to_client' }, s.bytesToClient);
          }
        }
      },
    });
    new Counter({
      name: 'gatehouse_mesh_no_backend_total',
      help: 'Client connections closed because the VIP had no backend that accepted',
      labelNames: ['vip'],
      registers: [registry],
      async collect() {
        await metrics.refreshRemote();
        this.reset();
        for (const [vip, n] of metrics.merged().noBackend) this.inc({ vip }, n);
      },
    });
    new Gauge({ name: 'gatehouse_mesh_vips', help: 'VIP listeners serving', registers: [registry], collect() { this.set(metrics.vips); } });
  }
}
