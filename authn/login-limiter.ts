// Failed logins are limited per uid and per client address, so neither guessing one account's
// password nor spraying many accounts from one address gets far. After `maxFailures` failures inside
// `windowMs` the key is locked until the window ends (429 with Retry-After).
import NodeCache from 'node-cache';

export interface LoginLimiterOptions {
  readonly maxFailures?: number;
  readonly windowMs?: number;
  readonly now?: () => number;
}

interface Entry {
  failures: number;
  firstAt: number;
}

export class LoginLimiter {
  readonly #entries: NodeCache;
  readonly #max: number;
  readonly #windowMs: number;
  readonly #now: () => number;

  constructor(options: LoginLimiterOptions = {}) {
    this.#max = options.maxFailures ?? 5;
    this.#windowMs = options.windowMs ?? 5 * 60_000;
    this.#now = options.now ?? Date.now;
    this.#entries = new NodeCache({ stdTTL: Math.ceil(this.#windowMs / 1000), checkperiod: 60, useClones: false, maxKeys: 100_000 });
  }

  close(): void {
    this.#entries.close();
  }

  /** Seconds until `uid` from `address` may try again, or 0 when it may try now. */
  retryAfter(uid: string, address: string): number {
    let wait = 0;
    for (const key of [`u:${uid}`, `a:${address}`]) {
      const entry = this.#entries.get<Entry>(key);
      if (!entry || entry.failures < this.#max) continue;
      const left = entry.firstAt + this.#windowMs - this.#now();
      if (left > 0) wait = Math.max(wait, Math.ceil(left / 1000));
    }
    return wait;
  }

  failed(uid: string, address: string): void {
    const now = this.#now();
    for (const key of [`u:${uid}`, `a:${address}`]) {
      const entry = this.#entries.get<Entry>(key);
      if (!entry || now - entry.firstAt >= this.#windowMs) {
        try {
          this.#entries.set(key, { failures: 1, firstAt: now });
        } catch {
          // The table is full (a flood of distinct keys): the per-uid and other entries still count.
        }
      } else entry.failures++;
    }
  }

  succeeded(uid: string): void {
    this.#entries.del(`u:${uid}`);
  }
}
