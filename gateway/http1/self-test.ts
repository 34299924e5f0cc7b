// The lean engine leans on Node internals that are not a public API: `_http_common.HTTPParser` and
// the order and arguments of its callbacks, `IncomingMessage#_addHeaderLine`, and `ServerResponse#_last`.
// A Node release can keep every symbol and change what one means. So before the engine is used, known
// requests go through it, including ones it must refuse, and every answer is compared with what
// node:http does; one difference and the gateway serves with node:http, with the reason logged.
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import type { ParserEvents, ParserFactory, RequestHead } from './parser-types.js';

interface Seen {
  heads: RequestHead[];
  bodies: string[];
  completes: number;
  parsed: number | null;
  error: string | null;
}

function parse(factory: ParserFactory, chunks: readonly string[], stopAfterHead = false): Seen {
  const seen: Seen = { heads: [], bodies: [], completes: 0, parsed: null, error: null };
  const events: ParserEvents = {
    head: (head) => {
      seen.heads.push(head);
      return stopAfterHead;
    },
    body: (chunk) => seen.bodies.push(chunk.toString('latin1')),
    complete: () => seen.completes++,
  };
  const parser = factory.create(events, 16 * 1024);
  try {
    let total = 0;
    for (const chunk of chunks) {
      const result = parser.execute(Buffer.from(chunk, 'latin1'));
      if (typeof result !== 'number') {
        seen.error = result.code ?? result.message;
        return seen;
      }
      total += result;
    }
    seen.parsed = total;
  } finally {
    parser.free();
  }
  return seen;
}

type Check = readonly [what: string, passed: (factory: ParserFactory) => boolean];

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

const CHECKS: readonly Check[] = [
  [
    'a GET whose head arrives in two parts',
    (f) => {
      const s = parse(f, ['GET /a?b=1 HTTP/1.1\r\nHost: x\r\nX-One: 1\r\n', 'X-Two: 2\r\n\r\n']);
      const h = s.heads[0];
      return (
        s.completes === 1 &&
        h !== undefined &&
        h.method === 'GET' &&
        h.url === '/a?b=1' &&
        h.keepAlive &&
        !h.upgrade &&
        h.versionMajor === 1 &&
        h.versionMinor === 1 &&
        same(h.rawHeaders, ['Host', 'x', 'X-One', '1', 'X-Two', '2'])
      );
    },
  ],
  [
    'a POST with a Content-Length body',
    (f) => {
      const s = parse(f, ['POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhel', 'lo']);
      return s.heads[0]?.method === 'POST' && s.bodies.join('') === 'hello' && s.completes === 1;
    },
  ],
  [
    'a chunked body with a trailer, then a second request on the same connection',
    (f) => {
      const s = parse(f, [
        'PUT /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX-Trailer: t\r\n\r\nGET /next HTTP/1.1\r\nHost: x\r\n\r\n',
      ]);
      return s.bodies.join('') === 'abc' && s.completes === 2 && s.heads[1]?.url === '/next' && same(s.heads[1]?.rawHeaders, ['Host', 'x']);
    },
  ],
  [
    'HTTP/1.0 without keep-alive',
    (f) => {
      const h = parse(f, ['GET / HTTP/1.0\r\n\r\n']).heads[0];
      return h !== undefined && !h.keepAlive && h.versionMinor === 0;
    },
  ],
  [
    'an upgrade stops after its head',
    (f) => {
      const head = 'GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n';
      const s = parse(f, [`${head}\x81\x00`]);
      return s.heads[0]?.upgrade === true && s.parsed === head.length;
    },
  ],
  [
    'a head the caller stops after',
    (f) => {
      const head = 'GET /wait HTTP/1.1\r\nHost: x\r\n\r\n';
      return parse(f, [`${head}GET /later HTTP/1.1\r\nHost: x\r\n\r\n`], true).parsed === head.length;
    },
  ],
  [
    'Content-Length with Transfer-Encoding is refused',
    (f) => parse(f, ['POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n']).error !== null,
  ],
  [
    'two different Content-Lengths are refused',
    (f) => parse(f, ['POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd']).error !== null,
  ],
  ['a bare LF in the head is refused', (f) => parse(f, ['GET / HTTP/1.1\nHost: x\n\n']).error !== null],
  [
    'a bad chunk size is refused',
    (f) => parse(f, ['POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n']).error !== null,
  ],
  [
    'a head over the size limit is refused',
    (f) => parse(f, [`GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(17 * 1024)}\r\n\r\n`]).error !== null,
  ],
  [
    'an answer with a body, and the answer to a HEAD without one',
    (f) => {
      let status = 0;
      let body = '';
      let completes = 0;
      const events = {
        head: (code: number) => ((status = code), false),
        body: (c: Buffer) => (body += c.toString()),
        complete: () => completes++,
      };
      const parser = f.createResponse(events);
      const parsed = parser.execute(Buffer.from('HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok'));
      parser.free();
      const headParser = f.createResponse({ head: () => true, body: () => (body += '!'), complete: () => completes++ });
      headParser.execute(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n'));
      headParser.free();
      return typeof parsed === 'number' && status === 201 && body === 'ok' && completes === 2;
    },
  ],
  [
    "Node's header object: names lower-cased, duplicates joined or dropped as node:http does",
    (f) => {
      const headers = f.headers([
        'Host',
        'a',
        'Host',
        'b',
        'X-A',
        '1',
        'X-A',
        '2',
        'Set-Cookie',
        's1',
        'Set-Cookie',
        's2',
        'Cookie',
        'c1',
        'Cookie',
        'c2',
      ]);
      return same(headers, { host: 'a', 'x-a': '1, 2', 'set-cookie': ['s1', 's2'], cookie: 'c1; c2' });
    },
  ],
  [
    'ServerResponse#_last says whether node:http closes the connection after the answer',
    () => {
      const lastAfter = (keepAlive: boolean, headers: Record<string, string>): unknown => {
        const socket = new Socket();
        const req = new IncomingMessage(socket);
        req.httpVersionMajor = 1;
        req.httpVersionMinor = 1;
        req.method = 'GET';
        const res = new ServerResponse(req);
        res.shouldKeepAlive = keepAlive;
        for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
        // The head is built, not sent: the socket was never connected.
        (res as unknown as { _implicitHeader(): void })._implicitHeader();
        socket.destroy();
        return (res as unknown as { _last?: unknown })._last;
      };
      return (
        lastAfter(true, { 'content-length': '0' }) === false &&
        lastAfter(true, { connection: 'close', 'content-length': '0' }) === true &&
        lastAfter(false, { 'content-length': '0' }) === true
      );
    },
  ],
];

/** Null when the engine behaves as expected, else the first check it failed. */
export function selfTest(factory: ParserFactory): string | null {
  for (const [what, passed] of CHECKS) {
    let ok = false;
    try {
      ok = passed(factory);
    } catch (error) {
      return `self-test "${what}" threw: ${(error as Error).message}`;
    }
    if (!ok) return `self-test "${what}" did not behave as node:http does`;
  }
  return null;
}
