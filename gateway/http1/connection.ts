// One client connection of the lean HTTP/1.1 server: parses requests with Node's parser and answers
// them in order. A request the gateway can answer on its hot path gets a LeanResponse; any other
// gets node:http's own IncomingMessage and ServerResponse, so every other endpoint works exactly as
// under node:http. Pipelined requests are handled one at a time, as nginx handles them: a request
// that arrives while an earlier one is still being answered waits, parsing stops after it, and the
// socket is paused, so one connection holds at most one read of unparsed bytes and sends one request
// at a time on; when the client leaves, whatever waits is dropped.
import { IncomingMessage, ServerResponse, type IncomingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import { LeanResponse, type ResponseOwner } from './lean-response.js';
import type { ParseError, ParserFactory, RequestHead, RequestParser } from './parser.js';
import { scheduleFlush, type BatchedWriter } from './write-batch.js';
import { duplicateHost } from '../request-rules.js';

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
  /**
   * A request with `Expect: 100-continue`, as node:http's 'checkContinue' event: the handler sends
   * `100 Continue` itself when it wants the body (the gateway: after authentication). Without it,
   * `100 Continue` is sent at once and `request` called.
   */
  checkContinue?(req: IncomingMessage, res: ServerResponse): void;
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

/** A request parsed while an earlier one was being answered (an upgrade has no `req`: it is handed over). */
interface Waiting {
  readonly head: RequestHead;
  readonly headers: IncomingHttpHeaders;
  readonly req: IncomingMessage | null;
}
/** Answer bytes held back for the end of the loop turn beyond this are written at once. */
const SEND_NOW_BYTES = 64 * 1024;
/** Body bytes up to this are joined to the answer's head as text rather than as Buffers. */
const JOIN_AS_TEXT_BYTES = 4 * 1024;

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
  /** Requests waiting for the answer before them, oldest first; while there are any, reading is paused. */
  readonly #waiting: Waiting[] = [];
  /** Bytes after the last waiting request, parsed once it has been answered. */
  #unparsed: Buffer | null = null;
  #parsing = false;
  #pausedForWaiting = false;
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
          if (!this.#pausedForWaiting) socket.resume();
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

  /**
   * The client has closed its side (FIN). While running, the answers it is owed are still written (a
   * client may half-close once its request is sent); a stop does not wait on them (closeIdleConnections).
   */
  get clientEnded(): boolean {
    return this.#peerEnded;
  }

  /** No request in progress and no answer left to send: safe to close. */
  get idle(): boolean {
    return (
      !this.#done &&
      this.#turns.length === 0 &&
      this.#waiting.length === 0 &&
      this.#unparsed === null &&
      this.#body === null &&
      this.headStartedAt === 0 &&
      this.#outgoing === null
    );
  }

  send(data: string | Buffer): boolean {
    const outgoing = this.#outgoing;
    if (outgoing === null) {
      this.#outgoing = [data];
      this.#outgoingBytes = data.length;
      scheduleFlush(this);
    } else {
      // A small body after its head is appended to it as latin1 text (byte for byte): the answer goes
      // out as one string, with no Buffer made for the head and none to join the two.
      const last = outgoing.length - 1;
      const tail = outgoing[last];
      if (typeof tail === 'string' && (typeof data === 'string' || data.length <= JOIN_AS_TEXT_BYTES))
        outgoing[last] = tail + (typeof data === 'string' ? data : data.toString('latin1'));
      else outgoing.push(data);
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
    const joined =
      outgoing.length === 1
        ? outgoing[0]!
        : Buffer.concat(
            outgoing.map((part) => (typeof part === 'string' ? Buffer.from(part, 'latin1') : part)),
            this.#outgoingBytes,
          );
    return socket.write(joined, 'latin1');
  }

  readonly #onData = (chunk: Buffer): void => {
    if (this.#done || this.#readNoMore) return;
    this.#parse(chunk);
  };

  #parse(chunk: Buffer): void {
    // Bytes with no request body in progress are (the start of) a head: its timeout starts now, unless
    // it started before. Tracked here rather than in llhttp's message-begin callback, which would
    // cost a call into JavaScript per request; a head that starts after a complete request in the same
    // chunk is timed from the next chunk on.
    if (this.headStartedAt === 0 && this.#body === null) this.headStartedAt = this.#context.now();
    this.#parsing = true;
    const parsed = this.#parser.execute(chunk);
    this.#parsing = false;
    if (typeof parsed !== 'number') {
      // An answer given while this chunk was parsed ended the connection: the rest is not read.
      if (this.#done) return;
      // Bytes after a request with `Connection: close` are not processed; its answer, still owed,
      // ends the connection (llhttp refuses them as HPE_CLOSED_CONNECTION).
      if (parsed.code === 'HPE_CLOSED_CONNECTION' && (this.#turns.length > 0 || this.#waiting.length > 0)) {
        this.#readNoMore = true;
        return;
      }
      return this.#refuse(parsed);
    }
    const upgrade = this.#upgrade;
    if (upgrade) return this.#handOver(upgrade, chunk.subarray(parsed));
    if (this.#waiting.length > 0) {
      // Parsing stopped after a request that waits (#onHead): the rest waits with it (one read at
      // most), and nothing more is read until the requests waiting have been started.
      if (parsed < chunk.length) this.#unparsed = chunk.subarray(parsed);
      if (!this.#pausedForWaiting) {
        this.#pausedForWaiting = true;
        this.socket.pause();
      }
    }
    this.#next(); // answers given while parsing may have let a waiting request through
  }

  /** With no answer in progress: starts the oldest waiting request, or parses on; reading resumes when nothing waits. */
  #next(): void {
    while (!this.#parsing && !this.#done && this.#turns.length === 0) {
      const waiting = this.#waiting.shift();
      if (waiting) {
        if (waiting.head.upgrade) return this.#handOver(waiting.head, this.#takeUnparsed());
        this.#start(waiting.head, waiting.headers, waiting.req ?? 'complete');
        continue;
      }
      const rest = this.#takeUnparsed();
      if (rest.length > 0) {
        if (this.#readNoMore) return;
        return this.#parse(rest);
      }
      if (this.#pausedForWaiting) {
        this.#pausedForWaiting = false;
        if (!this.#pausedForBody) this.socket.resume();
      }
      return;
    }
  }

  #takeUnparsed(): Buffer {
    const rest = this.#unparsed ?? Buffer.alloc(0);
    this.#unparsed = null;
    return rest;
  }

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
    // The client left: requests still waiting are never started, bytes not parsed never will be.
    this.#waiting.length = 0;
    this.#unparsed = null;
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

  /** A parsed head; true stops the parser after it (a request without a body that has to wait). */
  #onHead(head: RequestHead): boolean {
    this.headStartedAt = 0;
    if (this.#lastSent) return true; // after an answer that closes the connection, nothing more is read
    const busy = this.#turns.length > 0 || this.#waiting.length > 0;
    if (head.upgrade) {
      // Handed over once execute() returns, with the bytes after the head; after the answers before it.
      if (busy) this.#waiting.push({ head, headers: {}, req: null });
      else this.#upgrade = head;
      return true;
    }
    const headers = this.#context.factory.headers(head.rawHeaders);
    if (!busy) {
      this.#start(head, headers, 'arriving');
      return false;
    }
    // An earlier answer is in progress: this request waits. Its body, if any, is parsed into its
    // request object (which pauses the socket once it holds a high-water mark's worth); a request
    // without one stops the parser right after its head.
    const length = headers['content-length'];
    const bodiless = headers['transfer-encoding'] === undefined && (length === undefined || length === '0');
    if (bodiless) {
      this.#waiting.push({ head, headers, req: null });
      return true;
    }
    const req = incomingMessage(this.socket, head, headers);
    this.#body = req;
    this.#waiting.push({ head, headers, req });
    return false;
  }

  /**
   * Starts answering a request: the hot path if it takes it, else node:http's objects and the general
   * handler. `body`: the request object a waiting request's body went into, `complete` for a waiting
   * request without a body (already parsed to its end), `arriving` for the request being parsed.
   */
  #start(head: RequestHead, headers: IncomingHttpHeaders, body: IncomingMessage | 'complete' | 'arriving'): void {
    const waited = typeof body === 'string' ? null : body;
    const context = this.#context;
    const httpVersion = `${head.versionMajor}.${head.versionMinor}`;
    // RFC 9112 §3.2: an HTTP/1.1 request without Host gets 400, as node:http answers it.
    // Two Host headers (which node:http's header object would hide by keeping the first) get 400 too, as nginx answers them.
    const hostless = (head.versionMinor >= 1 && headers.host === undefined) || duplicateHost(head.rawHeaders);
    if (!hostless && waited === null) {
      const lean = new LeanResponse(this, head);
      const turn: Turn = { lean };
      this.#turns.push(turn);
      if (this.#turns.length === 1) lean.activate();
      if (context.handlers.fast({ method: head.method, url: head.url, headers, httpVersion, socket: this.socket }, lean)) return;
      this.#turns.pop();
    }
    const req = waited ?? incomingMessage(this.socket, head, headers);
    const res = new ServerResponse(req);
    res.shouldKeepAlive = head.keepAlive && !context.closing;
    const turn: Turn = { req, res };
    this.#turns.push(turn);
    if (this.#turns.length === 1) {
      this.#writeOutgoing(); // node:http writes straight to the socket: earlier lean answers go first
      res.assignSocket(this.socket);
    }
    res.on('finish', () => this.#finishedGeneral(turn));
    if (body === 'arriving') this.#body = req;
    else if (body === 'complete') {
      req.complete = true;
      req.push(null);
    }
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
      if (context.handlers.checkContinue) return context.handlers.checkContinue(req, res);
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
      // Nothing more is parsed or started after a refusal: requests still waiting (the malformed one
      // among them) never start; the 400 follows the answers already given.
      this.#writeOutgoing();
      return this.#context.handlers.clientError(this.#refusal, this.socket);
    }
    if (this.#waiting.length > 0 || this.#unparsed !== null) return this.#next();
    if (this.#pausedForWaiting) this.#next(); // the last request that waited is answered: reading resumes
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
