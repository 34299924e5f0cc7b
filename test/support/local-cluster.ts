// Starts an embedded cluster for a test: temp work dir, ephemeral ports, a quiet logger. Task ports
// come from 20000-20199 by default: below Linux's ephemeral range, and apart from the ranges of the
// other test files (20200-20999, each file a range of its own) and of the shipped config (31000-32000, the quick-start test).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { LocalCluster, type LocalClusterOptions } from '../../cluster/local/local-cluster.js';
import { parsePortRanges } from '../../cluster/local/master/resources.js';
import type { AppDefinition } from '../../cluster/local/apps/app-definition.js';
import { MemoryApps } from './local-apps.js';

export interface TestCluster {
  readonly cluster: LocalCluster;
  readonly apps: MemoryApps;
  readonly url: string;
  get<T = any>(path: string): Promise<T>;
  close(): Promise<void>;
}

export async function startTestCluster(
  apps: readonly AppDefinition[],
  options: Partial<Omit<LocalClusterOptions, 'resources'>> & {
    resources?: { cpus?: number; mem?: number; disk?: number; ports?: string };
  } = {},
): Promise<TestCluster> {
  const ownWorkDir = options.workDir === undefined;
  const workDir = options.workDir ?? (await mkdtemp(join(tmpdir(), 'gatehouse-local-')));
  // The sandboxes go with the cluster when the work dir is ours (a caller's dir is the caller's to remove).
  const close = async (): Promise<void> => {
    await cluster.close();
    if (ownWorkDir) await rm(workDir, { recursive: true, force: true });
  };
  const supply = new MemoryApps(apps);
  const { resources, ...rest } = options;
  const cluster = new LocalCluster({
    apps: supply,
    agents: 1,
    workDir,
    listen: { host: '127.0.0.1', port: 0 },
    isolation: 'auto',
    logger: pino({ level: process.env['TEST_LOG'] ?? 'silent' }),
    backoffResetMs: 60_000,
    ...rest,
    resources: {
      cpus: resources?.cpus ?? 2,
      mem: resources?.mem ?? 2048,
      disk: resources?.disk ?? 1024,
      ports: parsePortRanges(resources?.ports ?? '20000-20199'),
    },
  });
  try {
    await cluster.start();
  } catch (error) {
    await close();
    throw error;
  }
  return {
    cluster,
    apps: supply,
    url: cluster.url,
    async get(path) {
      const response = await fetch(`${cluster.url}${path}`);
      return (await response.json()) as never;
    },
    close,
  };
}
