// dns.workers > 1 (or `gatehouse mesos-dns -workers`): the primary keeps the cluster source, the store
// and the record publishers, and forks that many DNS workers (cli/worker-pool.ts, as the gateway's).
// They share the UDP socket and the TCP listen socket through node:cluster: one kernel queue per
// socket that every worker reads from, so the load spreads over the workers (measured even, unlike
// SO_REUSEPORT's hash of the client's address and port, see README "dns.workers") and a worker that
// dies loses no datagram still queued. This object is the publishers' sink: each record set is sent to
// every worker, which encodes its answer table beside the one it serves and swaps it in; a new or
// replacing worker gets the current records before it listens. Each worker reports the serial and
// snapshot generation it serves (status(), gauges) and its counters (the `worker` label of the DNS metrics).
import type { GatehouseConfig } from '../config/index.js';
import { builtFile } from '../core/index.js';
import type { Logger } from 'pino';
import { Gauge, type Registry } from 'prom-client';
import { DnsError, freePortPair, registerDnsMetrics, type DnsCounters, type RecordLookup, type RecordSet, type RecordSink } from '../dns/index.js';
import { isFromDnsWorker, type ToDnsWorker, type WireDnsServerOptions, type ZoneRecords } from './dns-worker-protocol.js';
import { WorkerPool, type PoolSlot } from './worker-pool.js';

export interface DnsWorkersOptions {
  readonly count: number;
  readonly server: WireDnsServerOptions;
  readonly logger: Logger;
  readonly log: { readonly level: GatehouseConfig['log']['level']; readonly pretty: boolean };
  readonly registry: Registry;
  /** The TCP accept policy of the process's node:cluster (the gateway's `gateway.accept`, when it has workers). */
  readonly accept: 'shared' | 'round-robin';
}

export interface DnsWorkerStatus {
  readonly worker: number;
  readonly pid: number | null;
  /** Whether this process answers queries yet (a replacement applies the records first, then listens). */
  readonly serving: boolean;
  /** Per zone: the serial and snapshot generation this process applied; empty until it has. */
  readonly zones: Readonly<Record<string, { readonly serial: number; readonly generation: number }>>;
}

export interface DnsWorkersStatus {
  /** What the primary published last, per zone. */
  readonly published: Readonly<Record<string, { readonly serial: number; readonly generation: number }>>;
  readonly workers: readonly DnsWorkerStatus[];
  /** Every worker is alive, serving, and serves what the primary published last. */
  readonly converged: boolean;
}

const WORKER_ENTRY = builtFile('cli/dns-worker.js');
const PORT_PAIR_ATTEMPTS = 3;

// What one worker process reported. Kept per slot but owned by a pid: a replacement forked into the
// slot must not show the dead process's zones (and `converged`) before it has applied any itself.
interface SlotState {
  readonly pid: number | undefined;
  serving: boolean;
  zones: Record<string, { serial: number; generation: number }>;
  counters: DnsCounters | null;
}

export class DnsWorkers implements RecordSink {
  readonly #options: DnsWorkersOptions;
  #pool: WorkerPool<{ udpPort: number; tcpPort: number }>;
  /** The port the workers are told to listen on: the configured one, or the pair picked for port 0. */
  #port: number;
  #closed = false;
  readonly #latest = new Map<string, ZoneRecords>();
  readonly #state = new Map<number, SlotState>();
  #unavailable: string | null;

  constructor(options: DnsWorkersOptions) {
    if (!Number.isInteger(options.count) || options.count < 2)
      throw new DnsError('ERR_DNS_CONFIG', `dns workers: needs 2 or more workers (got ${options.count}); 1 serves in-process`);
    this.#options = options;
    this.#unavailable = options.server.mode === 'gatehouse' ? 'no records yet' : null;
    this.#port = options.server.listen.port;
    this.#pool = this.#newPool();
    registerDnsMetrics(options.registry, () =>
      this.#pool.slots.flatMap((slot) => {
        const state = this.#state.get(slot.index);
        return state?.counters ? [{ worker: String(slot.index + 1), counters: state.counters }] : [];
      }),
    );
    const slots = () => this.#pool.slots;
    const zone = options.server.zone.domain;
    const zonesOf = (slot: PoolSlot<{ udpPort: number; tcpPort: number }>) => this.#liveState(slot)?.zones ?? {};
    for (const [name, help, key] of [
      ['gatehouse_dns_worker_serial', 'SOA serial of the answers each DNS worker serves', 'serial'],
      ['gatehouse_dns_worker_generation', 'Snapshot generation the answers each DNS worker serves were built from', 'generation'],
    ] as const) {
      new Gauge({
        name,
        help,
        labelNames: ['worker'],
        registers: [options.registry],
        collect() {
          this.reset();
          for (const slot of slots()) this.set({ worker: String(slot.index + 1) }, zonesOf(slot)[zone]?.[key] ?? 0);
        },
      });
    }
  }

  /**
   * Forks every worker; resolves with the ports once all listen (each with the current records). With
   * port 0 the primary picks the pair; should another process take it before the workers listen, the
   * workers are stopped and started again on a new pair.
   */
  async start(): Promise<{ udpPort: number; tcpPort: number }> {
    const { host, port: configured } = this.#options.server.listen;
    for (let attempt = 1; ; attempt++) {
      // The primary picks the pair: a worker may not search itself. Its siblings share its UDP socket, so a
      // retry gets the same UDP port back, and on a port whose TCP listen failed once node:cluster (Node 24)
      // asserts and kills the worker (the failed listen leaves the primary's handle registered in it).
      if (configured === 0) this.#port = await freePortPair(host);
      // Stopped meanwhile (a signal during the start): no new pool may outlive the stop.
      if (this.#closed) throw new DnsError('ERR_DNS_WORKER', 'DNS workers: stopped before they started');
      try {
        const ports = await this.#pool.start();
        this.#options.logger.info({ workers: ports.length, port: ports[0]!.udpPort }, 'DNS workers are listening (UDP and TCP)');
        return ports[0]!;
      } catch (error) {
        const retry = configured === 0 && attempt < PORT_PAIR_ATTEMPTS && error instanceof DnsError && error.code === 'ERR_DNS_LISTEN';
        if (!retry) throw error;
        this.#options.logger.warn({ port: this.#port, reason: error.message }, 'the DNS port pair was taken before the workers listened; picking another');
        await this.#pool.close();
        this.#state.clear();
        this.#pool = this.#newPool();
      }
    }
  }

  close(): Promise<void> {
    this.#closed = true;
    return this.#pool.close();
  }

  /** The main zone's records (the publisher's sink). */
  setRecords(records: RecordSet, serial: number, generation: number): { buildMs: number; names: number } {
    return this.setZoneRecords(this.#options.server.zone.domain, records, serial, generation);
  }

  /** Another zone's records (e.g. thisdcos.directory). */
  setZoneRecords(zone: string, records: RecordSet, serial: number, generation: number): { buildMs: number; names: number } {
    // Only the names index crosses: it is all the answer tables are built from.
    const update: ZoneRecords = { zone, records: { names: records.names }, serial, generation };
    this.#latest.set(zone, update);
    this.#pool.broadcast({ kind: 'gatehouse-dns:records', ...update } satisfies ToDnsWorker);
    return { buildMs: 0, names: records.names.size };
  }

  /** The main zone's records as last sent to the workers (kept for a replacing worker); null before the first. */
  records(): RecordLookup | null {
    return this.#latest.get(this.#options.server.zone.domain)?.records.names ?? null;
  }

  setUnavailable(reason: string | null): void {
    this.#unavailable = reason;
    this.#pool.broadcast({ kind: 'gatehouse-dns:unavailable', reason } satisfies ToDnsWorker);
  }

  status(): DnsWorkersStatus {
    const published = Object.fromEntries([...this.#latest].map(([zone, z]) => [zone, { serial: z.serial, generation: z.generation }]));
    const workers = this.#pool.slots.map((slot) => {
      const live = slot.worker !== null && !slot.worker.isDead();
      const own = this.#liveState(slot);
      return { worker: slot.index + 1, pid: live ? (slot.worker!.process.pid ?? null) : null, serving: own?.serving ?? false, zones: { ...own?.zones } };
    });
    const converged = workers.every(
      (w) => w.pid !== null && w.serving && Object.entries(published).every(([zone, p]) => w.zones[zone]?.serial === p.serial),
    );
    return { published, workers, converged };
  }

  #newPool(): WorkerPool<{ udpPort: number; tcpPort: number }> {
    return new WorkerPool({
      role: 'DNS worker',
      entry: WORKER_ENTRY,
      count: this.#options.count,
      logger: this.#options.logger,
      accept: this.#options.accept,
      onMessage: (slot, message) => this.#onMessage(slot, message),
      exitedEarly: (message) => new DnsError('ERR_DNS_WORKER', message),
      drainMessage: { kind: 'gatehouse-dns:drain' } satisfies ToDnsWorker,
      drainTimeoutMs: 5000,
    });
  }

  /** The slot's state when it is the live process's own, not a dead predecessor's. */
  #liveState(slot: PoolSlot<{ udpPort: number; tcpPort: number }>): SlotState | undefined {
    const state = this.#state.get(slot.index);
    const worker = slot.worker;
    if (!state || worker === null || worker.isDead() || state.pid !== worker.process.pid) return undefined;
    return state;
  }

  #onMessage(slot: PoolSlot<{ udpPort: number; tcpPort: number }>, message: unknown): void {
    const worker = slot.worker!;
    if (!isFromDnsWorker(message)) return;
    switch (message.kind) {
      case 'gatehouse-dns:ready': {
        this.#state.set(slot.index, { pid: worker.process.pid, serving: false, zones: {}, counters: null });
        // A concrete port (the configured one, or the pair start() picked for port 0): node:cluster shares
        // the UDP socket by address and port, so every worker and every replacement listens on it.
        this.#pool.send(worker, {
          kind: 'gatehouse-dns:init',
          worker: slot.index + 1,
          server: { ...this.#options.server, listen: { ...this.#options.server.listen, port: this.#port } },
          log: this.#options.log,
          zones: [...this.#latest.values()],
          unavailable: this.#unavailable,
        } satisfies ToDnsWorker);
        return;
      }
      case 'gatehouse-dns:listening': {
        const state = this.#state.get(slot.index);
        if (state && state.pid === worker.process.pid) state.serving = true;
        this.#options.logger.debug({ worker: slot.index + 1, pid: worker.process.pid, port: message.udpPort }, 'DNS worker is listening');
        return slot.started({ udpPort: message.udpPort, tcpPort: message.tcpPort });
      }
      case 'gatehouse-dns:failed':
        return slot.failed(
          new DnsError(message.code === 'ERR_DNS_LISTEN' ? 'ERR_DNS_LISTEN' : 'ERR_DNS_WORKER', `DNS worker ${slot.index + 1}: ${message.message}`),
        );
      case 'gatehouse-dns:applied': {
        if (message.error) {
          const { zone, serial, error } = message;
          this.#options.logger.error({ worker: slot.index + 1, zone, serial, reason: error }, 'DNS worker kept its previous answers');
          return;
        }
        const state = this.#state.get(slot.index);
        if (state && state.pid === worker.process.pid) state.zones[message.zone] = { serial: message.serial, generation: message.generation };
        return;
      }
      case 'gatehouse-dns:counters': {
        const state = this.#state.get(slot.index);
        if (state) state.counters = message.counters;
        return;
      }
    }
  }
}
