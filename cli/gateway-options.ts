// The GatewayServer's options from the config: one place for the in-process gateway (cli/gatehouse.ts)
// and each worker's (cli/gateway-worker.ts), so that a new gateway key reaches both.
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { GatehouseConfig } from '../config/index.js';
import type { SnapshotView } from '../cluster/index.js';
import { domainFrag, sanitizeLabel } from '../dns/index.js';
import type { ComponentLogSource, GatewayOptions, GatewayStatus, RouteTable, TaskNamer } from '../gateway/index.js';
import type { RunningAuthn } from './authn-setup.js';
import { VERSION } from './version.js';

export interface GatewayParts {
  readonly routes: RouteTable;
  readonly store: SnapshotView;
  readonly authn: Pick<RunningAuthn, 'verifier' | 'login' | 'clusterId'>;
  readonly dnsHttp: URL | null;
  readonly registry: Registry;
  readonly logger: Logger;
  /** Workers ask the primary for every process's metrics. */
  readonly metricsText?: () => Promise<string>;
  /** `GET /gatehouse/v1/status`: workers ask the primary, which knows every worker's generations. */
  readonly status?: () => Promise<GatewayStatus>;
  /** Gatehouse's recent log lines (the primary's ring; a worker asks the primary). */
  readonly componentLogs?: ComponentLogSource | undefined;
  /** The access log's own logger (cli/access-logger.ts) and sampling. */
  readonly accessLog?: GatewayOptions['accessLog'];
}

export function gatewayOptions(config: GatehouseConfig, parts: GatewayParts): GatewayOptions {
  return {
    routes: parts.routes,
    tls: config.gateway.tls,
    taskName: config.dns.enabled ? taskNamer(config.dns) : null,
    listen: config.gateway.listen,
    store: parts.store,
    verifier: parts.authn.verifier,
    login: parts.authn.login,
    clusterId: parts.authn.clusterId,
    dnsHttp: parts.dnsHttp,
    marathon: config.cluster.mesos.marathon ? new URL(config.cluster.mesos.marathon) : null,
    registry: parts.registry,
    logger: parts.logger,
    version: VERSION,
    maxBodySize: config.gateway.maxBodySize,
    maxHeaderSize: config.gateway.maxHeaderSize,
    shutdownTimeoutMs: config.gateway.shutdownTimeoutMs,
    bodyTimeoutMs: config.gateway.bodyTimeoutMs,
    discardBodyTimeoutMs: config.gateway.discardBodyTimeoutMs,
    discardBodySize: config.gateway.discardBodySize,
    maxConnectionsPerAddress: config.gateway.maxConnectionsPerAddress,
    engine: config.gateway.engine,
    adminGroup: config.authn.adminGroup,
    execAllow: config.gateway.exec.allow,
    vipRange: config.mesh.enabled ? config.mesh.vipRange : null,
    ...(parts.metricsText ? { metricsText: parts.metricsText } : {}),
    ...(parts.status ? { status: parts.status } : {}),
    ...(parts.componentLogs ? { componentLogs: parts.componentLogs } : {}),
    ...(parts.accessLog ? { accessLog: parts.accessLog } : {}),
  };
}

/**
 * The name DNS publishes for a task (`<task>.<framework>.<domain>`, Mesos-DNS's labels), for the
 * dashboard: the gateway shows it without knowing DNS's rules. Null when DNS publishes none.
 */
export function taskNamer(dns: Pick<GatehouseConfig['dns'], 'domain' | 'enforceRFC952' | 'healthyOnly'>): TaskNamer {
  const mode = dns.enforceRFC952 ? 'rfc952' : 'rfc1123';
  return (task, framework) => {
    if (task.state !== 'TASK_RUNNING' || (dns.healthyOnly && task.health === 'unhealthy')) return null;
    const frameworkLabel = domainFrag(framework.name, mode);
    const taskLabel = sanitizeLabel(task.discovery?.name || task.name, mode);
    return frameworkLabel && taskLabel ? `${taskLabel}.${frameworkLabel}.${dns.domain}` : null;
  };
}
