// Proxying: plain HTTP over undici connection pools (measured 1.8x the requests/s of http-proxy on
// this machine, bench/gateway.mjs), WebSocket upgrades on connections of their own (upgrade-proxy.ts). Streaming without buffering,
// X-Forwarded-* and X-Real-IP set, hop-by-hop headers and DC/OS cookies removed, `Location` rewritten
// back under `/service/<name>/` (Admin Router §6.5), errors as JSON `{title, description, code}`.
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import type { Dispatcher, Pool } from 'undici';
import { requirePackage } from '../core/index.js';
import { LeanResponse, type LeanUpstreamClient, type ResponseSink } from './http1/index.js';
import { GATEWAY_ANSWERS, GatewayError, UpstreamError, upstreamErrorOf, type GatewayAnswerCode } from './errors.js';
import { encodePath } from './normalize-path.js';
import { END_TO_END } from './request-rules.js';
import { proxyUpgrade, upgradeRequestHeaders } from './upgrade-proxy.js';

/** What proxying reads of a request: node:http's IncomingMessage or the lean engine's LeanRequest. */
export interface ProxyRequest {
  readonly method?: string | undefined;
  readonly headers: IncomingHttpHeaders;
  readonly socket: Socket;
}

/** Headers that describe one connection, never forwarded (RFC 9110 §7.6.1), plus those `Connection` names. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'proxy-authenticate',
  'proxy-authorization',
]);

function hopByHop(connection: string | string[] | undefined): ReadonlySet<string> {
  // The common cases (no header, `keep-alive`, `close`) name nothing extra: no allocation per request.
  if (connection === undefined) return HOP_BY_HOP;
  if (typeof connection === 'string') {
    const value = connection.trim().toLowerCase();
    if (value === 'keep-alive' || value === 'close') return HOP_BY_HOP;
  }
  const named = new Set(HOP_BY_HOP);
  for (const value of Array.isArray(connection) ? connection : connection ? [connection] : []) {
    for (const raw of value.split(',')) {
      const name = raw.trim().toLowerCase();
      if (!END_TO_END.has(name)) named.add(name); // `Connection: authorization, host` strips neither
    }
  }
  return named;
}

const DCOS_COOKIES = new Set(['dcos-acs-auth-cookie', 'dcos-acs-info-cookie']);

export interface ProxyTarget {
  readonly upstream: URL;
  readonly path: string;                   // encoded path + query for the upstream request line
  readonly servicePrefix: string | null;   // `/service/<plain>` for Location rewriting
  readonly timeoutMs: number;
  /** The request body (the request itself, or a counting stream for chunked bodies); null: none. */
  readonly body: Readable | null;
}

/** A gateway answer: status and title come from the one table of gateway codes (errors.ts). */
export function sendGatewayError(res: ResponseSink, code: GatewayAnswerCode, description: string, headers: Record<string, string> = {}): void {
  const { status, title } = GATEWAY_ANSWERS[code];
  sendJsonError(res, status, title, description, code, headers);
}

/** Any JSON error answer; other areas' codes (authn's 401s) come through here with their own status. */
export function sendJsonError(res: ResponseSink, status: number, title: string, description: string, code: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ title, description, code });
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store', ...headers });
  res.end(body);
}

function withoutDcosCookies(cookie: string | undefined): string | null {
  if (!cookie) return null;
  const kept = cookie.split(';').map((c) => c.trim()).filter((c) => c && !DCOS_COOKIES.has(c.slice(0, c.indexOf('=')).trim()));
  return kept.length ? kept.join('; ') : null;
}

/**
 * undici's pool (the build bundles only it: scripts/vendor/undici.cjs) is loaded by the first request
 * that needs it: the lean engine serves bodiless plain-HTTP requests without it, and a process that
 * never proxies (the primary with workers) never loads it.
 */
type UndiciPool = Pick<typeof import('undici'), 'Pool'>;
let undici: UndiciPool | null = null;
const loadUndici = (): UndiciPool => (undici ??= requirePackage<UndiciPool>('undici'));

export class UpstreamProxy {
  /** Connection pools by `origin timeout`. */
  readonly #pools = new Map<string, Pool>();
  /** The same, by URL object: route tables and the service resolver hand out the same URL objects, so no key string per request. */
  readonly #poolsByUrl = new Map<number, WeakMap<URL, Pool>>();

  /** The lean engine's client for bodiless GET and HEAD to plain-HTTP upstreams; undici otherwise. */
  readonly #lean: LeanUpstreamClient | null;

  constructor(lean: LeanUpstreamClient | null = null) {
    this.#lean = lean;
  }

  close(): void {
    for (const pool of this.#pools.values()) void pool.close();
    this.#pools.clear();
    this.#poolsByUrl.clear();
    this.#lean?.close();
  }

  /**
   * Requests with a body use pools of their own, without a connection limit: a body arrives at the
   * client's pace, and slow uploaders (each bounded by gateway.bodyTimeout and
   * gateway.maxConnectionsPerAddress) must never take the connections everyone else's requests need.
   */
  #pool(upstream: URL, timeoutMs: number, withBody = false): Pool {
    const poolKey = withBody ? -1 - timeoutMs : timeoutMs;
    let byUrl = this.#poolsByUrl.get(poolKey);
    if (!byUrl) this.#poolsByUrl.set(poolKey, (byUrl = new WeakMap()));
    let pool = byUrl.get(upstream);
    if (!pool) {
      const origin = upstream.origin;
      const key = `${origin} ${timeoutMs}${withBody ? ' body' : ''}`;
      pool = this.#pools.get(key);
      if (!pool) {
        pool = new (loadUndici().Pool)(origin, {
          connections: withBody ? null : 256,
          pipelining: 1,
          keepAliveTimeout: 4000,
          headersTimeout: timeoutMs || 0,
          bodyTimeout: timeoutMs || 0,
          connectTimeout: 10_000,
        });
        this.#pools.set(key, pool);
      }
      byUrl.set(upstream, pool);
    }
    return pool;
  }

  web(req: ProxyRequest, res: ResponseSink, target: ProxyTarget, forwarded: Record<string, string>, onError: (error: UpstreamError) => void): void {
    // One flat name/value list (undici takes it as it is), built in one pass: hop-by-hop headers and
    // those `Connection` names dropped, the DC/OS cookies taken out of `Cookie`, X-Forwarded-* and
    // X-Real-IP replaced by the gateway's. `Expect` is not passed on: the gateway answered
    // `100-continue` itself (node:http and the lean engine both do) and streams the body; undici would
    // refuse the request (UND_ERR_NOT_SUPPORTED), and nginx does not pass it either.
    const drop = hopByHop(req.headers.connection);
    const headers: string[] = [];
    const incoming = req.headers;
    for (const name in incoming) {
      const value = incoming[name];
      if (value === undefined || drop.has(name) || name === 'cookie' || name === 'expect' || Object.hasOwn(forwarded, name)) continue;
      if (typeof value === 'string') headers.push(name, value);
      else for (const v of value) headers.push(name, v);
    }
    const cookie = withoutDcosCookies(req.headers.cookie);
    if (cookie) headers.push('cookie', cookie);
    for (const name in forwarded) headers.push(name, forwarded[name]!);
    const host = (req.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
    const handler = new ResponseWriter(res, target, host, onError);
    res.once('close', () => {
      if (!res.writableFinished) handler.clientGone();
    });
    const method = req.method ?? 'GET';
    if (this.#lean && target.body === null && (method === 'GET' || method === 'HEAD') && target.upstream.protocol === 'http:') {
      try {
        this.#lean.dispatch(target.upstream, { method, path: target.path, headers, timeoutMs: target.timeoutMs }, handler);
      } catch (error) {
        handler.onError(error as Error);
      }
      return;
    }
    this.#pool(target.upstream, target.timeoutMs, target.body !== null).dispatch(
      { path: target.path, method: method as Dispatcher.HttpMethod, headers, body: target.body },
      handler,
    );
  }

  /** A WebSocket upgrade (upgrade-proxy.ts refused those with a body): the same header rules as web(), then Connection/Upgrade set anew. */
  ws(req: IncomingMessage, socket: Socket, head: Buffer, target: ProxyTarget, forwarded: Record<string, string>): void {
    const drop = hopByHop(req.headers.connection);
    const headers = upgradeRequestHeaders(req.headers, (name) => !drop.has(name) && name !== 'cookie' && name !== 'expect' && !Object.hasOwn(forwarded, name));
    const cookie = withoutDcosCookies(req.headers.cookie);
    if (cookie) headers['cookie'] = cookie;
    Object.assign(headers, forwarded);
    proxyUpgrade(socket, head, target.upstream, target.path, headers);
  }
}

/**
 * undici's dispatch handler writing the upstream's answer straight into the client response: no
 * intermediate Readable, no pipe() (measured: bench/gateway.mjs, README "Performance → Gateway").
 * Backpressure as with pipe(): a write the response cannot take yet pauses the upstream socket until
 * the response drains. Every chunk is written as it arrives: nothing is buffered here.
 */
class ResponseWriter implements Dispatcher.DispatchHandler {
  readonly #res: ResponseSink;
  readonly #target: ProxyTarget;
  readonly #host: string;
  readonly #onError: (error: UpstreamError) => void;
  #abort: ((reason?: Error) => void) | null = null;
  #gone = false;
  #resume: (() => void) | null = null;

  constructor(res: ResponseSink, target: ProxyTarget, host: string, onError: (error: UpstreamError) => void) {
    this.#res = res;
    this.#target = target;
    this.#host = host;
    this.#onError = onError;
  }

  /** The client went away before the answer was complete: the upstream request is aborted. */
  clientGone(): void {
    this.#gone = true;
    this.#abort?.(new ClientGoneError());
  }

  onConnect(abort: (reason?: Error) => void): void {
    if (this.#gone) return abort(new ClientGoneError());
    this.#abort = abort;
  }

  onHeaders(statusCode: number, rawHeaders: Array<Buffer | string>, resume: () => void): boolean {
    if (statusCode < 200) return true; // 1xx: not forwarded (as before, with undici's request())
    // One pass into a flat name/value list (no object keyed by header names per answer); headers
    // named by `Connection` (rare) are removed after it.
    let connection: string | string[] | undefined;
    let pairs: string[] = [];
    let location = -1;
    let locations = 0;
    let hasLength = false;
    for (let i = 0; i < rawHeaders.length; i += 2) {
      const name = rawHeaders[i]!.toString('latin1').toLowerCase();
      const value = rawHeaders[i + 1]!.toString('latin1');
      if (name === 'connection') connection = connection === undefined ? value : [...(typeof connection === 'string' ? [connection] : connection), value];
      if (HOP_BY_HOP.has(name)) continue;
      pairs.push(name, value);
    }
    const drop = hopByHop(connection);
    if (drop !== HOP_BY_HOP) {
      const kept: string[] = [];
      for (let i = 0; i < pairs.length; i += 2) if (!drop.has(pairs[i]!)) kept.push(pairs[i]!, pairs[i + 1]!);
      pairs = kept;
    }
    for (let i = 0; i < pairs.length; i += 2) {
      if (pairs[i] === 'location') {
        location = i + 1;
        locations++;
      } else if (pairs[i] === 'content-length') hasLength = true;
    }
    const target = this.#target;
    // Only a single Location is rewritten. The prefix is a decoded service name: encoded, so that a
    // name from the snapshot cannot put bytes a header may not carry into Location.
    if (locations === 1 && target.servicePrefix)
      pairs[location] = rewriteLocation(pairs[location]!, encodePath(target.servicePrefix), `${target.upstream.protocol.replace(':', '')}://${this.#host}`);
    const res = this.#res;
    if (res instanceof LeanResponse) res.writeHeadPairs(statusCode, pairs);
    else res.writeHead(statusCode, headerObject(pairs));
    // A call without a timeout (an exec session) may stay quiet a long while: its head goes out now,
    // not with the first body bytes, since the client waits for it (the CLI attaches its input then).
    if (target.timeoutMs === 0 && !hasLength) (res as { flushHeaders?: () => void }).flushHeaders?.();
    this.#resume = resume;
    return true;
  }

  onData(chunk: Buffer): boolean {
    const res = this.#res;
    if (res.write(chunk)) return true;
    // Paused until the client takes more.
    res.once('drain', () => this.#resume?.());
    return false;
  }

  onComplete(): void {
    this.#res.end();
  }

  onError(error: Error): void {
    if (!this.#res.headersSent) return this.#onError(asUpstreamError(error));
    this.#res.destroy();
  }
}

class ClientGoneError extends GatewayError {
  declare readonly code: 'ERR_GATEWAY_CLIENT_GONE';
  constructor() {
    super('ERR_GATEWAY_CLIENT_GONE', 'the client closed the connection');
  }
}

/** A name/value list as node:http's header object: a repeated name's values in an array, in order. */
function headerObject(pairs: readonly string[]): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (let i = 0; i < pairs.length; i += 2) {
    const name = pairs[i]!;
    const value = pairs[i + 1]!;
    const prior = out[name];
    out[name] = prior === undefined ? value : typeof prior === 'string' ? [prior, value] : [...prior, value];
  }
  return out;
}

/** Admin Router's three `proxy_redirect` rules, first match wins. */
export function rewriteLocation(location: string, servicePrefix: string, base: string): string {
  const prefix = `${servicePrefix}/`;
  if (location.startsWith(`${base}${prefix}`)) return location.slice(base.length);
  if (location.startsWith(`${base}/`)) return prefix + location.slice(base.length + 1);
  if (location.startsWith('/') && !location.startsWith('//') && !location.startsWith(prefix)) return prefix + location.slice(1);
  return location;
}

/** Either engine's failure as one UpstreamError: the lean client's already are; undici's are named by their (or their cause's) code. */
function asUpstreamError(error: Error): UpstreamError {
  if (error instanceof UpstreamError) return error;
  const code = (error as { code?: string }).code;
  const cause = (error as { cause?: { code?: string } }).cause?.code;
  // undici reports a refused or reset connect as UND_ERR_SOCKET/ECONNREFUSED with the socket's code on the cause.
  const timeout = code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT';
  return upstreamErrorOf(timeout ? code : (cause ?? code ?? null), error.message);
}
