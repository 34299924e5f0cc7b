// Entry point of a DNS worker process (forked by cli/dns-workers.ts with node:cluster). It runs the
// same DnsServer as the in-process one, on the UDP and TCP sockets it shares with its siblings, fed the
// primary's records over IPC: each record set is encoded into an answer table beside the one serving
// and swapped in (a failed build keeps the previous answers and says so). It listens only once it has
// the records the primary had when it started, so a replacement never answers from an empty table. On
// `drain` (or SIGTERM/SIGINT, or losing the primary) it closes its sockets and exits 0.
import type { Logger } from 'pino';
import { DnsServer } from '../dns/index.js';
import { installCrashPolicy } from './crash-policy.js';
import { isToDnsWorker, type FromDnsWorker, type ToDnsWorker, type ZoneRecords } from './dns-worker-protocol.js';
import { createLogger } from './logger.js';

const COUNTERS_EVERY_MS = 1000;

const send = (message: FromDnsWorker): void => {
  if (process.connected) process.send?.(message);
};

let server: DnsServer | null = null;
let logger: Logger | null = null;
let pending: ZoneRecords[] = [];
let pendingUnavailable: { reason: string | null } | null = null;
let closing: Promise<void> | null = null;

function apply(update: ZoneRecords): void {
  if (!server) {
    pending.push(update);
    return;
  }
  try {
    if (update.zone === server.zoneDomain) server.setRecords(update.records, update.serial);
    else server.setZoneRecords(update.zone, update.records, update.serial);
    send({ kind: 'gatehouse-dns:applied', zone: update.zone, serial: update.serial, generation: update.generation });
  } catch (error) {
    send({ kind: 'gatehouse-dns:applied', zone: update.zone, serial: update.serial, generation: update.generation, error: (error as Error).message });
  }
}

async function init(message: Extract<ToDnsWorker, { kind: 'gatehouse-dns:init' }>): Promise<void> {
  logger = createLogger({ level: message.log.level, pretty: message.log.pretty }).child({ part: 'dns', worker: message.worker, pid: process.pid });
  try {
    server = new DnsServer({ ...message.server, logger });
    for (const zone of [...message.zones, ...pending]) apply(zone);
    pending = [];
    server.setUnavailable((pendingUnavailable ?? { reason: message.unavailable }).reason);
    await server.start();
    installCrashPolicy({ logger });
    const address = server.address();
    send({ kind: 'gatehouse-dns:listening', udpPort: address.udpPort, tcpPort: address.tcpPort });
    const running = server;
    setInterval(() => send({ kind: 'gatehouse-dns:counters', counters: running.counters() }), COUNTERS_EVERY_MS).unref();
  } catch (error) {
    const failure = error as NodeJS.ErrnoException;
    send({ kind: 'gatehouse-dns:failed', message: failure.message, ...(failure.code ? { code: failure.code } : {}) });
    await server?.close().catch(() => undefined);
    process.exit(1);
  }
}

function drain(): Promise<void> {
  closing ??= (server?.close() ?? Promise.resolve()).then(
    () => process.exit(0),
    () => process.exit(1),
  );
  return closing;
}

process.on('message', (message: unknown) => {
  if (!isToDnsWorker(message)) return;
  switch (message.kind) {
    case 'gatehouse-dns:init':
      void init(message);
      return;
    case 'gatehouse-dns:records':
      apply(message);
      return;
    case 'gatehouse-dns:unavailable':
      if (server) server.setUnavailable(message.reason);
      else pendingUnavailable = { reason: message.reason };
      return;
    case 'gatehouse-dns:drain':
      void drain();
      return;
  }
});
process.on('SIGTERM', () => void drain());
process.on('SIGINT', () => void drain());
process.on('disconnect', () => void drain());
send({ kind: 'gatehouse-dns:ready' });
