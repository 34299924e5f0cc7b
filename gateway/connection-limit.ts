// gateway.maxConnectionsPerAddress: how many connections one client address may hold open at once
// in this process. One address opening thousands of connections (slow bodies, idle keep-alives)
// would otherwise use up the process's file descriptors and starve everyone else; over the limit
// a new connection is closed at once, counted in a metric, and logged at most once per interval.
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';

const METRIC = 'gatehouse_gateway_connections_refused_total';
/** At most one log line per this many ms; the lines in between are counted in the next one. */
const LOG_EVERY_MS = 10_000;

export class ConnectionLimit {
  readonly #max: number;
  readonly #logger: Logger;
  readonly #refused: Counter<'reason'>;
  readonly #open = new Map<string, number>();
  #lastLog = 0;
  #unlogged = 0;

  constructor(max: number, registry: Registry, logger: Logger) {
    this.#max = max;
    this.#logger = logger;
    const existing = registry.getSingleMetric(METRIC) as Counter<'reason'> | undefined;
    this.#refused =
      existing ??
      new Counter({
        name: METRIC,
        help: 'Client connections the gateway closed on arrival, by reason',
        labelNames: ['reason'],
        registers: [registry],
      });
  }

  /** Counts a new connection, or closes it and returns false when its address holds too many already. */
  admit(socket: Socket): boolean {
    const address = clientAddress(socket);
    const open = this.#open.get(address) ?? 0;
    if (open >= this.#max) {
      socket.destroy();
      this.#refused.inc({ reason: 'per_address' });
      this.#logRefused(address);
      return false;
    }
    this.#open.set(address, open + 1);
    socket.once('close', () => {
      const left = (this.#open.get(address) ?? 1) - 1;
      if (left <= 0) this.#open.delete(address);
      else this.#open.set(address, left);
    });
    return true;
  }

  #logRefused(address: string): void {
    const now = Date.now();
    if (now - this.#lastLog < LOG_EVERY_MS) {
      this.#unlogged++;
      return;
    }
    this.#logger.warn(
      { address, limit: this.#max, alsoRefusedSinceLastLine: this.#unlogged },
      'gateway.maxConnectionsPerAddress: a client address has too many connections open; closing new ones',
    );
    this.#lastLog = now;
    this.#unlogged = 0;
  }
}

/** The client's address, IPv4 ones in their plain form (`::ffff:10.0.0.1` and `10.0.0.1` are one client). */
function clientAddress(socket: Socket): string {
  const address = socket.remoteAddress ?? '';
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}
