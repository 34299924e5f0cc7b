// One way to notice that files changed, shared by every reader of files (route files, the state file,
// app files, the users file). A directory is watched, not a file: editors and `mv` replace files,
// which ends a watch on the file itself. fs.watch is the fast path; a stat-only poll is the safety net
// for filesystems where events are unreliable (network mounts, some containers). Nothing is ever
// read here: an unchanged file costs a stat per poll and no read, and the reader decides by content
// whether a change matters. The directory may be missing at start or go away later: the poll then
// watches it again once it exists (its files, if any, are a change).
import { watch, type FSWatcher } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

export interface DirectoryWatchOptions {
  readonly dir: string;
  /** Which names in `dir` matter (e.g. `*.yaml`, or one file's name). */
  readonly match: (name: string) => boolean;
  /** Called once per burst of changes to matching files. */
  readonly onChange: () => void;
  /**
   * Quiet time that ends a burst. Short on purpose: it only merges the several events of one save
   * (truncate, write, rename), so two saves a human or a script makes are two changes.
   */
  readonly debounceMs?: number;
  /** Longest a burst is held back while events keep coming. */
  readonly maxWaitMs?: number;
  /** Stat-only poll interval; 0 turns polling off. */
  readonly pollMs?: number;
  /** false: polling only (for filesystems whose events cannot be trusted). */
  readonly events?: boolean;
  /** fs.watch could not be used or failed: polling alone goes on. */
  readonly onWatchError?: (error: unknown) => void;
}

export class DirectoryWatch {
  readonly #options: DirectoryWatchOptions;
  #watcher: FSWatcher | null = null;
  /** The inode of the watched directory: one removed and made anew is another directory to watch. */
  #watchedIno: number | null = null;
  #poll: NodeJS.Timeout | null = null;
  #debounce: NodeJS.Timeout | null = null;
  #burstStarted = 0;
  #stamps = '';
  /** Stamping runs one at a time, so the poll never compares against stamps a report is still taking. */
  #stamping: Promise<unknown> = Promise.resolve();
  #closed = false;

  constructor(options: DirectoryWatchOptions) {
    this.#options = options;
  }

  /** Whether fs events are being received (false while the directory is missing, or with `events: false`). */
  get watching(): boolean {
    return this.#watcher !== null;
  }

  /** Starts watching; the files as they are now are the baseline (no change is reported for them). */
  async start(): Promise<void> {
    this.#stamps = await this.#stampAll();
    this.#watchEvents(true, await stat(this.#options.dir).then((s) => s.ino, () => null));
    const pollMs = this.#options.pollMs ?? 2000;
    if (pollMs > 0) {
      this.#poll = setInterval(() => void this.#pollOnce(), pollMs);
      this.#poll.unref();
    }
  }

  close(): void {
    this.#closed = true;
    this.#watcher?.close();
    if (this.#poll) clearInterval(this.#poll);
    if (this.#debounce) clearTimeout(this.#debounce);
  }

  /** Starts fs.watch on the directory when it is not running; `report`: tell onWatchError why it cannot. */
  #watchEvents(report: boolean, ino: number | null = null): void {
    if (this.#options.events === false || this.#watcher || this.#closed) return;
    try {
      this.#watchedIno = ino;
      const watcher = watch(this.#options.dir, (_event, name) => {
        if (name === null || this.#options.match(name.toString())) this.#changed();
      });
      watcher.on('error', (error) => {
        // The directory went away (or the platform gave up): the poll watches it again once it exists.
        watcher.close();
        if (this.#watcher === watcher) this.#watcher = null;
        this.#options.onWatchError?.(error);
      });
      this.#watcher = watcher;
    } catch (error) {
      // A missing directory is expected (it may appear later); anything else is worth a word.
      if (report && (error as NodeJS.ErrnoException).code !== 'ENOENT') this.#options.onWatchError?.(error);
    }
  }

  /** A directory that went away is no longer watched (inotify lost it); one that (re)appeared is watched again. */
  async #rewatch(): Promise<void> {
    const ino = await stat(this.#options.dir).then((s) => (s.isDirectory() ? s.ino : null), () => null);
    if (this.#closed) return;
    if (ino === null || (this.#watchedIno !== null && ino !== this.#watchedIno)) {
      this.#watcher?.close();
      this.#watcher = null;
    }
    if (ino !== null) this.#watchEvents(false, ino);
  }

  #changed(): void {
    if (this.#closed) return;
    const now = Date.now();
    if (this.#debounce) clearTimeout(this.#debounce);
    else this.#burstStarted = now;
    const wait = Math.min(this.#options.debounceMs ?? 30, Math.max(0, this.#burstStarted + (this.#options.maxWaitMs ?? 250) - now));
    this.#debounce = setTimeout(() => {
      this.#debounce = null;
      // The files as reported become the baseline first, so the poll does not report them again.
      void this.#serially(async () => {
        this.#stamps = await this.#stampAll();
        if (!this.#closed) this.#options.onChange();
      });
    }, wait);
  }

  #pollOnce(): Promise<void> {
    return this.#serially(async () => {
      await this.#rewatch();
      if (this.#debounce) return; // a report is on its way and will take the stamps
      const stamps = await this.#stampAll();
      if (stamps === this.#stamps || this.#closed) return;
      this.#stamps = stamps;
      this.#changed();
    });
  }

  #serially(step: () => Promise<void>): Promise<void> {
    const next = this.#stamping.then(step, step);
    this.#stamping = next.catch(() => undefined);
    return next;
  }

  /** Name, size, modification time and inode of every matching file: what a stat can tell. */
  async #stampAll(): Promise<string> {
    const names = (await readdir(this.#options.dir).catch(() => [] as string[])).filter((n) => this.#options.match(n)).sort();
    const stamps = await Promise.all(
      names.map((name) =>
        stat(join(this.#options.dir, name)).then(
          (s) => `${name}:${s.size}:${s.mtimeMs}:${s.ino}`,
          () => `${name}:gone`,
        ),
      ),
    );
    return stamps.join('\n');
  }
}
