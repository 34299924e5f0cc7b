// The gateway's HTTP server: a thin entry. It listens, hands every request to the one request
// pipeline (pipeline.ts: normalise → public endpoint → redirect → file route → auth → own endpoint →
// route decision), carries out the verdict by the door the request came in (the plain path, the lean
// engine's fast path, or a WebSocket upgrade), and closes. Answering a route's decision upstream is
// upstream-dispatch.ts; the endpoints without a token are public-endpoints.ts.
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import type { AuthnError } from '../authn/index.js';
import { stackOf } from '../core/index.js';
import { gateAgentCall, isAgentApiPath } from './agent-call-gate.js';
import { declaresTooMuch, limitedBody } from './body-limit.js';
import { BodyWatch } from './body-watch.js';
import { ConnectionLimit } from './connection-limit.js';
import { LeanUpstreamClient, loadParser, type LeanRequest, type LeanResponse, type ResponseSink } from './http1/index.js';
import { listenGateway, type Listening } from './listen.js';
import type { GatewayOptions } from './options.js';
import { answerOwn, ownRouteName } from './own-endpoints.js';
import { loginPage } from './pages.js';
import { RequestPipeline, type Verdict } from './pipeline.js';
import { UpstreamProxy, sendJsonError, sendGatewayError } from './proxy.js';
import { answerPublic } from './public-endpoints.js';
import { RequestMetrics } from './request-metrics.js';
import { duplicateHost, expectsContinue } from './request-rules.js';
import { bodyBytesSent, countBodyBytes, notedUid, writeAccessLog } from './access-log.js';
import { UpstreamDispatch } from './upstream-dispatch.js';
import { answerUpgradeError, upgradeRefusal } from './upgrade-proxy.js';

export type { GatewayOptions } from './options.js';

export class GatewayServer {
  readonly #options: GatewayOptions;
  readonly #proxy: UpstreamProxy;
  readonly #pipeline: RequestPipeline;
  readonly #dispatch: UpstreamDispatch;
  #server: Listening | null = null;
  /** Upgraded (WebSocket) connections: the HTTP server no longer tracks them, close() must cut them. */
  readonly #upgraded = new Set<Socket>();
  readonly #metrics: RequestMetrics;
  readonly #bodies: BodyWatch;

  constructor(options: GatewayOptions) {
    this.#options = options;
    this.#bodies = new BodyWatch({
      bodyTimeoutMs: options.bodyTimeoutMs ?? 60_000,
      discardBodyTimeoutMs: options.discardBodyTimeoutMs ?? 5_000,
      discardBodySize: options.discardBodySize ?? 1024 ** 2,
    });
    const lean = options.engine === 'node' ? null : loadParser();
    this.#proxy = new UpstreamProxy(lean && 'factory' in lean ? new LeanUpstreamClient(lean.factory) : null);
    this.#dispatch = new UpstreamDispatch({ proxy: this.#proxy, logger: options.logger, tls: Boolean(options.tls), timeoutMs: options.timeoutMs ?? 60_000 });
    this.#pipeline = new RequestPipeline(options);
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
      sendGatewayError(res, 'ERR_GATEWAY_INTERNAL', 'the gateway failed while answering this request', { connection: 'close' });
    } catch {
      res.destroy();
    }
  }

  /** The code and where it was thrown; not the message's values, which may quote the request. */
  #logFailure(error: unknown): void {
    const failure = error as NodeJS.ErrnoException | undefined;
    this.#options.logger.error(
      {
        code: failure?.code ?? 'none',
        name: failure?.name,
        at: stackOf(failure)
          ?.split('\n')
          .slice(1, 6)
          .map((l) => l.trim()),
      },
      'request handler failed; answered 500',
    );
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
    sendJsonError(res, 401, 'Unauthorized', error.message, error.code, {
      'www-authenticate': 'acsjwt',
      ...(expectsContinue(req) ? { connection: 'close' } : {}),
    });
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
      return sendGatewayError(res, 'ERR_GATEWAY_BAD_FRAMING', 'conflicting Content-Length / Transfer-Encoding', { connection: 'close' });
    }
    if (duplicateHost(req.rawHeaders)) {
      route = 'refused';
      return sendGatewayError(res, 'ERR_GATEWAY_BAD_HOST', 'more than one Host header', { connection: 'close' });
    }
    const maxBody = this.#options.maxBodySize ?? 1024 ** 3;
    if (declaresTooMuch(req, maxBody)) {
      route = 'refused';
      return sendGatewayError(res, 'ERR_GATEWAY_BODY_TOO_LARGE', `the request body is larger than ${maxBody} bytes (gateway.maxBodySize)`, {
        connection: 'close',
      });
    }
    const method = req.method ?? 'GET';
    let decided = this.#pipeline.decide(req, 'plain');
    let verdict = decided instanceof Promise ? await decided : decided;
    if (verdict.kind === 'public') {
      const answered = await answerPublic(this.#options, async (r) => this.#pipeline.authenticate(r.headers), req, res, method, verdict.path, verdict.search);
      if (answered) {
        route = answered;
        return;
      }
      // Declined (a POST to `/`): the steps after the public endpoints decide.
      decided = this.#pipeline.decide(req, 'plain', true);
      verdict = decided instanceof Promise ? await decided : decided;
    }
    switch (verdict.kind) {
      case 'bad-path':
        route = 'refused';
        return sendGatewayError(res, 'ERR_GATEWAY_BAD_PATH', verdict.error);
      case 'redirect':
        route = 'redirect';
        res.writeHead(verdict.status, { location: verdict.location }).end();
        return;
      case 'unauthorized':
        route = 'unauthorized';
        return this.#unauthorized(req, res, verdict.path, verdict.error);
      case 'own':
        route = ownRouteName(verdict.path);
        uid = verdict.caller.uid;
        return answerOwn(this.#options, (caller) => this.#pipeline.groupsOf(caller), req, res, verdict.path, verdict.caller, verdict.search);
      case 'no-route':
        route = 'unknown';
        uid = verdict.caller?.uid ?? null;
        return sendGatewayError(res, 'ERR_GATEWAY_NO_ROUTE', `no route for ${verdict.path}`);
      case 'route': {
        route = verdict.label;
        uid = verdict.caller?.uid ?? null;
        const { decision } = verdict;
        let body = decision.kind === 'proxy' ? this.#bodyOf(req, res) : null;
        let timeoutMs = verdict.fileRoute?.timeoutMs;
        // An agent call is let through only once its type is known: exec is an admin power (gateway.exec).
        if (decision.kind === 'proxy' && decision.route === 'agent' && body && verdict.caller && isAgentApiPath(decision.upstreamPath)) {
          const gate = await gateAgentCall({
            request: req,
            body,
            caller: verdict.caller,
            groups: this.#pipeline.groupsOf(verdict.caller),
            allow: this.#options.execAllow ?? { groups: [this.#options.adminGroup ?? 'admins'] },
            agentPath: verdict.path,
            logger: this.#options.logger,
          });
          if (gate.kind === 'refuse') return sendGatewayError(res, gate.code, gate.description, { connection: 'close' });
          body = gate.body;
          timeoutMs = gate.timeoutMs ?? timeoutMs;
          // The CLI never half-closes: its FIN means it is gone (Ctrl-C), and the session must end now,
          // not at the next heartbeat's failed write (the lean engine otherwise still answers a half-closed client).
          if (timeoutMs === 0) {
            const clientGone = (): void => void (res.writableFinished || res.destroy());
            req.socket.once('end', clientGone);
            res.once('close', () => req.socket.off('end', clientGone)); // keep-alive: one listener per exchange, not per connection
          }
        }
        return this.#dispatch.web(req, res, decision, verdict.path, verdict.search, body, timeoutMs);
      }
      default: // `slow` is the fast path's; `public` was answered above
        return unreachable(verdict);
    }
  }

  /**
   * The hot path of the lean engine: a GET or HEAD without a body whose verdict (on the fast path: a
   * token verified recently, or an `auth: none` route) is to proxy. Anything else (a token to
   * verify, an error to show, a public endpoint, a body) returns false, and #handle answers it.
   */
  #fast(req: LeanRequest, res: LeanResponse): boolean {
    const method = req.method;
    if (method !== 'GET' && method !== 'HEAD') return false;
    if (req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined) return false;
    const verdict = this.#pipeline.decide(req, 'fast');
    if (verdict instanceof Promise || verdict.kind !== 'route') return false; // never a promise on the fast path
    const decision = verdict.decision;
    if (decision.kind !== 'proxy') return false;
    const started = performance.now();
    const requestId = randomUUID();
    const uid = verdict.caller?.uid ?? null;
    res.on('finish', () => this.#record(res, started, requestId, method, req.url, decision.route, uid));
    res.setHeader('x-request-id', requestId);
    this.#dispatch.web(req, res, decision, verdict.path, verdict.search, null, verdict.fileRoute?.timeoutMs);
    return true;
  }

  #record(res: ResponseSink, started: number, requestId: string, method: string | undefined, target: string, route: string, uid: string | null): void {
    const seconds = (performance.now() - started) / 1000;
    this.#metrics.observe(route, res.statusCode, seconds);
    const access = this.#options.accessLog;
    const logger = access ? access.logger : this.#options.logger;
    if (logger === null || !logger.isLevelEnabled('info')) return;
    // Sampling keeps every failure: those are the lines an operator looks for.
    if (access && access.sample < 1 && res.statusCode < 400 && Math.random() >= access.sample) return;
    const entry = { requestId, method, target, route, status: res.statusCode, bytes: bodyBytesSent(res), seconds, uid: uid ?? notedUid(res) };
    if (access?.write) access.write(entry);
    else writeAccessLog(logger, entry);
  }

  /**
   * What a request with a body sends upstream: null for a bodiless GET or HEAD, else the (counted)
   * body. Called once the request is authorised and routed: only now is `100 Continue` sent.
   */
  #bodyOf(req: IncomingMessage, res: ServerResponse): Readable | null {
    const bodyless = (req.method === 'GET' || req.method === 'HEAD') && !req.headers['content-length'] && !req.headers['transfer-encoding'];
    if (expectsContinue(req) && !res.headersSent) res.writeContinue();
    if (bodyless) return null;
    return limitedBody(req, this.#options.maxBodySize ?? 1024 ** 3, (error) => sendGatewayError(res, error.code, error.message, { connection: 'close' }));
  }

  /** A WebSocket upgrade: the same verdict, answered on the socket (no public endpoint or redirect is an upgrade). */
  async #upgrade(req: IncomingMessage, socket: Socket, head: Buffer): Promise<void> {
    socket.on('error', () => socket.destroy());
    this.#upgraded.add(socket);
    socket.once('close', () => this.#upgraded.delete(socket));
    const refuse = (status: string, extra = ''): void => {
      socket.end(`HTTP/1.1 ${status}\r\n${extra}Connection: close\r\n\r\n`);
    };
    const refusal = upgradeRefusal(req); // a body on an upgrade, or not WebSocket: never forwarded (issue 11)
    if (refusal) return answerUpgradeError(socket, refusal.code, refusal.description);
    if (duplicateHost(req.rawHeaders)) return refuse('400 Bad Request');
    const decided = this.#pipeline.decide(req, 'upgrade');
    const verdict = decided instanceof Promise ? await decided : decided;
    if (verdict.kind === 'bad-path') return refuse('400 Bad Request');
    if (verdict.kind === 'unauthorized') return refuse('401 Unauthorized', 'WWW-Authenticate: acsjwt\r\n');
    if (verdict.kind !== 'route') return refuse('404 Not Found');
    const decision = verdict.decision;
    if (verdict.fileRoute && decision.kind === 'error') return refuse(`${decision.status} ${decision.title}`);
    if (decision.kind !== 'proxy') return refuse('404 Not Found');
    this.#dispatch.ws(req, socket, head, decision, verdict.path, verdict.search);
  }
}

function unreachable(verdict: Verdict): never {
  throw new Error(`the pipeline gave the plain path a verdict it does not take: ${verdict.kind}`);
}
