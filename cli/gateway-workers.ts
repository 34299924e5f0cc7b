// gateway.workers > 1: the `gatehouse run` process stays the primary (cluster source, store, DNS,
// authn files) and forks that many gateway workers with node:cluster; they share the listen port
// (round robin by the primary, Node's default on Linux). Each new snapshot of the store is sent to
// every worker, and the store's status once a second. A worker that dies is logged and replaced,
// after a backoff that grows while workers keep dying young. close() asks every worker to drain and
// waits up to gateway.shutdownTimeout (plus a grace second) before killing what is left.
import cluster, { type Worker } from 'node:cluster';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { AggregatorRegistry, type Registry } from 'prom-client';
import type { ClusterStore } from '../cluster/index.js';
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

const WORKER_ENTRY = fileURLToPath(new URL('./gateway-worker.js', import.meta.url));
const MAX_BACKOFF_MS = 30_000;
const HEALTHY_AFTER_MS = 30_000;

interface Slot {
  worker: Worker | null;
  startedAt: number;
  crashes: number;
  timer: NodeJS.Timeout | null;
  /** What the worker reported it serves; null until it reports. */
  generations: Generations | null;
}

export class GatewayWorkers {
  readonly #options: GatewayWorkersOptions;
  readonly #slots: Slot[] = [];
  #closing = false;
  #statusTimer: NodeJS.Timeout | null = null;
  #unsubscribe: (() => void)[] = [];
  #nextCollect = 1;
  readonly #collecting = new Map<number, (metrics: MetricsJson) => void>();

  constructor(options: GatewayWorkersOptions) {
    if (!Number.isInteger(options.config.gateway.workers) || options.config.gateway.workers < 2)
      throw new GatewayError(
        'ERR_GATEWAY_CONFIG',
        `gateway workers: needs 2 or more workers (got ${options.config.gateway.workers}); 1 runs in-process`,
      );
    this.#options = options;
  }

  /** Forks every worker; resolves with the shared port once all listen, rejects when one fails. */
  async start(): Promise<number> {
    // `shared`: every worker accepts from the one listening socket, as nginx's workers do. Measured
    // (README "gateway.accept"): with the primary handing each connection to a worker over IPC
    // (`round-robin`, Node's default), a new connection waits for that hand-over, and a burst of new
    // connections waits in line for it: 256 connections opened at once took ~300 ms to all be served.
    // Set before the first fork: Node reads it then.
    cluster.schedulingPolicy = this.#options.config.gateway.accept === 'shared' ? cluster.SCHED_NONE : cluster.SCHED_RR;
    cluster.setupPrimary({ exec: WORKER_ENTRY, args: [], serialization: 'advanced' });
    const { store, users, routes } = this.#options;
    this.#unsubscribe = [
      store.subscribe((snapshot) => this.#broadcast({ kind: 'gatehouse:snapshot', snapshot, status: store.status() })),
      users.subscribe((list, generation) => this.#broadcast({ kind: 'gatehouse:users', generation, users: list })),
      routes.subscribe((files, generation) => this.#broadcast({ kind: 'gatehouse:routes', generation, files: routesToWire(files) })),
    ];
    this.#statusTimer = setInterval(() => this.#broadcast({ kind: 'gatehouse:snapshot', status: this.#options.store.status() }), 1000);
    this.#statusTimer.unref();
    const count = this.#options.config.gateway.workers;
    const ports = await Promise.all(Array.from({ length: count }, () => {
      const slot: Slot = { worker: null, startedAt: 0, crashes: 0, timer: null, generations: null };
      this.#slots.push(slot);
      return this.#fork(slot, true);
    }));
    this.#options.logger.info({ workers: count, port: ports[0], accept: this.#options.config.gateway.accept }, 'gateway workers are listening');
    return ports[0]!;
  }

  async close(): Promise<void> {
    this.#closing = true;
    for (const unsubscribe of this.#unsubscribe) unsubscribe();
    if (this.#statusTimer) clearInterval(this.#statusTimer);
    const live: Worker[] = [];
    for (const slot of this.#slots) {
      if (slot.timer) clearTimeout(slot.timer);
      if (slot.worker && !slot.worker.isDead()) live.push(slot.worker);
    }
    const deadlineMs = this.#options.config.gateway.shutdownTimeoutMs + 1000;
    await Promise.all(live.map((worker) => new Promise<void>((resolve) => {
      const kill = setTimeout(() => {
        this.#options.logger.warn({ worker: worker.id, pid: worker.process.pid }, 'gateway worker did not drain in time; killing it');
        worker.process.kill('SIGKILL');
      }, deadlineMs);
      worker.once('exit', () => {
        clearTimeout(kill);
        resolve();
      });
      this.#send(worker, { kind: 'gatehouse:drain' });
    })));
  }

  #fork(slot: Slot, initial: boolean): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      let listening = false;
      const worker = cluster.fork();
      slot.worker = worker;
      slot.startedAt = Date.now();
      slot.generations = null;
      worker.on('message', (message: unknown) => {
        if (!isFromWorker(message)) return;
        switch (message.kind) {
          case 'gatehouse:ready':
            this.#send(worker, {
              kind: 'gatehouse:init',
              config: this.#options.config,
              dnsHttp: this.#options.dnsHttp?.href ?? null,
              pretty: this.#options.pretty,
            });
            this.#send(worker, { kind: 'gatehouse:snapshot', snapshot: this.#options.store.current, status: this.#options.store.status() });
            this.#send(worker, { kind: 'gatehouse:users', generation: this.#options.users.generation, users: this.#options.users.users });
            this.#send(worker, { kind: 'gatehouse:routes', generation: this.#options.routes.generation, files: routesToWire(this.#options.routes.files()) });
            return;
          case 'gatehouse:applied':
            slot.generations = message.generations;
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
            listening = true;
            this.#options.logger.info({ worker: worker.id, pid: worker.process.pid, port: message.port }, 'gateway worker is listening');
            return resolve(message.port);
          case 'gatehouse:failed':
            return reject(
              new GatewayError(
                message.code === 'EADDRINUSE' || message.code === 'ERR_GATEWAY_LISTEN' ? 'ERR_GATEWAY_LISTEN' : 'ERR_GATEWAY_WORKER',
                `gateway worker ${worker.id}: ${message.message}`,
              ),
            );
          case 'gatehouse:metrics-request':
            void this.#metrics().then(
              (text) => this.#send(worker, { kind: 'gatehouse:metrics-text', id: message.id, text }),
              (error: Error) =>
                this.#send(worker, { kind: 'gatehouse:metrics-text', id: message.id, text: `# metrics failed: ${error.message}\n` }),
            );
            return;
          case 'gatehouse:metrics-json':
            this.#collecting.get(message.id)?.(message.metrics);
            return;
        }
      });
      worker.on('exit', (code, signal) => {
        if (!listening) reject(new GatewayError('ERR_GATEWAY_WORKER', `gateway worker ${worker.id} exited before listening (code ${code}, signal ${signal})`));
        if (this.#closing || (initial && !listening)) return;
        const livedMs = Date.now() - slot.startedAt;
        slot.crashes = livedMs >= HEALTHY_AFTER_MS ? 0 : slot.crashes + 1;
        const delayMs = slot.crashes === 0 ? 0 : Math.min(MAX_BACKOFF_MS, 250 * 2 ** (slot.crashes - 1));
        this.#options.logger.error(
          { worker: worker.id, pid: worker.process.pid, code, signal, restartInMs: delayMs },
          'gateway worker died; starting a new one',
        );
        slot.timer = setTimeout(() => {
          slot.timer = null;
          if (!this.#closing)
            this.#fork(slot, false).catch((error: Error) =>
              this.#options.logger.error({ reason: error.message }, 'gateway worker failed to start'),
            );
        }, delayMs);
      });
    });
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
      this.#slots.map((slot, i) => ({
        worker: slot.worker?.id ?? i + 1,
        pid: slot.worker?.process.pid ?? null,
        generations: slot.worker && !slot.worker.isDead() ? slot.generations : null,
      })),
    );
  }

  /** Every process's metrics, summed by prom-client's cluster aggregation rules. */
  async #metrics(): Promise<string> {
    const workers = this.#slots.map((s) => s.worker).filter((w): w is Worker => w !== null && !w.isDead());
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
    for (const slot of this.#slots) if (slot.worker) this.#send(slot.worker, message);
  }

  #send(worker: Worker, message: ToWorker): void {
    if (worker.isConnected()) worker.send(message, (error: Error | null) => void error);
  }
}
