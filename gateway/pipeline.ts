// The gateway's one request pipeline: what a request is answered with, decided in one ordered
// sequence that the plain, fast and upgrade paths all run (like CoreDNS's plugin order), so the three
// can never drift apart. The steps, in order:
//   1. normalise the path (a bad one is refused)
//   2. public endpoints (no token)            — plain path only; the fast path hands them to it
//   3. early redirects (`/mesos` → `/mesos/`)  — plain path only; the fast path hands them to it
//   4. file routes (`auth: none` skips step 5)
//   5. authentication (the fast path takes only a recently verified token)
//   6. the gateway's own authenticated endpoints (route list, status, metadata, task and component
//      logs, dcos-metrics' v0 API, dcos-net's node list) — plain path only
//   7. the file route's or built-in route's decision
// The pipeline decides only; answering (proxying, writing an error, a socket reply) stays with each path.
import type { IncomingHttpHeaders } from 'node:http';
import { AuthnError, OWN_ISSUER, decide, extractToken, type Caller } from '../authn/index.js';
import { isUsable } from '../cluster/index.js';
import { builtinRoute, earlyRedirect, errorDecision, type RouteDecision } from './builtin-routes.js';
import { isLogPath } from './logs/log-request.js';
import { isMetricsPath } from './metrics/metrics-endpoint.js';
import { normalizePath } from './normalize-path.js';
import type { GatewayOptions } from './options.js';
import { PUBLIC_PATHS } from './public-endpoints.js';
import type { FileRoute } from './route-files.js';
import { resolveService } from './service-resolver.js';

/** Which door the request came in by: the steps each one runs differ only as the header says. */
export type RequestPath = 'plain' | 'fast' | 'upgrade';

/** The gateway's own endpoints that need a token; answered by the plain path (authenticated-endpoints.ts). */
export const AUTHENTICATED_PATHS: ReadonlySet<string> = new Set([
  '/gatehouse/v1/routes',
  '/gatehouse/v1/status',
  '/metadata',
  '/pkgpanda/active.buildinfo.full.json',
  '/net/v1/vips',
]);
/** dcos-net's node list (own-endpoints.ts). */
export const NET_NODES_PATH = '/net/v1/nodes';

export type Verdict =
  | { readonly kind: 'bad-path'; readonly error: string }
  /** The fast path cannot answer this one: the plain path will. */
  | { readonly kind: 'slow' }
  | { readonly kind: 'public'; readonly path: string; readonly search: string }
  | { readonly kind: 'redirect'; readonly status: number; readonly location: string }
  | { readonly kind: 'unauthorized'; readonly path: string; readonly error: AuthnError }
  | { readonly kind: 'own'; readonly path: string; readonly search: string; readonly caller: Caller }
  | { readonly kind: 'no-route'; readonly path: string; readonly caller: Caller | null }
  /** A route's decision: a file route's (proxy or error) or a built-in one (proxy, redirect, error, index). */
  | {
      readonly kind: 'route';
      readonly path: string;
      readonly search: string;
      readonly decision: RouteDecision;
      readonly fileRoute: FileRoute | null;
      readonly caller: Caller | null;
      readonly label: string;
    };

/** What the pipeline needs of a request: its target and headers, the same for every engine. */
export interface RequestFacts {
  readonly url?: string | undefined;
  readonly headers: IncomingHttpHeaders;
}

/**
 * A file route's name in metrics, logs and round robin (`file:<name>`), built once per route: route
 * objects live as long as their route file's load, and the label is used on every request.
 */
const routeLabels = new WeakMap<FileRoute, string>();
export function routeLabel(route: FileRoute): string {
  let label = routeLabels.get(route);
  if (label === undefined) routeLabels.set(route, (label = `file:${route.name}`));
  return label;
}

export class RequestPipeline {
  readonly #options: GatewayOptions;

  constructor(options: GatewayOptions) {
    this.#options = options;
  }

  /**
   * Synchronous whenever authentication is (a recently verified token, or none needed). `afterPublic`:
   * the public endpoint declined this request (a POST to `/`), so the steps after it decide.
   */
  decide(request: RequestFacts, via: RequestPath, afterPublic = false): Verdict | Promise<Verdict> {
    const normalized = normalizePath(request.url ?? '/');
    if ('error' in normalized) return { kind: 'bad-path', error: normalized.error };
    const { path, search } = normalized;
    if (via !== 'upgrade') {
      if (!afterPublic && PUBLIC_PATHS.has(path)) return via === 'fast' ? SLOW : { kind: 'public', path, search };
      const early = earlyRedirect(path);
      if (early?.kind === 'redirect') return via === 'fast' ? SLOW : { kind: 'redirect', status: early.status, location: `${early.location}${search}` };
      if (via === 'fast' && AUTHENTICATED_PATHS.has(path)) return SLOW;
    }
    const fileRoute = this.#options.routes?.match(path) ?? null;
    if (fileRoute?.auth === 'none') return this.#route(via, path, search, fileRoute, null);
    if (via === 'fast') {
      const caller = this.#recentCaller(request.headers);
      return caller ? this.#route(via, path, search, fileRoute, caller) : SLOW;
    }
    const authenticated = this.authenticate(request.headers);
    return authenticated instanceof Promise
      ? authenticated.then((caller) => this.#route(via, path, search, fileRoute, caller))
      : this.#route(via, path, search, fileRoute, authenticated);
  }

  #route(via: RequestPath, path: string, search: string, fileRoute: FileRoute | null, caller: Caller | AuthnError | null): Verdict {
    if (caller instanceof AuthnError) return { kind: 'unauthorized', path, error: caller };
    if (fileRoute)
      return {
        kind: 'route',
        path,
        search,
        decision: this.#fileRouteDecision(fileRoute, caller, path),
        fileRoute,
        caller,
        label: routeLabel(fileRoute),
      };
    if (via === 'plain' && caller && this.#ownEndpoint(path)) return { kind: 'own', path, search, caller };
    const decision = this.#builtinDecision(path);
    if (!decision) return { kind: 'no-route', path, caller };
    return { kind: 'route', path, search, decision, fileRoute: null, caller, label: decision.kind === 'proxy' ? decision.route : decision.kind };
  }

  /**
   * `/gatehouse/v1/status` and `/net/v1/vips` are the gateway's only when it has a status or VIPs to
   * show; else they are routed like any path. The log service (dcos-log's paths), the metrics service
   * (dcos-metrics' v0 paths) and dcos-net's node list are answered here too.
   */
  #ownEndpoint(path: string): boolean {
    if (isLogPath(path) || isMetricsPath(path) || path === NET_NODES_PATH) return true;
    if (path === '/net/v1/vips') return Boolean(this.#options.vipRange);
    return AUTHENTICATED_PATHS.has(path) && (path !== '/gatehouse/v1/status' || Boolean(this.#options.status));
  }

  /** The caller, or why not; synchronous when the token was verified recently (the common case). */
  authenticate(headers: IncomingHttpHeaders): Caller | AuthnError | Promise<Caller | AuthnError> {
    try {
      const extracted = extractToken(headers);
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

  /** A recently verified token's caller, without a promise; null when there is none to check that way. */
  #recentCaller(headers: IncomingHttpHeaders): Caller | null {
    try {
      const extracted = extractToken(headers);
      return extracted ? this.#options.verifier.recent(extracted.token) : null;
    } catch {
      return null;
    }
  }

  groupsOf(caller: Caller): string[] {
    const claimed = Array.isArray(caller.claims['groups']) ? (caller.claims['groups'] as unknown[]).filter((g): g is string => typeof g === 'string') : [];
    if (caller.issuer !== OWN_ISSUER) return claimed;
    const users = this.#options.login.users();
    const known = [...users.users, ...users.serviceAccounts].find((u) => u.uid === caller.uid)?.groups ?? [];
    return [...new Set([...claimed, ...known])];
  }

  #builtinDecision(path: string): RouteDecision | null {
    const status = this.#options.store.status();
    return builtinRoute(path, {
      snapshot: this.#options.store.current,
      usable: isUsable(status.state),
      dnsHttp: this.#options.dnsHttp,
      marathon: this.#options.marathon,
    });
  }

  /** A file route's upstreams for this caller: its `to` URLs or its service's tasks, 403 when `allow` refuses, 503 without tasks. */
  #fileRouteDecision(fileRoute: FileRoute, caller: Caller | null, path: string): RouteDecision {
    if (caller && fileRoute.allow) {
      const allowed = decide({ uid: caller.uid, groups: this.groupsOf(caller) }, fileRoute.allow);
      if (!allowed.allowed) return errorDecision('ERR_GATEWAY_FORBIDDEN', allowed.reason);
    }
    let upstreams: readonly URL[] = fileRoute.to;
    if (fileRoute.service) {
      const snapshot = this.#options.store.current;
      const resolved = snapshot ? resolveService(snapshot, fileRoute.service) : null;
      if (!resolved) return errorDecision('ERR_GATEWAY_SERVICE_UNAVAILABLE', `route ${fileRoute.name}: no running task of service ${fileRoute.service}`);
      upstreams = resolved.upstreams;
    }
    const rest = path.length >= fileRoute.path.length ? path.slice(fileRoute.path.length) : '';
    const upstreamPath = fileRoute.stripPrefix ? `/${rest}` : path;
    return { kind: 'proxy', route: routeLabel(fileRoute), upstreams, upstreamPath, servicePrefix: null };
  }
}

const SLOW: Verdict = { kind: 'slow' };
