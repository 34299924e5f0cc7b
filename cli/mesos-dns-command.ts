// `gatehouse mesos-dns -config FILE`: a drop-in Mesos-DNS. Same config.json, same names, answers and
// HTTP API; a failed reload keeps the previous records and serial, and stale data is served
// indefinitely. Like Mesos-DNS it keeps retrying the masters every refreshSeconds until one answers;
// unlike it, DNS and HTTP listen at once: zone names get SERVFAIL (never a cacheable NXDOMAIN) until
// the first state arrives, and other names are forwarded meanwhile. `-workers N|auto` (default auto)
// answers from that many DNS worker processes (cli/dns-workers.ts), as Mesos-DNS answers on every core.
import { readFile } from 'node:fs/promises';
import { resolve as resolvePath } from 'node:path';
import { Registry } from 'prom-client';
import type { Logger } from 'pino';
import { ClusterStore, MesosSource, type Snapshot } from '../cluster/index.js';
import { ConfigError } from '../config/index.js';
import { Lifecycle } from '../core/index.js';
import {
  DnsServer, RecordPublisher, createMesosDnsHttpHandler, parseMesosDnsConfig, parseUpstreams, mesosDnsConfigJson,
  type MesosDnsConfig, type RecordLookup, type RecordSink,
} from '../dns/index.js';
import { machineCapacity } from '../config/index.js';
import { parseCommandArgs, UsageError } from './arguments.js';
import { workersEndpoint } from './dns-setup.js';
import type { WireDnsServerOptions } from './dns-worker-protocol.js';
import { DnsWorkers, type DnsWorkersOptions } from './dns-workers.js';
import { EXIT_OK } from './exit-codes.js';
import { compactHeapAfterWork, keepYoungGenerationSmall } from './heap-limits.js';
import { nameServerIps } from './dns-zone.js';
import { listenHttp } from './http-listener.js';
import { createLogger, wantsPretty } from './logger.js';
import { resolvConfResolvers } from './resolv-conf.js';
import { untilStopSignal } from './stop-signal.js';
import { VERSION } from './version.js';

export async function mesosDnsCommand(args: readonly string[]): Promise<number> {
  const { values } = parseCommandArgs('mesos-dns', args, {
    config: { type: 'string', default: 'config.json' },
    version: { type: 'boolean' },
    v: { type: 'string' },
    pretty: { type: 'boolean' },
    workers: { type: 'string', default: 'auto' },
  });
  if (values.version) {
    process.stdout.write(`${VERSION}\n`);
    return EXIT_OK;
  }
  const file = resolvePath(expandHome(values.config as string));
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new ConfigError([{ file, line: 1, col: 1, path: '', message: `cannot read the config file (${reason})` }]);
  }
  const workers = parseWorkers(values.workers as string);
  keepYoungGenerationSmall();
  const { config, warnings } = parseMesosDnsConfig(text, file);
  const verbosity = Number(values.v ?? 0);
  const log = { level: verbosity >= 2 ? 'trace' : verbosity === 1 ? 'debug' : 'info', pretty: wantsPretty(values.pretty as boolean | undefined) } as const;
  const logger = createLogger(log);
  for (const warning of warnings) logger.warn({ file }, warning);

  const stopped = untilStopSignal();
  const running = await startMesosDns(config, logger, { workers, log });
  const signal = await stopped;
  logger.info({ signal }, 'stopping');
  await running.close();
  return EXIT_OK;
}

/**
 * `-workers N|auto` (not a Mesos-DNS flag; default auto): processes answering DNS. Mesos-DNS (Go)
 * answers on every core, so the drop-in does too by default; `auto` counts the cores the cgroup allows.
 */
function parseWorkers(text: string): number {
  if (text === 'auto') return machineCapacity().cpuCount;
  const count = Number(text);
  if (!Number.isInteger(count) || count < 1 || count > 256)
    throw new UsageError(`gatehouse mesos-dns: -workers must be auto or a whole number 1..256 (got ${JSON.stringify(text)})`);
  return count;
}

function expandHome(path: string): string {
  const home = process.env['HOME'] ?? process.env['USERPROFILE'];
  return path.startsWith('~/') && home ? `${home}${path.slice(1)}` : path;
}

interface MesosDnsRunOptions {
  readonly workers: number;
  readonly log: DnsWorkersOptions['log'];
}

async function startMesosDns(config: MesosDnsConfig, logger: Logger, options: MesosDnsRunOptions): Promise<{ close(): Promise<void> }> {
  const lifecycle = new Lifecycle(logger);
  const close = async () => {
    await lifecycle.stop();
  };
  try {
    const registry = new Registry();
    // Mesos-DNS never stops serving what it has: no staleness limit.
    const store = new ClusterStore({ staleAfterMs: Number.MAX_SAFE_INTEGER - 1, unusableAfterMs: Number.MAX_SAFE_INTEGER, logger, registry });
    const scheme = config.mesosHTTPSOn ? 'https' : 'http';
    const source = new MesosSource({
      masters: config.masters.map((master) => `${scheme}://${master}`),
      marathon: null,
      refreshMs: config.refreshSeconds * 1000,
      timeoutMs: config.stateTimeoutSeconds * 1000,
      store,
      logger,
      registry,
      userAgent: 'Mesos-DNS',
    });
    lifecycle.onStop('mesos source', () => source.close());

    const unsubscribe = store.subscribe((snapshot: Snapshot) => {
      unsubscribe();
      logger.info({ generation: snapshot.generation }, 'first state received from the masters; the zone is served');
    });
    lifecycle.onStop('first-state notice', unsubscribe);
    // Each new state leaves the heap at its high-water mark: given back once quiet (cli/heap-limits.ts).
    const compaction = compactHeapAfterWork();
    const stopCompacting = store.subscribe(() => compaction.afterWork());
    lifecycle.onStop('heap compaction', () => {
      stopCompacting();
      compaction.close();
    });

    const zone = {
      domain: config.domain,
      ttl: config.ttl,
      soaMname: config.soaMname,
      soaRname: config.soaRname,
      soaRefresh: config.soaRefresh,
      soaRetry: config.soaRetry,
      soaExpire: config.soaExpire,
      srvWeight: config.srvRecordDefaultWeight,
      recurse: config.recurseOn,
      setTruncateBit: config.setTruncateBit,
    };
    const sinks: RecordSink[] = [];
    /** The records as DNS serves them, for the HTTP API; null: no DNS server, the publisher keeps its own. */
    let served: (() => RecordLookup | null) | null = null;
    let server: { start(): Promise<unknown>; close(): Promise<void>; address(): unknown } | null = null;
    let workers: DnsWorkers | null = null;
    if (config.dnsOn) {
      const resolvers = !config.externalOn ? [] : config.resolvers.length > 0 ? config.resolvers : await resolvConfResolvers();
      const serverOptions: WireDnsServerOptions = {
        listen: { host: config.listener, port: config.port },
        zone,
        resolvers,
        zoneResolvers: config.externalOn
          ? Object.entries(config.zoneResolvers).map(([zone, list]) => ({ zone: zone.replace(/\.$/, ''), upstreams: parseUpstreams(list, () => undefined) }))
          : [],
        resolverTimeoutMs: config.timeout * 1000,
        mode: 'mesos-dns',
      };
      if (options.workers > 1) {
        let address: { udpPort: number; tcpPort: number } | null = null;
        const pool = new DnsWorkers({ count: options.workers, server: serverOptions, logger, log: options.log, registry, accept: 'shared' });
        workers = pool;
        sinks.push(pool);
        served = () => pool.records();
        server = {
          start: async () => (address = await pool.start()),
          close: () => pool.close(),
          address: () => (address ? { host: config.listener, ...address, workers: options.workers } : null),
        };
      } else {
        const single = new DnsServer({ ...serverOptions, logger, registry });
        sinks.push(single);
        served = () => single.records();
        server = single;
      }
    }
    const publisher = new RecordPublisher({
      feed: store,
      sinks,
      recordOptions: {
        domain: config.domain,
        ipSources: config.ipSources,
        enforceRFC952: config.enforceRFC952,
        soaMname: config.soaMname,
        nsIps: nameServerIps(config.listener),
        masters: config.masters,
      },
      logger,
      withdrawWhenUnusable: false,
      // With a DNS server the records are read back from its answers: a second copy is 13 MB at 10,000 tasks.
      keepRecords: served === null,
    });
    publisher.start();
    lifecycle.onStop('dns records', () => publisher.close());
    if (server) {
      const dns = server;
      lifecycle.onStop('dns server', () => dns.close());
      await dns.start();
    }
    let httpPort: number | null = null;
    if (config.httpOn) {
      const handler = createMesosDnsHttpHandler({
        records: () => {
          if (!served) return publisher.records;
          const names = served();
          return names && { names, enumerate: () => publisher.enumerate() };
        },
        config: () => mesosDnsConfigJson(config, publisher.serial),
        serial: () => publisher.serial,
        zone: { domain: config.domain, ttl: config.ttl, refreshSeconds: config.refreshSeconds, mname: config.soaMname, rname: config.soaRname },
        version: VERSION,
        enumerationOn: config.enumerationOn,
      });
      const http = await listenHttp('HTTPListener/HttpPort', { host: config.httpListener, port: config.httpPort }, (req, res) =>
        req.url === '/v1/workers' ? workersEndpoint(workers, res) : handler(req, res),
      );
      lifecycle.onStop('http api', () => http.close());
      httpPort = http.port;
    }
    // The first fetch: when no master answers, the source retries every refreshSeconds on its own.
    await source.start();
    logger.info({ dns: server?.address() ?? null, httpPort, masters: config.masters, state: store.current ? 'received' : 'none yet' }, 'mesos-dns is serving');
    if (!store.current)
      logger.warn(
        { masters: config.masters, retryInSeconds: config.refreshSeconds },
        'no master answered yet; zone names get SERVFAIL until one does',
      );
    return { close };
  } catch (error) {
    await close();
    throw error;
  }
}
