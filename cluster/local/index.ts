// The embedded cluster: what other areas may import. `createLocalSource` is what
// `cluster.source: local` runs (loaded by create-source.ts).
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { ClusterConfig } from '../../config/index.js';
import type { ClusterStore } from '../store.js';
import { AppCatalog } from './apps/app-catalog.js';
import { LocalSource } from './local-source.js';
import { parsePortRanges } from './master/resources.js';

export { LocalClusterError, type LocalClusterErrorCode } from './errors.js';
export { LocalCluster, type LocalClusterOptions, type AppSupply } from './local-cluster.js';
export { LocalSource, type LocalSourceOptions } from './local-source.js';
export { AppCatalog, type AppCatalogOptions } from './apps/app-catalog.js';
export { loadAppFiles } from './apps/app-files.js';
export { parseAppFile, formatAppProblem, isAppError } from './apps/app-definition.js';
export type * from './apps/app-definition.js';

export function createLocalSource(config: ClusterConfig, deps: { store: ClusterStore; logger: Logger; registry?: Registry }): LocalSource {
  const { local } = config;
  return new LocalSource({
    apps: new AppCatalog({ dir: local.apps, logger: deps.logger.child({ component: 'apps' }), ...(deps.registry ? { registry: deps.registry } : {}) }),
    agents: local.agents,
    workDir: local.workDir,
    listen: local.http,
    advertise: local.advertise,
    resources: { cpus: local.resources.cpus, mem: local.resources.mem, disk: local.resources.disk, ports: parsePortRanges(local.resources.ports) },
    isolation: local.isolation,
    clusterName: local.name,
    logger: deps.logger,
    store: deps.store,
    ...(deps.registry ? { registry: deps.registry } : {}),
  });
}
