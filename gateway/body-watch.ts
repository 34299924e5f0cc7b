// Time limits on request bodies, for both engines (nginx: client_body_timeout, and the bounded
// discard of a refused request's body).
// - While the body arrives: when no byte of it has come for gateway.bodyTimeout although the gateway
//   was ready for more (nothing received lies unread), the request is over: 408 if nothing was
//   answered yet, and the connection is closed.
// - Once an answer is complete before its body is (401, 403, 413, an upstream answering early): the
//   rest is read and dropped, so that the connection can serve its next request, but for at most
//   gateway.discardBodyTimeout and gateway.discardBodySize; past either the connection is closed.
// Whenever the connection closes with the body incomplete, the body stream fails, so whatever reads
// it (an upstream request) is aborted and lets go of its upstream connection.
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { GatewayError } from './errors.js';
import { sendGatewayError } from './proxy.js';
import type { ResponseSink } from './http1/index.js';

export interface BodyLimits {
  readonly bodyTimeoutMs: number;
  readonly discardBodyTimeoutMs: number;
  readonly discardBodySize: number;
}

interface Watched {
  readonly req: IncomingMessage;
  readonly res: ResponseSink;
  readonly socket: Socket;
  /** socket.bytesRead when last seen, and when it last moved (or the gateway last had bytes unread). */
  bytesSeen: number;
  progressAt: number;
  /** Set once the answer is complete: from then on the body is being dropped. */
  discardFrom: { readonly at: number; readonly bytes: number } | null;
}

export class BodyClosedError extends GatewayError {
  declare readonly code: 'ERR_GATEWAY_CLIENT_GONE';
  constructor() {
    super('ERR_GATEWAY_CLIENT_GONE', 'the client connection closed before the request body was complete');
  }
}

export class BodyWatch {
  readonly #limits: BodyLimits;
  readonly #watched = new Set<Watched>();
  readonly #checkEveryMs: number;
  #ticker: NodeJS.Timeout | null = null;

  constructor(limits: BodyLimits) {
    this.#limits = limits;
    // Every 100 ms at most (the bytes a client can push past discardBodySize in between stay small),
    // and within a quarter of the shorter time limit; runs only while there are bodies to watch.
    this.#checkEveryMs = Math.min(100, Math.max(25, Math.min(limits.bodyTimeoutMs, limits.discardBodyTimeoutMs) / 4));
  }

  /** Watches a request whose body has not arrived in full yet; nothing to do for one that has. */
  watch(req: IncomingMessage, res: ResponseSink): void {
    if (req.complete) return;
    const socket = req.socket;
    const entry: Watched = { req, res, socket, bytesSeen: socket.bytesRead, progressAt: Date.now(), discardFrom: null };
    const forget = (): void => {
      this.#watched.delete(entry);
      if (this.#watched.size === 0 && this.#ticker) {
        clearInterval(this.#ticker);
        this.#ticker = null;
      }
    };
    req.once('end', forget);
    socket.once('close', () => {
      forget();
      if (!req.complete && !req.destroyed) req.destroy(new BodyClosedError());
    });
    res.once('finish', () => {
      if (this.#watched.has(entry) && !req.complete) entry.discardFrom = { at: Date.now(), bytes: socket.bytesRead };
    });
    this.#watched.add(entry);
    if (!this.#ticker) {
      this.#ticker = setInterval(() => this.#check(), this.#checkEveryMs);
      this.#ticker.unref();
    }
  }

  close(): void {
    if (this.#ticker) clearInterval(this.#ticker);
    this.#ticker = null;
    this.#watched.clear();
  }

  #check(): void {
    const now = Date.now();
    const { bodyTimeoutMs, discardBodyTimeoutMs, discardBodySize } = this.#limits;
    for (const entry of this.#watched) {
      const { socket, req } = entry;
      if (socket.destroyed || req.complete) {
        this.#watched.delete(entry);
        continue;
      }
      const discard = entry.discardFrom;
      if (discard) {
        if (now - discard.at > discardBodyTimeoutMs || socket.bytesRead - discard.bytes > discardBodySize) {
          this.#watched.delete(entry);
          socket.destroy();
        }
        continue;
      }
      // Bytes received but not taken yet (the handler or the upstream is slow): not the client's delay.
      if (socket.bytesRead !== entry.bytesSeen || req.readableLength > 0) {
        entry.bytesSeen = socket.bytesRead;
        entry.progressAt = now;
        continue;
      }
      if (now - entry.progressAt > bodyTimeoutMs) {
        this.#watched.delete(entry);
        this.#timedOut(entry);
      }
    }
    if (this.#watched.size === 0 && this.#ticker) {
      clearInterval(this.#ticker);
      this.#ticker = null;
    }
  }

  /** 408 when nothing was answered yet (the connection closes after it), else the connection is cut. */
  #timedOut(entry: Watched): void {
    const res = entry.res;
    if (res.headersSent || res.writableEnded) return void entry.socket.destroy();
    sendGatewayError(
      res,
      'ERR_GATEWAY_BODY_TIMEOUT',
      `no byte of the request body arrived for ${this.#limits.bodyTimeoutMs} ms (gateway.bodyTimeout)`,
      { connection: 'close' },
    );
  }
}
