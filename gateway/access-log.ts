// What one access-log line says about a request: method, path with its secrets taken out, route,
// status, body bytes actually sent, duration, the caller's uid. Kept apart from the server so the
// rules for what may be logged (no token, no password, no secret query value) live in one place.
import type { ServerResponse } from 'node:http';
import type { Logger } from 'pino';

/**
 * Query parameters whose values are never logged. Tokens travel in query strings (DC/OS CLI
 * downloads, `?token=` links, OAuth `code`/`state`, signed URLs), and a log line is shipped and kept.
 */
const SECRET_PARAM = /token|auth|pass|secret|key|sig|session|code|credential|cookie|jwt/i;
export const REDACTED = '[redacted]';

/** The request target as it may be logged: the path, and the query with every secret-looking value replaced. */
export function loggablePath(target: string): string {
  const q = target.indexOf('?');
  if (q === -1) return target;
  const path = target.slice(0, q);
  const query = target.slice(q + 1);
  if (query === '') return path;
  const kept = query.split('&').map((pair) => {
    const eq = pair.indexOf('=');
    if (eq === -1) return pair;
    let name = pair.slice(0, eq);
    try {
      name = decodeURIComponent(name.replace(/\+/g, ' '));
    } catch {
      return `${pair.slice(0, eq)}=${REDACTED}`; // a name that does not decode cannot be judged: its value goes
    }
    return SECRET_PARAM.test(name) ? `${pair.slice(0, eq)}=${REDACTED}` : pair;
  });
  return `${path}?${kept.join('&')}`;
}

const BODY_BYTES = Symbol('gatehouse.bodyBytes');
const LOGGED_UID = Symbol('gatehouse.loggedUid');

type Counted = ServerResponse & { [BODY_BYTES]?: number; [LOGGED_UID]?: string };

/**
 * Counts the body bytes a node:http response sends (its Content-Length is often absent: pages,
 * streamed and chunked answers). Only on the general path: the lean engine's answers count themselves.
 */
export function countBodyBytes(res: ServerResponse, method: string | undefined): void {
  const counted = res as Counted;
  counted[BODY_BYTES] = 0;
  const add = (chunk: unknown, encoding: unknown): void => {
    if (method === 'HEAD' || res.statusCode === 204 || res.statusCode === 304) return; // node:http drops those bodies
    if (typeof chunk === 'string') counted[BODY_BYTES]! += Buffer.byteLength(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
    else if (chunk instanceof Uint8Array) counted[BODY_BYTES]! += chunk.byteLength;
  };
  const write = res.write;
  const end = res.end;
  // Node's end(chunk) sends its chunk without going through write(), so both are counted.
  res.write = function countedWrite(this: ServerResponse, chunk: unknown, ...rest: unknown[]): boolean {
    add(chunk, rest[0]);
    return (write as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
  } as ServerResponse['write'];
  res.end = function countedEnd(this: ServerResponse, chunk?: unknown, ...rest: unknown[]): ServerResponse {
    if (typeof chunk !== 'function' && !this.writableEnded) add(chunk, rest[0]);
    return (end as (...args: unknown[]) => ServerResponse).call(this, chunk, ...rest);
  } as ServerResponse['end'];
}

/** The body bytes a response sent: counted (node:http, lean), else its declared Content-Length. */
export function bodyBytesSent(res: object & { getHeader(name: string): unknown }): number {
  const counted = (res as Counted)[BODY_BYTES] ?? (res as { bodyBytes?: number }).bodyBytes;
  if (typeof counted === 'number') return counted;
  return Number(res.getHeader('content-length') ?? 0) || 0;
}

/** Names the uid of an endpoint that establishes one itself (a login): its line logs that uid. */
export function noteUid(res: object, uid: string): void {
  (res as Counted)[LOGGED_UID] = uid;
}

export function notedUid(res: object): string | null {
  return (res as Counted)[LOGGED_UID] ?? null;
}

export interface AccessLogEntry {
  readonly requestId: string;
  readonly method: string | undefined;
  readonly target: string;
  readonly route: string;
  readonly status: number;
  readonly bytes: number;
  readonly seconds: number;
  readonly uid: string | null;
}

export function writeAccessLog(logger: Logger, entry: AccessLogEntry): void {
  logger.info(
    {
      requestId: entry.requestId,
      method: entry.method,
      path: loggablePath(entry.target),
      route: entry.route,
      status: entry.status,
      bytes: entry.bytes,
      durationMs: durationMs(entry.seconds),
      uid: entry.uid,
    },
    'request',
  );
}

/** Writes a finished access-log line (accessLogLine's), where a logger's object would take pino's serialiser. */
export type AccessLineWriter = (entry: AccessLogEntry) => void;

/**
 * The line writeAccessLog has pino write, built directly: the same fields in the same order, each
 * string through JSON.stringify, after pino's `level` and `time` and the logger's bindings
 * (`bindings`: `,"name":"gatehouse",…`, as pino writes them). pino's generic serialiser walked the
 * object key by key, a few per cent of a worker's CPU with the access log on (bench/README.md).
 */
export function accessLogLine(bindings: string, entry: AccessLogEntry, now = Date.now()): string {
  const method = entry.method === undefined ? '' : `,"method":${JSON.stringify(entry.method)}`;
  const uid = entry.uid === null ? 'null' : JSON.stringify(entry.uid);
  return (
    `{"level":30,"time":${now}${bindings},"requestId":${JSON.stringify(entry.requestId)}${method}` +
    `,"path":${JSON.stringify(loggablePath(entry.target))},"route":${JSON.stringify(entry.route)},"status":${entry.status}` +
    `,"bytes":${entry.bytes},"durationMs":${durationMs(entry.seconds)},"uid":${uid},"msg":"request"}\n`
  );
}

function durationMs(seconds: number): number {
  return Math.round(seconds * 10_000) / 10;
}
