// `gatehouse run` as a composition of long-lived parts: cluster source -> store -> DNS records ->
// DNS server and its HTTP API. Each part is started in order and closed in reverse; a failure while
// starting closes what already started.
import { networkInterfaces } from 'node:os';
import type { Logger } from 'pino';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { ClusterStore, buildVipTable, createSource, isUsable, type ClusterSource } from '../cluster/index.js';
import { type GatehouseConfig } from '../config/index.js';
import { Lifecycle } from '../core/index.js';
import { DnsServer, RecordPublisher, THISDCOS_DOMAIN, buildThisDcosRecordSet, createMesosDnsHttpHandler, type ZoneOptions } from '../dns/index.js';
import { Mesh, prepareVipAddresses } from '../mesh/index.js';
import { listenHttp, type BoundHttpServer } from './http-listener.js';
import { startAuthn } from './authn-setup.js';
import { GatewayError, GatewayServer, RouteTable, TaskSeries, gatewayStatus, type ComponentLogSource } from '../gateway/index.js';
import { GatewayWorkers } from './gateway-workers.js';
import { createAccessLogger } from './access-logger.js';
import { gatewayOptions } from './gateway-options.js';
import { VERSION } from './version.js';
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

/** IPs published for the zone's name server: the listener itself, or every interface for a wildcard. */
export function nameServerIps(listenHost: string): string[] {
  if (listenHost !== '0.0.0.0' && listenHost !== '::') return [listenHost];
  const ips: string[] = [];
  for (const addresses of Object.values(networkInterfaces())) {
    for (const address of addresses ?? []) if (!address.internal) ips.push(address.address);
  }
  return ips;
}

export function zoneOptionsFor(domain: string, ttl: number): ZoneOptions {
  return {
    domain,
    ttl,
    soaMname: `ns1.${domain}.`,
    soaRname: `root.ns1.${domain}.`,
    soaRefresh: 60,
    soaRetry: 600,
    soaExpire: 86400,
    srvWeight: 1,
    recurse: true,
    setTruncateBit: true,
  };
}

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
    collectDefaultMetrics({ register: registry });
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
      const zone = zoneOptionsFor(config.dns.domain, config.dns.ttl);
      // DC/OS's own zone (VIP names, autoip/agentip/containerip): a short TTL as dcos-net's, since
      // task addresses there move with the tasks.
      const thisDcos = zoneOptionsFor(THISDCOS_DOMAIN, 5);
      const server = new DnsServer({
        listen: config.dns.listen,
        zone,
        extraZones: [thisDcos],
        resolvers: config.dns.resolvers,
        resolverTimeoutMs: config.dns.resolverTimeoutMs,
        mode: 'gatehouse',
        logger: logger.child({ part: 'dns' }),
        registry,
      });
      lifecycle.onStop('dns server', () => server.close());
      await server.start();
      const address = server.address();
      dnsAddress = { udpPort: address.udpPort, tcpPort: address.tcpPort };

      const publisher = new RecordPublisher({
        feed: store,
        sinks: [server],
        recordOptions: {
          domain: config.dns.domain,
          ipSources: config.dns.ipSources,
          enforceRFC952: config.dns.enforceRFC952,
          soaMname: zone.soaMname,
          nsIps: nameServerIps(config.dns.listen.host),
          healthyOnly: config.dns.healthyOnly,
        },
        logger: logger.child({ part: 'dns' }),
        withdrawWhenUnusable: true,
      });
      publisher.start();
      lifecycle.onStop('dns records', () => publisher.close());

      const nsIps = nameServerIps(config.dns.listen.host);
      const vipRange = config.mesh.enabled ? config.mesh.vipRange : null;
      const thisDcosPublisher = new RecordPublisher({
        feed: store,
        sinks: [
          { setRecords: (records, serial) => server.setZoneRecords(THISDCOS_DOMAIN, records, serial), setUnavailable: () => undefined },
        ],
        recordOptions: {
          domain: THISDCOS_DOMAIN,
          ipSources: config.dns.ipSources,
          enforceRFC952: false,
          soaMname: thisDcos.soaMname,
          nsIps,
        },
        build: (snapshot) =>
          buildThisDcosRecordSet(snapshot, {
            vips: vipRange ? buildVipTable(snapshot, { range: vipRange }) : null,
            soaMname: thisDcos.soaMname,
            nsIps,
          }),
        logger: logger.child({ part: 'dns', zone: THISDCOS_DOMAIN }),
        withdrawWhenUnusable: false,
        rebuildLogLevel: 'debug',
      });
      thisDcosPublisher.start();
      lifecycle.onStop('dns records (thisdcos.directory)', () => thisDcosPublisher.close());

      if (config.dns.http) {
        const api = createMesosDnsHttpHandler({
          records: () => publisher.records,
          config: () => ({ ...config.dns }),
          serial: () => publisher.serial,
          zone: {
            domain: config.dns.domain,
            ttl: config.dns.ttl,
            refreshSeconds: Math.round(config.cluster.mesos.refreshMs / 1000),
            mname: zone.soaMname,
            rname: zone.soaRname,
          },
          version: VERSION,
          enumerationOn: true,
        });
        const http = await listenHttp('dns.http', config.dns.http, async (req, res) => {
          // The gateway will own /metrics and /health; until then the DNS API answers them.
          if (req.url === '/metrics') {
            res.setHeader('content-type', registry.contentType);
            res.end(await registry.metrics());
            return;
          }
          if (req.url === '/health') {
            const status = store.status();
            const ok = isUsable(status.state);
            res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' });
            res.end(JSON.stringify(status));
            return;
          }
          api(req, res);
        });
        lifecycle.onStop('dns http api', () => http.close());
        dnsHttpPort = http.port;
      }
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
