// The gateway's access log: one line per request, the one log whose volume follows the traffic.
// Written synchronously it cost a quarter of the gateway's throughput (each line a write(2) on the
// request's path), so its lines go to their own pino logger on an asynchronous destination that
// batches them (sonic-boom, pino's own): a request only appends to a buffer. The buffer is bounded:
// when stdout stalls (a full pipe, a stuck disk) lines past `gateway.accessLog.buffer` are dropped
// and counted in `gatehouse_gateway_access_log_dropped_total`, never blocking requests and never
// growing without bound. At a clean stop the buffer is flushed, so no line is lost. Every other log
// line stays synchronous: they are few, and the last ones before an exit matter most.
// Those synchronous lines, and the gateway workers' own access lines, share the same stdout: each
// write holds whole lines and at most PIPE_BUF bytes (a single longer line goes alone), so the kernel
// never splits it and no other writer's line lands inside one (a turn's batch larger than a full
// pipe's room went out in pieces, and the main logger's "stopping" line landed between them).
import { pino, type Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import { SonicBoom } from 'sonic-boom';
import type { AccessLogConfig } from '../config/index.js';
import { accessLogLine, type AccessLineWriter } from '../gateway/index.js';

export interface AccessLogger {
  /** Null when access logging is off. */
  readonly logger: Logger | null;
  readonly sample: number;
  /** JSON lines: each built directly (accessLogLine), the logger's serialiser skipped. */
  readonly write?: AccessLineWriter;
  /** Writes what is buffered, synchronously (at stop). */
  flush(): void;
}

export interface AccessLoggerOptions {
  /** The process's logger: on a terminal (pretty lines) access lines go through it, synchronously. */
  readonly main: Logger;
  readonly pretty: boolean;
  readonly registry: Registry;
  /** Fields on every line (a worker's id and pid). */
  readonly bindings?: Record<string, unknown>;
  /** Where lines go (default stdout); tests point it at a file or a pipe. */
  readonly fd?: number;
}

/** Longest a flush at stop waits for a stalled stdout before it gives up on the rest. */
const FLUSH_AT_STOP_MS = 2000;

/** PIPE_BUF on Linux: a pipe takes a write up to this size whole or not at all, never interleaved. */
export const ATOMIC_WRITE_BYTES = 4096;

export function createAccessLogger(config: AccessLogConfig, options: AccessLoggerOptions): AccessLogger {
  if (!config.enabled) return { logger: null, sample: config.sample, flush: () => undefined };
  if (options.pretty) return { logger: options.main.child({ part: 'gateway', ...options.bindings }), sample: config.sample, flush: () => undefined };
  const dropped = new Counter({
    name: 'gatehouse_gateway_access_log_dropped_total',
    help: 'Access-log lines dropped because stdout did not take them (buffer full, or a write error)',
    registers: [options.registry],
  });
  const fd = options.fd ?? 1;
  let flushDeadline = 0;
  // sonic-boom 5 itself, not pino.destination (sonic-boom 4, which pino 9 and 10 still use): 4's flushSync
  // retried a write that failed with EPIPE every 100 ms for ever, so a Gatehouse whose stdout's reader had
  // gone (a log shipper that died) never ended on SIGTERM once it held an access line.
  const destination = new SonicBoom({
    dest: fd,
    sync: false,
    // Lines are batched into writes of nearly PIPE_BUF bytes, and flushed at least this often.
    minLength: ATOMIC_WRITE_BYTES - 512,
    maxWrite: ATOMIC_WRITE_BYTES,
    periodicFlush: 250,
    maxLength: config.bufferBytes,
    // A full pipe: an asynchronous write is retried later; a flush at stop retries only until its deadline.
    retryEAGAIN: () => flushDeadline === 0 || Date.now() < flushDeadline,
  });
  destination.on('drop', (data: string | Buffer) => dropped.inc(countLines(data)));
  // An error on stdout must not end the gateway: the lines are lost, and counted. EPIPE means nobody reads
  // stdout any more, and nobody will: every later line is counted as dropped without being written, and
  // the destination's own retries of the batch that failed are not counted again. On stdout it is
  // destroyed (its timer and buffer go; sonic-boom never closes fd 1 or 2); a descriptor a caller gave
  // stays open, as it is the caller's to close (closing it here closed whatever had its number by then).
  let gone = false;
  destination.on('error', (error: NodeJS.ErrnoException) => {
    if (gone) return;
    dropped.inc();
    if (error.code !== 'EPIPE') return;
    gone = true;
    if (fd === 1 || fd === 2) destination.destroy();
  });
  // No pino redaction here: this logger writes only writeAccessLog's fixed fields (the path's secret
  // query values are replaced before), and redaction cost 2.5% of the gateway's CPU under load.
  const batch = new TurnBatch({
    write(data) {
      if (!gone) return destination.write(data);
      dropped.inc(countLines(data));
      return true;
    },
  });
  const base = { name: 'gatehouse', part: 'gateway', ...options.bindings };
  const logger = pino({ level: options.main.level, base }, batch);
  // pino's `,"name":…` after level and time: the bindings, serialised once.
  const bindings = `,${JSON.stringify(base).slice(1, -1)}`;
  const write: AccessLineWriter = (entry) => batch.write(accessLogLine(bindings, entry));
  let flushed = false;
  const flush = (): void => {
    if (flushed) return;
    flushed = true;
    flushDeadline = Date.now() + FLUSH_AT_STOP_MS;
    try {
      batch.flush();
      if (!gone) destination.flushSync();
    } catch {
      // Not ready or stalled past the deadline: what is left cannot be written.
    }
  };
  // process.exit() skips the stop steps of a crash or a failed start; what was buffered still goes out.
  process.once('exit', flush);
  return { logger, sample: config.sample, write, flush };
}

/**
 * The lines of one turn of the event loop, handed to sonic-boom in pieces of whole lines of at most
 * ATOMIC_WRITE_BYTES (sonic-boom keeps each piece in one write, maxWrite): sonic-boom measures the
 * UTF-8 length of its last buffered string on every write, which per line cost more than the line
 * itself under load (bench/README.md, "Where the gateway's time goes").
 * Holds a turn's lines at most; the bound, drops and flushes stay sonic-boom's.
 */
export class TurnBatch {
  readonly #destination: { write(data: string): boolean };
  #pending = '';
  #pendingBytes = 0;
  #scheduled = false;

  constructor(destination: { write(data: string): boolean }) {
    this.#destination = destination;
  }

  write(line: string): void {
    const bytes = Buffer.byteLength(line);
    if (this.#pendingBytes + bytes > ATOMIC_WRITE_BYTES) this.flush();
    this.#pending += line;
    this.#pendingBytes += bytes;
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.#flushTurn);
    }
  }

  readonly #flushTurn = (): void => {
    this.#scheduled = false;
    this.flush();
  };

  flush(): void {
    const pending = this.#pending;
    if (pending === '') return;
    this.#pending = '';
    this.#pendingBytes = 0;
    this.#destination.write(pending);
  }
}

function countLines(data: string | Buffer): number {
  let lines = 0;
  const text = typeof data === 'string' ? data : data.toString('latin1');
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lines++;
  return Math.max(1, lines);
}
