// One client connection of the lean HTTP/1.1 server: parses requests with Node's parser and answers
// them in order. A request the gateway can answer on its hot path gets a LeanResponse; any other
// gets node:http's own IncomingMessage and ServerResponse, so every other endpoint works exactly as
// under node:http. Pipelined requests are answered in order: a later answer is held back until the
// earlier ones are complete.
import { IncomingMessage, ServerResponse, type IncomingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import { LeanResponse, type ResponseOwner } from './lean-response.js';
import type { ParseError, ParserFactory, RequestHead, RequestParser } from './parser.js';
import { scheduleFlush, type BatchedWriter } from './write-batch.js';

/** A parsed request as the hot path sees it: no stream, nothing allocated beyond the headers. */
export interface LeanRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly httpVersion: string;
  readonly socket: Socket;
}

export interface Http1Handlers {
  /** Answers the request on `res` and returns true, or returns false without touching `res`. */
  fast(req: LeanRequest, res: LeanResponse): boolean;
  request(req: IncomingMessage, res: ServerResponse): void;
  upgrade(req: IncomingMessage, socket: Socket, head: Buffer): void;
  clientError(error: ParseError, socket: Socket): void;
}

export interface ConnectionContext {
  readonly factory: ParserFactory;
  readonly handlers: Http1Handlers;
  readonly maxHeaderSize: number;
  readonly closing: boolean;
  /** A clock that ticks every second (ms). */
  now(): number;
  dateLine(): string;
  forget(connection: Http1Connection): void;
}

type Turn = { readonly lean: LeanResponse } | { readonly req: IncomingMessage; readonly res: ServerResponse };

/** More unanswered pipelined requests than this and the connection stops reading until some are answered. */
const MAX_PIPELINED = 32;
/** Answer bytes held back for the end of the loop turn beyond this are written at once. */
const SEND_NOW_BYTES = 64 * 1024;

export class Http1Connection implements ResponseOwner, BatchedWriter {
  readonly socket: Socket;
  readonly #context: ConnectionContext;
  readonly #parser: RequestParser;
  readonly #turns: Turn[] = [];
  /** The general-path request whose body is arriving. */
  #body: IncomingMessage | null = null;
  #upgrade: RequestHead | null = null;
  #peerEnded = false;
  #lastSent = false;
  #pausedForTurns = false;
  /** The handler has not taken the body's bytes yet: reading waits. */
  #pausedForBody = false;
  /** A request with `Connection: close` was read: what follows is not processed (RFC 9112 §9.6). */
  #readNoMore = false;
  /** Unparseable input, answered (400…) once the answers owed before it are out. */
  #refusal: ParseError | null = null;
  #done = false;
  /** Lean answers' bytes waiting for the end of the loop turn (write-batch.ts); written before anything else is. */
  #outgoing: Array<string | Buffer> | null = null;
  #outgoingBytes = 0;
  /** When the current request's first byte came (0: none in progress), for the headers timeout. */
  headStartedAt = 0;
  idleSince: number;

  constructor(socket: Socket, context: ConnectionContext) {
    this.socket = socket;
    this.#context = context;
    this.idleSince = context.now();
    this.#parser = context.factory.create({
      head: (head) => this.#onHead(head),
      body: (chunk) => {
        if (this.#body && !this.#body.push(chunk)) {
          this.#pausedForBody = true;
          socket.pause(); // resumed when the handler reads on, or when the body is complete
        }
      },
      complete: () => {
        const body = this.#body;
        if (!body) return;
        this.#body = null;
        body.complete = true;
        body.push(null);
        // All of the body is the handler's now, read or not: nothing left to wait for (reading an
        // ended stream does not resume the socket, and a handler may never read it).
        if (this.#pausedForBody) {
          this.#pausedForBody = false;
          if (!this.#pausedForTurns) socket.resume();
        }
      },
    }, context.maxHeaderSize);
    socket.setNoDelay(true);
    socket.on('data', this.#onData);
    socket.on('end', this.#onEnd);
    socket.on('error', this.#onError);
    socket.once('close', this.#onClose);
  }

  get closing(): boolean {
    return this.#context.closing;
  }

  dateLine(): string {
    return this.#context.dateLine();
  }

  /** No longer reading requests: the connection is ending (its socket may still be open). */
  get done(): boolean {
    return this.#done;
  }

  /** No request in progress and no answer left to send: safe to close. */
  get idle(): boolean {
    return !this.#done && this.#turns.length === 0 && this.#body === null && this.headStartedAt === 0 && this.#outgoing === null;
  }

  send(data: string | Buffer): boolean {
    const outgoing = this.#outgoing;
    if (outgoing === null) {
      this.#outgoing = [data];
      this.#outgoingBytes = data.length;
      scheduleFlush(this);
    } else {
      outgoing.push(data);
      this.#outgoingBytes += data.length;
    }
    if (this.#outgoingBytes >= SEND_NOW_BYTES) return this.#writeOutgoing();
    return !this.socket.writableNeedDrain;
  }

  flushBatched(): void {
    this.#writeOutgoing();
  }

  /** Writes the held-back answer bytes (strings are latin1, as the heads are built); false: wait for 'drain'. */
  #writeOutgoing(): boolean {
    const outgoing = this.#outgoing;
    if (outgoing === null) return true;
    this.#outgoing = null;
    const socket = this.socket;
    if (socket.destroyed) return false;
    const joined = outgoing.length === 1 ? outgoing[0]! : Buffer.concat(outgoing.map((part) => (typeof part === 'string' ? Buffer.from(part, 'latin1') : part)), this.#outgoingBytes);
    return socket.write(joined, 'latin1');
  }

  readonly #onData = (chunk: Buffer): void => {
    if (this.#done || this.#readNoMore) return;
    // Bytes with no request body in progress are (the start of) a head: its timeout starts now, unless
    // it started before. Tracked here rather than in llhttp's message-begin callback, which would
    // cost a call into JavaScript per request; a head that starts after a complete request in the same
    // chunk is timed from the next chunk on.
    if (this.headStartedAt === 0 && this.#body === null) this.headStartedAt = this.#context.now();
    const parsed = this.#parser.execute(chunk);
    if (typeof parsed !== 'number') {
      // An answer given while this chunk was parsed ended the connection: the rest is not read.
      if (this.#done) return;
      // Bytes after a request with `Connection: close` are not processed; its answer, still owed,
      // ends the connection (llhttp refuses them as HPE_CLOSED_CONNECTION).
      if (parsed.code === 'HPE_CLOSED_CONNECTION' && this.#turns.length > 0) {
        this.#readNoMore = true;
        return;
      }
      return this.#refuse(parsed);
    }
    const upgrade = this.#upgrade;
    if (upgrade) this.#handOver(upgrade, chunk.subarray(parsed));
  };

  readonly #onEnd = (): void => {
    if (this.#done) return;
    this.#peerEnded = true;
    const error = this.#readNoMore ? null : this.#parser.finish();
    if (error) return this.#refuse(error);
    // The client sends nothing more; answers still owed are written, then the connection ends.
    if (this.#turns.length === 0) this.#end();
  };

  readonly #onError = (): void => {
    this.socket.destroy();
  };

  readonly #onClose = (): void => {
    this.#stop();
    this.#context.forget(this);
    for (const turn of this.#turns) {
      if ('lean' in turn) turn.lean.abandon();
      else if (!turn.res.socket) turn.res.emit('close'); // assigned ones hear the socket close themselves
    }
    this.#turns.length = 0;
    this.#outgoing = null;
    if (this.#body && !this.#body.complete) this.#body.destroy();
    this.#body = null;
  };

  #stop(): void {
    if (this.#done) return;
    this.#done = true;
    this.socket.removeListener('data', this.#onData);
    this.socket.removeListener('end', this.#onEnd);
    this.#parser.free();
  }

  /**
   * Ends the connection once what was written is out, and closes the socket then (node:http's
   * destroySoon): not half-open until the client closes its side, which it may never do. Until the
   * socket closes, the server still counts the connection (closeAllConnections cuts it).
   */
  #end(): void {
    this.#stop();
    this.#writeOutgoing();
    this.socket.destroySoon();
  }

  #refuse(error: ParseError): void {
    this.#stop();
    this.#writeOutgoing(); // answers already complete go first
    // A request whose head was handed over but whose framing or body is malformed (`Transfer-
    // Encoding: xchunked`, a bad chunk): if nothing of its answer is out, the 400 takes its place.
    // Its body stream is cut when the socket closes (#onClose), after the 400 is out: destroying it
    // now would destroy the socket with it.
    const failed = this.#body;
    if (failed) {
      const at = this.#turns.findIndex((turn) => 'req' in turn && turn.req === failed);
      const turn = this.#turns[at] as (Turn & { res: ServerResponse }) | undefined;
      if (turn && turn.res.headersSent) return void this.socket.destroy(); // no way to put an error in the middle of its answer
      if (turn) {
        this.#turns.splice(at, 1);
        if (turn.res.socket) turn.res.detachSocket(this.socket);
        turn.res.emit('close');
      }
    }
    if (this.#turns.length === 0) this.#context.handlers.clientError(error, this.socket);
    else this.#refusal = error; // answered once the answers before it are out (finished())
  }

  /** The headers timeout passed with the request still incomplete. */
  timedOut(): void {
    if (this.#done) return;
    const error: ParseError = Object.assign(new Error('the request headers did not arrive in time'), { code: 'ERR_HTTP_REQUEST_TIMEOUT' });
    this.#refuse(error);
  }

  #onHead(head: RequestHead): void {
    this.headStartedAt = 0;
    if (head.upgrade) {
      this.#upgrade = head; // handed over once execute() returns, with the bytes after the head
      return;
    }
    if (this.#lastSent) return; // after an answer that closes the connection, nothing more is read
    const context = this.#context;
    const headers = context.factory.headers(head.rawHeaders);
    const httpVersion = `${head.versionMajor}.${head.versionMinor}`;
    if (this.#turns.length >= MAX_PIPELINED) {
      this.#pausedForTurns = true;
      this.socket.pause();
    }
    // RFC 9112 §3.2: an HTTP/1.1 request without Host gets 400, as node:http answers it.
    const hostless = head.versionMinor >= 1 && headers.host === undefined;
    if (!hostless) {
      const lean = new LeanResponse(this, head);
      const turn: Turn = { lean };
      this.#turns.push(turn);
      if (this.#turns.length === 1) lean.activate();
      if (context.handlers.fast({ method: head.method, url: head.url, headers, httpVersion, socket: this.socket }, lean)) return;
      this.#turns.pop();
    }
    const req = incomingMessage(this.socket, head, headers);
    const res = new ServerResponse(req);
    res.shouldKeepAlive = head.keepAlive && !context.closing;
    const turn: Turn = { req, res };
    this.#turns.push(turn);
    if (this.#turns.length === 1) {
      this.#writeOutgoing(); // node:http writes straight to the socket: earlier lean answers go first
      res.assignSocket(this.socket);
    }
    res.on('finish', () => this.#finishedGeneral(turn));
    this.#body = req;
    if (hostless) {
      res.writeHead(400, { connection: 'close' }).end();
      return;
    }
    // Expectations are HTTP/1.1's: an HTTP/1.0 request's are ignored (RFC 9110 §10.1.1), as node:http ignores them.
    const expect = head.versionMinor >= 1 ? headers.expect : undefined;
    if (expect !== undefined) {
      if (!/^100-continue$/i.test(expect.trim())) {
        res.writeHead(417, { connection: 'close' }).end();
        return;
      }
      res.writeContinue();
    }
    context.handlers.request(req, res);
  }

  #handOver(head: RequestHead, rest: Buffer): void {
    this.#upgrade = null;
    this.#stop();
    this.#writeOutgoing();
    this.#context.forget(this);
    this.socket.removeListener('error', this.#onError);
    this.socket.removeListener('close', this.#onClose);
    // Bytes that arrive before the handler reads are kept for it (as node:http does): the socket
    // no longer flows into the removed 'data' listener, it flows again once the handler reads.
    (this.socket as { readableFlowing: boolean | null }).readableFlowing = null;
    const req = incomingMessage(this.socket, head, this.#context.factory.headers(head.rawHeaders));
    (req as IncomingMessage & { upgrade: boolean }).upgrade = true;
    req.complete = true;
    this.#context.handlers.upgrade(req, this.socket, rest);
  }

  #finishedGeneral(turn: Turn & { req: IncomingMessage; res: ServerResponse }): void {
    turn.res.detachSocket(this.socket);
    // A body nobody read (an answer given before it arrived) is drained, as node:http drains it.
    if (!turn.req.complete) turn.req.resume();
    // node:http's own verdict on the connection: `Connection: close`, HTTP/1.0 without a length…
    this.finished(turn, (turn.res as unknown as { _last?: boolean })._last === true);
  }

  /** The oldest answer is complete: the next one may write, or the connection idles or ends. */
  finished(done: LeanResponse | Turn, closeAfter: boolean): void {
    const turns = this.#turns;
    const first = turns[0];
    if (!first || (first !== done && !('lean' in first && first.lean === done))) return;
    turns.shift();
    if (closeAfter) {
      // Requests read after this one are not answered: their responses hear 'close' when the socket closes.
      this.#lastSent = true;
      this.#end();
      return;
    }
    if (this.#pausedForTurns && turns.length < MAX_PIPELINED / 2) {
      this.#pausedForTurns = false;
      this.socket.resume();
    }
    const next = turns[0];
    if (next) {
      if ('lean' in next) next.lean.activate();
      else {
        this.#writeOutgoing();
        next.res.assignSocket(this.socket);
      }
      return;
    }
    if (this.#refusal) {
      this.#writeOutgoing();
      return this.#context.handlers.clientError(this.#refusal, this.socket);
    }
    if (this.#peerEnded || this.#context.closing) return this.#end();
    this.idleSince = this.#context.now();
  }
}

/** node:http's request object for a parsed head, filled in as node:http's parser fills it. */
function incomingMessage(socket: Socket, head: RequestHead, headers: IncomingHttpHeaders): IncomingMessage {
  const req = new IncomingMessage(socket);
  req.httpVersionMajor = head.versionMajor;
  req.httpVersionMinor = head.versionMinor;
  req.httpVersion = `${head.versionMajor}.${head.versionMinor}`;
  req.method = head.method;
  req.url = head.url;
  req.rawHeaders = head.rawHeaders;
  req.headers = headers;
  return req;
}
