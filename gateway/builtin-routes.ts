// The built-in routes of interface §4, resolved from the current snapshot: `/service/<name>/`,
// `/agent/<id>/` (and `/slave/<id>/`), `/mesos/`, `/marathon/`, `/mesos_dns/`, with Admin Router's
// redirects and errors.
import type { Snapshot } from '../cluster/index.js';
import { GATEWAY_ANSWERS, type GatewayAnswerCode } from './errors.js';
import { resolveService } from './service-resolver.js';
import { agentsIndex, embeddedApiIndex, type IndexAnswer } from './pages/index-pages.js';

export type RouteDecision =
  | { readonly kind: 'redirect'; readonly status: 301 | 307; readonly location: string }
  | { readonly kind: 'proxy'; readonly route: string; readonly upstreams: readonly URL[]; readonly upstreamPath: string; readonly servicePrefix: string | null }
  | { readonly kind: 'error'; readonly status: number; readonly title: string; readonly description: string; readonly code: GatewayAnswerCode }
  | IndexAnswer;

export interface RouteInputs {
  readonly snapshot: Snapshot | null;
  readonly usable: boolean;
  /** Where the Mesos-DNS HTTP API listens, when it does. */
  readonly dnsHttp: URL | null;
  /** Marathon's API from config (`cluster.mesos.marathon`), else the `marathon` framework's webui_url. */
  readonly marathon: URL | null;
}

/** An error answer; its status and title come from the gateway's table of codes. */
export const errorDecision = (code: GatewayAnswerCode, description: string): RouteDecision => ({ kind: 'error', ...GATEWAY_ANSWERS[code], description, code });
const notFound = (description: string, code: GatewayAnswerCode): RouteDecision => errorDecision(code, description);
const unavailable = (description: string): RouteDecision => errorDecision('ERR_GATEWAY_SNAPSHOT_UNUSABLE', description);

/** Redirects Admin Router makes before authentication (they reveal nothing). */
export function earlyRedirect(path: string): RouteDecision | null {
  if (/^\/service\/[0-9a-zA-Z.-]+$/.test(path)) return { kind: 'redirect', status: 301, location: `${path}/` };
  if (path === '/mesos') return { kind: 'redirect', status: 301, location: '/mesos/' };
  if (path === '/marathon') return { kind: 'redirect', status: 307, location: '/marathon/' };
  if (path === '/agent') return { kind: 'redirect', status: 301, location: '/agent/' };
  if (path === '/slave') return { kind: 'redirect', status: 301, location: '/slave/' };
  return null;
}

/** The route for an authenticated request, or null when no built-in route owns the path. */
export function builtinRoute(path: string, inputs: RouteInputs): RouteDecision | null {
  const strip = (prefix: string) => path.slice(prefix.length) || '/';
  if (path.startsWith('/mesos_dns/')) {
    if (!inputs.dnsHttp) return notFound('the DNS HTTP API is disabled (dns.http)', 'ERR_GATEWAY_DNS_API_DISABLED');
    return { kind: 'proxy', route: 'mesos_dns', upstreams: single(inputs.dnsHttp), upstreamPath: strip('/mesos_dns'), servicePrefix: null };
  }
  // Admin Router served an agent at /slave/<id>/ as well as /agent/<id>/ (older clients, `dcos task exec`).
  if (path.startsWith('/slave/')) path = `/agent/${path.slice('/slave/'.length)}`;
  const cluster = path.startsWith('/service/') || path.startsWith('/agent/') || path.startsWith('/mesos/') || path.startsWith('/marathon/');
  if (!cluster) return null;
  if (!inputs.snapshot || !inputs.usable)
    return unavailable(inputs.snapshot ? 'the cluster snapshot is too old to route by (cluster.unusableAfter)' : 'no cluster snapshot yet');
  const snapshot = inputs.snapshot;

  if (path.startsWith('/service/')) {
    const resolved = resolveService(snapshot, path.slice('/service/'.length));
    if (!resolved) return notFound(`service not found: ${path.slice('/service/'.length).split('/').filter(Boolean)[0] ?? ''}`, 'ERR_GATEWAY_SERVICE_UNKNOWN');
    const prefix = `/service/${resolved.plain}`;
    return {
      kind: 'proxy',
      route: `service:${resolved.plain}`,
      upstreams: resolved.upstreams,
      upstreamPath: resolved.rewriteUrls ? path.slice(prefix.length) || '/' : path,
      servicePrefix: prefix,
    };
  }
  if (path === '/agent/') return agentsIndex(snapshot);
  // The embedded cluster has APIs but no web UI at its root (a real master and Marathon serve theirs).
  if (snapshot.source.kind === 'local' && (path === '/mesos/' || path === '/marathon/')) return embeddedApiIndex(path === '/mesos/' ? 'mesos' : 'marathon');
  if (path.startsWith('/agent/')) {
    const [id = '', ...rest] = path.slice('/agent/'.length).split('/');
    const agent = snapshot.agents.find((a) => a.id === id);
    const ip = agent?.ips[0];
    if (!agent || !agent.pid || !ip) return notFound(`agent ${id} unknown`, 'ERR_GATEWAY_AGENT_UNKNOWN');
    return { kind: 'proxy', route: 'agent', upstreams: origin(ip, agent.pid.port), upstreamPath: `/${rest.join('/')}`, servicePrefix: null };
  }
  if (path.startsWith('/mesos/')) {
    const leader = snapshot.leader?.address;
    const ip = leader?.ips[0];
    if (!leader || !ip) return unavailable('the leading master is unknown');
    return { kind: 'proxy', route: 'mesos', upstreams: origin(ip, leader.port), upstreamPath: strip('/mesos'), servicePrefix: null };
  }
  const marathon = inputs.marathon ?? marathonFromSnapshot(snapshot);
  if (!marathon) return unavailable('Marathon is unknown (no cluster.mesos.marathon and no marathon framework with a web UI)');
  return { kind: 'proxy', route: 'marathon', upstreams: single(marathon), upstreamPath: strip('/marathon'), servicePrefix: null };
}

/**
 * The same upstream list object for the same address: built once rather than a URL per request, and
 * the proxy keys its connection pools by it. Bounded: cleared when it grows past what a cluster has.
 */
const origins = new Map<string, readonly URL[]>();
const singles = new WeakMap<URL, readonly URL[]>();
function single(url: URL): readonly URL[] {
  let list = singles.get(url);
  if (!list) {
    list = [url];
    singles.set(url, list);
  }
  return list;
}
function origin(ip: string, port: number): readonly URL[] {
  const key = `${ip} ${port}`;
  let found = origins.get(key);
  if (!found) {
    if (origins.size >= 10_000) origins.clear();
    found = [new URL(`http://${ip.includes(':') ? `[${ip}]` : ip}:${port}`)];
    origins.set(key, found);
  }
  return found;
}

const marathonUrls = new WeakMap<Snapshot, URL | null>();

function marathonFromSnapshot(snapshot: Snapshot): URL | null {
  let url = marathonUrls.get(snapshot);
  if (url === undefined) {
    url = marathonUrlOf(snapshot);
    marathonUrls.set(snapshot, url);
  }
  return url;
}

function marathonUrlOf(snapshot: Snapshot): URL | null {
  const url = snapshot.frameworks.find((f) => f.name === 'marathon')?.webuiUrl;
  try {
    return url ? new URL(new URL(url).origin) : null;
  } catch {
    return null;
  }
}
