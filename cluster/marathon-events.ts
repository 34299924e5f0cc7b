// Follows Marathon's event stream (`GET /v2/events`, server-sent events) and calls back on every
// event, so task changes reach the snapshot within moments instead of at the next poll. The stream is
// reopened after a pause when it fails or ends; polling stays the safety net.
import type { Logger } from 'pino';

export interface MarathonEventFollowerOptions {
  readonly url: string;                    // Marathon's base URL
  readonly onEvent: (eventType: string) => void;
  readonly logger: Logger;
  readonly retryMs?: number;
  readonly fetch?: typeof fetch;
  readonly userAgent?: string;
}

export class MarathonEventFollower {
  readonly #options: MarathonEventFollowerOptions;
  #abort = new AbortController();
  #closed = false;
  #retry: NodeJS.Timeout | null = null;
  #running: Promise<void> | null = null;

  constructor(options: MarathonEventFollowerOptions) {
    this.#options = options;
  }

  start(): void {
    this.#running = this.#follow();
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#retry) clearTimeout(this.#retry);
    this.#abort.abort();
    await this.#running?.catch(() => undefined);
  }

  async #follow(): Promise<void> {
    const url = `${this.#options.url.replace(/\/+$/, '')}/v2/events`;
    try {
      const response = await (this.#options.fetch ?? fetch)(url, { headers: { accept: 'text/event-stream', 'user-agent': this.#options.userAgent ?? 'Gatehouse' }, signal: this.#abort.signal });
      if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
      const decoder = new TextDecoder();
      let buffered = '';
      for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
        buffered += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffered.indexOf('\n\n')) >= 0) {
          const block = buffered.slice(0, end);
          buffered = buffered.slice(end + 2);
          const type = /^event:\s*(.*)$/m.exec(block)?.[1]?.trim() ?? (/"eventType"\s*:\s*"([^"]+)"/.exec(block)?.[1] ?? null);
          if (type) this.#options.onEvent(type);
        }
        // A stream that never sends a blank line must not grow without bound.
        if (buffered.length > 1_048_576) buffered = '';
      }
      throw new Error('the stream ended');
    } catch (error) {
      if (this.#closed) return;
      this.#options.logger.debug({ url, reason: error instanceof Error ? error.message : String(error) }, 'Marathon event stream lost; reopening');
      this.#abort = new AbortController();
      this.#retry = setTimeout(() => (this.#running = this.#follow()), this.#options.retryMs ?? 1000);
      this.#retry.unref();
    }
  }
}
