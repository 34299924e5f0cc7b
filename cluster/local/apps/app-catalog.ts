// The catalog of the app files of `cluster.local.apps` the embedded scheduler follows: loaded at start,
// followed through the shared directory watch (fs events, a stat-only poll as the safety net, and a
// directory that appears later), rebuilt beside the current set and swapped on change. Reading and
// validating the files is app-files.ts's: only files whose stat changed are read again.
import { basename, resolve } from 'node:path';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import { CoalescedPass, DirectoryWatch } from '../../../core/index.js';
import { LocalClusterError } from '../errors.js';
import { formatAppProblem, isAppError, type AppDefinition, type AppFileStatus } from './app-definition.js';
import { APP_FILE, loadAppFiles, type AppFileReading } from './app-files.js';


export interface AppCatalogOptions {
  readonly dir: string;
  readonly logger: Logger;
  /** How often the directory is checked for changes fs.watch missed; default 2000. */
  readonly pollMs?: number;
  /** Quiet time after a change before reloading; default 100. */
  readonly debounceMs?: number;
  readonly registry?: Registry;
}

export type AppListener = (apps: readonly AppDefinition[]) => void;

export class AppCatalog {
  readonly #dir: string;
  readonly #logger: Logger;
  readonly #pollMs: number;
  readonly #debounceMs: number;
  readonly #listeners = new Set<AppListener>();
  readonly #reloads: Counter | null;
  readonly #failures: Counter | null;
  #files: ReadonlyMap<string, AppFileStatus> = new Map();
  /** Each file's last reading (its digest too), kept between reloads so that unchanged files are not read. */
  readonly #readings = new Map<string, AppFileReading>();
  #apps: readonly AppDefinition[] = Object.freeze([]);
  #watch: DirectoryWatch | null = null;
  readonly #pass = new CoalescedPass(() => this.#reloadOnce());
  #closed = false;
  #loaded = false;

  constructor(options: AppCatalogOptions) {
    const fail = (message: string) => {
      throw new LocalClusterError('ERR_CLUSTER_CONFIG', `app catalog: ${message}`);
    };
    if (typeof options?.dir !== 'string' || !options.dir) fail('dir must be a non-empty path');
    if (!options.logger || typeof options.logger.info !== 'function') fail('logger must be a pino logger');
    if (options.pollMs !== undefined && !(Number.isFinite(options.pollMs) && options.pollMs > 0))
      fail(`pollMs must be a positive number of milliseconds, got ${String(options.pollMs)}`);
    if (options.debounceMs !== undefined && !(Number.isFinite(options.debounceMs) && options.debounceMs >= 0))
      fail(`debounceMs must be a number of milliseconds >= 0, got ${String(options.debounceMs)}`);
    this.#dir = resolve(options.dir);
    this.#logger = options.logger;
    this.#pollMs = options.pollMs ?? 2000;
    this.#debounceMs = options.debounceMs ?? 100;
    const registers = options.registry ? [options.registry] : [];
    this.#reloads = options.registry
      ? new Counter({ name: 'gatehouse_cluster_app_reloads_total', help: 'Reloads of the app files of the embedded cluster', registers })
      : null;
    this.#failures = options.registry
      ? new Counter({
          name: 'gatehouse_cluster_app_reload_failures_total',
          help: 'App file reloads that quarantined a file or could not read the directory',
          registers,
        })
      : null;
  }

  /** Loads the directory once (rejects if it exists but cannot be read), then follows it. */
  async start(): Promise<void> {
    if (this.#closed) throw new LocalClusterError('ERR_CLUSTER_CLOSED', 'app catalog: start() after close()');
    if (this.#watch) throw new LocalClusterError('ERR_CLUSTER_STARTED', 'app catalog: start() called twice');
    const watch = new DirectoryWatch({
      dir: this.#dir,
      match: (name) => APP_FILE.test(name),
      onChange: () =>
        void this.reload().catch((error: unknown) =>
          this.#logger.error({ err: error, dir: this.#dir }, 'app files not reloaded; the current apps stay'),
        ),
      debounceMs: this.#debounceMs,
      // A debounce longer than the watch's default longest wait is meant: the wait stretches with it.
      maxWaitMs: Math.max(250, this.#debounceMs),
      pollMs: this.#pollMs,
    });
    this.#watch = watch;
    // Watching starts before the first load, so a save during that load is not missed.
    await watch.start();
    try {
      await this.reload();
    } catch (error) {
      watch.close();
      this.#watch = null;
      throw error;
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#watch?.close();
    this.#listeners.clear();
    await this.#pass.running?.catch(() => undefined);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** The apps currently defined, sorted by id; the array and the apps are frozen. */
  apps(): readonly AppDefinition[] {
    return this.#apps;
  }

  files(): readonly AppFileStatus[] {
    return [...this.#files.values()];
  }

  /** The directory of the app files (absolute). */
  get dir(): string {
    return this.#dir;
  }

  /** Digest of the text of `file` as last loaded; undefined when it was not (yet) read. */
  loadedDigest(file: string): string | undefined {
    return this.#readings.get(file)?.digest;
  }

  /** Calls `listener` after every reload that added, removed or changed (new version) an app. */
  subscribe(listener: AppListener): () => void {
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  }

  /** Re-reads the directory (files whose stat changed); concurrent calls coalesce into one more pass. Rejects if it cannot be read. */
  reload(): Promise<void> {
    return this.#pass.run();
  }

  async #reloadOnce(): Promise<void> {
    if (this.#closed) return;
    let files: Map<string, AppFileStatus>;
    try {
      files = await loadAppFiles(this.#dir, this.#files, this.#readings);
    } catch (error) {
      this.#reloads?.inc();
      this.#failures?.inc();
      throw error;
    }
    this.#reloads?.inc();
    const quarantined = [...files.values()].filter((f) => f.status === 'quarantined');
    if (quarantined.length) this.#failures?.inc();
    if (this.#closed || (this.#loaded && JSON.stringify([...files.values()]) === JSON.stringify([...this.#files.values()]))) return;
    this.#loaded = true;
    const apps = Object.freeze([...files.values()].flatMap((f) => f.apps).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)));
    const before = new Map(this.#apps.map((app) => [app.id, app.version]));
    this.#files = files;
    this.#apps = apps;
    this.#log(before, files);
    const changed = apps.length !== before.size || apps.some((app) => before.get(app.id) !== app.version);
    if (changed) for (const listener of this.#listeners) this.#notify(listener, apps);
  }

  #notify(listener: AppListener, apps: readonly AppDefinition[]): void {
    try {
      listener(apps);
    } catch (error) {
      this.#logger.error({ err: error }, 'app catalog subscriber failed');
    }
  }

  /** One readable line per reload that changed anything. */
  #log(before: ReadonlyMap<string, string>, files: ReadonlyMap<string, AppFileStatus>): void {
    const now = new Map(this.#apps.map((app) => [app.id, app.version]));
    const added = [...now.keys()].filter((id) => !before.has(id));
    const changed = [...now.keys()].filter((id) => before.has(id) && before.get(id) !== now.get(id));
    const removed = [...before.keys()].filter((id) => !now.has(id));
    const quarantined = [...files.values()].filter((f) => f.status === 'quarantined');
    const warnings = [...files.values()].reduce((n, f) => n + f.problems.filter((p) => !isAppError(p)).length, 0);
    const parts = [`${now.size} app${now.size === 1 ? '' : 's'} from ${files.size} file${files.size === 1 ? '' : 's'} in ${this.#dir}`];
    if (added.length) parts.push(`added ${added.join(', ')}`);
    if (changed.length) parts.push(`changed ${changed.join(', ')}`);
    if (removed.length) parts.push(`removed ${removed.join(', ')}`);
    for (const f of quarantined) parts.push(`quarantined ${basename(f.file)}: ${formatAppProblem(f.problems.find(isAppError)!)}`);
    if (warnings) parts.push(`${warnings} warning${warnings === 1 ? '' : 's'} (gatehouse validate lists them)`);
    const fields = { dir: this.#dir, apps: now.size, added, changed, removed, quarantined: quarantined.map((f) => f.file), warnings };
    if (quarantined.length) this.#logger.warn(fields, `apps reloaded: ${parts.join('; ')}`);
    else this.#logger.info(fields, `apps reloaded: ${parts.join('; ')}`);
  }
}
