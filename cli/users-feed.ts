// The users file as the gateway serves it: loaded at start, re-read when it changes (core's
// DirectoryWatch says when; the content says whether it really did), each
// good version numbered (its generation). Only one process reads the file (the primary, or the
// single in-process gateway); gateway workers are fed the primary's users with its generation, so
// that every worker holds the same users. Changes are found by content, not by modification time:
// two `gatehouse user add` within one timestamp tick leave the same mtime, and a worker that had
// read the first version then kept it until the next edit.
import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { Logger } from 'pino';
import { CoalescedPass, DirectoryWatch } from '../core/index.js';
import { loadUsers, parseUsers, type UsersFile } from '../authn/index.js';

/** What the gateway reads users from: this feed, or a worker's copy of the primary's. */
export interface UsersSource {
  readonly users: UsersFile;
  readonly generation: number;
  /** Called with every new version. */
  subscribe(listener: (users: UsersFile, generation: number) => void): () => void;
  close(): void;
}

export interface UsersFeedOptions {
  readonly path: string;
  readonly logger: Logger;
  /** Stat-only poll behind the file events (default 2 s); the file is read only when it changed. */
  readonly pollMs?: number;
}

export class UsersFeed implements UsersSource {
  readonly #options: UsersFeedOptions;
  readonly #listeners = new Set<(users: UsersFile, generation: number) => void>();
  #users: UsersFile;
  #generation = 1;
  /** The last content looked at, good or not: an unchanged broken file is reported once. */
  #lastText: string | null = null;
  #watch: DirectoryWatch | null = null;
  // A change reported while a read runs gets a read of its own: folded into the running read (which
  // may have read the version before it), a burst's last save waited for the next edit.
  readonly #pass = new CoalescedPass(() => this.#checkOnce());

  private constructor(options: UsersFeedOptions, users: UsersFile, text: string | null) {
    this.#options = options;
    this.#users = users;
    this.#lastText = text;
  }

  /** Loads the file (its errors are the caller's: a broken users file at start stops the start). */
  static async open(options: UsersFeedOptions): Promise<UsersFeed> {
    const text = await readFile(options.path, 'utf8').catch(() => null);
    const users = text === null ? await loadUsers(options.path) : parseUsers(text, options.path);
    const feed = new UsersFeed(options, users, text);
    const name = basename(options.path);
    feed.#watch = new DirectoryWatch({
      dir: dirname(options.path),
      match: (candidate) => candidate === name,
      onChange: () => void feed.check(),
      ...(options.pollMs !== undefined ? { pollMs: options.pollMs } : {}),
      onWatchError: (error) => options.logger.warn({ err: error, path: options.path }, 'watching the users file failed; polling it (stat only)'),
    });
    await feed.#watch.start();
    // A save between the first read and the watch's start would otherwise wait for the next one.
    await feed.check();
    return feed;
  }

  get users(): UsersFile {
    return this.#users;
  }

  get generation(): number {
    return this.#generation;
  }

  subscribe(listener: (users: UsersFile, generation: number) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Reads the file now; a new good version becomes the next generation. Calls during a read earn one more read after it. */
  check(): Promise<void> {
    return this.#pass.run();
  }

  async #checkOnce(): Promise<void> {
    const { path, logger } = this.#options;
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
      if (this.#lastText !== code) logger.error({ path, reason: code }, 'users file cannot be read; keeping the last good users');
      this.#lastText = code;
      return;
    }
    if (text === this.#lastText) return;
    this.#lastText = text;
    let users: UsersFile;
    try {
      users = parseUsers(text, path);
    } catch (error) {
      logger.error({ path, reason: (error as Error).message }, 'users file is invalid; keeping the last good users');
      return;
    }
    this.#users = users;
    this.#generation++;
    logger.info({ path, users: users.users.length, serviceAccounts: users.serviceAccounts.length, generation: this.#generation }, 'users reloaded');
    for (const listener of this.#listeners) listener(users, this.#generation);
  }

  close(): void {
    this.#watch?.close();
    this.#listeners.clear();
  }
}

/** A gateway worker's users: the primary's, swapped in whole with their generation. */
export class FedUsers implements UsersSource {
  #users: UsersFile = { users: [], serviceAccounts: [] };
  #generation = 0;
  readonly #listeners = new Set<(users: UsersFile, generation: number) => void>();

  subscribe(listener: (users: UsersFile, generation: number) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  get users(): UsersFile {
    return this.#users;
  }

  get generation(): number {
    return this.#generation;
  }

  /** Older generations (a message overtaken by a newer one) are ignored. */
  apply(users: UsersFile, generation: number): boolean {
    if (generation <= this.#generation) return false;
    this.#users = users;
    this.#generation = generation;
    for (const listener of this.#listeners) listener(users, generation);
    return true;
  }

  close(): void {}
}
