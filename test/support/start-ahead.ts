// Setups that a test file runs one after another (say a binary per engine and worker count), each
// started while the one before it is in use: the next binary boots (~1-2 s, mostly waiting on module
// loading and its workers) while the current describe's cases run, instead of after them.
export class StartAhead<K, T> {
  readonly #started = new Map<K, Promise<T>>();

  /** `order`: the setups in the order the file's describes take them. */
  constructor(
    private readonly order: readonly K[],
    private readonly start: (key: K) => Promise<T>,
    private readonly stop: (setup: T) => Promise<unknown>,
  ) {}

  /** The setup for `key` (started now unless it already is), and the next one's start begun. */
  take(key: K): Promise<T> {
    const own = this.#ensure(key);
    const next = this.order[this.order.indexOf(key) + 1];
    if (next !== undefined) this.#ensure(next);
    return own;
  }

  /** Forgets a setup its describe stopped itself. */
  release(key: K): void {
    this.#started.delete(key);
  }

  /** Stops every setup still running (for a file-level afterAll: a describe filtered out never stops its own). */
  async stopAll(): Promise<void> {
    const left = [...this.#started.values()];
    this.#started.clear();
    for (const setup of left) {
      const ready = await setup.catch(() => undefined);
      if (ready !== undefined) await this.stop(ready);
    }
  }

  #ensure(key: K): Promise<T> {
    let setup = this.#started.get(key);
    if (!setup) {
      setup = this.start(key);
      // A failed start is reported by the describe that takes it, not as an unhandled rejection.
      setup.catch(() => undefined);
      this.#started.set(key, setup);
    }
    return setup;
  }
}
