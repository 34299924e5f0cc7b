// The DNS part of `gatehouse run`: the server (in this process, or `dns.workers` worker processes),
// the publishers of the cluster zone and of thisdcos.directory, and the DNS HTTP API. Each part is
// registered with the lifecycle as it starts.
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { buildVipTable, isUsable, type ClusterStore } from '../cluster/index.js';
import type { GatehouseConfig } from '../config/index.js';
import type { Lifecycle } from '../core/index.js';
import { DnsServer, RecordPublisher, THISDCOS_DOMAIN, buildThisDcosRecordSet, createMesosDnsHttpHandler } from '../dns/index.js';
import type { RecordLookup, RecordSet, RecordSink } from '../dns/index.js';
import type { WireDnsServerOptions } from './dns-worker-protocol.js';
import { DnsWorkers } from './dns-workers.js';
import { nameServerIps, zoneOptionsFor } from './dns-zone.js';
import { listenHttp } from './http-listener.js';
import { VERSION } from './version.js';

export interface RunningDns {
  readonly address: { readonly udpPort: number; readonly tcpPort: number };
  readonly httpPort: number | null;
  readonly workers: DnsWorkers | null;
}

/** Where records go: the in-process server or the DNS workers, for the cluster zone and the others. */
type ZoneSink = RecordSink & {
  setZoneRecords(domain: string, records: RecordSet, serial: number, generation: number): { buildMs: number; names: number };
  /** The main zone's records as served (the HTTP API reads them: the publisher does not keep its own). */
  records(): RecordLookup | null;
};

export async function startDns(
  config: GatehouseConfig,
  parts: { store: ClusterStore; lifecycle: Lifecycle; logger: Logger; registry: Registry; pretty: boolean },
): Promise<RunningDns> {
  const { store, lifecycle, registry } = parts;
  const logger = parts.logger.child({ part: 'dns' });
  const zone = zoneOptionsFor(config.dns.domain, config.dns.ttl);
  // DC/OS's own zone (VIP names, autoip/agentip/containerip): a short TTL as dcos-net's, since
  // task addresses there move with the tasks.
  const thisDcos = zoneOptionsFor(THISDCOS_DOMAIN, 5);
  const serverOptions: WireDnsServerOptions = {
    listen: config.dns.listen,
    zone,
    extraZones: [thisDcos],
    resolvers: config.dns.resolvers,
    resolverTimeoutMs: config.dns.resolverTimeoutMs,
    mode: 'gatehouse',
  };
  let sink: ZoneSink;
  let start: () => Promise<{ udpPort: number; tcpPort: number }>;
  let workers: DnsWorkers | null = null;
  if (config.dns.workers > 1) {
    const pool = new DnsWorkers({
      count: config.dns.workers,
      server: serverOptions,
      logger,
      log: { level: config.log.level, pretty: parts.pretty },
      registry,
      // One policy per process (Node freezes it at the first fork): the gateway's.
      accept: config.gateway.accept,
    });
    lifecycle.onStop('dns workers', () => pool.close());
    workers = pool;
    sink = pool;
    start = () => pool.start();
  } else {
    const server = new DnsServer({ ...serverOptions, logger, registry });
    lifecycle.onStop('dns server', () => server.close());
    sink = server;
    start = async () => {
      await server.start();
      return server.address();
    };
  }

  const nsIps = nameServerIps(config.dns.listen.host);
  const publisher = new RecordPublisher({
    feed: store,
    sinks: [sink],
    recordOptions: {
      domain: config.dns.domain,
      ipSources: config.dns.ipSources,
      enforceRFC952: config.dns.enforceRFC952,
      soaMname: zone.soaMname,
      nsIps,
      healthyOnly: config.dns.healthyOnly,
    },
    logger,
    withdrawWhenUnusable: true,
    keepRecords: false,
  });
  publisher.start();
  lifecycle.onStop('dns records', () => publisher.close());

  const vipRange = config.mesh.enabled ? config.mesh.vipRange : null;
  const zoneSink = sink;
  const thisDcosPublisher = new RecordPublisher({
    feed: store,
    sinks: [
      {
        setRecords: (records, serial, generation) => zoneSink.setZoneRecords(THISDCOS_DOMAIN, records, serial, generation),
        setUnavailable: () => undefined,
      },
    ],
    recordOptions: { domain: THISDCOS_DOMAIN, ipSources: config.dns.ipSources, enforceRFC952: false, soaMname: thisDcos.soaMname, nsIps },
    build: (snapshot) =>
      buildThisDcosRecordSet(snapshot, { vips: vipRange ? buildVipTable(snapshot, { range: vipRange }) : null, soaMname: thisDcos.soaMname, nsIps }),
    logger: logger.child({ zone: THISDCOS_DOMAIN }),
    withdrawWhenUnusable: false,
    keepRecords: false,
    rebuildLogLevel: 'debug',
  });
  thisDcosPublisher.start();
  lifecycle.onStop('dns records (thisdcos.directory)', () => thisDcosPublisher.close());

  // Workers are started with the records built so far (none before the first snapshot).
  const address = await start();

  let httpPort: number | null = null;
  if (config.dns.http) {
    const api = createMesosDnsHttpHandler({
      records: () => {
        const names = zoneSink.records();
        return names && { names, enumerate: () => publisher.enumerate() };
      },
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
      if (req.url === '/v1/workers') return workersEndpoint(workers, res);
      api(req, res);
    });
    lifecycle.onStop('dns http api', () => http.close());
    httpPort = http.port;
  }
  return { address, httpPort, workers };
}

/** `GET /v1/workers`: what each DNS worker serves (404 with DNS in the main process). */
export function workersEndpoint(workers: DnsWorkers | null, res: import('node:http').ServerResponse): void {
  res.writeHead(workers ? 200 : 404, { 'content-type': 'application/json' });
  res.end(JSON.stringify(workers ? workers.status() : { error: 'DNS is served by the main process (dns.workers: 1)' }));
}
