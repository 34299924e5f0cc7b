// Issue 11's request-smuggling findings, reproduced as they were found: the real binary under both
// engines, with one and two workers, raw sockets, and a keep-alive upstream that answers before
// reading a declared body as nginx does (test/support/keepalive-upstream.ts). Each case asserts what
// the client got and what the upstream saw: no request the gateway did not check ever reaches it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawClient, exchange, type RawResponse } from '../support/raw-http.js';
import { defaultAnswer, type KeepAliveUpstream } from '../support/keepalive-upstream.js';
import { startSmuggleSetup, stopSmuggleSetup, type SmuggleGateway } from '../support/smuggle-gateway.js';
import { GATEWAY_MATRIX } from '../support/gateway-matrix.js';
import { StartAhead } from '../support/start-ahead.js';

const SMUGGLED = 'GET /admin/adminonly/x HTTP/1.1';
const upgradeHead = (path: string, extra = ''): string =>
  `GET ${path} HTTP/1.1\r\nHost: gw\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n${extra}\r\n`;

/** One request on a connection of its own: everything until the first complete answer or the server closing. */
async function firstAnswer(port: number, bytes: string): Promise<{ client: RawClient; responses: RawResponse[] }> {
  const client = await RawClient.open(port);
  client.write(bytes);
  try {
    await client.until((c) => c.ended || c.closed || c.responses().length > 0, 'an answer or the connection closing');
  } finally {
    client.destroy();
  }
  return { client, responses: client.responses() };
}

const setupKey = (engine: string, workers: number): string => `${engine}/${workers}`;
// Each setup's binary boots while the one before it is in use.
const setups = new StartAhead(
  GATEWAY_MATRIX.map(({ engine, workers }) => setupKey(engine, workers)),
  async (key) => {
    const { engine, workers } = GATEWAY_MATRIX.find((m) => setupKey(m.engine, m.workers) === key)!;
    return startSmuggleSetup({ engine, workers });
  },
  stopSmuggleSetup,
);
afterAll(() => setups.stopAll());

describe.each(GATEWAY_MATRIX)('gateway.engine: $engine, workers: $workers', ({ engine, workers }) => {
  let upstream: KeepAliveUpstream;
  let gateway: SmuggleGateway;

  beforeAll(async () => {
    ({ upstream, gateway } = await setups.take(setupKey(engine, workers)));
  }, 90_000);
  afterAll(async () => {
    setups.release(setupKey(engine, workers));
    await gateway?.stop();
    await upstream?.close();
  });

  /** One request per worker (round-robin hands consecutive connections to the workers in turn). */
  const perWorker = async <T>(run: (round: number) => Promise<T>): Promise<T[]> => {
    const out: T[] = [];
    for (let round = 0; round < workers; round++) out.push(await run(round));
    return out;
  };

  describe('item 1: smuggling through an upgrade request with a body', () => {
    it('the issue\'s two connections: the anonymous client never gets the /admin/ answer, the upstream never sees /admin/', async () => {
      upstream.reset();
      upstream.answer = defaultAnswer;
      // N: how many bytes of the second upgrade request, as the gateway forwards it, come before the
      // smuggled request line (measured on a harmless copy of it, as an attacker would).
      const calibration = await perWorker(() => firstAnswer(gateway.port, upgradeHead('/pub/b', `X-S: ${SMUGGLED}\r\n`)));
      expect(calibration.map((c) => c.responses[0]?.status)).toEqual(Array(workers).fill(200));
      const seenB = upstream.seen.find((r) => r.url === '/pub/b')!;
      const raw = upstream.raw(seenB.connection).toString('latin1');
      const start = raw.lastIndexOf('GET /pub/b ');
      const n = raw.indexOf(SMUGGLED, start) - start;
      expect(n).toBeGreaterThan(0);
      upstream.reset();

      const poison = await perWorker(() => firstAnswer(gateway.port, upgradeHead('/pub/a', `Content-Length: ${n}\r\n`)));
      const smuggle = await perWorker(() => firstAnswer(gateway.port, upgradeHead('/pub/b', `X-S: ${SMUGGLED}\r\n`)));

      for (const { client } of [...poison, ...smuggle]) expect(client.text).not.toContain('/admin/');
      expect(upstream.seen.map((r) => r.url).filter((url) => !url.startsWith('/pub/'))).toEqual([]);
      // The body on an upgrade is refused (400, nothing forwarded); the plain upgrade is answered as
      // the upstream answered it (it does not speak WebSocket).
      expect(poison.map((p) => p.responses.map((r) => r.status))).toEqual(Array(workers).fill([400]));
      expect(smuggle.map((s) => s.responses.map((r) => [r.status, JSON.parse(r.body.toString()).url]))).toEqual(Array(workers).fill([[200, '/pub/b']]));
    });

    it.each([
      ['Content-Length: 5', 'hello'],
      ['Transfer-Encoding: chunked', '5\r\nhello\r\n0\r\n\r\n'],
      ['Content-Length: 5', ''],
    ])('an upgrade request with %s (body %j) is refused with 400 and never forwarded', async (header, body) => {
      upstream.reset();
      const { responses, client } = await exchange(gateway.port, upgradeHead('/pub/with-body', `${header}\r\n`) + body);
      expect(responses.map((r) => [r.status, r.headers['connection']])).toEqual([[400, 'close']]);
      expect(JSON.parse(responses[0]!.body.toString()).code).toBe('ERR_GATEWAY_UPGRADE_BODY');
      expect(client.text).not.toContain('hello');
      expect(upstream.seen).toEqual([]);
    });

    it('an upgrade the upstream does not accept: its answer reaches the client framed, and both connections end (never pooled)', async () => {
      upstream.reset();
      // A chunked answer with trailers: the client must get the body de-chunked and framed as announced.
      upstream.answer = (request) => ({
        status: 426,
        headers: { 'content-type': 'text/plain', 'x-up': 'yes' },
        body: `no upgrade for ${request.url}`,
        trailers: { 'x-trailer': 'dropped' },
      });
      const before = upstream.connections();
      try {
        const results = await Promise.all([0, 1, 2].map((i) => exchange(gateway.port, upgradeHead(`/pub/up${i}`))));
        for (const [i, { responses }] of results.entries()) {
          expect(responses.map((r) => [r.status, r.body.toString(), r.headers['x-up'], r.headers['connection']])).toEqual([
            [426, `no upgrade for /pub/up${i}`, 'yes', 'close'],
          ]);
          expect(responses[0]!.head).not.toMatch(/x-trailer/i);
        }
      } finally {
        upstream.answer = defaultAnswer;
      }
      // Each upgrade went on a connection of its own, and none is kept open after the non-101 answer.
      expect(new Set(upstream.seen.map((r) => r.connection)).size).toBe(3);
      expect(upstream.connections() - before).toBe(3);
      await expect.poll(() => upstream.open(), { timeout: 5000 }).toBe(0);
    });
  });

  describe('item 2: trailers never leak into the next message', () => {
    it('response side: trailers of one answer (Set-Cookie, Location, X-Leak) never reach the next client on that upstream connection', async () => {
      upstream.reset();
      upstream.answer = (request) =>
        request.url.startsWith('/pub/trailers')
          ? {
              status: 200,
              headers: { 'content-type': 'text/plain' },
              body: 'with trailers',
              trailers: { 'set-cookie': 'dcos-acs-auth-cookie=attacker', location: '/evil', 'x-leak': '1' },
            }
          : defaultAnswer(request);
      try {
        const first = await perWorker((round) =>
          exchange(gateway.port, `GET /pub/trailers${round} HTTP/1.1\r\nHost: gw\r\nTE: trailers\r\nConnection: close\r\n\r\n`),
        );
        const next = await perWorker((round) => exchange(gateway.port, `GET /pub/victim${round} HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n`));
        for (const { responses } of first) {
          expect(responses.map((r) => [r.status, r.body.toString()])).toEqual([[200, 'with trailers']]);
        }
        for (const { client, responses } of [...first, ...next]) {
          expect(client.text).not.toMatch(/set-cookie|location|x-leak|attacker|evil/i);
          expect(responses).toHaveLength(1);
        }
        expect(next.map(({ responses }) => responses[0]!.status)).toEqual(Array(workers).fill(200));
      } finally {
        upstream.answer = defaultAnswer;
      }
    });

    it('request side: a chunked request with trailer X-T, then a pipelined GET: the GET reaches the upstream with its own URL and without x-t', async () => {
      upstream.reset();
      const client = await RawClient.open(gateway.port);
      try {
        client.write(
          'POST /pub/x HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\nX-T: 1\r\n\r\nGET /pub/next HTTP/1.1\r\nHost: gw\r\n\r\n',
        );
        const responses = await client.responsesUntil(2);
        expect(responses.map((r) => [r.status, JSON.parse(r.body.toString()).url])).toEqual([[200, '/pub/x'], [200, '/pub/next']]);
      } finally {
        client.destroy();
      }
      await expect.poll(() => upstream.seen.every((r) => r.complete)).toBe(true);
      // (in either order: pipelined requests may be forwarded side by side)
      expect(upstream.seen.map((r) => [r.method, r.url, r.body.toString(), r.headers['x-t'], r.trailers['x-t']]).sort()).toEqual([
        ['GET', '/pub/next', '', undefined, undefined],
        ['POST', '/pub/x', 'a', undefined, undefined],
      ]);
    });
  });

  describe('item 7: answers before closing', () => {
    it('Connection: close followed by pipelined bytes: the first request is answered, then the connection closes (no 400 for the ignored bytes)', async () => {
      upstream.reset();
      const { responses } = await exchange(
        gateway.port,
        'GET /pub/first HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\nGET /pub/ignored HTTP/1.1\r\nHost: gw\r\n\r\n',
      );
      expect(responses.map((r) => [r.status, JSON.parse(r.body.toString()).url])).toEqual([[200, '/pub/first']]);
      expect(upstream.seen.map((r) => r.url)).toEqual(['/pub/first']);
    });

    it.each([
      ['Transfer-Encoding: xchunked', 'POST /pub/te HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: xchunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n'],
      ['a malformed chunk size', 'POST /pub/te HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n'],
      ['a chunk not followed by CRLF', 'POST /pub/te HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n'],
    ])('%s: 400, then the connection closes; the upstream gets no complete request', async (_name, bytes) => {
      upstream.reset();
      const { responses } = await exchange(gateway.port, bytes);
      expect(responses.map((r) => [r.status, r.headers['connection']])).toEqual([[400, 'close']]);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(upstream.seen.filter((r) => r.complete)).toEqual([]);
    });
  });
});
