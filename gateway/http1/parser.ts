// Node's own HTTP/1.1 request parser, without node:http's per-request stream machinery around it.
// It is llhttp, the parser node:http uses, set up as node:http sets it up (no lenient flags), so the
// same requests are refused: CL+TE, two lengths, bad chunk sizes, bare LF, oversized heads.
// Node reaches it through `_http_common`, which it does not document. So it is checked once, at
// load: the method table is calibrated by parsing each of http.METHODS, known requests (and ones it
// must refuse) are parsed by self-test.ts, and if anything is not as expected the gateway falls back
// to node:http (`loadParser().error` says why).
// Trailer fields (after a chunked body) are dropped on both sides, as the node engine drops them:
// nothing in the gateway forwards trailers, and every per-message field is cleared when a message
// completes, so none can leak into the next message on the connection.
import { IncomingMessage, METHODS, type IncomingHttpHeaders } from 'node:http';
import { createRequire } from 'node:module';
import { selfTest } from './self-test.js';

export type { ParseError, ParserEvents, ParserFactory, RequestHead, RequestParser, ResponseEvents } from './parser-types.js';
import type { ParseError, ParserEvents, ParserFactory, RequestHead, RequestParser, ResponseEvents } from './parser-types.js';

type Slot = (...args: never[]) => unknown;
interface NativeParser {
  initialize(type: number, resource: object, maxHeaderSize: number, lenient: number): void;
  execute(data: Buffer): number | ParseError;
  finish(): number | ParseError | undefined;
  free(): void;
  [slot: number]: Slot;
}
interface NativeParserClass {
  new (): NativeParser;
  readonly REQUEST: number;
  readonly RESPONSE: number;
  readonly kOnHeaders: number;
  readonly kOnHeadersComplete: number;
  readonly kOnBody: number;
  readonly kOnMessageComplete: number;
  readonly kLenientNone: number;
}

type AddHeaderLine = (this: { joinDuplicateHeaders: boolean }, name: string, value: string, into: IncomingHttpHeaders) => void;

function build(Parser: NativeParserClass, methods: readonly string[], addHeaderLine: AddHeaderLine): ParserFactory {
  const holder = { joinDuplicateHeaders: false };
  return {
    headers(rawHeaders) {
      const into: IncomingHttpHeaders = {};
      for (let i = 0; i < rawHeaders.length; i += 2) addHeaderLine.call(holder, rawHeaders[i]!, rawHeaders[i + 1]!, into);
      return into;
    },
    create(events, maxHeaderSize) {
      const native = new Parser();
      native.initialize(Parser.REQUEST, {}, maxHeaderSize, Parser.kLenientNone);
      // Heads with many headers (or a long URL) arrive in parts before the head is complete.
      let partialHeaders: string[] = [];
      let partialUrl = '';
      native[Parser.kOnHeaders] = ((headers: string[], url: string) => {
        for (const h of headers) partialHeaders.push(h);
        partialUrl += url;
      }) as Slot;
      native[Parser.kOnHeadersComplete] = ((
        versionMajor: number,
        versionMinor: number,
        headers: string[] | undefined,
        method: number,
        url: string | undefined,
        _status: unknown,
        _message: unknown,
        upgrade: boolean,
        keepAlive: boolean,
      ) => {
        const rawHeaders = headers ?? partialHeaders;
        const fullUrl = url ?? partialUrl;
        partialHeaders = [];
        partialUrl = '';
        const stop = events.head({
          method: methods[method] ?? 'UNKNOWN',
          url: fullUrl,
          rawHeaders,
          versionMajor,
          versionMinor,
          upgrade,
          keepAlive,
        });
        return upgrade || stop === true ? 2 : 0; // 2: stop after the head (llhttp's "upgrade"); the rest belongs to the new protocol, or waits
      }) as Slot;
      native[Parser.kOnBody] = ((chunk: Buffer) => events.body(chunk)) as Slot;
      native[Parser.kOnMessageComplete] = (() => {
        // Trailer fields arrive through kOnHeaders after the body (with the message's URL again):
        // they are dropped here, never left to be glued onto the next message's head.
        partialHeaders = [];
        partialUrl = '';
        events.complete();
      }) as Slot;
      return wrap(native);
    },
    createResponse(events) {
      const native = new Parser();
      native.initialize(Parser.RESPONSE, {}, 0, Parser.kLenientNone);
      let partialHeaders: string[] = [];
      native[Parser.kOnHeaders] = ((headers: string[]) => {
        for (const h of headers) partialHeaders.push(h);
      }) as Slot;
      native[Parser.kOnHeadersComplete] = ((
        _major: number,
        _minor: number,
        headers: string[] | undefined,
        _method: unknown,
        _url: unknown,
        status: number,
        _message: unknown,
        _upgrade: boolean,
        keepAlive: boolean,
      ) => {
        const rawHeaders = headers ?? partialHeaders;
        partialHeaders = [];
        return events.head(status, rawHeaders, keepAlive) ? 1 : 0; // 1: no body follows (llhttp's skip-body)
      }) as Slot;
      native[Parser.kOnBody] = ((chunk: Buffer) => events.body(chunk)) as Slot;
      native[Parser.kOnMessageComplete] = (() => {
        partialHeaders = []; // trailers: dropped, as on the request side
        events.complete();
      }) as Slot;
      return wrap(native);
    },
  };
}

function wrap(native: NativeParser): RequestParser {
  return {
    execute: (data) => native.execute(data),
    finish() {
      const result = native.finish();
      return result instanceof Error ? result : null;
    },
    free: () => native.free(),
  };
}

/** Which method name llhttp's number stands for, learnt by parsing a request with each name. */
function calibrate(Parser: NativeParserClass): string[] {
  const names: string[] = [];
  for (const method of METHODS) {
    const native = new Parser();
    native.initialize(Parser.REQUEST, {}, 0, Parser.kLenientNone);
    native[Parser.kOnHeadersComplete] = ((_major: number, _minor: number, _headers: unknown, index: number) => {
      names[index] = method;
      return 0;
    }) as Slot;
    const target = method === 'CONNECT' ? 'example:443' : '/';
    native.execute(Buffer.from(`${method} ${target} HTTP/1.1\r\nHost: example\r\n\r\n`, 'latin1'));
    native.free();
  }
  return names;
}

let loaded: { factory: ParserFactory } | { error: string } | null = null;

/** The parser factory, or why Node's parser cannot be used here (then node:http serves). */
export function loadParser(): { factory: ParserFactory } | { error: string } {
  if (loaded) return loaded;
  try {
    const common = createRequire(import.meta.url)('_http_common') as { HTTPParser?: NativeParserClass };
    const Parser = common.HTTPParser;
    const addHeaderLine = (IncomingMessage.prototype as unknown as { _addHeaderLine?: AddHeaderLine })._addHeaderLine;
    if (typeof Parser !== 'function' || typeof addHeaderLine !== 'function')
      throw new Error('_http_common.HTTPParser or IncomingMessage#_addHeaderLine is missing');
    for (const slot of ['REQUEST', 'RESPONSE', 'kOnHeaders', 'kOnHeadersComplete', 'kOnBody', 'kOnMessageComplete', 'kLenientNone'] as const) {
      if (typeof Parser[slot] !== 'number') throw new Error(`HTTPParser.${slot} is missing`);
    }
    const methods = calibrate(Parser);
    for (const method of ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'CONNECT']) {
      if (!methods.includes(method)) throw new Error(`the parser did not report method ${method}`);
    }
    const factory = build(Parser, methods, addHeaderLine);
    const failed = selfTest(factory);
    if (failed) throw new Error(failed);
    loaded = { factory };
  } catch (error) {
    loaded = { error: (error as Error).message };
  }
  return loaded;
}
