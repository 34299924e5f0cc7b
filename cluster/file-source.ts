// A Mesos /master/state document in a file, re-read whenever the file changes (watched, with a
// polling fallback for filesystems where watching is unreliable). An unreadable or invalid file
// keeps the last good snapshot; an unchanged file only confirms that the snapshot is current.
import { createHash } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import type { Logger } from 'pino';
import { ClusterError } from './errors.js';
import { parseMasterState } from './parse-state.js';
import type { HostResolver } from './resolve-host.js';
import type { ClusterSource } from './source.js';
import type { ClusterStore } from './store.js';

export interface FileSourceOptions {
  readonly path: string;
  readonly store: ClusterStore;
  readonly logger: Logger;
  readonly debounceMs?: number;
  readonly pollMs?: number;
  readonly maxBytes?: number;
  readonly resolveHost?: HostResolver;
}

export class FileSource implements ClusterSource {
  readonly #options: FileSourceOptions;
  readonly #path: string;
  #watcher: FSWatcher | null = null;
  #debounce: NodeJS.Timeout | null = null;
  #poll: NodeJS.Timeout | null = null;
  /** Digest of the last good document: an unchanged file only confirms the snapshot (and no copy of a big file is kept). */
  #lastDigest: string | null = null;
  #lastStamp = '';
  #closed = false;
  #inFlight: Promise<boolean> | null = null;

  constructor(options: FileSourceOptions) {
    if (!options.path) throw new ClusterError('ERR_CLUSTER_CONFIG', 'file source: path is empty');
    this.#options = options;
    this.#path = resolve(options.path);
  }

  async start(): Promise<void> {
    await this.refresh();
    try {
      // Watch the directory, not the file: editors and `mv` replace the file, which ends a file watch.
      this.#watcher = watch(dirname(this.#path), (_event, name) => {
        if (name === null || name.toString() === basename(this.#path)) this.#changed();
      });
      this.#watcher.on('error', (error) => this.#options.logger.warn({ err: error, path: this.#path }, 'watching the state file failed; polling only'));
    } catch (error) {
      this.#options.logger.warn({ err: error, path: this.#path }, 'cannot watch the state file; polling only');
    }
    this.#poll = setInterval(() => void this.#pollStamp(), this.#options.pollMs ?? 2000);
    this.#poll.unref();
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#watcher?.close();
    if (this.#debounce) clearTimeout(this.#debounce);
    if (this.#poll) clearInterval(this.#poll);
    await this.#inFlight?.catch(() => undefined);
  }

  refresh(): Promise<boolean> {
    this.#inFlight ??= this.#read().finally(() => (this.#inFlight = null));
    return this.#inFlight;
  }

  #changed(): void {
    if (this.#closed) return;
    if (this.#debounce) clearTimeout(this.#debounce);
    this.#debounce = setTimeout(() => void this.refresh(), this.#options.debounceMs ?? 100);
  }

  async #pollStamp(): Promise<void> {
    const stamp = await stat(this.#path).then((s) => `${s.mtimeMs}:${s.size}:${s.ino}`, () => 'missing');
    if (stamp !== this.#lastStamp) this.#changed();
    else if (this.#lastDigest !== null) this.#options.store.confirm();
  }

  async #read(): Promise<boolean> {
    const { store } = this.#options;
    const fetchedAt = Date.now();
    try {
      const info = await stat(this.#path);
      this.#lastStamp = `${info.mtimeMs}:${info.size}:${info.ino}`;
      const maxBytes = this.#options.maxBytes ?? 64 * 1024 * 1024;
      if (info.size > maxBytes) throw new ClusterError('ERR_CLUSTER_STATE_TOO_LARGE', `${info.size} bytes is over the limit of ${maxBytes}`);
      const text = await readFile(this.#path, 'utf8');
      const digest = createHash('sha256').update(text).digest('hex');
      if (digest === this.#lastDigest) {
        store.confirm(fetchedAt);
        return true;
      }
      let doc: unknown;
      try {
        doc = JSON.parse(text);
      } catch (error) {
        throw new ClusterError('ERR_CLUSTER_STATE_INVALID', `not JSON (${(error as Error).message})`);
      }
      const data = await parseMasterState(doc, {
        source: { kind: 'file', origin: this.#path },
        fetchedAt,
        ...(this.#options.resolveHost ? { resolveHost: this.#options.resolveHost } : {}),
      });
      if (this.#closed) return false;
      this.#lastDigest = digest;
      store.publish(data);
      return true;
    } catch (error) {
      if (error && (error as NodeJS.ErrnoException).code === 'ENOENT') this.#lastStamp = 'missing';
      if (!this.#closed) store.fail(this.#path, error instanceof ClusterError ? error.message : (error as Error).message, 'file');
      return false;
    }
  }
}
