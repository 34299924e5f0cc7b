// The request-smuggling and desync suite (issue 11 "Done when"): the published CL/TE, trailer,
// upgrade and pipelining desync classes and the shapes the attack pass found handled well, sent as
// exact bytes to the real binary under both engines, in front of a keep-alive upstream that reads
// as nginx does (test/support/keepalive-upstream.ts). Each case asserts what the client got AND
// what the upstream saw: the complete requests it parsed, and never a request line the client
// smuggled ("smuggled" is in every such URL).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawClient } from '../support/raw-http.js';
import { defaultAnswer, type KeepAliveUpstream, type SeenRequest, type UpstreamAnswer } from '../support/keepalive-upstream.js';
import { startSmuggleSetup, stopSmuggleSetup, type SmuggleGateway } from '../support/smuggle-gateway.js';
import { StartAhead } from '../support/start-ahead.js';

const H = 'Host: gw\r\n';
const SMUGGLED = `GET /admin/smuggled HTTP/1.1\r\n${H}\r\n`;
const WS = 'Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n';

interface ClientCase {
  readonly name: string;
  readonly bytes: string;
  /** The statuses answered, in order; 'refused': a 400, or the connection closed without an answer. */
  readonly answers: readonly number[] | 'refused';
  /** The server closes the connection after the answers. */
  readonly closes: boolean;
  /** The complete requests the upstream parsed (`METHOD url`), in any order. */
  readonly upstream: readonly string[];
  /** The body the upstream read for the last of them. */
  readonly body?: string;
}

const refused = (name: string, bytes: string): ClientCase => ({ name, bytes, answers: [400], closes: true, upstream: [] });

const CLIENT_CASES: readonly ClientCase[] = [
  // Framing conflicts (CL.TE, TE.CL and their obfuscations): 400 before anything is forwarded.
  refused(
    'CL.TE: Content-Length and Transfer-Encoding: chunked',
    `POST /pub/a HTTP/1.1\r\n${H}Content-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nG`,
  ),
  refused(
    'TE.CL: Transfer-Encoding: chunked and Content-Length',
    `POST /pub/a HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n5c\r\n${SMUGGLED}\r\n0\r\n\r\n`,
  ),
  refused(
    'duplicate Transfer-Encoding (chunked, then x)',
    `POST /pub/a HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nTransfer-Encoding: x\r\n\r\n0\r\n\r\n`,
  ),
  refused('Transfer-Encoding: xchunked', `POST /pub/a HTTP/1.1\r\n${H}Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n`),
  refused('Transfer-Encoding: chunked, identity', `POST /pub/a HTTP/1.1\r\n${H}Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n`),
  refused(
    'space before the colon: "Transfer-Encoding : chunked"',
    `POST /pub/a HTTP/1.1\r\n${H}Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n`,
  ),
  refused('space before the colon: "Content-Length : 5"', `POST /pub/a HTTP/1.1\r\n${H}Content-Length : 5\r\n\r\nhello`),
  refused(
    'Transfer-Encoding folded onto a second line (obs-fold)',
    `POST /pub/a HTTP/1.1\r\n${H}Transfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n`,
  ),
  refused('any folded header (obs-fold)', `GET /pub/a HTTP/1.1\r\n${H}X-A: a\r\n b\r\n\r\n`),
  refused('two different Content-Length', `POST /pub/a HTTP/1.1\r\n${H}Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!`),
  refused('two equal Content-Length', `POST /pub/a HTTP/1.1\r\n${H}Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello`),
  refused('Content-Length: 5, 5', `POST /pub/a HTTP/1.1\r\n${H}Content-Length: 5, 5\r\n\r\nhello`),
  ...['+5', '-1', '0x5', '5 5', '5a', ''].map((value) =>
    refused(`malformed Content-Length ${JSON.stringify(value)}`, `POST /pub/a HTTP/1.1\r\n${H}Content-Length: ${value}\r\n\r\nhello`),
  ),
  // Bytes no HTTP/1.1 parser should read two ways.
  refused('bare LF line ends', `GET /pub/a HTTP/1.1\n${H.replace('\r', '')}\n`),
  refused('a bare CR inside the head', `GET /pub/a HTTP/1.1\r\nX-A: a\rb\r\n${H}\r\n`),
  refused('NUL in a header value', `GET /pub/a HTTP/1.1\r\nX-A: a\u0000b\r\n${H}\r\n`),
  refused('a request line with extra words', `GET /pub/a HTTP/1.1 x\r\n${H}\r\n`),
  {
    name: 'absolute-form request target',
    bytes: `GET http://127.0.0.1/admin/smuggled HTTP/1.1\r\n${H}\r\n`,
    answers: [400],
    closes: false,
    upstream: [],
  },
  { name: 'HTTP/0.9 request line', bytes: 'GET /pub/a\r\n\r\n', answers: 'refused', closes: true, upstream: [] },
  { name: 'CONNECT', bytes: `CONNECT 127.0.0.1:80 HTTP/1.1\r\n${H}\r\n`, answers: 'refused', closes: true, upstream: [] },
  { name: 'the HTTP/2 preface', bytes: 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', answers: 'refused', closes: true, upstream: [] },
  refused(
    'an h2c upgrade',
    `GET /pub/a HTTP/1.1\r\n${H}Upgrade: h2c\r\nConnection: Upgrade, HTTP2-Settings\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n`,
  ),
  // Chunk tricks: the size line is read strictly.
  refused('chunk-size overflow', `POST /pub/a HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFF1\r\nx\r\n0\r\n\r\n`),
  refused('a chunk size with junk after it', `POST /pub/a HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n1 x\r\nx\r\n0\r\n\r\n`),
  refused('a chunk extension ending in a bare LF', `POST /pub/a HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n1;a=b\nx\r\n0\r\n\r\n`),
  refused('a chunk longer than its size', `POST /pub/a HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n1\r\nxx\r\n0\r\n\r\n`),
  {
    name: 'a chunk extension (valid): ignored, the body is framed anew',
    bytes: `POST /pub/a HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n1;name="v"\r\nx\r\n0\r\n\r\n`,
    answers: [200],
    closes: false,
    upstream: ['POST /pub/a'],
    body: 'x',
  },
  // Bodies whose end the gateway and the upstream could see differently (CL.0, TE.0, 0.CL).
  {
    name: 'CL.0: a POST whose body is a request: it stays a body',
    bytes: `POST /pub/a HTTP/1.1\r\n${H}Content-Length: ${SMUGGLED.length}\r\n\r\n${SMUGGLED}`,
    answers: [200],
    closes: false,
    upstream: ['POST /pub/a'],
    body: SMUGGLED,
  },
  {
    name: 'CL.0 on a GET: its body is forwarded as a body',
    bytes: `GET /pub/a HTTP/1.1\r\n${H}Content-Length: ${SMUGGLED.length}\r\n\r\n${SMUGGLED}`,
    answers: [200],
    closes: false,
    upstream: ['GET /pub/a'],
    body: SMUGGLED,
  },
  {
    name: 'TE.0: an OPTIONS with a chunked body holding a request',
    bytes: `OPTIONS /pub/a HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n${SMUGGLED.length.toString(16)}\r\n${SMUGGLED}\r\n0\r\n\r\n`,
    answers: [200],
    closes: false,
    upstream: ['OPTIONS /pub/a'],
    body: SMUGGLED,
  },
  {
    name: '0.CL: a length shorter than what follows: the rest is the next request, refused',
    bytes: `GET /pub/a HTTP/1.1\r\n${H}Content-Length: 3\r\n\r\nGET /admin/smuggled HTTP/1.1\r\n${H}\r\n`,
    answers: [200, 400],
    closes: true,
    upstream: ['GET /pub/a'],
    body: 'GET',
  },
  // Trailers: dropped, never glued onto the next request.
  {
    name: 'trailer fields then a pipelined request',
    bytes: `POST /pub/a HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\nX-T: 1\r\nHost: evil\r\n\r\nGET /pub/b HTTP/1.1\r\n${H}\r\n`,
    answers: [200, 200],
    closes: false,
    upstream: ['POST /pub/a', 'GET /pub/b'],
  },
  {
    name: 'a trailer that looks like a request line',
    bytes: `POST /pub/a HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n0\r\nGET /admin/smuggled HTTP/1.1\r\n\r\n`,
    answers: 'refused',
    closes: true,
    upstream: [],
  },
  // Upgrades: never a body, and nothing pipelined behind one reaches the upstream.
  refused(
    'an upgrade with Content-Length and a body',
    `GET /pub/a HTTP/1.1\r\n${H}${WS}Content-Length: ${SMUGGLED.length}\r\n\r\n${SMUGGLED}`,
  ),
  refused('an upgrade with Transfer-Encoding: chunked', `GET /pub/a HTTP/1.1\r\n${H}${WS}Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n`),
  refused('a POST upgrade', `POST /pub/a HTTP/1.1\r\n${H}${WS}\r\n`),
  {
    name: 'a request pipelined behind an upgrade the upstream refuses',
    bytes: `GET /pub/a HTTP/1.1\r\n${H}${WS}\r\n${SMUGGLED}`,
    answers: [200],
    closes: true,
    upstream: ['GET /pub/a'],
  },
  // Pipelining after Connection: close: nothing more is read.
  {
    name: 'a request pipelined after Connection: close',
    bytes: `GET /pub/a HTTP/1.1\r\n${H}Connection: close\r\n\r\n${SMUGGLED}`,
    answers: [200],
    closes: true,
    upstream: ['GET /pub/a'],
  },
  {
    name: 'pipelined keep-alive requests: each forwarded as itself',
    bytes: `GET /pub/a HTTP/1.1\r\n${H}\r\nGET /pub/b HTTP/1.1\r\n${H}\r\n`,
    answers: [200, 200],
    closes: false,
    upstream: ['GET /pub/a', 'GET /pub/b'],
  },
];

interface UpstreamCase {
  readonly name: string;
  /** What the upstream answers to the request for /pub/evil. */
  readonly answer: UpstreamAnswer;
  readonly method?: 'GET' | 'HEAD';
  /** What the client that asked gets. */
  readonly status: number;
}

/** A second answer the upstream slips in: it must never reach anyone. */
const EVIL = 'HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nEVIL';

const UPSTREAM_CASES: readonly UpstreamCase[] = [
  {
    name: 'an answer with Content-Length and Transfer-Encoding',
    answer: { raw: `HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${EVIL}` },
    status: 502,
  },
  {
    name: 'a CR inside an answer header',
    answer: { raw: `HTTP/1.1 200 OK\r\nX-A: a\rb\r\nContent-Length: 2\r\n\r\nok${EVIL}` },
    status: 502,
  },
  { name: 'a bad status line', answer: { raw: `HTTP/1.1 2000 OK\r\nContent-Length: 2\r\n\r\nok${EVIL}` }, status: 502 },
  {
    name: 'an answer with two lengths',
    answer: { raw: `HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 4\r\n\r\nok${EVIL}` },
    status: 502,
  },
  { name: 'a body after a 204', answer: { raw: `HTTP/1.1 204 No Content\r\n\r\n${EVIL}` }, status: 204 },
  {
    name: 'a body after the answer to a HEAD',
    method: 'HEAD',
    answer: { raw: `HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nbody${EVIL}` },
    status: 200,
  },
  { name: 'a second answer right behind the first', answer: { raw: `HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok${EVIL}` }, status: 200 },
  {
    name: 'trailers with Set-Cookie and Location',
    answer: { status: 200, body: 'ok', trailers: { 'set-cookie': 'dcos-acs-auth-cookie=EVIL', location: '/EVIL' } },
    status: 200,
  },
];

async function send(port: number, bytes: string, answers: number, closes: boolean): Promise<RawClient> {
  const client = await RawClient.open(port);
  client.write(bytes);
  try {
    if (closes) await client.closedByServer();
    else await client.responsesUntil(answers);
  } finally {
    client.destroy();
  }
  return client;
}

const described = (r: SeenRequest): string => `${r.method} ${r.url}`;

const ENGINES = ['lean', 'node'] as const;
// The node engine's binary boots while the lean engine's cases run.
const setups = new StartAhead(ENGINES, (engine) => startSmuggleSetup({ engine }), stopSmuggleSetup);
afterAll(() => setups.stopAll());

describe.each(ENGINES)('gateway.engine: %s', (engine) => {
  let upstream: KeepAliveUpstream;
  let gateway: SmuggleGateway;

  beforeAll(async () => {
    ({ upstream, gateway } = await setups.take(engine));
  }, 90_000);
  afterAll(async () => {
    setups.release(engine);
    await gateway?.stop();
    await upstream?.close();
  });

  describe('from the client', () => {
    for (const c of CLIENT_CASES) {
      it(c.name, async () => {
        upstream.reset();
        upstream.answer = defaultAnswer;
        const count = c.answers === 'refused' ? 0 : c.answers.length;
        const client = await send(gateway.port, c.bytes, count, c.closes);
        const statuses = client.responses().map((r) => r.status);
        if (c.answers === 'refused') expect(statuses.filter((s) => s !== 400)).toEqual([]);
        else expect(statuses).toEqual(c.answers);
        expect(client.text).not.toContain('smuggled');
        // Whatever the upstream was sent has arrived once its answers are back; a refused request
        // could still be on its way: a moment to let it show.
        if (c.upstream.length === 0) await new Promise((resolve) => setTimeout(resolve, 50));
        await expect.poll(() => upstream.seen.filter((r) => r.complete).map(described).sort()).toEqual([...c.upstream].sort());
        expect(upstream.seen.map(described).filter((r) => r.includes('smuggled'))).toEqual([]);
        if (c.body !== undefined) expect(upstream.seen.find((r) => described(r) === c.upstream.at(-1))?.body.toString('latin1')).toBe(c.body);
      });
    }
  });

  describe('from the upstream: a bad or extra answer never reaches the next client', () => {
    for (const c of UPSTREAM_CASES) {
      it(c.name, async () => {
        upstream.reset();
        upstream.answer = (request) => (request.url === '/pub/evil' ? c.answer : defaultAnswer(request));
        try {
          const method = c.method ?? 'GET';
          const first = await RawClient.open(gateway.port);
          first.write(`${method} /pub/evil HTTP/1.1\r\n${H}\r\n`);
          try {
            await first.until((x) => x.ended || x.closed || x.responses(() => method === 'HEAD').length > 0, 'an answer');
            await new Promise((resolve) => setTimeout(resolve, 50)); // anything more it would get
          } finally {
            first.destroy();
          }
          expect(first.responses(() => method === 'HEAD').map((r) => r.status)).toEqual([c.status]);
          // Other clients after it, on the connections the gateway keeps to the upstream.
          const after = await Promise.all([1, 2, 3].map((i) => send(gateway.port, `GET /pub/after${i} HTTP/1.1\r\n${H}\r\n`, 1, false)));
          for (const [i, client] of after.entries()) {
            const [answer] = client.responses();
            expect([answer!.status, JSON.parse(answer!.body.toString()).url]).toEqual([200, `/pub/after${i + 1}`]);
          }
          for (const client of [first, ...after]) expect(client.text).not.toMatch(/EVIL/);
        } finally {
          upstream.answer = defaultAnswer;
        }
      });
    }
  });
});
