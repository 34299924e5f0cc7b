// The gateway area: what other areas may import.
export type { GatewayServer } from './server.js';
/**
 * The server and all it serves with (the pipeline, both engines, the pages: ~250 ms of CPU to load):
 * loaded by the process that serves, not by a primary whose gateway workers serve.
 */
export async function loadGatewayServer(): Promise<typeof import('./server.js').GatewayServer> {
  return (await import('./server.js')).GatewayServer;
}
export { GatewayError, GATEWAY_ANSWERS, GATEWAY_INTERNAL_CODES, type GatewayErrorCode, type GatewayAnswerCode, type GatewayInternalCode } from './errors.js';
export type { GatewayOptions } from './options.js';
export { normalizePath, encodePath } from './normalize-path.js';
export { resolveService, normalizeServiceName } from './service-resolver.js';
export { builtinRoute, earlyRedirect, type RouteDecision } from './builtin-routes.js';
export { RouteTable } from './route-table.js';
export type { TaskNamer } from './pages/dashboard.js';
export { parseRouteFile, loadRouteFiles, RESERVED_PREFIXES, type FileRoute, type RouteFileStatus } from './route-files.js';
export { SnapshotMirror, type SnapshotMirrorOptions } from './snapshot-mirror.js';
export { isFromWorker, isToWorker, type FromWorker, type ToWorker, type MetricsJson } from './worker-protocol.js';
export { routesFromWire, routesToWire, type WireRouteFile } from './worker-protocol.js';
export { gatewayStatus, sameGenerations, type GatewayStatus, type Generations, type WorkerStatus } from './gateway-status.js';
export { LogRing, type ComponentLogSource, type LogRecord } from './logs/log-ring.js';
export { TaskSeries, type TaskSeriesOptions } from './metrics/task-series.js';
export { accessLogLine, type AccessLineWriter, type AccessLogEntry } from './access-log.js';
