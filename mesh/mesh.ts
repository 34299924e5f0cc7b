// The layer-4 mesh: keeps one listener per TCP VIP of the current snapshot's VIP table. Each new
// snapshot's table is built beside the serving one, new listeners are bound, and only then are the
// kept listeners' pools swapped and the vanished ones closed (their connections drain).
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { buildVipTable, parseVipRange, type Snapshot, type SnapshotView, type Vip, type VipProblem, type VipTable } from '../cluster/index.js';
import { CoalescedPass } from '../core/index.js';
import { BackendStates, Pool, type BalanceMode } from './backends.js';
import { MeshError } from './errors.js';
import type { ForwardedConnection, ForwardSettings } from './forward.js';
import { MeshMetrics } from './metrics.js';
import { MeshWorkers } from './mesh-workers.js';
import type { VipInterface } from './vip-interface.js';
import { VipListener } from './vip-listener.js';

export interface MeshOptions {
  readonly feed: SnapshotView;
  /** IPv4 CIDR for named VIPs' addresses (mesh.vipRange). */
  readonly vipRange: string;
  readonly balance: BalanceMode;
  readonly connectTimeoutMs: number;
  readonly failureBackoffMs: number;
  /** How long a connection to a backend that left may stay open (0: until it closes). */
  readonly drainTimeoutMs: number;
  readonly logger: Logger;
  readonly registry?: Registry;
  /** mesh.interface: VIP addresses outside 127.0.0.0/8 are made local there before their listeners bind. */
  readonly vipInterface?: VipInterface | null;
  /** mesh.workers: processes accepting VIP connections (1: this one only; N: this one and N - 1 workers). */
  readonly workers?: number;
}

export interface VipStatus {
  readonly vip: Vip;
  /** Null while serving; else why there is no listener (e.g. `EADDRNOTAVAIL`, `udp VIPs are not served`). */
  readonly error: string | null;
  readonly backends: readonly {
    readonly ip: string;
    readonly port: number;
    readonly taskId: string;
    readonly app: string;
    readonly active: number;
    readonly connections: number;
    readonly failures: number;
    readonly bytesToBackend: number;
    readonly bytesToClient: number;
  }[];
}

export class Mesh {
  readonly #options: MeshOptions;
  readonly #metrics = new MeshMetrics();
  readonly #states = new BackendStates();
  readonly #listeners = new Map<string, VipListener>();
  /** Listeners of vanished VIPs whose connections still drain. */
  readonly #retired = new Set<VipListener>();
  /** VIP key -> why it has no listener. */
  readonly #errors = new Map<string, string>();
  readonly #pass: CoalescedPass;
  #table: VipTable | null = null;
  #pending: Snapshot | null = null;
  #unsubscribe: (() => void) | null = null;
  #closed = false;
  #reported = new Set<string>();
  /** The TCP VIP addresses of the latest table being applied (kept local on mesh.interface). */
  #wantedAddresses = new Set<string>();
  readonly #settings: ForwardSettings;
  readonly #workers: MeshWorkers | null = null;

  constructor(options: MeshOptions) {
    const range = parseVipRange(options.vipRange);
    if (typeof range === 'string') throw new MeshError('ERR_MESH_CONFIG', `mesh.vipRange ${range}`);
    if (!(options.connectTimeoutMs > 0))
      throw new MeshError('ERR_MESH_CONFIG', `mesh.connectTimeout must be longer than 0 (got ${options.connectTimeoutMs} ms)`);
    this.#options = options;
    this.#metrics.countOpenBytes = () => {
      for (const connection of this.connections()) connection.countBytes();
    };
    const workers = options.workers ?? 1;
    if (!Number.isInteger(workers) || workers < 1) throw new MeshError('ERR_MESH_CONFIG', `mesh.workers must be a whole number from 1 (got ${workers})`);
    this.#settings = { connectTimeoutMs: options.connectTimeoutMs, failureBackoffMs: options.failureBackoffMs, maxAttempts: 3 };
    if (workers > 1) {
      this.#workers = new MeshWorkers({
        count: workers - 1,
        settings: { forward: this.#settings, balance: options.balance, drainTimeoutMs: options.drainTimeoutMs },
        metrics: this.#metrics,
        logger: options.logger,
        listeners: () => this.#listeners.values(),
      });
      const running = this.#workers;
      this.#metrics.refreshRemote = () => running.refresh();
    }
    this.#metrics.register(options.registry);
    this.#pass = new CoalescedPass(() => this.#apply());
  }

  /** The worker processes' ids (mesh.workers > 1), once they are up and serve every VIP. */
  async workers(): Promise<number[]> {
    await this.#workers?.ready();
    return this.#workers?.pids ?? [];
  }

  /** Fetches the worker processes' counters, so that status() covers every process's connections. */
  async refreshStats(): Promise<void> {
    await this.#workers?.refresh();
  }

  get table(): VipTable | null {
    return this.#table;
  }

  start(): void {
    this.#unsubscribe = this.#options.feed.subscribe((snapshot) => this.#schedule(snapshot));
    if (this.#options.feed.current) this.#schedule(this.#options.feed.current);
  }

  /** Resolves when every snapshot seen so far is applied (tests, and the start-up log). */
  async settled(): Promise<void> {
    while (this.#pass.running) await this.#pass.running;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#unsubscribe?.();
    await this.settled();
    await this.#workers?.stop();
    const all = [...this.#listeners.values(), ...this.#retired];
    this.#listeners.clear();
    // A listening socket's close waits for its connections: cut them first.
    const closing = all.map((l) => l.close());
    for (const l of all) l.destroyConnections();
    await Promise.all(closing);
    this.#retired.clear();
  }

  /** Every open forwarded connection (tests and status). */
  connections(): ForwardedConnection[] {
    const out: ForwardedConnection[] = [];
    for (const l of [...this.#listeners.values(), ...this.#retired]) out.push(...l.connections);
    return out;
  }

  status(): VipStatus[] {
    this.#metrics.countOpenBytes();
    return (this.#table?.vips ?? []).map((vip) => {
      const stats = this.#metrics.statsOf(vip.key);
      return {
        vip,
        error: this.#errors.get(vip.key) ?? null,
        backends: vip.backends.map((b) => {
          const s = stats.get(`${b.ip}:${b.port}`);
          return {
            ip: b.ip,
            port: b.port,
            taskId: b.taskId,
            app: b.app,
            active: s?.active ?? 0,
            connections: s?.connections ?? 0,
            failures: s?.failures ?? 0,
            bytesToBackend: s?.bytesToBackend ?? 0,
            bytesToClient: s?.bytesToClient ?? 0,
          };
        }),
      };
    });
  }

  #schedule(snapshot: Snapshot): void {
    if (this.#closed) return;
    this.#pending = snapshot;
    void this.#pass
      .run()
      .catch((error: unknown) =>
        this.#options.logger.error({ err: error }, 'applying the VIP table failed; the previous VIPs keep serving'),
      );
  }

  async #apply(): Promise<void> {
    const snapshot = this.#pending;
    this.#pending = null;
    if (!snapshot || this.#closed) return;
    const { logger } = this.#options;
    const table = buildVipTable(snapshot, { range: this.#options.vipRange });
    this.#reportProblems(table.problems);
    const settings = this.#settings;

    // Build beside: bind every new listener before anything that serves changes.
    const wanted = new Map<string, Vip>();
    const errors = new Map<string, string>();
    for (const vip of table.vips) {
      if (vip.protocol !== 'tcp') errors.set(vip.key, 'udp VIPs are not served (tcp only)');
      else wanted.set(vip.key, vip);
    }
    // The addresses of the serving and draining listeners stay local until those close (#forgetWhenIdle).
    this.#wantedAddresses = new Set([...wanted.values()].map((vip) => vip.address));
    await this.#syncAddresses();
    const fresh = new Map<string, VipListener>();
    for (const [key, vip] of wanted) {
      const current = this.#listeners.get(key);
      if (current && current.vip.address === vip.address) continue;
      // A VIP whose address changed keeps its rotation too.
      const pool = new Pool(vip.backends, this.#states, this.#options.balance, current?.pool);
      const listener = new VipListener(vip, pool, settings, this.#metrics, this.#options.drainTimeoutMs);
      try {
        await listener.listen();
        fresh.set(key, listener);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? String(error);
        const hint =
          code === 'EACCES'
            ? ` (port ${vip.port} needs privileges: CAP_NET_BIND_SERVICE, or a VIP port >= 1024)`
            : code === 'EADDRNOTAVAIL'
              ? ` (${vip.address} is not an address of this machine)`
              : '';
        errors.set(key, `cannot listen on ${vip.address}:${vip.port}: ${code}${hint}`);
      }
    }
    if (this.#closed) {
      await Promise.all([...fresh.values()].map((l) => l.close()));
      return;
    }

    // Swap: one pass, no awaits, so no connection sees half a table.
    for (const [key, listener] of this.#listeners) {
      const vip = wanted.get(key);
      if (vip && !fresh.has(key)) {
        listener.update(vip, new Pool(vip.backends, this.#states, this.#options.balance, listener.pool));
        this.#workers?.update(vip);
      }
    }
    const gone: VipListener[] = [];
    for (const [key, listener] of this.#listeners) if (!wanted.has(key) || fresh.has(key)) gone.push(listener);
    for (const l of gone) this.#listeners.delete(l.vip.key);
    for (const [key, listener] of fresh) this.#listeners.set(key, listener);
    this.#table = table;
    this.#metrics.vips = this.#listeners.size;
    for (const [key, message] of errors) {
      if (this.#errors.get(key) !== message) logger.warn({ vip: key, reason: message }, 'VIP not served');
    }
    this.#errors.clear();
    for (const [key, message] of errors) this.#errors.set(key, message);

    for (const l of gone) this.#workers?.close(l.vip.key);
    for (const l of fresh.values()) this.#workers?.listen(l);
    for (const l of gone) {
      this.#retired.add(l);
      void l.close().then(() => this.#forgetWhenIdle(l));
    }
    const inUse = new Set<string>();
    for (const vip of table.vips) for (const b of vip.backends) inUse.add(`${b.ip}:${b.port}`);
    this.#states.prune(inUse);
    if (fresh.size || gone.length)
      logger.info(
        { generation: snapshot.generation, vips: this.#listeners.size, added: [...fresh.keys()], removed: gone.map((l) => l.vip.key) },
        'VIP listeners updated',
      );
  }

  #forgetWhenIdle(listener: VipListener): void {
    void this.#workers?.refresh();
    if (listener.connections.size === 0 && (this.#workers?.openOn(listener.vip.key) ?? 0) === 0) {
      this.#retired.delete(listener);
      if (!this.#closed) void this.#syncAddresses();
    } else setTimeout(() => this.#forgetWhenIdle(listener), 1000).unref();
  }

  /** Keeps local on mesh.interface exactly the addresses of the latest table and of every listener still open. */
  async #syncAddresses(): Promise<void> {
    const vipInterface = this.#options.vipInterface;
    if (!vipInterface) return;
    const addresses = new Set(this.#wantedAddresses);
    for (const l of [...this.#listeners.values(), ...this.#retired]) addresses.add(l.vip.address);
    await vipInterface.sync(addresses);
  }

  /** Each bad label is logged once (with its app), not on every snapshot. */
  #reportProblems(problems: readonly VipProblem[]): void {
    const now = new Set<string>();
    for (const p of problems) {
      const key = `${p.app}|${p.label}|${p.value}|${p.message}`;
      now.add(key);
      if (!this.#reported.has(key))
        this.#options.logger.warn(
          { app: p.app, label: p.label, value: p.value },
          `VIP label ignored: app ${p.app}, ${p.label}: ${p.message}`,
        );
    }
    this.#reported = now;
  }
}
