// A Mesos /master/state document in a file, re-read whenever the file changes (core's
// DirectoryWatch: events, and a stat-only poll for filesystems where events are unreliable). An unreadable or invalid file
// keeps the last good snapshot; an unchanged file only confirms that the snapshot is current.
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import type { Logger } from 'pino';
import { CoalescedPass, DirectoryWatch } from '../core/index.js';
import { ClusterError } from './errors.js';
import { parseStateBytes } from './state-scan.js';
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
  #watch: DirectoryWatch | null = null;
  #confirm: NodeJS.Timeout | null = null;
  /** Digest of the last good document: an unchanged file only confirms the snapshot (and no copy of a big file is kept). */
  #lastDigest: string | null = null;
  #closed = false;
  // A change reported while a read runs gets a read of its own after it: folded into the running
  // one, it was lost whenever that read had opened the file before the change (the file is not
  // reported again until it changes again).
  readonly #reads = new CoalescedPass(async () => {
    this.#lastReadOk = await this.#read();
  });
  #lastReadOk = false;

  constructor(options: FileSourceOptions) {
    if (!options.path) throw new ClusterError('ERR_CLUSTER_CONFIG', 'file source: path is empty');
    this.#options = options;
    this.#path = resolve(options.path);
  }

  async start(): Promise<void> {
    const name = basename(this.#path);
    this.#watch = new DirectoryWatch({
      dir: dirname(this.#path),
      match: (candidate) => candidate === name,
      onChange: () => void this.refresh(),
      ...(this.#options.debounceMs !== undefined ? { debounceMs: this.#options.debounceMs } : {}),
      ...(this.#options.pollMs !== undefined ? { pollMs: this.#options.pollMs } : {}),
      onWatchError: (error) => this.#options.logger.warn({ err: error, path: this.#path }, 'watching the state file failed; polling it (stat only)'),
    });
    await this.#watch.start();
    await this.refresh();
    // An unchanged file is the current state: the snapshot stays fresh without re-reading it.
    this.#confirm = setInterval(() => {
      if (this.#lastDigest !== null && this.#reads.running === null) this.#options.store.confirm();
    }, this.#options.pollMs ?? 2000);
    this.#confirm.unref();
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#watch?.close();
    if (this.#confirm) clearInterval(this.#confirm);
    await this.#reads.running?.catch(() => undefined);
  }

  async refresh(): Promise<boolean> {
    await this.#reads.run();
    return this.#lastReadOk;
  }

  async #read(): Promise<boolean> {
    const { store } = this.#options;
    const fetchedAt = Date.now();
    try {
      const info = await stat(this.#path);
      const maxBytes = this.#options.maxBytes ?? 64 * 1024 * 1024;
      if (info.size > maxBytes) throw new ClusterError('ERR_CLUSTER_STATE_TOO_LARGE', `${info.size} bytes is over the limit of ${maxBytes}`);
      let bytes: Buffer | null = await readFile(this.#path);
      if (bytes.length > maxBytes) throw new ClusterError('ERR_CLUSTER_STATE_TOO_LARGE', `${bytes.length} bytes is over the limit of ${maxBytes}`);
      const digest = createHash('sha256').update(bytes).digest('hex');
      if (digest === this.#lastDigest) {
        store.confirm(fetchedAt);
        return true;
      }
      // Never the whole document parsed: its tasks are parsed one at a time from the bytes (state-scan.ts),
      // which are dropped before DNS and the others rebuild from the snapshot.
      const data = await parseStateBytes(
        bytes,
        { source: { kind: 'file', origin: this.#path }, fetchedAt, ...(this.#options.resolveHost ? { resolveHost: this.#options.resolveHost } : {}) },
        'not JSON',
      );
      bytes = null;
      if (this.#closed) return false;
      this.#lastDigest = digest;
      store.publish(data);
      return true;
    } catch (error) {
      if (!this.#closed) store.fail(this.#path, error instanceof ClusterError ? error.message : (error as Error).message, 'file');
      return false;
    }
  }
}
