// Entry point of a gateway worker process (forked by cli/gateway-workers.ts with node:cluster). It
// runs the same GatewayServer as the in-process gateway, sharing the listen port with its siblings:
// its own route table watching gateway.routes, its own verifier (same signing key and users file),
// and a mirror of the primary's snapshot fed over IPC. `/metrics` asks the primary, which aggregates
// every process. On `drain` (or SIGTERM/SIGINT, or losing the primary) it stops accepting, lets
// in-flight requests finish up to gateway.shutdownTimeout, and exits 0.
import cluster from 'node:cluster';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { GatewayServer, RouteTable, SnapshotMirror } from '../gateway/index.js';
import { isToWorker, type FromWorker, type ToWorker } from '../gateway/index.js';
import { startAuthn, type RunningAuthn } from './authn-setup.js';
import { gatewayOptions } from './gateway-options.js';
import { createLogger } from './logger.js';

const send = (message: FromWorker): void => {
  if (process.connected) process.send?.(message);
};

let mirror: SnapshotMirror | null = null;
let pendingSnapshot: Extract<ToWorker, { kind: 'gatehouse:snapshot' }> | null = null;
let draining: Promise<void> | null = null;
let stop: () => Promise<void> = async () => undefined;
const metricsWaiters = new Map<number, (text: string) => void>();
let nextMetricsId = 1;
const registry = new Registry();

function askPrimaryForMetrics(): Promise<string> {
  return new Promise((resolve, reject) => {
    const id = nextMetricsId++;
    const timer = setTimeout(() => {
      metricsWaiters.delete(id);
      reject(new Error('the primary did not send the metrics in time'));
    }, 5000);
    metricsWaiters.set(id, (text) => {
      clearTimeout(timer);
      resolve(text);
    });
    send({ kind: 'gatehouse:metrics-request', id });
  });
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
  collectDefaultMetrics({ register: registry });
  mirror = new SnapshotMirror({ staleAfterMs: config.cluster.staleAfterMs, unusableAfterMs: config.cluster.unusableAfterMs });
  if (pendingSnapshot) mirror.update(pendingSnapshot.status, pendingSnapshot.snapshot);
  let authn: RunningAuthn | null = null;
  let routes: RouteTable | null = null;
  let gateway: GatewayServer | null = null;
  stop = async () => {
    await gateway?.close();
    await routes?.close();
    authn?.close();
  };
  try {
    authn = await startAuthn(config, logger.child({ part: 'authn' }));
    routes = new RouteTable({ dir: config.gateway.routes, logger: logger.child({ part: 'routes' }), registry });
    await routes.start();
    gateway = new GatewayServer(gatewayOptions(config, {
      routes,
      store: mirror,
      authn,
      dnsHttp: message.dnsHttp ? new URL(message.dnsHttp) : null,
      registry,
      metricsText: askPrimaryForMetrics,
      logger: logger.child({ part: 'gateway' }),
    }));
    send({ kind: 'gatehouse:listening', port: await gateway.start() });
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
    case 'gatehouse:snapshot':
      if (mirror) mirror.update(message.status, message.snapshot);
      else pendingSnapshot = { ...message, snapshot: message.snapshot ?? pendingSnapshot?.snapshot ?? null };
      return;
    case 'gatehouse:metrics-collect':
      void registry.getMetricsAsJSON().then((metrics) => send({ kind: 'gatehouse:metrics-json', id: message.id, metrics }));
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
