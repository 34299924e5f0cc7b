// The current app definitions from `cluster.local.apps`: loaded at start, then watched (fs.watch,
// with a poll as the safety net), reloaded after a short debounce, built beside the old set and
// swapped. A broken file keeps its last good apps; subscribers hear only about real changes.
import { watch, type FSWatcher } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import { formatProblem } from '../../config/index.js';
import type { AppDefinition, AppFileStatus } from './app-definition.js';
import { loadAppFiles } from './app-file.js';
import type { AppSupply } from './local-cluster.js';

export interface AppCatalogOptions {
  readonly dir: string;
  readonly logger: Logger;
  readonly registry?: Registry;
  readonly pollMs?: number;
  readonly debounceMs?: number;
}

type FileState = AppFileStatus & { readonly notes: readonly string[] };

export class AppCatalog implements AppSupply {
  readonly #options: AppCatalogOptions;
  #files: ReadonlyMap<string, FileState> = new Map();
  #apps: readonly AppDefinition[] = Object.freeze([]);
  #fingerprint = '';
  #watcher: FSWatcher | null = null;
  #poll: NodeJS.Timeout | null = null;
  #debounce: NodeJS.Timeout | null = null;
  #reloading: Promise<void> | null = null;
  #again = false;
  #closed = false;
  readonly #listeners = new Set<(apps: readonly AppDefinition[]) => void>();
  readonly #reloads: Counter<'result'>;

  constructor(options: AppCatalogOptions) {
    if (!options.dir) throw new RangeError('cluster.local.apps: the app directory must be set');
    this.#options = options;
    this.#reloads = new Counter({ name: 'gatehouse_local_app_reloads_total', help: 'App file reloads of the embedded cluster, by result (ok, or with quarantined files)', labelNames: ['result'], registers: options.registry ? [options.registry] : [] });
  }

  apps(): readonly AppDefinition[] {
    return this.#apps;
  }

  files(): readonly FileState[] {
    return [...this.#files.values()];
  }

  subscribe(listener: (apps: readonly AppDefinition[]) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async start(): Promise<void> {
    await this.reload();
    try {
      this.#watcher = watch(this.#options.dir, () => this.#changed());
      this.#watcher.on('error', () => undefined);
    } catch {
      // No directory yet, or no inotify: the poll below notices changes.
    }
    this.#poll = setInterval(() => void this.#pollOnce(), this.#options.pollMs ?? 2000);
    this.#poll.unref();
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#watcher?.close();
    if (this.#poll) clearInterval(this.#poll);
    if (this.#debounce) clearTimeout(this.#debounce);
    await this.#reloading?.catch(() => undefined);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** Reads the directory now; one reload at a time, and a change during a reload earns another. */
  reload(): Promise<void> {
    if (this.#reloading) {
      this.#again = true;
      return this.#reloading;
    }
    this.#reloading = this.#load().finally(() => {
      this.#reloading = null;
      if (this.#again && !this.#closed) {
        this.#again = false;
        void this.reload();
      }
    });
    return this.#reloading;
  }

  #changed(): void {
    if (this.#closed) return;
    if (this.#debounce) clearTimeout(this.#debounce);
    this.#debounce = setTimeout(() => void this.reload(), this.#options.debounceMs ?? 100);
  }

  async #pollOnce(): Promise<void> {
    if ((await this.#fingerprintNow()) !== this.#fingerprint) this.#changed();
  }

  async #fingerprintNow(): Promise<string> {
    const names = (await readdir(this.#options.dir).catch(() => [] as string[])).sort();
    const parts = await Promise.all(names.map(async (name) => {
      const info = await stat(join(this.#options.dir, name)).catch(() => null);
      return `${name}:${info?.size ?? -1}:${info?.mtimeMs ?? -1}`;
    }));
    return parts.join('|');
  }

  async #load(): Promise<void> {
    const { logger } = this.#options;
    const fingerprint = await this.#fingerprintNow();
    const files = await loadAppFiles(this.#options.dir, this.#files);
    if (this.#closed) return;
    const apps = Object.freeze([...files.values()].flatMap((f) => f.apps));
    const before = new Map(this.#apps.map((a) => [a.id, a.version]));
    const after = new Map(apps.map((a) => [a.id, a.version]));
    const added = [...after.keys()].filter((id) => !before.has(id));
    const removed = [...before.keys()].filter((id) => !after.has(id));
    const changed = [...after.keys()].filter((id) => before.has(id) && before.get(id) !== after.get(id));
    const quarantined = [...files.values()].filter((f) => f.status === 'quarantined');
    for (const file of quarantined) {
      const wasBroken = this.#files.get(file.file)?.problems.map(formatProblem).join('\n') === file.problems.map(formatProblem).join('\n');
      if (!wasBroken) logger.error({ file: file.file, problems: file.problems.map(formatProblem), keeping: file.apps.map((a) => a.id) }, `app file has problems; keeping its last good apps: ${formatProblem(file.problems[0]!)}`);
    }
    for (const file of files.values()) for (const note of file.notes) if (!this.#files.get(file.file)?.notes.includes(note)) logger.warn(note);
    this.#files = files;
    this.#fingerprint = fingerprint;
    this.#reloads.inc({ result: quarantined.length ? 'quarantined' : 'ok' });
    if (added.length + removed.length + changed.length === 0) return;
    this.#apps = apps;
    logger.info({ added, changed, removed, apps: apps.length }, 'app definitions loaded');
    for (const listener of this.#listeners) listener(apps);
  }
}
