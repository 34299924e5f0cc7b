// Login attempts are admitted or refused BEFORE the password is checked, and an admitted attempt
// counts as a failure until it is settled: however many guesses arrive at once, no more than the
// limit reach the (slow, scrypt) check. Limits:
//  - per (uid, address): `maxFailuresPerUidAddress` failures in `windowMs` (guessing one account);
//  - per address: `maxFailuresPerAddress` failures in `windowMs` (spraying many accounts);
//  - per uid, from any address: no lock, a delay before the check that grows with the uid's recent
//    failures, capped. A lock per uid alone would let anyone lock `admin` out from anywhere; the
//    delay slows a guesser spread over many addresses while the right password from an address that
//    has not failed always gets through.
// IPv6 clients are counted per /64 (one host usually holds a whole /64). The tables are bounded; when
// one is full its oldest idle entry makes room.

export interface LoginLimiterOptions {
  readonly maxFailuresPerUidAddress?: number;
  readonly maxFailuresPerAddress?: number;
  readonly windowMs?: number;
  /** A uid's failures (any address, within the window) before its attempts are delayed. */
  readonly slowdownAfter?: number;
  readonly slowdownBaseMs?: number;
  readonly slowdownMaxMs?: number;
  /** Entries per table (pairs, addresses, uids). */
  readonly maxEntries?: number;
  readonly now?: () => number;
}

export type Admission =
  | { readonly admitted: false; readonly retryAfter: number }
  | {
      readonly admitted: true;
      /** Wait this long before checking (the uid's slow-down). */
      readonly delayMs: number;
      /** The check's outcome; an attempt never settled stays counted until its window ends. */
      settle(ok: boolean): void;
    };

interface Counter {
  failures: number;
  /** Admitted, not settled yet: counted against the limit like failures. */
  pending: number;
  firstAt: number;
}

class CounterTable {
  readonly #entries = new Map<string, Counter>();
  constructor(readonly windowMs: number, readonly maxEntries: number) {}

  /** The key's counter in the current window; created (making room if need be) when missing. */
  counter(key: string, now: number): Counter {
    const entry = this.#entries.get(key);
    if (entry) {
      if (now - entry.firstAt >= this.windowMs) {
        entry.failures = 0;
        entry.firstAt = now;
      }
      return entry;
    }
    if (this.#entries.size >= this.maxEntries) this.#makeRoom(now);
    const created: Counter = { failures: 0, pending: 0, firstAt: now };
    this.#entries.set(key, created);
    return created;
  }

  failures(key: string, now: number): number {
    const entry = this.#entries.get(key);
    return entry && now - entry.firstAt < this.windowMs ? entry.failures : 0;
  }

  delete(key: string): void {
    this.#entries.delete(key);
  }

  sweep(now: number): void {
    for (const [key, entry] of this.#entries) if (entry.pending === 0 && now - entry.firstAt >= this.windowMs) this.#entries.delete(key);
  }

  #makeRoom(now: number): void {
    this.sweep(now);
    if (this.#entries.size < this.maxEntries) return;
    // Oldest first (insertion order); one with attempts in flight is kept, so that none escapes its count.
    for (const [key, entry] of this.#entries) {
      if (entry.pending === 0) {
        this.#entries.delete(key);
        return;
      }
    }
  }
}

/** The key an address is counted under: IPv4 as is, IPv6 by its /64. */
export function addressKey(address: string): string {
  if (address.startsWith('::ffff:') && address.includes('.')) return address.slice(7);
  if (!address.includes(':')) return address;
  const plain = address.split('%')[0]!;
  const halves = plain.split('::');
  const left = halves[0] ? halves[0].split(':') : [];
  const right = halves.length > 1 && halves[1] ? halves[1].split(':') : [];
  const groups = halves.length > 1 ? [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right] : left;
  return `${groups.slice(0, 4).map((g) => (parseInt(g, 16) || 0).toString(16)).join(':')}::/64`;
}

export class LoginLimiter {
  readonly #pairs: CounterTable;
  readonly #addresses: CounterTable;
  readonly #uids: CounterTable;
  readonly #maxPerPair: number;
  readonly #maxPerAddress: number;
  readonly #slowdownAfter: number;
  readonly #slowdownBaseMs: number;
  readonly #slowdownMaxMs: number;
  readonly #windowMs: number;
  readonly #now: () => number;
  readonly #sweeper: NodeJS.Timeout;

  constructor(options: LoginLimiterOptions = {}) {
    const windowMs = options.windowMs ?? 5 * 60_000;
    const maxEntries = options.maxEntries ?? 100_000;
    this.#pairs = new CounterTable(windowMs, maxEntries);
    this.#addresses = new CounterTable(windowMs, maxEntries);
    this.#uids = new CounterTable(windowMs, maxEntries);
    this.#maxPerPair = options.maxFailuresPerUidAddress ?? 5;
    this.#maxPerAddress = options.maxFailuresPerAddress ?? 20;
    this.#slowdownAfter = options.slowdownAfter ?? 5;
    this.#slowdownBaseMs = options.slowdownBaseMs ?? 250;
    this.#slowdownMaxMs = options.slowdownMaxMs ?? 2000;
    this.#windowMs = windowMs;
    this.#now = options.now ?? Date.now;
    this.#sweeper = setInterval(() => {
      const now = this.#now();
      for (const table of [this.#pairs, this.#addresses, this.#uids]) table.sweep(now);
    }, 60_000);
    this.#sweeper.unref();
  }

  close(): void {
    clearInterval(this.#sweeper);
  }

  /** Synchronous, so that concurrent attempts are counted one by one before any of them is checked. */
  admit(uid: string, address: string): Admission {
    const now = this.#now();
    const pairKey = `${addressKey(address)} ${uid}`;
    const byPair = this.#pairs.counter(pairKey, now);
    const byAddress = this.#addresses.counter(addressKey(address), now);
    const wait = Math.max(this.#retryAfter(byPair, this.#maxPerPair, now), this.#retryAfter(byAddress, this.#maxPerAddress, now));
    if (wait > 0) return { admitted: false, retryAfter: wait };
    byPair.pending++;
    byAddress.pending++;
    const uidFailures = this.#uids.failures(uid, now);
    const delayMs = uidFailures < this.#slowdownAfter ? 0 : Math.min(this.#slowdownMaxMs, this.#slowdownBaseMs * 2 ** (uidFailures - this.#slowdownAfter));
    let settled = false;
    return {
      admitted: true,
      delayMs,
      settle: (ok) => {
        if (settled) return;
        settled = true;
        byPair.pending--;
        byAddress.pending--;
        if (ok) {
          this.#pairs.delete(pairKey);
          this.#uids.delete(uid);
          return;
        }
        const at = this.#now();
        byPair.failures++;
        byAddress.failures++;
        this.#uids.counter(uid, at).failures++;
      },
    };
  }

  /** Seconds until the counter admits another attempt; 0 when it does now. */
  #retryAfter(counter: Counter, max: number, now: number): number {
    if (counter.failures + counter.pending < max) return 0;
    // Full of attempts still in flight: one of them may yet succeed, or fail and fill the window.
    if (counter.failures < max) return 1;
    return Math.max(1, Math.ceil((counter.firstAt + this.#windowMs - now) / 1000));
  }
}
