// The lean HTTP/1.1 engine (gateway/http1) on real sockets: an Http1Server with small handlers of
// this file's own, spoken to with exact bytes (pipelining, HTTP/1.0, framing and malformed requests
// are only observable that way) and with curl where a real client matters.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { METHODS, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Http1Server, LeanResponse, loadParser, type Http1ServerOptions, type LeanRequest, type ParserFactory, type ResponseSink } from '../../gateway/http1/index.js';
import { RawClient, exchange, type RawResponse } from '../support/raw-http.js';

const loaded = loadParser();
const factory = (): ParserFactory => {
  if (!('factory' in loaded)) throw new Error(`loadParser(): ${loaded.error}`);
  return loaded.factory;
};

interface Harness {
  readonly server: Http1Server;
  readonly port: number;
  /** What the handlers did, in order ("fast GET /fast/text", "late /fast/late?…", …). */
  readonly log: string[];
  readonly clientErrors: string[];
  readonly upgrades: { url: string; head: string }[];
  /** Answers left pending by /fast/hang and /general/hang, by their `id`, and whether they emitted 'close'. */
  readonly hanging: Map<string, { res: LeanResponse | ServerResponse; closed: boolean }>;
  /** Errors thrown by LeanResponse calls in the handlers. */
  readonly thrown: { code?: string; message: string }[];
  /** /fast/big answers (listed when they start): how often the handler had to wait for 'drain', the most bytes the socket held. */
  readonly streamed: { waits: number; maxBuffered: number }[];
  /** Every byte the server's request parsers were given, in order (latin1), to wait on what has arrived. */
  readonly parsed: string[];
  closed: boolean;
}

const harnesses: Harness[] = [];

/** The same parsers, each also noting the bytes it is given. */
function recording(inner: ParserFactory, parsed: string[]): ParserFactory {
  return {
    ...inner,
    headers: (raw) => inner.headers(raw),
    createResponse: (events) => inner.createResponse(events),
    create(events, maxHeaderSize) {
      const parser = inner.create(events, maxHeaderSize);
      return {
        execute: (data) => (parsed.push(data.toString('latin1')), parser.execute(data)),
        finish: () => parser.finish(),
        free: () => parser.free(),
      };
    },
  };
}
const upgradedSockets = new Set<Socket>();

const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

async function serve(options: Partial<Pick<Http1ServerOptions, 'maxHeaderSize' | 'headersTimeoutMs' | 'keepAliveTimeoutMs'>> = {}): Promise<Harness> {
  const log: string[] = [];
  const clientErrors: string[] = [];
  const upgrades: Harness['upgrades'] = [];
  const hanging: Harness['hanging'] = new Map();
  const thrown: Harness['thrown'] = [];
  const streamed: Harness['streamed'] = [];
  const parsed: string[] = [];
  const fast = (req: LeanRequest, res: LeanResponse): boolean => {
    const url = new URL(req.url, 'http://test');
    const q = url.searchParams;
    const text = (status: number, body: string, extra: Record<string, string | string[]> = {}): void => {
      res.writeHead(status, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body), 'x-method': req.method, 'x-http-version': req.httpVersion, ...extra }).end(body);
    };
    switch (url.pathname) {
      case '/fast/text':
        log.push(`fast ${req.method} ${url.pathname}${url.search}`);
        text(200, q.get('body') ?? 'fast', q.has('cookies') ? { 'set-cookie': ['a=1', 'b=2'] } : {});
        return true;
      case '/fast/then-close-idle':
        // The answer is complete, but its bytes wait for the end of the loop turn (write-batch.ts):
        // the connection is not idle until they are written.
        log.push(`fast ${req.method} ${url.pathname}`);
        text(200, 'answered before closeIdleConnections');
        server.closeIdleConnections();
        return true;
      case '/fast/big': {
        // A large answer written as a proxy writes one: on until write() says wait, then on 'drain'.
        log.push(`fast ${req.method} ${url.pathname}`);
        const total = Number(q.get('bytes'));
        const chunk = Buffer.alloc(64 * 1024, 'x');
        const stats = { waits: 0, maxBuffered: 0 };
        let sent = 0;
        res.writeHead(200, { 'content-length': total });
        streamed.push(stats);
        const pump = (): void => {
          while (sent < total) {
            const part = chunk.subarray(0, Math.min(chunk.length, total - sent));
            sent += part.length;
            const more = res.write(part);
            stats.maxBuffered = Math.max(stats.maxBuffered, req.socket.writableLength);
            if (!more) {
              stats.waits++;
              res.once('drain', pump);
              return;
            }
          }
          res.end();
        };
        pump();
        return true;
      }
      case '/fast/late':
        log.push(`fast ${req.method} ${url.pathname}${url.search}`);
        setTimeout(() => {
          log.push(`late answer ${q.get('body')}`);
          text(200, q.get('body') ?? 'late', q.has('close') ? { connection: 'close' } : {});
        }, Number(q.get('ms') ?? 100));
        return true;
      case '/fast/chunked':
        // No length: chunked on HTTP/1.1, close-delimited on HTTP/1.0. Three writes in three ticks.
        log.push(`fast ${req.method} ${url.pathname}`);
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write(Buffer.from('hello'));
        setTimeout(() => {
          res.write(Buffer.from(' world'));
          setTimeout(() => res.end(), 20);
        }, 20);
        return true;
      case '/fast/status':
        log.push(`fast ${req.method} ${url.pathname}${url.search}`);
        res.writeHead(Number(q.get('code')), { 'x-status': q.get('code')! }).end();
        return true;
      case '/fast/hang': {
        log.push(`fast ${req.method} ${url.pathname}${url.search}`);
        const entry = { res, closed: false };
        hanging.set(q.get('id')!, entry);
        res.on('close', () => (entry.closed = true));
        return true;
      }
      case '/fast/bad-header': {
        log.push(`fast ${req.method} ${url.pathname}`);
        const value = Buffer.from(q.get('hex')!, 'hex').toString('latin1');
        try {
          if (q.has('set')) res.setHeader('x-bad', value).writeHead(200, { 'content-length': 2 });
          else res.writeHead(200, { 'x-bad': value, 'content-length': 2 });
          res.end('ok');
        } catch (error) {
          thrown.push({ code: (error as { code?: string }).code, message: (error as Error).message });
          // As with node:http, a refused header leaves the response unsent: the handler can still answer.
          res.writeHead(500, { 'content-length': 7, 'x-answer': 'refused' }).end('refused');
        }
        return true;
      }
      default:
        return false;
    }
  };
  const request = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://test');
    const q = url.searchParams;
    log.push(`general ${req.method} ${url.pathname}${url.search}`);
    const text = (status: number, body: string): void => {
      res.writeHead(status, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body), 'x-method': req.method }).end(body);
    };
    switch (url.pathname) {
      case '/general/echo': {
        // Reads the body (after readAfterMs: meanwhile it piles up, and the connection must pause).
        const read = (): void => {
          const pausedBeforeReading = req.socket.isPaused();
          const hash = createHash('sha256');
          let bytes = 0;
          req.on('data', (chunk: Buffer) => {
            bytes += chunk.length;
            hash.update(chunk);
          });
          req.on('end', () => {
            const body = JSON.stringify({ method: req.method, url: req.url, httpVersion: req.httpVersion, bytes, sha256: hash.digest('hex'), pausedBeforeReading, headers: req.headers });
            res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
          });
        };
        if (q.has('readAfterMs')) setTimeout(read, Number(q.get('readAfterMs')));
        else read();
        return;
      }
      case '/general/late':
        setTimeout(() => {
          log.push(`late answer ${q.get('body')}`);
          text(200, q.get('body') ?? 'late');
        }, Number(q.get('ms') ?? 100));
        return;
      case '/general/hang': {
        const entry = { res, closed: false };
        hanging.set(q.get('id')!, entry);
        res.on('close', () => (entry.closed = true));
        return;
      }
      default:
        text(200, `general ${url.pathname}`);
    }
  };
  const upgrade = (req: IncomingMessage, socket: Socket, head: Buffer): void => {
    upgradedSockets.add(socket);
    socket.on('error', () => socket.destroy());
    upgrades.push({ url: req.url ?? '', head: head.toString('latin1') });
    const accept = (): void => {
      socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\nhead=${head.toString('latin1')}|`);
      socket.on('data', (data: Buffer) => socket.write(data));
      socket.on('end', () => socket.end());
    };
    // /upgrade/slow: the handler is busy for a while first (as the gateway is while it verifies a token).
    if (req.url === '/upgrade/slow') setTimeout(accept, 150);
    else accept();
  };
  // As the gateway answers them (GatewayServer#clientError).
  const clientError = (error: Error & { code?: string }, socket: Socket): void => {
    clientErrors.push(error.code ?? error.message);
    if (!socket.writable) return void socket.destroy();
    if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') return void socket.end('HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    if (error.code === 'HPE_HEADER_OVERFLOW')
      return void socket.end('HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
  };
  const server = new Http1Server({
    factory: recording(factory(), parsed),
    handlers: { fast, request, upgrade, clientError },
    maxHeaderSize: options.maxHeaderSize ?? 16 * 1024,
    headersTimeoutMs: options.headersTimeoutMs ?? 15_000,
    keepAliveTimeoutMs: options.keepAliveTimeoutMs ?? 5_000,
  });
  const { port } = await server.listen(0, '127.0.0.1');
  const harness: Harness = { server, port, log, clientErrors, upgrades, hanging, thrown, streamed, parsed, closed: false };
  harnesses.push(harness);
  return harness;
}

async function shutdown(h: Harness): Promise<void> {
  if (h.closed) return;
  h.closed = true;
  h.server.closeAllConnections();
  await new Promise<void>((resolve) => h.server.close(resolve));
}

afterAll(async () => {
  for (const socket of upgradedSockets) socket.destroy();
  for (const h of harnesses) await shutdown(h);
});

const get = (path: string, extra = ''): string => `GET ${path} HTTP/1.1\r\nHost: test\r\n${extra}\r\n`;
const curl = (args: string[]): Promise<{ stdout: string; stderr: string }> =>
  new Promise((resolve, reject) =>
    execFile('curl', ['-s', '--max-time', '10', ...args], { maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) =>
      error ? reject(Object.assign(error, { stderr })) : resolve({ stdout, stderr }),
    ),
  );

describe('loadParser', () => {
  it('loads Node\'s own parser here', () => {
    expect('error' in loaded ? loaded.error : null).toBeNull();
    expect(loadParser()).toBe(loaded); // loaded once
  });

  // Every method Node knows (CONNECT aside: its target is an authority) comes out under its own name.
  const methods = METHODS.filter((m) => m !== 'CONNECT');
  it.each(methods)('the calibrated method table names %s', (method) => {
    let seen = '';
    const parser = factory().create({ head: (head) => void (seen = head.method), body: () => {}, complete: () => {} }, 16 * 1024);
    const parsed = parser.execute(Buffer.from(`${method} /x HTTP/1.1\r\nHost: a\r\n\r\n`, 'latin1'));
    parser.free();
    expect(parsed).toBeTypeOf('number');
    expect(seen).toBe(method);
  });

  it('builds header objects as node:http does: lower-case names, Set-Cookie kept apart, others joined, a second Host dropped', () => {
    const headers = factory().headers([
      'Host',
      'a',
      'host',
      'b',
      'Set-Cookie',
      'x=1',
      'set-cookie',
      'y=2',
      'X-Multi',
      '1',
      'x-multi',
      '2',
      'Content-Type',
      'text/plain',
    ]);
    expect(headers).toEqual({ host: 'a', 'set-cookie': ['x=1', 'y=2'], 'x-multi': '1, 2', 'content-type': 'text/plain' });
  });

  it('a PATCH, DELETE or OPTIONS reaches either handler under its own name', async () => {
    const h = await serve();
    const client = await RawClient.open(h.port);
    const sent = ['PATCH', 'DELETE', 'OPTIONS'].flatMap((m) => [
      `${m} /fast/text HTTP/1.1\r\nHost: t\r\n\r\n`,
      `${m} /general/echo HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n`,
    ]);
    client.write(sent.join(''));
    const responses = await client.responsesUntil(6);
    client.destroy();
    expect(responses.map((r) => r.headers['x-method'] ?? JSON.parse(r.body.toString()).method)).toEqual([
      'PATCH',
      'PATCH',
      'DELETE',
      'DELETE',
      'OPTIONS',
      'OPTIONS',
    ]);
    expect(h.log).toEqual([
      'fast PATCH /fast/text',
      'general PATCH /general/echo',
      'fast DELETE /fast/text',
      'general DELETE /general/echo',
      'fast OPTIONS /fast/text',
      'general OPTIONS /general/echo',
    ]);
  });
});

describe('keep-alive and pipelining', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await serve();
  });

  it('serves several requests one after another on one connection, either path', async () => {
    const client = await RawClient.open(h.port);
    const steps: { request: string; check: (r: RawResponse) => void }[] = [
      {
        request: get('/fast/text?body=one&cookies'),
        check: (r) => {
          expect(r.body.toString()).toBe('one');
          expect(r.head.match(/^set-cookie: /gim)).toHaveLength(2); // an array value: one line each
          expect(r.headers['date']).toMatch(/GMT$/);
          expect(r.headers['connection']).toBeUndefined(); // HTTP/1.1 keep-alive is the default
        },
      },
      { request: get('/general/two'), check: (r) => expect(r.body.toString()).toBe('general /general/two') },
      {
        request: 'POST /general/echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello',
        check: (r) => expect(JSON.parse(r.body.toString())).toMatchObject({ method: 'POST', bytes: 5, sha256: sha256('hello') }),
      },
      { request: get('/fast/chunked'), check: (r) => expect(r.body.toString()).toBe('hello world') },
      { request: get('/fast/text?body=five'), check: (r) => expect(r.body.toString()).toBe('five') },
    ];
    let count = 0;
    for (const step of steps) {
      client.write(step.request);
      const responses = await client.responsesUntil(++count);
      expect(responses).toHaveLength(count); // nothing more than the answer
      expect(responses[count - 1]!.status).toBe(200);
      step.check(responses[count - 1]!);
    }
    expect(client.ended || client.closed).toBe(false);
    client.destroy();
  });

  it('curl reuses one connection for requests to both paths', async () => {
    const base = `http://127.0.0.1:${h.port}`;
    const { stdout } = await curl([
      '-w',
      '|%{num_connects}|%{http_code}\n',
      `${base}/fast/text?body=a`,
      `${base}/general/b`,
      `${base}/fast/chunked`,
      `${base}/fast/late?ms=30&body=d`,
    ]);
    // num_connects: new connections made for that transfer; 0 = reused.
    expect(stdout.split('\n').filter(Boolean)).toEqual(['a|1|200', 'general /general/b|0|200', 'hello world|0|200', 'd|0|200']);
  });

  // Pipelined requests are taken one at a time (as nginx takes them): a request reaches its handler
  // only once the answer before it is complete, so answers are in order and one connection never
  // has more than one request in progress.
  const pipelines: { name: string; paths: string[]; bodies: string[] }[] = [
    {
      name: 'a late fast answer, then the general path, then a fast answer',
      paths: ['/fast/late?ms=150&body=one', '/general/two', '/fast/text?body=three'],
      bodies: ['one', 'general /general/two', 'three'],
    },
    {
      name: 'a late general answer ahead of fast ones',
      paths: ['/general/late?ms=150&body=one', '/fast/text?body=two', '/fast/late?ms=10&body=three', '/general/four'],
      bodies: ['one', 'two', 'three', 'general /general/four'],
    },
    {
      name: 'answers that would finish in reverse order if taken at once',
      paths: ['/fast/late?ms=120&body=1', '/general/late?ms=80&body=2', '/fast/late?ms=40&body=3', '/general/late?ms=1&body=4'],
      bodies: ['1', '2', '3', '4'],
    },
    {
      name: 'a chunked answer between two others',
      paths: ['/fast/text?body=a', '/fast/chunked', '/general/c'],
      bodies: ['a', 'hello world', 'general /general/c'],
    },
    {
      name: '40 requests, later ones quicker to answer',
      paths: Array.from({ length: 40 }, (_, i) => (i % 3 === 2 ? `/general/late?ms=${40 - i}&body=${i}` : `/fast/late?ms=${40 - i}&body=${i}`)),
      bodies: Array.from({ length: 40 }, (_, i) => String(i)),
    },
  ];
  const handlerEntry = (path: string): string => `${path.startsWith('/fast/') ? 'fast' : 'general'} GET ${path}`;
  for (const c of pipelines) {
    it(`pipelining: ${c.name}: in request order, each taken once the answer before it is complete`, async () => {
      h.log.length = 0;
      const client = await RawClient.open(h.port);
      client.write(c.paths.map((p) => get(p)).join(''));
      const responses = await client.responsesUntil(c.paths.length);
      expect(responses.map((r) => r.status)).toEqual(c.paths.map(() => 200));
      expect(responses.map((r) => r.body.toString())).toEqual(c.bodies);
      for (let i = 1; i < c.paths.length; i++) {
        expect(h.log).toContain(handlerEntry(c.paths[i]!));
        if (c.paths[i - 1]!.includes('/late')) expect(h.log.indexOf(`late answer ${c.bodies[i - 1]}`)).toBeLessThan(h.log.indexOf(handlerEntry(c.paths[i]!)));
      }
      // Still usable afterwards.
      client.write(get('/fast/text?body=after'));
      expect((await client.responsesUntil(c.paths.length + 1)).at(-1)!.body.toString()).toBe('after');
      client.destroy();
    });
  }
});

describe('framing', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await serve();
  });
  const cases: { name: string; request: string; bodiless?: boolean; closes: boolean; check: (r: RawResponse) => void }[] = [
    {
      name: 'HTTP/1.1 without a length: chunked, one chunk per write, then the terminator',
      request: get('/fast/chunked'),
      closes: false,
      check: (r) => {
        expect(r.framing).toBe('chunked');
        expect(r.headers['transfer-encoding']).toBe('chunked');
        expect(r.headers['content-length']).toBeUndefined();
        expect(r.wire.toString('latin1')).toBe('5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n');
      },
    },
    {
      name: 'HTTP/1.0 without a length: no chunking, Connection: close, the end of the connection ends the body',
      request: 'GET /fast/chunked HTTP/1.0\r\n\r\n',
      closes: true,
      check: (r) => {
        expect(r.framing).toBe('close');
        expect(r.headers['transfer-encoding']).toBeUndefined();
        expect(r.headers['connection']).toBe('close');
        expect(r.body.toString()).toBe('hello world');
      },
    },
    {
      name: 'HTTP/1.0 keep-alive without a length still closes (the body ends with the connection)',
      request: 'GET /fast/chunked HTTP/1.0\r\nConnection: keep-alive\r\n\r\n',
      closes: true,
      check: (r) => {
        expect(r.headers['connection']).toBe('close');
        expect(r.body.toString()).toBe('hello world');
      },
    },
    {
      name: 'HTTP/1.0 without keep-alive, with a length: Connection: close',
      request: 'GET /fast/text?body=ten HTTP/1.0\r\n\r\n',
      closes: true,
      check: (r) => {
        expect(r.headers['connection']).toBe('close');
        expect(r.body.toString()).toBe('ten');
      },
    },
    {
      name: 'HTTP/1.0 with Connection: keep-alive and a length: Connection: keep-alive, the connection stays',
      request: 'GET /fast/text?body=kept HTTP/1.0\r\nConnection: keep-alive\r\n\r\n',
      closes: false,
      check: (r) => {
        expect(r.headers['connection']).toBe('keep-alive');
        expect(r.headers['x-http-version']).toBe('1.0');
        expect(r.body.toString()).toBe('kept');
      },
    },
    {
      name: 'HEAD: the headers, no body and no chunking',
      request: 'HEAD /fast/chunked HTTP/1.1\r\nHost: t\r\n\r\n',
      bodiless: true,
      closes: false,
      check: (r) => {
        expect(r.status).toBe(200);
        expect(r.headers['transfer-encoding']).toBeUndefined();
        expect(r.headers['content-type']).toBe('text/plain');
      },
    },
    {
      name: 'HEAD with a length: the length, no body',
      request: 'HEAD /fast/text?body=12345 HTTP/1.1\r\nHost: t\r\n\r\n',
      bodiless: true,
      closes: false,
      check: (r) => expect(r.headers['content-length']).toBe('5'),
    },
    ...[204, 304].map((code) => ({
      name: `${code}: no body, no chunking`,
      request: get(`/fast/status?code=${code}`),
      closes: false,
      check: (r: RawResponse) => {
        expect(r.status).toBe(code);
        expect(r.headers['x-status']).toBe(String(code));
        expect(r.headers['transfer-encoding']).toBeUndefined();
      },
    })),
    {
      name: 'writeHead(200) without a length, then end(): chunked and empty',
      request: get('/fast/status?code=200'),
      closes: false,
      check: (r) => {
        expect(r.headers['content-length']).toBeUndefined();
        expect(r.framing).toBe('chunked');
        expect(r.wire.toString('latin1')).toBe('0\r\n\r\n');
      },
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const client = await RawClient.open(h.port);
      client.write(c.request);
      if (c.closes) await client.closedByServer();
      const [response] = await client.responsesUntil(1, () => c.bodiless === true);
      c.check(response!);
      if (c.closes) {
        expect(client.responses()).toHaveLength(1);
      } else {
        // The connection stays, and the next answer starts right after this one: the framing was exact.
        client.write(c.request.includes('HTTP/1.0') ? 'GET /fast/text?body=next HTTP/1.0\r\nConnection: keep-alive\r\n\r\n' : get('/fast/text?body=next'));
        const responses = await client.responsesUntil(2, (i) => i === 0 && c.bodiless === true);
        expect(responses).toHaveLength(2);
        expect(responses[1]!.body.toString()).toBe('next');
        expect(client.ended).toBe(false);
      }
      client.destroy();
    });
  }
});

describe('Connection: close', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await serve();
  });
  for (const path of ['/fast/text?body=bye', '/fast/late?ms=30&body=bye', '/general/bye', '/fast/chunked']) {
    it(`a request with Connection: close (${path}): the answer says so and the connection ends; a request pipelined after it is not answered`, async () => {
      h.log.length = 0;
      const client = await RawClient.open(h.port);
      client.write(get(path, 'Connection: close\r\n') + get('/fast/text?body=never'));
      await client.closedByServer();
      const responses = client.responses();
      expect(responses).toHaveLength(1);
      expect(responses[0]!.headers['connection']).toBe('close');
      expect(responses[0]!.body.toString()).toMatch(/bye|hello world/);
      expect(client.text).not.toContain('never');
    });
  }

  it('an answer the handler marks Connection: close ends the connection; requests pipelined behind it never reach a handler', async () => {
    h.log.length = 0;
    const client = await RawClient.open(h.port);
    client.write(get('/fast/late?ms=50&body=last&close') + get('/fast/hang?id=behind-fast') + get('/general/hang?id=behind-general'));
    await client.closedByServer();
    expect(client.responses().map((r) => [r.body.toString(), r.headers['connection']])).toEqual([['last', 'close']]);
    expect(h.log).toEqual(['fast GET /fast/late?ms=50&body=last&close', 'late answer last']);
  });

  it('the connection is closed outright, not left half-open for the client to close', async () => {
    // A client that keeps its side open after the server's FIN must not keep the server's socket:
    // close(done) has to complete without it (node:http destroys the socket once the answer is out).
    const local = await serve();
    const clients = await Promise.all([
      RawClient.open(local.port, { allowHalfOpen: true }),
      RawClient.open(local.port, { allowHalfOpen: true }),
      RawClient.open(local.port, { allowHalfOpen: true }),
    ]);
    clients[0]!.write(get('/fast/text?body=bye', 'Connection: close\r\n'));
    clients[1]!.write(get('/general/bye', 'Connection: close\r\n'));
    clients[2]!.write('GET /fast/chunked HTTP/1.0\r\n\r\n');
    for (const client of clients) await client.until((c) => c.ended, 'the server\'s FIN');
    local.closed = true;
    const done = await Promise.race([
      new Promise<string>((resolve) => local.server.close(() => resolve('closed'))),
      new Promise<string>((resolve) => setTimeout(() => resolve('still waiting'), 3000)),
    ]);
    for (const client of clients) client.destroy();
    expect(done).toBe('closed');
  });
});

describe('malformed requests', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await serve({ maxHeaderSize: 8 * 1024 });
  });
  const cases: { name: string; bytes: string; status: number; clientError: boolean }[] = [
    {
      name: 'Content-Length together with Transfer-Encoding',
      bytes: 'POST /general/echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      status: 400,
      clientError: true,
    },
    {
      name: 'two different Content-Length headers',
      bytes: 'POST /general/echo HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab',
      status: 400,
      clientError: true,
    },
    { name: 'a bad method token', bytes: 'G@T /fast/text HTTP/1.1\r\nHost: t\r\n\r\n', status: 400, clientError: true },
    { name: 'a method llhttp does not know', bytes: 'FROB /fast/text HTTP/1.1\r\nHost: t\r\n\r\n', status: 400, clientError: true },
    { name: 'bare LF line ends', bytes: 'GET /fast/text HTTP/1.1\nHost: t\n\n', status: 400, clientError: true },
    { name: 'binary garbage', bytes: '\u0000\u0001\u0002\u00ff garbage\r\n\r\n', status: 400, clientError: true },
    {
      name: 'a space in a header name',
      bytes: 'GET /fast/text HTTP/1.1\r\nHost: t\r\nBad Name: x\r\n\r\n',
      status: 400,
      clientError: true,
    },
    { name: 'HTTP/1.1 without Host', bytes: 'GET /fast/text HTTP/1.1\r\nAccept: */*\r\n\r\n', status: 400, clientError: false },
    {
      name: 'headers larger than maxHeaderSize',
      bytes: `GET /fast/text HTTP/1.1\r\nHost: t\r\nX-Big: ${'a'.repeat(9000)}\r\n\r\n`,
      status: 431,
      clientError: true,
    },
    {
      name: 'a request line larger than maxHeaderSize',
      bytes: `GET /fast/text?${'a'.repeat(9000)} HTTP/1.1\r\nHost: t\r\n\r\n`,
      status: 431,
      clientError: true,
    },
    {
      name: 'many small headers adding up to more than maxHeaderSize',
      bytes: `GET /fast/text HTTP/1.1\r\nHost: t\r\n${Array.from({ length: 400 }, (_, i) => `X-H${i}: ${'v'.repeat(20)}\r\n`).join('')}\r\n`,
      status: 431,
      clientError: true,
    },
  ];
  for (const c of cases) {
    it(`${c.name}: ${c.status} and the connection is closed`, async () => {
      h.log.length = 0;
      h.clientErrors.length = 0;
      const { responses } = await exchange(h.port, c.bytes);
      expect(responses.map((r) => r.status)).toEqual([c.status]);
      expect(responses[0]!.headers['connection']).toBe('close');
      expect(h.clientErrors).toHaveLength(c.clientError ? 1 : 0);
      if (c.status === 431) expect(h.clientErrors).toEqual(['HPE_HEADER_OVERFLOW']);
      expect(h.log).toEqual([]); // no handler saw it (the connection answers a hostless request itself)
    });
  }

  // Issue 11 item 7: the head went to the handler before its framing or body turned out malformed;
  // nothing of its answer is out, so the connection answers 400 in its place (as node:http does) and closes.
  for (const c of [
    {
      name: 'a malformed chunk size',
      bytes: 'POST /general/echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n',
      code: 'HPE_INVALID_CHUNK_SIZE',
    },
    {
      name: 'a chunk not followed by CRLF',
      bytes: 'POST /general/echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n',
      code: 'HPE_STRICT',
    },
    {
      name: 'Transfer-Encoding: xchunked',
      bytes: 'POST /general/echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: xchunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n',
      code: 'HPE_INVALID_TRANSFER_ENCODING',
    },
  ]) {
    it(`${c.name}, its head already with the handler: 400 in place of the handler's answer, then the connection closes`, async () => {
      h.log.length = 0;
      h.clientErrors.length = 0;
      const { responses } = await exchange(h.port, c.bytes);
      expect(responses.map((r) => [r.status, r.headers['connection']])).toEqual([[400, 'close']]);
      expect(h.log).toEqual(['general POST /general/echo']);
      expect(h.clientErrors).toHaveLength(1);
      expect(h.clientErrors[0]).toMatch(/^HPE_/);
    });
  }

  it('a malformed chunk behind a pipelined request still being answered: that answer first, then 400', async () => {
    h.clientErrors.length = 0;
    const { responses } = await exchange(
      h.port,
      get('/fast/late?ms=80&body=first') + 'POST /general/echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
    );
    expect(responses.map((r) => [r.status, r.body.toString()])).toEqual([[200, 'first'], [400, '']]);
    expect(h.clientErrors).toHaveLength(1);
  });

  it('a malformed request after a good one on the same connection: the good one is answered, then 400', async () => {
    const { responses } = await exchange(h.port, get('/fast/text?body=good') + 'POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n');
    expect(responses.map((r) => [r.status, r.body.toString()])).toEqual([[200, 'good'], [400, '']]);
  });
});

describe('timeouts', () => {
  // Both are checked by a once-a-second tick: bounds are generous, never tight.
  const HEADERS_MS = 1000;
  const IDLE_MS = 1000;
  const BOUND_MS = 4000;
  let h: Harness;
  beforeAll(async () => {
    h = await serve({ headersTimeoutMs: HEADERS_MS, keepAliveTimeoutMs: IDLE_MS });
  });

  it.concurrent('half a request line, then nothing: 408 and the connection closed', async () => {
    const client = await RawClient.open(h.port);
    client.write('GET /fast/te');
    await client.closedByServer(HEADERS_MS + BOUND_MS);
    expect(client.responses().map((r) => r.status)).toEqual([408]);
    expect(h.clientErrors).toContain('ERR_HTTP_REQUEST_TIMEOUT');
  });

  it.concurrent('headers dripping in a line at a time do not outlast the headers timeout', async () => {
    const client = await RawClient.open(h.port);
    client.write('GET /fast/text HTTP/1.1\r\nHost: t\r\n');
    let n = 0;
    const drip = setInterval(() => !client.ended && !client.closed && client.write(`X-Drip-${n++}: x\r\n`), 150);
    try {
      await client.closedByServer(HEADERS_MS + BOUND_MS);
    } finally {
      clearInterval(drip);
    }
    expect(client.responses().map((r) => r.status)).toEqual([408]);
  });

  it.concurrent('an idle keep-alive connection is closed after keepAliveTimeoutMs', async () => {
    const client = await RawClient.open(h.port);
    client.write(get('/fast/text?body=idle'));
    await client.responsesUntil(1);
    await client.closedByServer(IDLE_MS + BOUND_MS);
    expect(client.responses().map((r) => r.body.toString())).toEqual(['idle']);
  });

  it.concurrent('an answer that takes longer than both timeouts is not cut', async () => {
    const client = await RawClient.open(h.port);
    client.write(get('/fast/late?ms=2500&body=slow-fast') + get('/general/late?ms=100&body=slow-general'));
    const responses = await client.responsesUntil(2, undefined, 2500 + BOUND_MS);
    expect(responses.map((r) => r.body.toString())).toEqual(['slow-fast', 'slow-general']);
    client.destroy();
  });
});

describe('Expect', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await serve();
  });

  it('100-continue: "100 Continue" before the body is sent, then the handler reads the body', async () => {
    const client = await RawClient.open(h.port);
    client.write('POST /general/echo HTTP/1.1\r\nHost: t\r\nContent-Length: 11\r\nExpect: 100-continue\r\n\r\n');
    await client.until((c) => c.text.includes('\r\n\r\n'), 'the interim answer');
    expect(client.text).toBe('HTTP/1.1 100 Continue\r\n\r\n');
    client.write('hello world');
    const responses = await client.responsesUntil(2);
    expect(responses.map((r) => r.status)).toEqual([100, 200]);
    expect(JSON.parse(responses[1]!.body.toString())).toMatchObject({ bytes: 11, sha256: sha256('hello world') });
    client.destroy();
  });

  it('curl with Expect: 100-continue sends a 2 MB body once told to continue', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gatehouse-http1-'));
    try {
      const body = Buffer.alloc(2 * 1024 * 1024, 'x');
      await writeFile(join(dir, 'body'), body);
      const { stdout, stderr } = await curl([
        '-v',
        '-H',
        'Expect: 100-continue',
        '--data-binary',
        `@${join(dir, 'body')}`,
        `http://127.0.0.1:${h.port}/general/echo`,
      ]);
      expect(stderr).toMatch(/< HTTP\/1\.1 100 Continue/);
      expect(JSON.parse(stdout)).toMatchObject({ bytes: body.length, sha256: sha256(body) });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('any other expectation: 417, and the handler never sees the request', async () => {
    h.log.length = 0;
    const { responses } = await exchange(h.port, 'POST /general/echo HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\nExpect: something-else\r\n\r\nhi');
    expect(responses.map((r) => r.status)).toEqual([417]);
    expect(h.log).toEqual([]);
  });

  it('HTTP/1.0: an expectation is ignored (RFC 9110 §10.1.1), as node:http ignores it', async () => {
    const client = await RawClient.open(h.port);
    client.write('POST /general/echo HTTP/1.0\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\nhi');
    await client.closedByServer();
    expect(client.responses().map((r) => r.status)).toEqual([200]);
    const { responses } = await exchange(h.port, 'POST /general/echo HTTP/1.0\r\nContent-Length: 2\r\nExpect: something-else\r\n\r\nhi');
    expect(responses.map((r) => r.status)).toEqual([200]);
  });
});

describe('request bodies on the general path', () => {
  let h: Harness;
  let dir: string;
  beforeAll(async () => {
    h = await serve();
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-http1-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const big = Buffer.alloc(3 * 1024 * 1024 + 17);
  for (let i = 0; i < big.length; i++) big[i] = (i * 7919) % 251;
  const chunked = (body: Buffer, size: number): Buffer => {
    const parts: Buffer[] = [];
    for (let at = 0; at < body.length; at += size) {
      const part = body.subarray(at, at + size);
      parts.push(Buffer.from(`${part.length.toString(16)}\r\n`), part, Buffer.from('\r\n'));
    }
    return Buffer.concat([...parts, Buffer.from('0\r\n\r\n')]);
  };
  const cases: { name: string; head: string; wire: Buffer; body: Buffer; paused?: boolean }[] = [
    { name: 'Content-Length', head: 'Content-Length: 11\r\n', wire: Buffer.from('hello world'), body: Buffer.from('hello world') },
    {
      name: 'chunked, with a chunk extension and an empty trailer section',
      head: 'Transfer-Encoding: chunked\r\n',
      wire: Buffer.from('5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\n\r\n'),
      body: Buffer.from('hello world'),
    },
    {
      name: 'Content-Length, 3 MB read late (the connection pauses meanwhile)',
      head: `Content-Length: ${big.length}\r\n`,
      wire: big,
      body: big,
      paused: true,
    },
    {
      name: 'chunked, 3 MB in 64 KiB chunks read late (the connection pauses meanwhile)',
      head: 'Transfer-Encoding: chunked\r\n',
      wire: chunked(big, 64 * 1024),
      body: big,
      paused: true,
    },
  ];
  for (const c of cases) {
    it(`a ${c.name} body reaches the handler intact, and the connection goes on`, async () => {
      const client = await RawClient.open(h.port);
      const late = c.paused ? '?readAfterMs=200' : '';
      client.write(
        Buffer.concat([
          Buffer.from(`POST /general/echo${late} HTTP/1.1\r\nHost: t\r\n${c.head}\r\n`),
          c.wire,
          Buffer.from(get('/fast/text?body=next')),
        ]),
      );
      const responses = await client.responsesUntil(2, undefined, 10_000);
      const echoed = JSON.parse(responses[0]!.body.toString()) as { bytes: number; sha256: string; pausedBeforeReading: boolean };
      expect(echoed).toMatchObject({ bytes: c.body.length, sha256: sha256(c.body) });
      if (c.paused) expect(echoed.pausedBeforeReading).toBe(true);
      expect(responses[1]!.body.toString()).toBe('next');
      client.destroy();
    });
  }

  it('curl uploads a chunked 3 MB file intact', async () => {
    await writeFile(join(dir, 'big'), big);
    const { stdout } = await curl([
      '-H',
      'Transfer-Encoding: chunked',
      '--data-binary',
      `@${join(dir, 'big')}`,
      `http://127.0.0.1:${h.port}/general/echo?readAfterMs=100`,
    ]);
    expect(JSON.parse(stdout)).toMatchObject({ bytes: big.length, sha256: sha256(big), headers: { 'transfer-encoding': 'chunked' } });
  });

  // A body that fits in one read but not in the request's buffer: the connection pauses for it, and
  // the body is complete at once. Reading it (late) or not, the connection must read on afterwards.
  const oneRead = [20_000, 40_000, 60_000].flatMap((size) => [
    { size, how: 'never read', path: '/general/unread' },
    { size, how: 'read late', path: '/general/echo?readAfterMs=50' },
  ]);
  for (const c of oneRead) {
    it(`a ${c.size}-byte body, ${c.how}: the next request on the connection, sent after the answer, is answered`, async () => {
      const client = await RawClient.open(h.port);
      client.write(Buffer.concat([Buffer.from(`POST ${c.path} HTTP/1.1\r\nHost: t\r\nContent-Length: ${c.size}\r\n\r\n`), Buffer.alloc(c.size, 'b')]));
      expect((await client.responsesUntil(1))[0]!.status).toBe(200);
      client.write(get('/fast/text?body=next'));
      const responses = await client.responsesUntil(2, undefined, 3000);
      client.destroy();
      expect(responses[1]!.body.toString()).toBe('next');
    });
  }

  it('a 3 MB body the handler never reads is drained, and the next request is answered', async () => {
    const client = await RawClient.open(h.port);
    client.write(
      Buffer.concat([
        Buffer.from(`POST /general/unread HTTP/1.1\r\nHost: t\r\nContent-Length: ${big.length}\r\n\r\n`),
        big,
        Buffer.from(get('/fast/text?body=after')),
      ]),
    );
    const responses = await client.responsesUntil(2, undefined, 10_000);
    expect(responses.map((r) => r.body.toString())).toEqual(['general /general/unread', 'after']);
    client.destroy();
  });
});

describe('client half-close', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await serve();
  });
  const cases: { name: string; requests: string; bodies: string[] }[] = [
    { name: 'a fast answer', requests: get('/fast/text?body=a'), bodies: ['a'] },
    { name: 'a late fast answer', requests: get('/fast/late?ms=100&body=b'), bodies: ['b'] },
    { name: 'a late general answer', requests: get('/general/late?ms=100&body=c'), bodies: ['c'] },
    { name: 'two pipelined answers', requests: get('/general/late?ms=100&body=d') + get('/fast/late?ms=10&body=e'), bodies: ['d', 'e'] },
    {
      name: 'a POST with its body',
      requests: 'POST /general/echo HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\nhi',
      bodies: [JSON.stringify({ bytes: 2, sha256: sha256('hi') })],
    },
  ];
  for (const c of cases) {
    it(`the client sends its request and shuts its side: ${c.name} still arrives, then the server closes`, async () => {
      const client = await RawClient.open(h.port);
      client.write(c.requests);
      client.socket.end();
      await client.closedByServer();
      const responses = client.responses();
      // The echo's JSON is cut down to what it is checked for.
      const shown = (body: string): string =>
        body.startsWith('{')
          ? JSON.stringify((({ bytes, sha256: hash }) => ({ bytes, sha256: hash }))(JSON.parse(body) as { bytes: number; sha256: string }))
          : body;
      expect(responses.map((r) => shown(r.body.toString()))).toEqual(c.bodies);
    });
  }

  it('a request cut short by the client\'s FIN is refused: 400 in place of the handler\'s answer (as node:http answers it)', async () => {
    h.clientErrors.length = 0;
    const client = await RawClient.open(h.port, { allowHalfOpen: true });
    client.write('POST /general/echo HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nshort');
    client.socket.end();
    await client.closedByServer();
    expect(client.responses().map((r) => r.status)).toEqual([400]);
    expect(h.clientErrors).toHaveLength(1);
  });
});

describe('upgrade', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await serve();
  });
  const upgradeRequest = (path: string): string => `GET ${path} HTTP/1.1\r\nHost: t\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n`;

  it('after a keep-alive request on the same connection, an upgrade reaches its handler with the bytes after the head', async () => {
    h.upgrades.length = 0;
    const client = await RawClient.open(h.port);
    client.write(get('/fast/text?body=first'));
    await client.responsesUntil(1);
    client.write(`${upgradeRequest('/upgrade/echo')}early bytes`);
    await client.until((c) => c.text.includes('head=early bytes|'), 'the 101 and the head');
    expect(h.upgrades).toEqual([{ url: '/upgrade/echo', head: 'early bytes' }]);
    expect(client.text).toContain('HTTP/1.1 101 Switching Protocols\r\n');
    client.write('ping');
    await client.until((c) => c.text.endsWith('head=early bytes|ping'), 'the echo');
    client.destroy();
  });

  it('bytes that arrive while the upgrade handler is still busy are kept for it, as node:http keeps them', async () => {
    const client = await RawClient.open(h.port);
    client.write(`${upgradeRequest('/upgrade/slow')}first`);
    // The handler has the request and is busy (it accepts 150 ms later): what comes now arrives meanwhile.
    await expect.poll(() => h.upgrades.some((u) => u.url === '/upgrade/slow')).toBe(true);
    client.write('-second');
    await client.until((c) => c.text.includes('head=first|'), 'the 101');
    await client.until((c) => c.text.endsWith('head=first|-second'), 'the bytes sent meanwhile, echoed', 2000);
    client.destroy();
  });
});

// Gone means a reset here: a FIN alone is a half-close, and the answer is still owed (see above).
describe('the client going away', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await serve();
  });
  // `ids`: the requests that reach their handler; `never`: those pipelined behind, which wait and are dropped.
  const cases: { name: string; paths: string[]; ids: string[]; never: string[] }[] = [
    { name: 'a pending fast answer', paths: ['/fast/hang?id=a1'], ids: ['a1'], never: [] },
    { name: 'a pending fast answer and one waiting behind it', paths: ['/fast/hang?id=b1', '/fast/hang?id=b2'], ids: ['b1'], never: ['b2'] },
    { name: 'a pending fast answer and a general one waiting behind it', paths: ['/fast/hang?id=c1', '/general/hang?id=c2'], ids: ['c1'], never: ['c2'] },
    { name: 'a pending general answer and a fast one behind it', paths: ['/general/hang?id=d1', '/fast/hang?id=d2'], ids: ['d1'], never: ['d2'] },
  ];
  for (const c of cases) {
    it(`${c.name}: every response started emits 'close', those waiting are never started, late writes are harmless, new connections are served`, async () => {
      const client = await RawClient.open(h.port);
      client.write(c.paths.map((p) => get(p)).join(''));
      await expect.poll(() => c.ids.every((id) => h.hanging.has(id))).toBe(true);
      client.socket.resetAndDestroy();
      await expect.poll(() => c.ids.map((id) => h.hanging.get(id)!.closed)).toEqual(c.ids.map(() => true));
      // The upstream's answer arriving after all: nothing throws, nothing is written anywhere.
      for (const id of c.ids) {
        const res: ResponseSink = h.hanging.get(id)!.res;
        expect(() => {
          res.writeHead(200, { 'content-length': 4 });
          res.write(Buffer.from('late'));
          res.end();
        }).not.toThrow();
      }
      const { responses } = await exchange(h.port, get('/fast/text?body=still', 'Connection: close\r\n'));
      expect(responses.map((r) => r.body.toString())).toEqual(['still']);
      // Checked after a whole exchange on another connection: the server had every chance to start them.
      expect(c.never.filter((id) => h.hanging.has(id))).toEqual([]);
    });
  }
});

describe('closing', () => {
  // Answers "in flight" are /fast/hang and /general/hang ones, given by the test when it wants them.
  const answer = (h: Harness, id: string, body: string): void => {
    const res: ResponseSink = h.hanging.get(id)!.res;
    res.writeHead(200, { 'content-length': body.length }).end(body);
  };

  it('closeIdleConnections closes the idle connections only: answers in flight and heads in progress go on', async () => {
    const h = await serve();
    const [idle, fastBusy, generalBusy, midHead] = await Promise.all([0, 1, 2, 3].map(() => RawClient.open(h.port)));
    idle!.write(get('/fast/text?body=idle'));
    await idle!.responsesUntil(1);
    fastBusy!.write(get('/fast/hang?id=fast-busy'));
    generalBusy!.write(get('/general/hang?id=general-busy'));
    midHead!.write('GET /fast/text?body=mid HTTP/1.1\r\nHost: t\r\n');
    await expect.poll(() => h.hanging.has('fast-busy') && h.hanging.has('general-busy')).toBe(true);
    await expect.poll(() => h.parsed.join('').includes('GET /fast/text?body=mid HTTP/1.1\r\nHost: t\r\n')).toBe(true); // the half head too
    h.server.closeIdleConnections();
    await idle!.closedByServer(1000);
    answer(h, 'fast-busy', 'fast-busy');
    answer(h, 'general-busy', 'general-busy');
    midHead!.write('\r\n');
    expect((await fastBusy!.responsesUntil(1))[0]!.body.toString()).toBe('fast-busy');
    expect((await generalBusy!.responsesUntil(1))[0]!.body.toString()).toBe('general-busy');
    expect((await midHead!.responsesUntil(1))[0]!.body.toString()).toBe('mid');
    for (const client of [fastBusy, generalBusy, midHead]) {
      expect(client!.ended || client!.closed).toBe(false);
      client!.destroy();
    }
  });

  it('closeIdleConnections (a stop) closes a connection whose client has closed its side with an answer still in flight', async () => {
    const h = await serve();
    const [left, staying] = await Promise.all([0, 1].map(() => RawClient.open(h.port, { allowHalfOpen: true })));
    left!.write(get('/general/hang?id=left'));
    staying!.write(get('/general/hang?id=staying'));
    await expect.poll(() => h.hanging.has('left') && h.hanging.has('staying')).toBe(true);
    left!.socket.end();
    // As a stop sweeps: again and again, until the server has read the FIN.
    await expect
      .poll(() => {
        h.server.closeIdleConnections();
        return left!.ended || left!.closed;
      })
      .toBe(true);
    expect(staying!.ended || staying!.closed).toBe(false);
    answer(h, 'staying', 'staying');
    expect((await staying!.responsesUntil(1))[0]!.body.toString()).toBe('staying');
    expect(left!.responses()).toEqual([]);
    staying!.destroy();
  });

  it('an answer completed just before closeIdleConnections, in the same loop turn, still arrives', async () => {
    const h = await serve();
    const client = await RawClient.open(h.port);
    client.write(get('/fast/then-close-idle'));
    const [response] = await client.responsesUntil(1);
    expect(response!.body.toString()).toBe('answered before closeIdleConnections');
    client.destroy();
  });

  it('after close(), answers in flight complete and close their connection; then close is done and new connections are refused', async () => {
    const h = await serve();
    const [fastBusy, generalBusy, idle] = await Promise.all([0, 1, 2].map(() => RawClient.open(h.port)));
    fastBusy!.write(get('/fast/hang?id=fast-busy'));
    generalBusy!.write(get('/general/hang?id=general-busy'));
    idle!.write(get('/fast/text?body=idle'));
    await idle!.responsesUntil(1);
    await expect.poll(() => h.hanging.has('fast-busy') && h.hanging.has('general-busy')).toBe(true);
    h.closed = true;
    let done = false;
    h.server.close(() => (done = true));
    h.server.closeIdleConnections();
    await idle!.closedByServer(1000);
    expect(done).toBe(false);
    answer(h, 'fast-busy', 'fast-busy');
    answer(h, 'general-busy', 'general-busy');
    await fastBusy!.closedByServer();
    await generalBusy!.closedByServer();
    const [fastAnswer] = fastBusy!.responses();
    expect(fastAnswer!.body.toString()).toBe('fast-busy');
    expect(fastAnswer!.headers['connection']).toBe('close');
    expect(generalBusy!.responses().map((r) => r.body.toString())).toEqual(['general-busy']);
    await expect.poll(() => done).toBe(true);
    await expect(RawClient.open(h.port)).rejects.toThrow(/ECONNREFUSED/);
  });

  it('closeAllConnections cuts a connection whose client keeps it half-open after a refused request', async () => {
    const h = await serve();
    const client = await RawClient.open(h.port, { allowHalfOpen: true });
    client.write('GET / HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n');
    await client.until((c) => c.ended, 'the 400 and the server\'s FIN');
    expect(client.responses().map((r) => r.status)).toEqual([400]);
    h.closed = true;
    const done = new Promise<string>((resolve) => h.server.close(() => resolve('closed')));
    h.server.closeAllConnections();
    expect(await Promise.race([done, new Promise<string>((resolve) => setTimeout(() => resolve('still waiting'), 3000))])).toBe('closed');
    client.destroy();
  });
});

describe('answer backpressure', () => {
  it('a 32 MB answer to a client that reads late: the handler is told to wait, Gatehouse holds a bounded amount, every byte arrives', async () => {
    const h = await serve();
    const total = 32 * 1024 * 1024;
    const { connect } = await import('node:net');
    const socket = connect(h.port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.pause(); // reads nothing for a while: the kernel's buffers fill, then Gatehouse's
    socket.write(get(`/fast/big?bytes=${total}`));
    // The kernel's buffers are full and the handler has been told to wait.
    await expect.poll(() => h.streamed[0]?.waits ?? 0, { timeout: 5_000 }).toBeGreaterThan(0);
    let received = 0;
    let head = '';
    const done = new Promise<void>((resolve) => {
      socket.on('data', (data: Buffer) => {
        if (!head.includes('\r\n\r\n')) {
          head += data.toString('latin1');
          const end = head.indexOf('\r\n\r\n');
          if (end === -1) return;
          received += Buffer.byteLength(head.slice(end + 4), 'latin1');
          head = head.slice(0, end + 4);
        } else {
          received += data.length;
        }
        if (received >= total) resolve();
      });
    });
    socket.resume();
    await done;
    socket.destroy();
    expect(head).toMatch(new RegExp(`^HTTP/1.1 200 OK\r\n[\\s\\S]*content-length: ${total}\r\n`, 'i'));
    expect(received).toBe(total);
    expect(h.streamed).toHaveLength(1);
    expect(h.streamed[0]!.waits).toBeGreaterThan(0);
    // Held back by Gatehouse, beyond what the kernel took: a few chunks, not the answer.
    expect(h.streamed[0]!.maxBuffered).toBeLessThan(1024 * 1024);
  });
});

describe('LeanResponse', () => {
  const owner = { socket: null as unknown as Socket, closing: false, dateLine: () => 'Date: x\r\n', finished: () => {}, send: () => true };
  const values: { name: string; value: string }[] = [
    { name: 'CR LF (response splitting)', value: 'a\r\nInjected: yes' },
    { name: 'a bare LF', value: 'a\nInjected: yes' },
    { name: 'a bare CR', value: 'a\rb' },
    { name: 'NUL', value: 'a\u0000b' },
  ];
  for (const v of values) {
    it(`refuses a header value with ${v.name}: ERR_INVALID_CHAR, from writeHead and from setHeader`, () => {
      const direct = new LeanResponse(owner, { method: 'GET', versionMinor: 1, keepAlive: true });
      expect(() => direct.writeHead(200, { 'x-bad': v.value })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_CHAR' }));
      expect(direct.headersSent).toBe(false);
      const viaSet = new LeanResponse(owner, { method: 'GET', versionMinor: 1, keepAlive: true });
      expect(() => viaSet.setHeader('x-bad', v.value)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_CHAR' }));
      expect(viaSet.getHeader('x-bad')).toBeUndefined();
    });
  }

  it('on a connection: nothing of a refused head is sent, and the handler can still answer', async () => {
    const h = await serve();
    const client = await RawClient.open(h.port);
    const hex = Buffer.from('a\r\nInjected: yes').toString('hex');
    client.write(get(`/fast/bad-header?hex=${hex}`) + get(`/fast/bad-header?hex=${hex}&set`) + get('/fast/text?body=after'));
    const responses = await client.responsesUntil(3);
    expect(h.thrown.map((t) => t.code)).toEqual(['ERR_INVALID_CHAR', 'ERR_INVALID_CHAR']);
    expect(responses.map((r) => [r.status, r.body.toString()])).toEqual([[500, 'refused'], [500, 'refused'], [200, 'after']]);
    expect(client.text).not.toMatch(/injected/i);
    client.destroy();
  });
});
