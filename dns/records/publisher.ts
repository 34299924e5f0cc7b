// Keeps the DNS answers in step with the cluster: every snapshot the store accepts is turned into a
// record set beside the old one and handed to the server, which swaps it in by one reference.
// With `keepRecords: false` the record set is dropped once the sinks have it (they read the records
// back from their answers: a second copy was 13 MB at 10,000 tasks); /v1/enumerate is then built
// from the snapshot the records came from. In gatehouse mode it also withdraws the zone (SERVFAIL)
// while there is no usable snapshot, so a resolver never caches an NXDOMAIN that only means "we do
// not know yet".
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { isUsable, type Snapshot, type SnapshotView } from '../../cluster/index.js';
import type { EnumeratedFramework, RecordSet } from './record-set.js';
import { buildEnumeration, buildRecordSet, type RecordOptions } from './from-snapshot.js';

export interface RecordSink {
  /** `generation`: the snapshot the records were built from (DNS workers report which one they serve). */
  setRecords(records: RecordSet, serial: number, generation: number): { buildMs: number; names: number };
  setUnavailable(reason: string | null): void;
}

export interface RecordPublisherOptions {
  readonly feed: SnapshotView;
  readonly sinks: readonly RecordSink[];
  readonly recordOptions: RecordOptions;
  /** Builds the records instead of the Mesos-DNS builder (another zone, e.g. thisdcos.directory). */
  readonly build?: (snapshot: Snapshot) => RecordSet;
  /** A second zone's rebuilds are logged at debug: the main zone's line already tells of the change. */
  readonly rebuildLogLevel?: 'info' | 'debug';
  readonly logger: Logger;
  /** Withdraw the zone while the snapshot is missing or unusable (gatehouse mode). */
  readonly withdrawWhenUnusable: boolean;
  readonly checkIntervalMs?: number;
  /** Keep the last record set (`records`); false: drop it once the sinks have it (default true). */
  readonly keepRecords?: boolean;
}

/** How long an enumeration built for /v1/enumerate is kept after it was last asked for. */
const ENUMERATION_KEPT_MS = 60_000;

export class RecordPublisher {
  #records: RecordSet | null = null;
  /** Records were built at least once (they may not be kept). */
  #built = false;
  /** Without kept records: the snapshot the last records came from, and its enumeration while it lives. */
  #snapshot: Snapshot | null = null;
  #enumeration: readonly EnumeratedFramework[] | null = null;
  /** Drops the enumeration ENUMERATION_KEPT_MS after it was last asked for. */
  #enumerationTimer: NodeJS.Timeout | null = null;
  #serial = 0;
  #unsubscribe: (() => void) | null = null;
  #timer: NodeJS.Timeout | null = null;
  /**
   * Why the sinks were last told the zone is withdrawn (null: served). The kind, not the reason's
   * text: that names the snapshot's age, which grows at every check. Undefined until the first check
   * tells them, since a gatehouse-mode server starts withdrawn: a first check that finds the zone
   * usable must say so.
   */
  #withdrawnFor: 'no-snapshot' | 'unusable' | 'no-records' | null | undefined = undefined;
  /** The zone has served answers since start: a withdrawal after that is news, the wait before it is not. */
  #servedOnce = false;
  #fingerprint = '';
  readonly #options: RecordPublisherOptions;

  constructor(options: RecordPublisherOptions) {
    this.#options = options;
  }

  get records(): RecordSet | null {
    return this.#records;
  }

  /**
   * Mesos-DNS's /v1/enumerate for the last records. Without kept records it is built from their
   * snapshot when first asked for, once per snapshot however often it is asked (an unauthenticated
   * client asking in a loop costs a serialization each, never a rebuild), and dropped a minute after
   * the last request: it is big, and rarely asked for.
   */
  enumerate(): readonly EnumeratedFramework[] {
    if (this.#records) return this.#records.enumerate();
    const snapshot = this.#snapshot;
    if (!snapshot) return [];
    this.#enumeration ??= buildEnumeration(snapshot, this.#options.recordOptions);
    if (this.#enumerationTimer) this.#enumerationTimer.refresh();
    else {
      this.#enumerationTimer = setTimeout(() => this.#dropEnumeration(), ENUMERATION_KEPT_MS);
      this.#enumerationTimer.unref();
    }
    return this.#enumeration;
  }

  #dropEnumeration(): void {
    if (this.#enumerationTimer) clearTimeout(this.#enumerationTimer);
    this.#enumerationTimer = null;
    this.#enumeration = null;
  }

  /** SOA serial: unix seconds of the last rebuild, strictly increasing even within one second. */
  get serial(): number {
    return this.#serial;
  }

  start(): void {
    const { feed } = this.#options;
    this.#unsubscribe = feed.subscribe((snapshot) => this.#publish(snapshot));
    if (feed.current) this.#publish(feed.current);
    if (this.#options.withdrawWhenUnusable) {
      this.#checkUsable();
      this.#timer = setInterval(() => this.#checkUsable(), this.#options.checkIntervalMs ?? 1000);
      this.#timer.unref();
    }
  }

  close(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = null;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    this.#dropEnumeration();
  }

  #publish(snapshot: Snapshot): void {
    const started = performance.now();
    let records: RecordSet;
    try {
      records = this.#options.build ? this.#options.build(snapshot) : buildRecordSet(snapshot, this.#options.recordOptions);
    } catch (error) {
      // A snapshot the builder cannot handle must not take the old answers down with it.
      this.#options.logger.error({ err: error, generation: snapshot.generation }, 'building DNS records failed; keeping the previous records');
      return;
    }
    // Most new snapshots (an event, a health check, a poll) leave the answers as they were: then the
    // answers are not re-encoded, the SOA serial stays, and nothing is logged at info.
    const fingerprint = recordsFingerprint(records);
    const unchanged = this.#built && fingerprint === this.#fingerprint;
    this.#built = true;
    this.#records = this.#options.keepRecords === false ? null : records;
    // The enumeration is the Mesos-DNS builder's: a zone built by another (`build`) has none.
    this.#snapshot = this.#options.keepRecords === false && !this.#options.build ? snapshot : null;
    this.#dropEnumeration();
    if (unchanged) {
      this.#options.logger.debug({ generation: snapshot.generation, serial: this.#serial }, 'DNS records unchanged');
      // A fresh snapshot with the same answers (a cluster back after an outage) serves the zone now, not at the next check.
      if (this.#options.withdrawWhenUnusable) this.#checkUsable();
      return;
    }
    this.#fingerprint = fingerprint;
    this.#serial = Math.max(this.#serial + 1, Math.floor(Date.now() / 1000));
    let names = 0;
    for (const sink of this.#options.sinks) names = sink.setRecords(records, this.#serial, snapshot.generation).names;
    this.#options.logger[this.#options.rebuildLogLevel ?? 'info'](
      { generation: snapshot.generation, serial: this.#serial, names, ms: Math.round(performance.now() - started) },
      'DNS records rebuilt',
    );
    if (this.#options.withdrawWhenUnusable) this.#checkUsable();
  }

  #checkUsable(): void {
    const status = this.#options.feed.status();
    const withdrawnFor =
      status.state === 'empty' ? 'no-snapshot'
      : !isUsable(status.state) ? 'unusable'
      : !this.#built ? 'no-records'
      : null;
    if (withdrawnFor === this.#withdrawnFor) return;
    this.#withdrawnFor = withdrawnFor;
    const reason =
      withdrawnFor === 'no-snapshot' ? 'no cluster snapshot yet'
      : withdrawnFor === 'unusable' ? `cluster snapshot is ${Math.round((status.ageMs ?? 0) / 1000)}s old (past cluster.unusableAfter)`
      : withdrawnFor === 'no-records' ? 'no DNS records built yet'
      : null;
    for (const sink of this.#options.sinks) sink.setUnavailable(reason);
    if (reason === null) {
      if (this.#servedOnce) this.#options.logger.info('DNS zone serving again');
      this.#servedOnce = true;
    } else if (this.#servedOnce || status.state === 'unusable') {
      this.#options.logger.warn({ reason }, 'DNS zone withdrawn: answering SERVFAIL');
    } else {
      // Every start waits a moment for the first snapshot: not a warning.
      this.#options.logger.debug({ reason }, 'DNS zone waits for the first cluster snapshot (SERVFAIL until then)');
    }
  }
}

/** A digest of everything DNS answers from: equal digests, equal answers. */
function recordsFingerprint(records: RecordSet): string {
  const hash = createHash('sha1');
  // The text goes to the hash in pieces of about 64 KiB: an update() per name and per value (two
  // million calls into C++ at 50,000 tasks) cost more than the hashing itself.
  let text = '';
  for (const [name, r] of records.names) {
    text += `${name}|${r.a.join(',')}|${r.aaaa.join(',')}|`;
    for (const srv of r.srv) text += `${srv.target}:${srv.port},`;
    text += '\n';
    if (text.length >= 65_536) {
      hash.update(text);
      text = '';
    }
  }
  hash.update(text);
  return hash.digest('base64');
}
