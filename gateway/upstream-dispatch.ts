// Carries out a route's decision: a redirect, an error or an index page is written here; a proxy
// decision goes to one of its upstreams, picked round robin, skipping for a while any that refused a
// connection (passive health), with the forwarding headers every upstream gets.
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import type { RouteDecision } from './builtin-routes.js';
import type { ResponseSink } from './http1/index.js';
import { encodePath } from './normalize-path.js';
import { sendIndex } from './pages/index-pages.js';
import { sendGatewayError, sendJsonError, type ProxyRequest, type UpstreamProxy } from './proxy.js';
import { forwardedElement } from './request-rules.js';

const EJECT_MS = 30_000;
const NONE_TRIED: ReadonlySet<string> = new Set();

type ProxyDecision = Extract<RouteDecision, { kind: 'proxy' }>;

export interface DispatchOptions {
  readonly proxy: UpstreamProxy;
  readonly logger: Logger;
  /** Forwarded as `x-forwarded-proto: https` when set. */
  readonly tls: boolean;
  readonly timeoutMs: number;
}

export class UpstreamDispatch {
  readonly #options: DispatchOptions;
  readonly #roundRobin = new Map<string, number>();
  /** Passive health: upstreams that refused a connection, and until when they are skipped. */
  readonly #ejected = new Map<string, number>();

  constructor(options: DispatchOptions) {
    this.#options = options;
  }

  web(req: ProxyRequest, res: ResponseSink, decision: RouteDecision, path: string, search: string, body: Readable | null, timeoutMs?: number): void {
    if (decision.kind === 'redirect') {
      res.writeHead(decision.status, { location: `${decision.location}${search}` }).end();
      return;
    }
    if (decision.kind === 'error') return sendJsonError(res, decision.status, decision.title, decision.description, decision.code);
    if (decision.kind === 'index') return sendIndex(req, res, decision);
    const forwarded = this.#forwardedHeaders(req, path, decision);
    // Requests without a body can be sent again: when a task refuses the connection, another one is
    // tried, and the refusing task is skipped for a while (passive health).
    const retryable =
      (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS') &&
      !req.headers['content-length'] &&
      !req.headers['transfer-encoding'];
    const tried = new Set<string>();
    const attempt = (): void => {
      const upstream = this.#pick(decision.route, decision.upstreams, tried);
      tried.add(upstream.href);
      this.#options.proxy.web(
        req,
        res,
        {
          upstream,
          path: `${encodePath(decision.upstreamPath)}${search}`,
          servicePrefix: decision.servicePrefix,
          timeoutMs: timeoutMs ?? this.#options.timeoutMs,
          body,
        },
        forwarded,
        (error) => {
          if (res.writableEnded) return; // answered already (413 for a chunked body over the limit)
          if (error.code === 'ERR_GATEWAY_UPSTREAM_REFUSED') {
            this.#ejected.set(upstream.href, Date.now() + EJECT_MS);
            this.#options.logger.warn(
              { route: decision.route, upstream: upstream.host },
              'upstream refused the connection; skipping it for a while',
            );
            if (retryable && !res.headersSent && decision.upstreams.some((u) => !tried.has(u.href))) return attempt();
          }
          const timeout = error.code === 'ERR_GATEWAY_UPSTREAM_RESET' || error.code === 'ERR_GATEWAY_UPSTREAM_TIMED_OUT';
          if (timeout && !res.headersSent)
            return sendGatewayError(res, 'ERR_GATEWAY_UPSTREAM_TIMEOUT', `${decision.route}: the upstream did not answer in time`);
          sendGatewayError(
            res,
            'ERR_GATEWAY_UPSTREAM_FAILED',
            `${decision.route}: the upstream ${upstream.host} failed (${error.socketCode ?? error.code})`,
          );
        },
      );
    };
    attempt();
  }

  /** An upgraded (WebSocket) connection: one upstream, no retry (the handshake's bytes are spent). */
  ws(req: IncomingMessage, socket: Socket, head: Buffer, decision: ProxyDecision, path: string, search: string): void {
    const upstream = this.#pick(decision.route, decision.upstreams);
    this.#options.proxy.ws(
      req,
      socket,
      head,
      { upstream, path: `${encodePath(decision.upstreamPath)}${search}`, servicePrefix: decision.servicePrefix, timeoutMs: 0, body: null },
      this.#forwardedHeaders(req, path, decision),
    );
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

  #forwardedHeaders(req: ProxyRequest, path: string, decision: ProxyDecision): Record<string, string> {
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
}
