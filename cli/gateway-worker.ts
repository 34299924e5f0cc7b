// Entry point of a gateway worker process (forked by cli/gateway-workers.ts with node:cluster). It
// runs the same GatewayServer as the in-process gateway, sharing the listen port with its siblings:
// its own verifier (same signing key), and the primary's users, route files and snapshot, fed over
// IPC with their generations (the primary alone reads those files, so every worker serves the same
// version; each worker reports what it applied, shown by /gatehouse/v1/status). `/metrics` asks the primary, which aggregates
// every process. On `drain` (or SIGTERM/SIGINT, or losing the primary) it stops accepting, lets
// in-flight requests finish up to gateway.shutdownTimeout, and exits 0.
import cluster from 'node:cluster';
import type { SnapshotWire } from '../cluster/index.js';
import { Registry } from 'prom-client';
import { collectProcessMetrics } from './process-metrics.js';
import { Lifecycle } from '../core/index.js';
import { GatewayError, RouteTable, SnapshotMirror, loadGatewayServer, routesFromWire } from '../gateway/index.js';
import { isToWorker, type ComponentLogSource, type FromWorker, type GatewayStatus, type LogRecord, type ToWorker } from '../gateway/index.js';
import { FedUsers } from './users-feed.js';
import { startAuthn } from './authn-setup.js';
import { installCrashPolicy } from './crash-policy.js';
import { gatewayOptions } from './gateway-options.js';
import { createLogger } from './logger.js';
import { createAccessLogger } from './access-logger.js';

const send = (message: FromWorker): void => {
  if (process.connected) process.send?.(message);
};

let mirror: SnapshotMirror | null = null;
let pendingSnapshot: Extract<ToWorker, { kind: 'gatehouse:snapshot' }> | null = null;
/** The first parts of a big snapshot on its way (gatehouse:snapshot-part); its gatehouse:snapshot carries the last. */
let snapshotParts: string[] = [];
const users = new FedUsers();
let routes: RouteTable | null = null;
let pendingRoutes: Extract<ToWorker, { kind: 'gatehouse:routes' }> | null = null;
const statusWaiters = new Map<number, (status: GatewayStatus) => void>();
// The primary sends its users right after init; the gateway opens only once it has them, so no
// request meets an empty user list.
let usersArrived: () => void = () => undefined;
const firstUsers = new Promise<void>((resolve) => (usersArrived = resolve));
let draining: Promise<void> | null = null;
let stop: () => Promise<void> = async () => undefined;
const metricsWaiters = new Map<number, (text: string) => void>();
let nextRequestId = 1;
const registry = new Registry();

/** One request to the primary over IPC, answered by id (the answer's handler calls the waiter), or failed after 5 s. */
function askPrimary<T>(waiters: Map<number, (answer: T) => void>, request: (id: number) => FromWorker, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const id = nextRequestId++;
    const timer = setTimeout(() => {
      waiters.delete(id);
      reject(new GatewayError('ERR_GATEWAY_WORKER', `the primary did not send the ${what} within 5 s`));
    }, 5000);
    waiters.set(id, (answer) => {
      clearTimeout(timer);
      resolve(answer);
    });
    send(request(id));
  });
}

const logsWaiters = new Map<number, (records: readonly LogRecord[]) => void>();
/** The component log in a worker: the primary's ring, asked for on each read. */
const primaryLogs: ComponentLogSource = {
  records: (after = 0) => askPrimary(logsWaiters, (id) => ({ kind: 'gatehouse:logs-request', id, after }), 'log lines'),
};

const askPrimaryForMetrics = (): Promise<string> => askPrimary(metricsWaiters, (id) => ({ kind: 'gatehouse:metrics-request', id }), 'metrics');

async function askPrimaryForStatus(): Promise<GatewayStatus> {
  const status = await askPrimary(statusWaiters, (id) => ({ kind: 'gatehouse:status-request', id }), 'status');
  return { servedBy: { worker: cluster.worker?.id ?? 0, pid: process.pid }, ...status };
}

/** Tells the primary what this worker serves now. */
function reportApplied(): void {
  send({ kind: 'gatehouse:applied', generations: { users: users.generation, routes: routes?.generation ?? 0, snapshot: mirror?.current?.generation ?? 0 } });
}

function drain(): Promise<void> {
  draining ??= stop().then(
    () => process.exit(0),
    () => process.exit(1),
  );
  return draining;
}

async function init(message: Extract<ToWorker, { kind: 'gatehouse:init' }>): Promise<void> {
  const { config } = message;
  const logger = createLogger({ level: config.log.level, pretty: message.pretty }).child({ worker: cluster.worker?.id ?? 0, pid: process.pid });
  collectProcessMetrics(registry);
  mirror = new SnapshotMirror({ staleAfterMs: config.cluster.staleAfterMs, unusableAfterMs: config.cluster.unusableAfterMs });
  if (pendingSnapshot) mirror.updateFromWire(pendingSnapshot.status, pendingSnapshot.snapshot);
  // Not started: it does not read gateway.routes, it serves what the primary sends.
  routes = new RouteTable({ dir: config.gateway.routes, logger: logger.child({ part: 'routes' }), registry });
  if (pendingRoutes) routes.apply(routesFromWire(pendingRoutes.files), pendingRoutes.generation);
  // The same lifecycle as the primary's: each part registered as it starts, stopped in reverse, every
  // step guarded, so a worker that fails half-way still closes what it opened.
  const lifecycle = new Lifecycle(logger);
  const table = routes;
  lifecycle.onStop('routes', () => table.close());
  stop = async () => {
    await lifecycle.stop();
  };
  try {
    const authn = await startAuthn(config, logger.child({ part: 'authn' }), { users, registry });
    lifecycle.onStop('authn', () => authn.close());
    await firstUsers;
    const accessLog = createAccessLogger(config.gateway.accessLog, {
      main: logger,
      pretty: message.pretty,
      registry,
      bindings: { worker: cluster.worker?.id ?? 0, pid: process.pid },
    });
    lifecycle.onStop('access log', () => accessLog.flush());
    const GatewayServer = await loadGatewayServer();
    const gateway = new GatewayServer(gatewayOptions(config, {
      accessLog,
      routes,
      store: mirror,
      authn,
      dnsHttp: message.dnsHttp ? new URL(message.dnsHttp) : null,
      registry,
      metricsText: askPrimaryForMetrics,
      status: askPrimaryForStatus,
      componentLogs: primaryLogs,
      logger: logger.child({ part: 'gateway' }),
    }));
    lifecycle.onStop('gateway', () => gateway.close());
    const port = await gateway.start();
    installCrashPolicy({ logger, registry });
    send({ kind: 'gatehouse:listening', port });
    reportApplied();
  } catch (error) {
    const failure = error as NodeJS.ErrnoException;
    send({ kind: 'gatehouse:failed', message: failure.message, ...(failure.code ? { code: failure.code } : {}) });
    await stop().catch(() => undefined);
    process.exit(1);
  }
}

process.on('message', (message: unknown) => {
  if (!isToWorker(message)) return;
  switch (message.kind) {
    case 'gatehouse:init':
      void init(message);
      return;
    case 'gatehouse:snapshot-part':
      snapshotParts.push(message.text);
      return;
    case 'gatehouse:snapshot': {
      let snapshot = message.snapshot;
      if (typeof snapshot === 'string' && snapshotParts.length > 0) {
        snapshotParts.push(snapshot);
        snapshot = snapshotParts.join('') as SnapshotWire;
        snapshotParts = [];
      }
      if (mirror) {
        mirror.updateFromWire(message.status, snapshot);
        if (snapshot !== undefined) reportApplied();
      } else pendingSnapshot = { ...message, snapshot: snapshot ?? pendingSnapshot?.snapshot ?? null };
      return;
    }
    case 'gatehouse:users':
      if (users.apply(message.users, message.generation)) reportApplied();
      usersArrived();
      return;
    case 'gatehouse:routes':
      if (routes) {
        routes.apply(routesFromWire(message.files), message.generation);
        reportApplied();
      } else pendingRoutes = message;
      return;
    case 'gatehouse:status-reply':
      statusWaiters.get(message.id)?.(message.status);
      statusWaiters.delete(message.id);
      return;
    case 'gatehouse:metrics-collect':
      void registry.getMetricsAsJSON().then((metrics) => send({ kind: 'gatehouse:metrics-json', id: message.id, metrics }));
      return;
    case 'gatehouse:logs-reply':
      logsWaiters.get(message.id)?.(message.records);
      logsWaiters.delete(message.id);
      return;
    case 'gatehouse:metrics-text':
      metricsWaiters.get(message.id)?.(message.text);
      metricsWaiters.delete(message.id);
      return;
    case 'gatehouse:drain':
      void drain();
      return;
  }
});
process.on('SIGTERM', () => void drain());
process.on('SIGINT', () => void drain());
process.on('disconnect', () => void drain());
send({ kind: 'gatehouse:ready' });
