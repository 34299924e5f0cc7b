// Polls the Mesos masters' `GET /master/state` (and optionally Marathon) and publishes whole
// snapshots. The last known leader is asked first; a master that is down, hangs, answers 500 or
// garbage is skipped for the next; when every master fails the store keeps the last good snapshot.
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { Counter } from 'prom-client';
import { fetchJsonWithDigest } from './bounded-fetch.js';
import { ClusterError } from './errors.js';
import { parseMarathonApps, withMarathon, type MarathonView } from './marathon.js';
import { parseMasterState } from './parse-state.js';
import { parsePid } from './process-address.js';
import type { HostResolver } from './resolve-host.js';
import { MarathonEventFollower } from './marathon-events.js';
import type { SourceKind } from './snapshot.js';
import type { ClusterSource } from './source.js';
import type { ClusterStore } from './store.js';

export interface MesosSourceOptions {
  readonly masters: readonly string[];     // base URLs, e.g. http://10.0.0.1:5050
  readonly marathon: string | null;
  readonly refreshMs: number;
  readonly timeoutMs: number;
  readonly store: ClusterStore;
  readonly logger: Logger;
  readonly registry?: Registry;
  readonly userAgent?: string;
  readonly maxBytes?: number;
  readonly resolveHost?: HostResolver;
  /** Tests and embedders may bring their own fetch; Node's global one otherwise. */
  readonly fetch?: typeof fetch;
  /** What snapshots say they came from (`local` when reading the embedded cluster). */
  readonly kind?: SourceKind;
  /** Follow Marathon's `/v2/events` stream and refresh on every event (default: when marathon is set). */
  readonly followEvents?: boolean;
}

const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;

export class MesosSource implements ClusterSource {
  readonly #options: MesosSourceOptions;
  readonly #masters: string[];
  #leader: string | null = null;
  #marathon: { view: MarathonView; digest: string } | null = null;
  #timer: NodeJS.Timeout | null = null;
  #closed = false;
  #inFlight: Promise<boolean> | null = null;
  #again = false;
  /** Digest of the documents behind the last published snapshot: the same bytes only confirm it. */
  #published = '';
  #events: MarathonEventFollower | null = null;
  readonly #marathonFailures: Counter;

  constructor(options: MesosSourceOptions) {
    if (options.masters.length === 0) throw new ClusterError('ERR_CLUSTER_CONFIG', 'mesos source: masters must list at least one master URL');
    this.#masters = options.masters.map((url) => {
      try {
        return new URL(url).origin;
      } catch {
        throw new ClusterError('ERR_CLUSTER_CONFIG', `mesos source: "${url}" is not a master URL`);
      }
    });
    if (!(options.refreshMs > 0) || !(options.timeoutMs > 0)) throw new ClusterError('ERR_CLUSTER_CONFIG', 'mesos source: refresh and timeout must be positive');
    this.#options = options;
    this.#marathonFailures = new Counter({ name: 'gatehouse_cluster_marathon_failures_total', help: 'Marathon app fetches that failed (the last good apps kept)', registers: options.registry ? [options.registry] : [] });
  }

  async start(): Promise<void> {
    await this.refresh();
    this.#schedule();
    const { marathon, followEvents, logger } = this.#options;
    if (marathon && followEvents !== false && !this.#closed) {
      this.#events = new MarathonEventFollower({ url: marathon, logger, onEvent: () => this.#refreshSoon(), ...(this.#options.fetch ? { fetch: this.#options.fetch } : {}) });
      this.#events.start();
    }
  }

  // Events come in bursts (staging, starting, running); one fetch after the burst covers them, and an
  // event during a fetch earns one more fetch so that nothing is missed.
  #refreshSoon(): void {
    if (this.#inFlight) {
      this.#again = true;
      return;
    }
    setTimeout(() => {
      void this.refresh().finally(() => {
        if (this.#again) {
          this.#again = false;
          this.#refreshSoon();
        }
      });
    }, 20).unref();
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#events?.close();
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#inFlight?.catch(() => undefined);
  }

  refresh(): Promise<boolean> {
    // Never two fetches at once: a slow master must not pile up requests against itself.
    this.#inFlight ??= this.#fetchOnce().finally(() => (this.#inFlight = null));
    return this.#inFlight;
  }

  #schedule(): void {
    if (this.#closed) return;
    this.#timer = setTimeout(() => {
      void this.refresh().finally(() => this.#schedule());
    }, this.#options.refreshMs);
    this.#timer.unref();
  }

  #candidates(): string[] {
    const order = this.#leader ? [this.#leader, ...this.#masters] : [...this.#masters];
    return [...new Set(order)];
  }

  async #fetchOnce(): Promise<boolean> {
    const { store, logger } = this.#options;
    const failures: string[] = [];
    const tried = new Set<string>();
    const queue = this.#candidates();
    while (queue.length > 0) {
      const base = queue.shift()!;
      if (tried.has(base)) continue;
      tried.add(base);
      const fetchedAt = Date.now();
      try {
        const { value: doc, digest } = await this.#get(`${base}/master/state`);
        const leaderBase = this.#leaderBase(doc, base);
        if (leaderBase && leaderBase !== base) {
          // A master that does not lead knows no tasks; publishing its state would empty the zone.
          if (tried.has(leaderBase)) throw new ClusterError('ERR_CLUSTER_NOT_LEADER', `${base}: not the leader, and the leader it names (${leaderBase}) failed`);
          logger.debug({ asked: base, leader: leaderBase }, 'master is not the leader; asking the leader');
          queue.unshift(leaderBase);
          continue;
        }
        const marathon = await this.#marathonView();
        if (this.#closed) return false;
        const documents = `${base} ${digest} ${marathon?.digest ?? '-'}`;
        this.#leader = base;
        // Masters are polled every few seconds and mostly nothing changed: confirm, do not rebuild.
        if (documents === this.#published) {
          store.confirm(fetchedAt);
          return true;
        }
        let data = await parseMasterState(doc, {
          source: { kind: this.#options.kind ?? 'mesos', origin: `${base}/master/state` },
          fetchedAt,
          masters: this.#masters,
          ...(this.#options.resolveHost ? { resolveHost: this.#options.resolveHost } : {}),
        });
        if (marathon) data = withMarathon(data, marathon.view);
        if (this.#closed) return false;
        store.publish(data);
        this.#published = documents;
        return true;
      } catch (error) {
        failures.push(error instanceof Error ? error.message : String(error));
      }
    }
    if (!this.#closed) store.fail(this.#masters.join(', '), new ClusterError('ERR_CLUSTER_FETCH_FAILED', failures.join('; ')), this.#options.kind ?? 'mesos');
    return false;
  }

  #leaderBase(doc: unknown, base: string): string | null {
    const leader = parsePid((doc as { leader?: unknown } | null)?.leader);
    if (!leader) return null;
    const url = new URL(base);
    const host = leader.host.includes(':') ? `[${leader.host}]` : leader.host;
    return `${url.protocol}//${host}:${leader.port}`;
  }

  async #marathonView(): Promise<{ view: MarathonView; digest: string } | null> {
    const { marathon, logger } = this.#options;
    if (!marathon) return null;
    const url = `${marathon.replace(/\/+$/, '')}/v2/apps?embed=apps.tasks`;
    try {
      const { value, digest } = await this.#get(url);
      this.#marathon = { view: parseMarathonApps(value), digest };
    } catch (error) {
      this.#marathonFailures.inc();
      logger.warn({ url, reason: error instanceof Error ? error.message : String(error) }, 'Marathon fetch failed; keeping the last good apps');
    }
    return this.#marathon;
  }

  #get(url: string): Promise<{ value: unknown; digest: string }> {
    return fetchJsonWithDigest(url, {
      timeoutMs: this.#options.timeoutMs,
      maxBytes: this.#options.maxBytes ?? DEFAULT_MAX_BYTES,
      headers: { accept: 'application/json', 'user-agent': this.#options.userAgent ?? 'Gatehouse' },
      ...(this.#options.fetch ? { fetch: this.#options.fetch } : {}),
    });
  }
}
