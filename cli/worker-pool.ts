// A fixed number of worker processes of one kind (gateway, DNS), forked with node:cluster from the
// `gatehouse run` / `gatehouse mesos-dns` process, which stays the primary. What the gateway and DNS
// workers share: the fork (each pool names its own entry file), the start handshake, replacing a
// worker that dies after a backoff that grows while replacements keep dying young, and the drain on
// close (a message and SIGTERM, then SIGKILL after a deadline). What the workers are sent and what they answer is
// the owner's: it gets every message with the slot it came from.
import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';

export interface PoolSlot<Started> {
  readonly index: number;
  worker: Worker | null;
  startedAt: number;
  crashes: number;
  timer: NodeJS.Timeout | null;
  /** The owner calls this when the worker reports it serves: resolves its start. */
  started(value: Started): void;
  /** The owner calls this when the worker reports it cannot serve: rejects its start. */
  failed(error: Error): void;
}

export interface WorkerPoolOptions<Started> {
  /** In log lines: "gateway worker", "DNS worker". */
  readonly role: string;
  /** The worker's entry file (a built .js path). */
  readonly entry: string;
  readonly count: number;
  readonly logger: Logger;
  /**
   * How a shared TCP listen socket is served: 'shared' = every worker accepts itself, 'round-robin'
   * = the primary hands connections out. Node freezes it at the first fork of the process, so every
   * pool of one process must pass the same. UDP sockets are always shared (the kernel's queue).
   */
  readonly accept: 'shared' | 'round-robin';
  /** A message from a worker (anything it sends: the owner filters its own kinds). */
  readonly onMessage: (slot: PoolSlot<Started>, message: unknown) => void;
  /** The error a worker that exits before it started is reported with. */
  readonly exitedEarly: (message: string) => Error;
  /** Sent to every worker by close(); the worker then finishes what it serves and exits. */
  readonly drainMessage: unknown;
  readonly drainTimeoutMs: number;
}

const MAX_BACKOFF_MS = 30_000;
const HEALTHY_AFTER_MS = 30_000;

export class WorkerPool<Started> {
  readonly #options: WorkerPoolOptions<Started>;
  readonly slots: PoolSlot<Started>[] = [];
  #closing = false;

  constructor(options: WorkerPoolOptions<Started>) {
    this.#options = options;
  }

  /** Forks every worker; resolves with what each reported when started, rejects when one fails. */
  start(): Promise<Started[]> {
    return Promise.all(
      Array.from({ length: this.#options.count }, (_, index) => {
        const slot: PoolSlot<Started> = {
          index,
          worker: null,
          startedAt: 0,
          crashes: 0,
          timer: null,
          started: () => undefined,
          failed: () => undefined,
        };
        this.slots.push(slot);
        return this.#fork(slot, true);
      }),
    );
  }

  /** Live workers. */
  live(): Worker[] {
    return this.slots.map((s) => s.worker).filter((w): w is Worker => w !== null && !w.isDead());
  }

  broadcast(message: unknown): void {
    for (const slot of this.slots) if (slot.worker) this.send(slot.worker, message);
  }

  send(worker: Worker, message: unknown): void {
    // A worker that died between the check and the send: its exit handler replaces it.
    if (worker.isConnected()) worker.send(message as object, (error: Error | null) => void error);
  }

  /** As send(), resolved once the message is written to the worker's channel (or the worker is gone). */
  sendWritten(worker: Worker, message: unknown): Promise<void> {
    return new Promise((resolve) => {
      if (!worker.isConnected()) return resolve();
      worker.send(message as object, () => resolve());
    });
  }

  async close(): Promise<void> {
    this.#closing = true;
    const live: Worker[] = [];
    for (const slot of this.slots) {
      if (slot.timer) clearTimeout(slot.timer);
      if (slot.worker && !slot.worker.isDead()) live.push(slot.worker);
    }
    const { role, logger, drainTimeoutMs, drainMessage } = this.#options;
    await Promise.all(live.map((worker) => new Promise<void>((resolve) => {
      const kill = setTimeout(() => {
        logger.warn({ worker: worker.id, pid: worker.process.pid }, `${role} did not drain in time; killing it`);
        worker.process.kill('SIGKILL');
      }, drainTimeoutMs);
      worker.once('exit', () => {
        clearTimeout(kill);
        resolve();
      });
      this.send(worker, drainMessage);
      // And SIGTERM, which a worker handles as the drain message: one still loading its modules (a
      // replacement forked just before the stop) has no message listener yet and would lose the
      // message, then be killed only at the deadline; SIGTERM ends it at once.
      worker.process.kill('SIGTERM');
    })));
  }

  #fork(slot: PoolSlot<Started>, initial: boolean): Promise<Started> {
    const { role, logger, entry, accept } = this.#options;
    return new Promise<Started>((resolve, reject) => {
      let started = false;
      // Before the first fork only: Node reads the policy once. Set per fork, the entry file lets
      // pools of different workers share node:cluster.
      cluster.schedulingPolicy = accept === 'shared' ? cluster.SCHED_NONE : cluster.SCHED_RR;
      cluster.setupPrimary({ exec: entry, args: [], serialization: 'advanced', execArgv: process.execArgv });
      const worker = cluster.fork();
      slot.worker = worker;
      slot.startedAt = Date.now();
      slot.started = (value) => {
        started = true;
        resolve(value);
      };
      slot.failed = reject;
      worker.on('message', (message: unknown) => this.#options.onMessage(slot, message));
      worker.on('exit', (code, signal) => {
        if (!started) reject(this.#options.exitedEarly(`${role} ${worker.id} exited before it served (code ${code}, signal ${signal})`));
        if (this.#closing || (initial && !started)) return;
        const livedMs = Date.now() - slot.startedAt;
        slot.crashes = livedMs >= HEALTHY_AFTER_MS ? 0 : slot.crashes + 1;
        const delayMs = slot.crashes === 0 ? 0 : Math.min(MAX_BACKOFF_MS, 250 * 2 ** (slot.crashes - 1));
        logger.error({ worker: worker.id, pid: worker.process.pid, code, signal, restartInMs: delayMs }, `${role} died; starting a new one`);
        slot.timer = setTimeout(() => {
          slot.timer = null;
          if (!this.#closing) {
            this.#fork(slot, false).catch((error: Error) => {
              if (!this.#closing) logger.error({ reason: error.message }, `${role} failed to start`);
            });
          }
        }, delayMs);
      });
    });
  }
}
