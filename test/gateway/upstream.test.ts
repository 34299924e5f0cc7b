// The lean engine's upstream client (gateway/http1/upstream.ts) against real upstreams on loopback:
// node:http servers, and raw TCP servers where the exact bytes matter (HTTP/1.0, bad answers, a
// connection closed behind the client's back).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LeanUpstreamClient, loadParser, type UpstreamHandler } from '../../gateway/http1/index.js';

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
  error: (Error & { code?: string }) | null;
  chunks: number;
}

const loaded = loadParser();
if (!('factory' in loaded)) throw new Error(`Node's parser is not reachable: ${loaded.error}`);
let client: LeanUpstreamClient;
const servers: Array<Server | NetServer> = [];
const rawSockets: Array<Set<Socket>> = [];

beforeAll(() => {
  client = new LeanUpstreamClient(loaded.factory);
});
afterAll(() => client.close());
afterEach(async () => {
  for (const sockets of rawSockets.splice(0)) for (const socket of sockets) socket.destroy();
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((resolve) => {
    if ('closeAllConnections' in s) s.closeAllConnections();
    s.close(() => resolve());
  })));
});

async function listen<T extends Server | NetServer>(server: T): Promise<{ server: T; url: URL }> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`) };
}

function httpUpstream(handler: (req: IncomingMessage, res: ServerResponse) => void) {
  return listen(createServer(handler));
}

/** A raw TCP upstream: `answer` gets each request's head text and the socket. */
function rawUpstream(answer: (head: string, socket: Socket) => void) {
  const sockets = new Set<Socket>();
  const server = createNetServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let pending = '';
    socket.on('data', (d) => {
      pending += d.toString('latin1');
      let end: number;
      while ((end = pending.indexOf('\r\n\r\n')) >= 0) {
        const head = pending.slice(0, end);
        pending = pending.slice(end + 4);
        answer(head, socket);
      }
    });
    socket.on('error', () => {});
  });
  rawSockets.push(sockets);
  return listen(server);
}

function request(
  url: URL,
  options: { method?: 'GET' | 'HEAD'; path?: string; headers?: string[]; timeoutMs?: number; abortAfterHead?: boolean } = {},
): Promise<Answer> {
  return new Promise((resolve) => {
    const answer: Answer = { status: 0, headers: {}, body: '', error: null, chunks: 0 };
    let abort: ((reason?: Error) => void) | null = null;
    const handler: UpstreamHandler = {
      onConnect: (a) => {
        abort = a;
      },
      onHeaders: (status, raw) => {
        answer.status = status;
        for (let i = 0; i < raw.length; i += 2) answer.headers[raw[i]!.toLowerCase()] = raw[i + 1]!;
        if (options.abortAfterHead) abort?.(Object.assign(new Error('client gone'), { code: 'ERR_TEST_ABORT' }));
        return true;
      },
      onData: (chunk) => {
        answer.body += chunk.toString();
        answer.chunks++;
        return true;
      },
      onComplete: () => resolve(answer),
      onError: (error) => {
        answer.error = error;
        resolve(answer);
      },
    };
    client.dispatch(
      url,
      {
        method: options.method ?? 'GET',
        path: options.path ?? '/',
        headers: options.headers ?? ['host', 'gateway.test'],
        timeoutMs: options.timeoutMs ?? 5_000,
      },
      handler,
    );
  });
}

describe('answers', () => {
  it('GET: status, headers and body; the request carries the path and headers given', async () => {
    let seen: { url?: string; host?: string; x?: string } = {};
    const { url } = await httpUpstream((req, res) => {
      seen = { url: req.url, host: req.headers.host, x: req.headers['x-test'] as string };
      res.writeHead(201, { 'content-type': 'text/plain', 'x-up': 'yes' }).end('hello');
    });
    const answer = await request(url, { path: '/a%20b?q=1', headers: ['host', 'gateway.test', 'x-test', 'v'] });
    expect(answer).toMatchObject({ status: 201, body: 'hello', error: null });
    expect(answer.headers).toMatchObject({ 'content-type': 'text/plain', 'x-up': 'yes' });
    expect(seen).toEqual({ url: '/a%20b?q=1', host: 'gateway.test', x: 'v' });
  });

  it('without a host header the upstream gets its own host:port', async () => {
    let host: string | undefined;
    const { url } = await httpUpstream((req, res) => { host = req.headers.host; res.end('ok'); });
    await request(url, { headers: [] });
    expect(host).toBe(url.host);
  });

  it('HEAD: headers only, even with a Content-Length', async () => {
    // node:http sends no body to a HEAD, whatever end() is given.
    const { url } = await httpUpstream((_req, res) => res.writeHead(200, { 'content-length': '5' }).end('hello'));
    const answer = await request(url, { method: 'HEAD' });
    expect(answer).toMatchObject({ status: 200, body: '', error: null });
    expect(answer.headers['content-length']).toBe('5');
    const after = await request(url); // the connection is still in step: the GET gets its own body
    expect(after).toMatchObject({ status: 200, body: 'hello', error: null });
  });

  it('a chunked body arrives in pieces as it is sent, de-chunked', async () => {
    const { url } = await httpUpstream((_req, res) => {
      res.writeHead(200);
      res.write('one,');
      setTimeout(() => res.write('two,'), 30);
      setTimeout(() => res.end('three'), 60);
    });
    const answer = await request(url);
    expect(answer.body).toBe('one,two,three');
    expect(answer.chunks).toBeGreaterThanOrEqual(3);
  });

  it('an HTTP/1.0 answer without a length ends with the connection', async () => {
    const { url } = await rawUpstream((_head, socket) => {
      socket.write('HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end');
      setTimeout(() => socket.end(), 20);
    });
    const answer = await request(url);
    expect(answer).toMatchObject({ status: 200, body: 'until the end', error: null });
  });

  it('a 1xx before the answer is skipped', async () => {
    const { url } = await rawUpstream((_head, socket) => {
      socket.write('HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
    });
    const answer = await request(url);
    expect(answer).toMatchObject({ status: 200, body: 'ok', error: null });
  });
});

describe('connections', () => {
  it('keep-alive: sequential requests share one connection', async () => {
    const { server, url } = await httpUpstream((_req, res) => res.end('ok'));
    let connections = 0;
    server.on('connection', () => connections++);
    for (let i = 0; i < 5; i++) expect((await request(url)).body).toBe('ok');
    expect(connections).toBe(1);
  });

  it('a reused connection the upstream closed is replaced, and the request answered', async () => {
    let connections = 0;
    const { url } = await rawUpstream((_head, socket) => {
      // Answers as keep-alive, then closes the connection a moment later (an idle timeout).
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
      setTimeout(() => socket.destroy(), 10);
    });
    const server = servers[servers.length - 1] as NetServer;
    server.on('connection', () => connections++);
    expect((await request(url)).body).toBe('ok');
    await new Promise((r) => setTimeout(r, 50));
    expect((await request(url)).body).toBe('ok');
    expect(connections).toBe(2);
  });

  it('Connection: close from the upstream: the next request opens a new connection', async () => {
    let connections = 0;
    const { server, url } = await httpUpstream((_req, res) => res.writeHead(200, { connection: 'close' }).end('ok'));
    server.on('connection', () => connections++);
    expect((await request(url)).body).toBe('ok');
    expect((await request(url)).body).toBe('ok');
    expect(connections).toBe(2);
  });

  it('300 requests at once to a slow upstream: all answered, at most 256 connections', async () => {
    let open = 0;
    let most = 0;
    const { server, url } = await httpUpstream((_req, res) => setTimeout(() => res.end('ok'), 20));
    server.on('connection', (socket: Socket) => {
      most = Math.max(most, ++open);
      socket.on('close', () => open--);
    });
    const answers = await Promise.all(Array.from({ length: 300 }, () => request(url)));
    expect(answers.every((a) => a.body === 'ok')).toBe(true);
    expect(most).toBeLessThanOrEqual(256);
  });
});

describe('answers nobody asked for (issue 11 desync)', () => {
  it('a second answer in the same read as the first is never taken for the answer to a request waiting for that connection', async () => {
    // 255 requests hang; the 256th is answered with a second, forged answer right behind it; the
    // 257th waits for a connection and must get its own answer, on a connection of its own.
    const { url } = await rawUpstream((head, socket) => {
      if (head.startsWith('GET /first ')) socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nEVIL');
      else if (head.startsWith('GET /waiting ')) socket.write('HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nreal');
    });
    for (let i = 0; i < 255; i++) void request(url, { path: `/hang${i}` });
    const first = request(url, { path: '/first' });
    const waiting = request(url, { path: '/waiting' });
    expect((await first).body).toBe('ok');
    expect(await waiting).toMatchObject({ status: 200, body: 'real', error: null });
  });
});

describe('failures', () => {
  it.each([
    {
      name: 'connection refused',
      setup: async () => {
        const { server, url } = await listen(createNetServer());
        await new Promise<void>((r) => server.close(() => r()));
        servers.pop();
        return url;
      },
      code: 'ERR_GATEWAY_UPSTREAM_REFUSED',
    },
    {
      name: 'an answer that is not HTTP',
      setup: async () => (await rawUpstream((_h, s) => s.write('SSH-2.0-OpenSSH\r\n\r\n'))).url,
      code: 'ERR_GATEWAY_UPSTREAM_BAD_RESPONSE',
    },
    {
      name: 'a connection closed mid-body',
      setup: async () =>
        (
          await rawUpstream((_h, s) => {
            s.write('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc');
            setTimeout(() => s.destroy(), 20);
          })
        ).url,
      code: 'ERR_GATEWAY_UPSTREAM_BAD_RESPONSE',
    },
    {
      name: 'no answer within the timeout',
      setup: async () => (await rawUpstream(() => {})).url,
      code: 'ERR_GATEWAY_UPSTREAM_TIMED_OUT',
      timeoutMs: 300,
    },
  ])('$name: onError with $code', async ({ setup, code, timeoutMs }) => {
    const url = await setup();
    const answer = await request(url, { timeoutMs: timeoutMs ?? 5_000 });
    expect(answer.error?.code).toBe(code);
  });

  it('the timeout limits each pause, not the whole stream', async () => {
    const { url } = await httpUpstream((_req, res) => {
      res.writeHead(200);
      let sent = 0;
      const timer = setInterval(() => {
        if (++sent === 6) {
          clearInterval(timer);
          res.end('end');
        } else res.write(`${sent},`);
      }, 150);
    });
    const answer = await request(url, { timeoutMs: 500 }); // 6 × 150 ms > 500 ms in total
    expect(answer).toMatchObject({ error: null, body: '1,2,3,4,5,end' });
  });

  it('an abort after the head ends the exchange with onError and closes that connection', async () => {
    let closed = false;
    const { url } = await httpUpstream((_req, res) => {
      res.socket?.on('close', () => { closed = true; });
      res.writeHead(200);
      res.write('part');
    });
    const answer = await request(url, { abortAfterHead: true });
    expect(answer.error?.code).toBe('ERR_TEST_ABORT');
    await expect.poll(() => closed).toBe(true);
  });

  it('a header value with CR or LF is refused before anything is sent', async () => {
    const { url } = await httpUpstream((_req, res) => res.end('ok'));
    expect(() => client.dispatch(url, { method: 'GET', path: '/', headers: ['x-bad', 'a\r\nInjected: 1'], timeoutMs: 1000 }, {
      onConnect() {}, onHeaders: () => true, onData: () => true, onComplete() {}, onError() {},
    })).toThrow(expect.objectContaining({ code: 'ERR_GATEWAY_UPSTREAM_BAD_HEADER' }));
  });
});
