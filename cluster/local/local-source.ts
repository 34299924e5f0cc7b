// `cluster.source: local`: starts the embedded cluster and reads it back through the same `mesos`
// source (and Marathon merge and event stream) that reads a real Mesos + Marathon cluster, so the
// snapshot downstream cannot tell them apart except by `source.kind`.
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { MesosSource } from '../mesos-source.js';
import type { ClusterSource } from '../source.js';
import type { ClusterStore } from '../store.js';
import { LocalCluster, type LocalClusterOptions } from './local-cluster.js';

export interface LocalSourceOptions extends LocalClusterOptions {
  readonly store: ClusterStore;
  readonly registry?: Registry;
  /** Polling interval behind the event stream (a safety net; events arrive at once). */
  readonly refreshMs?: number;
}

export class LocalSource implements ClusterSource {
  readonly cluster: LocalCluster;
  readonly #options: LocalSourceOptions;
  #reader: MesosSource | null = null;

  constructor(options: LocalSourceOptions) {
    this.#options = options;
    this.cluster = new LocalCluster(options);
  }

  async start(): Promise<void> {
    await this.cluster.start();
    const { store, logger, registry } = this.#options;
    this.#reader = new MesosSource({
      masters: [this.cluster.url],
      marathon: this.cluster.url,
      refreshMs: this.#options.refreshMs ?? 2000,
      timeoutMs: 5000,
      store,
      logger: logger as Logger,
      kind: 'local',
      ...(registry ? { registry } : {}),
    });
    await this.#reader.start();
  }

  refresh(): Promise<boolean> {
    return this.#reader?.refresh() ?? Promise.resolve(false);
  }

  async close(): Promise<void> {
    await this.#reader?.close();
    await this.cluster.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
