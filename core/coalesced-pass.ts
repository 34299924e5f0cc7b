// Runs a reload-like pass at most once at a time. Calls that arrive during a pass earn exactly one more
// pass after it, so the newest change is always read and callers (watchers, polls) never pile up.
export class CoalescedPass {
  readonly #pass: () => Promise<void>;
  #running: Promise<void> | null = null;
  #again = false;

  constructor(pass: () => Promise<void>) {
    this.#pass = pass;
  }

  /** The pass under way, if any (to wait for it on close). */
  get running(): Promise<void> | null {
    return this.#running;
  }

  run(): Promise<void> {
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#running = (async () => {
      do {
        this.#again = false;
        await this.#pass();
      } while (this.#again);
    })().finally(() => (this.#running = null));
    return this.#running;
  }
}
