// `gatehouse run` as a composition of long-lived parts: cluster source -> store -> DNS records ->
// DNS server and its HTTP API. Each part is started in order and closed in reverse; a failure while
// starting closes what already started.
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import { collectProcessMetrics } from './process-metrics.js';
import { ClusterStore, createSource, type ClusterSource } from '../cluster/index.js';
import { type GatehouseConfig } from '../config/index.js';
import { Lifecycle } from '../core/index.js';
import { Mesh, prepareVipAddresses } from '../mesh/index.js';
import type { BoundHttpServer } from './http-listener.js';
import { startDns } from './dns-setup.js';
import { startAuthn } from './authn-setup.js';
import { GatewayError, RouteTable, TaskSeries, gatewayStatus, loadGatewayServer, type ComponentLogSource } from '../gateway/index.js';
import { GatewayWorkers } from './gateway-workers.js';
import { createAccessLogger } from './access-logger.js';
import { gatewayOptions } from './gateway-options.js';
import { seedApps } from './seed-apps.js';
import { firstStartBlock, runningMessage, runningUrls } from './first-run-notice.js';

export interface RunningGatehouse {
  readonly store: ClusterStore;
  readonly gatewayPort: number | null;
  readonly dns: { readonly udpPort: number; readonly tcpPort: number } | null;
  readonly dnsHttpPort: number | null;
  /** The layer-4 mesh behind VIPs (null when mesh.enabled is false). */
  readonly mesh: Mesh | null;
  /** This process's metrics (the crash policy counts into it). */
  readonly registry: Registry;
  close(): Promise<void>;
}

export { nameServerIps, zoneOptionsFor } from './dns-zone.js';

export interface StartOptions {
  /** Human log lines (`--pretty`), passed on to gateway worker processes. */
  readonly pretty?: boolean;
  /** The logger's ring of recent lines, served as the `gatehouse` component log. */
  readonly componentLogs?: ComponentLogSource;
}

export async function startGatehouse(config: GatehouseConfig, logger: Logger, options: StartOptions = {}): Promise<RunningGatehouse> {
  const lifecycle = new Lifecycle(logger);
  const close = async () => {
    await lifecycle.stop();
  };

  let createdAdminPassword: string | null = null;
  try {
    const registry = new Registry();
    collectProcessMetrics(registry);
    const store = new ClusterStore({
      staleAfterMs: config.cluster.staleAfterMs,
      unusableAfterMs: config.cluster.unusableAfterMs,
      logger: logger.child({ part: 'cluster' }),
      registry,
    });
    // Per-task CPU and memory on /metrics, read from the agents when scraped (only here, in the primary).
    new TaskSeries({ store, registry });
    if (config.cluster.source === 'local') await seedApps(config.cluster.local.apps, config.cluster.local.seedApps, logger.child({ part: 'cluster' }));
    const source: ClusterSource = await createSource(config.cluster, { store, logger: logger.child({ part: 'cluster' }), registry });
    lifecycle.onStop('cluster source', () => source.close());

    let mesh: Mesh | null = null;
    if (config.mesh.enabled) {
      const meshLogger = logger.child({ part: 'mesh' });
      const { vipRange, vipInterface } = await prepareVipAddresses(config.mesh, meshLogger);
      // On fallback to the loopback range, DNS, the gateway and its workers must compute the same addresses.
      if (vipRange !== config.mesh.vipRange) config = { ...config, mesh: { ...config.mesh, vipRange } };
      // Registered before the mesh: removed after its listeners closed.
      if (vipInterface) lifecycle.onStop('mesh interface', () => vipInterface.close());
      mesh = new Mesh({
        feed: store,
        vipRange: config.mesh.vipRange,
        balance: config.mesh.balance,
        connectTimeoutMs: config.mesh.connectTimeoutMs,
        failureBackoffMs: config.mesh.failureBackoffMs,
        drainTimeoutMs: config.mesh.drainTimeoutMs,
        workers: config.mesh.workers,
        logger: meshLogger,
        registry,
        vipInterface,
      });
      mesh.start();
      const running = mesh;
      lifecycle.onStop('mesh', () => running.close());
    }

    let dnsAddress: RunningGatehouse['dns'] = null;
    let dnsHttpPort: number | null = null;
    if (config.dns.enabled) {
      const dns = await startDns(config, { store, lifecycle, logger, registry, pretty: options.pretty ?? false });
      dnsAddress = dns.address;
      dnsHttpPort = dns.httpPort;
    }

    // The cluster starts while the gateway (and its workers, seconds to boot) comes up, so DNS answers
    // sooner; workers are sent the current snapshot when they are ready, whenever that is.
    const sourceStarted = source.start();
    sourceStarted.catch(() => undefined);

    let gatewayPort: number | null = null;
    if (config.gateway.enabled) {
      if (!config.authn.enabled)
        throw new GatewayError(
          'ERR_GATEWAY_NEEDS_AUTHN',
          'gateway.enabled needs authn.enabled: Gatehouse does not run an unauthenticated gateway (use auth: none on the routes that should be open)',
        );
      // The primary creates the signing key, the cluster id and the first users file before any
      // worker reads them.
      const authn = await startAuthn(config, logger.child({ part: 'authn' }), { registry });
      lifecycle.onStop('authn', () => authn.close());
      createdAdminPassword = authn.createdAdminPassword;
      const dnsHttp =
        dnsHttpPort && config.dns.http
          ? new URL(`http://${config.dns.http.host.includes(':') ? `[${config.dns.http.host}]` : config.dns.http.host}:${dnsHttpPort}`)
          : null;
      // The route files are read here only; with workers, each gets this table's files and generation.
      const routes = new RouteTable({ dir: config.gateway.routes, logger: logger.child({ part: 'routes' }), registry });
      await routes.start();
      lifecycle.onStop('gateway routes', () => routes.close());
      if (config.gateway.workers > 1) {
        const workers = new GatewayWorkers({
          config,
          store,
          registry,
          dnsHttp,
          pretty: options.pretty ?? false,
          users: authn.users,
          routes,
          componentLogs: options.componentLogs,
          logger: logger.child({ part: 'gateway' }),
        });
        lifecycle.onStop('gateway workers', () => workers.close());
        gatewayPort = await workers.start();
      } else {
        const generations = () => ({ users: authn.users.generation, routes: routes.generation, snapshot: store.current?.generation ?? 0 });
        const status = async () => ({
          servedBy: { worker: 0, pid: process.pid },
          ...gatewayStatus({ pid: process.pid, generations: generations() }, [{ worker: 0, pid: process.pid, generations: generations() }]),
        });
        const accessLog = createAccessLogger(config.gateway.accessLog, { main: logger, pretty: options.pretty ?? false, registry });
        // Registered before the gateway: stopped after it, so the last requests' lines are flushed too.
        lifecycle.onStop('access log', () => accessLog.flush());
        const GatewayServer = await loadGatewayServer();
        const gateway = new GatewayServer(
          gatewayOptions(config, {
            routes,
            store,
            authn,
            dnsHttp,
            registry,
            status,
            accessLog,
            componentLogs: options.componentLogs,
            logger: logger.child({ part: 'gateway' }),
          }),
        );
        lifecycle.onStop('gateway', () => gateway.close());
        gatewayPort = await gateway.start();
      }
    }

    await sourceStarted;
    const urls = runningUrls(config, { gatewayPort, dns: dnsAddress, dnsHttpPort });
    // For a person, one readable line; for machines, the ports and URLs as fields.
    if (options.pretty) logger.info(runningMessage(urls));
    else logger.info({ source: config.cluster.source, dns: dnsAddress, dnsHttpPort, gatewayPort, urls }, 'gatehouse is running');
    if (createdAdminPassword)
      process.stderr.write(
        firstStartBlock({ usersFile: config.authn.users, password: createdAdminPassword, loginUrl: urls.login ?? null }),
      );
    return { store, dns: dnsAddress, dnsHttpPort, gatewayPort, mesh, registry, close };
  } catch (error) {
    await close();
    // The users file with the new admin is kept: its password must not be lost with the failed start.
    if (createdAdminPassword) process.stderr.write(firstStartBlock({ usersFile: config.authn.users, password: createdAdminPassword, loginUrl: null }));
    throw error;
  }
}

export type { BoundHttpServer };
