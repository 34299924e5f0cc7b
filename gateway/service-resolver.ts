// `/service/<name>/…` → the running tasks of that service, from the cluster snapshot, in Admin
// Router's order (its service endpoint docs): a task's `DCOS_SERVICE_NAME` label (Marathon
// copies app labels onto its tasks), then a Marathon app id (`/grp/app` = task name `app.grp`), then a
// framework's `webui_url` (by id, then by name). Unlike Admin Router, every running task that is not
// failing its health check is an upstream, not only the first.
import type { Snapshot, Task } from '../cluster/index.js';

export interface ResolvedService {
  /** The path segments that named the service (`grp/app`), for stripping and Location rewriting. */
  readonly plain: string;
  readonly upstreams: readonly URL[];
  readonly rewriteUrls: boolean;
}

const RESOLVE_LIMIT = 10;

function label(task: Task, key: string): string | undefined {
  return task.labels.find((l) => l.key === key)?.value;
}

/** `a/b/c` → `c.b.a`, the way Marathon ids and DCOS_SERVICE_NAME labels become routing names. */
export function normalizeServiceName(path: string): string {
  return path.split('/').filter(Boolean).reverse().join('.');
}

function taskUpstream(task: Task, agentIps: ReadonlyMap<string, readonly string[]>, portIndex: number, scheme: string): URL | null {
  const hostPort = task.resources.ports[portIndex];
  const agentIp = agentIps.get(task.agentId)?.[0];
  if (hostPort !== undefined && agentIp) return new URL(`${scheme}://${agentIp.includes(':') ? `[${agentIp}]` : agentIp}:${hostPort}`);
  // Container networking without host ports: the task's own IP and its DiscoveryInfo port.
  const containerIp = task.ips.netinfo[0];
  const containerPort = task.discovery?.ports[portIndex]?.number;
  if (containerIp && containerPort) return new URL(`${scheme}://${containerIp.includes(':') ? `[${containerIp}]` : containerIp}:${containerPort}`);
  return null;
}

type Found = { upstreams: URL[]; rewriteUrls: boolean };

/**
 * What each service name resolves to, per snapshot: a snapshot never changes once built, so a name is
 * looked up in its tasks once, not on every request (a lookup scans every task). Dropped with the snapshot.
 */
const resolved = new WeakMap<Snapshot, { agentIps: ReadonlyMap<string, readonly string[]>; names: Map<string, Found | null> }>();
const MAX_NAMES_PER_SNAPSHOT = 10_000;

export function resolveService(snapshot: Snapshot, pathAfterPrefix: string): ResolvedService | null {
  let memo = resolved.get(snapshot);
  if (!memo) {
    memo = { agentIps: new Map(snapshot.agents.map((a) => [a.id, a.ips])), names: new Map() };
    resolved.set(snapshot, memo);
  }
  const segments = pathAfterPrefix.split('/').filter(Boolean);
  for (let i = 1; i <= Math.min(segments.length, RESOLVE_LIMIT); i++) {
    const plain = segments.slice(0, i).join('/');
    const name = normalizeServiceName(plain);
    let found = memo.names.get(name);
    if (found === undefined) {
      found = byLabel(snapshot, name, memo.agentIps) ?? byAppId(snapshot, name, memo.agentIps) ?? byFramework(snapshot, name);
      // Names that resolve to nothing come from callers; bounded so that they cannot grow it without end.
      if (memo.names.size < MAX_NAMES_PER_SNAPSHOT) memo.names.set(name, found);
    }
    if (found) return { plain, ...found };
  }
  return null;
}

function running(task: Task): boolean {
  return task.state === 'TASK_RUNNING' && task.health !== 'unhealthy';
}

function upstreamsOf(tasks: Task[], agentIps: ReadonlyMap<string, readonly string[]>): { upstreams: URL[]; rewriteUrls: boolean } | null {
  const upstreams: URL[] = [];
  let rewriteUrls = true;
  for (const task of tasks) {
    const index = Number(label(task, 'DCOS_SERVICE_PORT_INDEX') ?? 0);
    const scheme = (label(task, 'DCOS_SERVICE_SCHEME') ?? 'http').toLowerCase() === 'https' ? 'https' : 'http';
    if (label(task, 'DCOS_SERVICE_REWRITE_REQUEST_URLS') === 'false') rewriteUrls = false;
    const url = Number.isInteger(index) && index >= 0 ? taskUpstream(task, agentIps, index, scheme) : null;
    if (url && !upstreams.some((u) => u.href === url.href)) upstreams.push(url);
  }
  return upstreams.length ? { upstreams, rewriteUrls } : null;
}

function byLabel(snapshot: Snapshot, name: string, agentIps: ReadonlyMap<string, readonly string[]>) {
  const tasks = snapshot.frameworks
    .flatMap((f) => f.tasks)
    .filter((t) => running(t) && normalizeServiceName(label(t, 'DCOS_SERVICE_NAME') ?? '') === name && name !== '');
  return upstreamsOf(tasks, agentIps);
}

function byAppId(snapshot: Snapshot, name: string, agentIps: ReadonlyMap<string, readonly string[]>) {
  const marathon = snapshot.frameworks.filter((f) => f.name === 'marathon');
  const tasks = marathon.flatMap((f) => f.tasks).filter((t) => running(t) && (t.appId ? normalizeServiceName(t.appId) === name : t.name === name));
  return upstreamsOf(tasks, agentIps);
}

function byFramework(snapshot: Snapshot, name: string): { upstreams: URL[]; rewriteUrls: boolean } | null {
  const framework = snapshot.frameworks.find((f) => f.id === name) ?? snapshot.frameworks.find((f) => f.name === name);
  if (!framework?.webuiUrl) return null;
  try {
    const url = new URL(framework.webuiUrl);
    return { upstreams: [new URL(url.origin)], rewriteUrls: true };
  } catch {
    return null;
  }
}
