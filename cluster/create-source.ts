// Picks the source the config asks for. The embedded cluster (`local`) is loaded only when asked
// for, so that the other sources never pay for it.
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { ClusterConfig } from '../config/index.js';
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
      const { createLocalSource } = await import('./local/index.js');
      return createLocalSource(config, deps);
    }
  }
}
