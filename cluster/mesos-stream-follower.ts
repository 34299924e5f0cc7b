// Keeps one SUBSCRIBE session open to the leading master, for as long as it is not closed: a
// redirect names the leader (asked next), a broken stream is resubscribed at once and then with
// backoff (the owner polls meanwhile), a refusal (a master without the v1 API) waits resubscribeMs.
import type { Logger } from 'pino';
import { MesosSubscriptionSession, type SessionEnd, type SessionHandlers, type SessionOptions } from './mesos-subscription.js';

export interface StreamFollowerOptions {
  readonly session: SessionOptions;
  readonly resubscribeMs: number;
  readonly logger: Logger;
  /** Masters to try, the last known leader first. */
  candidates(): string[];
  /** A master named another as the leader. */
  leaderIs(base: string): void;
  handlers(base: string): SessionHandlers;
  /** A session ended: the stream is not live until the next one subscribes. */
  ended(end: SessionEnd): void;
  /** The stream broke: the owner polls once now to fill the gap. */
  poll(): void;
}

export class MesosStreamFollower {
  readonly #options: StreamFollowerOptions;
  #session: MesosSubscriptionSession | null = null;
  #running: Promise<void> | null = null;
  #wake: (() => void) | null = null;
  #closed = false;

  constructor(options: StreamFollowerOptions) {
    this.#options = options;
  }

  start(): void {
    this.#running = this.#follow();
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#session?.close();
    this.#wake?.();
    await this.#running;
  }

  async #follow(): Promise<void> {
    const { logger } = this.#options;
    let backoffMs = 250;
    let redirects = 0;
    while (!this.#closed) {
      let end: SessionEnd = { kind: 'refused', reason: 'no master to ask' };
      for (const base of this.#options.candidates()) {
        if (this.#closed) return;
        this.#session = new MesosSubscriptionSession(this.#options.session);
        end = await this.#session
          .run(base, this.#options.handlers(base))
          .catch((error: unknown) => ({ kind: 'broken' as const, reason: String(error), subscribed: false }));
        this.#options.ended(end);
        if (end.kind === 'closed' || this.#closed) return;
        if (end.kind === 'redirect') break;
        if (end.kind === 'broken' && end.subscribed) {
          logger.info({ master: base, reason: end.reason }, 'Mesos event stream lost; polling and resubscribing');
          break;
        }
      }
      if (end.kind === 'redirect' && redirects++ < 3) {
        this.#options.leaderIs(end.leader);
        continue;
      }
      redirects = 0;
      // A stream that was running leaves a gap: one poll fills it now. Otherwise the owner's regular
      // polling goes on as it was (an extra poll here would race the caller's own refreshes).
      if (end.kind === 'broken' && end.subscribed) {
        backoffMs = 250;
        this.#options.poll();
      } else if (end.kind === 'refused') logger.debug({ reason: end.reason }, 'Mesos operator API not available; polling /master/state');
      await this.#sleep(end.kind === 'refused' ? this.#options.resubscribeMs : backoffMs);
      backoffMs = Math.min(backoffMs * 2, 30_000);
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      timer.unref();
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = done;
    });
  }
}
