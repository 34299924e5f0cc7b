// Marathon's health checks for one task: HTTP(S) and TCP probes against the task's host ports, and
// COMMAND checks run in the task's sandbox with its environment. Failures inside the grace period
// before the first success do not count; past maxConsecutiveFailures the owner is told to kill.
import { exec } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import type { HealthCheckDefinition } from '../apps/app-definition.js';
import { LocalClusterError } from '../errors.js';

export interface HealthResult {
  alive: boolean;
  consecutiveFailures: number;
  firstSuccess: string | null;
  lastSuccess: string | null;
  lastFailure: string | null;
  lastFailureCause: string | null;
}

export interface TaskProbeTarget {
  readonly taskId: string;
  readonly host: string;
  readonly ports: readonly number[];
  readonly sandbox: string | null;
  readonly env: Readonly<Record<string, string>>;
  /** When the task reached RUNNING (epoch ms): the grace period counts from here. */
  readonly runningSince: number;
}

export interface HealthEvents {
  /** `alive` flipped (or was first known). */
  changed(alive: boolean, result: HealthResult, check: number): void;
  /** Too many consecutive failures: the task should be killed. */
  failed(result: HealthResult, check: number): void;
}

export class TaskHealth {
  readonly results: HealthResult[];
  readonly #timers: NodeJS.Timeout[] = [];
  #stopped = false;

  constructor(readonly target: TaskProbeTarget, readonly checks: readonly HealthCheckDefinition[], readonly events: HealthEvents) {
    this.results = checks.map(() => ({
      alive: false,
      consecutiveFailures: 0,
      firstSuccess: null,
      lastSuccess: null,
      lastFailure: null,
      lastFailureCause: null,
    }));
  }

  get healthy(): boolean {
    return this.results.every((r) => r.alive);
  }

  /** Whether every check has answered at least once (Marathon shows no result before that). */
  get known(): boolean {
    return this.results.every((r) => r.lastSuccess !== null || r.lastFailure !== null);
  }

  start(): void {
    this.checks.forEach((check, index) => {
      const run = (): void => {
        if (this.#stopped) return;
        void this.#probe(check).then((cause) => this.#record(index, cause)).finally(() => {
          // Until the first success, inside the grace period, look every second: a task that has just
          // started listening should not wait a whole interval to receive traffic.
          const starting = this.results[index]!.firstSuccess === null && this.#inGrace(check);
          const delayMs = starting ? Math.min(1000, check.intervalSeconds * 1000) : check.intervalSeconds * 1000;
          if (!this.#stopped) this.#timers[index] = setTimeout(run, delayMs).unref();
        });
      };
      // The first probe goes out at once: a task that is up should not wait a whole interval to be healthy.
      this.#timers[index] = setTimeout(run, 0).unref();
    });
  }

  stop(): void {
    this.#stopped = true;
    for (const timer of this.#timers) clearTimeout(timer);
  }

  #record(index: number, cause: string | null): void {
    if (this.#stopped) return;
    const result = this.results[index]!;
    const check = this.checks[index]!;
    const now = new Date().toISOString();
    const wasAlive = result.alive;
    const wasKnown = result.lastSuccess !== null || result.lastFailure !== null;
    if (cause === null) {
      result.alive = true;
      result.consecutiveFailures = 0;
      result.firstSuccess ??= now;
      result.lastSuccess = now;
    } else {
      // Marathon ignores failures inside the grace period until the first success: still starting.
      if (result.firstSuccess === null && this.#inGrace(check)) return;
      result.alive = false;
      result.lastFailure = now;
      result.lastFailureCause = cause;
      result.consecutiveFailures++;
    }
    if (!wasKnown || wasAlive !== result.alive) this.events.changed(result.alive, result, index);
    if (check.maxConsecutiveFailures > 0 && result.consecutiveFailures >= check.maxConsecutiveFailures) this.events.failed(result, index);
  }

  #inGrace(check: HealthCheckDefinition): boolean {
    return Date.now() - this.target.runningSince < check.gracePeriodSeconds * 1000;
  }

  /** null when healthy, else why not. */
  #probe(check: HealthCheckDefinition): Promise<string | null> {
    const timeoutMs = check.timeoutSeconds * 1000;
    if (check.protocol === 'COMMAND') return this.#command(check.command ?? 'true', timeoutMs);
    const port = this.target.ports[check.portIndex];
    if (port === undefined) return Promise.resolve(`the task has no port at index ${check.portIndex}`);
    if (check.protocol === 'TCP') return tcpProbe(this.target.host, port, timeoutMs);
    return httpProbe(check.protocol === 'HTTPS', this.target.host, port, check.path, timeoutMs, check.ignoreHttp1xx);
  }

  #command(command: string, timeoutMs: number): Promise<string | null> {
    return new Promise((resolve) => {
      const env = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', ...this.target.env };
      exec(command, { cwd: this.target.sandbox ?? undefined, env, timeout: timeoutMs, killSignal: 'SIGKILL' }, (error) => {
        resolve(error ? `command ${error.killed ? 'timed out' : `exited with ${error.code ?? error.signal}`}` : null);
      });
    });
  }
}

function tcpProbe(host: string, port: number, timeoutMs: number): Promise<string | null> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (cause: string | null): void => {
      socket.destroy();
      resolve(cause);
    };
    socket.setTimeout(timeoutMs, () => done(`no connection within ${timeoutMs} ms`));
    socket.once('connect', () => done(null));
    socket.once('error', (error) => done(`connection failed: ${error.message}`));
  });
}

function httpProbe(tls: boolean, host: string, port: number, path: string, timeoutMs: number, ignore1xx: boolean): Promise<string | null> {
  return new Promise((resolve) => {
    const request = (tls ? httpsRequest : httpRequest)(
      {
        host,
        port,
        path,
        method: 'GET',
        timeout: timeoutMs,
        rejectUnauthorized: false,
        agent: false,
        headers: { 'user-agent': 'Gatehouse health check' },
      },
      (response) => {
        response.resume();
        const status = response.statusCode ?? 0;
        resolve(status >= 200 && status < 400 ? null : `HTTP ${status}`);
      },
    );
    if (ignore1xx) request.on('information', () => undefined);
    request.once('timeout', () => request.destroy(new LocalClusterError('ERR_CLUSTER_LOCAL_HEALTH_TIMEOUT', `no answer within ${timeoutMs} ms`)));
    request.once('error', (error) => resolve(`request failed: ${error.message}`));
    request.end();
  });
}
