// The gateway's HTTP server: one door. Every request's path is normalised once; public endpoints
// (health, metrics, login, keys, version, the login page) answer without a token; everything else
// is authenticated first (so no 404 or 503 leaks to anonymous callers), then routed and proxied.
// The public endpoints themselves are in public-endpoints.ts.
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { AuthnError, OWN_ISSUER, decide, extractToken, type Caller, type LoginContext, type TokenVerifier } from '../authn/index.js';
import { isUsable, type SnapshotView } from '../cluster/index.js';
import { declaresTooMuch, limitedBody } from './body-limit.js';
import { BodyWatch } from './body-watch.js';
import { ConnectionLimit } from './connection-limit.js';
import type { ListenAddress } from '../config/index.js';
import { builtinRoute, earlyRedirect, type RouteDecision } from './builtin-routes.js';
import { loginPage, type TaskNamer } from './pages.js';
import { sendIndex } from './pages/index-pages.js';
import { PUBLIC_PATHS, answerPublic } from './public-endpoints.js';
import { encodePath, normalizePath } from './normalize-path.js';
import { duplicateHost, expectsContinue, forwardedElement } from './request-rules.js';
import { LeanUpstreamClient, loadParser, type LeanRequest, type LeanResponse, type ResponseSink } from './http1/index.js';
import { listenGateway, type Listening } from './listen.js';
import { RequestMetrics } from './request-metrics.js';
import type { GatewayStatus } from './gateway-status.js';
import { bodyBytesSent, countBodyBytes, notedUid, writeAccessLog } from './access-log.js';
import { UpstreamProxy, sendJsonError, type ProxyRequest } from './proxy.js';
import type { RouteTable } from './route-table.js';
import type { FileRoute } from './route-files.js';
import { resolveService } from './service-resolver.js';
import { answerUpgradeError, upgradeRefusal } from './upgrade-proxy.js';

export interface GatewayOptions {
  readonly listen: ListenAddress;
  /** The current snapshot and its status: the store itself, or a mirror of it in a worker process. */
  readonly store: SnapshotView;
  readonly verifier: TokenVerifier;
  readonly login: LoginContext;
  readonly clusterId: string;
  readonly dnsHttp: URL | null;
  readonly marathon: URL | null;
  readonly registry: Registry;
  readonly logger: Logger;
  readonly timeoutMs?: number;
  readonly version: string;
  /** File routes (gateway.routes); absent in tests of the built-ins alone. */
  readonly routes?: RouteTable;
  /** PEM files; when set the gateway serves HTTPS only and login cookies are `Secure`. */
  readonly tls?: { readonly cert: string; readonly key: string } | null;
  /** A task's DNS name when DNS is on, so the dashboard can show it (the gateway does not know DNS's rules). */
  readonly taskName?: TaskNamer | null;
  /** Request bodies above this many bytes get 413 (default 1 GiB, nginx `client_max_body_size 1024M`). */
  readonly maxBodySize?: number;
  /** Request line and headers above this many bytes get 431 (default 32 KiB). */
  readonly maxHeaderSize?: number;
  /** The longest wait for the next bytes of a request body before 408 (default 60 s, nginx `client_body_timeout`). */
  readonly bodyTimeoutMs?: number;
  /** After an answer given before its body arrived, the rest is dropped for at most this long (default 5 s)… */
  readonly discardBodyTimeoutMs?: number;
  /** …and at most this many bytes of it (default 1 MiB); past either the connection is closed. */
  readonly discardBodySize?: number;
  /** Connections one client address may hold open in this process (default 512); more are closed on arrival. */
  readonly maxConnectionsPerAddress?: number;
  /** close(): how long in-flight requests may finish before their connections are cut (default 10 s). */
  readonly shutdownTimeoutMs?: number;
  /** The `/metrics` text; default: this process's registry (workers ask the primary for all of them). */
  readonly metricsText?: () => Promise<string>;
  /** `GET /gatehouse/v1/status`: the generations each gateway process serves (absent: 404). */
  readonly status?: () => Promise<GatewayStatus>;
  /**
   * `lean` (default): Node's HTTP parser with a lean hot path for proxied requests (gateway/http1);
   * `node`: node:http for everything. Lean falls back to node when Node's parser is not reachable.
   */
  readonly engine?: 'lean' | 'node';
  /** Members of this group may read `/gatehouse/v1/routes` (authn.adminGroup; default `admins`). */
  readonly adminGroup?: string;
}

const EJECT_MS = 30_000;
const NONE_TRIED: ReadonlySet<string> = new Set();

/** Paths #handle answers itself after authentication; never on the hot path. */
const SPECIAL_PATHS: ReadonlySet<string> = new Set(['/gatehouse/v1/routes', '/gatehouse/v1/status', '/metadata', '/pkgpanda/active.buildinfo.full.json']);

/**
 * A file route's name in metrics, logs and round robin (`file:<name>`), built once per route: route
 * objects live as long as their route file's load, and the label is used on every request.
 */
const routeLabels = new WeakMap<FileRoute, string>();
function routeLabel(route: FileRoute): string {
  let label = routeLabels.get(route);
  if (label === undefined) routeLabels.set(route, (label = `file:${route.name}`));
  return label;
}

export class GatewayServer {
  readonly #options: GatewayOptions;
  readonly #proxy: UpstreamProxy;
  #server: Listening | null = null;
  readonly #roundRobin = new Map<string, number>();
  /** Passive health: upstreams that refused a connection, and until when they are skipped. */
  readonly #ejected = new Map<string, number>();
  /** Upgraded (WebSocket) connections: the HTTP server no longer tracks them, close() must cut them. */
  readonly #upgraded = new Set<Socket>();
  readonly #metrics: RequestMetrics;
  readonly #bodies: BodyWatch;

  constructor(options: GatewayOptions) {
    this.#options = options;
    this.#bodies = new BodyWatch({ bodyTimeoutMs: options.bodyTimeoutMs ?? 60_000, discardBodyTimeoutMs: options.discardBodyTimeoutMs ?? 5_000, discardBodySize: options.discardBodySize ?? 1024 ** 2 });
    const lean = options.engine === 'node' ? null : loadParser();
    this.#proxy = new UpstreamProxy(lean && 'factory' in lean ? new LeanUpstreamClient(lean.factory) : null);
    this.#metrics = new RequestMetrics(options.registry);
  }

  async start(): Promise<number> {
    const tls = this.#options.tls;
    const { server, port } = await listenGateway({
      listen: this.#options.listen,
      engine: this.#options.engine ?? 'lean',
      tls: tls ? { cert: await readFile(tls.cert), key: await readFile(tls.key) } : null,
      maxHeaderSize: this.#options.maxHeaderSize ?? 32 * 1024,
      logger: this.#options.logger,
      connectionLimit: new ConnectionLimit(this.#options.maxConnectionsPerAddress ?? 512, this.#options.registry, this.#options.logger),
    }, {
      fast: (req, res) => {
        try {
          return this.#fast(req, res);
        } catch (error) {
          this.#failed(res, error);
          return true;
        }
      },
      request: (req, res) => void this.#handle(req, res).catch((error: unknown) => this.#failed(res, error)),
      // `Expect: 100-continue`: #handle sends `100 Continue` once it reads the body (after authentication).
      checkContinue: (req, res) => void this.#handle(req, res).catch((error: unknown) => this.#failed(res, error)),
      upgrade: (req, socket, head) => void this.#upgrade(req, socket, head).catch((error: unknown) => {
        this.#logFailure(error);
        socket.destroy();
      }),
    });
    this.#server = server;
    return port;
  }

  /**
   * Graceful stop: no new connections; idle keep-alive connections are closed as soon as they are
   * idle, in-flight requests may finish until shutdownTimeoutMs, then every connection is cut.
   */
  async close(): Promise<void> {
    const server = this.#server;
    this.#server = null;
    if (server) {
      const deadline = Date.now() + (this.#options.shutdownTimeoutMs ?? 10_000);
      await new Promise<void>((resolve) => {
        const sweep = setInterval(() => {
          if (Date.now() < deadline) return server.closeIdleConnections();
          server.closeAllConnections();
          for (const socket of this.#upgraded) socket.destroy();
        }, 50);
        server.close(() => {
          clearInterval(sweep);
          resolve();
        });
        server.closeIdleConnections();
      });
    }
    this.#proxy.close();
    this.#bodies.close();
  }

  /**
   * A handler threw while answering one request: that request gets 500 (its connection closed, as its
   * body may be unread), or, when its answer had begun, its connection is cut. The process serves on.
   */
  #failed(res: ResponseSink, error: unknown): void {
    this.#logFailure(error);
    try {
      sendJsonError(res, 500, 'Internal Server Error', 'the gateway failed while answering this request', 'ERR_GATEWAY_INTERNAL', { connection: 'close' });
    } catch {
      res.destroy();
    }
  }

  /** The code and where it was thrown; not the message's values, which may quote the request. */
  #logFailure(error: unknown): void {
    const failure = error as NodeJS.ErrnoException | undefined;
    this.#options.logger.error({ code: failure?.code ?? 'none', name: failure?.name, at: failure?.stack?.split('\n').slice(1, 6).map((l) => l.trim()) }, 'request handler failed; answered 500');
  }

  /** The caller, or why not; synchronous when the token was verified recently (the common case). */
  #authenticate(req: IncomingMessage): Caller | AuthnError | Promise<Caller | AuthnError> {
    try {
      const extracted = extractToken(req.headers);
      if (!extracted) return new AuthnError('ERR_AUTHN_TOKEN_MISSING', 'no token: log in at /login, or send Authorization: token=<jwt>');
      return this.#options.verifier.recent(extracted.token) ?? this.#verify(extracted.token);
    } catch (error) {
      return error instanceof AuthnError ? error : new AuthnError('ERR_AUTHN_TOKEN_MALFORMED', 'the token could not be read');
    }
  }

  async #verify(token: string): Promise<Caller | AuthnError> {
    try {
      return await this.#options.verifier.verify(token);
    } catch (error) {
      return error instanceof AuthnError ? error : new AuthnError('ERR_AUTHN_TOKEN_MALFORMED', 'the token could not be read');
    }
  }

  #unauthorized(req: IncomingMessage, res: ServerResponse, path: string, error: AuthnError): void {
    const wantsHtml = /text\/html/.test(req.headers.accept ?? '') && !/application\/json/.test(req.headers.accept ?? '');
    if (wantsHtml) {
      const body = loginPage(path, 'Please log in to continue.');
      res.writeHead(401, { 'content-type': 'text/html; charset=utf-8', 'www-authenticate': 'acsjwt', 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : body);
      return;
    }
    // No `100 Continue` was sent: the client may or may not send the body now, so the connection ends.
    sendJsonError(res, 401, 'Unauthorized', error.message, error.code, { 'www-authenticate': 'acsjwt', ...(expectsContinue(req) ? { connection: 'close' } : {}) });
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const requestId = randomUUID();
    let route = 'none';
    let uid: string | null = null;
    countBodyBytes(res, req.method);
    const record = (): void => this.#record(res, started, requestId, req.method, req.url ?? '/', route, uid);
    // An answer written synchronously (a public endpoint) can finish before its handler's await
    // returns and names the route: its line waits for the rest of this turn.
    res.on('finish', () => (route === 'none' ? setImmediate(record) : record()));
    res.setHeader('x-request-id', requestId);
    if (req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined) this.#bodies.watch(req, res);

    // Request smuggling shapes: both framings, or conflicting lengths, are refused.
    const cl = req.headers['content-length'];
    if ((cl !== undefined && req.headers['transfer-encoding'] !== undefined) || (typeof cl === 'string' && cl.includes(','))) {
      route = 'refused';
      return sendJsonError(res, 400, 'Bad Request', 'conflicting Content-Length / Transfer-Encoding', 'ERR_GATEWAY_BAD_FRAMING', { connection: 'close' });
    }
    if (duplicateHost(req.rawHeaders)) {
      route = 'refused';
      return sendJsonError(res, 400, 'Bad Request', 'more than one Host header', 'ERR_GATEWAY_BAD_HOST', { connection: 'close' });
    }
    const maxBody = this.#options.maxBodySize ?? 1024 ** 3;
    if (declaresTooMuch(req, maxBody)) {
      route = 'refused';
      return sendJsonError(res, 413, 'Payload Too Large', `the request body is larger than ${maxBody} bytes (gateway.maxBodySize)`, 'ERR_GATEWAY_BODY_TOO_LARGE', { connection: 'close' });
    }
    const normalized = normalizePath(req.url ?? '/');
    if ('error' in normalized) {
      route = 'refused';
      return sendJsonError(res, 400, 'Bad Request', normalized.error, 'ERR_GATEWAY_BAD_PATH');
    }
    const { path, search } = normalized;
    const method = req.method ?? 'GET';

    const publicAnswer = PUBLIC_PATHS.has(path) ? await answerPublic(this.#options, async (r) => this.#authenticate(r), req, res, method, path, search) : null;
    if (publicAnswer) {
      route = publicAnswer;
      return;
    }
    const early = earlyRedirect(path);
    if (early?.kind === 'redirect') {
      route = 'redirect';
      res.writeHead(early.status, { location: `${early.location}${search}` }).end();
      return;
    }
    const fileRoute = this.#options.routes?.match(path) ?? null;
    if (fileRoute?.auth === 'none') {
      route = routeLabel(fileRoute);
      return this.#proxyFileRoute(req, res, fileRoute, null, path, search);
    }
    const authenticated = this.#authenticate(req);
    const caller = authenticated instanceof Promise ? await authenticated : authenticated;
    if (caller instanceof AuthnError) {
      route = 'unauthorized';
      return this.#unauthorized(req, res, path, caller);
    }
    uid = caller.uid;
    if (fileRoute) {
      route = routeLabel(fileRoute);
      return this.#proxyFileRoute(req, res, fileRoute, caller, path, search);
    }
    if (path === '/gatehouse/v1/routes') { // in SPECIAL_PATHS, as are the two below
      route = 'inspect';
      // It shows every upstream URL: for the admin group only (authn.adminGroup).
      const adminGroup = this.#options.adminGroup ?? 'admins';
      if (!this.#groupsOf(caller).includes(adminGroup)) return sendJsonError(res, 403, 'Forbidden', `the route list is for members of the group ${adminGroup} (authn.adminGroup)`, 'ERR_GATEWAY_FORBIDDEN');
      const body = JSON.stringify({
        builtin: ['/service/<name>/', '/agent/<id>/', '/mesos/', '/marathon/', '/mesos_dns/'],
        files: (this.#options.routes?.files() ?? []).map((f) => ({ file: f.file, status: f.status, errors: f.errors, routes: f.routes.map((r) => ({ name: r.name, path: r.path, to: r.to.map((u) => u.href), service: r.service, stripPrefix: r.stripPrefix, auth: r.auth, allow: r.allow, timeoutMs: r.timeoutMs })) })),
      });
      res.writeHead(200, { 'content-type': 'application/json' }).end(body);
      return;
    }
    if (path === '/gatehouse/v1/status' && this.#options.status) {
      route = 'status';
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(await this.#options.status()));
      return;
    }
    if (path === '/metadata' || path === '/pkgpanda/active.buildinfo.full.json') {
      route = 'metadata';
      // Admin Router's /metadata: the public IP, falling back to the address the request came in on.
      const publicIp = (req.socket.localAddress ?? '').replace(/^::ffff:/, '');
      const body = path === '/metadata' ? { PUBLIC_IPV4: publicIp, CLUSTER_ID: this.#options.clusterId } : { 'gatehouse': { version: this.#options.version } };
      res.writeHead(200, { 'content-type': 'application/json' }).end(method === 'HEAD' ? undefined : JSON.stringify(body));
      return;
    }
    const decision = this.#builtinDecision(path);
    if (!decision) {
      route = 'unknown';
      return sendJsonError(res, 404, 'Not Found', `no route for ${path}`, 'ERR_GATEWAY_NO_ROUTE');
    }
    route = decision.kind === 'proxy' ? decision.route : decision.kind;
    this.#dispatch(req, res, decision, path, search, decision.kind === 'proxy' ? this.#bodyOf(req, res) : null);
  }

  /**
   * The hot path of the lean engine: a GET or HEAD without a body, with a token verified recently
   * (or to an `auth: none` route), to a route that proxies. It makes the same decisions as #handle
   * through the same helpers; anything else (a token to verify, an error to show, a public
   * endpoint, a body) returns false, and #handle answers it.
   */
  #fast(req: LeanRequest, res: LeanResponse): boolean {
    const method = req.method;
    if (method !== 'GET' && method !== 'HEAD') return false;
    const headers = req.headers;
    if (headers['content-length'] !== undefined || headers['transfer-encoding'] !== undefined) return false;
    const normalized = normalizePath(req.url);
    if ('error' in normalized) return false;
    const { path, search } = normalized;
    if (PUBLIC_PATHS.has(path) || earlyRedirect(path) || SPECIAL_PATHS.has(path)) return false;
    const fileRoute = this.#options.routes?.match(path) ?? null;
    let caller: Caller | null = null;
    if (fileRoute?.auth !== 'none') {
      caller = this.#recentCaller(headers);
      if (!caller) return false;
    }
    const decision = fileRoute ? this.#fileRouteDecision(fileRoute, caller, path) : this.#builtinDecision(path);
    if (decision?.kind !== 'proxy') return false;
    const started = performance.now();
    const requestId = randomUUID();
    const uid = caller?.uid ?? null;
    res.on('finish', () => this.#record(res, started, requestId, method, req.url, decision.route, uid));
    res.setHeader('x-request-id', requestId);
    this.#dispatch(req, res, decision, path, search, null, fileRoute?.timeoutMs);
    return true;
  }

  /** A recently verified token's caller, without a promise; null when there is none to check that way. */
  #recentCaller(headers: IncomingHttpHeaders): Caller | null {
    try {
      const extracted = extractToken(headers);
      return extracted ? this.#options.verifier.recent(extracted.token) : null;
    } catch {
      return null;
    }
  }

  #record(res: ResponseSink, started: number, requestId: string, method: string | undefined, target: string, route: string, uid: string | null): void {
    const seconds = (performance.now() - started) / 1000;
    this.#metrics.observe(route, res.statusCode, seconds);
    if (this.#options.logger.isLevelEnabled('info')) writeAccessLog(this.#options.logger, { requestId, method, target, route, status: res.statusCode, bytes: bodyBytesSent(res), seconds, uid: uid ?? notedUid(res) });
  }

  #builtinDecision(path: string): RouteDecision | null {
    const status = this.#options.store.status();
    return builtinRoute(path, { snapshot: this.#options.store.current, usable: isUsable(status.state), dnsHttp: this.#options.dnsHttp, marathon: this.#options.marathon });
  }

  /**
   * What a request with a body sends upstream: null for a bodiless GET or HEAD, else the (counted)
   * body. Called once the request is authorised and routed: only now is `100 Continue` sent.
   */
  #bodyOf(req: IncomingMessage, res: ServerResponse): Readable | null {
    const bodyless = (req.method === 'GET' || req.method === 'HEAD') && !req.headers['content-length'] && !req.headers['transfer-encoding'];
    if (expectsContinue(req) && !res.headersSent) res.writeContinue();
    if (bodyless) return null;
    return limitedBody(req, this.#options.maxBodySize ?? 1024 ** 3, (error) => sendJsonError(res, 413, 'Payload Too Large', error.message, error.code, { connection: 'close' }));
  }

  #dispatch(req: ProxyRequest, res: ResponseSink, decision: RouteDecision, path: string, search: string, body: Readable | null, timeoutMs?: number): void {
    if (decision.kind === 'redirect') {
      res.writeHead(decision.status, { location: `${decision.location}${search}` }).end();
      return;
    }
    if (decision.kind === 'error') return sendJsonError(res, decision.status, decision.title, decision.description, decision.code);
    if (decision.kind === 'index') return sendIndex(req, res, decision);
    const forwarded = this.#forwardedHeaders(req, path, decision);
    // Requests without a body can be sent again: when a task refuses the connection, another one is
    // tried, and the refusing task is skipped for a while (passive health).
    const retryable = (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS') && !req.headers['content-length'] && !req.headers['transfer-encoding'];
    const tried = new Set<string>();
    const attempt = (): void => {
      const upstream = this.#pick(decision.route, decision.upstreams, tried);
      tried.add(upstream.href);
      this.#proxy.web(req, res, { upstream, path: `${encodePath(decision.upstreamPath)}${search}`, servicePrefix: decision.servicePrefix, timeoutMs: timeoutMs ?? this.#options.timeoutMs ?? 60_000, body }, forwarded, (error) => {
        if (res.writableEnded) return; // answered already (413 for a chunked body over the limit)
        if (error.code === 'ECONNREFUSED') {
          this.#ejected.set(upstream.href, Date.now() + EJECT_MS);
          this.#options.logger.warn({ route: decision.route, upstream: upstream.host }, 'upstream refused the connection; skipping it for a while');
          if (retryable && !res.headersSent && decision.upstreams.some((u) => !tried.has(u.href))) return attempt();
        }
        const timeout = error.code === 'ECONNRESET' || error.code === 'ETIMEDOUT' || /timeout/i.test(error.message);
        if (timeout && !res.headersSent) return sendJsonError(res, 504, 'Gateway Timeout', `${decision.route}: the upstream did not answer in time`, 'ERR_GATEWAY_UPSTREAM_TIMEOUT');
        sendJsonError(res, 502, 'Bad Gateway', `${decision.route}: the upstream ${upstream.host} failed (${error.code ?? error.message})`, 'ERR_GATEWAY_UPSTREAM_FAILED');
      });
    };
    attempt();
  }

  /** Round robin over the upstreams not tried yet and not ejected; ejected ones only when nothing else is left. */
  #pick(route: string, upstreams: readonly URL[], tried: ReadonlySet<string> = NONE_TRIED): URL {
    const next = this.#roundRobin.get(route) ?? 0;
    if (tried.size === 0 && this.#ejected.size === 0) {
      // The common case: nothing tried yet, nothing ejected.
      this.#roundRobin.set(route, next + 1);
      return upstreams[next % upstreams.length]!;
    }
    const now = Date.now();
    for (const [href, until] of this.#ejected) if (until <= now) this.#ejected.delete(href); // back in the pool
    const fresh = upstreams.filter((u) => !tried.has(u.href));
    const healthy = fresh.filter((u) => (this.#ejected.get(u.href) ?? 0) <= now);
    const pool = healthy.length ? healthy : fresh.length ? fresh : upstreams;
    this.#roundRobin.set(route, next + 1);
    return pool[next % pool.length]!;
  }

  #groupsOf(caller: Caller): string[] {
    const claimed = Array.isArray(caller.claims['groups']) ? (caller.claims['groups'] as unknown[]).filter((g): g is string => typeof g === 'string') : [];
    if (caller.issuer !== OWN_ISSUER) return claimed;
    const users = this.#options.login.users();
    const known = [...users.users, ...users.serviceAccounts].find((u) => u.uid === caller.uid)?.groups ?? [];
    return [...new Set([...claimed, ...known])];
  }

  #proxyFileRoute(req: IncomingMessage, res: ServerResponse, fileRoute: FileRoute, caller: Caller | null, path: string, search: string): void {
    const decision = this.#fileRouteDecision(fileRoute, caller, path);
    if (decision.kind === 'proxy') this.#dispatch(req, res, decision, path, search, this.#bodyOf(req, res), fileRoute.timeoutMs);
    else if (decision.kind === 'error') sendJsonError(res, decision.status, decision.title, decision.description, decision.code);
  }

  /** A file route's upstreams for this caller: its `to` URLs or its service's tasks, 403 when `allow` refuses, 503 without tasks. */
  #fileRouteDecision(fileRoute: FileRoute, caller: Caller | null, path: string): RouteDecision {
    if (caller && fileRoute.allow) {
      const allowed = decide({ uid: caller.uid, groups: this.#groupsOf(caller) }, fileRoute.allow);
      if (!allowed.allowed) return { kind: 'error', status: 403, title: 'Forbidden', description: allowed.reason, code: 'ERR_GATEWAY_FORBIDDEN' };
    }
    let upstreams: readonly URL[] = fileRoute.to;
    if (fileRoute.service) {
      const snapshot = this.#options.store.current;
      const resolved = snapshot ? resolveService(snapshot, fileRoute.service) : null;
      if (!resolved) return { kind: 'error', status: 503, title: 'Service Unavailable', description: `route ${fileRoute.name}: no running task of service ${fileRoute.service}`, code: 'ERR_GATEWAY_SERVICE_UNAVAILABLE' };
      upstreams = resolved.upstreams;
    }
    const rest = path.length >= fileRoute.path.length ? path.slice(fileRoute.path.length) : '';
    const upstreamPath = fileRoute.stripPrefix ? `/${rest}` : path;
    return { kind: 'proxy', route: routeLabel(fileRoute), upstreams, upstreamPath, servicePrefix: null };
  }

  #forwardedHeaders(req: ProxyRequest, path: string, decision: Extract<RouteDecision, { kind: 'proxy' }>): Record<string, string> {
    const client = req.socket.remoteAddress ?? '';
    const prior = req.headers['x-forwarded-for'];
    const prefix = path.slice(0, path.length - decision.upstreamPath.length + (decision.upstreamPath === '/' && !path.endsWith('/') ? 1 : 0));
    const proto = this.#options.tls ? 'https' : 'http';
    const host = req.headers.host ?? '';
    return {
      'x-forwarded-for': prior ? `${prior}, ${client}` : client,
      'x-forwarded-proto': proto,
      'x-forwarded-host': host,
      // The prefix comes from the decoded path (a service name from the snapshot): encoded again for a header.
      'x-forwarded-prefix': decision.upstreamPath === path ? '' : encodePath(prefix.replace(/\/$/, '')),
      'x-real-ip': client,
      // RFC 7239's form of the same, replacing any the client sent (a client's claim is not forwarded).
      forwarded: forwardedElement(client, proto, host),
    };
  }

  async #upgrade(req: IncomingMessage, socket: Socket, head: Buffer): Promise<void> {
    socket.on('error', () => socket.destroy());
    this.#upgraded.add(socket);
    socket.once('close', () => this.#upgraded.delete(socket));
    const refuse = (status: string, extra = ''): void => {
      socket.end(`HTTP/1.1 ${status}\r\n${extra}Connection: close\r\n\r\n`);
    };
    const refusal = upgradeRefusal(req); // a body on an upgrade, or not WebSocket: never forwarded (issue 11)
    if (refusal) return answerUpgradeError(socket, 400, 'Bad Request', refusal.description, refusal.code);
    const normalized = normalizePath(req.url ?? '/');
    if ('error' in normalized || duplicateHost(req.rawHeaders)) return refuse('400 Bad Request');
    const fileRoute = this.#options.routes?.match(normalized.path) ?? null;
    const caller = fileRoute?.auth === 'none' ? null : await this.#authenticate(req);
    if (caller instanceof AuthnError) return refuse('401 Unauthorized', 'WWW-Authenticate: acsjwt\r\n');
    let decision: RouteDecision | null;
    if (fileRoute) {
      decision = this.#fileRouteDecision(fileRoute, caller, normalized.path);
      if (decision.kind === 'error') return refuse(decision.status === 403 ? '403 Forbidden' : '503 Service Unavailable');
    } else {
      decision = this.#builtinDecision(normalized.path);
    }
    if (decision?.kind !== 'proxy') return refuse('404 Not Found');
    const upstream = this.#pick(decision.route, decision.upstreams);
    this.#proxy.ws(req, socket, head, { upstream, path: `${encodePath(decision.upstreamPath)}${normalized.search}`, servicePrefix: decision.servicePrefix, timeoutMs: 0, body: null }, this.#forwardedHeaders(req, normalized.path, decision));
  }
}

