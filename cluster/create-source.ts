// Picks the source the config asks for. `local` is the seam for the embedded cluster (issue #5),
// loaded only when it exists so that the other sources never pay for it.
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { ClusterConfig } from '../config/types.js';
import { ClusterError } from './errors.js';
import { FileSource } from './file-source.js';
import { MesosSource } from './mesos-source.js';
import type { ClusterSource } from './source.js';
import type { ClusterStore } from './store.js';

export interface SourceDependencies {
  readonly store: ClusterStore;
  readonly logger: Logger;
  readonly registry?: Registry;
}

export async function createSource(config: ClusterConfig, deps: SourceDependencies): Promise<ClusterSource> {
  switch (config.source) {
    case 'mesos':
      return new MesosSource({ ...config.mesos, ...deps });
    case 'file':
      return new FileSource({ path: config.file.path, store: deps.store, logger: deps.logger });
    case 'local': {
      const local = await import(/* the embedded cluster, when built */ './local/index.js' as string).catch(() => null);
      if (!local?.createLocalSource) {
        throw new ClusterError('ERR_CLUSTER_LOCAL_UNAVAILABLE', 'cluster.source: local: the embedded cluster is not part of this build yet; use cluster.source: file or mesos');
      }
      return local.createLocalSource(config, deps) as ClusterSource;
    }
  }
}
