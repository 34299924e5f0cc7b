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

export class MeshMetrics {
  /** `vip key` -> `backend ip:port` -> stats. Kept after a backend leaves, as counters must be. */
  readonly #pairs = new Map<string, Map<string, PairStats>>();
  /** Client connections refused because a VIP had no backend to try. */
  readonly #noBackend = new Map<string, number>();
  vips = 0;
  /** Brings the byte counters up to date (open connections' bytes are added when read, not per chunk). */
  countOpenBytes: () => void = () => undefined;

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

  /** Stats of one VIP's backends (for /net/v1/vips and the dashboard). */
  statsOf(vip: string): ReadonlyMap<string, PairStats> {
    return this.#pairs.get(vip) ?? new Map();
  }

  register(registry: Registry | undefined): void {
    if (!registry) return;
    const pairs = this.#pairs;
    const metrics = this;
    const counter = (name: string, help: string, read: (s: PairStats) => number) =>
      new Counter({
        name, help, labelNames: ['vip', 'backend'], registers: [registry],
        collect() {
          this.reset();
          for (const [vip, perVip] of pairs) for (const [backend, s] of perVip) this.inc({ vip, backend }, read(s));
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
      collect() {
        this.reset();
        for (const [vip, perVip] of pairs) for (const [backend, s] of perVip) this.set({ vip, backend }, s.active);
      },
    });
    const noBackend = this.#noBackend;
    new Counter({
      name: 'gatehouse_mesh_bytes_total',
      help: 'Bytes forwarded, per VIP, backend and direction (to_backend, to_client)',
      labelNames: ['vip', 'backend', 'direction'],
      registers: [registry],
      collect() {
        metrics.countOpenBytes();
        this.reset();
        for (const [vip, perVip] of pairs) {
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
      collect() {
        this.reset();
        for (const [vip, n] of noBackend) this.inc({ vip }, n);
      },
    });
    new Gauge({ name: 'gatehouse_mesh_vips', help: 'VIP listeners serving', registers: [registry], collect() { this.set(metrics.vips); } });
  }
}
