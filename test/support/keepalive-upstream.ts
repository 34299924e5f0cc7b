// An upstream that behaves as nginx does towards a proxy, for request-smuggling and desync tests:
// it keeps every connection alive, answers as soon as a request's head has arrived (before reading
// a declared body), and then consumes that body as the request declared it - so a length that
// promises bytes which never come swallows the start of the next request on that connection, as
// nginx's body discarding does. `Upgrade` means nothing to it (nginx serving files): an upgrade
// request is an ordinary request. Every request it parsed is recorded with the connection it came
// on, and every byte each connection received: "the upstream never saw an unchecked request" is
// asserted on `seen`.
//
// Requests are parsed here rather than by node:http: node:http drops the bytes that follow an
// upgrade request's body in the same read when nobody takes the upgrade, which hides exactly the
// smuggled requests these tests look for. The parser reads what nginx reads: line ends CRLF or LF,
// `Transfer-Encoding` ending in chunked wins over `Content-Length`, chunk extensions and trailers
// skipped; anything else it cannot frame gets 400 and the connection closed.
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';

export interface SeenRequest {
  /** 1, 2, … in the order the upstream accepted its connections. */
  readonly connection: number;
  readonly method: string;
  readonly url: string;
  /** Lower-case names; repeated fields joined with ", ". */
  readonly headers: Record<string, string>;
  /** Set once the body has been read to its end (empty until then). */
  body: Buffer;
  /** Trailer fields of a chunked body (lower-case names). */
  trailers: Record<string, string>;
  complete: boolean;
}

/** A well-formed answer (trailers make it chunked), raw bytes written as they are, or no answer at all. */
export type UpstreamAnswer =
  | { readonly status?: number; readonly headers?: Record<string, string>; readonly body?: string; readonly trailers?: Record<string, string> }
  | { readonly raw: string | Buffer; readonly close?: boolean }
  | 'hang';

export interface KeepAliveUpstream {
  readonly port: number;
  readonly origin: string;
  readonly seen: SeenRequest[];
  /** How many connections the upstream has accepted so far. */
  readonly connections: () => number;
  /** How many of them are still open. */
  readonly open: () => number;
  /** Every byte received on connection `id` (1, 2, …), as received. */
  readonly raw: (id: number) => Buffer;
  /** What to answer; by default 200 with `{connection, method, url}` as JSON. Replaceable per test. */
  answer: (request: SeenRequest) => UpstreamAnswer;
  /** Forgets what was seen (connections stay as they are). */
  reset(): void;
  close(): Promise<void>;
}

export const defaultAnswer = (request: SeenRequest): UpstreamAnswer => ({
  status: 200,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ connection: request.connection, method: request.method, url: request.url }),
});

export async function startKeepAliveUpstream(answer: (request: SeenRequest) => UpstreamAnswer = defaultAnswer): Promise<KeepAliveUpstream> {
  const seen: SeenRequest[] = [];
  const sockets = new Set<Socket>();
  const received = new Map<number, Buffer[]>();
  let accepted = 0;
  const server: Server = createServer({ allowHalfOpen: false }, (socket) => {
    const id = ++accepted;
    const bytes: Buffer[] = [];
    received.set(id, bytes);
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    const connection = new UpstreamConnection(id, socket, (request) => {
      seen.push(request);
      return upstream.answer(request);
    });
    socket.on('data', (chunk: Buffer) => {
      bytes.push(chunk);
      connection.receive(chunk);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const upstream: KeepAliveUpstream = {
    port,
    origin: `http://127.0.0.1:${port}`,
    seen,
    connections: () => accepted,
    open: () => sockets.size,
    raw: (id) => Buffer.concat(received.get(id) ?? []),
    answer,
    reset: () => void (seen.length = 0),
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return upstream;
}

type BodyState =
  | { kind: 'length'; left: number }
  | { kind: 'chunk-size' }
  | { kind: 'chunk-data'; left: number }
  | { kind: 'chunk-end' }
  | { kind: 'trailers' };

class UpstreamConnection {
  #buffer = Buffer.alloc(0);
  #request: SeenRequest | null = null;
  #body: BodyState | null = null;
  #chunks: Buffer[] = [];
  #closeAfter = false;
  #dead = false;

  constructor(readonly id: number, readonly socket: Socket, readonly onRequest: (request: SeenRequest) => UpstreamAnswer) {}

  receive(chunk: Buffer): void {
    if (this.#dead) return;
    this.#buffer = Buffer.concat([this.#buffer, chunk]);
    while (!this.#dead && (this.#request ? this.#readBody() : this.#readHead()));
  }

  /** Takes one line (without its end) off the buffer, or null when none is complete. */
  #line(): string | null {
    const end = this.#buffer.indexOf(0x0a);
    if (end < 0) return null;
    const line = this.#buffer.subarray(0, end > 0 && this.#buffer[end - 1] === 0x0d ? end - 1 : end).toString('latin1');
    this.#buffer = this.#buffer.subarray(end + 1);
    return line;
  }

  #readHead(): boolean {
    const text = this.#buffer.toString('latin1');
    const skipped = /^(\r?\n)*/.exec(text)![0].length; // empty lines before a request line are ignored
    const end = /\r?\n\r?\n/.exec(text.slice(skipped));
    if (!end) return false;
    const head = text.slice(skipped, skipped + end.index);
    this.#buffer = this.#buffer.subarray(skipped + end.index + end[0].length);
    const [requestLine = '', ...fieldLines] = head.split(/\r?\n/);
    const parts = /^([A-Z]+) (\S+) HTTP\/1\.([01])$/.exec(requestLine);
    if (!parts) return this.#refuse();
    const headers: Record<string, string> = {};
    for (const line of fieldLines) {
      const field = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+):[ \t]*(.*?)[ \t]*$/.exec(line);
      if (!field) return this.#refuse();
      const name = field[1]!.toLowerCase();
      headers[name] = headers[name] === undefined ? field[2]! : `${headers[name]}, ${field[2]!}`;
    }
    const request: SeenRequest = { connection: this.id, method: parts[1]!, url: parts[2]!, headers, body: Buffer.alloc(0), trailers: {}, complete: false };
    const te = headers['transfer-encoding'];
    const cl = headers['content-length'];
    let body: BodyState | null = null;
    if (te !== undefined) {
      if (!/(^|,)\s*chunked\s*$/i.test(te)) return this.#refuse();
      body = { kind: 'chunk-size' };
    } else if (cl !== undefined) {
      if (!/^\d+$/.test(cl)) return this.#refuse();
      if (Number(cl) > 0) body = { kind: 'length', left: Number(cl) };
    }
    this.#closeAfter = /close/i.test(headers['connection'] ?? '') || (parts[3] === '0' && !/keep-alive/i.test(headers['connection'] ?? ''));
    this.#request = request;
    this.#body = body;
    this.#chunks = [];
    this.#respond(this.onRequest(request), request.method === 'HEAD');
    if (!body) this.#complete();
    return true;
  }

  #readBody(): boolean {
    const state = this.#body!;
    switch (state.kind) {
      case 'length':
      case 'chunk-data': {
        if (this.#buffer.length === 0) return false;
        const take = Math.min(state.left, this.#buffer.length);
        this.#chunks.push(this.#buffer.subarray(0, take));
        this.#buffer = this.#buffer.subarray(take);
        state.left -= take;
        if (state.left > 0) return false;
        if (state.kind === 'length') this.#complete();
        else this.#body = { kind: 'chunk-end' };
        return true;
      }
      case 'chunk-size': {
        const line = this.#line();
        if (line === null) return false;
        const size = /^([0-9a-fA-F]{1,8})[ \t]*(;.*)?$/.exec(line);
        if (!size) return this.#refuse();
        const left = parseInt(size[1]!, 16);
        this.#body = left === 0 ? { kind: 'trailers' } : { kind: 'chunk-data', left };
        return true;
      }
      case 'chunk-end': {
        const line = this.#line();
        if (line === null) return false;
        if (line !== '') return this.#refuse();
        this.#body = { kind: 'chunk-size' };
        return true;
      }
      case 'trailers': {
        const line = this.#line();
        if (line === null) return false;
        if (line === '') {
          this.#complete();
          return true;
        }
        const field = /^([^:\s]+):[ \t]*(.*?)[ \t]*$/.exec(line);
        if (!field) return this.#refuse();
        this.#request!.trailers[field[1]!.toLowerCase()] = field[2]!;
        return true;
      }
    }
  }

  #complete(): void {
    const request = this.#request!;
    request.body = Buffer.concat(this.#chunks);
    request.complete = true;
    this.#request = null;
    this.#body = null;
    if (this.#closeAfter) this.#end();
  }

  #refuse(): boolean {
    this.socket.write('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
    this.#end();
    return false;
  }

  #end(): void {
    this.#dead = true;
    this.socket.end();
  }

  #respond(answer: UpstreamAnswer, head: boolean): void {
    if (answer === 'hang') return;
    if ('raw' in answer) {
      this.socket.write(answer.raw);
      if (answer.close) this.#end();
      return;
    }
    const status = answer.status ?? 200;
    const body = answer.body ?? '';
    let text = `HTTP/1.1 ${status} Answer\r\n`;
    for (const [name, value] of Object.entries(answer.headers ?? {})) text += `${name}: ${value}\r\n`;
    if (answer.trailers) {
      text += `Transfer-Encoding: chunked\r\nTrailer: ${Object.keys(answer.trailers).join(', ')}\r\n\r\n`;
      if (!head) {
        if (body) text += `${Buffer.byteLength(body).toString(16)}\r\n${body}\r\n`;
        text += '0\r\n';
        for (const [name, value] of Object.entries(answer.trailers)) text += `${name}: ${value}\r\n`;
        text += '\r\n';
      }
    } else {
      text += `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${head ? '' : body}`;
    }
    this.socket.write(text);
  }
}
