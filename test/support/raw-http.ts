// A raw HTTP/1.x client for tests where the bytes on the wire are the point: exact requests go out
// (pipelined, HTTP/1.0, malformed), and the answers are parsed here, framing included, so that
// chunk encoding, close-delimited bodies and answer order can be asserted.
import { connect, type Socket } from 'node:net';

export interface RawResponse {
  readonly status: number;
  /** Lower-case names; repeated headers joined with ", ". */
  readonly headers: Record<string, string>;
  /** The status line and headers as received, without the blank line. */
  readonly head: string;
  /** The body after de-chunking. */
  readonly body: Buffer;
  /** The body bytes as they were on the wire (chunk sizes and terminator included). */
  readonly wire: Buffer;
  readonly framing: 'length' | 'chunked' | 'close' | 'none';
}

/**
 * The complete answers at the start of `data`. `bodiless(index)` says which answers have no body
 * whatever their headers (answers to HEAD); 1xx, 204 and 304 never have one. A close-delimited body
 * is complete only when `ended`.
 */
export function parseResponses(data: Buffer, ended: boolean, bodiless: (index: number) => boolean = () => false): RawResponse[] {
  const out: RawResponse[] = [];
  let at = 0;
  let finals = 0;
  while (at < data.length) {
    const headEnd = data.indexOf('\r\n\r\n', at);
    if (headEnd < 0) break;
    const head = data.subarray(at, headEnd).toString('latin1');
    const [statusLine, ...lines] = head.split('\r\n');
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? '')?.[1]);
    if (!status) throw new Error(`not a status line: ${JSON.stringify(statusLine)}`);
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      const name = line.slice(0, colon).toLowerCase();
      const value = line.slice(colon + 1).trim();
      headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
    }
    const bodyStart = headEnd + 4;
    const noBody = status < 200 || status === 204 || status === 304 || bodiless(finals);
    if (status >= 200) finals++;
    if (noBody) {
      out.push({ status, headers, head, body: Buffer.alloc(0), wire: Buffer.alloc(0), framing: 'none' });
      at = bodyStart;
      continue;
    }
    if (headers['transfer-encoding'] !== undefined) {
      const chunks: Buffer[] = [];
      let p = bodyStart;
      let complete = false;
      for (;;) {
        const lineEnd = data.indexOf('\r\n', p);
        if (lineEnd < 0) break;
        const size = parseInt(data.subarray(p, lineEnd).toString('latin1'), 16);
        if (Number.isNaN(size)) throw new Error(`bad chunk size line at ${p}: ${JSON.stringify(data.subarray(p, lineEnd).toString('latin1'))}`);
        if (size === 0) {
          if (data.length < lineEnd + 4) break;
          if (data.subarray(lineEnd + 2, lineEnd + 4).toString('latin1') !== '\r\n') throw new Error('trailers or a bad terminator after the last chunk');
          p = lineEnd + 4;
          complete = true;
          break;
        }
        if (data.length < lineEnd + 2 + size + 2) break;
        chunks.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
        if (data.subarray(lineEnd + 2 + size, lineEnd + 4 + size).toString('latin1') !== '\r\n') throw new Error('a chunk not followed by CRLF');
        p = lineEnd + 4 + size;
      }
      if (!complete) break;
      out.push({ status, headers, head, body: Buffer.concat(chunks), wire: data.subarray(bodyStart, p), framing: 'chunked' });
      at = p;
      continue;
    }
    if (headers['content-length'] !== undefined) {
      const end = bodyStart + Number(headers['content-length']);
      if (data.length < end) break;
      out.push({ status, headers, head, body: data.subarray(bodyStart, end), wire: data.subarray(bodyStart, end), framing: 'length' });
      at = end;
      continue;
    }
    if (!ended) break;
    out.push({ status, headers, head, body: data.subarray(bodyStart), wire: data.subarray(bodyStart), framing: 'close' });
    at = data.length;
  }
  return out;
}

export class RawClient {
  readonly socket: Socket;
  data = Buffer.alloc(0);
  /** The server ended its side (FIN). */
  ended = false;
  closed = false;
  error: Error | null = null;
  readonly #waiters = new Set<() => void>();

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.data = Buffer.concat([this.data, chunk]);
      this.#wake();
    });
    socket.on('end', () => {
      this.ended = true;
      this.#wake();
    });
    socket.on('error', (error) => {
      this.error = error;
      this.#wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.#wake();
    });
  }

  /** allowHalfOpen: the client's side stays open after the server's FIN (node's default ends it). */
  static open(port: number, options: { allowHalfOpen?: boolean } = {}): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: options.allowHalfOpen ?? false });
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.removeListener('error', reject);
        resolve(new RawClient(socket));
      });
    });
  }

  #wake(): void {
    for (const wake of [...this.#waiters]) wake();
  }

  get text(): string {
    return this.data.toString('latin1');
  }

  write(bytes: string | Buffer): this {
    this.socket.write(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes);
    return this;
  }

  /** Resolves once the condition holds; rejects after timeoutMs, showing what arrived. */
  until(condition: (client: this) => boolean, what: string, timeoutMs = 5000): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        let holds: boolean;
        try {
          holds = condition(this);
        } catch (error) {
          clearTimeout(timer);
          this.#waiters.delete(check);
          return reject(error as Error);
        }
        if (!holds) return;
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(
          new Error(
            `${what}: not within ${timeoutMs} ms; received ${JSON.stringify(this.text.slice(0, 2000))} (ended: ${this.ended}, closed: ${this.closed})`,
          ),
        );
      }, timeoutMs);
      this.#waiters.add(check);
      check();
    });
  }

  responses(bodiless?: (index: number) => boolean): RawResponse[] {
    return parseResponses(this.data, this.ended || this.closed, bodiless);
  }

  /** Waits for `count` complete answers (1xx interim answers count). */
  async responsesUntil(count: number, bodiless?: (index: number) => boolean, timeoutMs = 5000): Promise<RawResponse[]> {
    await this.until((c) => c.responses(bodiless).length >= count, `${count} complete answer(s)`, timeoutMs);
    return this.responses(bodiless);
  }

  /** Waits until the server closed the connection (FIN or reset). */
  async closedByServer(timeoutMs = 5000): Promise<void> {
    await this.until((c) => c.ended || c.closed, 'the server closing the connection', timeoutMs);
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** One request on a connection of its own: the bytes out, then everything until the server closes. */
export async function exchange(port: number, bytes: string | Buffer, timeoutMs = 5000): Promise<{ client: RawClient; responses: RawResponse[] }> {
  const client = await RawClient.open(port);
  client.write(bytes);
  try {
    await client.closedByServer(timeoutMs);
  } finally {
    client.destroy();
  }
  return { client, responses: client.responses() };
}
