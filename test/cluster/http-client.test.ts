// The cluster sources' HTTP client (cluster/http-client.ts) against real local servers: redirects as
// fetch followed them (a Mesos non-leader answers with a protocol-relative Location), compressed
// answers, refused and aborted requests, and HTTPS with Node's default trust.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterError } from '../../cluster/errors.js';
import { describeNetworkError, httpCall, HttpCallError, type HttpAnswer, type HttpCallOptions } from '../../cluster/http-client.js';
import { refusedPorts } from '../support/refused-port.js';
import { selfSignedCertificate } from '../support/tls.js';

interface Echo {
  readonly method: string;
  readonly url: string;
  readonly body: string;
  readonly headers: Record<string, string | string[] | undefined>;
}

const DOCUMENT = JSON.stringify({ frameworks: [{ id: 'marathon', tasks: Array.from({ length: 50 }, (_, i) => `task-${i}`) }] });
const stalled = new Set<ServerResponse>();

/** Routes: /echo, /redirect?status=N&to=URL, /loop, /encoded?as=gzip|x-gzip|deflate|br, /hang, /stall. */
function route(request: IncomingMessage, response: ServerResponse, body: string): void {
  const url = new URL(request.url ?? '/', 'http://x');
  switch (url.pathname) {
    case '/echo':
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ method: request.method ?? '', url: request.url ?? '', body, headers: request.headers } satisfies Echo));
      return;
    case '/redirect': {
      const to = url.searchParams.get('to');
      response.writeHead(Number(url.searchParams.get('status')), to === null ? {} : { location: to });
      response.end();
      return;
    }
    case '/loop':
      response.writeHead(302, { location: '/loop' }).end();
      return;
    case '/encoded': {
      const as = url.searchParams.get('as')!;
      const encode = { gzip: gzipSync, 'x-gzip': gzipSync, deflate: deflateSync, br: brotliCompressSync }[as]!;
      response.writeHead(200, { 'content-type': 'application/json', 'content-encoding': as }).end(encode(DOCUMENT));
      return;
    }
    case '/hang':
      stalled.add(response);
      return;
    case '/stall':
      stalled.add(response);
      response.writeHead(200, { 'content-type': 'application/json' });
      response.write('{"half": ');
      return;
    default:
      response.writeHead(404).end();
  }
}

function listen(server: Server): Promise<string> {
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => route(request, response, Buffer.concat(chunks).toString('utf8')));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`127.0.0.1:${(server.address() as AddressInfo).port}`)));
}

const servers: Server[] = [];
let here = '';
let there = '';
let secure = '';
let dir = '';
let certFile = '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-http-client-'));
  const certificate = selfSignedCertificate(dir);
  certFile = certificate.certFile;
  const https = createHttpsServer({ key: readFileSync(certificate.keyFile), cert: readFileSync(certFile) });
  servers.push(createServer(), createServer(), https);
  [here = '', there = '', secure = ''] = await Promise.all(servers.map(listen));
});

afterAll(async () => {
  for (const response of stalled) response.destroy();
  for (const server of servers) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
  await rm(dir, { recursive: true, force: true });
});

async function text(answer: HttpAnswer): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of answer.body) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

const echoOf = async (answer: HttpAnswer): Promise<Echo> => JSON.parse(await text(answer)) as Echo;

describe('redirects, followed as fetch followed them', () => {
  const to = (status: number, location: () => string) => () => `http://${here}/redirect?status=${status}&to=${encodeURIComponent(location())}`;
  const cases: {
    name: string;
    url: () => string;
    options?: HttpCallOptions;
    want: { at: () => string; method: string; body: string; authorization?: string };
  }[] = [
    { name: 'a relative Location', url: to(307, () => '/echo?x=1'), want: { at: () => `http://${here}/echo?x=1`, method: 'GET', body: '' } },
    {
      name: "a protocol-relative Location (a Mesos non-leader's redirect to the leader)",
      url: to(307, () => `//${there}/echo`),
      want: { at: () => `http://${there}/echo`, method: 'GET', body: '' },
    },
    {
      name: 'an absolute Location on another server',
      url: to(301, () => `http://${there}/echo`),
      want: { at: () => `http://${there}/echo`, method: 'GET', body: '' },
    },
    {
      name: '307 keeps the POST and its body',
      url: to(307, () => '/echo'),
      options: { method: 'POST', body: '{"type":"GET_STATE"}', headers: { 'content-type': 'application/json' } },
      want: { at: () => `http://${here}/echo`, method: 'POST', body: '{"type":"GET_STATE"}' },
    },
    {
      name: '303 turns a POST into a GET without its body',
      url: to(303, () => '/echo'),
      options: { method: 'POST', body: '{"type":"GET_STATE"}' },
      want: { at: () => `http://${here}/echo`, method: 'GET', body: '' },
    },
    {
      name: '302 turns a POST into a GET without its body',
      url: to(302, () => '/echo'),
      options: { method: 'POST', body: '{"type":"GET_STATE"}' },
      want: { at: () => `http://${here}/echo`, method: 'GET', body: '' },
    },
    {
      name: 'a redirect on the same origin keeps the Authorization header',
      url: to(307, () => '/echo'),
      options: { headers: { Authorization: 'token=secret' } },
      want: { at: () => `http://${here}/echo`, method: 'GET', body: '', authorization: 'token=secret' },
    },
    {
      name: 'a redirect to another origin drops the Authorization header',
      url: to(307, () => `//${there}/echo`),
      options: { headers: { Authorization: 'token=secret' } },
      want: { at: () => `http://${there}/echo`, method: 'GET', body: '' },
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const answer = await httpCall(c.url(), c.options);
      expect(answer.status).toBe(200);
      expect(answer.url).toBe(c.want.at());
      const echo = await echoOf(answer);
      expect({ method: echo.method, body: echo.body, authorization: echo.headers['authorization'] }).toEqual({
        method: c.want.method,
        body: c.want.body,
        authorization: c.want.authorization,
      });
    });
  }

  it("redirect: 'manual' hands the redirect back with its Location", async () => {
    const answer = await httpCall(`http://${here}/redirect?status=307&to=${encodeURIComponent(`//${there}/api/v1`)}`, { redirect: 'manual' });
    answer.discard();
    expect({ status: answer.status, ok: answer.ok, location: answer.headers.location }).toEqual({ status: 307, ok: false, location: `//${there}/api/v1` });
  });

  it('a redirect without a Location is the answer', async () => {
    const answer = await httpCall(`http://${here}/redirect?status=302`);
    answer.discard();
    expect(answer.status).toBe(302);
  });

  const refused: { name: string; url: () => string; message: RegExp }[] = [
    { name: 'more than 20 redirects', url: () => `http://${here}/loop`, message: /^more than 20 redirects$/ },
    {
      name: 'a redirect to a scheme other than http(s)',
      url: to(302, () => 'ftp://127.0.0.1/state'),
      message: /"ftp:\/\/127.0.0.1\/state" is not an http or https URL/,
    },
    { name: 'a redirect to something that is not a URL', url: to(302, () => 'http://[::1'), message: /the redirect to "http:\/\/\[::1" is not a URL/ },
  ];
  for (const c of refused) {
    it(`refuses ${c.name}`, async () => {
      const error = await httpCall(c.url()).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(HttpCallError);
      expect((error as Error).message).toMatch(c.message);
    });
  }
});

describe('compressed answers are decoded', () => {
  for (const as of ['gzip', 'x-gzip', 'deflate', 'br']) {
    it(`Content-Encoding: ${as}`, async () => {
      const answer = await httpCall(`http://${here}/encoded?as=${as}`);
      expect(await text(answer)).toBe(DOCUMENT);
    });
  }

  it('asks for them as fetch did', async () => {
    const echo = await echoOf(await httpCall(`http://${here}/echo`));
    expect(echo.headers['accept-encoding']).toBe('gzip, deflate, br');
  });
});

describe('no answer', () => {
  it('a refused connection is an HttpCallError naming the socket error', async () => {
    const [port] = await refusedPorts(1);
    const error = await httpCall(`http://127.0.0.1:${port}/master/state`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpCallError);
    // The socket's code: ECONNREFUSED, or EPIPE when the request's write races the refusal (a CI run on Node 24).
    expect((error as Error).message).toMatch(/^(ECONNREFUSED|EPIPE)$/);
  });

  it('an abort before the headers rejects with the signal reason', async () => {
    const controller = new AbortController();
    const pending = httpCall(`http://${here}/hang`, { signal: controller.signal });
    const reason = new Error('stopped');
    setTimeout(() => controller.abort(reason), 20);
    await expect(pending).rejects.toBe(reason);
  });

  it('an abort while the body streams ends the stream with the reason', async () => {
    const controller = new AbortController();
    const answer = await httpCall(`http://${here}/stall`, { signal: controller.signal });
    const reason = new Error('stopped');
    const reading = text(answer);
    setTimeout(() => controller.abort(reason), 20);
    await expect(reading).rejects.toBe(reason);
  });
});

describe('a kept-alive connection the server dropped', () => {
  // Each connection answers its first request and keeps the connection open, then resets it on the
  // second: what a pooled connection looks like when the server closed it just as it was reused.
  async function oneAnswerPerConnection(): Promise<{ url: string; connections: () => number; close: () => Promise<void> }> {
    const sockets = new Set<Socket>();
    const server = createTcpServer((socket) => {
      sockets.add(socket);
      let requests = 0;
      let buffered = '';
      socket.on('data', (chunk) => {
        buffered += chunk.toString('latin1');
        while (buffered.includes('\r\n\r\n')) {
          buffered = buffered.slice(buffered.indexOf('\r\n\r\n') + 4);
          if (++requests > 1) return void socket.resetAndDestroy();
          socket.write('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\nconnection: keep-alive\r\n\r\n{}');
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/master/state`,
      connections: () => sockets.size,
      close: async () => {
        for (const socket of sockets) socket.destroy();
        await new Promise((resolve) => server.close(resolve));
      },
    };
  }

  it('a GET is sent again on a new connection', async () => {
    const server = await oneAnswerPerConnection();
    try {
      expect(await text(await httpCall(server.url))).toBe('{}');
      expect(await text(await httpCall(server.url))).toBe('{}');
      expect(server.connections()).toBe(2);
    } finally {
      await server.close();
    }
  });

  it('a POST is not (the server may have read it): it fails naming the reset', async () => {
    const server = await oneAnswerPerConnection();
    try {
      const post = () => httpCall(server.url, { method: 'POST', body: '{"type":"GET_MASTER"}' });
      expect(await text(await post())).toBe('{}');
      const error = await post().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(HttpCallError);
      expect((error as Error).message).toBe('ECONNRESET');
    } finally {
      await server.close();
    }
  });
});

describe('describeNetworkError: what a failure message says after the URL', () => {
  const socketError = (code: string, message: string) => Object.assign(new Error(message), { code, syscall: 'read' });
  const cases: { name: string; error: unknown; want: string }[] = [
    {
      name: "a request's failure: its socket's code",
      error: new HttpCallError('x', { cause: socketError('ECONNREFUSED', 'connect ECONNREFUSED') }),
      want: 'ECONNREFUSED',
    },
    { name: "a body's stream reset: its code", error: Object.assign(new Error('aborted'), { code: 'ECONNRESET' }), want: 'ECONNRESET' },
    { name: "Gatehouse's own error: its message", error: new ClusterError('ERR_CLUSTER_STATE_TOO_LARGE', 'GET_MASTER: over'), want: 'GET_MASTER: over' },
    {
      name: "Node's ERR_ code: the message",
      error: Object.assign(new Error('Hostname/IP does not match'), { code: 'ERR_TLS_CERT_ALTNAME_INVALID' }),
      want: 'Hostname/IP does not match',
    },
    { name: 'an abort: the message', error: Object.assign(new Error('The operation was aborted'), { code: 'ABORT_ERR' }), want: 'The operation was aborted' },
    { name: 'JSON that does not parse: the message', error: new SyntaxError('Unexpected end of JSON input'), want: 'Unexpected end of JSON input' },
    { name: 'not an Error', error: 'down', want: 'down' },
  ];
  for (const c of cases) it(c.name, () => expect(describeNetworkError(c.error)).toBe(c.want));
});

describe('https', () => {
  it('a certificate no trusted authority signed is refused, naming the TLS error', async () => {
    const error = await httpCall(`https://${secure}/echo`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpCallError);
    expect((error as Error).message).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
  });

  // The process's trust is its own (a CA added in the test process would be everyone's): a child
  // with NODE_EXTRA_CA_CERTS, as an operator trusts a private CA, runs the built client.
  it('a certificate trusted through NODE_EXTRA_CA_CERTS is accepted', async () => {
    const built = fileURLToPath(new URL('../../dist/cluster/http-client.js', import.meta.url));
    expect(existsSync(built), `${built} (run npm run build)`).toBe(true);
    const script = `const { httpCall } = await import(${JSON.stringify(built)});
      const answer = await httpCall('https://localhost:${secure.split(':')[1]}/echo');
      for await (const chunk of answer.body) process.stdout.write(chunk);`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, NODE_EXTRA_CA_CERTS: certFile },
      timeout: 10_000,
    });
    expect((JSON.parse(stdout) as Echo).url).toBe('/echo');
  });
});
