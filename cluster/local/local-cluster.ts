// The whole embedded cluster on one machine: a master, its agents (each with its own HTTP endpoint)
// and the Marathon-style scheduler, fed by app definitions. Everything it knows is served over the
// real Mesos and Marathon HTTP APIs; nothing downstream reads it any other way.
import { networkInterfaces } from 'node:os';
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { LocalClusterError } from './errors.js';
import { createAgentHttpServer } from './api/agent-api.js';
import { LocalAgent } from './agent/agent.js';
import { AppVersions } from './apps/app-versions.js';
import { VersionedApps, type AppSupply } from './apps/versioned-apps.js';
import { createClusterHttpServer } from './api/cluster-api.js';
import { detectIsolation, type Isolation } from './agent/isolation.js';
import { LocalMaster } from './master/master.js';
import { splitRanges, type Resources } from './master/resources.js';
import { claimWorkDir, type WorkDirClaim } from './work-dir-owner.js';
import { LocalScheduler } from './scheduler/scheduler.js';

export type { AppSupply } from './apps/versioned-apps.js';

export interface LocalClusterOptions {
  readonly apps: AppSupply;
  readonly agents: number;
  readonly workDir: string;
  readonly listen: { readonly host: string; readonly port: number };
  /** The agents' address in the state (and so in DNS); default: the listen host, or for a wildcard this machine's first non-loopback address. */
  readonly advertise?: string | null;
  /** Per agent; `ports` is the host's range, split between the agents (they share one network). */
  readonly resources: Resources;
  readonly isolation: 'auto' | 'none';
  readonly logger: Logger;
  readonly clusterName?: string;
  readonly allocationIntervalMs?: number;
  /** How long an offer stays out before the master rescinds it (Mesos: --offer_timeout). */
  readonly offerTimeoutMs?: number;
  /** Finished tasks the state keeps per framework (Mesos: --max_completed_tasks_per_framework). */
  readonly maxCompletedTasks?: number;
  readonly backoffResetMs?: number;
  /** Sandboxes of earlier runs are kept this long for post-mortems, then removed at start (Mesos: gc_delay). */
  readonly sandboxKeepMs?: number;
  /** How often agents measure tasks' memory when no cgroup limits it. */
  readonly watchdogMs?: number;
}

export class LocalCluster {
  readonly #options: LocalClusterOptions;
  #master: LocalMaster | null = null;
  #scheduler: LocalScheduler | null = null;
  #apps: VersionedApps | null = null;
  #isolation: Isolation | null = null;
  #claim: WorkDirClaim | null = null;
  readonly #agents: LocalAgent[] = [];
  readonly #servers: Server[] = [];
  #unsubscribe: (() => void) | null = null;
  #url = '';

  constructor(options: LocalClusterOptions) {
    if (!Number.isInteger(options.agents) || options.agents < 1)
      throw new LocalClusterError(
        'ERR_CLUSTER_LOCAL_OPTIONS',
        `cluster.local.agents must be a whole number of at least 1 (got ${options.agents})`,
      );
    if (options.resources.ports.length > 0 && splitRanges(options.resources.ports, options.agents).some((r) => r.length === 0))
      throw new LocalClusterError(
        'ERR_CLUSTER_LOCAL_OPTIONS',
        `cluster.local.resources.ports has fewer ports than there are agents (${options.agents})`,
      );
    this.#options = options;
  }

  /** Base URL of the master's Mesos and Marathon API, once started. */
  get url(): string {
    return this.#url;
  }

  get master(): LocalMaster {
    if (!this.#master) throw new LocalClusterError('ERR_CLUSTER_LOCAL_NOT_STARTED', 'the local cluster is not started');
    return this.#master;
  }

  get scheduler(): LocalScheduler {
    if (!this.#scheduler) throw new LocalClusterError('ERR_CLUSTER_LOCAL_NOT_STARTED', 'the local cluster is not started');
    return this.#scheduler;
  }

  /** The apps with their Marathon versions (and version history). */
  get apps(): VersionedApps {
    if (!this.#apps) throw new LocalClusterError('ERR_CLUSTER_LOCAL_NOT_STARTED', 'the local cluster is not started');
    return this.#apps;
  }

  get agents(): readonly LocalAgent[] {
    return this.#agents;
  }

  get isolation(): Isolation | null {
    return this.#isolation;
  }

  async start(): Promise<void> {
    const { logger, listen } = this.#options;
    // The master's own API stays on its listen address (Gatehouse reads it back there); the agents,
    // and so the tasks in DNS and the state, are published under the advertised address.
    const advertised = listen.host === '0.0.0.0' || listen.host === '::' ? '127.0.0.1' : listen.host;
    this.#claim = await claimWorkDir(this.#options.workDir, logger);
    const agentAddress = this.#options.advertise ?? advertisedAddress(listen.host);
    await removeOldSandboxes(join(this.#options.workDir, 'slaves'), this.#options.sandboxKeepMs ?? 86_400_000, logger);
    this.#isolation = await detectIsolation({ mode: this.#options.isolation, cgroupName: `gatehouse-${process.pid}` });
    logger.info({ isolation: this.#isolation.describe() }, `task isolation: ${this.#isolation.describe()}`);
    const master = new LocalMaster({
      logger,
      ip: advertised,
      ...(this.#options.allocationIntervalMs ? { allocationIntervalMs: this.#options.allocationIntervalMs } : {}),
      ...(this.#options.offerTimeoutMs ? { offerTimeoutMs: this.#options.offerTimeoutMs } : {}),
      ...(this.#options.maxCompletedTasks ? { maxCompletedTasks: this.#options.maxCompletedTasks } : {}),
    });
    this.#master = master;
    const scheduler = new LocalScheduler({
      master,
      logger: logger.child({ component: 'scheduler' }),
      host: agentAddress,
      webuiUrl: '',
      ...(this.#options.backoffResetMs ? { backoffResetMs: this.#options.backoffResetMs } : {}),
    });
    this.#scheduler = scheduler;
    // Versions are the app files' history, kept in the work dir so that they outlive a restart.
    const apps = new VersionedApps(this.#options.apps, await AppVersions.load(join(this.#options.workDir, 'marathon', 'app-versions.json'), logger));
    this.#apps = apps;
    const masterServer = createClusterHttpServer({
      master, scheduler, apps, logger, appsDir: 'the app files', clusterName: this.#options.clusterName ?? 'gatehouse', workDir: this.#options.workDir,
      operator: { logger: logger.child({ component: 'operator-api' }) },
    });
    this.#servers.push(masterServer);
    master.port = await listenOn(masterServer, listen.host, listen.port, 'cluster.local.http');
    this.#url = `http://${advertised.includes(':') ? `[${advertised}]` : advertised}:${master.port}`;
    // Marathon's web UI and API are this same port (the gateway's /marathon/ finds it here).
    scheduler.webuiUrl = this.#url;
    const portSlices = this.#options.resources.ports.length ? splitRanges(this.#options.resources.ports, this.#options.agents) : [];
    for (let i = 0; i < this.#options.agents; i++) {
      const agent = new LocalAgent({
        id: master.nextAgentId(),
        hostname: agentAddress,
        ip: agentAddress,
        resources: { ...this.#options.resources, ports: portSlices[i] ?? [] },
        workDir: this.#options.workDir,
        isolation: this.#isolation,
        logger: logger.child({ agent: i }),
        onStatus: (update) => master.statusUpdate(update),
        ...(this.#options.watchdogMs ? { watchdogMs: this.#options.watchdogMs } : {}),
      });
      const server = createAgentHttpServer(agent, master);
      this.#servers.push(server);
      // Published under another address than the master's (which may not even be this machine's, as a
      // Docker host's address inside a container): the agent answers on every interface.
      agent.port = await listenOn(server, agentAddress === advertised ? listen.host : agentAddress.includes(':') ? '::' : '0.0.0.0', 0, `agent ${i}`);
      this.#agents.push(agent);
      master.registerAgent(agent);
    }
    master.start();
    await apps.start();
    scheduler.setApps(apps.apps());
    this.#unsubscribe = apps.subscribe((list) => scheduler.setApps(list));
    logger.info({ url: this.#url, agents: this.#agents.length }, 'embedded cluster started (Mesos and Marathon API)');
  }

  async close(): Promise<void> {
    this.#unsubscribe?.();
    await (this.#apps ?? this.#options.apps).close().catch(() => undefined);
    this.#scheduler?.close();
    await Promise.all(this.#agents.map((agent) => agent.close()));
    this.#master?.close();
    for (const server of this.#servers) server.closeAllConnections();
    await Promise.all(this.#servers.map((server) => new Promise((resolve) => server.close(resolve))));
    await this.#isolation?.cgroups.close();
    await this.#claim?.release();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

async function removeOldSandboxes(dir: string, keepMs: number, logger: Logger): Promise<void> {
  const entries = await readdir(dir).catch(() => [] as string[]);
  let removed = 0;
  for (const entry of entries) {
    const info = await stat(join(dir, entry)).catch(() => null);
    if (info && Date.now() - info.mtimeMs > keepMs) {
      await rm(join(dir, entry), { recursive: true, force: true });
      removed++;
    }
  }
  if (removed > 0) logger.info({ dir, removed }, 'removed sandboxes of earlier runs');
}

async function listenOn(server: Server, host: string, port: number, what: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    const failed = (error: Error): void =>
      reject(
        new LocalClusterError(
          'ERR_CLUSTER_LOCAL_LISTEN',
          `${what}: cannot listen on ${host}:${port} (${(error as NodeJS.ErrnoException).code ?? error.message})`,
          { cause: error },
        ),
      );
    server.once('error', failed);
    server.listen(port, host, () => {
      server.off('error', failed);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}

/**
 * The address tasks are published under when none is configured. A specific listen host is it; a
 * wildcard (a container's config) means "reachable from outside", so this machine's first
 * non-loopback address, which the Docker host and other containers reach, rather than 127.0.0.1.
 */
export function advertisedAddress(listenHost: string): string {
  if (listenHost !== '0.0.0.0' && listenHost !== '::') return listenHost;
  const wanted = listenHost === '::' ? ['IPv6', 'IPv4'] : ['IPv4'];
  for (const family of wanted) {
    for (const addresses of Object.values(networkInterfaces())) {
      const found = addresses?.find((a) => !a.internal && a.family === family && !a.address.startsWith('fe80:'));
      if (found) return found.address;
    }
  }
  return '127.0.0.1';
}
