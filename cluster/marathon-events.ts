// Follows Marathon's event stream (`GET /v2/events`, server-sent events) and calls back on every
// event, so task changes reach the snapshot within moments instead of at the next poll. The stream is
// reopened after a pause when it fails or ends; polling stays the safety net.
//
// The stream is parsed by eventsource-parser rather than by splitting on blank lines: Marathon's
// servlet ends lines with CRLF, and the SSE spec allows CR, LF or CRLF, comments, multi-line data
// and `retry:`; a hand-written split on "\n\n" never saw a single event from a real Marathon.
import type { Logger } from 'pino';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { ClusterError } from './errors.js';
import { httpCall } from './http-client.js';

export interface MarathonEventFollowerOptions {
  readonly url: string;                    // Marathon's base URL
  readonly onEvent: (eventType: string) => void;
  readonly logger: Logger;
  readonly retryMs?: number;
  readonly userAgent?: string;
}

// One event larger than this is not an event Marathon sends; the stream is reopened instead of
// buffering it.
const MAX_EVENT_BYTES = 1_048_576;
// A server's `retry:` is honoured within these bounds, so a hostile or broken value can neither
// hammer Marathon nor silence the stream for hours.
const MIN_RETRY_MS = 100;
const MAX_RETRY_MS = 60_000;

/** The event's type: the SSE `event:` field, else Marathon's `eventType` in the JSON data. */
export function marathonEventType(message: EventSourceMessage): string | null {
  if (message.event) return message.event;
  try {
    const data: unknown = JSON.parse(message.data);
    if (data && typeof data === 'object' && typeof (data as Record<string, unknown>)['eventType'] === 'string')
      return (data as Record<string, string>)['eventType']!;
  } catch {
    // Not JSON: an event without a type is not one we can act on.
  }
  return null;
}

export class MarathonEventFollower {
  readonly #options: MarathonEventFollowerOptions;
  #abort = new AbortController();
  #closed = false;
  #retry: NodeJS.Timeout | null = null;
  #running: Promise<void> | null = null;
  #serverRetryMs: number | null = null;

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
      const headers = { accept: 'text/event-stream', 'user-agent': this.#options.userAgent ?? 'Gatehouse' };
      const response = await httpCall(url, { headers, signal: this.#abort.signal });
      if (!response.ok) {
        response.discard();
        throw new ClusterError('ERR_CLUSTER_FETCH_FAILED', `${url} answered HTTP ${response.status}`);
      }
      let overflow: ClusterError | null = null;
      const parser = createParser({
        maxBufferSize: MAX_EVENT_BYTES,
        onEvent: (message) => {
          const type = marathonEventType(message);
          if (type) this.#options.onEvent(type);
        },
        onRetry: (ms) => (this.#serverRetryMs = Math.min(MAX_RETRY_MS, Math.max(MIN_RETRY_MS, ms))),
        onError: (error) => {
          if (error.type === 'max-buffer-size-exceeded')
            overflow = new ClusterError('ERR_CLUSTER_EVENT_TOO_LARGE', `${url} sent an event over ${MAX_EVENT_BYTES} bytes`);
        },
      });
      const decoder = new TextDecoder();
      for await (const chunk of response.body) {
        parser.feed(decoder.decode(chunk, { stream: true }));
        if (overflow) throw overflow;
      }
      throw new ClusterError('ERR_CLUSTER_FETCH_FAILED', `${url}: the stream ended`);
    } catch (error) {
      if (this.#closed) return;
      this.#options.logger.debug({ url, reason: error instanceof Error ? error.message : String(error) }, 'Marathon event stream lost; reopening');
      this.#abort = new AbortController();
      this.#retry = setTimeout(() => (this.#running = this.#follow()), this.#serverRetryMs ?? this.#options.retryMs ?? 1000);
      this.#retry.unref();
    }
  }
}
