// Follows the Mesos masters and publishes whole snapshots. The leader's v1 operator API stream
// (SUBSCRIBE) brings every change as it happens; `GET /master/state` is polled when the stream is
// refused (an old Mesos) or broken, until it can be subscribed again. The last known leader is asked
// first; a master that is down, hangs, answers 500 or garbage is skipped for the next; when every
// master fails the store keeps the last good snapshot. Marathon (optional) adds app ids and health.
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { Counter } from 'prom-client';
import { fetchBytesWithDigest, fetchJsonWithDigest, type BoundedFetchOptions } from './bounded-fetch.js';
import { ClusterError } from './errors.js';
import { parseMarathonApps, withMarathon, type MarathonView } from './marathon.js';
import { parseMasterState } from './parse-state.js';
import { parsePid } from './process-address.js';
import { readStateDocument, type StateDocument } from './state-scan.js';
import type { HostResolver } from './resolve-host.js';
import { MarathonEventFollower } from './marathon-events.js';
import { MesosStreamFollower } from './mesos-stream-follower.js';
import type { SessionHandlers } from './mesos-subscription.js';
import type { OperatorStateModel } from './operator-state.js';
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
  /** What snapshots say they came from (`local` when reading the embedded cluster). */
  readonly kind?: SourceKind;
  /** Follow Marathon's `/v2/events` stream and refresh on every event (default: when marathon is set). */
  readonly followEvents?: boolean;
  /** Follow the leader's operator API event stream (SUBSCRIBE); polling only while it is unavailable. Default true. */
  readonly subscribe?: boolean;
  /** After a master refused SUBSCRIBE, how long to poll before asking again. */
  readonly resubscribeMs?: number;
}

/** What the event stream is doing, for status and tests. */
export interface StreamStatus {
  readonly live: boolean;
  /** Streams subscribed so far (a resubscription after a break or a leader change adds one). */
  readonly subscriptions: number;
  readonly master: string | null;
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
  // The operator API stream: the session, the model it keeps, and what was last published from it.
  #follower: MesosStreamFollower | null = null;
  #live = false;
  #model: OperatorStateModel | null = null;
  #modelVersion = 0;
  #leaderPid = '';
  #streamBase = '';
  #subscriptions = 0;
  #clusterName: string | null = null;
  #publishing = false;
  #dirty = false;
  #publishedFromStream = '';
  /** Framework pids from the last `/master/state` (the v1 stream does not carry them). */
  #frameworkPids = new Map<string, string>();
  #learningPids = false;
  /** Frameworks already looked up (a framework of the HTTP scheduler API has no pid: asked once). */
  readonly #pidsAsked = new Set<string>();

  constructor(options: MesosSourceOptions) {
    if (options.masters.length === 0) throw new ClusterError('ERR_CLUSTER_CONFIG', 'mesos source: masters must list at least one master URL');
    this.#masters = options.masters.map((url) => {
      try {
        return new URL(url).origin;
      } catch {
        throw new ClusterError('ERR_CLUSTER_CONFIG', `mesos source: "${url}" is not a master URL`);
      }
    });
    if (!(options.refreshMs > 0) || !(options.timeoutMs > 0))
      throw new ClusterError('ERR_CLUSTER_CONFIG', 'mesos source: refresh and timeout must be positive');
    this.#options = options;
    this.#marathonFailures = new Counter({
      name: 'gatehouse_cluster_marathon_failures_total',
      help: 'Marathon app fetches that failed (the last good apps kept)',
      registers: options.registry ? [options.registry] : [],
    });
  }

  async start(): Promise<void> {
    await this.refresh();
    this.#schedule();
    const { marathon, followEvents, logger } = this.#options;
    if (marathon && followEvents !== false && !this.#closed) {
      this.#events = new MarathonEventFollower({
        url: marathon,
        logger,
        onEvent: () => this.#refreshSoon(),
        ...(this.#options.userAgent ? { userAgent: this.#options.userAgent } : {}),
      });
      this.#events.start();
    }
    if (this.#options.subscribe !== false && !this.#closed) {
      const { timeoutMs, maxBytes, logger, userAgent } = this.#options;
      this.#follower = new MesosStreamFollower({
        session: { timeoutMs, maxRecordBytes: maxBytes ?? DEFAULT_MAX_BYTES, logger, ...(userAgent ? { userAgent } : {}) },
        resubscribeMs: this.#options.resubscribeMs ?? 60_000,
        logger,
        candidates: () => this.#candidates(),
        leaderIs: (base) => (this.#leader = base),
        handlers: (base) => this.#handlers(base),
        ended: () => (this.#live = false),
        poll: () => void this.refresh(),
      });
      this.#follower.start();
    }
  }

  streamStatus(): StreamStatus {
    return { live: this.#live, subscriptions: this.#subscriptions, master: this.#live ? this.#streamBase : null };
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
    await this.#follower?.close();
    await this.#events?.close();
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#inFlight?.catch(() => undefined);
  }

  refresh(): Promise<boolean> {
    // While the stream is live it carries Mesos's changes: only Marathon's view is fetched again.
    if (this.#live) return this.#marathonView().then(() => (this.#publishFromModel(), true));
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
        // The document without its tasks; they are parsed one at a time from the bytes when the
        // snapshot is made (state-scan.ts). `state` is let: dropped before DNS rebuilds from the snapshot.
        const url = `${base}/master/state`;
        const fetched = await fetchBytesWithDigest(url, this.#fetchOptions());
        const digest = fetched.digest;
        let state: StateDocument | null = readStateDocument(fetched.bytes, `${url}: the answer is not JSON`);
        const leaderBase = this.#leaderBase(state.doc, base);
        if (leaderBase && leaderBase !== base) {
          // A master that does not lead knows no tasks; publishing its state would empty the zone.
          if (tried.has(leaderBase))
            throw new ClusterError('ERR_CLUSTER_NOT_LEADER', `${base}: not the leader, and the leader it names (${leaderBase}) failed`);
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
        let data = await state.snapshot({
          source: { kind: this.#options.kind ?? 'mesos', origin: url },
          fetchedAt,
          masters: this.#masters,
          ...(this.#options.resolveHost ? { resolveHost: this.#options.resolveHost } : {}),
        });
        state = null;
        if (marathon) data = withMarathon(data, marathon.view);
        if (this.#closed) return false;
        this.#clusterName = data.clusterName;
        this.#frameworkPids = new Map(data.frameworks.filter((f) => f.pid).map((f) => [f.id, f.pid!.raw]));
        // A stream subscribed meanwhile is newer than this poll.
        if (this.#live) return true;
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

  #handlers(base: string): SessionHandlers {
    return {
      subscribed: (model, leaderPid) => {
        this.#model = model;
        this.#modelVersion++;
        this.#leaderPid = leaderPid;
        this.#streamBase = base;
        this.#leader = base;
        this.#live = true;
        this.#subscriptions++;
        this.#options.logger.info({ master: base, tasks: model.taskCount }, 'subscribed to the Mesos master\'s event stream');
        this.#publishFromModel();
      },
      changed: (model) => {
        this.#modelVersion++;
        this.#publishFromModel();
        const unknown = model.frameworkIds().filter((id) => !this.#frameworkPids.has(id) && !this.#pidsAsked.has(id));
        if (unknown.length > 0) {
          for (const id of unknown) this.#pidsAsked.add(id);
          void this.#learnFrameworkPids();
        }
      },
      alive: () => {
        if (!this.#publishing && this.#publishedFromStream !== '') this.#options.store.confirm(Date.now());
      },
    };
  }

  // One snapshot at a time from the model; changes during a build earn one more build. The document
  // is taken from the model synchronously, between events, so no snapshot holds half an event.
  #publishFromModel(): void {
    if (this.#publishing) {
      this.#dirty = true;
      return;
    }
    this.#publishing = true;
    void (async () => {
      do {
        this.#dirty = false;
        const model = this.#model;
        if (!model || !this.#live || this.#closed) break;
        const key = `${this.#modelVersion} ${this.#marathon?.digest ?? '-'}`;
        if (key === this.#publishedFromStream) {
          this.#options.store.confirm(Date.now());
          continue;
        }
        const pids = this.#frameworkPids;
        let doc: unknown = model.toMasterState(this.#leaderPid, this.#clusterName, (id) => pids.get(id));
        const fetchedAt = Date.now();
        try {
          let data = await parseMasterState(doc, {
            source: { kind: this.#options.kind ?? 'mesos', origin: `${this.#streamBase}/api/v1` },
            fetchedAt,
            masters: this.#masters,
            ...(this.#options.resolveHost ? { resolveHost: this.#options.resolveHost } : {}),
          });
          doc = null;
          if (this.#marathon) data = withMarathon(data, this.#marathon.view);
          if (!this.#live || this.#closed) break;
          this.#options.store.publish(data);
          this.#publishedFromStream = key;
          // The next poll (after a break) must publish, not merely confirm.
          this.#published = '';
        } catch (error) {
          this.#options.logger.warn(
            { reason: error instanceof Error ? error.message : String(error) },
            'snapshot from the Mesos event stream failed; keeping the last good one',
          );
        }
      } while (this.#dirty);
      this.#publishing = false;
    })();
  }

  // A framework that registered after the last poll: its pid comes from one /master/state read.
  async #learnFrameworkPids(): Promise<void> {
    if (this.#learningPids) return;
    this.#learningPids = true;
    try {
      const { value } = await this.#get(`${this.#streamBase}/master/state`);
      const frameworks = (value as { frameworks?: unknown } | null)?.frameworks;
      const pids = new Map(this.#frameworkPids);
      for (const framework of Array.isArray(frameworks) ? frameworks : []) {
        if (typeof framework?.id === 'string' && typeof framework?.pid === 'string') pids.set(framework.id, framework.pid);
      }
      this.#frameworkPids = pids;
      this.#modelVersion++;
      this.#publishFromModel();
    } catch (error) {
      this.#options.logger.debug({ reason: error instanceof Error ? error.message : String(error) }, 'could not read framework pids from /master/state');
    } finally {
      this.#learningPids = false;
    }
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
    return fetchJsonWithDigest(url, this.#fetchOptions());
  }

  #fetchOptions(): BoundedFetchOptions {
    return {
      timeoutMs: this.#options.timeoutMs,
      maxBytes: this.#options.maxBytes ?? DEFAULT_MAX_BYTES,
      headers: { accept: 'application/json', 'user-agent': this.#options.userAgent ?? 'Gatehouse' },
    };
  }
}
