// The lean HTTP/1.1 server (gateway.engine: lean): a net (or tls) server whose connections parse
// with Node's own parser and answer the hot path without node:http's per-request streams. Measured
// against node:http in bench/gateway.mjs (README "Performance → Gateway"). Timeouts as node:http's
// are set up by the gateway: the headers of a request must arrive within headersTimeoutMs, an idle
// keep-alive connection is closed after keepAliveTimeoutMs; both checked once a second.
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { Http1Connection, type ConnectionContext, type Http1Handlers } from './connection.js';
import type { ParserFactory } from './parser.js';

export interface Http1ServerOptions {
  readonly factory: ParserFactory;
  readonly handlers: Http1Handlers;
  readonly maxHeaderSize: number;
  readonly headersTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
  readonly tls?: { readonly cert: Buffer; readonly key: Buffer } | null;
  /** Decides on each new connection before anything is read from it; false: it was closed. */
  readonly admit?: (socket: Socket) => boolean;
}

export class Http1Server implements ConnectionContext {
  readonly factory: ParserFactory;
  readonly handlers: Http1Handlers;
  readonly maxHeaderSize: number;
  readonly #options: Http1ServerOptions;
  readonly #server: NetServer;
  readonly #connections = new Set<Http1Connection>();
  #now = Date.now();
  #dateLine = dateLine();
  #closing = false;
  #ticker: NodeJS.Timeout | null = null;

  constructor(options: Http1ServerOptions) {
    this.#options = options;
    this.factory = options.factory;
    this.handlers = options.handlers;
    this.maxHeaderSize = options.maxHeaderSize;
    // Half-open: a client that shuts down its sending side after its request still gets the answer.
    const admit = options.admit;
    const accept = (socket: Socket): void => {
      if (admit && !admit(socket)) return;
      this.#connections.add(new Http1Connection(socket, this));
    };
    this.#server = options.tls
      ? createTlsServer({ cert: options.tls.cert, key: options.tls.key, allowHalfOpen: true, ALPNProtocols: ['http/1.1'] }, accept)
      : createNetServer({ allowHalfOpen: true }, accept);
  }

  get closing(): boolean {
    return this.#closing;
  }

  now(): number {
    return this.#now;
  }

  dateLine(): string {
    return this.#dateLine;
  }

  forget(connection: Http1Connection): void {
    this.#connections.delete(connection);
  }

  async listen(port: number, host: string): Promise<AddressInfo> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, host, () => {
        this.#server.removeListener('error', reject);
        resolve();
      });
    });
    this.#ticker = setInterval(() => this.#tick(), 1000);
    this.#ticker.unref();
    return this.#server.address() as AddressInfo;
  }

  /** Stops accepting; `done` runs once every connection has ended. Answers from now on close their connection. */
  close(done: () => void): void {
    this.#closing = true;
    this.#server.close(() => {
      if (this.#ticker) clearInterval(this.#ticker);
      done();
    });
  }

  /**
   * Closes the idle connections, and those whose client has closed its side: a stop waits for answers
   * in flight, but not for one to a client that has left. A streamed answer (a followed log, an event
   * subscription) to a client gone since kept the stop waiting for gateway.shutdownTimeout; node:http
   * and nginx abandon such an answer at the client's FIN already.
   */
  closeIdleConnections(): void {
    for (const connection of this.#connections) if (connection.idle || connection.clientEnded) connection.socket.destroy();
  }

  closeAllConnections(): void {
    for (const connection of this.#connections) connection.socket.destroy();
  }

  #tick(): void {
    this.#now = Date.now();
    this.#dateLine = dateLine();
    const { headersTimeoutMs, keepAliveTimeoutMs } = this.#options;
    for (const connection of this.#connections) {
      if (connection.done) continue; // ending; closeAllConnections cuts it if need be
      if (connection.headStartedAt !== 0) {
        if (this.#now - connection.headStartedAt > headersTimeoutMs) connection.timedOut();
      } else if (connection.idle && this.#now - connection.idleSince > keepAliveTimeoutMs) {
        connection.socket.destroy();
      }
    }
  }
}

function dateLine(): string {
  return `Date: ${new Date().toUTCString()}\r\n`;
}
