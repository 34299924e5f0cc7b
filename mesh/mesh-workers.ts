// The mesh's other balancer processes (mesh.workers: N runs the primary and N - 1 of these). Each gets
// a copy of every VIP's listening socket, bound once by the primary, and accepts from it itself, as
// nginx's workers share a listen socket (no SO_REUSEPORT: Node 20 has no `reusePort`, and one shared
// accept queue needs no rebalancing when a process dies). Counters are fetched when read and summed
// with the primary's; a process that dies is replaced (its counters kept), and the replacement gets
// every VIP the primary serves.
import { fork, type ChildProcess } from 'node:child_process';
import type { Logger } from 'pino';
import type { Vip } from '../cluster/index.js';
import { builtFile } from '../core/index.js';
import type { MeshMetrics, WorkerStats } from './metrics.js';
import type { VipListener } from './vip-listener.js';
import type { FromWorker, ToWorker, WorkerSettings } from './worker-protocol.js';

/** The build's worker entry (from the TypeScript sources too: the tests fork the built one). */
const workerScript = (): string => builtFile('mesh/mesh-worker.js');

interface Slot {
  readonly index: number;
  child: ChildProcess | null;
  ready: boolean;
  /** Its latest counters (what a scrape adds); kept when it dies. */
  stats: WorkerStats | null;
  restarts: number;
}

export interface MeshWorkersOptions {
  /** Processes besides the primary. */
  readonly count: number;
  readonly settings: WorkerSettings;
  readonly metrics: MeshMetrics;
  readonly logger: Logger;
  /** The primary's serving listeners now (a new or replaced worker serves all of them). */
  readonly listeners: () => Iterable<VipListener>;
}

export class MeshWorkers {
  readonly #options: MeshWorkersOptions;
  readonly #slots: Slot[];
  #seq = 0;
  readonly #waiting = new Map<number, { left: Set<Slot>; done: () => void }>();
  #refreshing: Promise<void> | null = null;
  /** Counters of processes that died, kept so that totals never go back. */
  #gone = 0;
  #stopping = false;

  constructor(options: MeshWorkersOptions) {
    this.#options = options;
    this.#slots = Array.from({ length: options.count }, (_, index) => ({ index, child: null, ready: false, stats: null, restarts: 0 }));
    for (const slot of this.#slots) this.#fork(slot);
  }

  /** Resolves when every worker is up and serves the primary's listeners (tests, start-up). */
  async ready(timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.#slots.some((s) => !s.ready) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  }

  get pids(): number[] {
    return this.#slots.flatMap((s) => (s.child?.pid !== undefined ? [s.child.pid] : []));
  }

  listen(listener: VipListener): void {
    for (const slot of this.#slots) this.#serve(slot, listener);
  }

  update(vip: Vip): void {
    this.#broadcast({ type: 'update', vip });
  }

  close(key: string): void {
    this.#broadcast({ type: 'close', key });
  }

  /** Open connections of a VIP in the workers, as of their latest counters. */
  openOn(key: string): number {
    let n = 0;
    for (const slot of this.#slots) for (const [vip, open] of slot.stats?.open ?? []) if (vip === key) n += open;
    return n;
  }

  /** Fetches every worker's counters (at most one round trip in flight; a worker that does not answer within 1 s keeps its last). */
  refresh(): Promise<void> {
    if (this.#refreshing) return this.#refreshing;
    const left = new Set(this.#slots.filter((s) => s.ready && s.child?.connected));
    if (left.size === 0) return Promise.resolve();
    const seq = ++this.#seq;
    const refreshing = new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#waiting.delete(seq);
        if (this.#refreshing === refreshing) this.#refreshing = null;
        resolve();
      };
      const timer = setTimeout(done, 1000);
      this.#waiting.set(seq, { left, done });
    });
    this.#refreshing = refreshing;
    for (const slot of left) slot.child!.send({ type: 'stats', seq } satisfies ToWorker);
    return refreshing;
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    await Promise.all(
      this.#slots.map(async (slot) => {
        const child = slot.child;
        if (!child || child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise((resolve) => child.once('exit', resolve));
        if (child.connected) child.send({ type: 'stop' } satisfies ToWorker);
        const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
        await exited;
        clearTimeout(timer);
      }),
    );
  }

  #fork(slot: Slot): void {
    const { settings, logger } = this.#options;
    const child = fork(workerScript(), [], {
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { ...process.env, GATEHOUSE_MESH_WORKER: JSON.stringify(settings) },
    });
    slot.child = child;
    slot.ready = false;
    child.on('message', (message: FromWorker) => this.#received(slot, message));
    child.on('error', (error) => logger.error({ reason: error.message }, 'mesh worker failed'));
    child.once('exit', (code, signal) => {
      slot.ready = false;
      slot.child = null;
      for (const waiting of this.#waiting.values()) if (waiting.left.delete(slot) && waiting.left.size === 0) waiting.done();
      if (this.#stopping) return;
      this.#keepCounters(slot);
      // Backoff as the gateway's workers: 0.25 s doubling to 30 s while replacements keep dying.
      const delay = Math.min(30_000, 250 * 2 ** slot.restarts++);
      logger.error({ worker: slot.index + 1, pid: child.pid, code, signal, restartInMs: delay }, 'mesh worker exited; replacing it');
      setTimeout(() => !this.#stopping && this.#fork(slot), delay).unref();
    });
  }

  #received(slot: Slot, message: FromWorker): void {
    switch (message.type) {
      case 'ready':
        slot.ready = true;
        for (const listener of this.#options.listeners()) this.#serve(slot, listener);
        break;
      case 'listening':
        if (message.error) this.#options.logger.warn({ vip: message.key, worker: slot.index + 1, reason: message.error }, 'mesh worker cannot serve VIP');
        else slot.restarts = 0;
        break;
      case 'stats': {
        slot.stats = { pairs: message.pairs, noBackend: message.noBackend, open: message.open };
        this.#options.metrics.remote.set(`worker-${slot.index}`, slot.stats);
        const waiting = this.#waiting.get(message.seq);
        if (waiting?.left.delete(slot) && waiting.left.size === 0) waiting.done();
        break;
      }
    }
  }

  #serve(slot: Slot, listener: VipListener): void {
    if (!slot.ready || !slot.child?.connected || !listener.server) return;
    slot.child.send({ type: 'listen', vip: listener.vip } satisfies ToWorker, listener.server);
  }

  #broadcast(message: ToWorker): void {
    for (const slot of this.#slots) if (slot.ready && slot.child?.connected) slot.child.send(message);
  }

  /** A dead worker's counters stay in the totals (its open connections are gone with it). */
  #keepCounters(slot: Slot): void {
    const { metrics } = this.#options;
    metrics.remote.delete(`worker-${slot.index}`);
    if (!slot.stats) return;
    metrics.remote.set(`gone-${this.#gone++}`, {
      pairs: slot.stats.pairs.map(([vip, backend, s]) => [vip, backend, { ...s, active: 0 }] as const),
      noBackend: slot.stats.noBackend,
      open: [],
    });
    slot.stats = null;
  }
}
