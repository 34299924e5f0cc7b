// The lean engine's parser interfaces, apart from the parser that implements them (parser.ts) so
// that its start-up self-test (self-test.ts) can name them without importing the parser back.
import type { IncomingHttpHeaders } from 'node:http';

export interface RequestHead {
  readonly method: string;
  readonly url: string;
  /** Name, value, name, value… as received. */
  readonly rawHeaders: string[];
  readonly versionMajor: number;
  readonly versionMinor: number;
  readonly upgrade: boolean;
  readonly keepAlive: boolean;
}

export interface ParserEvents {
  /**
   * A request's line and headers. For an upgrade (or CONNECT), parsing stops after them; returning
   * true stops it after a request without a body too (execute returns the bytes parsed so far).
   */
  head(head: RequestHead): boolean | void;
  body(chunk: Buffer): void;
  complete(): void;
}

export type ParseError = Error & { code?: string };

export interface RequestParser {
  /** How many bytes were parsed (fewer than given after an upgrade's head), or why the input is refused. */
  execute(data: Buffer): number | ParseError;
  /** The peer closed its side: a request cut short is an error. */
  finish(): ParseError | null;
  free(): void;
}

/** What a response parser reports (the lean upstream client's side). */
export interface ResponseEvents {
  /** Status and headers; return true when the response has no body whatever it says (the answer to a HEAD). */
  head(status: number, rawHeaders: string[], keepAlive: boolean): boolean;
  body(chunk: Buffer): void;
  complete(): void;
}

export interface ParserFactory {
  create(events: ParserEvents, maxHeaderSize: number): RequestParser;
  createResponse(events: ResponseEvents): RequestParser;
  /** Node's header object for raw headers: lower-case names, duplicates joined or dropped as node:http does. */
  headers(rawHeaders: readonly string[]): IncomingHttpHeaders;
}
