// gateway.workers > 1: the `gatehouse run` process stays the primary (cluster source, store, DNS,
// authn files) and forks that many gateway workers with node:cluster; they share the listen port
// (round robin by the primary, Node's default on Linux). Each new snapshot of the store is sent to
// every worker (one JSON text for all, rebuilt compact in each: cluster/snapshot-wire.ts), and the
// store's status once a second. A worker that dies is logged and replaced, after a backoff that
// grows while workers keep dying young (cli/worker-pool.ts, shared with the DNS workers). close()
// asks every worker to drain and waits up to gateway.shutdownTimeout (plus a grace second) before
// killing what is left.
import type { Worker } from 'node:cluster';
import type { Logger } from 'pino';
import { AggregatorRegistry, type Registry } from 'prom-client';
import { snapshotToWire, type ClusterStore, type SnapshotWire } from '../cluster/index.js';
import { builtFile } from '../core/index.js';
import { type GatehouseConfig } from '../config/index.js';
import {
  GatewayError,
  gatewayStatus,
  isFromWorker,
  routesToWire,
  type GatewayStatus,
  type Generations,
  type MetricsJson,
  type RouteTable,
  type ToWorker,
  type ComponentLogSource,
} from '../gateway/index.js';
import type { UsersSource } from './users-feed.js';
import { WorkerPool, type PoolSlot } from './worker-pool.js';

export interface GatewayWorkersOptions {
  readonly config: GatehouseConfig;
  readonly store: ClusterStore;
  readonly registry: Registry;
  readonly logger: Logger;
  readonly dnsHttp: URL | null;
  readonly pretty: boolean;
  /** The primary's users and route files: read here once, pushed to every worker with their generation. */
  readonly users: UsersSource;
  readonly routes: RouteTable;
  /** The primary's recent log lines, which workers ask for to serve the component log. */
  readonly componentLogs?: ComponentLogSource | undefined;
}

const WORKER_ENTRY = builtFile('cli/gateway-worker.js');
/** Characters of a snapshot's wire form per IPC message (its JSON is ASCII but for names and labels). */
const PART_CHARS = 1 << 20;

interface Delivery {
  next: SnapshotWire | null;
  /** Settles once the worker has the newest snapshot given to it. */
  done: Promise<void>;
}

export class GatewayWorkers {
  readonly #options: GatewayWorkersOptions;
  readonly #pool: WorkerPool<number>;
  /** Per slot: what its worker reported it serves; null until it reports. */
  readonly #generations = new Map<number, Generations | null>();
  #statusTimer: NodeJS.Timeout | null = null;
  #unsubscribe: (() => void)[] = [];
  #nextCollect = 1;
  readonly #collecting = new Map<number, (metrics: MetricsJson) => void>();
  /** Per worker a snapshot is on its way to: the newest one waiting behind it. */
  readonly #delivery = new Map<Worker, Delivery>();

  constructor(options: GatewayWorkersOptions) {
    if (!Number.isInteger(options.config.gateway.workers) || options.config.gateway.workers < 2)
      throw new GatewayError(
        'ERR_GATEWAY_CONFIG',
        `gateway workers: needs 2 or more workers (got ${options.config.gateway.workers}); 1 runs in-process`,
      );
    this.#options = options;
    // `shared`: every worker accepts from the one listening socket, as nginx's workers do. Measured
    // (README "gateway.accept"): with the primary handing each connection to a worker over IPC
    // (`round-robin`, Node's default), a new connection waits for that hand-over, and a burst of new
    // connections waits in line for it: 256 connections opened at once took ~300 ms to all be served.
    this.#pool = new WorkerPool<number>({
      role: 'gateway worker',
      entry: WORKER_ENTRY,
      count: options.config.gateway.workers,
      logger: options.logger,
      accept: options.config.gateway.accept,
      onMessage: (slot, message) => this.#onMessage(slot, message),
      exitedEarly: (message) => new GatewayError('ERR_GATEWAY_WORKER', message),
      drainMessage: { kind: 'gatehouse:drain' } satisfies ToWorker,
      drainTimeoutMs: options.config.gateway.shutdownTimeoutMs + 1000,
    });
  }

  /** Forks every worker; resolves with the shared port once all listen, rejects when one fails. */
  async start(): Promise<number> {
    const { store, users, routes } = this.#options;
    this.#unsubscribe = [
      // One wire text for every worker (a structured clone was serialized once per worker).
      store.subscribe((snapshot) => {
        const wire = snapshotToWire(snapshot);
        for (const slot of this.#pool.slots) if (slot.worker) this.#sendSnapshot(slot.worker, wire);
      }),
      users.subscribe((list, generation) => this.#broadcast({ kind: 'gatehouse:users', generation, users: list })),
      routes.subscribe((files, generation) => this.#broadcast({ kind: 'gatehouse:routes', generation, files: routesToWire(files) })),
    ];
    this.#statusTimer = setInterval(() => this.#broadcast({ kind: 'gatehouse:snapshot', status: this.#options.store.status() }), 1000);
    this.#statusTimer.unref();
    const ports = await this.#pool.start();
    this.#options.logger.info({ workers: ports.length, port: ports[0], accept: this.#options.config.gateway.accept }, 'gateway workers are listening');
    return ports[0]!;
  }

  async close(): Promise<void> {
    for (const unsubscribe of this.#unsubscribe) unsubscribe();
    if (this.#statusTimer) clearInterval(this.#statusTimer);
    await this.#pool.close();
  }

  /**
   * A snapshot's wire form to one worker, a big one in parts of PART_CHARS, each sent once the one
   * before is written. Sent whole, each worker's message was serialized into a buffer of its own
   * (25 MB at 50,000 tasks) held until the worker had read it all: the primary's peak RSS grew by
   * 100-140 MB at each snapshot. A snapshot that comes while one is on its way waits for it; only
   * the newest of those is sent.
   */
  #sendSnapshot(worker: Worker, wire: SnapshotWire): Promise<void> {
    const known = this.#delivery.get(worker);
    if (known) {
      known.next = wire;
      return known.done;
    }
    const delivery: Delivery = { next: wire, done: Promise.resolve() };
    this.#delivery.set(worker, delivery);
    delivery.done = (async () => {
      while (delivery.next !== null) {
        const text = delivery.next;
        delivery.next = null;
        let at = 0;
        for (; text.length - at > PART_CHARS && worker.isConnected(); at += PART_CHARS)
          await this.#pool.sendWritten(worker, { kind: 'gatehouse:snapshot-part', text: text.slice(at, at + PART_CHARS) } satisfies ToWorker);
        const last = (at === 0 ? text : text.slice(at)) as SnapshotWire;
        await this.#pool.sendWritten(worker, { kind: 'gatehouse:snapshot', snapshot: last, status: this.#options.store.status() } satisfies ToWorker);
      }
      this.#delivery.delete(worker);
    })();
    return delivery.done;
  }

  #onMessage(slot: PoolSlot<number>, message: unknown): void {
    const worker = slot.worker!;
    if (!isFromWorker(message)) return;
    switch (message.kind) {
      case 'gatehouse:ready':
        this.#generations.set(slot.index, null);
        this.#send(worker, {
          kind: 'gatehouse:init',
          config: this.#options.config,
          dnsHttp: this.#options.dnsHttp?.href ?? null,
          pretty: this.#options.pretty,
        });
        const current = this.#options.store.current;
        // Users last, as before the snapshot crossed in parts: a worker opens once it has them, so
        // it opens with the snapshot whole.
        if (!current) this.#send(worker, { kind: 'gatehouse:snapshot', snapshot: null, status: this.#options.store.status() });
        void (current ? this.#sendSnapshot(worker, snapshotToWire(current)) : Promise.resolve()).then(() => {
          this.#send(worker, { kind: 'gatehouse:users', generation: this.#options.users.generation, users: this.#options.users.users });
          this.#send(worker, { kind: 'gatehouse:routes', generation: this.#options.routes.generation, files: routesToWire(this.#options.routes.files()) });
        });
        return;
      case 'gatehouse:applied':
        this.#generations.set(slot.index, message.generations);
        return;
      case 'gatehouse:status-request':
        this.#send(worker, { kind: 'gatehouse:status-reply', id: message.id, status: this.status() });
        return;
      case 'gatehouse:logs-request':
        void (this.#options.componentLogs?.records(message.after) ?? Promise.resolve([])).then((records) =>
          this.#send(worker, { kind: 'gatehouse:logs-reply', id: message.id, records }),
        );
        return;
      case 'gatehouse:listening':
        this.#options.logger.info({ worker: worker.id, pid: worker.process.pid, port: message.port }, 'gateway worker is listening');
        return slot.started(message.port);
      case 'gatehouse:failed':
        return slot.failed(
          new GatewayError(
            message.code === 'EADDRINUSE' || message.code === 'ERR_GATEWAY_LISTEN' ? 'ERR_GATEWAY_LISTEN' : 'ERR_GATEWAY_WORKER',
            `gateway worker ${worker.id}: ${message.message}`,
          ),
        );
      case 'gatehouse:metrics-request':
        void this.#metrics().then(
          (text) => this.#send(worker, { kind: 'gatehouse:metrics-text', id: message.id, text }),
          (error: Error) => this.#send(worker, { kind: 'gatehouse:metrics-text', id: message.id, text: `# metrics failed: ${error.message}\n` }),
        );
        return;
      case 'gatehouse:metrics-json':
        this.#collecting.get(message.id)?.(message.metrics);
        return;
    }
  }

  /** The primary's generations and what each worker reported it serves. */
  status(): GatewayStatus {
    const primary = {
      pid: process.pid,
      generations: {
        users: this.#options.users.generation,
        routes: this.#options.routes.generation,
        snapshot: this.#options.store.current?.generation ?? 0,
      },
    };
    return gatewayStatus(
      primary,
      this.#pool.slots.map((slot, i) => ({
        worker: slot.worker?.id ?? i + 1,
        pid: slot.worker?.process.pid ?? null,
        generations: slot.worker && !slot.worker.isDead() ? (this.#generations.get(slot.index) ?? null) : null,
      })),
    );
  }

  /** Every process's metrics, summed by prom-client's cluster aggregation rules. */
  async #metrics(): Promise<string> {
    const workers = this.#pool.live();
    const own = await this.#options.registry.getMetricsAsJSON();
    const theirs = await Promise.all(workers.map((worker) => new Promise<MetricsJson>((resolve) => {
      const id = this.#nextCollect++;
      const timer = setTimeout(() => finish([]), 2000);
      const finish = (metrics: MetricsJson) => {
        clearTimeout(timer);
        this.#collecting.delete(id);
        resolve(metrics);
      };
      this.#collecting.set(id, finish);
      this.#send(worker, { kind: 'gatehouse:metrics-collect', id });
    })));
    return AggregatorRegistry.aggregate([own, ...theirs]).metrics();
  }

  #broadcast(message: ToWorker): void {
    this.#pool.broadcast(message);
  }

  #send(worker: Worker, message: ToWorker): void {
    this.#pool.send(worker, message);
  }
}
