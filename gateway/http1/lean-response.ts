// The response of the gateway's hot path (a proxied request without a body): the status line and
// headers are serialised once and handed to the connection with the body bytes, which sends what
// the loop turn gathered in one write (one write per answer for small ones). Framing is decided here, as node:http
// decides it: Content-Length when known, else chunked for HTTP/1.1 and close-delimited for
// HTTP/1.0; no body for HEAD, 1xx, 204 and 304.
import { EventEmitter } from 'node:events';
import { STATUS_CODES, type OutgoingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import { unsafeHeaderValue } from './header-safety.js';

/** What the gateway writes answers to: node:http's ServerResponse or a LeanResponse. */
export interface ResponseSink {
  readonly headersSent: boolean;
  readonly writableEnded: boolean;
  readonly writableFinished: boolean;
  statusCode: number;
  writeHead(status: number, headers?: OutgoingHttpHeaders): this;
  write(chunk: Buffer): boolean;
  end(body?: string | Buffer): this;
  destroy(): void;
  setHeader(name: string, value: string): this;
  getHeader(name: string): number | string | string[] | undefined;
  on(event: 'finish' | 'close' | 'drain', listener: () => void): this;
  once(event: 'finish' | 'close' | 'drain', listener: () => void): this;
}

/** The connection a LeanResponse belongs to: answers leave in request order. */
export interface ResponseOwner {
  readonly socket: Socket;
  /** The gateway is shutting down: every answer closes its connection. */
  readonly closing: boolean;
  /** `Date: …\r\n`, refreshed every second. */
  dateLine(): string;
  /** Takes answer bytes, sent at the end of the loop turn; false when the client is not taking them (wait for 'drain'). */
  send(data: string | Buffer): boolean;
  finished(response: LeanResponse, closeAfter: boolean): void;
}

export interface LeanRequestLine {
  readonly method: string;
  readonly versionMinor: number;
  readonly keepAlive: boolean;
}


export class LeanResponse extends EventEmitter implements ResponseSink {
  statusCode = 200;
  headersSent = false;
  writableEnded = false;
  writableFinished = false;
  readonly #owner: ResponseOwner;
  readonly #request: LeanRequestLine;
  #extra: Array<[string, string]> | null = null;
  #contentLength: number | null = null;
  #chunked = false;
  #noBody = false;
  #closeAfter = false;
  /** The oldest unanswered request on its connection: only then may it write. */
  #active = false;
  #pending: Array<string | Buffer> | null = null;
  #destroyed = false;
  #awaitingDrain = false;
  /** Body bytes sent (framing excluded), for the access log. */
  bodyBytes = 0;

  constructor(owner: ResponseOwner, request: LeanRequestLine) {
    super();
    this.#owner = owner;
    this.#request = request;
  }

  setHeader(name: string, value: string): this {
    line(name, value); // refused here, as node:http refuses it, rather than at writeHead
    (this.#extra ??= []).push([name, value]);
    return this;
  }

  getHeader(name: string): number | string | undefined {
    if (name === 'content-length') return this.#contentLength ?? undefined;
    return this.#extra?.find(([n]) => n === name)?.[1];
  }

  writeHead(status: number, headers?: OutgoingHttpHeaders): this {
    if (this.headersSent) return this;
    const pairs: string[] = [];
    if (headers) {
      for (const name in headers) {
        const value = headers[name];
        if (value === undefined) continue;
        const lower = name.toLowerCase();
        if (Array.isArray(value)) for (const v of value) pairs.push(lower, v);
        else pairs.push(lower, String(value));
      }
    }
    return this.writeHeadPairs(status, pairs);
  }

  /**
   * writeHead with the headers as a flat list (name, value, name, value…; names lower-case, a name
   * repeated for each of its values), as an upstream's answer arrives: no object keyed by header names
   * is built per answer. writeHead hands its object's names over lower-cased: every header this
   * engine writes goes out with a lower-case name, as HTTP/2 would have it.
   */
  writeHeadPairs(status: number, pairs: readonly string[]): this {
    if (this.headersSent) return this;
    // Built first, committed after: a refused header value throws with nothing sent or changed, so
    // the handler can still answer (as with node:http).
    const method = this.#request.method;
    const noBody = method === 'HEAD' || status === 204 || status === 304 || status < 200;
    let closeAfter = false;
    let contentLength: number | null = null;
    let head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Unknown'}\r\n`;
    let hasDate = false;
    if (this.#extra) for (const [name, value] of this.#extra) head += line(name, value);
    for (let i = 0; i < pairs.length; i += 2) {
      const name = pairs[i]!;
      const value = pairs[i + 1]!;
      if (name === 'connection') {
        if (/close/i.test(value)) closeAfter = true;
        continue; // written below, from what this response does
      }
      if (name === 'transfer-encoding') continue; // framing is decided here
      if (name === 'content-length') contentLength = Number(value);
      else if (name === 'date') hasDate = true;
      head += line(name, value);
    }
    if (!hasDate) head += this.#owner.dateLine();
    let chunked = false;
    if (!noBody && contentLength === null) {
      if (this.#request.versionMinor >= 1) {
        chunked = true;
        head += 'Transfer-Encoding: chunked\r\n';
      } else {
        closeAfter = true; // HTTP/1.0 without a length: the end of the connection ends the body
      }
    }
    if (!this.#request.keepAlive || this.#owner.closing) closeAfter = true;
    if (closeAfter) head += 'Connection: close\r\n';
    else if (this.#request.versionMinor === 0) head += 'Connection: keep-alive\r\n';
    this.statusCode = status;
    this.headersSent = true;
    this.#noBody = noBody;
    this.#contentLength = contentLength;
    this.#chunked = chunked;
    this.#closeAfter = closeAfter;
    this.#out(`${head}\r\n`);
    return this;
  }

  write(chunk: Buffer): boolean {
    if (this.writableEnded || this.#destroyed) return false;
    if (!this.headersSent) this.writeHead(this.statusCode);
    if (this.#noBody || chunk.length === 0) return true;
    this.bodyBytes += chunk.length;
    if (!this.#chunked) return this.#out(chunk);
    this.#out(`${chunk.length.toString(16)}\r\n`);
    this.#out(chunk);
    return this.#out('\r\n');
  }

  end(body?: string | Buffer): this {
    if (this.writableEnded || this.#destroyed) return this;
    const bytes = body === undefined ? null : typeof body === 'string' ? Buffer.from(body) : body;
    if (!this.headersSent) this.writeHead(this.statusCode, { 'content-length': bytes?.length ?? 0 });
    if (bytes) this.write(bytes);
    if (this.#chunked && !this.#noBody) this.#out('0\r\n\r\n');
    this.writableEnded = true;
    if (this.#active) this.#finish();
    return this;
  }

  /** The answer cannot be completed (the upstream failed mid-body): the connection is cut. */
  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.#owner.socket.destroy();
  }

  /** Now the oldest unanswered request: what was held back is written. */
  activate(): void {
    this.#active = true;
    const pending = this.#pending;
    this.#pending = null;
    if (pending) for (const data of pending) if (!this.#owner.send(data)) this.#awaitDrain();
    if (this.writableEnded) this.#finish();
  }

  /** The connection closed before the answer was complete. */
  abandon(): void {
    if (this.writableFinished) return;
    this.#destroyed = true;
    this.emit('close');
  }

  #out(data: string | Buffer): boolean {
    if (this.#destroyed) return false;
    if (!this.#active) {
      (this.#pending ??= []).push(data);
      return true;
    }
    if (this.#owner.send(data)) return true;
    this.#awaitDrain();
    return false;
  }

  #awaitDrain(): void {
    if (this.#awaitingDrain) return;
    this.#awaitingDrain = true;
    this.#owner.socket.once('drain', () => {
      this.#awaitingDrain = false;
      this.emit('drain');
    });
  }

  #finish(): void {
    this.writableFinished = true;
    this.emit('finish');
    this.#owner.finished(this, this.#closeAfter);
  }
}

function line(name: string, value: string): string {
  if (unsafeHeaderValue(value)) throw Object.assign(new TypeError(`invalid character in header ${name}`), { code: 'ERR_INVALID_CHAR' });
  return `${name}: ${value}\r\n`;
}
