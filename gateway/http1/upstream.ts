// The lean engine's upstream client for the hot path: bodiless GET and HEAD over plain HTTP/1.1 to
// an upstream, on keep-alive connections (up to 256 per origin, idle ones closed after 4 s), the
// answer parsed by Node's own llhttp. It replaces undici there because undici's per-request work
// was the largest share left in the profile (bench/gateway.mjs, README "Performance → Gateway");
// requests with a body, HTTPS upstreams and the node engine still go through undici.
// A request that finds its reused connection closed before any answer byte is sent again once on
// a new connection (a GET or HEAD may be); the route's timeout limits the wait for the head and
// every pause between body chunks, as undici's headersTimeout and bodyTimeout do.
import { connect, type Socket } from 'node:net';
import { UpstreamError, upstreamErrorOf } from '../errors.js';
import { unsafeHeaderValue } from './header-safety.js';
import type { ParserFactory, RequestParser } from './parser.js';
import { scheduleFlush, type BatchedWriter } from './write-batch.js';

export interface UpstreamHandler {
  onConnect(abort: (reason?: Error) => void): void;
  onHeaders(status: number, rawHeaders: string[], resume: () => void): boolean;
  onData(chunk: Buffer): boolean;
  onComplete(trailers: string[]): void;
  onError(error: Error): void;
}

export interface UpstreamRequest {
  readonly method: 'GET' | 'HEAD';
  /** Encoded path and query. */
  readonly path: string;
  /** Name, value, name, value… (names lower-case). */
  readonly headers: readonly string[];
  readonly timeoutMs: number;
}

const MAX_CONNECTIONS = 256;
const IDLE_MS = 4_000;

export class LeanUpstreamClient {
  readonly factory: ParserFactory;
  readonly #pools = new Map<string, OriginPool>();
  readonly #byUrl = new WeakMap<URL, OriginPool>();
  readonly #ticker: NodeJS.Timeout;
  now = Date.now();

  constructor(factory: ParserFactory) {
    this.factory = factory;
    this.#ticker = setInterval(() => this.#tick(), 250);
    this.#ticker.unref();
  }

  dispatch(upstream: URL, request: UpstreamRequest, handler: UpstreamHandler): void {
    let pool = this.#byUrl.get(upstream);
    if (!pool) {
      pool = this.#pools.get(upstream.host) ?? new OriginPool(this, upstream.hostname.replace(/^\[|\]$/g, ''), Number(upstream.port || 80), upstream.host);
      this.#byUrl.set(upstream, pool);
    }
    if (!pool.registered) {
      pool.registered = true;
      this.#pools.set(pool.hostHeader, pool);
    }
    let text = `${request.method} ${request.path} HTTP/1.1\r\n`;
    let hasHost = false;
    const headers = request.headers;
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i]!;
      if (name === 'host') hasHost = true;
      text += header(name, headers[i + 1]!);
    }
    if (!hasHost) text += `host: ${pool.hostHeader}\r\n`;
    pool.start(new Exchange(`${text}\r\n`, request.method === 'HEAD', handler, request.timeoutMs));
  }

  close(): void {
    clearInterval(this.#ticker);
    for (const pool of this.#pools.values()) pool.close();
    this.#pools.clear();
  }

  #tick(): void {
    this.now = Date.now();
    for (const pool of this.#pools.values()) {
      pool.sweep(this.now);
      // Tasks come and go with new ports: a pool with nothing in it is dropped until it is used again.
      if (pool.empty) {
        pool.registered = false;
        this.#pools.delete(pool.hostHeader);
      }
    }
  }
}

function header(name: string, value: string): string {
  if (unsafeHeaderValue(value)) throw new UpstreamError('ERR_GATEWAY_UPSTREAM_BAD_HEADER', `invalid character in header ${name}`);
  return `${name}: ${value}\r\n`;
}

class Exchange {
  /** Some of the answer arrived: it can no longer be sent again. */
  answered = false;
  retried = false;
  deadline = 0;
  constructor(readonly text: string, readonly head: boolean, readonly handler: UpstreamHandler, readonly timeoutMs: number) {}
}

class OriginPool {
  readonly client: LeanUpstreamClient;
  readonly host: string;
  readonly port: number;
  readonly hostHeader: string;
  readonly idle: UpstreamConnection[] = [];
  readonly busy = new Set<UpstreamConnection>();
  readonly #waiting: Exchange[] = [];
  /** In the client's table, so that it is swept. */
  registered = false;

  constructor(client: LeanUpstreamClient, host: string, port: number, hostHeader: string) {
    this.client = client;
    this.host = host;
    this.port = port;
    this.hostHeader = hostHeader;
  }

  start(exchange: Exchange): void {
    const idle = this.idle.pop(); // the most recently used: the least likely to have been closed
    if (idle) return idle.run(exchange, true);
    if (this.idle.length + this.busy.size < MAX_CONNECTIONS) return new UpstreamConnection(this).run(exchange, false);
    this.#waiting.push(exchange);
  }

  released(connection: UpstreamConnection): void {
    this.busy.delete(connection);
    const next = this.#waiting.shift();
    if (next) return connection.run(next, true);
    connection.idleSince = this.client.now;
    this.idle.push(connection);
  }

  removed(connection: UpstreamConnection): void {
    this.busy.delete(connection);
    const at = this.idle.indexOf(connection);
    if (at >= 0) this.idle.splice(at, 1);
    const next = this.#waiting.shift();
    if (next) this.start(next);
  }

  get empty(): boolean {
    return this.idle.length === 0 && this.busy.size === 0 && this.#waiting.length === 0;
  }

  sweep(now: number): void {
    for (const connection of this.busy) connection.checkDeadline(now);
    for (const connection of [...this.idle]) if (now - connection.idleSince > IDLE_MS) connection.destroy();
  }

  close(): void {
    for (const connection of [...this.idle, ...this.busy]) connection.destroy();
  }
}

class UpstreamConnection implements BatchedWriter {
  readonly #pool: OriginPool;
  readonly #socket: Socket;
  readonly #parser: RequestParser;
  #exchange: Exchange | null = null;
  #reused = false;
  #keepAlive = false;
  #interim = false;
  #closed = false;
  /** The answer completed during this read: the connection goes back to the pool once the read is parsed to its end. */
  #releaseAfterRead = false;
  /** Bytes of an answer nobody asked for (a body after a HEAD or 204 answer, a second answer): the connection is not reused. */
  #stray = false;
  /** The request, sent with the loop turn's other writes (write-batch.ts). */
  #outgoing: string | null = null;
  idleSince = 0;

  constructor(pool: OriginPool) {
    this.#pool = pool;
    this.#parser = pool.client.factory.createResponse({
      head: (status, rawHeaders, keepAlive) => this.#onHead(status, rawHeaders, keepAlive),
      body: (chunk) => this.#onBody(chunk),
      complete: () => this.#onComplete(),
    });
    const socket = connect(pool.port, pool.host);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      // Bytes while no request is out: nothing can be trusted on this connection (nginx closes it too).
      if (this.#exchange === null) return this.destroy();
      const parsed = this.#parser.execute(chunk);
      if (typeof parsed !== 'number')
        return this.#fail(
          new UpstreamError(
            'ERR_GATEWAY_UPSTREAM_BAD_RESPONSE',
            `the upstream's answer is not valid HTTP (${parsed.code ?? parsed.message})`,
          ),
        );
      // Released only now, not from the parser's complete event: bytes after the answer in the
      // same read would otherwise be parsed as the answer to the next request given this connection.
      if (this.#releaseAfterRead) {
        this.#releaseAfterRead = false;
        if (this.#stray || this.#closed) this.destroy();
        else this.#pool.released(this);
      }
    });
    socket.on('end', () => {
      // A body that runs to the end of the connection is complete now.
      const error = this.#parser.finish();
      this.#fail(
        error
          ? new UpstreamError('ERR_GATEWAY_UPSTREAM_BAD_RESPONSE', `the upstream's answer ended early (${error.code ?? error.message})`)
          : closedEarly(),
      );
    });
    socket.on('error', (error: NodeJS.ErrnoException) => this.#fail(upstreamErrorOf(error.code ?? 'ECONNRESET', error.message)));
    socket.on('close', () => this.#fail(closedEarly()));
    this.#socket = socket;
  }

  run(exchange: Exchange, reused: boolean): void {
    this.#exchange = exchange;
    this.#reused = reused;
    this.#pool.busy.add(this);
    exchange.deadline = exchange.timeoutMs > 0 ? this.#pool.client.now + exchange.timeoutMs : 0;
    exchange.handler.onConnect((reason) => {
      if (this.#exchange !== exchange) return;
      this.#exchange = null;
      this.destroy();
      exchange.handler.onError(reason ?? new UpstreamError('ERR_GATEWAY_ABORTED', 'aborted'));
    });
    this.#outgoing = exchange.text;
    scheduleFlush(this);
  }

  flushBatched(): void {
    const text = this.#outgoing;
    this.#outgoing = null;
    if (text !== null && !this.#closed) this.#socket.write(text, 'latin1');
  }

  checkDeadline(now: number): void {
    const exchange = this.#exchange;
    if (exchange && exchange.deadline !== 0 && now > exchange.deadline)
      this.#fail(new UpstreamError('ERR_GATEWAY_UPSTREAM_TIMED_OUT', `the upstream did not answer within ${exchange.timeoutMs} ms`));
  }

  destroy(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#socket.destroy();
    this.#parser.free();
    this.#pool.removed(this);
  }

  #onHead(status: number, rawHeaders: string[], keepAlive: boolean): boolean {
    const exchange = this.#exchange;
    if (!exchange) {
      this.#stray = true;
      return true;
    }
    exchange.answered = true;
    if (status < 200) {
      this.#interim = true; // 1xx: the real answer follows
      return true;
    }
    this.#keepAlive = keepAlive;
    this.#refresh(exchange);
    exchange.handler.onHeaders(status, rawHeaders, this.#resume);
    return exchange.head;
  }

  readonly #resume = (): void => {
    this.#socket.resume();
  };

  #onBody(chunk: Buffer): void {
    const exchange = this.#exchange;
    if (!exchange) return;
    this.#refresh(exchange);
    if (!exchange.handler.onData(chunk)) this.#socket.pause();
  }

  #onComplete(): void {
    if (this.#interim) {
      this.#interim = false;
      return;
    }
    const exchange = this.#exchange;
    if (!exchange) return;
    this.#exchange = null;
    if (this.#keepAlive && !this.#closed) this.#releaseAfterRead = true;
    else this.destroy();
    exchange.handler.onComplete([]); // trailers are dropped (parser.ts)
  }

  #refresh(exchange: Exchange): void {
    if (exchange.deadline !== 0) exchange.deadline = this.#pool.client.now + exchange.timeoutMs;
  }

  #fail(error: UpstreamError): void {
    const exchange = this.#exchange;
    this.#exchange = null;
    this.destroy();
    if (!exchange) return;
    // A reused connection the upstream had closed: nothing was answered, so the request goes again.
    if (this.#reused && !exchange.answered && !exchange.retried && error.code !== 'ERR_GATEWAY_UPSTREAM_TIMED_OUT') {
      exchange.retried = true;
      this.#pool.start(exchange);
      return;
    }
    exchange.handler.onError(error);
  }
}

function closedEarly(): UpstreamError {
  return new UpstreamError('ERR_GATEWAY_UPSTREAM_CLOSED', 'the upstream closed the connection before the answer was complete');
}
