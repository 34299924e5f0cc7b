// The users file as the gateway serves it: loaded at start, re-read when its content changes, each
// good version numbered (its generation). Only one process reads the file (the primary, or the
// single in-process gateway); gateway workers are fed the primary's users with its generation, so
// that every worker holds the same users. Changes are found by content, not by modification time:
// two `gatehouse user add` within one timestamp tick leave the same mtime, and a worker that had
// read the first version then kept it until the next edit.
import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
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
  /** How often the file is read for changes (default 500 ms; the file is small). */
  readonly intervalMs?: number;
}

export class UsersFeed implements UsersSource {
  readonly #options: UsersFeedOptions;
  readonly #listeners = new Set<(users: UsersFile, generation: number) => void>();
  #users: UsersFile;
  #generation = 1;
  /** The last content looked at, good or not: an unchanged broken file is reported once. */
  #lastText: string | null = null;
  #timer: NodeJS.Timeout | null = null;
  #checking: Promise<void> | null = null;

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
    feed.#timer = setInterval(() => void feed.check(), options.intervalMs ?? 500);
    feed.#timer.unref();
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

  /** Reads the file now; a new good version becomes the next generation. Concurrent calls share one read. */
  check(): Promise<void> {
    this.#checking ??= this.#checkOnce().finally(() => (this.#checking = null));
    return this.#checking;
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
    if (this.#timer) clearInterval(this.#timer);
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
