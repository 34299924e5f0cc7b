// The lean engine's start-up self-test: it passes on this Node, and it fails (so the gateway falls
// back to node:http) when Node's internals keep their names but change their meaning. Each "changed
// Node" below is the real parser with one behaviour altered, as a Node release could alter it.
import { describe, expect, it } from 'vitest';
import { loadParser, type ParserFactory } from '../../gateway/http1/parser.js';
import { selfTest } from '../../gateway/http1/self-test.js';

const loaded = loadParser();
if (!('factory' in loaded)) throw new Error(`the lean engine does not load on this Node: ${loaded.error}`);
const real = loaded.factory;

type Change = (factory: ParserFactory) => ParserFactory;
const changed: { name: string; change: Change; failing: RegExp }[] = [
  {
    name: 'the method table is off by one (GET reported as another method)',
    change: (f) => ({
      ...f,
      create: (events, max) =>
        f.create({ ...events, head: (h) => events.head({ ...h, method: h.method === 'GET' ? 'HEAD' : h.method }) }, max),
    }),
    failing: /a GET whose head arrives in two parts/,
  },
  {
    name: 'headers delivered in parts are lost (only the last part kept)',
    change: (f) => ({
      ...f,
      create: (events, max) => f.create({ ...events, head: (h) => events.head({ ...h, rawHeaders: h.rawHeaders.slice(-2) }) }, max),
    }),
    failing: /a GET whose head arrives in two parts/,
  },
  {
    name: 'keep-alive reported inverted',
    change: (f) => ({
      ...f,
      create: (events, max) => f.create({ ...events, head: (h) => events.head({ ...h, keepAlive: !h.keepAlive }) }, max),
    }),
    failing: /a GET whose head arrives in two parts/,
  },
  {
    name: 'trailers glued onto the next request',
    change: (f) => ({
      ...f,
      create: (events, max) => {
        let afterComplete = false;
        return f.create(
          {
            ...events,
            complete: () => ((afterComplete = true), events.complete()),
            head: (h) => events.head(afterComplete ? { ...h, rawHeaders: [...h.rawHeaders, 'X-Trailer', 't'] } : h),
          },
          max,
        );
      },
    }),
    failing: /chunked body with a trailer/,
  },
  {
    name: 'the body is not reported',
    change: (f) => ({ ...f, create: (events, max) => f.create({ ...events, body: () => undefined }, max) }),
    failing: /POST with a Content-Length body/,
  },
  {
    name: 'the stop-after-head return value is ignored',
    change: (f) => ({ ...f, create: (events, max) => f.create({ ...events, head: (h) => (events.head(h), h.upgrade) }, max) }),
    failing: /a head the caller stops after/,
  },
  {
    name: 'a lenient parser that accepts Content-Length with Transfer-Encoding',
    change: (f) => ({
      ...f,
      create: (events, max) => {
        const parser = f.create(events, max);
        return {
          ...parser,
          execute: (data) => (data.includes('Content-Length: 3\r\nTransfer-Encoding') ? data.length : parser.execute(data)),
        };
      },
    }),
    failing: /Content-Length with Transfer-Encoding is refused/,
  },
  {
    name: 'duplicate headers no longer joined as node:http joins them',
    change: (f) => ({
      ...f,
      headers: (raw) => Object.fromEntries(raw.flatMap((v, i) => (i % 2 === 0 ? [[v.toLowerCase(), raw[i + 1]!]] : []))),
    }),
    failing: /Node's header object/,
  },
  {
    name: 'the response parser ignores the answer to a HEAD having no body',
    change: (f) => ({
      ...f,
      createResponse: (events) =>
        f.createResponse({ ...events, head: (status, raw, keepAlive) => (events.head(status, raw, keepAlive), false) }),
    }),
    failing: /answer to a HEAD/,
  },
];

describe('lean engine self-test', () => {
  it('passes on the Node running this suite', () => {
    expect(selfTest(real)).toBeNull();
  });

  for (const { name, change, failing } of changed) {
    it(`fails when ${name}`, () => {
      expect(selfTest(change(real))).toMatch(failing);
    });
  }
});
