// The app files of `cluster.local.apps`: each file read and validated on its own (a broken file keeps
// its last good apps, quarantined), and the catalog the embedded scheduler follows: loaded at start,
// watched (fs.watch plus a polling fallback), rebuilt beside the current set and swapped on change.
import { createHash } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { readFile, readdir, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import { formatKeyPath } from '../../../config/index.js';
import { CoalescedPass } from '../../../core/index.js';
import { LocalClusterError } from '../errors.js';
import { appKeyPath, formatAppProblem, isAppError, parseAppFile, type AppDefinition, type AppFileStatus, type AppProblem } from './app-definition.js';

const APP_FILE = /^[^.].*\.(ya?ml|json)$/;

/** Names of the app files of `dir`, sorted; null when `dir` does not exist. Other read errors throw. */
async function appFileNames(dir: string): Promise<string[] | null> {
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    return entries.filter((e) => !e.isDirectory() && APP_FILE.test(e.name)).map((e) => e.name).sort();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    throw new LocalClusterError('ERR_CLUSTER_APPS_UNREADABLE', `${dir}: cannot read the app directory (${code ?? String(error)})`, { cause: error });
  }
}

/**
 * Reads every app file of `dir` against the previous state: good files replace their apps, broken
 * ones keep their last good apps (quarantined). A missing directory means no apps. An app id that an
 * earlier file (by name) already defines is dropped, with an error on the later file naming the first.
 */
export async function loadAppFiles(
  dir: string,
  previous: ReadonlyMap<string, AppFileStatus>,
  digests?: Map<string, string>,
): Promise<Map<string, AppFileStatus>> {
  const root = resolve(dir);
  const next = new Map<string, AppFileStatus>();
  for (const name of (await appFileNames(root)) ?? []) {
    const file = join(root, name);
    const text = await readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => ({ error: e.code ?? String(e) }));
    if (typeof text === 'string') digests?.set(file, digestOf(text));
    const parsed =
      typeof text === 'string'
        ? parseAppFile(text, file)
        : { apps: [], problems: [{ file, line: 1, col: 1, path: '', message: `cannot read (${text.error})`, severity: 'error' as const }] };
    if (!parsed.problems.some(isAppError)) next.set(file, { file, status: 'ok', problems: parsed.problems, apps: parsed.apps });
    else next.set(file, { file, status: 'quarantined', problems: parsed.problems, apps: previous.get(file)?.apps ?? [] });
  }
  const claimed = new Map<string, AppDefinition>();
  for (const [file, status] of next) {
    const duplicates = status.apps.filter((app) => claimed.get(app.id) !== undefined);
    for (const app of status.apps) if (!claimed.has(app.id)) claimed.set(app.id, app);
    if (!duplicates.length) continue;
    const problems: AppProblem[] = duplicates.map((app) => {
      const first = claimed.get(app.id)!.source;
      const path = formatKeyPath([...appKeyPath(app), 'id']);
      return {
        file,
        line: app.source.line,
        col: app.source.col,
        path,
        message: `app ${app.id} is already defined in ${first.file}:${first.line}:${first.col}; this definition is ignored`,
        severity: 'error',
      };
    });
    next.set(file, {
      file,
      status: 'quarantined',
      problems: [...status.problems, ...problems],
      apps: status.apps.filter((app) => !duplicates.includes(app)),
    });
  }
  return next;
}

/** What identifies one content of an app file (a write through the API checks that the file is still the one loaded). */
export function digestOf(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

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
  #digests: ReadonlyMap<string, string> = new Map();
  #apps: readonly AppDefinition[] = Object.freeze([]);
  #watcher: FSWatcher | null = null;
  #poll: NodeJS.Timeout | null = null;
  #debounce: NodeJS.Timeout | null = null;
  readonly #pass = new CoalescedPass(() => this.#reloadOnce());
  #stamp = '';
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
    if (this.#poll) throw new LocalClusterError('ERR_CLUSTER_STARTED', 'app catalog: start() called twice');
    await this.reload();
    this.#watch();
    this.#poll = setInterval(() => void this.#pollStamp(), this.#pollMs);
    this.#poll.unref();
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#watcher?.close();
    this.#watcher = null;
    if (this.#poll) clearInterval(this.#poll);
    if (this.#debounce) clearTimeout(this.#debounce);
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
    return this.#digests.get(file);
  }

  /** Calls `listener` after every reload that added, removed or changed (new version) an app. */
  subscribe(listener: AppListener): () => void {
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  }

  /** Re-reads every file; concurrent calls coalesce into one more pass. Rejects if the directory cannot be read. */
  reload(): Promise<void> {
    return this.#pass.run();
  }

  async #reloadOnce(): Promise<void> {
    if (this.#closed) return;
    this.#stamp = await this.#stampNow();
    let files: Map<string, AppFileStatus>;
    const digests = new Map<string, string>();
    try {
      files = await loadAppFiles(this.#dir, this.#files, digests);
    } catch (error) {
      this.#reloads?.inc();
      this.#failures?.inc();
      throw error;
    }
    this.#reloads?.inc();
    const quarantined = [...files.values()].filter((f) => f.status === 'quarantined');
    if (quarantined.length) this.#failures?.inc();
    if (!this.#closed) this.#digests = digests;
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

  #watch(): void {
    if (this.#closed || this.#watcher) return;
    try {
      const watcher = watch(this.#dir, () => this.#changed());
      watcher.on('error', () => {
        // The directory went away (or the platform gave up): polling notices and watches again later.
        watcher.close();
        if (this.#watcher === watcher) this.#watcher = null;
      });
      this.#watcher = watcher;
    } catch {
      // Missing directory or no fs.watch here: polling below still notices changes.
    }
  }

  #changed(): void {
    if (this.#closed) return;
    if (this.#debounce) clearTimeout(this.#debounce);
    this.#debounce = setTimeout(() => {
      this.#debounce = null;
      this.reload().catch((error: unknown) => this.#logger.error({ err: error, dir: this.#dir }, 'app files not reloaded; the current apps stay'));
    }, this.#debounceMs);
  }

  async #pollStamp(): Promise<void> {
    const stamp = await this.#stampNow().catch(() => 'unreadable');
    if (this.#closed) return;
    if (stamp === 'missing') {
      this.#watcher?.close();
      this.#watcher = null;
    } else this.#watch();
    if (stamp !== this.#stamp) this.#changed();
  }

  /** Names, sizes, mtimes and inodes of the app files: changes when any file is written, replaced or removed. */
  async #stampNow(): Promise<string> {
    const names = await appFileNames(this.#dir).catch(() => null);
    if (names === null) return 'missing';
    const parts = await Promise.all(
      names.map((name) =>
        stat(join(this.#dir, name)).then(
          (s) => `${name}:${s.size}:${s.mtimeMs}:${s.ino}`,
          () => `${name}:gone`,
        ),
      ),
    );
    return parts.join('\n');
  }
}
