// The lean engine's parsers (gateway/http1/parser.ts) and trailer fields: a chunked message's
// trailers are dropped, and nothing of one message (trailers, URL) reaches the next one parsed on
// the same connection - on the request side (client to gateway) and on the response side
// (upstream to gateway). Issue 11 item 2.
import { describe, expect, it } from 'vitest';
import { loadParser, type ParserFactory } from '../../gateway/http1/index.js';
import type { RequestHead } from '../../gateway/http1/parser.js';

const loaded = loadParser();
const factory = (): ParserFactory => {
  if (!('factory' in loaded)) throw new Error(`loadParser(): ${loaded.error}`);
  return loaded.factory;
};

/** Parses `bytes` as requests, in one piece or split at every byte (heads then arrive in parts). */
function parseRequests(bytes: string, split: boolean): RequestHead[] {
  const heads: RequestHead[] = [];
  const parser = factory().create({ head: (head) => void heads.push(head), body: () => undefined, complete: () => undefined }, 16 * 1024);
  const data = Buffer.from(bytes, 'latin1');
  const pieces = split ? [...data].map((b) => Buffer.from([b])) : [data];
  for (const piece of pieces) {
    const result = parser.execute(piece);
    if (typeof result !== 'number') throw result;
  }
  parser.free();
  return heads;
}

function parseResponses(bytes: string, split: boolean): { status: number; headers: string[] }[] {
  const heads: { status: number; headers: string[] }[] = [];
  const parser = factory().createResponse({
    head: (status, rawHeaders) => (heads.push({ status, headers: rawHeaders }), false),
    body: () => undefined,
    complete: () => undefined,
  });
  const data = Buffer.from(bytes, 'latin1');
  const pieces = split ? [...data].map((b) => Buffer.from([b])) : [data];
  for (const piece of pieces) {
    const result = parser.execute(piece);
    if (typeof result !== 'number') throw result;
  }
  parser.free();
  return heads;
}

describe.each([false, true])('split at every byte: %s', (split) => {
  it('request side: a chunked request with trailer X-T, then a pipelined GET: the GET has its own URL and no x-t', () => {
    const heads = parseRequests(
      'POST /x HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\nX-T: 1\r\n\r\nGET /pub/next HTTP/1.1\r\nHost: t\r\n\r\nGET /third HTTP/1.1\r\nHost: t\r\n\r\n',
      split,
    );
    expect(heads.map((h) => [h.method, h.url, h.rawHeaders])).toEqual([
      ['POST', '/x', ['Host', 't', 'Transfer-Encoding', 'chunked']],
      ['GET', '/pub/next', ['Host', 't']],
      ['GET', '/third', ['Host', 't']],
    ]);
  });

  it('response side: Set-Cookie, Location and X-Leak trailers of one answer never appear in the next answer\'s headers', () => {
    const heads = parseResponses(
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: Set-Cookie, Location, X-Leak\r\n\r\n2\r\nhi\r\n0\r\nSet-Cookie: dcos-acs-auth-cookie=attacker\r\nLocation: /evil\r\nX-Leak: 1\r\n\r\n' +
        'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok' +
        'HTTP/1.1 204 No Content\r\nX-Third: 3\r\n\r\n',
      split,
    );
    expect(heads).toEqual([
      { status: 200, headers: ['Transfer-Encoding', 'chunked', 'Trailer', 'Set-Cookie, Location, X-Leak'] },
      { status: 200, headers: ['Content-Length', '2'] },
      { status: 204, headers: ['X-Third', '3'] },
    ]);
  });
});
